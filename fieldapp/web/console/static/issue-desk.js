// The issue desks' shared part: queues by state with deadlines counting down, and one issue's
// whole timeline (internal notes visible to staff) with the actions the API says the caller may
// take now (`allowed_actions`). dispatch.js and desk.js choose the queues.

import { api, ApiError, clearError, el, showError, t } from "./console.js";
import { formatDateTime, formatDeadline } from "/web/static/format.js";

const $ = (id) => document.getElementById(id);
// What each action asks for (the API checks every field; the form only lays them out).
const INPUTS = {
  reject: ["text"], return: ["text"], request_suspension: ["text"], suspend: ["text"],
  reopen: ["text"], callback: ["text"], dispatch: ["department_id"], merge: ["into_id"],
  resolve: ["reply", "result_code"], supervise: ["level"],
};
const RESULT_CODES = ["solved", "explained", "not_our_duty"];
const OPEN = ["submitted", "accepted", "dispatched", "in_progress", "suspended"];

const ctx = { queues: [], state: null, page: 1, departments: new Map(), categories: new Map(),
  current: null };

function deadlineOf(issue) {
  return issue.state === "submitted" ? issue.response_due_at : issue.resolve_due_at;
}

// A suspended issue's clock is stopped (the API moves its deadline on when it resumes), so it
// shows no countdown either.
function running(issue) {
  return deadlineOf(issue) && !["resolved", "closed", "rejected", "merged", "suspended"].includes(issue.state);
}

// "还剩 2 天 3 小时" / "已超期 5 小时": calendar time to the API's working-day deadline.
function countdown(issue) {
  const due = deadlineOf(issue);
  if (issue.state === "suspended" && due) {
    return el("span", { class: "muted deadline", title: formatDeadline(due) }, t("console.deadline_paused"));
  }
  if (!running(issue)) {
    return el("span", { class: "muted deadline" }, formatDeadline(due));
  }
  const left = new Date(due).getTime() - Date.now();
  const hours = Math.floor(Math.abs(left) / 3600000);
  const text = t(left < 0 ? "console.overdue_by" : "console.time_left",
    { days: Math.floor(hours / 24), hours: hours % 24 });
  const late = issue.overdue || left < 0;
  return el("span", { class: late ? "countdown late" : "countdown", title: formatDeadline(due) },
    text);
}

function stateBadge(state) {
  const tone = { submitted: "warn", accepted: "info", dispatched: "info", in_progress: "info",
    suspended: "warn", resolved: "ok", closed: "ok", rejected: "bad", merged: "" }[state];
  return el("span", { class: `badge badge-${tone}` }, t(`console.state_${state}`));
}

async function loadList() {
  clearError();
  const queue = ctx.queues.find((q) => q.key === ctx.state);
  const result = await api("/issues", { query: { ...queue.query, page: ctx.page, page_size: 20 } });
  const rows = result.items.map((issue) => el("tr", {
    dataset: { issue: issue.id } },
  el("td", {}, el("button", { type: "button", class: "btn-link", onclick: () => show(issue.id) },
    issue.tracking_no)),
  el("td", {}, issue.title, issue.urgent ? el("span", { class: "badge badge-bad" }, t("console.urgent")) : ""),
  el("td", {}, issue.firm_name),
  el("td", {}, stateBadge(issue.state)),
  el("td", {}, issue.department_id ? ctx.departments.get(issue.department_id) ?? "" : ""),
  el("td", {}, countdown(issue)),
  el("td", {}, issue.supervision_level ? el("span", { class: "badge badge-bad" },
    t("console.supervision", { level: issue.supervision_level })) : "")));
  $("issue-list").replaceChildren(rows.length ? el("table", { class: "data", id: "issues" },
    el("thead", {}, el("tr", {}, ["col_tracking", "col_title", "col_firm", "col_state", "col_department",
      "col_deadline", "col_supervision"].map((k) => el("th", { scope: "col" }, t(`console.${k}`))))),
    el("tbody", {}, rows)) : el("p", { class: "muted" }, t("console.queue_empty_issues")));
  const pages = Math.max(1, Math.ceil(result.total / result.page_size));
  $("issue-pager").replaceChildren(
    el("button", { type: "button", class: "btn", disabled: ctx.page <= 1,
      onclick: () => { ctx.page -= 1; loadList().catch(showError); } }, t("console.previous_page")),
    el("span", {}, t("console.page_of", { page: result.page, pages, total: result.total })),
    el("button", { type: "button", class: "btn", disabled: ctx.page >= pages,
      onclick: () => { ctx.page += 1; loadList().catch(showError); } }, t("console.next_page")));
}

