// The site map editor (站点位置维护): a firm's sites on a plain Leaflet map. The point (click in
// "point" mode, drag, or type), the radius circle (typed in metres) and the boundary polygon
// (click in "boundary" mode to add a vertex, drag a vertex to move it, delete it from the list).
// Saving PATCHes the site with exactly the body the sites API takes — WGS-84 point, radius and
// a GeoJSON Polygon with its ring closed — and the API keeps the old geometry as a version;
// the history below is the API's list of versions.

import { api, ApiError, el, showError as showPageError, t, vendorModule } from "./console.js";
import { formatDateTime } from "/web/static/format.js";

const $ = (id) => document.getElementById(id);
const COLOUR = "#1a4f8b";
// Six decimals (about 0.1 m): what the page shows is exactly what it sends and the server keeps.
const round6 = (x) => Math.round(x * 1e6) / 1e6;

let L = null;
let map = null;
let layers = null;
let firm = null;
let site = null;   // the site as the API last answered
let draft = null;  // {point: {lat, lon}, radius_m, vertices: [[lat, lon], …], multi: GeoJSON | null}
let polygon = null;

function draftOf(s) {
  const b = s.boundary;
  return {
    point: { ...s.point }, radius_m: s.radius_m,
    vertices: b?.type === "Polygon" ? b.coordinates[0].slice(0, -1).map(([lon, lat]) => [lat, lon]) : [],
    multi: b?.type === "MultiPolygon" ? b : null,
  };
}

// The boundary as the API takes it: a GeoJSON Polygon in WGS-84 [lon, lat], the ring closed.
export function boundaryGeoJSON(vertices) {
  if (!vertices.length) return null;
  const ring = vertices.map(([lat, lon]) => [lon, lat]);
  ring.push(ring[0]);
  return { type: "Polygon", coordinates: [ring] };
}

function handle(latlng, title, className, onMove) {
  const marker = L.marker(latlng, { draggable: true, keyboard: true, title,
    icon: L.divIcon({ className, iconSize: [16, 16] }) });
  marker.on("drag", (e) => onMove(e.target.getLatLng(), false));
  marker.on("dragend", (e) => onMove(e.target.getLatLng(), true));
  return marker;
}

function draw(fit = false) {
  layers.clearLayers();
  const point = [draft.point.lat, draft.point.lon];
  if (fit) map.setView(point, 16);  // a view first: circles measure through it
  const shapes = [];
  if (draft.multi) {
    shapes.push(L.geoJSON(draft.multi, { interactive: false,
      style: { color: COLOUR, weight: 2, fillOpacity: 0.08, className: "site-boundary" } }));
  }
  polygon = draft.vertices.length >= 2 ? L.polygon(draft.vertices, { color: COLOUR, weight: 2,
    fillOpacity: 0.08, interactive: false, className: "site-boundary" }) : null;
  if (polygon) shapes.push(polygon);
  const circle = L.circle(point, { radius: draft.radius_m > 0 ? draft.radius_m : 1, color: COLOUR,
    weight: 1.5, dashArray: "6 4", fillOpacity: 0.04, interactive: false, className: "site-radius" });
  shapes.push(circle);
  for (const shape of shapes) layers.addLayer(shape);
  draft.vertices.forEach((vertex, i) => layers.addLayer(handle(vertex,
    t("console.vertex_n", { n: i + 1 }), "vertex-handle", (ll, done) => {
      draft.vertices[i] = [round6(ll.lat), round6(ll.lng)];
      if (done) changed();
      else polygon?.setLatLngs(draft.vertices);
    })));
  layers.addLayer(handle(point, t("console.site_point"), "site-point-handle", (ll, done) => {
    draft.point = { lat: round6(ll.lat), lon: round6(ll.lng) };
    if (done) changed();
    else circle.setLatLng(ll);
  }));
  if (fit) map.fitBounds(L.featureGroup(shapes).getBounds(), { padding: [30, 30], maxZoom: 18 });
}

