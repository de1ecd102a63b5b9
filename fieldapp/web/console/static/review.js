// Review queue (走访审核): visits waiting for a decision, with the evidence side by side — the
// site (point, radius circle, boundary) and the fix with its accuracy circle on a plain Leaflet
// map, the distance, every flag explained, the person's visits before and after, the photos with
// their EXIF time and place — and approve/reject with a reason code. Shortcuts: A approve,
// R reject, J/K next/previous, N the note. A second decision needs an explicit confirmation.

import { api, ApiError, clearError, el, showError, start, t, vendorModule } from "./console.js";
import { formatDateTime, formatDistance } from "/web/static/format.js";
import { addBaseMap, hasBaseMap, shown } from "./basemap.js";

const $ = (id) => document.getElementById(id);
const FLAGS = ["mock_location", "accuracy_implausible", "impossible_travel", "same_spot_other_firms",
  "repeated_fix", "clock_skew", "stale_fix", "accuracy_missing", "accuracy_too_coarse",
  "manual_position", "photo_time_mismatch", "photo_location_mismatch", "photo_reused"];
const REASONS = ["device_location_wrong", "no_signal", "met_at_other_address", "site_outdated",
  "verified_by_photo", "not_visited", "duplicate", "wrong_firm", "firm_confirmed", "other"];
const COLOURS = { site: "#1a4f8b", fix: "#c8102e" };

let L = null;
let map = null;
let layers = null;
let queue = [];
let current = null;  // the visit shown
const names = { users: new Map(), firms: new Map() };

async function nameOf(kind, id) {
  if (id === null || id === undefined) return "";
  const cache = names[kind];
  if (!cache.has(id)) {
    cache.set(id, api(`/${kind}/${id}`).then((x) => x.display_name || x.name, () => `#${id}`));
  }
  return cache.get(id);
}

function filters() {
  const query = { status: "needs_review", page_size: 100, flag: $("f-flag").value,
    org_unit_id: $("f-unit").value, user_id: $("f-user").value };
  if ($("f-age").value) {
    query.until = new Date(Date.now() - Number($("f-age").value) * 86400000).toISOString();
  }
  return query;
}

async function loadQueue(selectId = null) {
  const result = await api("/visits", { query: filters() });
  queue = result.items;
  $("queue-total").textContent = result.total;
  const items = await Promise.all(queue.map(async (v) => el("li", {}, el("button", {
    type: "button", dataset: { visit: v.id }, onclick: () => select(v.id) },
  el("strong", {}, await nameOf("firms", v.firm_id)), el("br"),
  el("span", { class: "small" }, `${await nameOf("users", v.user_id)} · ${formatDateTime(v.captured_at)}`),
  el("br"),
  el("span", { class: "badge badge-warn" }, t(`console.verdict_${v.verification.verdict}`)), " ",
  v.verification.flags.map((f) => el("span", { class: "badge" }, t(`console.flag_${f}`)))))));
  $("queue").replaceChildren(...items);
  if (!queue.length && selectId === null) {
    $("queue").replaceChildren(el("li", { class: "muted" }, el("p", {}, t("console.queue_empty"))));
    $("evidence").hidden = true;
    return;
  }
  await select(selectId ?? queue[0].id);
}

async function siteGeometry(visit) {
  const v = visit.verification;
  const kind = visit.firm_id ? "firms" : "projects";
  const versions = await api(`/${kind}/${visit.firm_id || visit.project_id}/sites/${v.site_id}/versions`);
  const list = Array.isArray(versions) ? versions : versions.items;
  return list.find((s) => s.version === v.site_version) || list[list.length - 1];
}

