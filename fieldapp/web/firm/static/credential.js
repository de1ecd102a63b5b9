// /app/credential: the commissioner's or butler's e-credential (电子亮证) to show at the gate.
// A fresh signed credential every minute while the screen is open, kept in IndexedDB: offline
// (also when the screen is opened again without a connection) the last one is shown with its
// remaining time until it expires — the firm's check reads its signature, nothing is looked
// up. Once expired, the QR code and the short code are taken off the screen: it says to
// refresh online instead, never shows a stale code as if it were valid.
import { api } from "/web/static/api.js";
import * as session from "/web/static/session.js";
import { t } from "/web/static/i18n.js";
import { formatDateTime } from "/web/static/format.js";
import { el } from "./timeline.js";
import { logInForm } from "./login.js";

const root = document.getElementById("credential");
const REFRESH_MS = 60 * 1000;
const { openDB } = await import(root.dataset.idb);
// Its own database: the phone app deletes it at log-out (the credential is the user's).
const db = await openDB("fieldapp-credential", 1, {
  upgrade(database) { database.createObjectStore("credential"); },
});

// shown: {cred, offset} — offset = server time − phone time when it was issued, so that a
// phone whose clock is wrong still counts the remaining time right.
let shown = null;

function leftMs() {
  return Date.parse(shown.cred.expires_at) - (Date.now() + shown.offset);
}

function minutesSeconds(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function card(cred) {
  const h = cred.holder;
  return el("article", { class: "card credential", "aria-labelledby": "holder-name" },
    el("div", { class: "credential-head" },
      el("span", { class: "credential-emblem", "aria-hidden": "true" }, "证"),
      el("div", {},
        el("p", { class: "credential-kind" }, t("firm.credential_kind")),
        el("h1", { id: "holder-name" }, h.name),
        el("p", { class: "muted" }, h.role_labels.join("、")))),
    el("dl", { class: "facts" },
      el("dt", {}, t("firm.unit")), el("dd", {}, h.unit),
      el("dt", {}, t("firm.service_team")), el("dd", {}, h.service_team || t("common.none"))),
    el("div", { id: "credential-live" },
      el("div", { class: "qr" },
        el("img", { src: cred.qr_svg, alt: t("firm.qr_alt"), width: "240", height: "240", id: "credential-qr" })),
      el("p", { class: "short-code-label muted" }, t("firm.short_code_label")),
      el("p", { class: "short-code", id: "short-code" }, cred.short_code),
      el("p", { class: "muted small", id: "valid-until" },
        t("firm.valid_until", { time: formatDateTime(cred.expires_at) })),
      el("p", { class: "remaining", id: "remaining", role: "timer", "aria-live": "off" })),
    el("p", { class: "notice notice-warn", id: "credential-stale", role: "status", hidden: true }));
}

function note(text) {
  const stale = document.getElementById("credential-stale");
  if (!stale) return;
  stale.textContent = text || "";
  stale.hidden = !text;
}

// Every second: the remaining time; at expiry the codes go and the screen says why.
function tick() {
  if (!shown) return;
  const left = leftMs();
  const live = document.getElementById("credential-live");
  if (left > 0) {
    const remaining = document.getElementById("remaining");
    if (remaining) remaining.textContent = t("firm.valid_remaining", { time: minutesSeconds(left) });
    return;
  }
  if (live) {
    live.remove();
    note(t("firm.credential_expired"));
  }
}

function show(cred, offset) {
  shown = { cred, offset };
  root.replaceChildren(card(cred));
  tick();
}

async function refresh() {
  try {
    const cred = await api("/me/credential", { method: "POST" });
    const offset = Date.parse(cred.issued_at) - Date.now();
    await db.put("credential", { cred, offset }, "current");
    show(cred, offset);
  } catch (err) {
    if (!shown) {
      root.replaceChildren(el("p", { class: "notice notice-bad", role: "alert" }, err.explain()));
      return;
    }
    tick();
    // Still valid: it may be shown as it is; expired: tick() has said to refresh online.
    if (leftMs() > 0) note(err.network ? t("firm.credential_offline") : err.explain());
  }
}

async function start() {
  const saved = await db.get("credential", "current");
  if (saved) show(saved.cred, saved.offset);     // at once, with or without a connection
  let online = true;
  try {
    await session.refresh();
  } catch (err) {
    online = false;
    if (err.kind !== "network" || !saved) {
      // No session here (or nothing to show offline): whatever was kept is not to be shown.
      await db.delete("credential", "current");
      shown = null;
      await logInForm(root, { intro: t("firm.credential_log_in") });
      online = true;
    }
  }
  if (online) {
    await refresh();
  } else {
    tick();
    if (leftMs() > 0) note(t("firm.credential_offline"));
  }
  setInterval(refresh, REFRESH_MS);
  setInterval(tick, 1000);
  window.addEventListener("online", refresh);
  // The phone app's service worker also keeps this screen, so it opens without a connection.
  if ("serviceWorker" in navigator && root.dataset.sw) {
    navigator.serviceWorker.register(root.dataset.sw, { scope: "/app/" }).catch(() => {});
  }
}

start();