function vertexList() {
  const n = draft.vertices.length;
  $("boundary-status").textContent = draft.multi ? t("console.boundary_multi")
    : n === 0 ? t("console.boundary_none")
      : n < 3 ? t("console.boundary_too_few", { n }) : t("console.boundary_vertices", { n });
  $("vertex-table").replaceChildren(n ? el("table", { class: "data", id: "vertices" },
    el("thead", {}, el("tr", {}, ["col_vertex", "field_lat", "field_lon", "col_action"]
      .map((k) => el("th", { scope: "col" }, t(`console.${k}`))))),
    el("tbody", {}, draft.vertices.map(([lat, lon], i) => el("tr", { dataset: { vertex: i } },
      el("td", { class: "num" }, i + 1), el("td", { class: "num" }, lat.toFixed(6)),
      el("td", { class: "num" }, lon.toFixed(6)),
      el("td", {}, el("button", { type: "button", class: "btn-link",
        "aria-label": t("console.vertex_delete_n", { n: i + 1 }),
        onclick: () => { draft.vertices.splice(i, 1); changed(); } }, t("console.vertex_delete"))))))) : "");
}

function fillInputs() {
  $("site-lat").value = draft.point.lat.toFixed(6);
  $("site-lon").value = draft.point.lon.toFixed(6);
  $("site-radius").value = String(draft.radius_m);
}

function changed() {
  fillInputs();
  vertexList();
  draw();
}

// Typing moves the drawing too; what is not a number is left for the API to name on save.
function typed() {
  const lat = Number($("site-lat").value);
  const lon = Number($("site-lon").value);
  const radius = Number($("site-radius").value);
  if ($("site-lat").value && $("site-lon").value && Number.isFinite(lat) && Number.isFinite(lon)
      && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) draft.point = { lat, lon };
  if (Number.isFinite(radius) && radius > 0) draft.radius_m = radius;
  draw();
}

function clicked(event) {
  const ll = [round6(event.latlng.lat), round6(event.latlng.lng)];
  if (document.querySelector("#site-form input[name=mode]:checked").value === "boundary") {
    if (draft.multi) return;
    draft.vertices.push(ll);
  } else {
    draft.point = { lat: ll[0], lon: ll[1] };
  }
  changed();
}

async function versions() {
  const list = await api(`/firms/${firm.id}/sites/${site.id}/versions`);
  const rows = [...list].reverse().map((v) => el("tr", { dataset: { version: v.version } },
    el("td", { class: "num" }, v.version, v.version === site.version ? ` · ${t("console.current")}` : ""),
    el("td", {}, formatDateTime(v.valid_from)),
    el("td", { class: "num" }, `${v.point.lat.toFixed(6)}, ${v.point.lon.toFixed(6)}`),
    el("td", { class: "num" }, t("common.metres", { n: Math.round(v.radius_m) })),
    el("td", {}, !v.boundary ? t("console.boundary_none")
      : v.boundary.type === "Polygon" ? t("console.boundary_vertices", { n: v.boundary.coordinates[0].length - 1 })
        : t("console.boundary_multi_short"))));
  $("site-versions").replaceChildren(el("table", { class: "data", id: "versions" },
    el("thead", {}, el("tr", {}, ["col_version", "col_valid_from", "col_point", "col_radius", "col_boundary"]
      .map((k) => el("th", { scope: "col" }, t(`console.${k}`))))),
    el("tbody", {}, rows)));
}

async function selectSite(id) {
  site = firm.sites.find((s) => s.id === id);
  draft = draftOf(site);
  $("site-errors").replaceChildren();
  fillInputs();
  vertexList();
  map.invalidateSize();
  draw(true);
  await versions();
}

const FIELDS = { point: "site_point", lat: "field_lat", lon: "field_lon", radius_m: "field_radius_m",
  boundary: "boundary_heading" };

function fieldLabel(field) {
  const known = field.split(".").find((part) => FIELDS[part]);
  return known ? t(`console.${FIELDS[known]}`) : field;
}

async function save(event) {
  event.preventDefault();
  const number = (id) => ($(id).value.trim() === "" ? undefined : Number($(id).value.trim()));
  const body = { crs: "wgs84", point: { lat: number("site-lat"), lon: number("site-lon") },
    radius_m: number("site-radius") };
  if (!draft.multi) body.boundary = boundaryGeoJSON(draft.vertices);
  $("site-errors").replaceChildren();
  let answer;
  try {
    answer = await api(`/firms/${firm.id}/sites/${site.id}`, { method: "PATCH", body });
  } catch (err) {
    listErrors("site-errors", err);
    return;
  }
  const before = site.version;
  firm.sites = firm.sites.map((s) => (s.id === answer.id ? answer : s));
  await selectSite(answer.id);
  siteOptions();
  $("site-errors").replaceChildren(el("li", { class: "ok" }, answer.version === before
    ? t("console.site_unchanged", { version: answer.version })
    : t("console.site_saved", { version: answer.version })));
}

