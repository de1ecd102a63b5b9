// Visit rate (走访率): a period picker and grouping, a sortable table from /stats/visit-rate,
// drill-down unit → person → due slots (/stats/visit-rate/slots) → the visits inside a slot,
// and CSV/XLSX downloads of the report on screen (the API's own export formats).

import { api, clearError, download, el, monthOf, percent, showError, start, t, today }
  from "./console.js";
import { formatDate, formatDateTime, formatDistance } from "/web/static/format.js";

const $ = (id) => document.getElementById(id);
const COLUMNS = ["rate", "due", "met", "pending", "open", "visits", "pending_review",
  "firm_confirmed_share"];
let state = {};
let me = null;
let sort = { key: "rate", dir: 1 };
let lastReport = null;

function fromUrl() {
  const q = new URLSearchParams(window.location.search);
  return {
    period: q.get("period") || monthOf(today()),
    group_by: q.get("group_by") || "org_unit",
    org_unit_id: q.get("org_unit_id") || "",
    group: q.get("group") || "",
    group_label: q.get("group_label") || "",
    slot_state: q.get("state") || "",
    page: Number(q.get("page") || 1),
  };
}

function toUrl(next, push = true) {
  state = { ...state, ...next };
  const q = new URLSearchParams();
  for (const key of ["period", "group_by", "org_unit_id", "group", "group_label"]) {
    if (state[key]) q.set(key, state[key]);
  }
  if (state.slot_state) q.set("state", state.slot_state);
  if (state.page > 1) q.set("page", state.page);
  const url = `${window.location.pathname}?${q}`;
  if (push) window.history.pushState(state, "", url);
  else window.history.replaceState(state, "", url);
  show();
}

function quarters() {
  const [y] = today().split("-").map(Number);
  const out = [];
  for (let year = y + 1; year >= y - 2; year -= 1) {
    for (let q = 4; q >= 1; q -= 1) out.push(`${year}-Q${q}`);
  }
  return out;
}

// The form shows the period of `state`; reading it back gives the API's period label.
function fillForm() {
  const p = state.period;
  const kind = p.includes("..") ? "range" : p.includes("W") ? "week" : p.includes("Q") ? "quarter" : "month";
  $("period-kind").value = kind;
  if (kind === "month") $("period-month").value = p;
  if (kind === "week") $("period-week").value = p;
  if (kind === "quarter") $("period-quarter").value = p;
  if (kind === "range") [$("period-from").value, $("period-to").value] = p.split("..");
  $("group-by").value = state.group_by;
  showKind();
}

function showKind() {
  for (const box of document.querySelectorAll("[data-kind]")) {
    box.hidden = box.dataset.kind !== $("period-kind").value;
  }
}

function periodFromForm() {
  const kind = $("period-kind").value;
  if (kind === "month") return $("period-month").value;
  if (kind === "week") return $("period-week").value;
  if (kind === "quarter") return $("period-quarter").value;
  return `${$("period-from").value}..${$("period-to").value}`;
}

function reportQuery(format) {
  return { period: state.period, group_by: state.group_by, org_unit_id: state.org_unit_id, format };
}

function crumbs() {
  const items = [el("button", { type: "button", class: "btn-link", onclick: () => {
    lastReport.rootLabel = null;
    toUrl({ org_unit_id: "", group_by: "org_unit", group: "", group_label: "", page: 1 });
  } },
  me.org_unit?.name || t("console.my_scope"))];
  if (state.org_unit_id && lastReport?.rootLabel) items.push("›", el("button", {
    type: "button", class: "btn-link", onclick: () => toUrl({ group: "", group_label: "", page: 1 }),
  }, lastReport.rootLabel));
  if (state.group) items.push("›", el("span", {}, state.group_label || state.group));
  $("crumbs").replaceChildren(...items);
}

function header(key, label) {
  const active = sort.key === key;
  return el("th", { scope: "col", class: key === "label" ? null : "num",
    "aria-sort": active ? (sort.dir > 0 ? "ascending" : "descending") : null },
  el("button", { type: "button", onclick: () => {
    sort = { key, dir: active ? -sort.dir : 1 };
    drawReport();
  } }, label, active ? (sort.dir > 0 ? " ▲" : " ▼") : ""));
}