function drawMap(site, visit) {
  if (!map) {
    map = L.map("ev-map", { attributionControl: hasBaseMap(), zoomSnap: 0.25 });
    addBaseMap(L, map);
    map.getContainer().setAttribute("aria-label", t("console.evidence_map"));
    layers = L.layerGroup().addTo(map);
  }
  layers.clearLayers();
  const v = visit.verification;
  // Positions as drawn on the base map (shifted on GCJ-02 tiles); distances stay the API's.
  const fix = shown(v.position_wgs84.lat, v.position_wgs84.lon);
  const point = shown(site.point.lat, site.point.lon);
  const drawn = [];
  if (site.boundary) {
    drawn.push(L.geoJSON(site.boundary, { coordsToLatLng: ([lon, lat]) => L.latLng(shown(lat, lon)),
      style: { color: COLOURS.site, weight: 2, fillOpacity: 0.08, className: "ev-site-boundary" } }));
  }
  drawn.push(L.circle(point, { radius: site.radius_m, color: COLOURS.site,
    weight: 1.5, dashArray: "6 4", fillOpacity: 0.05, className: "ev-site-radius" }));
  drawn.push(L.circleMarker(point, { radius: 6, color: "#fff", weight: 2,
    fillColor: COLOURS.site, fillOpacity: 1, className: "ev-site-point" }));
  if (v.accuracy_m) {
    drawn.push(L.circle(fix, { radius: v.accuracy_m, color: COLOURS.fix, weight: 1.5,
      fillOpacity: 0.1, className: "ev-fix-accuracy" }));
  }
  drawn.push(L.polyline([point, fix], { color: "#4e5969",
    weight: 1, dashArray: "2 4", className: "ev-distance" }));
  drawn.push(L.circleMarker(fix, { radius: 6, color: "#fff", weight: 2,
    fillColor: COLOURS.fix, fillOpacity: 1, className: "ev-fix-point" }));
  // A view first: circles measure their radius in pixels through it.
  map.invalidateSize();
  map.setView(point, 16);
  for (const layer of drawn) layers.addLayer(layer);
  map.fitBounds(L.featureGroup(drawn).getBounds(), { padding: [24, 24], maxZoom: 18 });
  $("ev-legend").replaceChildren(
    el("span", {}, el("span", { class: "swatch swatch-site" }), t("console.legend_site")),
    el("span", {}, el("span", { class: "swatch swatch-fix" }), t("console.legend_fix")));
}

function fact(label, value) {
  return [el("dt", {}, label), el("dd", {}, value)];
}

async function neighbours(visit) {
  const at = new Date(visit.captured_at).getTime();
  const around = await api("/visits", { query: { user_id: visit.user_id, page_size: 20,
    since: new Date(at - 2 * 86400000).toISOString(), until: new Date(at + 2 * 86400000).toISOString() } });
  const rows = await Promise.all(around.items
    .sort((a, b) => a.captured_at.localeCompare(b.captured_at))
    .map(async (v) => el("tr", { class: v.id === visit.id ? "this-visit" : null },
      el("td", {}, formatDateTime(v.captured_at), v.id === visit.id ? ` · ${t("console.this_visit")}` : ""),
      el("td", {}, await nameOf("firms", v.firm_id)),
      el("td", {}, t(`console.verdict_${v.verification.verdict}`)),
      el("td", { class: "num" }, formatDistance(v.verification.distance_m)),
      el("td", {}, v.verification.position_wgs84
        ? `${v.verification.position_wgs84.lat.toFixed(5)}, ${v.verification.position_wgs84.lon.toFixed(5)}` : ""))));
  $("ev-neighbours").replaceChildren(el("table", { class: "data" },
    el("thead", {}, el("tr", {}, ["col_captured", "col_target", "col_verdict", "col_distance", "col_position"]
      .map((k) => el("th", { scope: "col" }, t(`console.${k}`))))),
    el("tbody", {}, rows)));
}

async function photos(visit) {
  if (!visit.photos.length) {
    $("ev-photos").replaceChildren(el("p", { class: "muted" }, t("console.no_photos")));
    return;
  }
  const cards = await Promise.all(visit.photos.map(async (p) => {
    const blob = await api(p.url.replace("/api/v1", ""));
    return el("figure", { class: "card photo" },
      el("img", { src: URL.createObjectURL(blob), alt: t("console.photo_alt"), width: 200 }),
      el("figcaption", { class: "small" },
        t("console.exif_time", { time: formatDateTime(p.exif_taken_at) }), el("br"),
        p.exif_lat === null ? t("console.exif_no_place")
          : t("console.exif_place", { lat: p.exif_lat.toFixed(5), lon: p.exif_lon.toFixed(5) }),
        p.flags.length ? el("br") : null,
        p.flags.map((f) => el("span", { class: "badge badge-warn" }, t(`console.flag_${f}`)))));
  }));
  $("ev-photos").replaceChildren(...cards);
}

