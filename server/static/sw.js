/* idtool service worker: lets the phone page open with no network, so photos queued
 * offline (IndexedDB, see queue.js) can be seen and are sent when the network returns.
 *
 * Served by the Flask route GET /sw.js (scope "/"), which replaces the version marker
 * below with a hash of the shell files (and the list of them): any change to the page, a module or style.css
 * makes a new worker, which precaches the new shell and deletes the old caches.
 *
 * What it does:
 *  - app shell (/ and the page's files, the ES modules and style.css): cache first, refreshed from the
 *    network in the background (the next load gets the new copy);
 *  - GET /api/v1/vocabularies (the country/purpose/source pickers; it needs the officer's
 *    token, so it cannot be precached at install): network first, last good answer kept
 *    for offline starts. It is the same list for every officer, nothing personal;
 *  - everything else, all POSTs and every other API answer (records, thumbnails) goes
 *    straight to the network and is never cached.
 */
"use strict";

const SHELL_VERSION = "__SHELL_VERSION__";
const SHELL_CACHE = "idtool-shell-" + SHELL_VERSION;
const DATA_CACHE = "idtool-data-v1";
// the page and every file in server/static (but this worker): filled in by the server
const SHELL = __SHELL_FILES__;
const OFFLINE_DATA = ["/api/v1/vocabularies"];

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    // cache: "reload" skips the HTTP cache (static files carry max-age=3600).
    await cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const keep = new Set([SHELL_CACHE, DATA_CACHE]);
    for (const name of await caches.keys()) {
      if (name.startsWith("idtool-") && !keep.has(name)) await caches.delete(name);
    }
    await self.clients.claim(); // control the page that registered us, without a reload
  })());
});

function cacheable(response) {
  return response && response.ok && response.type === "basic";
}

/* Cache first; the network copy replaces the cached one for next time. */
async function shellFirst(event, key) {
  const cache = await caches.open(SHELL_CACHE);
  const cached = await cache.match(key, { ignoreSearch: true });
  const refresh = fetch(key, { cache: "no-cache", credentials: "same-origin" })
    .then(async (response) => {
      if (cacheable(response)) await cache.put(key, response.clone());
      return response;
    })
    .catch(() => null);
  if (cached) {
    event.waitUntil(refresh);
    return cached;
  }
  const fresh = await refresh;
  return fresh || Response.error();
}

/* Network first; the last good answer is kept for offline starts. */
async function dataNetworkFirst(request) {
  const cache = await caches.open(DATA_CACHE);
  try {
    const response = await fetch(request);
    if (response.status === 200 && response.type === "basic") {
      await cache.put(request.url, response.clone());
    }
    return response;
  } catch (err) {
    const cached = await cache.match(request.url);
    if (cached) return cached;
    throw err;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return; // uploads and Schreger POSTs: network only
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === "/") {
    event.respondWith(shellFirst(event, "/"));
  } else if (SHELL.includes(url.pathname) && url.pathname !== "/") {
    event.respondWith(shellFirst(event, url.pathname));
  } else if (OFFLINE_DATA.includes(url.pathname)) {
    event.respondWith(dataNetworkFirst(request));
  }
  // anything else: not handled here, the browser goes to the network as usual
});
