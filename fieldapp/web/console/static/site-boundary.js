// A site's boundary while the site editor changes it: a list of parts, each the outer ring of
// one polygon as [lat, lon] vertices (open: the first vertex is not repeated at the end) and its
// holes as the API gave them (GeoJSON rings, kept as they are: the editor moves outer rings
// only). One part is sent as a GeoJSON Polygon, several as a MultiPolygon — what the API takes;
// whether the parts are valid (closed, three corners, no crossing) is the API's to say. Below:
// the boundary's panel of the editor's form.

import { el, t } from "./console.js";

const $ = (id) => document.getElementById(id);

// The parts of a GeoJSON Polygon or MultiPolygon (WGS-84 [lon, lat]); none for no boundary.
export function partsOf(boundary) {
  if (!boundary) return [];
  const polygons = boundary.type === "MultiPolygon" ? boundary.coordinates : [boundary.coordinates];
  return polygons.map(([outer, ...holes]) => ({
    vertices: outer.slice(0, -1).map(([lon, lat]) => [lat, lon]), holes }));
}

// The boundary as the API takes it, rings closed; a part without vertices is left out.
export function boundaryGeoJSON(parts) {
  const polygons = parts.filter((part) => part.vertices.length).map((part) => {
    const ring = part.vertices.map(([lat, lon]) => [lon, lat]);
    ring.push(ring[0]);
    return [ring, ...part.holes];
  });
  if (!polygons.length) return null;
  return polygons.length === 1 ? { type: "Polygon", coordinates: polygons[0] }
    : { type: "MultiPolygon", coordinates: polygons };
}

// A part's rings as Leaflet draws them: the outer ring, then each hole, in [lat, lon].
export function latLngsOf(part) {
  return [part.vertices, ...part.holes.map((ring) => ring.slice(0, -1).map(([lon, lat]) => [lat, lon]))];
}

function partStatus(draft) {
  const part = draft.parts[draft.active];
  if (!part) return t("console.boundary_none");
  const n = part.vertices.length;
  const said = [n === 0 ? t("console.part_empty") : n < 3 ? t("console.boundary_too_few", { n })
    : t("console.boundary_vertices", { n })];
  if (draft.parts.length > 1) said.unshift(t("console.part_of", { n: draft.active + 1, count: draft.parts.length }));
  if (part.holes.length) said.push(t("console.part_holes", { n: part.holes.length }));
  return said.join(" · ");
}

// The boundary's side of the form: what it is, its parts to pick from, the vertices of the part
// being edited; ``changed`` redraws after a vertex is deleted.
export function showBoundary(draft, changed) {
  const { parts } = draft;
  $("boundary-status").textContent = partStatus(draft);
  $("part-pick").replaceChildren(...parts.map((part, i) => el("option", { value: i, selected: i === draft.active },
    t("console.part_n", { n: i + 1, count: part.vertices.length }))));
  $("part-pick-field").hidden = parts.length < 2;
  $("part-remove").hidden = parts.length < 2;
  const part = draft.parts[draft.active];
  const n = part ? part.vertices.length : 0;
  $("vertex-table").replaceChildren(n ? el("table", { class: "data", id: "vertices" },
    el("thead", {}, el("tr", {}, ["col_vertex", "field_lat", "field_lon", "col_action"]
      .map((k) => el("th", { scope: "col" }, t(`console.${k}`))))),
    el("tbody", {}, part.vertices.map(([lat, lon], i) => el("tr", { dataset: { vertex: i } },
      el("td", { class: "num" }, i + 1), el("td", { class: "num" }, lat.toFixed(6)),
      el("td", { class: "num" }, lon.toFixed(6)),
      el("td", {}, el("button", { type: "button", class: "btn-link",
        "aria-label": t("console.vertex_delete_n", { n: i + 1 }),
        onclick: () => { part.vertices.splice(i, 1); changed(); } }, t("console.vertex_delete"))))))) : "");
}