function tabs() {
  $("state-tabs").replaceChildren(...ctx.queues.map((q) => el("button", { type: "button",
    "aria-pressed": String(q.key === ctx.state), onclick: () => {
      ctx.state = q.key;
      ctx.page = 1;
      tabs();
      loadList().catch(showError);
    } }, t(`console.queue_${q.key}`))));
}

function input(name, issue) {
  const id = `act-${name}`;
  if (name === "department_id") {
    const suggested = new Set(issue.suggested_department_ids || []);
    const options = [...ctx.departments].sort(([a], [b]) => suggested.has(b) - suggested.has(a))
      .map(([value, label]) => el("option", { value }, suggested.has(value) ? `${label} ★` : label));
    return el("div", { class: "field" }, el("label", { for: id }, t("console.field_department")),
      el("select", { id, name, required: true }, options));
  }
  if (name === "into_id") {
    const select = el("select", { id, name, required: true });
    // The master: another open issue in the caller's scope (the API checks it is still open).
    api("/issues", { query: { page_size: 100 } }).then((list) => select.append(...list.items
      .filter((i) => i.id !== issue.id && OPEN.includes(i.state))
      .map((i) => el("option", { value: i.id }, `${i.tracking_no} ${i.title}`))), showError);
    return el("div", { class: "field" }, el("label", { for: id }, t("console.field_master")), select);
  }
  if (name === "result_code") {
    return el("div", { class: "field" }, el("label", { for: id }, t("console.field_result")),
      el("select", { id, name }, RESULT_CODES.map((c) => el("option", { value: c }, t(`console.result_${c}`)))));
  }
  if (name === "level") {
    return el("div", { class: "field" }, el("label", { for: id }, t("console.field_level")),
      el("select", { id, name }, [1, 2].map((n) => el("option", { value: n }, t("console.supervision", { level: n })))));
  }
  return el("div", { class: "field" }, el("label", { for: id }, t(`console.field_${name}`)),
    el("textarea", { id, name, rows: 2 }));
}

function actionForm(action, issue) {
  const form = el("form", { class: "action-form", id: "action-form", dataset: { action } },
    el("h3", {}, t(`console.action_${action}`)),
    (INPUTS[action] || []).map((name) => input(name, issue)),
    el("div", { class: "field" }, el("label", { for: "act-internal" }, t("console.field_internal_text")),
      el("textarea", { id: "act-internal", name: "internal_text", rows: 2 })),
    el("p", { class: "error", id: "action-error", role: "alert" }),
    el("div", { class: "row" },
      el("button", { type: "submit", class: "btn btn-primary" }, t("common.confirm")),
      el("button", { type: "button", class: "btn", onclick: () => form.remove() }, t("common.cancel"))));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { action };
    for (const field of form.querySelectorAll("[name]")) {
      const value = field.value.trim();
      if (!value) continue;
      if (["department_id", "level", "into_id"].includes(field.name)) body[field.name] = Number(value);
      else body[field.name] = value;
    }
    try {
      await api(`/issues/${issue.id}/actions`, { method: "POST", body });
    } catch (err) {
      const fields = err instanceof ApiError && err.problem?.errors
        ? Object.keys(err.problem.errors).map((f) => t(`console.field_${f}`)).join("、") : "";
      form.querySelector("#action-error").textContent = fields
        ? t("console.fix_fields", { fields }) : err.explain();
      return;
    }
    await show(issue.id);
    await loadList();
    $("issue-detail").querySelector(".notice").textContent = t("console.action_done", {
      action: t(`console.action_${action}`) });
  });
  return form;
}

