// The registry's key projects (重点项目) in scope, searched by name and paged through the API;
// a project's sites open in the same map editor as a firm's (site-editor.js), and its butlers
// (项目管家) on the assignments page, as a firm's commissioners do.

import { api, clearError, el, showError, t } from "./console.js";
import { openProject } from "./site-editor.js";

const $ = (id) => document.getElementById(id);
let page = 1;
let units = new Map();

async function loadProjects() {
  clearError();
  const q = $("project-q").value.trim();
  const result = await api("/projects", { query: { ...(q ? { q } : {}), page, page_size: 20 } });
  const rows = result.items.map((p) => el("tr", { dataset: { project: p.id } },
    el("td", {}, p.name), el("td", {}, units.get(p.org_unit_id) ?? ""),
    el("td", {}, t(`console.stage_${p.stage}`)),
    el("td", { class: "num" }, p.sites.filter((s) => s.is_active).length),
    el("td", {}, el("button", { type: "button", class: "btn-link", dataset: { sites: p.id },
      "aria-label": t("console.edit_sites_of", { name: p.name }),
      onclick: () => openProject(p.id).catch(showError) }, t("console.edit_sites")),
    el("a", { href: `/console/assignments?project_id=${p.id}`, class: "btn-link",
      "aria-label": t("console.assignments_of", { name: p.name }) }, t("console.nav_assignments")))));
  $("project-table").replaceChildren(el("table", { class: "data", id: "projects" },
    el("thead", {}, el("tr", {}, ["col_project", "col_unit", "col_stage", "col_sites", "col_action"]
      .map((k) => el("th", { scope: "col" }, t(`console.${k}`))))),
    el("tbody", {}, rows)));
  const pages = Math.max(1, Math.ceil(result.total / result.page_size));
  $("project-pager").replaceChildren(
    el("button", { type: "button", class: "btn", disabled: page <= 1,
      onclick: () => { page -= 1; loadProjects().catch(showError); } }, t("console.previous_page")),
    el("span", {}, t("console.page_of", { page: result.page, pages, total: result.total })),
    el("button", { type: "button", class: "btn", disabled: page >= pages,
      onclick: () => { page += 1; loadProjects().catch(showError); } }, t("console.next_page")));
}

// Show the first page; ``unitNames`` maps org unit ids to names.
export async function showProjects(unitNames) {
  units = unitNames;
  $("project-search").addEventListener("submit", (event) => {
    event.preventDefault();
    page = 1;
    loadProjects().catch(showError);
  });
  await loadProjects();
}
