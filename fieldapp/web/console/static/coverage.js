// Coverage map (覆盖地图): the firms due in a month, coloured by what the API counts for each
// (met, pending review, running, not visited), on the configured base map or a plain background;
// click one for its card.

import { api, clearError, el, monthOf, showError, start, t, today, vendorModule } from "./console.js";
import { formatDateTime } from "/web/static/format.js";
import { addBaseMap, hasBaseMap, shown } from "./basemap.js";

const $ = (id) => document.getElementById(id);
const COLOURS = { met: "#17713a", pending: "#d48806", open: "#1a4f8b", unmet: "#c8102e" };
const OPEN_STATES = ["submitted", "accepted", "dispatched", "in_progress", "suspended"];
let L = null;
let map = null;
let layer = null;
let canvas = null;
const SVG_MOST = 2000;

// The colour of a firm from the API's counts: every due slot met, some waiting for review,
// some still running, or none of these.
function stateOf(p) {
  if (p.met >= p.due) return "met";
  if (p.pending > 0) return "pending";
  if (p.open > 0) return "open";
  return "unmet";
}

async function card(p) {
  const [assignments, issues] = await Promise.all([
    api("/assignments", { query: { firm_id: p.id, active_on: today(), page_size: 10 } }),
    api("/issues", { query: { firm_id: p.id, page_size: 100 } })]);
  const open = issues.items.filter((i) => OPEN_STATES.includes(i.state)).length;
  $("firm-card").replaceChildren(el("h2", { class: "section-title" }, p.name),
    el("dl", { class: "facts" },
      el("dt", {}, t("console.assigned_person")),
      el("dd", {}, assignments.items.map((a) => a.user?.display_name).join("、") || t("common.none")),
      el("dt", {}, t("console.col_last_visit")), el("dd", {}, formatDateTime(p.last_visit)),
      el("dt", {}, t("console.col_state")), el("dd", {}, t(`console.coverage_${stateOf(p)}`)),
      el("dt", {}, t("console.col_due")),
      el("dd", {}, t("console.coverage_counts", { due: p.due, met: p.met, pending: p.pending })),
      el("dt", {}, t("console.open_issues")), el("dd", {}, String(open))));
  $("firm-card").hidden = false;
}

async function load() {
  clearError();
  const period = $("c-period").value;
  let data;
  try {
    data = await api("/stats/coverage.geojson", { query: { period, org_unit_id: $("c-unit").value } });
  } catch (err) {
    // The API refuses a scope with more firms due than one map can draw: ask for a smaller unit.
    if (err.status !== 422 || !err.problem?.errors?.org_unit_id) throw err;
    layer.clearLayers();
    $("coverage-legend").replaceChildren();
    showError(t("console.coverage_too_many"));
    $("c-unit").focus();
    return;
  }
  const counts = { met: 0, pending: 0, open: 0, unmet: 0 };
  layer.clearLayers();
  // SVG keeps each firm an element (its own focus and tooltip, countable by tests); past
  // SVG_MOST firms one canvas draws them all: 10^4 SVG paths took 1.5 s to draw (bench/).
  const renderer = data.features.length > SVG_MOST ? canvas : undefined;
  const markers = [];
  for (const f of data.features) {
    if (!f.geometry) continue;
    const state = stateOf(f.properties);
    counts[state] += 1;
    const [lon, lat] = f.geometry.coordinates;
    const marker = L.circleMarker(shown(lat, lon), { renderer, radius: 6, weight: 1, color: "#fff",
      fillColor: COLOURS[state], fillOpacity: 0.9, className: `firm firm-${state}` });
    marker.bindTooltip(f.properties.name);
    marker.on("click", () => card(f.properties).catch(showError));
    markers.push(marker);
  }
  for (const m of markers) layer.addLayer(m);
  if (markers.length) map.fitBounds(L.featureGroup(markers).getBounds(), { padding: [20, 20] });
  $("legend-title").textContent = t("console.coverage_legend", { period, n: data.features.length });
  $("coverage-legend").replaceChildren(...Object.entries(counts).map(([state, n]) => {
    const swatch = el("span", { class: "swatch" });
    swatch.style.background = COLOURS[state];
    return el("li", { dataset: { state } }, swatch, `${t(`console.coverage_${state}`)}：${n}`);
  }));
}

async function render() {
  L = await vendorModule("leaflet");
  map = L.map("coverage-map", { attributionControl: hasBaseMap(), preferCanvas: false });
  addBaseMap(L, map);
  map.getContainer().setAttribute("aria-label", t("console.nav_coverage"));
  map.setView([34.33, 108.71], 10);
  L.control.scale({ imperial: false }).addTo(map);
  layer = L.layerGroup().addTo(map);
  canvas = L.canvas({ padding: 0.2 });
  $("c-period").value = monthOf(today());
  const units = await api("/org-units", { query: { page_size: 200 } });
  $("c-unit").append(...units.items.map((u) => el("option", { value: u.id }, u.name)));
  $("coverage-filter").addEventListener("submit", (event) => {
    event.preventDefault();
    load().catch(showError);
  });
  await load();
}

start(render);
