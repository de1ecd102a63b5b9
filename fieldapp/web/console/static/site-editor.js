// The site map editor (站点位置维护): the sites of a firm or of a key project (重点项目) on a
// plain Leaflet map. The point (click in "point" mode, drag, or type), the radius circle (typed
// in metres) and the boundary, made of one or more parts: each part is edited on its own — pick
// it in the list or click it on the map, then click in "boundary" mode to add a vertex, drag a
// vertex to move it, delete one from the list; parts are added and removed whole.
// Saving PATCHes the site with exactly the body the sites API takes — WGS-84 point, radius and
// a GeoJSON Polygon or MultiPolygon with its rings closed (site-boundary.js) — and the API keeps
// the old geometry as a version; the history below is the API's list of versions (site-history.js).
// Leaflet's own draggable markers are the vertex handles: no drawing library is vendored, and
// these few operations did not need one.

import { api, el, showError as showPageError, t, vendorModule } from "./console.js";
import { boundaryGeoJSON, latLngsOf, partsOf, showBoundary } from "./site-boundary.js";
import { listErrors, showVersions } from "./site-history.js";

const $ = (id) => document.getElementById(id);
const COLOUR = "#1a4f8b";
// Six decimals (about 0.1 m): what the page shows is exactly what it sends and the server keeps.
const round6 = (x) => Math.round(x * 1e6) / 1e6;
const CHINA = [35, 105];  // where a map with nothing on it yet starts

let L = null;
let map = null;
let layers = null;
let owner = null;  // {kind: "firm" | "project", id, sites}
let site = null;   // the site as the API last answered
let draft = null;  // {point: {lat, lon}, radius_m, parts: [{vertices, holes}], active: part index}
let polygon = null;

const base = () => `/${owner.kind}s/${owner.id}/sites`;

function draftOf(s) {
  return { point: { ...s.point }, radius_m: s.radius_m, parts: partsOf(s.boundary), active: 0 };
}

const activePart = () => draft.parts[draft.active];

function handle(latlng, title, className, onMove) {
  const marker = L.marker(latlng, { draggable: true, keyboard: true, title,
    icon: L.divIcon({ className, iconSize: [16, 16] }) });
  marker.on("drag", (e) => onMove(e.target.getLatLng(), false));
  marker.on("dragend", (e) => onMove(e.target.getLatLng(), true));
  return marker;
}

// The part being edited is drawn solid with its vertex handles; the others dashed, and a click
// on one of them picks it (without also adding a vertex or moving the point).
function partShape(part, i) {
  const current = i === draft.active;
  const shape = L.polygon(latLngsOf(part), { color: COLOUR, weight: current ? 2.5 : 2,
    fillOpacity: current ? 0.1 : 0.04, dashArray: current ? null : "5 4", interactive: !current,
    bubblingMouseEvents: false, className: `site-boundary ${current ? "site-part-active" : "site-part"}` });
  if (!current) shape.on("click", () => pickPart(i));
  return shape;
}

function draw(fit = false) {
  layers.clearLayers();
  if (!draft) return;
  const point = [draft.point.lat, draft.point.lon];
  if (fit) map.setView(point, 16);  // a view first: circles measure through it
  const shapes = [];
  polygon = null;
  draft.parts.forEach((part, i) => {
    if (part.vertices.length < 2) return;
    const shape = partShape(part, i);
    if (i === draft.active) polygon = shape;
    shapes.push(shape);
  });
  const circle = L.circle(point, { radius: draft.radius_m > 0 ? draft.radius_m : 1, color: COLOUR,
    weight: 1.5, dashArray: "6 4", fillOpacity: 0.04, interactive: false, className: "site-radius" });
  shapes.push(circle);
  for (const shape of shapes) layers.addLayer(shape);
  const part = activePart();
  part?.vertices.forEach((vertex, i) => layers.addLayer(handle(vertex,
    t("console.vertex_n", { n: i + 1 }), "vertex-handle", (ll, done) => {
      part.vertices[i] = [round6(ll.lat), round6(ll.lng)];
      if (done) changed();
      else polygon?.setLatLngs(latLngsOf(part));
    })));
  layers.addLayer(handle(point, t("console.site_point"), "site-point-handle", (ll, done) => {
    draft.point = { lat: round6(ll.lat), lon: round6(ll.lng) };
    if (done) changed();
    else circle.setLatLng(ll);
  }));
  if (fit) map.fitBounds(L.featureGroup(shapes).getBounds(), { padding: [30, 30], maxZoom: 18 });
}

