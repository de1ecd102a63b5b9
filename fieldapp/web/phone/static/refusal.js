// Why the server refused a visit, in the phone's language. The API's problem documents carry
// a code (the problem type, or a batch item's result) and per-field messages in English: the
// code and each field's name are said in the catalogue's words; the server's own sentence is
// shown beneath a heading that says it is the server's text.
import { t } from "/web/static/i18n.js";
import { h } from "/web/static/dom.js";

// Problem type slugs of POST /visits → the batch's result codes.
const CODE_OF_SLUG = { validation: "invalid", forbidden: "forbidden", "not-found": "not_found",
                       "client-id-conflict": "conflict" };
const CODE_OF_STATUS = { 403: "forbidden", 404: "not_found", 409: "conflict", 422: "invalid" };
const CODES = new Set(["invalid", "forbidden", "not_found", "conflict"]);
const FIELDS = new Set(["firm_id", "project_id", "purpose", "notes", "captured_at", "position",
                        "site_id", "issues", "client_id"]);

// The refusal's code from an ApiError (one visit sent alone).
export function codeOf(err) {
  const slug = (err.problem?.type || "").split("/").pop();
  return CODE_OF_SLUG[slug] || CODE_OF_STATUS[err.status] || "invalid";
}

// "issues.0.title" → "issues": the part of the visit a field belongs to.
export function fieldOf(path) {
  return path.split(".")[0];
}

// The parts of the visit the server named, e.g. {"notes": ["Longer than maximum length 5000."]}.
export function fields(error) {
  const out = {};
  for (const [path, messages] of Object.entries(error?.errors || {})) {
    (out[fieldOf(path)] ||= []).push(...messages);
  }
  return out;
}

function fieldLabel(name) {
  return FIELDS.has(name) ? t(`phone.field_${name}`) : name;
}

// The explanation as nodes: the code's sentence, each refused field with the server's text.
export function explainRefusal(error, { id = null } = {}) {
  const code = CODES.has(error?.code) ? error.code : CODE_OF_STATUS[error?.status] || "invalid";
  const named = Object.entries(fields(error));
  const serverText = named.length ? null : error?.detail || error?.text;
  return h("div", { class: "refusal", id },
    h("p", {}, t(`phone.refused_${code}`)),
    named.length || serverText ? h("p", { class: "muted small" }, t("phone.server_text")) : null,
    named.length ? h("ul", { class: "refused-fields" }, named.map(([name, messages]) =>
      h("li", { "data-field": name }, h("strong", {}, fieldLabel(name)), "：",
        h("span", { lang: "en" }, messages.join(" "))))) : null,
    serverText ? h("p", { lang: "en" }, serverText) : null);
}
