// A visit the server refused: why (in the phone's words, the server's own text beneath), the
// parts the user may change — which firm or project, purpose, notes, the issues raised — with
// the refused ones marked, then send it again; or discard it after a confirmation. The
// position and the time are evidence and stay as captured.
import { t } from "/web/static/i18n.js";
import { h, mount } from "/web/static/dom.js";
import { formatDateTime } from "/web/static/format.js";
import * as store from "../store.js";
import * as labels from "../labels.js";
import * as outbox from "../outbox.js";
import { explainRefusal, fields } from "../refusal.js";
import { discardButton, refocusConfirmation } from "./outbox.js";

const PURPOSES = ["routine", "issue_followup", "policy", "project_stage", "other"];

// A field with its label, marked invalid with the server's words when the server named it.
function field(id, label, control, refused) {
  const errorId = `${id}-refused`;
  if (refused) {
    control.setAttribute("aria-invalid", "true");
    control.setAttribute("aria-describedby", errorId);
  }
  return h("div", { class: `field${refused ? " field-refused" : ""}` },
    h("label", { for: id }, label), control,
    refused ? h("p", { class: "hint refused", id: errorId }, t("phone.field_refused")) : null);
}

export async function show(root, app, clientId) {
  app.setTitle(t("phone.fix_title"), { backTo: "#/outbox" });
  const item = await store.getItem(clientId);
  if (!item || item.user_id !== app.me.id || item.state !== "rejected") {
    root.append(h("div", { class: "notice notice-warn" }, t("phone.fix_nothing")),
      h("a", { class: "btn", href: "#/outbox" }, t("phone.nav_outbox")));
    return null;
  }
  const refused = fields(item.error);
  const rows = (await store.cached("assignments"))?.value.items || [];
  const key = (kind, id) => `${kind}-${id}`;
  const current = key(item.target.kind, item.target.id);
  const targets = rows.map((r) => ({ kind: r.target_kind, id: r.target_id, name: r.target_name }));
  if (!targets.some((r) => key(r.kind, r.id) === current)) targets.unshift(item.target);

  const target = h("select", { id: "fix-target" }, targets.map((r) =>
    h("option", { value: key(r.kind, r.id), selected: key(r.kind, r.id) === current }, r.name)));
  const purpose = h("select", { id: "fix-purpose" }, PURPOSES.map((p) =>
    h("option", { value: p, selected: p === item.body.purpose }, labels.purpose(p))));
  const notes = h("textarea", { id: "fix-notes", maxlength: "5000" });
  notes.value = item.body.notes || "";
  const issues = [...(item.body.issues || [])];
  const issueList = h("ul", { class: "list", id: "fix-issues" });
  const drawIssues = () => mount(issueList, issues.map((issue, i) => h("li", { class: "row spread" },
    h("span", {}, issue.title),
    h("button", { type: "button", class: "btn-link", onClick: () => { issues.splice(i, 1); drawIssues(); } },
      t("phone.issue_remove")))));
  drawIssues();

  const form = h("form", { class: "card", id: "fix-form", novalidate: true },
    field("fix-target", t("phone.fix_target"), target, refused.firm_id || refused.project_id),
    field("fix-purpose", t("phone.purpose"), purpose, refused.purpose),
    field("fix-notes", t("phone.notes"), notes, refused.notes),
    issues.length ? h("div", { class: `field${refused.issues ? " field-refused" : ""}` },
      h("div", { class: "label" }, t("phone.issues_raised")), issueList,
      refused.issues ? h("p", { class: "hint refused" }, t("phone.field_refused")) : null) : null,
    h("p", { class: "hint" }, t("phone.fix_evidence_kept", { time: formatDateTime(item.body.captured_at) })),
    h("button", { type: "submit", class: "btn btn-primary btn-block", id: "resend" }, t("phone.resend")));
  // Inside the visit's card, under its name and refusal: it deletes this visit, not the form.
  const discardPlace = h("div", { class: "row", id: "fix-discard" });
  mount(discardPlace, discardButton(item, discardPlace, { after: () => app.go("#/outbox") }));
  root.append(
    h("section", { class: "card" }, h("h2", {}, item.target.name),
      h("div", { class: "notice notice-bad" }, h("strong", {}, t("phone.rejected_title")),
        explainRefusal(item.error, { id: "reject-reason" })), discardPlace),
    form);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    form.querySelector("#resend").disabled = true;
    const chosen = targets.find((r) => key(r.kind, r.id) === target.value);
    await outbox.resend(clientId, {
      target: { kind: chosen.kind, id: Number(chosen.id), name: chosen.name },
      purpose: purpose.value, notes: notes.value.trim() || null, issues });
    app.go(`#/result/${clientId}`);
  });
  // Cancelling the discard redraws the outbox; here it puts the button back (an open
  // confirmation is drawn again as it was).
  const redraw = () => {
    mount(discardPlace, discardButton(item, discardPlace, { after: () => app.go("#/outbox") }));
    refocusConfirmation(discardPlace);
  };
  window.addEventListener("fieldapp:outbox", redraw);
  return () => window.removeEventListener("fieldapp:outbox", redraw);
}
