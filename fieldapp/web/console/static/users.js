// Users (用户管理): the users in the caller's subtree, paged through the API; create one with a
// one-time password (the API makes the user change it at the first log-in), deactivate or
// reactivate, and set a new one-time password. Only what the caller's role may do is offered:
// managers never see the admin role, nor actions on admins or on themselves; the API refuses
// those anyway. A firm user (企业用户) is made for a firm found by name through /firms?q= (a page
// of matches, never every firm): the API gives them the firm's unit and no staff role, so the
// page hides the staff fields when the firm role is chosen.

import { api, ApiError, clearError, el, monthOf, showError, start, t, today } from "./console.js";

const $ = (id) => document.getElementById(id);
const ROLES = ["admin", "manager", "commissioner", "butler", "handler", "firm"];
const FIRM_PAGE = 20;
const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
const units = new Map();
let me = null;
let isAdmin = false;
let page = 1;

// A one-time password from the browser's cryptographic generator (12 characters, no 0/O/1/l/I).
function onetimePassword() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join("");
}

function errorList(box, err) {
  const errors = err instanceof ApiError ? err.problem?.errors : null;
  box.replaceChildren(...(errors
    ? Object.entries(errors).map(([field, messages]) => el("li", { dataset: { field } },
      `${t(`console.user_field_${field}`)}：${[].concat(messages).join("；")}`))
    : [el("li", {}, err.explain ? err.explain() : String(err))]));
}

// Managers may act on users inside their subtree (all listed ones) except admins and themselves.
function mayChange(user) {
  return user.id !== me.id && (isAdmin || !user.roles.includes("admin"));
}

function actions(user) {
  if (!mayChange(user)) return "";
  if (!user.is_active) {
    return el("button", { type: "button", class: "btn-link", dataset: { action: "activate" },
      onclick: () => change(user, { is_active: true }, t("console.user_activated", { name: user.display_name })) },
    t("console.activate"));
  }
  return [el("button", { type: "button", class: "btn-link", dataset: { action: "deactivate" },
    onclick: () => confirmForm(user, "deactivate") }, t("console.deactivate")),
  el("button", { type: "button", class: "btn-link", dataset: { action: "password" },
    onclick: () => confirmForm(user, "password") }, t("console.reset_password"))];
}

async function loadUsers() {
  clearError();
  const result = await api("/users", { query: { page, page_size: 20, q: $("u-q").value.trim(),
    role: $("u-role").value, org_unit_id: $("u-unit").value, is_active: $("u-active").value } });
  const rows = result.items.map((u) => el("tr", { dataset: { user: u.id } },
    el("td", {}, el("code", {}, u.username)), el("td", {}, u.display_name),
    el("td", {}, u.roles.map((r) => t(`console.role_${r}`)).join("、")),
    el("td", {}, u.org_unit?.name ?? units.get(u.org_unit_id) ?? ""),
    el("td", {}, u.firm ? el("a", { href: `/console/registry?firm=${u.firm.id}` }, u.firm.name) : ""),
    el("td", {}, el("span", { class: `badge ${u.is_active ? "badge-ok" : ""}` },
      t(u.is_active ? "console.user_active" : "console.user_inactive")),
    u.temporary_credentials ? [" ", el("span", { class: "badge badge-warn" }, t("console.must_change"))] : ""),
    el("td", {}, actions(u))));
  $("user-table").replaceChildren(el("table", { class: "data", id: "users" },
    el("thead", {}, el("tr", {}, ["col_username", "col_display_name", "col_roles", "col_unit", "col_firm",
      "col_account", "col_action"].map((k) => el("th", { scope: "col" }, t(`console.${k}`))))),
    el("tbody", {}, rows)));
  const pages = Math.max(1, Math.ceil(result.total / result.page_size));
  $("user-pager").replaceChildren(
    el("button", { type: "button", class: "btn", disabled: page <= 1,
      onclick: () => { page -= 1; loadUsers().catch(showError); } }, t("console.previous_page")),
    el("span", {}, t("console.page_of", { page: result.page, pages, total: result.total })),
    el("button", { type: "button", class: "btn", disabled: page >= pages,
      onclick: () => { page += 1; loadUsers().catch(showError); } }, t("console.next_page")));
}

async function change(user, body, done) {
  try {
    await api(`/users/${user.id}`, { method: "PATCH", body });
  } catch (err) {
    $("user-status").textContent = err.explain ? err.explain() : String(err);
    return false;
  }
  $("user-status").textContent = done;
  $("user-action").hidden = true;
  await loadUsers();
  return true;
}

function confirmForm(user, kind) {
  const box = $("user-action");
  const password = kind === "password" ? onetimePassword() : null;
  const text = kind === "password"
    ? t("console.reset_password_confirm", { name: user.display_name, password })
    : t("console.deactivate_confirm", { name: user.display_name });
  box.replaceChildren(
    el("h2", { class: "section-title", id: "user-action-title", tabindex: "-1" },
      t(kind === "password" ? "console.reset_password" : "console.deactivate"), "：", user.display_name),
    el("p", { id: "user-action-text" }, text),
    el("div", { class: "actions" },
      el("button", { type: "button", class: kind === "password" ? "btn btn-primary" : "btn btn-danger",
        id: "user-action-confirm", onclick: () => (kind === "password"
          ? change(user, { password }, t("console.password_set", { name: user.display_name, password }))
          : change(user, { is_active: false }, t("console.user_deactivated", { name: user.display_name }))) },
      t(kind === "password" ? "console.reset_password" : "console.deactivate")),
      el("button", { type: "button", class: "btn", onclick: () => { box.hidden = true; } }, t("common.cancel"))));
  box.hidden = false;
  $("user-action-title").focus();
}

