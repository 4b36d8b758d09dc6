// Service worker, the shell part: the app shell and its libraries from a versioned cache, so the app
// opens with no network. The server puts `self.XJ_BUILD = {version, precache}` in front of this file
// (server/pwa.py), so every change of the app is a new worker, installed beside the old one and
// activated when the user accepts "update available" (never mid-form without asking).
//
// This file is shared by the two workers the server builds from it, and is valid as both a classic
// script and a module (no import, no export, no top-level `this`):
//   /sw-module.js = build + this + sw-module.js   module worker: Background Sync drains the outbox here
//   /sw.js        = build + this + sw-classic.js  classic worker: browsers without module workers, and
//                                                 phones that installed the app before the module one
/* global self, caches, clients */
const BUILD = self.XJ_BUILD || { version: 'dev', precache: [] };
const CACHE_PREFIX = 'xunjian-shell-';
const CACHE = CACHE_PREFIX + BUILD.version;
const SHELL = '/app/';

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // cache: 'reload' skips the HTTP cache, so a new version never precaches an old file.
    await cache.addAll(BUILD.precache.map((url) => new Request(url, { cache: 'reload' })));
    const existing = self.registration.active;
    // First install: nothing to replace, take over now. (The same build in the other kind of worker,
    // classic → module, is told to skip waiting by the page that registered it: main.js.)
    if (!existing) await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(CACHE_PREFIX) && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data?.type === 'skip-waiting') self.skipWaiting();
  if (event.data?.type === 'version') {
    (event.ports[0] || event.source)?.postMessage({ type: 'version', version: BUILD.version });
  }
});

function isAppNavigation(url, request) {
  return request.mode === 'navigate' && (url.pathname === '/app' || url.pathname.startsWith('/app/')
    || url.pathname.startsWith('/q/'));
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (isAppNavigation(url, request)) {
    // /app/... and printed labels' /q/<code>: the same shell, which reads its route from the URL.
    event.respondWith(fromCache(SHELL, request));
    return;
  }
  if (url.pathname.startsWith('/app/')) {
    event.respondWith(fromCache(url.pathname, request));
  }
  // Everything else (the API, the console) goes to the network untouched.
});

async function fromCache(key, request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(key);
  if (hit) return hit;
  return fetch(request);
}
