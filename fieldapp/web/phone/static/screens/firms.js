// My firms and projects, nearest first, with the due state of this period. Works from the
// cached list when offline.
import { api } from "/web/static/api.js";
import { t } from "/web/static/i18n.js";
import { h, mount } from "/web/static/dom.js";
import { formatDate, formatDateTime, formatDistance } from "/web/static/format.js";
import * as store from "../store.js";
import * as position from "../position.js";
import * as labels from "../labels.js";

let prefetched = null;

// Start loading the list before the screen is drawn (the app calls this during start-up).
export function prefetch() {
  prefetched = load();
  prefetched.catch(() => {});
}

export async function load() {
  const fix = await position.once();
  const query = fix ? { near: `${fix.coords.latitude},${fix.coords.longitude}` } : {};
  const list = await api("/me/assignments", { query });
  await store.cache("assignments", list);
  return { list, located: Boolean(fix) };
}

export async function show(root, app) {
  app.setTitle(t("phone.firms_title"));
  const status = h("div", { "aria-live": "polite" });
  const search = h("input", { type: "search", id: "firm-search", class: "input",
                              placeholder: t("phone.search_placeholder"),
                              "aria-label": t("phone.search_label") });
  const list = h("ul", { class: "list", id: "firm-list" });
  root.append(h("div", { class: "searchbar" }, search), status, list);
  let rows = [];

  const draw = () => {
    const needle = search.value.trim().toLowerCase();
    const shown = rows.filter((r) => !needle || r.target_name.toLowerCase().includes(needle));
    mount(list, shown.length ? shown.map((row) => item(row)) :
      h("li", { class: "muted empty" }, rows.length ? t("phone.no_match") : t("phone.no_firms")));
  };
  search.addEventListener("input", draw);

  const cached = await store.cached("assignments");
  if (cached) {
    rows = cached.value.items;
    draw();
  } else {
    mount(status, h("p", { class: "muted" }, t("common.loading")));
  }
  try {
    const pending = prefetched || load();
    prefetched = null;
    const { list: fresh, located } = await pending;
    rows = fresh.items;
    mount(status, located ? null : h("div", { class: "notice notice-warn" }, t("phone.list_no_position")));
    draw();
  } catch (err) {
    mount(status, h("div", { class: "notice notice-warn", role: "status" },
      cached ? t("phone.list_cached", { time: formatDateTime(cached.saved_at) }) : err.explain()));
  }
}

function item(row) {
  const kind = row.target_kind === "firm" ? t("phone.kind_firm") : t("phone.kind_project");
  return h("li", {},
    h("a", { class: "card firm-row", href: `#/target/${row.target_kind}/${row.target_id}`,
             "data-target": `${row.target_kind}-${row.target_id}` },
      h("div", { class: "row spread" },
        h("span", { class: "firm-name" }, row.target_name),
        h("span", { class: "distance" }, row.distance_m === null ? "" : formatDistance(row.distance_m))),
      h("div", { class: "row" },
        h("span", { class: `badge ${labels.DUE_BADGE[row.due_state] || ""}` }, labels.dueState(row.due_state)),
        h("span", { class: "badge" }, kind),
        row.stage ? h("span", { class: "badge badge-info" }, labels.stage(row.stage)) : null),
      h("div", { class: "muted small" },
        row.last_visit_at ? t("phone.last_visit", { date: formatDate(row.last_visit_at) })
          : t("phone.never_visited"))));
}
