// The outbox: every visit on this phone until the server has it, with its state and reason.
// A refused visit can be opened, fixed and sent again, or discarded after a confirmation.
import { t } from "/web/static/i18n.js";
import { h, mount } from "/web/static/dom.js";
import { formatDateTime } from "/web/static/format.js";
import * as labels from "../labels.js";
import * as outbox from "../outbox.js";
import { explainRefusal } from "../refusal.js";

// A visit the server does not have (or whose photos it does not have yet) is discarded only
// after the user says so a second time: the confirmation replaces the buttons in `place`. A
// stored one with nothing left to send goes at once (nothing is lost). An open confirmation
// survives the screen being redrawn (sending in the background redraws it on every change), so
// the question never vanishes under the user's thumb.
const confirming = new Set();

const redrawOutbox = () => window.dispatchEvent(new CustomEvent("fieldapp:outbox"));

function confirmation(item, discard) {
  const textId = `discard-${item.client_id}`;
  return h("div", { class: "notice notice-bad discard-confirm", role: "alertdialog",
    "aria-labelledby": textId },
    h("p", { id: textId }, h("strong", {}, t("phone.discard_question"))),
    h("p", {}, t("phone.discard_help")),
    h("div", { class: "row" },
      h("button", { type: "button", class: "btn btn-danger", onClick: discard }, t("phone.discard_yes")),
      h("button", { type: "button", class: "btn", onClick: () => {
        confirming.delete(item.client_id);
        redrawOutbox();
      } }, t("common.cancel"))));
}

export function discardButton(item, place, { after } = {}) {
  const discard = async () => {
    confirming.delete(item.client_id);
    await outbox.remove(item.client_id);
    if (after) after();
  };
  if (confirming.has(item.client_id)) return confirmation(item, discard);
  return h("button", { type: "button", class: "btn-link btn-danger-link", onClick: () => {
    if (item.state === "stored" && !item.photos.some((p) => p.state === "waiting")) {
      discard();
      return;
    }
    confirming.add(item.client_id);
    mount(place, confirmation(item, discard));
    place.querySelector(".btn-danger").focus();
  } }, t("common.delete"));
}

// After a redraw, an open confirmation keeps the focus it had (the old nodes are gone).
export function refocusConfirmation(root) {
  const open = root.querySelector(".discard-confirm .btn-danger");
  if (open && (!document.activeElement || document.activeElement === document.body)) open.focus();
}

function actions(item) {
  const place = h("div", { class: "row" });
  if (confirming.has(item.client_id) && !outbox.UNSENT.has(item.state)) {
    mount(place, discardButton(item, place));
    return place;
  }
  mount(place,
    h("a", { class: "btn-link", href: `#/result/${item.client_id}` }, t("phone.details")),
    item.state === "rejected" ? h("a", { class: "btn-link", href: `#/fix/${item.client_id}` },
      t("phone.fix_and_resend")) : null,
    outbox.UNSENT.has(item.state) ? null : discardButton(item, place));
  return place;
}

export async function show(root, app) {
  app.setTitle(t("phone.outbox_title"));
  confirming.clear();   // coming back to the outbox shows its buttons, not an old question
  const sendButton = h("button", { type: "button", class: "btn btn-primary", id: "send-now" }, t("phone.send_now"));
  const status = h("div", { "aria-live": "polite", id: "outbox-status" });
  const list = h("ul", { class: "list", id: "outbox-list" });
  const storage = h("p", { class: "muted small", id: "storage" });
  root.append(
    h("div", { class: "notice notice-warn" }, t("phone.outbox_warning")),
    h("div", { class: "row spread" }, status, sendButton), list, storage);
  sendButton.addEventListener("click", async () => {
    sendButton.disabled = true;
    mount(status, t("phone.sending"));
    await outbox.sendAll();
    sendButton.disabled = false;
  });
  const draw = async () => {
    const items = await outbox.items();
    const unsent = items.filter((i) => outbox.UNSENT.has(i.state)).length;
    const refused = items.filter((i) => outbox.REFUSED.has(i.state)).length;
    // A refused visit is not "sent": the server has nothing of it.
    mount(status, unsent ? t("phone.outbox_unsent", { n: unsent })
      : refused ? t("phone.outbox_refused", { n: refused }) : t("phone.outbox_all_sent"));
    mount(list, items.length ? items.map((item) => h("li", { class: "card outbox-item", "data-client-id": item.client_id, "data-state": item.state },
      h("div", { class: "row spread" },
        h("strong", {}, item.target.name),
        h("span", { class: `badge ${labels.OUTBOX_BADGE[item.state] || ""}` }, labels.outboxState(item.state))),
      h("div", { class: "muted small" }, formatDateTime(item.body.captured_at)),
      item.state === "stored" && item.verification ? h("div", {}, labels.status(item.verification.status)) : null,
      item.photos.length ? h("div", { class: "muted small" }, t("phone.photos_state", {
        done: item.photos.filter((p) => p.state === "uploaded").length, total: item.photos.length })) : null,
      item.error && !outbox.UNSENT.has(item.state) ? h("div", { class: "reason" }, explainRefusal(item.error)) : null,
      item.last_error && outbox.UNSENT.has(item.state) ? h("div", { class: "muted small" }, t("phone.last_attempt", { error: item.last_error })) : null,
      actions(item)))
      : h("li", { class: "muted empty" }, t("phone.outbox_empty")));
    refocusConfirmation(list);
  };
  await draw();
  window.addEventListener("fieldapp:outbox", draw);
  if (navigator.storage?.persisted) {
    const persisted = await navigator.storage.persisted();
    storage.textContent = t(persisted ? "phone.storage_persistent" : "phone.storage_not_persistent");
  }
  return () => window.removeEventListener("fieldapp:outbox", draw);
}
