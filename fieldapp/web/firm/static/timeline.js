// The parcel-style timeline of one issue, drawn from the API's public view (POST /track,
// GET /issues/{id} for a firm user). Newest step on top; text only, never HTML from the server.
import { t } from "/web/static/i18n.js";
import { formatDateTime, formatDeadline } from "/web/static/format.js";

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function outcomeNotice(view) {
  if (!view.outcome) return null;
  // Fixed and not fixed must never look alike: green tick vs amber notice with its reason.
  const fixed = view.fixed === true;
  return el("p", { class: `notice ${fixed ? "notice-ok" : "notice-warn"} outcome`,
    "data-outcome": view.outcome },
    el("strong", {}, fixed ? t("firm.outcome_fixed") : t("firm.outcome_not_fixed")),
    " ", view.outcome_label);
}

function stateBadge(view) {
  const cls = view.fixed === true ? "badge-ok" : view.fixed === false ? "badge-warn" : "badge-info";
  return el("span", { class: `badge ${cls}`, "data-state": view.state }, view.state_label);
}

function facts(view) {
  const deadline = view.deadline
    ? [formatDeadline(view.deadline), view.overdue
      ? el("span", { class: "badge badge-bad" }, t("firm.overdue")) : null]
    : [t("common.none")];
  return el("dl", { class: "facts" },
    el("dt", {}, t("firm.category")), el("dd", {}, view.category_name),
    el("dt", {}, t("firm.department_now")), el("dd", {}, view.department || t("firm.no_department")),
    el("dt", {}, t("firm.deadline")), el("dd", { class: "deadline" }, ...deadline),
    el("dt", {}, t("firm.next_step")), el("dd", { class: "next-step" }, view.next_step));
}

function step(event, index) {
  return el("li", { class: index === 0 ? "step step-current" : "step" },
    el("span", { class: "step-dot", "aria-hidden": "true" }),
    el("div", { class: "step-body" },
      el("div", { class: "step-label" }, event.label),
      el("time", { class: "muted small", datetime: event.at }, formatDateTime(event.at)),
      event.text ? el("p", { class: "step-text" }, event.text) : null,
      event.tracking_no ? el("p", { class: "muted small" },
        t("firm.merged_step", { no: event.tracking_no })) : null));
}

// Replace root's content with the summary card and its steps.
export function renderTimeline(root, view) {
  const events = [...view.events].reverse();
  root.replaceChildren(
    el("article", { class: "card issue-summary", "aria-labelledby": "issue-title" },
      el("div", { class: "row spread" },
        el("span", { class: "muted tracking-no" }, view.tracking_no), stateBadge(view)),
      el("h2", { id: "issue-title" }, view.title),
      outcomeNotice(view),
      facts(view)),
    el("section", { class: "card", "aria-labelledby": "steps-heading" },
      el("h2", { id: "steps-heading" }, t("firm.progress")),
      el("ol", { class: "steps" }, events.map(step))));
}