async function select(id) {
  clearError();
  $("decide-error").textContent = "";
  for (const b of document.querySelectorAll("#queue button")) {
    b.setAttribute("aria-current", String(Number(b.dataset.visit) === id));
  }
  const visit = await api(`/visits/${id}`);
  current = visit;
  const v = visit.verification;
  $("evidence").hidden = false;
  $("ev-title").textContent = `${await nameOf("firms", visit.firm_id)} · ${await nameOf("users", visit.user_id)}`;
  $("ev-status").replaceChildren(el("span", { class: "badge badge-info" }, t(`console.status_${visit.status}`)));
  $("ev-facts").replaceChildren(
    ...fact(t("console.col_captured"), formatDateTime(visit.captured_at)),
    ...fact(t("console.received"), formatDateTime(visit.received_at)),
    ...fact(t("console.col_verdict"), t(`console.verdict_${v.verdict}`)),
    ...fact(t("console.col_distance"), formatDistance(v.distance_m)),
    ...fact(t("console.radius"), formatDistance(v.radius_m)),
    ...fact(t("console.accuracy"), formatDistance(v.accuracy_m)),
    ...fact(t("console.source"), `${visit.position?.source ?? ""} · ${visit.position?.crs ?? ""}`),
    ...fact(t("console.site_version"), String(v.site_version)),
    ...fact(t("console.firm_confirmation"), firmConfirmation(v.firm_confirmation)),
    ...fact(t("console.notes"), visit.notes || t("common.none")));
  const explained = [];
  if (v.verdict !== "verified") explained.push(el("li", {}, t(`console.explain_${v.verdict}`)));
  for (const f of v.flags) {
    explained.push(el("li", { dataset: { flag: f } }, el("strong", {}, t(`console.flag_${f}`)), "：",
      t(`console.explain_${f}`)));
  }
  $("ev-flags").replaceChildren(...(explained.length ? explained : [el("li", {}, t("console.no_flags"))]));
  const last = visit.reviews[visit.reviews.length - 1];
  $("ev-history").replaceChildren(last ? el("p", { class: "notice notice-warn" }, t("console.decided_before", {
    decision: t(`console.decision_${last.decision}`), reason: t(`console.reason_${last.reason_code}`),
    time: formatDateTime(last.decided_at) })) : "");
  $("supersede-box").hidden = !last;
  $("supersede").checked = false;
  $("supersede-text").textContent = t("console.supersede_confirm");
  $("note").value = "";
  drawMap(await siteGeometry(visit), visit);
  await Promise.all([neighbours(visit), photos(visit)]);
}

// The firm's own confirmation (second evidence beside GPS): when, and its optional rating.
function firmConfirmation(c) {
  if (!c) return t("console.firm_not_confirmed");
  const when = t("console.firm_confirmed_at", { time: formatDateTime(c.confirmed_at) });
  return c.rating ? `${when} · ${t(`console.visit_rating_${c.rating}`)}` : when;
}

async function decide(decision) {
  if (!current) return;
  const note = $("note").value.trim();
  const body = { decision, reason_code: $("reason").value, note: note || undefined };
  if (current.reviews.length) {
    if (!$("supersede").checked) {
      $("decide-error").textContent = t("console.supersede_needed");
      $("supersede").focus();
      return;
    }
    body.supersede = true;
  }
  try {
    await api(`/visits/${current.id}/review`, { method: "POST", body });
  } catch (err) {
    const field = err instanceof ApiError ? err.problem?.errors?.note : null;
    $("decide-error").textContent = field ? t("console.note_required") : err.explain?.() ?? String(err);
    if (field) $("note").focus();
    return;
  }
  const index = queue.findIndex((v) => v.id === current.id);
  const next = queue[index + 1] || queue[index - 1];
  await loadQueue(next ? next.id : null);
  $("decide-error").textContent = t(`console.decided_${decision}`);
}

function move(step) {
  const index = queue.findIndex((v) => v.id === current?.id);
  const next = queue[index + step];
  if (next) select(next.id).catch(showError);
}

function shortcuts(event) {
  if (event.target.closest("input, textarea, select") || event.ctrlKey || event.metaKey || event.altKey) return;
  const key = event.key.toLowerCase();
  const actions = { a: () => decide("approve"), r: () => decide("reject"), j: () => move(1),
    k: () => move(-1), n: () => $("note").focus() };
  if (actions[key]) {
    event.preventDefault();
    actions[key]();
  }
}

async function render() {
  L = (await vendorModule("leaflet"));
  $("f-flag").append(...FLAGS.map((f) => el("option", { value: f }, t(`console.flag_${f}`))));
  $("reason").append(...REASONS.map((r) => el("option", { value: r }, t(`console.reason_${r}`))));
  const [units, users] = await Promise.all([api("/org-units", { query: { page_size: 200 } }),
    api("/users", { query: { page_size: 200, is_active: "true" } })]);
  $("f-unit").append(...units.items.map((u) => el("option", { value: u.id }, u.name)));
  $("f-user").append(...users.items.filter((u) => u.roles.some((r) => r === "commissioner" || r === "butler"))
    .map((u) => el("option", { value: u.id }, u.display_name)));
  $("queue-filter").addEventListener("submit", (event) => {
    event.preventDefault();
    loadQueue().catch(showError);
  });
  $("approve").addEventListener("click", () => decide("approve"));
  $("reject").addEventListener("click", () => decide("reject"));
  document.addEventListener("keydown", shortcuts);
  const wanted = Number(new URLSearchParams(window.location.search).get("visit")) || null;
  await loadQueue(wanted);
}

start(render);
