// App shell: session, router, service worker and its update prompt, sync badge and progress.
import { getSession, onAuthLost, setSession } from './api.js';
import { t, setLang, getLang } from './i18n.js';
import { stopScanner } from './scanner.js';
import { requestBackgroundSync, startAutoSync } from './autosync.js';
import { onSyncState, refreshPending, syncNow } from './sync.js';
import { toast } from './ui.js';
import * as views from './views/index.js';

const routes = [
  [/^\/login$/, views.login, { public: true }],
  [/^\/$/, views.home],
  [/^\/scan$/, views.scan],
  [/^\/label\/([^/]+)$/, views.label],
  [/^\/item\/(room|asset)\/([^/]+)$/, views.item],
  [/^\/inspect\/([^/]+)\/(room|asset)\/([^/]+)$/, views.inspect],
  [/^\/stocktake$/, views.stocktakeList],
  [/^\/stocktake\/([^/]+)$/, views.stocktake],
  [/^\/fixes$/, views.fixes],
  [/^\/fix\/([^/]+)$/, views.fix],
  [/^\/outbox$/, views.outboxView],
  [/^\/settings$/, views.settings],
];

export function navigate(hash) {
  if (window.location.hash === hash) route();
  else window.location.hash = hash;
}

async function route() {
  await stopScanner();
  const raw = window.location.hash.replace(/^#/, '') || '/';
  const [path, qs] = raw.split('?');
  const query = Object.fromEntries(new URLSearchParams(qs || ''));
  const session = await getSession();
  for (const [pattern, view, opts = {}] of routes) {
    const m = path.match(pattern);
    if (!m) continue;
    if (!session?.token && !opts.public) {
      sessionStorage.setItem('xunjian.after_login', raw);
      navigate('#/login');
      return;
    }
    showWho(session);
    await view({ params: m.slice(1).map(decodeURIComponent), query, session, navigate });
    return;
  }
  navigate('#/');
}

function showWho(session) {
  document.getElementById('who').textContent = session
    ? `${session.user.display_name || session.user.username}${session.user.site_name ? ` · ${session.user.site_name}` : ''}`
    : '';
}

let wasRunning = false;

function wireSyncBar() {
  const badge = document.getElementById('pending-badge');
  const bar = document.getElementById('sync-progress');
  const text = document.getElementById('sync-progress-text');
  document.getElementById('sync-btn').addEventListener('click', async () => {
    const state = await syncNow({ force: true });
    if (state.error?.kind === 'offline') toast(t('sync_offline'), 'warn');
    else if (state.error && state.error.kind !== 'auth') toast(t('sync_error', { msg: state.error.message }), 'warn');
    else if (!state.error) toast(t('sync_done'));
    window.dispatchEvent(new CustomEvent('xunjian:synced'));
  });
  document.getElementById('sync-btn').firstChild.textContent = `${t('sync_now')} `;
  onSyncState((state) => {
    badge.textContent = String(state.pending);
    badge.classList.toggle('zero', state.pending === 0);
    badge.setAttribute('aria-label', `${t('pending')}: ${state.pending}`);
    const showBar = state.running && state.total > 0;
    bar.hidden = !showBar;
    text.hidden = !showBar;
    if (showBar) {
      bar.max = state.total;
      bar.value = Math.min(state.done, state.total);
      text.textContent = t('syncing', { done: Math.min(state.done, state.total), total: state.total });
    }
    // Fresh data on the home screen once a sync is through (counts, fixes assigned meanwhile).
    if (wasRunning && !state.running && ['', '#', '#/'].includes(window.location.hash)) route();
    wasRunning = state.running;
    document.body.dataset.syncing = state.running ? '1' : '0';
    // Set once a sync has gone through: 'not syncing' alone is also true before the first one starts.
    if (state.lastSyncAt) document.body.dataset.lastSync = String(state.lastSyncAt);
  });
}

/**
 * The module worker (it sends the outbox on Background Sync with the app closed) where the browser
 * runs module service workers; else the classic one, which keeps the offline shell and the update
 * prompt and asks open pages to sync. A browser without them rejects the module registration (it
 * refuses the type, or fails to run the script's imports as a classic script), and the worker in
 * place, if any, stays until the classic registration replaces it. They are two URLs because a
 * registration's updates keep its type: phones holding the classic /sw.js must keep finding a
 * classic script there to update to this version at all.
 */
async function registerWorker() {
  try {
    return await navigator.serviceWorker.register('/sw-module.js', { type: 'module', scope: '/' });
  } catch (exc) {
    console.info('module service worker refused, using the classic one:', exc?.message || exc);
    return navigator.serviceWorker.register('/sw.js', { scope: '/' });
  }
}

/** A worker's build (its 'version' answer), or null from a worker too old to answer on a port. */
function versionOf(worker, timeoutMs = 2000) {
  if (!worker) return Promise.resolve(null);
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve(null), timeoutMs);
    channel.port1.onmessage = (event) => {
      clearTimeout(timer);
      resolve(event.data?.version ?? null);
    };
    worker.postMessage({ type: 'version' }, [channel.port2]);
  });
}

