// /app/credential: the commissioner's or butler's e-credential (电子亮证) to show at the gate.
// A fresh signed credential every minute while the screen is open; offline, the last one stays
// on screen until it expires (it is checked by its signature, not looked up).
import { api } from "/web/static/api.js";
import { t } from "/web/static/i18n.js";
import { formatDateTime } from "/web/static/format.js";
import { el } from "./timeline.js";
import { logInForm, resume } from "./login.js";

const root = document.getElementById("credential");
const REFRESH_MS = 60 * 1000;
let current = null;

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
    el("div", { class: "qr" },
      el("img", { src: cred.qr_svg, alt: t("firm.qr_alt"), width: "240", height: "240", id: "credential-qr" })),
    el("p", { class: "short-code-label muted" }, t("firm.short_code_label")),
    el("p", { class: "short-code", id: "short-code" }, cred.short_code),
    el("p", { class: "muted small", id: "valid-until" },
      t("firm.valid_until", { time: formatDateTime(cred.expires_at) })),
    el("p", { class: "notice notice-warn", id: "credential-stale", hidden: true }));
}

function checkExpiry() {
  if (!current) return;
  const stale = document.getElementById("credential-stale");
  if (Date.parse(current.expires_at) <= Date.now()) {
    stale.textContent = t("firm.credential_expired");
    stale.hidden = false;
    document.getElementById("credential-qr").classList.add("expired");
  }
}

async function load() {
  try {
    current = await api("/me/credential", { method: "POST" });
    root.replaceChildren(card(current));
  } catch (err) {
    if (!current) {
      root.replaceChildren(el("p", { class: "notice notice-bad", role: "alert" }, err.explain()));
      return;
    }
    const stale = document.getElementById("credential-stale");
    stale.textContent = t("firm.credential_offline");
    stale.hidden = false;
  }
  checkExpiry();
}

async function start() {
  if (!(await resume({ always: true }))) await logInForm(root, { intro: t("firm.credential_log_in") });
  await load();
  setInterval(load, REFRESH_MS);
  setInterval(checkExpiry, 5000);
}

start();
