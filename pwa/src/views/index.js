// Views: each takes {params, query, session, navigate} and draws into <main>. Data comes from the
// data layer (refcache, outbox, lookup); views never touch IndexedDB or fetch directly.
export { login } from './login.js';
export { home, settings, outboxView } from './home.js';
export { scan, label, item } from './scan.js';
export { inspect } from './inspect.js';
export { stocktakeList, stocktake } from './stocktake.js';
export { fixes, fix } from './fixes.js';
