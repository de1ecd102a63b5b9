// Registry (企业登记): the firms in scope, searched by name/USCC or nearby (the API's near=) and
// paged through the API; the key projects (project-list.js); a firm's or a project's sites in
// the map editor (site-editor.js); and the bulk
// import — checked as a whole first (all_or_nothing: any bad row stores nothing and the rows'
// errors are shown), then, on request, the valid rows only (valid_rows).

import { api, ApiError, clearError, el, formatBytes, progress, showError, start, t } from "./console.js";
import { formatDistance } from "/web/static/format.js";
import { showProjects } from "./project-list.js";
import { openFirm, openProject } from "./site-editor.js";

const $ = (id) => document.getElementById(id);
const units = new Map();
let page = 1;
let near = null;  // {near, radius_m, crs} while a nearby search is shown

function firmQuery() {
  return near ? { ...near, page, page_size: 20 } : { q: $("firm-q").value.trim(), page, page_size: 20 };
}

async function loadFirms() {
  clearError();
  const result = await api("/firms", { query: firmQuery() });
  const columns = ["col_name", "col_uscc", "col_unit", "col_tags", "col_sites",
    ...(near ? ["col_distance"] : []), "col_action"];
  const rows = result.items.map((f) => el("tr", { dataset: { firm: f.id } },
    el("td", {}, f.name), el("td", {}, el("code", {}, f.uscc)),
    el("td", {}, units.get(f.org_unit_id) ?? ""), el("td", {}, f.tags.map((tag) => t(`console.tag_${tag}`)).join("、")),
    el("td", { class: "num" }, f.sites.length),
    near ? el("td", { class: "num" }, formatDistance(f.distance_m)) : null,
    el("td", {}, el("button", { type: "button", class: "btn-link", dataset: { sites: f.id },
      "aria-label": t("console.edit_sites_of", { name: f.name }),
      onclick: () => openFirm(f.id).catch(showError) }, t("console.edit_sites")),
    el("a", { href: `/console/assignments?firm_id=${f.id}`, class: "btn-link",
      "aria-label": t("console.assignments_of", { name: f.name }) }, t("console.nav_assignments")))));
  $("firm-mode").textContent = near ? t("console.nearby_mode", { lat: near.near, radius: near.radius_m }) : "";
  $("firm-table").replaceChildren(el("table", { class: "data", id: "firms" },
    el("thead", {}, el("tr", {}, columns.map((k) => el("th", { scope: "col" }, t(`console.${k}`))))),
    el("tbody", {}, rows)));
  const pages = Math.max(1, Math.ceil(result.total / result.page_size));
  $("firm-pager").replaceChildren(
    el("button", { type: "button", class: "btn", disabled: page <= 1,
      onclick: () => { page -= 1; loadFirms().catch(showError); } }, t("console.previous_page")),
    el("span", {}, t("console.page_of", { page: result.page, pages, total: result.total })),
    el("button", { type: "button", class: "btn", disabled: page >= pages,
      onclick: () => { page += 1; loadFirms().catch(showError); } }, t("console.next_page")));
}

function rowErrors(errors) {
  $("import-errors").replaceChildren(el("table", { class: "data", id: "row-errors" },
    el("thead", {}, el("tr", {}, ["col_row", "col_field", "col_message"]
      .map((k) => el("th", { scope: "col" }, t(`console.${k}`))))),
    el("tbody", {}, errors.map((e) => el("tr", { dataset: { row: e.row } },
      el("td", { class: "num" }, e.row), el("td", {}, e.field ?? ""), el("td", {}, e.message))))));
}

async function upload(mode) {
  const file = $("import-file").files[0];
  if (!file) {
    $("import-status").textContent = t("console.choose_file");
    return;
  }
  const body = new FormData();
  body.append("file", file);
  $("import-status").textContent = t("console.importing");
  $("import-errors").replaceChildren();
  $("import-valid").hidden = true;
  // The file's bytes as they go up, then "checking" while the API checks every row.
  const shown = progress(t("console.importing"));
  const onUpload = (sent, total) => shown.say(sent < total
    ? t("console.import_uploading", { done: formatBytes(sent), total: formatBytes(total) })
    : t("console.import_checking"), sent < total ? sent : null, total);
  try {
    const report = await api("/firms/import", { method: "POST", body, timeout: 300000, onUpload,
      query: { mode, org_unit_id: $("import-unit").value } }).finally(shown.hide);
    $("import-status").textContent = t("console.import_done", report);
    if (report.row_errors?.length) rowErrors(report.row_errors);
    page = 1;
    await loadFirms();
  } catch (err) {
    if (err instanceof ApiError && err.problem?.row_errors) {
      $("import-status").textContent = t("console.import_refused", err.problem);
      rowErrors(err.problem.row_errors);
      $("import-valid").hidden = false;
    } else {
      $("import-status").textContent = err.explain ? err.explain() : String(err);
    }
  }
}