function fillInputs() {
  $("site-lat").value = draft.point.lat.toFixed(6);
  $("site-lon").value = draft.point.lon.toFixed(6);
  $("site-radius").value = String(draft.radius_m);
}

function changed() {
  fillInputs();
  showBoundary(draft, changed);
  draw();
}

function pickPart(i) {
  draft.active = i;
  changed();
}

// A vertex goes to the part being edited; the first one starts the boundary.
function addVertex(ll) {
  if (!draft.parts.length) draft.parts.push({ vertices: [], holes: [] });
  activePart().vertices.push(ll);
  changed();
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
  if (!draft) return;
  const ll = [round6(event.latlng.lat), round6(event.latlng.lng)];
  if (document.querySelector("#site-form input[name=mode]:checked").value === "boundary") {
    addVertex(ll);
  } else {
    draft.point = { lat: ll[0], lon: ll[1] };
    changed();
  }
}

function setMode(value) {
  document.querySelector(`#site-form input[name=mode][value=${value}]`).checked = true;
  map.getContainer().classList.toggle("drawing", value === "boundary");
}

async function selectSite(id) {
  site = owner.sites.find((s) => s.id === id);
  draft = draftOf(site);
  $("site-errors").replaceChildren();
  $("site-form").hidden = false;
  $("site-none").hidden = true;
  fillInputs();
  showBoundary(draft, changed);
  map.invalidateSize();
  draw(true);
  await showVersions(`${base()}/${site.id}/versions`, site.version);
}

// An owner without an active site (a project registered without one): the map starts at its
// owner firm's site when there is one, and "add a site" puts the first where the map is.
async function noSite(found) {
  site = null;
  draft = null;
  $("site-form").hidden = true;
  $("site-none").hidden = false;
  $("site-versions").replaceChildren();
  map.invalidateSize();
  draw();
  const firm = found.owner_firm_id ? await api(`/firms/${found.owner_firm_id}`).catch(() => null) : null;
  const near = firm?.sites?.[0]?.point;
  if (near) map.setView([near.lat, near.lon], 15);
  else map.setView(CHINA, 4);
}

