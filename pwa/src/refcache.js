// The reference cache: what the server sent by pull (rooms, assets, templates, actions, labels,
// stocktakes), read by the views offline. Writes happen only in applyPullPage (called by sync.js).
import { getDb, STORES } from './db.js';

const key = (type, id) => [type, String(id)];

/** Store one pull page and its cursor in one transaction, so a crash never skips a change. */
export async function applyPullPage(page) {
  const db = await getDb();
  const tx = db.transaction([STORES.REF, STORES.META], 'readwrite');
  const ref = tx.objectStore(STORES.REF);
  for (const change of page.changes || []) {
    const entry = { type: change.type, id: String(change.id), version: change.version, data: change.data || {} };
    const code = change.data?.code ?? change.data?.label_code;
    if (typeof code === 'string' && code) entry.code = code;
    await ref.put(entry);
  }
  for (const gone of page.deleted || []) await ref.delete(key(gone.type, gone.id));
  await tx.objectStore(STORES.META).put(page.cursor, 'cursor');
  await tx.done;
}

/** The server forgot our cursor (410 reset_required): drop the cache and pull from scratch. */
export async function resetCache() {
  const db = await getDb();
  const tx = db.transaction([STORES.REF, STORES.META], 'readwrite');
  await tx.objectStore(STORES.REF).clear();
  await tx.objectStore(STORES.META).delete('cursor');
  await tx.done;
}

export async function getCursor() {
  return (await getDb()).get(STORES.META, 'cursor');
}

export async function get(type, id) {
  if (id === null || id === undefined) return undefined;
  return (await getDb()).get(STORES.REF, key(type, id));
}

export async function all(type) {
  return (await getDb()).getAllFromIndex(STORES.REF, 'type', type);
}

export async function count(type) {
  return (await getDb()).countFromIndex(STORES.REF, 'type', type);
}

export async function byCode(code) {
  return (await getDb()).getAllFromIndex(STORES.REF, 'code', code);
}

export async function getMeta(name) {
  return (await getDb()).get(STORES.META, name);
}

export async function setMeta(name, value) {
  return (await getDb()).put(STORES.META, value, name);
}