async function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  const reg = await registerWorker();
  const notice = document.getElementById('update-notice');
  const offer = async (worker) => {
    // The same build in the other kind of worker (classic → module, when the browser gains module
    // workers): the same files, nothing for the user to accept, so it takes over now, quietly.
    const [waiting, current] = await Promise.all([versionOf(worker), versionOf(navigator.serviceWorker.controller)]);
    if (worker.state !== 'installed') return; // gone on meanwhile: accepted in another tab, or replaced
    if (waiting && waiting === current) {
      worker.postMessage({ type: 'skip-waiting' });
      return;
    }
    document.getElementById('update-text').textContent = t('update_available');
    const btn = document.getElementById('update-btn');
    btn.textContent = t('update');
    notice.hidden = false;
    btn.onclick = () => worker.postMessage({ type: 'skip-waiting' });
  };
  const watch = (worker) => worker?.addEventListener('statechange', () => {
    if (worker.state === 'installed' && navigator.serviceWorker.controller) offer(worker);
  });
  if (reg.waiting && navigator.serviceWorker.controller) offer(reg.waiting);
  watch(reg.installing); // an update found while this page was loading
  reg.addEventListener('updatefound', () => watch(reg.installing));
  let reloading = false;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    // Only an accepted update reloads; the first install just takes control quietly.
    if (reloading || notice.hidden) return;
    reloading = true;
    window.location.reload();
  });
  // Look for a new version when the app comes back to the front.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') reg.update().catch(() => {});
  });
}

async function askPersistence() {
  try {
    if (navigator.storage?.persist && !(await navigator.storage.persisted())) {
      const granted = await navigator.storage.persist();
      document.body.dataset.persisted = granted ? '1' : '0';
    } else {
      document.body.dataset.persisted = '1';
    }
  } catch {
    document.body.dataset.persisted = '0';
  }
}

function openLabelLink() {
  // A printed label opened by the phone's camera app: /q/<code> → the item, offline too.
  const m = window.location.pathname.match(/^\/q\/([^/?#]+)/);
  if (m) window.history.replaceState(null, '', `/app/#/label/${encodeURIComponent(m[1])}?entry=link`);
}

async function start() {
  setLang(getLang());
  openLabelLink();
  wireSyncBar();
  onAuthLost(async () => {
    // Expired or revoked: forget the token only; the outbox and drafts stay for the next login.
    const session = await getSession();
    if (session) await setSession({ ...session, token: null, expired: true });
    sessionStorage.setItem('xunjian.after_login', window.location.hash.replace(/^#/, ''));
    navigate('#/login');
  });
  window.addEventListener('hashchange', route);
  window.addEventListener('xunjian:queued', async () => {
    await refreshPending();
    requestBackgroundSync();
    syncNow(); // online: lands in seconds; offline: fails quietly and the triggers above retry
  });
  await route();
  await refreshPending();
  registerServiceWorker().catch((exc) => console.warn('service worker', exc));
  askPersistence();
  startAutoSync();
  if ((await getSession())?.token) syncNow();
  document.body.dataset.ready = '1';
}

start();