function cell(key, row) {
  if (key === "rate") {
    const bar = el("span", { class: "rate-bar", "aria-hidden": "true" }, el("span"));
    bar.firstChild.style.width = `${Math.round((row.rate || 0) * 100)}%`;
    return el("td", { class: "num" }, percent(row.rate), bar);
  }
  if (key === "firm_confirmed_share") return el("td", { class: "num" }, percent(row[key]));
  return el("td", { class: "num" }, row[key]);
}

function drill(row) {
  const root = lastReport.report.org_unit_id;
  if (state.group_by === "org_unit" && row.group !== root) {
    lastReport.rootLabel = row.label;
    toUrl({ org_unit_id: String(row.group), group_by: "user", group: "", group_label: "", page: 1 });
  } else {
    toUrl({ group: String(row.group ?? "none"), group_label: row.label, slot_state: "", page: 1 });
  }
}

function drawReport() {
  const { report } = lastReport;
  const rows = [...report.rows].sort((a, b) => {
    const x = a[sort.key], y = b[sort.key];
    if (x === y) return 0;
    if (x === null) return 1;
    if (y === null) return -1;
    return (x < y ? -1 : 1) * sort.dir;
  });
  const labels = { rate: t("console.col_rate"), due: t("console.col_due"), met: t("console.col_met"),
    pending: t("console.col_pending"), open: t("console.col_open"), visits: t("console.col_visits"),
    pending_review: t("console.col_pending_review"),
    firm_confirmed_share: t("console.col_firm_confirmed_share") };
  const body = rows.map((row) => el("tr", { dataset: { group: row.group ?? "" } },
    el("td", {}, el("button", { type: "button", class: "btn-link", onclick: () => drill(row) },
      row.label)),
    COLUMNS.map((key) => cell(key, row))));
  $("rate-table").replaceChildren(el("table", { class: "data", id: "report" },
    el("caption", { class: "muted" }, t("console.report_caption", { period: report.period.label })),
    el("thead", {}, el("tr", {}, header("label", t("console.col_group")),
      COLUMNS.map((key) => header(key, labels[key])))),
    el("tbody", {}, body),
    el("tfoot", {}, el("tr", {}, el("td", {}, t("console.total")),
      COLUMNS.map((key) => cell(key, report.total))))));
  $("rate-status").textContent = t("console.rows_shown", { n: rows.length });
}

function slotState(slot) {
  if (slot.met) return el("span", { class: "badge badge-ok" }, t("console.slot_met"));
  if (slot.pending) return el("span", { class: "badge badge-warn" }, t("console.slot_pending"));
  if (!slot.slot_end || slot.slot_end >= today()) return el("span", { class: "badge badge-info" }, t("console.slot_open"));
  return el("span", { class: "badge badge-bad" }, t("console.slot_unmet"));
}

async function showVisits(slot) {
  const end = new Date(`${slot.slot_end}T00:00:00+08:00`);
  end.setUTCDate(end.getUTCDate() + 1);
  const visits = await api("/visits", { query: {
    [`${slot.target_kind}_id`]: slot.target_id, user_id: slot.user_id,
    since: `${slot.slot_start}T00:00:00+08:00`, until: end.toISOString(), page_size: 50 } });
  const rows = visits.items.map((v) => el("tr", {},
    el("td", {}, formatDateTime(v.captured_at)),
    el("td", {}, t(`console.status_${v.status}`)),
    el("td", {}, t(`console.verdict_${v.verification?.verdict}`)),
    el("td", { class: "num" }, formatDistance(v.verification?.distance_m)),
    el("td", {}, v.status === "needs_review"
      ? el("a", { href: `review?visit=${v.id}` }, t("console.open_review")) : "")));
  $("slot-visits-table").replaceChildren(rows.length ? el("table", { class: "data", id: "visits" },
    el("thead", {}, el("tr", {}, ["col_captured", "col_status", "col_verdict", "col_distance", "col_action"]
      .map((k) => el("th", { scope: "col" }, t(`console.${k}`))))),
    el("tbody", {}, rows)) : el("p", { class: "muted" }, t("console.no_visits_in_slot")));
  $("slot-visits").hidden = false;
}

