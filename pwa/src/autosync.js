// The page's sync triggers (window-only, so apart from sync.js, which the service worker imports too):
// `online`, every minute while visible, coming back to the front, the service worker's word, and the
// Background Sync registration that lets the worker send the outbox after the app is closed.
import { noteSyncElsewhere, SYNC_TAG, syncNow } from './sync.js';

/** Ask for a Background Sync so the outbox drains when the network is back, even with the app closed. */
export async function requestBackgroundSync() {
  try {
    const reg = await navigator.serviceWorker?.ready;
    if (reg?.sync) await reg.sync.register(SYNC_TAG);
  } catch {
    // Not offered by this browser (Safari, Firefox) or not allowed: the page syncs by itself.
  }
}

let timer = null;
/** Sync on `online`, periodically while the page is visible, and when the service worker asks. */
export function startAutoSync(intervalMs = 60_000) {
  window.addEventListener('online', () => syncNow({ force: true }));
  navigator.serviceWorker?.addEventListener('message', (event) => {
    if (event.data?.type === 'sync') syncNow();
    // The worker sent the outbox while this page was in the background.
    if (event.data?.type === 'synced') noteSyncElsewhere(event.data.lastSyncAt);
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') syncNow();
  });
  if (timer) clearInterval(timer);
  timer = setInterval(() => {
    if (document.visibilityState === 'visible') syncNow();
  }, intervalMs);
}