// The firms matching the search box, one page of them, for the new firm user's firm.
async function findFirms() {
  const result = await api("/firms", { query: { q: $("nu-firm-q").value.trim(), page_size: FIRM_PAGE } });
  $("nu-firm").replaceChildren(...result.items.map((f) => el("option", { value: f.id },
    t("console.firm_with_unit", { name: f.name, unit: units.get(f.org_unit_id) ?? "" }))));
  const shown = result.items.length;
  $("nu-firm-hint").textContent = !shown ? t("console.firms_none_found")
    : t(result.total > shown ? "console.firms_found_more" : "console.firms_found_all", { total: result.total, shown });
}

function showRoleFields() {
  const checked = (role) => $(`nu-role-${role}`)?.checked;
  const firm = checked("firm");
  // A firm user has the one role and their firm's unit (the API says so if asked otherwise).
  for (const box of document.querySelectorAll("#nu-roles input:not(#nu-role-firm)")) {
    box.disabled = firm;
    if (firm) box.checked = false;
  }
  $("nu-firm-field").hidden = !firm;
  $("nu-unit-field").hidden = firm;
  $("nu-team-field").hidden = firm || !checked("commissioner");
  $("nu-dept-field").hidden = firm || !checked("handler");
  if (firm && !$("nu-firm").options.length) findFirms().catch(showError);
}

async function create(form) {
  const roles = ROLES.filter((r) => $(`nu-role-${r}`)?.checked);
  const v = (name) => form.elements[name].value.trim();
  const firm = roles.includes("firm");
  const body = { username: v("username"), display_name: v("display_name"), roles,
    password: v("password"), phone: v("phone") || undefined };
  if (firm) {
    body.firm_id = Number(v("firm_id")) || undefined;  // the API gives the firm's unit
  } else {
    Object.assign(body, { org_unit_id: Number(v("org_unit_id")),
      service_team_id: roles.includes("commissioner") && v("service_team_id") ? Number(v("service_team_id")) : undefined,
      department_id: roles.includes("handler") && v("department_id") ? Number(v("department_id")) : undefined });
  }
  if (!roles.length || (firm && !body.firm_id)) {
    const field = roles.length ? "firm_id" : "roles";
    $("new-user-errors").replaceChildren(el("li", { dataset: { field } },
      t(roles.length ? "console.choose_a_firm" : "console.choose_a_role")));
    return;
  }
  $("new-user-errors").replaceChildren();
  try {
    const user = await api("/users", { method: "POST", body });
    $("new-user-errors").replaceChildren(el("li", { class: "ok", id: "new-user-done" },
      t("console.user_created", { username: user.username, password: body.password })));
  } catch (err) {
    errorList($("new-user-errors"), err);
    return;
  }
  form.reset();
  $("nu-password").value = onetimePassword();
  showRoleFields();
  page = 1;
  await loadUsers();
}

async function render(who, roles) {
  me = who;
  isAdmin = roles.has("admin");
  const offered = ROLES.filter((r) => r !== "admin" || isAdmin);
  const [list, departments] = await Promise.all([api("/org-units", { query: { page_size: 200 } }),
    api("/departments")]);
  for (const u of list.items) units.set(u.id, u.name);
  const unitOptions = () => list.items.map((u) => el("option", { value: u.id }, u.name));
  $("nu-unit").append(...unitOptions());
  $("u-unit").append(...unitOptions());
  $("u-role").append(...ROLES.concat("firm").map((r) => el("option", { value: r }, t(`console.role_${r}`))));
  $("nu-roles").append(...offered.map((r) => el("label", { class: "check" },
    el("input", { type: "checkbox", id: `nu-role-${r}`, name: "roles", value: r, onchange: showRoleFields }),
    ` ${t(`console.role_${r}`)}`)));
  $("nu-dept").append(...departments.map((d) => el("option", { value: d.id }, d.name)));
  // Service teams have no list of their own in the API; the visit-rate grouping names them.
  const teams = await api("/stats/visit-rate", { query: { period: monthOf(today()), group_by: "team" } }).catch(() => ({ rows: [] }));
  $("nu-team").append(...teams.rows.filter((r) => r.group !== null)
    .map((r) => el("option", { value: r.group }, r.label)));
  $("nu-password").value = onetimePassword();
  showRoleFields();
  $("nu-generate").addEventListener("click", () => { $("nu-password").value = onetimePassword(); });
  $("nu-firm-find").addEventListener("click", () => findFirms().catch(showError));
  $("nu-firm-q").addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();  // Enter searches; it must not submit the new user
    findFirms().catch(showError);
  });
  $("new-user").addEventListener("submit", (event) => {
    event.preventDefault();
    create(event.currentTarget).catch(showError);
  });
  $("user-filter").addEventListener("submit", (event) => {
    event.preventDefault();
    page = 1;
    loadUsers().catch(showError);
  });
  await loadUsers();
}

start(render);