async function save(event) {
  event.preventDefault();
  const number = (id) => ($(id).value.trim() === "" ? undefined : Number($(id).value.trim()));
  const body = { crs: "wgs84", point: { lat: number("site-lat"), lon: number("site-lon") },
    radius_m: number("site-radius"), boundary: boundaryGeoJSON(draft.parts) };
  $("site-errors").replaceChildren();
  let answer;
  try {
    answer = await api(`${base()}/${site.id}`, { method: "PATCH", body });
  } catch (err) {
    listErrors("site-errors", err);
    return;
  }
  const before = site.version;
  const active = draft.active;
  owner.sites = owner.sites.map((s) => (s.id === answer.id ? answer : s));
  await selectSite(answer.id);
  if (active < draft.parts.length) pickPart(active);
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
    radio.addEventListener("change", () => { if (radio.checked) setMode(radio.value); });
  }
  $("site-pick").addEventListener("change", () => selectSite(Number($("site-pick").value)).catch(showPageError));
  $("site-add").addEventListener("click", () => addSite().catch(showPageError));
  $("site-retire").addEventListener("click", () => retireSite().catch(showPageError));
  // Without a mouse: pan with the arrow keys, then add the vertex where the map's centre is.
  $("vertex-centre").addEventListener("click", () => {
    const centre = map.getCenter();
    addVertex([round6(centre.lat), round6(centre.lng)]);
  });
  $("vertex-undo").addEventListener("click", () => { activePart()?.vertices.pop(); changed(); });
  $("part-pick").addEventListener("change", () => pickPart(Number($("part-pick").value)));
  // A new part is drawn like the first: its vertices are the next clicks in "boundary" mode.
  $("part-add").addEventListener("click", () => {
    draft.parts.push({ vertices: [], holes: [] });
    setMode("boundary");
    pickPart(draft.parts.length - 1);
  });
  $("part-remove").addEventListener("click", () => {
    draft.parts.splice(draft.active, 1);
    pickPart(Math.min(draft.active, draft.parts.length - 1));
  });
  $("boundary-clear").addEventListener("click", () => {
    draft.parts = [];
    pickPart(0);
  });
  $("site-reset").addEventListener("click", () => {
    draft = draftOf(site);
    $("site-errors").replaceChildren();
    changed();
  });
  $("site-form").addEventListener("submit", (event) => save(event).catch(showPageError));
}

// A new site starts at the map's centre with the default radius; draw it, then save.
async function addSite() {
  const centre = map.getCenter();
  const name = $("site-new-name").value.trim();
  $("site-errors").replaceChildren();
  let made;
  try {
    made = await api(base(), { method: "POST", body: { crs: "wgs84",
      name: name || undefined, point: { lat: round6(centre.lat), lon: round6(centre.lng) } } });
  } catch (err) {
    listErrors("site-errors", err);
    return;
  }
  $("site-new-name").value = "";
  owner.sites.push(made);
  site = made;
  siteOptions();
  await selectSite(made.id);
  $("site-errors").replaceChildren(el("li", { class: "ok" }, t("console.site_added", { name: made.name })));
}

// Retired, not deleted: visits refer to it. The API keeps the last active site (409).
async function retireSite() {
  $("site-errors").replaceChildren();
  try {
    await api(`${base()}/${site.id}`, { method: "DELETE" });
  } catch (err) {
    listErrors("site-errors", err);
    return;
  }
  const gone = site.name;
  owner.sites = owner.sites.filter((s) => s.id !== site.id);
  site = null;
  siteOptions();
  await selectSite(owner.sites[0].id);
  $("site-errors").replaceChildren(el("li", { class: "ok" }, t("console.site_retired", { name: gone })));
}

function siteOptions() {
  $("site-retire").hidden = owner.sites.length < 2;
  $("site-pick-field").hidden = owner.sites.length === 0;
  const chosen = site?.id;
  $("site-pick").replaceChildren(...owner.sites.map((s) => el("option", { value: s.id, selected: s.id === chosen },
    `${s.name}（${t("console.version_n", { n: s.version })}）`)));
}

// Open the sites of a firm or project in the editor (an id out of the caller's scope reads as
// "not found", from the API).
async function openOwner(kind, id) {
  if (!L) L = await vendorModule("leaflet");
  const [found, sites] = await Promise.all([api(`/${kind}s/${id}`), api(`/${kind}s/${id}/sites`)]);
  owner = { kind, id, sites };
  site = null;
  $("site-editor").hidden = false;
  if (!map) wire();
  $("site-title").textContent = kind === "firm" ? t("console.sites_of", { name: found.name, uscc: found.uscc })
    : t("console.sites_of_project", { name: found.name });
  siteOptions();
  if (sites.length) await selectSite(sites[0].id);
  else await noSite(found);
  $("site-title").focus();
  $("site-editor").scrollIntoView({ block: "start" });
}

export const openFirm = (id) => openOwner("firm", id);
export const openProject = (id) => openOwner("project", id);