async function showSlots() {
  const result = await api("/stats/visit-rate/slots", { query: {
    period: state.period, group_by: state.group_by, group: state.group,
    org_unit_id: state.org_unit_id, state: state.slot_state, page: state.page, page_size: 50 } });
  const filter = el("div", { class: "tabs", role: "group", "aria-label": t("console.slot_filter") },
    ["", "unmet", "pending", "met", "open"].map((s) => el("button", { type: "button",
      "aria-pressed": String(state.slot_state === s), onclick: () => toUrl({ slot_state: s, page: 1 }) },
    t(s ? `console.slot_${s}` : "console.all"))));
  const rows = result.items.map((slot) => el("tr", { dataset: { state: slot.met ? "met" : slot.pending ? "pending" : "unmet" } },
    el("td", {}, slot.user_name), el("td", {}, slot.target_name),
    el("td", {}, t(`console.cadence_${slot.cadence}`)),
    el("td", {}, `${formatDate(slot.slot_start)} – ${formatDate(slot.slot_end)}`),
    el("td", {}, slotState(slot)), el("td", {}, formatDateTime(slot.last_visit_at)),
    el("td", {}, el("button", { type: "button", class: "btn-link", onclick: () => showVisits(slot).catch(showError) },
      t("console.show_visits")))));
  const pages = Math.max(1, Math.ceil(result.total / result.page_size));
  $("rate-table").replaceChildren(filter, el("table", { class: "data", id: "slots" },
    el("thead", {}, el("tr", {}, ["col_person", "col_target", "col_cadence", "col_slot", "col_state",
      "col_last_visit", "col_action"].map((k) => el("th", { scope: "col" }, t(`console.${k}`))))),
    el("tbody", {}, rows)),
  el("div", { class: "pager" },
    el("button", { type: "button", class: "btn", disabled: state.page <= 1,
      onclick: () => toUrl({ page: state.page - 1 }) }, t("console.previous_page")),
    el("span", {}, t("console.page_of", { page: result.page, pages, total: result.total })),
    el("button", { type: "button", class: "btn", disabled: state.page >= pages,
      onclick: () => toUrl({ page: state.page + 1 }) }, t("console.next_page"))));
  $("rate-status").textContent = t("console.slots_of", { label: state.group_label || state.group });
}

async function show() {
  clearError();
  fillForm();
  $("slot-visits").hidden = true;
  $("downloads").hidden = Boolean(state.group);
  try {
    if (state.group) {
      await showSlots();
    } else {
      const report = await api("/stats/visit-rate", { query: reportQuery() });
      lastReport = { report, rootLabel: lastReport?.rootLabel };
      if (state.org_unit_id && !lastReport.rootLabel) {
        lastReport.rootLabel = (await api(`/org-units/${state.org_unit_id}`)).name;
      }
      drawReport();
    }
    crumbs();
  } catch (err) {
    showError(err);
  }
}

function render(user) {
  me = user;
  $("period-quarter").replaceChildren(...quarters().map((q) => el("option", { value: q }, q)));
  $("period-kind").addEventListener("change", showKind);
  $("rate-form").addEventListener("submit", (event) => {
    event.preventDefault();
    toUrl({ period: periodFromForm(), group_by: $("group-by").value, group: "", group_label: "", page: 1 });
  });
  for (const format of ["csv", "xlsx"]) {
    $(`download-${format}`).addEventListener("click", () => download("/stats/visit-rate",
      reportQuery(format), `visit-rate-${state.period}-${state.group_by}.${format}`).catch(showError));
  }
  window.addEventListener("popstate", () => { state = fromUrl(); show(); });
  state = fromUrl();
  toUrl({}, false);
}

start(render);
