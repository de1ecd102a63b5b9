// The console's shell: log-in, who is logged in, the navigation for the caller's roles, and
// small helpers every page module shares. A page module calls start(render) and gets /me.

import * as session from "/web/static/session.js";
import { api, ApiError } from "/web/static/api.js";
import { t } from "/web/static/i18n.js";

export { api, ApiError, t };

const $ = (id) => document.getElementById(id);
const root = document.querySelector(".console");

// el("td", {class: "num"}, "12", child…): an element with attributes and text/element children.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function percent(rate) {
  return rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`;
}

export function showError(err) {
  const box = $("page-error");
  box.textContent = err instanceof ApiError ? err.explain() : String(err);
  box.hidden = false;
}

export function clearError() { $("page-error").hidden = true; }

// The Asia/Shanghai calendar date today, and period labels the API understands.
export function today() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date());
}

export function monthOf(day, shift = 0) {
  const [y, m] = day.split("-").map(Number);
  const d = new Date(Date.UTC(y, m - 1 + shift, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
}

export async function vendorModule(name) {
  return import(root.dataset[name]);
}

export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

// The page's progress line for long work (#progress in the shell): a <progress> bar that has
// no value while the server works (indeterminate) and a fraction while bytes move.
export function progress(label) {
  const bar = $("progress-bar");
  const say = (text, done = null, total = 0) => {
    $("progress-label").textContent = text;
    if (done !== null && total > 0) bar.value = Math.min(done / total, 1);
    else bar.removeAttribute("value");
  };
  say(label);
  $("progress").hidden = false;
  return { say, hide: () => { $("progress").hidden = true; } };
}

// Read a Response's body chunk by chunk, telling onChunk(received, total) as it comes.
async function readWithProgress(resp, onChunk) {
  const total = Number(resp.headers.get("Content-Length")) || 0;
  const reader = resp.body.getReader();
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    onChunk(received, total);
  }
  return new Blob(chunks, { type: resp.headers.get("Content-Type") || "" });
}

// Save a CSV/XLSX answer from the API as a download, showing progress: "preparing" while the
// server builds the file, then the bytes received out of Content-Length.
export async function download(path, query, fallbackName) {
  const shown = progress(t("console.export_preparing"));
  let blob;
  try {
    const resp = await api(path, { query, raw: true, timeout: 300000 });
    blob = await readWithProgress(resp, (done, total) => shown.say(total
      ? t("console.export_receiving", { done: formatBytes(done), total: formatBytes(total) })
      : t("console.export_receiving_unknown", { done: formatBytes(done) }), done, total));
  } catch (err) {
    shown.hide();
    throw err;
  }
  shown.say(t("console.export_done", { name: fallbackName, size: formatBytes(blob.size) }),
    blob.size, blob.size);
  const link = el("a", { href: URL.createObjectURL(blob), download: fallbackName });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

function showPage(me, render) {
  const roles = new Set(me.roles);
  $("whoami").textContent = `${me.display_name}（${me.org_unit?.name ?? ""}）`;
  $("whoami").hidden = false;
  $("log-out").hidden = false;
  $("console-nav").hidden = false;
  let allowed = false;
  const current = document.querySelector('[aria-current="page"]')?.closest("li");
  for (const item of document.querySelectorAll("#console-nav li")) {
    const may = item.dataset.roles.split(" ").some((r) => roles.has(r));
    item.hidden = !may;
    if (item === current) allowed = may;
  }
  if (!allowed) {
    showError(t("console.not_for_your_role"));
    return;
  }
  $("page").hidden = false;
  return render(me, roles);
}

async function enter(render) {
  $("log-in").hidden = true;
  const me = await api("/me");
  try {
    await showPage(me, render);
  } catch (err) {
    showError(err);
  }
}

export function start(render) {
  $("log-out").addEventListener("click", async () => {
    await session.logOut().catch(() => null);
    window.location.reload();
  });
  $("log-in").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    $("log-in-error").textContent = t("common.logging_in");
    try {
      await session.logIn(form.username.value, form.password.value);
      $("log-in-error").textContent = "";
      await enter(render);
    } catch (err) {
      $("log-in-error").textContent = err.kind === "credentials" ? t("common.bad_credentials")
        : err.kind === "locked" ? t("common.locked_out", { wait: `${err.retryAfter}s` })
          : t("common.network_error");
    }
  });
  session.refresh().then(() => enter(render), () => {
    $("log-in").hidden = false;
    $("username").focus();
  });
}
