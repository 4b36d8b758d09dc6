"""Browser sync benchmark: a phone that worked offline all day drains its outbox.

Debian's chromium (Playwright, 360×640) logs in to a real server on loopback, the server is
stopped, and the phone's own data layer (outbox.js, photo store) is filled with N dorm-score
inspections of which P carry a photo (a 1280×960 JPEG made in the page, ~200 kB, as a resized
phone photo is). The server comes back and "立即同步" is pressed; the clock runs until the pending
badge is 0 and every photo is uploaded. The progress bar's text is sampled while it runs.

    .venv/bin/python bench/pwa_sync_bench.py [--records 500] [--photos 100] [--runs 3]

DATABASE_URL=postgresql+psycopg://... runs the server on PostgreSQL (an empty database of yours).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import Spread, machine  # noqa: E402

PASSWORD = "bench-password-1"  # noqa: S105 (a throwaway user of a temporary database)

FILL = """async ([records, photos]) => {
  const outbox = await import('/app/src/outbox.js');
  const ref = await import('/app/src/refcache.js');
  const { sha256Hex } = await import('/app/src/photo.js');
  const tpl = (await ref.all('template')).find((t) => t.data.family === 'dorm_hygiene');
  const rooms = (await ref.all('room')).filter((r) => r.data.kind === 'dorm');
  const canvas = document.createElement('canvas');
  canvas.width = 1280; canvas.height = 960;
  const ctx = canvas.getContext('2d');
  let bytes = 0;
  for (let i = 0; i < records; i += 1) {
    const answers = {};
    for (const item of tpl.data.items) {
      if (item.kind === 'deduction') answers[item.key] = { deduct: 0 };
      if (item.kind === 'pass_fail') answers[item.key] = { result: 'pass' };
    }
    answers.quilt = { deduct: i % 7 };
    const hashes = [];
    if (i < photos) {
      // A photo-like picture: gradients and noise, so the JPEG is the size of a real one.
      const g = ctx.createLinearGradient(0, 0, 1280, 960);
      g.addColorStop(0, `hsl(${i * 37 % 360} 40% 60%)`); g.addColorStop(1, `hsl(${i * 91 % 360} 30% 30%)`);
      ctx.fillStyle = g; ctx.fillRect(0, 0, 1280, 960);
      const img = ctx.getImageData(0, 0, 1280, 960);
      for (let p = 0; p < img.data.length; p += 4) {
        const n = (Math.random() - 0.5) * 14;
        img.data[p] += n; img.data[p + 1] += n; img.data[p + 2] += n;
      }
      ctx.putImageData(img, 0, 0);
      const blob = await new Promise((r) => canvas.toBlob(r, 'image/jpeg', 0.8));
      bytes += blob.size;
      const hash = await sha256Hex(blob);
      await outbox.savePhoto(hash, blob);
      hashes.push(hash);
      answers.quilt.photos = [hash];
      answers.quilt.deduct = 5;
    }
    const room = rooms[i % rooms.length];
    await outbox.enqueue({
      type: 'inspection', photos: hashes,
      data: { template_id: Number(tpl.id), room_id: Number(room.id), scanned: true, answers, note: null, photos: [] },
      summary: { title: tpl.data.name, subtitle: room.data.name },
    });
  }
  await (await import('/app/src/sync.js')).refreshPending(); // the badge, as after any queued record
  return { bytes, unsent: await outbox.unsent() };
}"""

SAMPLE = """() => ({ text: document.getElementById('sync-progress-text').textContent,
  shown: !document.getElementById('sync-progress').hidden, badge: document.getElementById('pending-badge').textContent,
  syncing: document.body.dataset.syncing })"""


def prepare(tmp: Path, url: str | None) -> tuple[str, object]:
    from flask_migrate import upgrade

    from server import create_app
    from server.extensions import db
    from server.models import Building, Room, Site
    from server.services import accounts, templates

    url = url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        upgrade()
        site = Site(code="bench", name="基准中学")
        db.session.add(site)
        db.session.flush()
        accounts.create_user(db.session, site, "bench.inspector", PASSWORD, ["inspector"],
                             hash_method="pbkdf2:sha256:1000")
        for n in range(1, 6):
            b = Building(site_id=site.id, name=f"{n}号宿舍楼", kind="dorm", floors=6)
            db.session.add(b)
            db.session.flush()
            db.session.add_all(Room(site_id=site.id, name=f"{n}-{f}{r:02d}", kind="dorm", building_id=b.id, floor=f)
                               for f in range(1, 7) for r in range(1, 11))
        templates.install_builtin(db.session, site.id)
        db.session.commit()
    return url, app


def counts(app) -> tuple[int, int]:
    from sqlalchemy import func, select

    from server.extensions import db
    from server.models import Inspection

    with app.app_context():
        inspections = db.session.scalar(select(func.count()).select_from(Inspection))
        db.session.remove()
    files = sum(1 for p in Path(app.config["ATTACHMENT_DIR"]).rglob("*") if p.is_file())
    return inspections, files


def run_once(records: int, photos: int) -> dict:
    from playwright.sync_api import sync_playwright

    from tests.pwa_support import CHROMIUM, CHROMIUM_ARGS, PHONE, ServerProcess

    with tempfile.TemporaryDirectory() as tmp:
        url, app = prepare(Path(tmp), os.environ.get("DATABASE_URL"))
        attachments = Path(tmp) / "attachments"
        app.config["ATTACHMENT_DIR"] = str(attachments)
        server = ServerProcess(url, str(attachments))
        server.start()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_context(**PHONE).new_page()
                page.set_default_timeout(120_000)
                page.goto(f"{server.url}/app/")
                page.fill("input[name=username]", "bench.inspector")
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_selector("#ref-counts:has-text('300 个房间')")
                page.wait_for_selector("body[data-syncing='0']", state="attached")
                server.stop()  # a day without signal
                t0 = time.perf_counter()
                filled = page.evaluate(FILL, [records, photos])
                fill_s = time.perf_counter() - t0
                server.start()
                samples = []
                t0 = time.perf_counter()
                page.click("#sync-btn")
                while True:
                    s = page.evaluate(SAMPLE)
                    samples.append((round(time.perf_counter() - t0, 2), s["text"] if s["shown"] else "", s["badge"]))
                    if s["syncing"] == "0" and s["badge"] == "0" and time.perf_counter() - t0 > 0.2:
                        break
                    time.sleep(0.25)
                elapsed = time.perf_counter() - t0
                left = page.evaluate("async () => (await import('/app/src/outbox.js')).unsent()")
            finally:
                browser.close()
                server.stop()
        stored, files = counts(app)
    return {"elapsed": elapsed, "fill": fill_s, "photo_mb": filled["bytes"] / 1e6, "stored": stored,
            "files": files, "left": left, "samples": samples}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=500)
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = [run_once(args.records, args.photos) for _ in range(args.runs)]
    for i, r in enumerate(results, 1):
        print(f"run {i}: {args.records} records + {args.photos} photos ({r['photo_mb']:.1f} MB) drained in "
              f"{r['elapsed']:.1f} s · server holds {r['stored']} inspections, {r['files']} photo files · "
              f"left on phone {r['left']} · outbox filled in {r['fill']:.1f} s")
        shown = [s for s in r["samples"] if s[1]]
        marks = shown[:: max(1, len(shown) // 6)] + shown[-1:]
        print("   progress seen:", "; ".join(f"{t}s {text} (badge {badge})" for t, text, badge in marks))
    print(f"drained in {Spread.of([r['elapsed'] for r in results]).format('{:.1f}', ' s')} "
          f"(median of {len(results)} runs, min–max); {machine()}")


if __name__ == "__main__":
    main()
