// Assignments (包抓): who is responsible for which firm or project, paged through the API, all
// or one firm's (?firm_id=) or one project's (?project_id=, the API's own filters); assign a
// commissioner to a firm or a butler to a project, reassign (the old one ends the day before,
// one transaction in the API) and end. The API checks every rule (role of the assignee, scope,
// overlapping dates); the page offers only users of the right role and shows what it says.

import { api, ApiError, clearError, el, showError, start, t, today } from "./console.js";
import { formatDate } from "/web/static/format.js";

const $ = (id) => document.getElementById(id);
const ROLE_FOR = { firm: "commissioner", project: "butler" };
const CADENCES = { firm: ["weekly", "monthly", "quarterly"], project: ["weekly", "monthly", "quarterly", "per_stage"] };
const people = { commissioner: [], butler: [] };
const names = { firms: new Map(), projects: new Map() };
let targetFilter = null;  // {kind, id, name} from ?firm_id= or ?project_id=
let page = 1;

function nameOf(kind, id) {
  const cache = names[kind];
  if (!cache.has(id)) cache.set(id, api(`/${kind}/${id}`).then((x) => x.name, () => `#${id}`));
  return cache.get(id);
}

function addDays(day, n) {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

function stateOf(a) {
  const now = today();
  if (a.replaced_by_id) return "reassigned";
  if (a.ends_on && a.ends_on < now) return "ended";
  if (a.starts_on > now) return "planned";
  return "running";
}

const personLabel = (u) => `${u.display_name}（${u.org_unit?.name ?? ""}）`;

function options(select, items, blank = null) {
  select.replaceChildren(...(blank ? [el("option", { value: "" }, blank)] : []),
    ...items.map(([value, label]) => el("option", { value }, label)));
}

function errorList(box, err) {
  const errors = err instanceof ApiError ? err.problem?.errors : null;
  box.replaceChildren(...(errors
    ? Object.entries(errors).map(([field, messages]) => el("li", { dataset: { field } },
      `${t(`console.assign_field_${field}`)}：${[].concat(messages).join("；")}`))
    : [el("li", {}, err.explain ? err.explain() : String(err))]));
}

async function loadAssignments() {
  clearError();
  const query = { page, page_size: 20, user_id: $("f-user").value,
    ...(targetFilter ? { [`${targetFilter.kind}_id`]: targetFilter.id } : {}),
    org_unit_id: $("f-unit").value, active_on: $("f-when").value ? today() : undefined };
  const result = await api("/assignments", { query });
  const rows = await Promise.all(result.items.map(async (a) => {
    const state = stateOf(a);
    const open = state !== "reassigned" && state !== "ended";
    return el("tr", { dataset: { assignment: a.id } },
      el("td", {}, a.user?.display_name ?? `#${a.user_id}`),
      el("td", {}, await nameOf(a.firm_id ? "firms" : "projects", a.firm_id ?? a.project_id)),
      el("td", {}, t(`console.kind_${a.target_kind}`)),
      el("td", {}, t(`console.cadence_${a.cadence}`)),
      el("td", {}, formatDate(a.starts_on)),
      el("td", {}, a.ends_on ? formatDate(a.ends_on) : t("console.open_ended")),
      el("td", {}, el("span", { class: `badge ${state === "running" ? "badge-ok" : ""}` },
        t(`console.assignment_${state}`)), a.end_reason ? el("span", { class: "small muted" }, ` ${a.end_reason}`) : ""),
      el("td", {}, open ? [
        el("button", { type: "button", class: "btn-link", dataset: { action: "reassign" },
          onclick: () => reassignForm(a) }, t("console.reassign")),
        el("button", { type: "button", class: "btn-link", dataset: { action: "end" },
          onclick: () => endForm(a) }, t("console.end_assignment"))] : ""));
  }));
  $("assign-table").replaceChildren(rows.length ? el("table", { class: "data", id: "assignments" },
    el("thead", {}, el("tr", {}, ["col_person", "col_target", "col_kind", "col_cadence", "col_starts_on",
      "col_ends_on", "col_state", "col_action"].map((k) => el("th", { scope: "col" }, t(`console.${k}`))))),
    el("tbody", {}, rows)) : el("p", { class: "notice" }, t("console.no_assignments")));
  const pages = Math.max(1, Math.ceil(result.total / result.page_size));
  $("assign-pager").replaceChildren(
    el("button", { type: "button", class: "btn", disabled: page <= 1,
      onclick: () => { page -= 1; loadAssignments().catch(showError); } }, t("console.previous_page")),
    el("span", {}, t("console.page_of", { page: result.page, pages, total: result.total })),
    el("button", { type: "button", class: "btn", disabled: page >= pages,
      onclick: () => { page += 1; loadAssignments().catch(showError); } }, t("console.next_page")));
}

function actionForm(title, fields, submitLabel, submit) {
  const box = $("assign-action");
  const errors = el("ul", { class: "error", id: "action-errors" });
  const form = el("form", { id: "action-form", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    errors.replaceChildren();
    try {
      await submit(event.currentTarget);
    } catch (err) {
      errorList(errors, err);
      return;
    }
    box.hidden = true;
    await loadAssignments();
  } }, el("div", { class: "toolbar" }, fields,
    el("button", { type: "submit", class: "btn btn-primary" }, submitLabel),
    el("button", { type: "button", class: "btn", onclick: () => { box.hidden = true; } }, t("common.cancel"))),
  el("div", { role: "alert" }, errors));
  box.replaceChildren(el("h2", { class: "section-title", id: "action-title", tabindex: "-1" }, title), form);
  box.hidden = false;
  $("action-title").focus();
}

function field(id, label, input) {
  return el("div", { class: "field" }, el("label", { for: id }, label), input);
}

