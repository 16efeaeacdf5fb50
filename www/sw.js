// Fourfold's service worker: keeps the page usable offline once it has been loaded.
// Same-origin GET requests only. The page itself (navigations) is network-first so that a new
// version is picked up when online; every other app file (hashed .js/.wasm, CSS, examples) is
// cache-first. Nothing is ever sent anywhere: the page makes no cross-origin requests.
const CACHE = 'fourfold-v4';

// The spreadsheet reader is fetched by the page only when a spreadsheet is opened, the analysis
// engine only after the first results are on screen; fetch them once here too (after the page has
// started: boot.js registers this worker then), so that both work offline. (The first paint's
// module, paint.js / paint_bg.wasm, is fetched with a version query by every load, and cached
// then like any other file.)
const LAZY = [
  './sheets-worker.js', './sheets.js', './sheets_bg.wasm',
  './engine-worker.js', './engine.js', './engine_bg.wasm',
];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    try {
      await (await caches.open(CACHE)).addAll(LAZY);
    } catch {
      // Offline during install: they are cached the first time the page fetches them.
    }
    await self.skipWaiting();
  })());
});
self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    if (req.mode === 'navigate') {
      try {
        const res = await fetch(req);
        if (res.ok) cache.put(req, res.clone());
        return res;
      } catch {
        return (await cache.match(req, { ignoreSearch: true })) ?? Response.error();
      }
    }
    const hit = await cache.match(req);
    if (hit) return hit;
    const res = await fetch(req);
    if (res.ok) cache.put(req, res.clone());
    return res;
  })());
});
