// Overdue (待走访): who owes which visit now (or as of a day), never-visited first, narrowed to a
// unit or a service team, with the API's CSV of exactly these filters.

import { api, clearError, download, el, monthOf, showError, start, t, today } from "./console.js";
import { formatDate, formatDateTime } from "/web/static/format.js";

const $ = (id) => document.getElementById(id);
const PAGE = 50;  // the API answers the whole list at once; the page shows it 50 rows at a time
let items = [];
let page = 1;

function query(format) {
  return { org_unit_id: $("o-unit").value, team_id: $("o-team").value, as_of: $("o-as-of").value,
    format };
}

function draw() {
  const pages = Math.max(1, Math.ceil(items.length / PAGE));
  const rows = items.slice((page - 1) * PAGE, page * PAGE).map((r) => el("tr", { dataset: { assignment: r.assignment_id } },
    el("td", {}, r.user_name), el("td", {}, r.target_name),
    el("td", {}, t(`console.kind_${r.target_kind}`)),
    el("td", {}, t(`console.cadence_${r.cadence}`)),
    el("td", {}, `${formatDate(r.slot_start)} – ${formatDate(r.slot_end)}`),
    el("td", {}, r.last_visit_at ? formatDateTime(r.last_visit_at) : ""),
    el("td", { class: "num" }, r.days_since_last_visit === null
      ? el("span", { class: "badge badge-bad" }, t("console.never_visited"))
      : t("console.days", { n: r.days_since_last_visit }))));
  $("overdue-table").replaceChildren(rows.length ? el("table", { class: "data", id: "overdue" },
    el("thead", {}, el("tr", {}, ["col_person", "col_target", "col_kind", "col_cadence", "col_slot",
      "col_last_visit", "col_days_since"].map((k) => el("th", { scope: "col" }, t(`console.${k}`))))),
    el("tbody", {}, rows)) : el("p", { class: "notice notice-ok" }, t("console.nobody_overdue")),
  el("div", { class: "pager" },
    el("button", { type: "button", class: "btn", disabled: page <= 1,
      onclick: () => { page -= 1; draw(); } }, t("console.previous_page")),
    el("span", {}, t("console.page_of", { page, pages, total: items.length })),
    el("button", { type: "button", class: "btn", disabled: page >= pages,
      onclick: () => { page += 1; draw(); } }, t("console.next_page"))));
}

async function load() {
  clearError();
  const result = await api("/stats/overdue", { query: query() });
  items = result.items;
  page = 1;
  draw();
  $("overdue-status").textContent = t("console.overdue_count", { n: result.items.length,
    day: formatDate(result.as_of) });
}

async function render() {
  $("o-as-of").value = today();
  $("o-as-of").max = today();
  const [units, teams] = await Promise.all([api("/org-units", { query: { page_size: 200 } }),
    api("/stats/visit-rate", { query: { period: monthOf(today()), group_by: "team" } })]);
  $("o-unit").append(...units.items.map((u) => el("option", { value: u.id }, u.name)));
  $("o-team").append(...teams.rows.filter((r) => r.group !== null)
    .map((r) => el("option", { value: r.group }, r.label)));
  $("overdue-filter").addEventListener("submit", (event) => {
    event.preventDefault();
    load().catch(showError);
  });
  $("overdue-csv").addEventListener("click", () => download("/stats/overdue", query("csv"),
    `overdue-${$("o-as-of").value}.csv`).catch(showError));
  await load();
}

start(render);