function endForm(a) {
  actionForm(t("console.end_title", { person: a.user?.display_name ?? "" }), [
    field("end-on", t("console.col_ends_on"), el("input", { type: "date", id: "end-on", name: "ends_on",
      value: a.ends_on && a.ends_on < today() ? a.ends_on : today(), min: a.starts_on })),
    field("end-reason", t("console.end_reason"), el("input", { type: "text", id: "end-reason", name: "reason",
      maxlength: 200 }))], t("console.end_assignment"), async (form) => {
    await api(`/assignments/${a.id}/end`, { method: "POST",
      body: { ends_on: form.ends_on.value, reason: form.reason.value.trim() || null } });
    $("assign-status").textContent = t("console.assignment_ended_on", { day: formatDate(form.ends_on.value) });
  });
}

function reassignForm(a) {
  const role = ROLE_FOR[a.target_kind];
  const starts = a.starts_on >= today() ? addDays(a.starts_on, 1) : addDays(today(), 1);
  const user = el("select", { id: "re-user", name: "user_id" },
    people[role].map((u) => el("option", { value: u.id, selected: u.id === a.user_id }, personLabel(u))));
  actionForm(t("console.reassign_title", { person: a.user?.display_name ?? "" }), [
    field("re-user", t("console.reassign_to"), user),
    field("re-starts", t("console.reassign_from"), el("input", { type: "date", id: "re-starts",
      name: "starts_on", value: starts, min: addDays(a.starts_on, 1) })),
    field("re-reason", t("console.end_reason"), el("input", { type: "text", id: "re-reason", name: "reason",
      maxlength: 200 }))], t("console.reassign"), async (form) => {
    const answer = await api(`/assignments/${a.id}/reassign`, { method: "POST",
      body: { user_id: Number(form.user_id.value), starts_on: form.starts_on.value,
        reason: form.reason.value.trim() || null } });
    $("assign-status").textContent = t("console.reassigned", { person: answer.current.user.display_name,
      day: formatDate(answer.current.starts_on) });
  });
}

async function findTargets() {
  const kind = $("a-kind").value;
  $("a-target-q-field").hidden = kind !== "firm";
  $("a-target-find").hidden = kind !== "firm";
  const q = $("a-target-q").value.trim();
  const list = targetFilter?.kind === kind && (kind === "project" || !q) ? [targetFilter]
    : kind === "firm" ? (await api("/firms", { query: { q, page_size: 50 } })).items
      : (await api("/projects", { query: { page_size: 200 } })).items;
  options($("a-target"), list.map((x) => [x.id, x.name]));
  options($("a-user"), people[ROLE_FOR[kind]].map((u) => [u.id, personLabel(u)]));
  options($("a-cadence"), CADENCES[kind].map((c) => [c, t(`console.cadence_${c}`)]));
  $("a-cadence").value = "monthly";
}

async function assign(form) {
  const kind = form.kind.value;
  const body = { user_id: Number(form.user_id.value), [`${kind}_id`]: Number(form.target.value),
    cadence: form.cadence.value, starts_on: form.starts_on.value || undefined,
    ends_on: form.ends_on.value || undefined };
  $("assign-errors").replaceChildren();
  try {
    const made = await api("/assignments", { method: "POST", body });
    $("assign-errors").replaceChildren(el("li", { class: "ok" }, t("console.assigned", {
      person: made.user.display_name, target: form.target.selectedOptions[0]?.textContent ?? "" })));
  } catch (err) {
    errorList($("assign-errors"), err);
    return;
  }
  page = 1;
  await loadAssignments();
}

// The firm or project asked for in the address; out of scope it is the API's "not found".
async function wantedTarget() {
  const asked = new URLSearchParams(window.location.search);
  for (const kind of ["firm", "project"]) {
    const id = Number(asked.get(`${kind}_id`));
    if (id) {
      const target = await api(`/${kind}s/${id}`);
      return { kind, id: target.id, name: target.name };
    }
  }
  return null;
}

async function render() {
  const [units, commissioners, butlers] = await Promise.all([
    api("/org-units", { query: { page_size: 200 } }),
    api("/users", { query: { role: "commissioner", is_active: "true", page_size: 200 } }),
    api("/users", { query: { role: "butler", is_active: "true", page_size: 200 } })]);
  people.commissioner = commissioners.items;
  people.butler = butlers.items;
  options($("f-unit"), units.items.map((u) => [u.id, u.name]), t("console.all"));
  options($("f-user"), [...people.commissioner, ...people.butler]
    .filter((u, i, all) => all.findIndex((x) => x.id === u.id) === i)
    .map((u) => [u.id, personLabel(u)]), t("console.all"));
  targetFilter = await wantedTarget();  // out of scope: "not found", nothing offered
  if (targetFilter) {
    const { kind, name } = targetFilter;
    $("f-firm").replaceChildren(t(`console.filter_${kind}`, { name }), " ",
      el("a", { href: "/console/assignments", class: "btn-link" },
        t(kind === "firm" ? "console.clear_filter" : "console.clear_project_filter")));
    $("f-firm").hidden = false;
    $("f-when").value = "";
    $("a-kind").value = kind;
  }
  $("a-starts").value = today();
  $("a-kind").addEventListener("change", () => findTargets().catch(showError));
  $("a-target-find").addEventListener("click", () => findTargets().catch(showError));
  $("assign-form").addEventListener("submit", (event) => {
    event.preventDefault();
    assign(event.currentTarget).catch(showError);
  });
  $("assign-filter").addEventListener("submit", (event) => {
    event.preventDefault();
    page = 1;
    loadAssignments().catch(showError);
  });
  await findTargets();
  await loadAssignments();
}

start(render);
