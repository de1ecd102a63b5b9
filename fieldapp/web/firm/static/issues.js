// /firm/: my firm's issues at a glance — state, deadline, overdue — newest first.
import { api } from "/web/static/api.js";
import { t } from "/web/static/i18n.js";
import { formatDateTime, formatDeadline } from "/web/static/format.js";
import { el } from "./timeline.js";
import { firmUser } from "./firmsession.js";

const root = document.getElementById("firm-page");
const list = document.getElementById("issue-list");
const FINISHED = ["resolved", "closed", "rejected", "merged"];

function item(issue) {
  const deadline = issue.state === "submitted" ? issue.response_due_at
    : FINISHED.includes(issue.state) ? null : issue.resolve_due_at;
  const cls = issue.overdue ? "badge-bad" : FINISHED.includes(issue.state) ? "badge-ok" : "badge-info";
  return el("li", {},
    el("a", { class: "card issue-card", href: `/firm/issues/${issue.id}`, "data-tracking-no": issue.tracking_no },
      el("div", { class: "row spread" },
        el("span", { class: "muted small tracking-no" }, issue.tracking_no),
        el("span", { class: `badge ${cls}` }, t(`firm.state_${issue.state}`))),
      el("strong", { class: "issue-card-title" }, issue.title),
      el("div", { class: "row muted small" },
        el("span", {}, t("firm.raised_at", { time: formatDateTime(issue.created_at) })),
        deadline ? el("span", {}, t("firm.due_at", { time: formatDeadline(deadline) })) : null,
        issue.overdue ? el("span", { class: "badge badge-bad" }, t("firm.overdue")) : null)));
}

async function start() {
  await firmUser(root);
  try {
    const page = await api("/issues", { query: { page_size: 50 } });
    list.replaceChildren(...(page.items.length ? page.items.map(item)
      : [el("li", { class: "muted" }, t("firm.no_issues"))]));
  } catch (err) {
    list.replaceChildren(el("li", { class: "notice notice-bad", role: "alert" }, err.explain()));
  }
}

start();