const LABELLED = ["uscc", "name", "org_unit_id", "lat", "lon", "crs", "radius_m"];
const label = (field) => {
  const last = field.split(".").pop();
  return LABELLED.includes(last) ? t(`console.field_${last}`) : field;
};

// Nearby: the API checks the point, the radius (at most 50 km) and the system; its
// verdict is shown by field, and the list is what it answers, nearest first.
async function nearby(form) {
  const v = (name) => form.elements[name].value.trim();
  const query = { near: `${v("lat")},${v("lon")}`, radius_m: v("radius_m"), crs: v("crs") };
  $("near-errors").replaceChildren();
  const before = [near, page];
  [near, page] = [query, 1];
  try {
    await loadFirms();
  } catch (err) {
    [near, page] = before;
    const errors = err instanceof ApiError ? err.problem?.errors : null;
    if (!errors) throw err;
    $("near-errors").replaceChildren(...Object.entries(errors).map(([field, messages]) =>
      el("li", { dataset: { field } }, `${t(`console.near_${field}`)}：${[].concat(messages).join("；")}`)));
    return;
  }
  $("near-clear").hidden = false;
}

// The API checks everything (the USCC's check character included); the page lists what it says.
async function register(form) {
  const v = (name) => form.elements[name].value.trim();
  const number = (name) => (v(name) === "" ? undefined : Number(v(name)));
  const body = { uscc: v("uscc"), name: v("name"), org_unit_id: Number(v("org_unit_id")),
    sites: [{ name: "主址", crs: v("crs"), radius_m: number("radius_m"),
      point: { lat: number("lat"), lon: number("lon") } }] };
  $("new-firm-errors").replaceChildren();
  try {
    const firm = await api("/firms", { method: "POST", body });
    $("new-firm-errors").replaceChildren(el("li", { class: "ok" }, t("console.firm_registered", firm)));
    form.reset();
    $("firm-q").value = firm.uscc;
    page = 1;
    await loadFirms();
  } catch (err) {
    const errors = err instanceof ApiError ? err.problem?.errors : null;
    $("new-firm-errors").replaceChildren(...(errors
      ? Object.entries(errors).map(([field, messages]) => el("li", { dataset: { field } },
        `${label(field)}：${[].concat(messages).join("；")}`))
      : [el("li", {}, err.explain ? err.explain() : String(err))]));
  }
}

async function render() {
  const list = await api("/org-units", { query: { page_size: 200 } });
  for (const u of list.items) units.set(u.id, u.name);
  $("import-unit").append(...list.items.map((u) => el("option", { value: u.id }, u.name)));
  $("nf-unit").append(...list.items.map((u) => el("option", { value: u.id }, u.name)));
  $("new-firm").addEventListener("submit", (event) => {
    event.preventDefault();
    register(event.currentTarget).catch(showError);
  });
  $("firm-search").addEventListener("submit", (event) => {
    event.preventDefault();
    near = null;
    $("near-clear").hidden = true;
    page = 1;
    loadFirms().catch(showError);
  });
  $("firm-near").addEventListener("submit", (event) => {
    event.preventDefault();
    nearby(event.currentTarget).catch(showError);
  });
  $("near-clear").addEventListener("click", () => {
    near = null;
    $("near-clear").hidden = true;
    page = 1;
    loadFirms().catch(showError);
  });
  $("import-form").addEventListener("submit", (event) => {
    event.preventDefault();
    upload("all_or_nothing");
  });
  $("import-valid").addEventListener("click", () => upload("valid_rows"));
  await Promise.all([loadFirms(), showProjects(units)]);
  const asked = new URLSearchParams(window.location.search);
  if (Number(asked.get("firm"))) await openFirm(Number(asked.get("firm")));
  else if (Number(asked.get("project"))) await openProject(Number(asked.get("project")));
}

start(render);
