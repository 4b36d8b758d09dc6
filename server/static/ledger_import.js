// Ledger import progress: polls the job status endpoint and reloads the page when the job is done.
// A static file because the console's CSP forbids inline script.
(function () {
  "use strict";
  const box = document.querySelector(".job-progress[data-status-url]");
  if (!box) return;
  const bar = box.querySelector("progress");
  const count = box.querySelector(".job-count");
  const POLL_MS = 1000;

  async function poll() {
    try {
      const response = await fetch(box.dataset.statusUrl, { credentials: "same-origin" });
      if (response.ok) {
        const status = await response.json();
        bar.max = Math.max(status.total, 1);
        bar.value = status.processed;
        count.textContent = status.processed + " / " + status.total;
        if (status.state !== "reading") {
          window.location.reload();
          return;
        }
      }
    } catch (err) {
      // The server may be busy writing the import; try again on the next tick.
    }
    window.setTimeout(poll, POLL_MS);
  }
  window.setTimeout(poll, POLL_MS);
})();