function timelineItem(event) {
  return el("li", { dataset: { action: event.action } },
    el("div", {}, el("strong", {}, t(`console.action_${event.action}`)), " · ",
      el("span", { class: "muted" }, formatDateTime(event.at)),
      event.department_id ? ` · ${ctx.departments.get(event.department_id) ?? ""}` : ""),
    event.public_text ? el("div", {}, event.public_text) : null,
    event.internal_text ? el("div", { class: "internal" }, t("console.internal_note"), "：",
      event.internal_text) : null);
}

export async function show(id) {
  // aria-busy while the panel reloads: screen readers wait, and so do the browser tests,
  // which would otherwise open a form the reload is about to replace.
  const detail = $("issue-detail");
  const call = (ctx.showCalls = (ctx.showCalls ?? 0) + 1);
  detail.setAttribute("aria-busy", "true");
  let issue;
  try {
    issue = await api(`/issues/${id}`);
  } finally {
    if (call === ctx.showCalls) detail.setAttribute("aria-busy", "false");
  }
  if (call !== ctx.showCalls) return; // a later call draws the panel
  ctx.current = issue;
  for (const row of document.querySelectorAll("#issues tbody tr")) {
    row.classList.toggle("this-visit", Number(row.dataset.issue) === id);
  }
  detail.dataset.issue = id;
  const actions = el("div", { class: "actions", id: "issue-actions" },
    issue.allowed_actions.map((action) => el("button", { type: "button",
      class: ["reject", "return"].includes(action) ? "btn btn-danger" : "btn", dataset: { action },
      onclick: () => {
        detail.querySelector("#action-form")?.remove();
        detail.append(actionForm(action, issue));
        detail.querySelector("#action-form textarea, #action-form select, #action-form input")?.focus();
      } }, t(`console.action_${action}`))));
  detail.replaceChildren(
    el("div", { class: "card-title" }, el("h2", {}, `${issue.tracking_no} ${issue.title}`), stateBadge(issue.state)),
    el("p", { class: "notice", role: "status" }, t("console.issue_summary", {
      firm: issue.firm_name, category: ctx.categories.get(issue.category) ?? issue.category })),
    el("dl", { class: "facts" },
      // The check code (查询码) with the number: staff read both out to a firm that phoned or
      // wrote in, which then follows the issue at /track without an account.
      el("dt", {}, t("console.check_code")), el("dd", { id: "issue-check-code" }, issue.check_code),
      el("dt", {}, t("console.col_department")), el("dd", {}, ctx.departments.get(issue.department_id) ?? t("common.none")),
      // The deadline itself beside its countdown (the list shows it only as the tooltip).
      el("dt", {}, t("console.col_deadline")), el("dd", { id: "issue-deadline" }, countdown(issue),
        running(issue) ? [" · ", el("span", { class: "deadline" }, formatDeadline(deadlineOf(issue)))]
          : null),
      el("dt", {}, t("console.col_supervision")), el("dd", {}, issue.supervision_level
        ? t("console.supervision", { level: issue.supervision_level }) : t("common.none")),
      el("dt", {}, t("console.description")), el("dd", {}, issue.description || t("common.none"))),
    el("h3", { class: "section-title" }, t("console.timeline")),
    el("ol", { class: "timeline", id: "issue-timeline" }, issue.events.map(timelineItem)),
    issue.allowed_actions.length ? actions : el("p", { class: "muted" }, t("console.no_actions")));
  detail.hidden = false;
}

export async function startDesk(queues) {
  ctx.queues = queues;
  const [departments, categories] = await Promise.all([api("/departments", { query: { page_size: 200 } }),
    api("/issue-categories")]);
  for (const d of departments.items || departments) ctx.departments.set(d.id, d.name);
  for (const c of categories.items || categories) ctx.categories.set(c.code, c.name);
  const wanted = new URLSearchParams(window.location.search);
  ctx.state = (wanted.get("overdue") && queues.find((q) => q.key === "overdue")) ? "overdue" : queues[0].key;
  tabs();
  await loadList();
  if (wanted.get("issue")) await show(Number(wanted.get("issue")));
}
