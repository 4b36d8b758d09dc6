// The sync loop: push due records in batches, upload photos by hash, then pull into the reference
// cache. One run at a time (Web Locks across tabs and the service worker where the browser has them).
// Every step writes its result to IndexedDB before the next network call, so a break anywhere resumes
// where it stopped. It runs in pages and in the module service worker (bgsync.js): no window,
// document or localStorage here or in what it imports; the page's triggers are in autosync.js.
import { api, ApiError, NetworkError, getSession } from './api.js';
import * as outbox from './outbox.js';
import { applyPullPage, getCursor, resetCache, setMeta } from './refcache.js';

/** The Background Sync tag the pages register and the service worker answers. */
export const SYNC_TAG = 'xunjian-outbox';
export const BATCH_SIZE = 50; // small enough for a progress step every second or two on a slow link
const PULL_LIMIT = 500;

const listeners = new Set();
let state = { running: false, phase: 'idle', done: 0, total: 0, error: null, lastSyncAt: null, pending: 0 };

export function onSyncState(fn) {
  listeners.add(fn);
  fn(state);
  return () => listeners.delete(fn);
}

function emit(patch) {
  state = { ...state, ...patch };
  for (const fn of listeners) fn(state);
}

/** The badge counts records waiting; their photos follow them (the outbox view lists both). */
export async function refreshPending() {
  const { records, photos } = await outbox.unsent();
  emit({ pending: records, photosPending: photos });
  return records;
}

let running = null;

/** Run one sync now (or join the one running). Resolves to the final state; never throws. */
export function syncNow({ force = false } = {}) {
  if (!running) {
    running = withLock(() => runOnce(force)).finally(() => {
      running = null;
    });
  }
  return running;
}

function withLock(fn) {
  // globalThis.navigator: a page's Navigator or the worker's WorkerNavigator; both have locks.
  const locks = globalThis.navigator?.locks;
  if (locks?.request) return locks.request('xunjian-sync', fn);
  return fn();
}

/** Another context (the service worker) finished a sync: show its time and the new pending count. */
export async function noteSyncElsewhere(lastSyncAt) {
  if (lastSyncAt && !state.running) emit({ lastSyncAt });
  await refreshPending();
}

async function runOnce(force) {
  const session = await getSession();
  if (!session?.token) return state;
  if (force) await outbox.makeAllDue();
  const due = (await outbox.dueRecords(Infinity)).length;
  const photos = (await outbox.photosToUpload()).length;
  emit({ running: true, phase: 'push', done: 0, total: due + photos, error: null });
  try {
    await pushAll(session);
    emit({ phase: 'photos' });
    await uploadPhotos();
    emit({ phase: 'pull' });
    await pullAll();
    const now = new Date().toISOString();
    await setMeta('last_sync', now);
    emit({ lastSyncAt: now });
  } catch (exc) {
    emit({ error: describe(exc) });
  } finally {
    emit({ running: false, phase: 'idle' });
    await refreshPending();
  }
  return state;
}

function describe(exc) {
  if (exc instanceof NetworkError) return { kind: 'offline', message: exc.message };
  if (exc instanceof ApiError) return { kind: exc.status === 401 ? 'auth' : 'server', code: exc.code, message: exc.message };
  return { kind: 'bug', message: String(exc?.message || exc) };
}

async function pushAll(session) {
  let size = BATCH_SIZE;
  for (;;) {
    const items = await outbox.dueRecords(size);
    if (!items.length) return;
    let answer;
    try {
      answer = await api.push(session.device_id, outbox.uuid7(), items.map(outbox.toWire));
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 413 && items.length > 1) {
        // The server says how many it takes (max_records); else a body too big: halve what was sent.
        const limit = Number(exc.details?.max_records);
        size = limit > 0 && limit < items.length ? limit : Math.max(1, Math.floor(items.length / 2));
        continue;
      }
      // No answer for these records: they stay pending, untouched, for the next run.
      throw exc;
    }
    const answered = new Set(answer.results.map((r) => r.uuid));
    const missing = items.filter((i) => !answered.has(i.uuid)).map((i) => i.uuid);
    await outbox.settle(answer.results);
    if (missing.length) await outbox.deferAll(missing, 'no_answer');
    emit({ done: state.done + items.length });
    await refreshPending();
  }
}

async function uploadPhotos() {
  for (const hash of await outbox.photosToUpload()) {
    const photo = await outbox.getPhoto(hash);
    if (!photo) continue;
    try {
      await api.putAttachment(hash, photo.blob);
      await outbox.markPhoto(hash, outbox.PHOTO.UPLOADED);
    } catch (exc) {
      if (exc instanceof ApiError && (exc.status === 422 || exc.status === 415 || exc.status === 413)) {
        await outbox.markPhoto(hash, outbox.PHOTO.BAD); // can never succeed as it is; kept on the phone
      } else {
        throw exc;
      }
    }
    emit({ done: state.done + 1 });
    await refreshPending();
  }
}

async function pullAll() {
  let cursor = await getCursor();
  for (let pages = 0; pages < 10_000; pages += 1) {
    let page;
    try {
      page = await api.pull(cursor, PULL_LIMIT);
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 410) {
        await resetCache();
        cursor = undefined;
        continue;
      }
      throw exc;
    }
    await applyPullPage(page);
    cursor = page.cursor;
    if (!page.has_more) return;
  }
}
