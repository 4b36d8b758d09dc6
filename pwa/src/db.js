// IndexedDB schema and its upgrade ladder, nothing else. Policy lives in outbox.js and sync.js.
// Each upgrade step is applied once, in order, so a phone that skipped versions still ends up right.
import { openDB, deleteDB } from '../node_modules/idb/build/index.js';

export const DB_NAME = 'xunjian';
export const DB_VERSION = 1;

export const STORES = Object.freeze({
  META: 'meta', // key → value: session, pull cursor, last sync
  REF: 'ref', // what the server sent by pull, keyed [type, id]
  OUTBOX: 'outbox', // records not yet answered by the server, keyed by uuid
  PHOTOS: 'photos', // resized photo blobs keyed by sha256, with an uploaded flag
  DRAFTS: 'drafts', // unfinished forms, so closing the app loses nothing
  JOURNAL: 'journal', // every record this phone made (kept after sync): stocktake progress, history
});

const UPGRADES = [
  // v1
  (db) => {
    db.createObjectStore(STORES.META);
    const ref = db.createObjectStore(STORES.REF, { keyPath: ['type', 'id'] });
    ref.createIndex('type', 'type');
    ref.createIndex('code', 'code'); // label code of labels (and of rooms/assets that carry one)
    const outbox = db.createObjectStore(STORES.OUTBOX, { keyPath: 'uuid' });
    outbox.createIndex('seq', 'seq');
    outbox.createIndex('state', 'state');
    const photos = db.createObjectStore(STORES.PHOTOS, { keyPath: 'hash' });
    photos.createIndex('state', 'state'); // draft → queued → uploaded (or bad)
    db.createObjectStore(STORES.DRAFTS, { keyPath: 'id' });
    const journal = db.createObjectStore(STORES.JOURNAL, { keyPath: 'uuid' });
    journal.createIndex('type', 'type');
  },
];

let opening = null;

/** The app's database, opened once and upgraded step by step. */
export function getDb() {
  if (!opening) {
    opening = openDB(DB_NAME, DB_VERSION, {
      upgrade(db, oldVersion) {
        for (let v = oldVersion; v < DB_VERSION; v += 1) UPGRADES[v](db);
      },
      blocking() {
        // A newer tab wants to upgrade: let it, this page reloads into the new version.
        opening?.then((db) => db.close());
        opening = null;
      },
    });
  }
  return opening;
}

/** Close and delete everything (only after outbox.js said nothing is unsent). */
export async function destroyDb() {
  if (opening) (await opening).close();
  opening = null;
  await deleteDB(DB_NAME);
}
