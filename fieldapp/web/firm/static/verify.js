// /verify/<token> (the QR code's URL) and /verify (type the short code): is this a current
// commissioner or butler, assigned to us, valid until when — and, for a logged-in firm user,
// confirm "this person visited us today". Every answer comes from /api/v1/credentials/*.
import { api } from "/web/static/api.js";
import { t } from "/web/static/i18n.js";
import { formatDateTime } from "/web/static/format.js";
import { el } from "./timeline.js";
import { logInForm, resume } from "./login.js";

const page = document.getElementById("verify");
const result = document.getElementById("verify-result");
const codeForm = document.getElementById("code-form");
let sent = page.dataset.token ? { token: page.dataset.token } : null;
let loggedIn = false;

const REASONS = { expired: "firm.refused_expired", tampered: "firm.refused_tampered",
  malformed: "firm.refused_tampered", revoked: "firm.refused_revoked" };

function refused(reason) {
  return el("section", { class: "card verdict verdict-bad", role: "status", "data-valid": "false" },
    el("p", { class: "verdict-word" }, "✕ ", t("firm.credential_invalid")),
    el("p", {}, t(REASONS[reason] || "firm.refused_tampered")));
}

function assignmentPart(answer) {
  const a = answer.assignment;
  if (!a.checked) {
    const form = el("form", { class: "uscc-form", novalidate: true },
      el("div", { class: "field" },
        el("label", { for: "uscc" }, t("firm.check_with_uscc")),
        el("input", { type: "text", id: "uscc", name: "uscc", maxlength: "18", autocomplete: "off", autocapitalize: "characters" })),
      el("div", { class: "row" },
        el("button", { class: "btn", type: "submit" }, t("firm.check_button")),
        el("button", { class: "btn-link", type: "button", id: "firm-log-in" }, t("firm.firm_log_in_to_confirm"))));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      check({ ...sent, uscc: form.uscc.value.trim() });
    });
    form.querySelector("#firm-log-in").addEventListener("click", async () => {
      await logInForm(result, { intro: t("firm.firm_log_in_intro") });
      loggedIn = true;
      check(sent);
    });
    return form;
  }
  return el("p", { class: `notice ${a.assigned ? "notice-ok" : "notice-bad"}`, id: "assigned",
    "data-assigned": String(a.assigned) },
  a.assigned ? t("firm.assigned_yes", { firm: a.firm_name || "" })
    : a.firm_name ? t("firm.assigned_no", { firm: a.firm_name }) : t("firm.assigned_unknown_firm"));
}

function confirmPart() {
  const options = ["", "very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "very_dissatisfied"];
  const form = el("form", { class: "card", id: "confirm-form", novalidate: true },
    el("h2", {}, t("firm.confirm_heading")),
    el("p", { class: "muted" }, t("firm.confirm_leads_to")),
    el("div", { class: "field" }, el("label", { for: "visit-rating" }, t("firm.rate_visit_optional")),
      el("select", { id: "visit-rating", name: "rating" },
        options.map((o) => el("option", { value: o }, o ? t(`firm.rating_${o}`) : t("firm.no_rating"))))),
    el("p", { class: "notice notice-bad", role: "alert", hidden: true }),
    el("button", { class: "btn btn-primary btn-block", type: "submit" }, t("firm.confirm_button")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = form.querySelector("[role=alert]");
    error.hidden = true;
    try {
      const body = { ...sent };
      delete body.uscc;
      if (form.rating.value) body.rating = form.rating.value;
      const done = await api("/credentials/confirm", { method: "POST", body });
      form.replaceWith(el("p", { class: "notice notice-ok", id: "confirmed", role: "status" },
        t("firm.confirmed_done", { time: formatDateTime(done.confirmed_at) })));
    } catch (err) {
      error.textContent = err.status === 409 ? t("firm.not_assigned_cannot_confirm") : err.explain();
      error.hidden = false;
    }
  });
  return form;
}

function valid(answer) {
  const h = answer.holder;
  return [
    el("section", { class: "card verdict verdict-ok", role: "status", "data-valid": "true" },
      el("p", { class: "verdict-word" }, "✓ ", t("firm.credential_valid")),
      el("h2", { id: "holder-name" }, h.name),
      el("dl", { class: "facts" },
        el("dt", {}, t("firm.role")), el("dd", {}, h.role_labels.join("、")),
        el("dt", {}, t("firm.unit")), el("dd", {}, h.unit),
        el("dt", {}, t("firm.service_team")), el("dd", {}, h.service_team || t("common.none")),
        el("dt", {}, t("firm.valid_until_label")), el("dd", {}, formatDateTime(answer.expires_at))),
      assignmentPart(answer)),
    answer.may_confirm ? confirmPart() : null,
  ];
}

async function check(body) {
  sent = body;
  result.replaceChildren(el("p", { class: "muted" }, t("common.loading")));
  try {
    const answer = await api("/credentials/verify", { method: "POST", body, auth: loggedIn });
    result.replaceChildren(...(answer.valid ? valid(answer) : [refused(answer.reason)]).filter(Boolean));
  } catch (err) {
    result.replaceChildren(el("p", { class: "notice notice-bad", role: "alert" }, err.explain()));
  }
}

codeForm?.addEventListener("submit", (event) => {
  event.preventDefault();
  check({ short_code: codeForm.short_code.value.trim() });
});

(async () => {
  loggedIn = await resume();
  if (sent) check(sent);
})();
