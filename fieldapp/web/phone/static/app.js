// The phone app's shell: start-up (session, who I am), the hash router, the top bar, the tab
// bar with the outbox count, and when the outbox is sent (load, online, submit, send now).

import * as session from "/web/static/session.js";
import { api } from "/web/static/api.js";
import { t } from "/web/static/i18n.js";
import { mount } from "/web/static/dom.js";
import * as store from "./store.js";
import * as outbox from "./outbox.js";
import * as login from "./screens/login.js";
import * as firms from "./screens/firms.js";
import * as target from "./screens/target.js";
import * as file from "./screens/file.js";
import * as result from "./screens/result.js";
import * as visits from "./screens/visits.js";
import * as outboxScreen from "./screens/outbox.js";
import * as fix from "./screens/fix.js";
import * as me from "./screens/me.js";

const view = document.getElementById("app");
const title = document.getElementById("title");
const back = document.getElementById("back");
const tabbar = document.getElementById("tabbar");
const badge = document.getElementById("outbox-count");
const offlineFlag = document.getElementById("offline-flag");

// Every screen is loaded with the app, so each one opens offline even without a service
// worker (iOS WeChat) once the app has loaded.
const SCREENS = { login, firms, target, file, result, visits, outbox: outboxScreen, fix, me };

// A screen below a tab marks the tab its back button returns to: filing a visit (走访) starts
// at my firms and its result goes back there, whether it came from filing or from the outbox;
// fixing a refused visit starts at the outbox. The visits tab lists what the server stored,
// which a result still queued or refused is not.
const TAB_OF = { target: "firms", file: "firms", result: "firms", fix: "outbox" };

// What every screen gets: the signed-in user, navigation, and the shared modules.
export const app = {
  me: null,
  go(hash) { window.location.hash = hash; },
  setTitle(text, { backTo = null } = {}) {
    title.textContent = text;
    document.title = `${text} · ${t("phone.app_short_name")}`;
    back.hidden = !backTo;
    back.onclick = backTo ? () => app.go(backTo) : null;
  },
  async signedIn(me) {
    app.me = me;
    outbox.setUser(me.id);
    await store.cache("me", me);
    await outbox.recover();
    refreshBadge();
    outbox.sendAll();
  },
  async signedOut() {
    app.me = null;
    outbox.setUser(null);
    await store.forget("me");
    await store.forget("assignments");
    await store.forget("visits");
    // The e-credential kept for showing offline (/app/credential) is this user's: it goes too.
    indexedDB.deleteDatabase("fieldapp-credential");
    app.go("#/login");
  },
};

let cleanup = null;

async function route() {
  const [name = "firms", ...args] = window.location.hash.replace(/^#\/?/, "").split("/");
  const screen = SCREENS[name] ? name : "firms";
  if (!app.me && screen !== "login") {
    app.go("#/login");
    return;
  }
  if (cleanup) { try { cleanup(); } catch (err) { console.warn(err); } cleanup = null; }
  tabbar.hidden = screen === "login";
  const tab = TAB_OF[screen] || screen;
  for (const link of tabbar.querySelectorAll("a")) {
    if (link.dataset.tab === tab) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const module = SCREENS[screen];
  const root = mount(view);
  cleanup = await module.show(root, app, ...args.map(decodeURIComponent)) || null;
  document.getElementById("main").focus({ preventScroll: true });
}

async function refreshBadge() {
  const count = await outbox.unsentCount();
  badge.textContent = String(count);
  badge.hidden = count === 0;
  badge.setAttribute("aria-label", t("phone.outbox_count", { n: count }));
}

function showOnline() {
  offlineFlag.hidden = navigator.onLine;
}

async function start() {
  showOnline();
  window.addEventListener("hashchange", route);
  const cachedMe = (await store.cached("me"))?.value || null;
  const screen = window.location.hash.replace(/^#\/?/, "").split("/")[0] || "firms";
  if (cachedMe) {
    // Known on this phone: draw at once from what is cached (the list, the outbox), and renew
    // the session meanwhile; the screens' own calls wait for that renewal.
    app.me = cachedMe;
    outbox.setUser(cachedMe.id);
    await outbox.recover();
    refreshBadge();
    route();
    try {
      await session.refresh();
      const me = await api("/me");
      if (me.id !== cachedMe.id) {
        await app.signedOut();
        return;
      }
      await app.signedIn(me);
    } catch (err) {
      if (err.kind === "ended" || err.status === 401) {
        app.me = null;
        app.go("#/login");
      }
      // No connection: keep working from the cache; sending waits for the network.
    }
  } else {
    try {
      await session.refresh();
      // The list is asked for alongside who I am, not after.
      if (screen === "firms" || screen === "") firms.prefetch();
      await app.signedIn(await api("/me"));
    } catch (err) { /* not logged in: the log-in screen */ }
    await route();
  }
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(view.dataset.sw, { scope: "/app/" }).catch((err) => {
      console.warn("service worker not registered", err);
    });
  }
}

window.addEventListener("online", () => { showOnline(); outbox.sendAll(); });
window.addEventListener("offline", showOnline);
window.addEventListener("fieldapp:outbox", refreshBadge);
window.addEventListener("fieldapp:login-needed", () => {
  if (app.me) app.go("#/login");
});

start();
