// Background Sync in the module worker: the worker imports the app's data layer and drains the
// outbox itself, so records leave the phone when the network is back even with the app closed.
// One sync at a time across the pages and this worker: sync.js takes the same Web Lock everywhere.
import { onBackgroundSync } from '/app/src/bgsync.js';
import { SYNC_TAG } from '/app/src/sync.js';

self.addEventListener('sync', (event) => {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil(onBackgroundSync(self.clients));
});
