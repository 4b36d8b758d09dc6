// Background Sync in the classic worker (browsers without module service workers): the browser wakes
// us when the network is back, and the open app does the sending, because the data layer is ES
// modules a classic worker cannot load. With no page open nothing is sent until the app is opened.
self.addEventListener('sync', (event) => {
  if (event.tag !== 'xunjian-outbox') return;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window' });
    for (const client of windows) client.postMessage({ type: 'sync' });
  })());
});
