// The phone app's service worker: it only caches the app shell, so the app opens without a
// connection where service workers exist. It never touches /api/ (the outbox in IndexedDB
// does the sending, with or without this worker). Rendered by fieldapp: VERSION changes
// whenever a shell file does.
const VERSION = {{ version | tojson }};
const SHELL = {{ shell | tojson }};
const CACHE = `fieldapp-app-${VERSION}`;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("fieldapp-app-") && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/")) return;
  if (event.request.mode === "navigate" && url.pathname.startsWith("/app")) {
    // The page: the cached shell at once (a slow network must not hold the app back), renewed
    // in the background for the next opening; the network when nothing is cached yet. The
    // e-credential screen is a page of its own, kept the same way (never the app in its place).
    const page = url.pathname === "/app/credential" ? "/app/credential" : "/app/";
    const fresh = fetch(event.request).then((response) => {
      if (response.ok) {
        const copy = response.clone();
        event.waitUntil(caches.open(CACHE).then((cache) => cache.put(page, copy)));
      }
      return response;
    });
    event.respondWith(caches.match(page).then((hit) => hit || fresh));
    event.waitUntil(fresh.catch(() => {}));
    return;
  }
  if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(url.pathname).then((hit) => hit || fetch(event.request)));
  }
});
