// A firm or project: its sites on a small map with where I am, my last visits, its open
// issues; for a project, its stage and the move to the next stage recorded on the spot.
import { api } from "/web/static/api.js";
import { t } from "/web/static/i18n.js";
import { h, mount } from "/web/static/dom.js";
import { formatDate, formatDateTime, formatDistance } from "/web/static/format.js";
import * as store from "../store.js";
import * as labels from "../labels.js";
import * as position from "../position.js";
import { drawMap } from "../map.js";
import { load } from "./firms.js";

const CLOSED_ISSUE_STATES = new Set(["closed", "rejected", "merged", "resolved"]);

export async function rowOf(kind, id) {
  const cached = await store.cached("assignments");
  return cached?.value.items.find((r) => r.target_kind === kind && String(r.target_id) === id);
}

export async function show(root, app, kind, id) {
  const row = await rowOf(kind, id);
  app.setTitle(row ? row.target_name : t("common.not_found"), { backTo: "#/firms" });
  if (!row) {
    root.append(h("div", { class: "notice notice-warn" }, t("phone.target_unknown")));
    return null;
  }
  const mapBox = h("div", { class: "map", id: "target-map", role: "region",
                            "aria-label": t("phone.map_label") });
  const fileButton = h("a", { class: "btn btn-primary btn-block", href: `#/file/${kind}/${id}`,
                              id: "file-visit" }, t("phone.file_visit"));
  const due = h("div", { class: "row", id: "due" });
  const facts = h("dl", { class: "facts" });
  // This period's state; drawn again after a stage move, which starts a new stage's slot.
  const drawDue = () => {
    mount(due,
      h("span", { class: `badge ${labels.DUE_BADGE[row.due_state] || ""}` }, labels.dueState(row.due_state)),
      row.distance_m !== null ? h("span", { class: "muted" }, t("phone.distance_away", { distance: formatDistance(row.distance_m) })) : null);
    mount(facts,
      h("dt", {}, t("phone.period")), h("dd", {}, periodText(row)),
      h("dt", {}, t("phone.last_countable")), h("dd", {}, row.last_visit_at ? formatDateTime(row.last_visit_at) : t("phone.never_visited")),
      h("dt", {}, t("phone.sites")), h("dd", {}, row.sites.length
        ? row.sites.map((s) => `${s.name || t("phone.site")}（${t("phone.radius", { r: Math.round(s.radius_m) })}）`).join("；")
        : t("phone.no_site")));
  };
  drawDue();
  const head = h("section", { class: "card" }, due, facts, mapBox, fileButton);
  const stageBox = kind === "project" ? h("section", { class: "card", id: "stage" }) : null;
  const visitsBox = h("section", { class: "card", id: "my-visits" },
    h("h2", {}, t("phone.my_last_visits")), h("p", { class: "muted" }, t("common.loading")));
  const issuesBox = kind === "firm" ? h("section", { class: "card", id: "open-issues" },
    h("h2", {}, t("phone.open_issues")), h("p", { class: "muted" }, t("common.loading"))) : null;
  root.append(...[head, stageBox, visitsBox, issuesBox].filter(Boolean));
  if (stageBox) drawStage(stageBox, row, drawDue);

  const here = await position.once();
  let boundaries = [];
  try {
    boundaries = (await api(`/${kind}s/${id}/sites`)).filter((s) => s.is_active && s.boundary)
      .map((s) => s.boundary);
  } catch (err) { /* offline: points and radius circles only */ }
  const map = await drawMap(mapBox, { sites: row.sites, boundaries, here });

  try {
    const page = await api("/visits", { query: { [`${kind}_id`]: id, user_id: app.me.id, page_size: 5 } });
    mount(visitsBox, h("h2", {}, t("phone.my_last_visits")), page.items.length
      ? h("ul", { class: "list" }, page.items.map((v) => h("li", { class: "row spread visit-line" },
          h("span", {}, formatDateTime(v.captured_at)),
          h("span", { class: `badge ${labels.STATUS_BADGE[v.status] || ""}` }, labels.status(v.status)))))
      : h("p", { class: "muted" }, t("phone.no_visits_yet")));
  } catch (err) {
    mount(visitsBox, h("h2", {}, t("phone.my_last_visits")), h("p", { class: "muted" }, err.explain()));
  }
  if (issuesBox) {
    try {
      const page = await api("/issues", { query: { firm_id: id, page_size: 50 } });
      const open = page.items.filter((i) => !CLOSED_ISSUE_STATES.has(i.state));
      mount(issuesBox, h("h2", {}, t("phone.open_issues")), open.length
        ? h("ul", { class: "list" }, open.map((i) => h("li", { class: "issue-line" },
            h("div", {}, i.title),
            h("div", { class: "muted small" }, `${i.tracking_no} · ${labels.issueState(i.state)} · ${formatDate(i.created_at)}`))))
        : h("p", { class: "muted" }, t("phone.no_open_issues")));
    } catch (err) {
      mount(issuesBox, h("h2", {}, t("phone.open_issues")), h("p", { class: "muted" }, err.explain()));
    }
  }
  return () => map?.remove();
}