function wire() {
  map = L.map("site-map", { attributionControl: false, zoomSnap: 0.25, doubleClickZoom: false });
  map.getContainer().setAttribute("aria-label", t("console.site_map"));
  L.control.scale({ imperial: false }).addTo(map);
  layers = L.layerGroup().addTo(map);
  map.on("click", clicked);
  for (const id of ["site-lat", "site-lon", "site-radius"]) $(id).addEventListener("change", typed);
  for (const radio of document.querySelectorAll("#site-form input[name=mode]")) {
    radio.addEventListener("change", () => {
      map.getContainer().classList.toggle("drawing", radio.value === "boundary" && radio.checked);
    });
  }
  $("site-pick").addEventListener("change", () => selectSite(Number($("site-pick").value)).catch(showPageError));
  $("site-add").addEventListener("click", () => addSite().catch(showPageError));
  $("site-retire").addEventListener("click", () => retireSite().catch(showPageError));
  // Without a mouse: pan with the arrow keys, then add the vertex where the map's centre is.
  $("vertex-centre").addEventListener("click", () => {
    if (draft.multi) return;
    const centre = map.getCenter();
    draft.vertices.push([round6(centre.lat), round6(centre.lng)]);
    changed();
  });
  $("vertex-undo").addEventListener("click", () => { draft.vertices.pop(); changed(); });
  $("boundary-clear").addEventListener("click", () => {
    draft.vertices = [];
    draft.multi = null;
    changed();
  });
  $("site-reset").addEventListener("click", () => {
    draft = draftOf(site);
    $("site-errors").replaceChildren();
    changed();
  });
  $("site-form").addEventListener("submit", (event) => save(event).catch(showPageError));
}

function listErrors(box, err) {
  const errors = err instanceof ApiError ? err.problem?.errors : null;
  $(box).replaceChildren(...(errors
    ? Object.entries(errors).map(([field, messages]) => el("li", { dataset: { field } },
      `${fieldLabel(field)}：${[].concat(messages).join("；")}`))
    : [el("li", {}, err.explain ? err.explain() : String(err))]));
}

// A new site starts at the map's centre with the default radius; draw it, then save.
async function addSite() {
  const centre = map.getCenter();
  const name = $("site-new-name").value.trim();
  $("site-errors").replaceChildren();
  let made;
  try {
    made = await api(`/firms/${firm.id}/sites`, { method: "POST", body: { crs: "wgs84",
      name: name || undefined, point: { lat: round6(centre.lat), lon: round6(centre.lng) } } });
  } catch (err) {
    listErrors("site-errors", err);
    return;
  }
  $("site-new-name").value = "";
  firm.sites.push(made);
  site = made;
  siteOptions();
  await selectSite(made.id);
  $("site-errors").replaceChildren(el("li", { class: "ok" }, t("console.site_added", { name: made.name })));
}

// Retired, not deleted: visits refer to it. The API keeps the last active site (409).
async function retireSite() {
  $("site-errors").replaceChildren();
  try {
    await api(`/firms/${firm.id}/sites/${site.id}`, { method: "DELETE" });
  } catch (err) {
    listErrors("site-errors", err);
    return;
  }
  const gone = site.name;
  firm.sites = firm.sites.filter((s) => s.id !== site.id);
  site = null;
  siteOptions();
  await selectSite(firm.sites[0].id);
  $("site-errors").replaceChildren(el("li", { class: "ok" }, t("console.site_retired", { name: gone })));
}

function siteOptions() {
  $("site-retire").hidden = firm.sites.length < 2;
  const chosen = site?.id;
  $("site-pick").replaceChildren(...firm.sites.map((s) => el("option", { value: s.id, selected: s.id === chosen },
    `${s.name}（${t("console.version_n", { n: s.version })}）`)));
}

// Open a firm's sites in the editor (an id out of the caller's scope reads as "not found").
export async function openFirm(id) {
  if (!L) L = await vendorModule("leaflet");
  firm = await api(`/firms/${id}`);
  site = null;
  $("site-editor").hidden = false;
  if (!map) wire();
  $("site-title").textContent = t("console.sites_of", { name: firm.name, uscc: firm.uscc });
  siteOptions();
  await selectSite(firm.sites[0].id);
  $("site-title").focus();
  $("site-editor").scrollIntoView({ block: "start" });
}
