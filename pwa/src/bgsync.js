// What the module service worker does on a Background Sync event (sw-module.js calls it). It runs
// in the worker, so nothing here or in what it imports may touch window, document or localStorage:
// the token comes from IndexedDB (api.js), the lock from navigator.locks, which workers have too.
import { syncNow } from './sync.js';

/**
 * A page in front shows the sync's progress, so it is asked to run it (the classic worker's way).
 * Otherwise (the app closed, or only in the background) the worker runs the sync itself and tells
 * any hidden page afterwards, so its badge is right when it comes back. A sync that found no network
 * or a failing server throws, which tells the browser to fire the event again later.
 */
export async function onBackgroundSync(clients) {
  const windows = await clients.matchAll({ type: 'window' });
  if (windows.some((c) => c.visibilityState === 'visible')) {
    for (const client of windows) client.postMessage({ type: 'sync' });
    return { by: 'page' };
  }
  // Like the page's `online` event: the network is back, so records waiting out a backoff go now.
  const state = await syncNow({ force: true });
  for (const client of windows) client.postMessage({ type: 'synced', lastSyncAt: state.lastSyncAt });
  if (state.error?.kind === 'offline') throw new Error(`background sync: ${state.error.message}`);
  return { by: 'worker', state };
}