function periodText(row) {
  const slot = row.current_slot;
  if (row.cadence === "per_stage") return t("phone.period_stage", { start: formatDate(slot.start) });
  return `${formatDate(slot.start)} – ${formatDate(slot.end)}`;
}

// After a stage move: the row as the server now counts it (the new stage is owed a visit);
// the local stage change stands if the list cannot be read.
async function renewRow(row, stage) {
  row.stage = stage;
  try {
    const { list } = await load();
    Object.assign(row, list.items.find((x) => x.target_kind === "project" && x.target_id === row.target_id) || {});
  } catch (err) {
    const cached = await store.cached("assignments");
    const r = cached?.value.items.find((x) => x.target_kind === "project" && x.target_id === row.target_id);
    if (r) {
      r.stage = stage;
      await store.cache("assignments", cached.value);
    }
  }
}

function drawStage(box, row, onMoved) {
  const at = labels.STAGES.indexOf(row.stage);
  const next = labels.STAGES[at + 1];
  const steps = h("ol", { class: "stages" }, labels.STAGES.map((s, i) =>
    h("li", { class: i < at ? "done" : i === at ? "current" : "",
              "aria-current": i === at ? "step" : null }, labels.stage(s))));
  const message = h("div", { "aria-live": "polite" });
  const children = [h("h2", {}, t("phone.stage_title")), steps, message];
  if (next) {
    const confirm = h("div", { class: "confirm", hidden: true },
      h("p", {}, t("phone.stage_confirm", { from: labels.stage(row.stage), to: labels.stage(next) })),
      h("div", { class: "row" },
        h("button", { type: "button", class: "btn btn-primary", id: "stage-confirm", onClick: async () => {
          confirm.hidden = true;
          try {
            const project = await api(`/projects/${row.target_id}/stage`, { method: "POST", body: { to_stage: next } });
            await renewRow(row, project.stage);
            onMoved();
            mount(box);
            drawStage(box, row, onMoved);
            box.querySelector("[aria-live]").append(h("div", { class: "notice notice-ok" }, t("phone.stage_moved", { stage: labels.stage(project.stage) })));
          } catch (err) {
            mount(message, h("div", { class: "notice notice-bad", role: "alert" }, err.explain()));
          }
        } }, t("common.confirm")),
        h("button", { type: "button", class: "btn", onClick: () => { confirm.hidden = true; } }, t("common.cancel"))));
    children.push(h("button", { type: "button", class: "btn btn-block", id: "stage-next",
                                onClick: () => { confirm.hidden = false; } },
      t("phone.stage_move", { stage: labels.stage(next) })), confirm);
  }
  mount(box, ...children);
}
