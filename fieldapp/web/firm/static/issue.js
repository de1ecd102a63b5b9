// /firm/issues/<id>: the issue's timeline for a logged-in firm user (no check code needed),
// its files, and what the firm may do now — each choice says what it leads to.
import { api } from "/web/static/api.js";
import { t } from "/web/static/i18n.js";
import { el, renderTimeline } from "./timeline.js";
import { firmUser } from "./firmsession.js";

const root = document.getElementById("firm-page");
const id = root.dataset.issueId;
const RATINGS = ["very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "very_dissatisfied"];

function extra(view) {
  const files = view.attachments || [];
  return el("section", { class: "card" },
    el("dl", { class: "facts" },
      el("dt", {}, t("firm.check_code")), el("dd", { class: "tracking-no", id: "issue-check-code" }, view.check_code),
      view.rating ? el("dt", {}, t("firm.your_rating")) : null,
      view.rating ? el("dd", { id: "issue-rating" }, t(`firm.rating_${view.rating}`)) : null),
    files.length ? el("h2", {}, t("firm.attachments")) : null,
    files.length ? el("ul", { class: "list files" }, files.map((f) => el("li", {},
      el("a", { href: "#", "data-url": f.url, "data-type": f.content_type, class: "file-link" }, f.name)))) : null);
}

async function openFile(link) {
  const blob = await api(link.dataset.url.replace(/^\/api\/v1/, ""));
  window.open(URL.createObjectURL(blob), "_blank");
}

// The API's refusals a firm can meet here, in the page's words (its own detail is English).
const REFUSALS = { "reopen-window-closed": "firm.reopen_window_closed",
  "already-rated": "firm.already_rated", "illegal-transition": "firm.changed_meanwhile" };

function refusal(err) {
  const slug = err.status === 409 ? (err.problem?.type || "").split("/").pop() : null;
  return REFUSALS[slug] ? t(REFUSALS[slug]) : err.explain();
}

let acting = false;

// One action at a time: a double tap must not send a second one (the server would refuse it
// and the page would show an error for a choice that went through).
async function act(body, error) {
  if (acting) return;
  acting = true;
  error.hidden = true;
  for (const b of document.querySelectorAll("#issue-actions button")) b.disabled = true;
  try {
    await api(`/issues/${id}/actions`, { method: "POST", body });
    await load();
  } catch (err) {
    error.textContent = refusal(err);
    error.hidden = false;
    if (err.status === 409) await load({ keep: error }).catch(() => {});
  } finally {
    acting = false;
    for (const b of document.querySelectorAll("#issue-actions button")) b.disabled = false;
  }
}

// Whether the latest resolution has been rated (each resolution may be rated once): a rating
// step after the last resolve step of the public timeline.
function ratedSinceResolved(view) {
  const actions = view.events.map((e) => e.action);
  return actions.lastIndexOf("rate") > actions.lastIndexOf("resolve");
}

function ratePart(error) {
  const form = el("form", { class: "stack", id: "rate-form", novalidate: true },
    el("fieldset", { class: "ratings" },
      el("legend", {}, t("firm.rate_heading")),
      RATINGS.map((r, i) => el("label", { class: "rating-choice" },
        el("input", { type: "radio", name: "rating", value: r, required: true, ...(i === 0 ? {} : {}) }),
        el("span", {}, t(`firm.rating_${r}`)),
        el("span", { class: "muted small" }, i < 2 ? t("firm.rating_good_leads_to") : t("firm.rating_bad_leads_to"))))),
    el("div", { class: "field" }, el("label", { for: "rate-comment" }, t("firm.comment_optional")),
      el("textarea", { id: "rate-comment", name: "comment", maxlength: "500" })),
    el("button", { class: "btn btn-primary btn-block", type: "submit" }, t("firm.rate_button")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const rating = form.querySelector("input[name=rating]:checked")?.value;
    if (!rating) {
      error.textContent = t("firm.choose_rating");
      error.hidden = false;
      return;
    }
    act({ action: "rate", rating, ...(form.comment.value.trim() ? { comment: form.comment.value.trim() } : {}) }, error);
  });
  return form;
}

function reopenPart(error) {
  const form = el("form", { class: "stack", id: "reopen-form", novalidate: true },
    el("div", { class: "field" }, el("label", { for: "reopen-reason" }, t("firm.reopen_reason")),
      el("textarea", { id: "reopen-reason", name: "reason", maxlength: "2000" }),
      el("p", { class: "hint" }, t("firm.reopen_leads_to"))),
    el("button", { class: "btn btn-danger btn-block", type: "submit" }, t("firm.reopen_button")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const reason = form.reason.value.trim();
    if (!reason) {
      error.textContent = t("firm.reopen_reason_required");
      error.hidden = false;
      return;
    }
    act({ action: "reopen", text: reason }, error);
  });
  return form;
}

function actions(view, error) {
  const allowed = view.allowed_actions || [];
  const parts = [];
  if (allowed.includes("rate") && view.state === "resolved" && !ratedSinceResolved(view)) {
    parts.push(ratePart(error));
  }
  if (allowed.includes("confirm")) {
    const button = el("button", { class: "btn btn-block", type: "button", id: "confirm-button" }, t("firm.confirm_resolved_button"));
    button.addEventListener("click", () => act({ action: "confirm" }, error));
    parts.push(el("div", {}, button, el("p", { class: "hint muted small" }, t("firm.confirm_resolved_leads_to"))));
  }
  if (allowed.includes("reopen")) parts.push(reopenPart(error));
  if (!parts.length) return error.hidden ? [] : [error];
  return [el("section", { class: "card stack", "aria-labelledby": "actions-heading" },
    el("h2", { id: "actions-heading" }, t("firm.your_turn")), error, ...parts)];
}

// keep: the error notice to carry over (a refusal stays readable after the page is redrawn).
async function load({ keep } = {}) {
  const view = await api(`/issues/${id}`);
  renderTimeline(document.getElementById("timeline"), view);
  document.getElementById("issue-extra").replaceChildren(extra(view));
  const error = keep || el("p", { class: "notice notice-bad", role: "alert", hidden: true });
  document.getElementById("issue-actions").replaceChildren(...actions(view, error));
  for (const link of document.querySelectorAll(".file-link")) {
    link.addEventListener("click", (event) => { event.preventDefault(); openFile(link); });
  }
}

async function start() {
  await firmUser(root);
  try {
    await load();
  } catch (err) {
    document.getElementById("timeline").replaceChildren(
      el("p", { class: "notice notice-bad", role: "alert" }, err.explain()));
  }
}

start();
