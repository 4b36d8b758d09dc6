// Background Sync in the module service worker (src/bgsync.js), run here as the worker runs it: no
// window, document or localStorage, the token from IndexedDB, the Web Lock from navigator.locks.
// With no page in front the worker sends the outbox itself; a page in front is asked instead; a sync
// that finds no network fails the event so the browser fires it again later.
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';

import { setSession } from '../src/api.js';
import { onBackgroundSync } from '../src/bgsync.js';
import { destroyDb } from '../src/db.js';
import * as outbox from '../src/outbox.js';

const locks = [];
let held = Promise.resolve();
// A one-holder lock manager, like the browser's: requests for a name run one after another.
Object.defineProperty(globalThis, 'navigator', {
  configurable: true,
  value: {
    locks: {
      request(name, fn) {
        locks.push(name);
        const run = held.then(() => fn());
        held = run.catch(() => {});
        return run;
      },
    },
  },
});

let calls;
let online;

function reply(status, body) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

globalThis.fetch = async (url, init = {}) => {
  if (!online) throw new TypeError('Failed to fetch');
  const path = new URL(url, 'http://phone.test').pathname;
  calls.push({ method: init.method || 'GET', path, auth: init.headers?.Authorization });
  if (path === '/api/v1/sync/push') {
    const { records } = JSON.parse(init.body);
    return reply(200, { results: records.map((r) => ({ uuid: r.uuid, status: 'accepted' })) });
  }
  if (init.method === 'PUT') return reply(201, {});
  return reply(200, { cursor: 'c1', has_more: false, changes: [], deleted: [] });
};

function fakeClients(...visibility) {
  const windows = visibility.map((v) => ({ visibilityState: v, got: [], postMessage(m) { this.got.push(m); } }));
  return { windows, matchAll: async (opts) => (opts?.type === 'window' ? windows : []) };
}

beforeEach(async () => {
  await destroyDb();
  await setSession({ token: 'tok', device_id: 7, user: { id: 1, username: 'zhang' } });
  calls = [];
  locks.length = 0;
  online = true;
});

test('the worker runs with no window, document or localStorage', () => {
  for (const name of ['window', 'document', 'localStorage', 'sessionStorage']) {
    assert.equal(typeof globalThis[name], 'undefined', name);
  }
});

test('app closed: the worker sends the outbox itself, under the shared lock, with the stored token', async () => {
  const hash = 'a'.repeat(64);
  await outbox.savePhoto(hash, new Blob([new Uint8Array([0xff, 0xd8, 1])], { type: 'image/jpeg' }));
  await outbox.enqueue({ type: 'stocktake_scan', data: { n: 1 }, photos: [hash] });
  await outbox.enqueue({ type: 'stocktake_scan', data: { n: 2 } });
  // Failed tries while offline put the records into backoff; the network coming back sends them now.
  await outbox.deferAll((await outbox.listOutbox()).map((i) => i.uuid), 'no_answer');
  const clients = fakeClients();
  const result = await onBackgroundSync(clients);
  assert.equal(result.by, 'worker');
  assert.deepEqual(calls.map((c) => `${c.method} ${c.path}`),
    ['POST /api/v1/sync/push', `PUT /api/v1/attachments/${hash}`, 'GET /api/v1/sync/pull']);
  assert.ok(calls.every((c) => c.auth === 'Bearer tok'));
  assert.deepEqual(locks, ['xunjian-sync']);
  assert.deepEqual(await outbox.unsent(), { records: 0, photos: 0, total: 0 });
});

test('pages only in the background: the worker syncs and tells them afterwards', async () => {
  await outbox.enqueue({ type: 'stocktake_scan', data: { n: 1 } });
  const clients = fakeClients('hidden');
  await onBackgroundSync(clients);
  assert.equal((await outbox.unsent()).records, 0);
  const [message] = clients.windows[0].got;
  assert.equal(message.type, 'synced');
  assert.match(message.lastSyncAt, /^\d{4}-\d\d-\d\dT/);
});

test('a page in front is asked to sync (its progress bar shows), the worker sends nothing', async () => {
  await outbox.enqueue({ type: 'stocktake_scan', data: { n: 1 } });
  const clients = fakeClients('visible', 'hidden');
  const result = await onBackgroundSync(clients);
  assert.equal(result.by, 'page');
  assert.deepEqual(calls, []);
  assert.deepEqual(clients.windows.map((w) => w.got), [[{ type: 'sync' }], [{ type: 'sync' }]]);
  assert.equal((await outbox.unsent()).records, 1);
});

test('no network yet: the event fails so the browser tries again, and the outbox is kept', async () => {
  await outbox.enqueue({ type: 'stocktake_scan', data: { n: 1 } });
  online = false;
  await assert.rejects(onBackgroundSync(fakeClients()), /background sync/);
  assert.equal((await outbox.unsent()).records, 1);
  online = true;
  await onBackgroundSync(fakeClients());
  assert.equal((await outbox.unsent()).records, 0);
});

test('one sync at a time: a page sync and the worker sync never overlap', async () => {
  await outbox.enqueue({ type: 'stocktake_scan', data: { n: 1 } });
  // A second instance of sync.js, as a page holds beside the worker's: only the lock keeps them apart.
  const { syncNow } = await import('../src/sync.js?page');
  let inside = 0;
  let most = 0;
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (...args) => {
    inside += 1;
    most = Math.max(most, inside);
    await new Promise((r) => setTimeout(r, 5));
    try {
      return await realFetch(...args);
    } finally {
      inside -= 1;
    }
  };
  try {
    await Promise.all([onBackgroundSync(fakeClients()), syncNow()]);
  } finally {
    globalThis.fetch = realFetch;
  }
  assert.deepEqual(locks, ['xunjian-sync', 'xunjian-sync']);
  assert.equal(most, 1);
  assert.equal(calls.filter((c) => c.path === '/api/v1/sync/push').length, 1);
});
