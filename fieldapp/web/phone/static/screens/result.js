// The result of a filing: verdict, distance and flags explained, and what happens next.
// Follows the outbox item while it is being sent.
import { t } from "/web/static/i18n.js";
import { h, mount } from "/web/static/dom.js";
import { formatDistance, formatDateTime } from "/web/static/format.js";
import * as store from "../store.js";
import * as labels from "../labels.js";
import { explainRefusal } from "../refusal.js";

// The issues raised on the visit, each with its tracking number and check code: the visitor
// hands both to the firm, which then follows the issue at /track without an account.
function raised(issues) {
  if (!issues.length) return null;
  return h("div", { id: "raised-issues" },
    h("h3", {}, t("phone.raised_title")),
    h("ul", { class: "list" }, issues.map((i) => h("li", { class: "issue-line", "data-tracking-no": i.tracking_no },
      h("div", {}, i.title),
      h("dl", { class: "facts" },
        h("dt", {}, t("phone.raised_tracking_no")), h("dd", { class: "raised-no" }, i.tracking_no),
        h("dt", {}, t("phone.raised_check_code")), h("dd", { class: "raised-code" }, i.check_code))))),
    h("p", { class: "hint" }, t("phone.raised_hand_over", { path: "/track" })));
}

export function explain(item) {
  const v = item.verification;
  if (item.state === "stored" && v) {
    const good = v.status === "accepted";
    return h("div", { class: "stack", id: "verdict" },
      h("div", { class: `result-head ${good ? "ok" : "review"}` },
        h("div", { class: "result-mark", "aria-hidden": "true" }, good ? "✓" : "!"),
        h("div", {},
          h("div", { class: "big", id: "verdict-status" }, labels.status(v.status)),
          h("div", {}, t(good ? "phone.next_accepted" : "phone.next_review")))),
      h("dl", { class: "facts" },
        h("dt", {}, t("phone.verdict")), h("dd", { id: "verdict-code" }, labels.verdict(v.verdict)),
        h("dt", {}, t("phone.distance")), h("dd", {}, t("phone.distance_and_radius", { distance: formatDistance(v.distance_m), radius: formatDistance(v.radius_m) })),
        h("dt", {}, t("phone.accuracy")), h("dd", {}, v.raw_accuracy_m === null ? t("common.none") : formatDistance(v.raw_accuracy_m))),
      h("p", {}, t(`phone.verdict_${v.verdict}_means`, { distance: formatDistance(v.distance_m), radius: formatDistance(v.radius_m) })),
      v.flags.length ? h("div", {}, h("h3", {}, t("phone.flags_title")),
        h("ul", { class: "flags", id: "flags" }, v.flags.map((f) => h("li", { "data-flag": f }, labels.flag(f))))) : null,
      item.photos.length ? h("p", { class: "muted" }, t("phone.photos_state", {
        done: item.photos.filter((p) => p.state === "uploaded").length, total: item.photos.length })) : null,
      raised(item.issues || []));
  }
  if (item.state === "rejected" || item.state === "conflict") {
    return h("div", { class: "notice notice-bad", id: "verdict" },
      h("strong", {}, t(item.state === "conflict" ? "phone.conflict_title" : "phone.rejected_title")),
      explainRefusal(item.error, { id: "reject-reason" }),
      h("p", {}, t(item.state === "conflict" ? "phone.conflict_help" : "phone.rejected_help")),
      item.state === "rejected" ? h("a", { class: "btn btn-primary", href: `#/fix/${item.client_id}`,
        id: "fix-visit" }, t("phone.fix_and_resend")) : null);
  }
  return h("div", { class: "notice", id: "verdict" },
    h("strong", {}, labels.outboxState(item.state)),
    h("p", {}, t(navigator.onLine ? "phone.sending_help" : "phone.queued_offline_help")));
}

export async function show(root, app, clientId) {
  app.setTitle(t("phone.result_title"), { backTo: "#/firms" });
  const body = h("section", { class: "card" });
  root.append(body, h("div", { class: "row" },
    h("a", { class: "btn", href: "#/firms" }, t("phone.back_to_firms")),
    h("a", { class: "btn", href: "#/outbox" }, t("phone.nav_outbox"))));
  const draw = async () => {
    const item = await store.getItem(clientId);
    if (!item) { mount(body, h("p", {}, t("common.not_found"))); return; }
    mount(body, h("h2", {}, item.target.name),
      h("p", { class: "muted" }, formatDateTime(item.body.captured_at)), explain(item));
  };
  await draw();
  window.addEventListener("fieldapp:outbox", draw);
  return () => window.removeEventListener("fieldapp:outbox", draw);
}
