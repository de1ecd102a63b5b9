// /firm/issues/new: raise an issue with photos or PDFs; the tracking number and check code
// come back at once (the files are checked by the server: type from the bytes, size).
import { api } from "/web/static/api.js";
import { t } from "/web/static/i18n.js";
import { el } from "./timeline.js";
import { firmUser } from "./firmsession.js";

const root = document.getElementById("firm-page");
const form = document.getElementById("raise-form");
const error = document.getElementById("raise-error");
const raised = document.getElementById("raised");
let me = null;

function fieldErrors(err) {
  const errors = err.problem?.errors || {};
  const parts = Object.entries(errors).map(([field, messages]) => `${field}: ${[].concat(messages).join("；")}`);
  return parts.length ? `${err.explain()}（${parts.join("，")}）` : err.explain();
}

function done(issue, failed) {
  const link = `/track#no=${encodeURIComponent(issue.tracking_no)}&code=${encodeURIComponent(issue.check_code)}`;
  raised.replaceChildren(el("section", { class: "card raised", role: "status" },
    el("h2", {}, t("firm.raised_heading")),
    el("dl", { class: "facts" },
      el("dt", {}, t("firm.tracking_no")), el("dd", { id: "raised-no", class: "tracking-no" }, issue.tracking_no),
      el("dt", {}, t("firm.check_code")), el("dd", { id: "raised-code", class: "tracking-no" }, issue.check_code)),
    el("p", { class: "muted" }, t("firm.keep_code")),
    failed.length ? el("p", { class: "notice notice-warn" }, t("firm.some_files_failed", { names: failed.join("、") })) : null,
    el("div", { class: "row" },
      el("a", { class: "btn btn-primary", href: `/firm/issues/${issue.id}` }, t("firm.see_issue")),
      el("a", { class: "btn", href: link }, t("firm.track_link")))));
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  if (!form.title.value.trim()) {
    error.textContent = t("firm.title_required");
    error.hidden = false;
    return;
  }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const issue = await api("/issues", { method: "POST", body: {
      firm_id: me.firm_id, category: form.category.value, title: form.title.value.trim(),
      ...(form.description.value.trim() ? { description: form.description.value.trim() } : {}) } });
    const failed = [];
    for (const file of form.files.files) {
      const body = new FormData();
      body.append("file", file, file.name);
      try {
        await api(`/issues/${issue.id}/attachments`, { method: "POST", body, timeout: 60000 });
      } catch (err) {
        failed.push(`${file.name}（${err.status === 415 ? t("firm.file_wrong_type") : err.status === 413 ? t("firm.file_too_large") : err.explain()}）`);
      }
    }
    form.hidden = true;
    done(issue, failed);
  } catch (err) {
    error.textContent = fieldErrors(err);
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
});

async function start() {
  me = await firmUser(root);
  const categories = await api("/issue-categories");
  form.category.replaceChildren(...categories.map((c) => el("option", { value: c.code }, c.name)));
  form.hidden = false;
}

start();
