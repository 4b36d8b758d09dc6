// The outbox policy against an in-memory IndexedDB: an item leaves only when the server answered
// accepted or duplicate; rejected and conflict stay (final, shown); anything else is retried later.
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';

import { destroyDb } from '../src/db.js';
import * as outbox from '../src/outbox.js';

beforeEach(async () => {
  await destroyDb();
});

const queue = (n) => Promise.all(Array.from({ length: n }, (_, i) => outbox.enqueue({
  type: 'inspection', data: { i }, summary: { title: `r${i}` },
})));

test('records come out oldest first with their uuid and device time', async () => {
  await queue(3);
  const due = await outbox.dueRecords(10);
  assert.equal(due.length, 3);
  assert.deepEqual(due.map((r) => r.seq), [1, 2, 3]);
  const wire = outbox.toWire(due[0]);
  assert.deepEqual(Object.keys(wire).sort(), ['base_version', 'data', 'recorded_at', 'type', 'uuid']);
  assert.match(wire.recorded_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
  assert.match(wire.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('record ids are version 7: the time they were made first, so later ids sort after earlier ones', () => {
  const made = Date.UTC(2026, 10, 26, 8, 30);
  const id = outbox.uuid7(made);
  assert.equal(parseInt(id.replace(/-/g, '').slice(0, 12), 16), made);
  const later = [1, 2, 1000, 86_400_000].map((ms) => outbox.uuid7(made + ms));
  assert.deepEqual([...later].sort(), later);
  assert.ok(later.every((u) => u > id));
  assert.notEqual(outbox.uuid7(made), outbox.uuid7(made));
});

test('only accepted and duplicate remove an item; rejected and conflict stay, final', async () => {
  await queue(5);
  const [a, b, c, d, e] = await outbox.dueRecords(10);
  const counts = await outbox.settle([
    { uuid: a.uuid, status: 'accepted' },
    { uuid: b.uuid, status: 'duplicate' },
    { uuid: c.uuid, status: 'rejected', errors: { answers: ['missing'] } },
    { uuid: d.uuid, status: 'conflict', server_version: 4 },
    { uuid: e.uuid, status: 'retry' },
  ], 1000);
  assert.deepEqual(counts, { stored: 2, rejected: 1, conflict: 1, retry: 1 });
  const left = await outbox.listOutbox();
  assert.deepEqual(left.map((r) => r.state), ['rejected', 'conflict', 'pending']);
  assert.deepEqual(left[0].errors, { answers: ['missing'] });
  // The retried one waits for its backoff; the final ones are never sent again.
  assert.equal((await outbox.dueRecords(10, 1000)).length, 0);
  assert.deepEqual((await outbox.dueRecords(10, 1000 + outbox.backoffMs(1))).map((r) => r.uuid), [e.uuid]);
  assert.equal((await outbox.unsent()).records, 1);
  const journal = await outbox.journal('inspection');
  assert.equal(journal.filter((j) => j.state === 'stored').length, 2);
});

test('a batch without an answer is kept whole and made due again by sync now', async () => {
  await queue(2);
  const due = await outbox.dueRecords(10);
  await outbox.deferAll(due.map((r) => r.uuid), 'offline', 0);
  assert.equal((await outbox.dueRecords(10, 0)).length, 0);
  await outbox.makeAllDue();
  assert.equal((await outbox.dueRecords(10, 0)).length, 2);
});

test('photos upload only once a queued record names them, and export carries them', async () => {
  const blob = new Blob([new Uint8Array([0xff, 0xd8, 0xff, 0xd9])], { type: 'image/jpeg' });
  await outbox.savePhoto('aa'.repeat(32), blob);
  await outbox.savePhoto('bb'.repeat(32), blob);
  assert.deepEqual(await outbox.photosToUpload(), []);
  await outbox.saveDraft({ id: 'd1', state: {} });
  await outbox.enqueue({ type: 'inspection', data: { photos: ['aa'.repeat(32)] }, photos: ['aa'.repeat(32)], draftId: 'd1' });
  assert.equal(await outbox.getDraft('d1'), undefined);
  assert.deepEqual(await outbox.photosToUpload(), ['aa'.repeat(32)]);
  assert.equal((await outbox.unsent()).total, 2);
  const dump = await outbox.exportUnsent();
  assert.equal(dump.records.length, 1);
  assert.equal(dump.photos.length, 1);
  assert.equal(dump.photos[0].data_url, 'data:image/jpeg;base64,/9j/2Q==');
  await outbox.markPhoto('aa'.repeat(32), outbox.PHOTO.UPLOADED);
  assert.deepEqual(await outbox.photosToUpload(), []);
});
