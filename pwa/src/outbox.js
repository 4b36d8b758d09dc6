// The outbox: records made on the phone wait here until the server has answered for each one.
// Policy (what an answer means, when to try again) is here; the schema is in db.js; the network
// is in sync.js. No function here awaits the network inside a transaction: reads finish, the
// caller talks to the server, then a new transaction records the answer.
import { getDb, STORES } from './db.js';

export const STATE = Object.freeze({
  PENDING: 'pending', // to send (again)
  REJECTED: 'rejected', // final: the server said why; kept to show the inspector
  CONFLICT: 'conflict', // final: the server kept both versions for an admin
});
export const PHOTO = Object.freeze({ DRAFT: 'draft', QUEUED: 'queued', UPLOADED: 'uploaded', BAD: 'bad' });

const STORED = new Set(['accepted', 'duplicate']);
const BACKOFF_BASE_MS = 5_000;
const BACKOFF_MAX_MS = 10 * 60_000;

/**
 * A record id: UUID version 7 (RFC 9562), milliseconds since the epoch first, then random bits.
 * Time-ordered ids land at the end of the server's unique indexes, in a page or two per batch,
 * instead of one random page per record (sync/ids.py makes the same for the Python client).
 */
export function uuid7(now = Date.now()) {
  const b = crypto.getRandomValues(new Uint8Array(16));
  let ms = now;
  for (let i = 5; i >= 0; i -= 1) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** RFC 3339 with the phone's own offset, as the contract wants for recorded_at. */
export function localTimestamp(date = new Date()) {
  const pad = (n) => String(Math.abs(n)).padStart(2, '0');
  const off = -date.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:`
    + `${pad(date.getMinutes())}:${pad(date.getSeconds())}${sign}${pad(Math.trunc(off / 60))}:${pad(off % 60)}`;
}

export function backoffMs(attempts) {
  return Math.min(BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1), BACKOFF_MAX_MS);
}

/** Keep a resized photo (blob + sha256); it is uploaded only once a queued record names it. */
export async function savePhoto(hash, blob) {
  const db = await getDb();
  const existing = await db.get(STORES.PHOTOS, hash);
  if (!existing) {
    await db.put(STORES.PHOTOS, { hash, blob, mime: blob.type, state: PHOTO.DRAFT, created_at: Date.now() });
  }
  return hash;
}

export async function getPhoto(hash) {
  return (await getDb()).get(STORES.PHOTOS, hash);
}

/**
 * Queue one record. `summary` is what lists show ({title, subtitle}); it is never sent.
 * The record, its journal entry, its photos' state and its draft change in one transaction.
 */
export async function enqueue({ type, data, baseVersion = null, summary = {}, photos = [], draftId = null }) {
  const db = await getDb();
  const stores = [STORES.OUTBOX, STORES.JOURNAL, STORES.PHOTOS, STORES.META, STORES.DRAFTS];
  const tx = db.transaction(stores, 'readwrite');
  // The draft goes in the same transaction: a crash can never leave both a record and its draft.
  if (draftId) await tx.objectStore(STORES.DRAFTS).delete(draftId);
  const seq = ((await tx.objectStore(STORES.META).get('outbox_seq')) || 0) + 1;
  await tx.objectStore(STORES.META).put(seq, 'outbox_seq');
  const record = {
    uuid: uuid7(),
    seq,
    type,
    recorded_at: localTimestamp(),
    base_version: baseVersion,
    data,
    photos,
    summary,
    state: STATE.PENDING,
    attempts: 0,
    next_try_at: 0,
  };
  await tx.objectStore(STORES.OUTBOX).put(record);
  await tx.objectStore(STORES.JOURNAL).put({
    uuid: record.uuid, type, recorded_at: record.recorded_at, data, summary, state: 'queued',
  });
  for (const hash of photos) {
    const photo = await tx.objectStore(STORES.PHOTOS).get(hash);
    if (photo && photo.state === PHOTO.DRAFT) {
      await tx.objectStore(STORES.PHOTOS).put({ ...photo, state: PHOTO.QUEUED });
    }
  }
  await tx.done;
  return record;
}

/** The wire form of an outbox item (contract: Push). */
export function toWire(item) {
  return {
    uuid: item.uuid,
    type: item.type,
    recorded_at: item.recorded_at,
    base_version: item.base_version,
    data: item.data,
  };
}

/** Up to `limit` records due for sending, oldest first. */
export async function dueRecords(limit, now = Date.now()) {
  const db = await getDb();
  const out = [];
  let cursor = await db.transaction(STORES.OUTBOX).store.index('seq').openCursor();
  while (cursor && out.length < limit) {
    const item = cursor.value;
    if (item.state === STATE.PENDING && item.next_try_at <= now) out.push(item);
    cursor = await cursor.continue();
  }
  return out;
}

/**
 * Record the server's answers. accepted/duplicate: gone from the outbox. rejected/conflict: kept,
 * final, shown with the reason. Anything else (the server asked to retry): kept with a backoff.
 * Returns counts per outcome.
 */
export async function settle(results, now = Date.now()) {
  const db = await getDb();
  const tx = db.transaction([STORES.OUTBOX, STORES.JOURNAL], 'readwrite');
  const counts = { stored: 0, rejected: 0, conflict: 0, retry: 0 };
  for (const result of results) {
    const item = await tx.objectStore(STORES.OUTBOX).get(result.uuid);
    if (!item) continue;
    const journal = await tx.objectStore(STORES.JOURNAL).get(result.uuid);
    if (STORED.has(result.status)) {
      await tx.objectStore(STORES.OUTBOX).delete(result.uuid);
      if (journal) await tx.objectStore(STORES.JOURNAL).put({ ...journal, state: 'stored' });
      counts.stored += 1;
    } else if (result.status === STATE.REJECTED || result.status === STATE.CONFLICT) {
      await tx.objectStore(STORES.OUTBOX).put({
        ...item, state: result.status, errors: result.errors || {}, server_version: result.server_version ?? null,
      });
      if (journal) await tx.objectStore(STORES.JOURNAL).put({ ...journal, state: result.status });
      counts[result.status] += 1;
    } else {
      const attempts = item.attempts + 1;
      await tx.objectStore(STORES.OUTBOX).put({
        ...item, attempts, next_try_at: now + backoffMs(attempts), last_error: result.status,
        errors: result.errors || {},
      });
      counts.retry += 1;
    }
  }
  await tx.done;
  return counts;
}

/** A whole batch could not be answered (network, 5xx): nothing is lost, try again later. */
export async function deferAll(uuids, reason, now = Date.now()) {
  const db = await getDb();
  const tx = db.transaction(STORES.OUTBOX, 'readwrite');
  for (const uuid of uuids) {
    const item = await tx.store.get(uuid);
    if (item) {
      const attempts = item.attempts + 1;
      await tx.store.put({ ...item, attempts, next_try_at: now + backoffMs(attempts), last_error: reason });
    }
  }
  await tx.done;
}

/** Make every pending record due now (the "立即同步" button, or coming back online). */
export async function makeAllDue() {
  const db = await getDb();
  const tx = db.transaction(STORES.OUTBOX, 'readwrite');
  let cursor = await tx.store.openCursor();
  while (cursor) {
    if (cursor.value.state === STATE.PENDING && cursor.value.next_try_at) {
      await cursor.update({ ...cursor.value, next_try_at: 0 });
    }
    cursor = await cursor.continue();
  }
  await tx.done;
}

export async function listOutbox() {
  return (await getDb()).getAllFromIndex(STORES.OUTBOX, 'seq');
}

export async function dismiss(uuid) {
  const db = await getDb();
  const item = await db.get(STORES.OUTBOX, uuid);
  if (item && item.state !== STATE.PENDING) await db.delete(STORES.OUTBOX, uuid);
}

export async function photosToUpload() {
  return (await getDb()).getAllKeysFromIndex(STORES.PHOTOS, 'state', PHOTO.QUEUED);
}

export async function markPhoto(hash, state) {
  const db = await getDb();
  const tx = db.transaction(STORES.PHOTOS, 'readwrite');
  const photo = await tx.store.get(hash);
  if (photo) await tx.store.put({ ...photo, state });
  await tx.done;
}

/** What still has to reach the server: pending records and photos not yet uploaded. */
export async function unsent() {
  const db = await getDb();
  const records = await db.countFromIndex(STORES.OUTBOX, 'state', STATE.PENDING);
  const photos = await db.countFromIndex(STORES.PHOTOS, 'state', PHOTO.QUEUED);
  return { records, photos, total: records + photos };
}

export async function journal(type) {
  const db = await getDb();
  return type ? db.getAllFromIndex(STORES.JOURNAL, 'type', type) : db.getAll(STORES.JOURNAL);
}

async function blobToDataUrl(blob) {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return `data:${blob.type || 'application/octet-stream'};base64,${btoa(binary)}`;
}

/** Everything not yet stored by the server, as one JSON file: the last resort before wiping a phone. */
export async function exportUnsent() {
  const items = await listOutbox();
  const db = await getDb();
  const photos = [];
  const wanted = new Set(items.flatMap((i) => i.photos || []));
  for (const hash of await photosToUpload()) wanted.add(hash);
  for (const hash of wanted) {
    const photo = await db.get(STORES.PHOTOS, hash);
    if (photo && photo.state !== PHOTO.UPLOADED) {
      photos.push({ sha256: hash, content_type: photo.mime, data_url: await blobToDataUrl(photo.blob) });
    }
  }
  const session = await db.get(STORES.META, 'session');
  return {
    format: 'xunjian-outbox-export/1',
    exported_at: localTimestamp(),
    device_id: session?.device_id ?? null,
    user: session?.user?.username ?? null,
    records: items.map((i) => ({ ...toWire(i), state: i.state, errors: i.errors || null })),
    photos,
  };
}

export async function getDraft(id) {
  return (await getDb()).get(STORES.DRAFTS, id);
}

export async function saveDraft(draft) {
  return (await getDb()).put(STORES.DRAFTS, { ...draft, saved_at: Date.now() });
}

export async function deleteDraft(id) {
  return (await getDb()).delete(STORES.DRAFTS, id);
}
