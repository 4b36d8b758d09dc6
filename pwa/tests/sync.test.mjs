// The sync loop against a scripted server (fetch replaced): photos resume after a break, a batch
// without an answer stays whole, 413 halves the batch, and a pull page is stored with its cursor.
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';

import { setSession } from '../src/api.js';
import { destroyDb } from '../src/db.js';
import * as outbox from '../src/outbox.js';
import * as ref from '../src/refcache.js';
import { syncNow } from '../src/sync.js';

let calls;
let script;

function reply(status, body) {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status, headers: { 'Content-Type': 'application/json' },
  });
}

globalThis.fetch = async (url, init = {}) => {
  const path = new URL(url, 'http://phone.test').pathname;
  const call = { method: init.method || 'GET', path, body: init.body };
  calls.push(call);
  return script(call);
};

const emptyPull = () => reply(200, { cursor: 'c1', has_more: false, changes: [], deleted: [] });
const accept = (call) => reply(200, {
  results: JSON.parse(call.body).records.map((r) => ({ uuid: r.uuid, status: 'accepted' })),
});

beforeEach(async () => {
  await destroyDb();
  await setSession({ token: 't', device_id: 7, user: { id: 1, username: 'zhang' } });
  calls = [];
});

async function queueWithPhotos(n) {
  for (let i = 0; i < n; i += 1) {
    const hash = String(i).repeat(64).slice(0, 64);
    await outbox.savePhoto(hash, new Blob([new Uint8Array([0xff, 0xd8, i])], { type: 'image/jpeg' }));
    await outbox.enqueue({ type: 'inspection', data: { i }, photos: [hash] });
  }
}

test('photos resume after a break: the ones uploaded are not sent again', async () => {
  await queueWithPhotos(3);
  let puts = 0;
  script = (call) => {
    if (call.path === '/api/v1/sync/push') return accept(call);
    if (call.method === 'PUT') {
      puts += 1;
      if (puts === 2) throw new TypeError('connection reset'); // the lift door closes
      return reply(201, {});
    }
    return emptyPull();
  };
  const first = await syncNow();
  assert.equal(first.error.kind, 'offline');
  assert.deepEqual(await outbox.unsent(), { records: 0, photos: 2, total: 2 });
  calls = [];
  const second = await syncNow();
  assert.equal(second.error, null);
  const uploaded = calls.filter((c) => c.method === 'PUT').map((c) => c.path);
  assert.equal(uploaded.length, 2);
  assert.ok(!uploaded.includes(`/api/v1/attachments/${'0'.repeat(64)}`));
  assert.deepEqual(await outbox.unsent(), { records: 0, photos: 0, total: 0 });
  assert.equal(await ref.getCursor(), 'c1');
});

test('a push without an answer keeps every record; 413 halves the batch', async () => {
  for (let i = 0; i < 12; i += 1) await outbox.enqueue({ type: 'inspection', data: { i } });
  script = () => reply(503, { error: { code: 'unavailable', message: 'proxy' } });
  const down = await syncNow();
  assert.equal(down.error.kind, 'offline');
  assert.equal((await outbox.unsent()).records, 12);

  const sizes = [];
  script = (call) => {
    if (call.path !== '/api/v1/sync/push') return emptyPull();
    const n = JSON.parse(call.body).records.length;
    sizes.push(n);
    if (n > 10) return reply(413, { error: { code: 'too_large', message: 'at most 10', details: { max_records: 10 } } });
    return accept(call);
  };
  const up = await syncNow({ force: true });
  assert.equal(up.error, null);
  assert.equal(sizes[0], 12);
  assert.ok(sizes.slice(1).every((n) => n <= 10));
  assert.equal((await outbox.unsent()).records, 0);
});

test('a forgotten cursor (410) pulls from scratch and keeps the outbox', async () => {
  await outbox.enqueue({ type: 'inspection', data: {} });
  await ref.applyPullPage({ cursor: 'old', changes: [{ type: 'room', id: 1, version: 1, data: { name: 'gone' } }] });
  script = (call) => {
    if (call.path === '/api/v1/sync/push') return reply(200, { results: [] }); // answered nothing
    const url = new URL(`http://x${call.path}`);
    if (calls.filter((c) => c.path === '/api/v1/sync/pull').length === 1) {
      return reply(410, { error: { code: 'reset_required', message: 'too old' } });
    }
    return reply(200, { cursor: 'fresh', has_more: false, deleted: [],
      changes: [{ type: 'room', id: 2, version: 3, data: { name: '101' } }], url: url.pathname });
  };
  await syncNow();
  assert.deepEqual((await ref.all('room')).map((r) => r.data.name), ['101']);
  assert.equal(await ref.getCursor(), 'fresh');
  assert.equal((await outbox.unsent()).records, 1); // no answer for it: still here
});
