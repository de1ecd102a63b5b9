// My visits: history with verdicts and review outcomes; a visit sent back by review shows the
// reviewer's reason.
import { api } from "/web/static/api.js";
import { t } from "/web/static/i18n.js";
import { h, mount } from "/web/static/dom.js";
import { formatDateTime, formatDistance } from "/web/static/format.js";
import * as store from "../store.js";
import * as labels from "../labels.js";

export async function show(root, app) {
  app.setTitle(t("phone.visits_title"));
  const list = h("ul", { class: "list", id: "visit-list" }, h("li", { class: "muted" }, t("common.loading")));
  root.append(list);
  const names = new Map();
  for (const r of (await store.cached("assignments"))?.value.items || []) {
    names.set(`${r.target_kind}-${r.target_id}`, r.target_name);
  }
  try {
    const page = await api("/visits", { query: { user_id: app.me.id, page_size: 50 } });
    await store.cache("visits", page);
    draw(list, page, names);
  } catch (err) {
    const cached = await store.cached("visits");
    if (cached) {
      draw(list, cached.value, names);
      list.before(h("div", { class: "notice notice-warn" }, t("phone.list_cached", { time: formatDateTime(cached.saved_at) })));
    } else {
      mount(list, h("li", { class: "notice notice-warn" }, err.explain()));
    }
  }
}

function draw(list, page, names) {
  mount(list, page.items.length ? page.items.map((v) => {
    const name = v.firm_id ? names.get(`firm-${v.firm_id}`) : names.get(`project-${v.project_id}`);
    const review = v.reviews.length ? v.reviews[v.reviews.length - 1] : null;
    return h("li", { class: "card visit-card", "data-visit": v.id },
      h("div", { class: "row spread" },
        h("strong", {}, name || t(v.firm_id ? "phone.firm_n" : "phone.project_n", { n: v.firm_id || v.project_id })),
        h("span", { class: `badge ${labels.STATUS_BADGE[v.status] || ""}` }, labels.status(v.status))),
      h("div", { class: "muted small" }, `${formatDateTime(v.captured_at)} · ${labels.purpose(v.purpose)}`),
      h("div", { class: "row" },
        h("span", { class: `badge ${labels.VERDICT_BADGE[v.verification.verdict] || ""}` }, labels.verdict(v.verification.verdict)),
        h("span", { class: "muted small" }, formatDistance(v.verification.distance_m))),
      v.verification.flags.length ? h("ul", { class: "flags small" }, v.verification.flags.map((f) => h("li", {}, labels.flag(f)))) : null,
      review ? h("div", { class: `notice ${review.decision === "approve" ? "notice-ok" : "notice-bad"} review` },
        h("strong", {}, t(review.decision === "approve" ? "phone.review_approved" : "phone.review_rejected")),
        h("div", {}, t("phone.review_reason", { reason: labels.reason(review.reason_code) })),
        review.note ? h("div", { class: "review-note" }, t("phone.review_note", { note: review.note })) : null) : null);
  }) : h("li", { class: "muted" }, t("phone.no_visits_yet")));
}
