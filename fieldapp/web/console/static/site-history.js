// The site editor's two read-outs: the site's geometry versions as the API lists them, and the
// API's refusal of a change, field by field in the page's words.

import { api, ApiError, el, t } from "./console.js";
import { formatDateTime } from "/web/static/format.js";

const $ = (id) => document.getElementById(id);

function boundaryText(boundary) {
  if (!boundary) return t("console.boundary_none");
  return boundary.type === "Polygon"
    ? t("console.boundary_vertices", { n: boundary.coordinates[0].length - 1 })
    : t("console.boundary_parts_short", { n: boundary.coordinates.length });
}

// The versions at ``path`` (…/sites/{id}/versions), newest first, the current one marked.
export async function showVersions(path, current) {
  const list = await api(path);
  const rows = [...list].reverse().map((v) => el("tr", { dataset: { version: v.version } },
    el("td", { class: "num" }, v.version, v.version === current ? ` · ${t("console.current")}` : ""),
    el("td", {}, formatDateTime(v.valid_from)),
    el("td", { class: "num" }, `${v.point.lat.toFixed(6)}, ${v.point.lon.toFixed(6)}`),
    el("td", { class: "num" }, t("common.metres", { n: Math.round(v.radius_m) })),
    el("td", {}, boundaryText(v.boundary))));
  $("site-versions").replaceChildren(el("table", { class: "data", id: "versions" },
    el("thead", {}, el("tr", {}, ["col_version", "col_valid_from", "col_point", "col_radius", "col_boundary"]
      .map((k) => el("th", { scope: "col" }, t(`console.${k}`))))),
    el("tbody", {}, rows)));
}

const FIELDS = { point: "site_point", lat: "field_lat", lon: "field_lon", radius_m: "field_radius_m",
  boundary: "boundary_heading" };

function fieldLabel(field) {
  const known = field.split(".").find((part) => FIELDS[part]);
  return known ? t(`console.${FIELDS[known]}`) : field;
}

// The API's problem in ``box``: one line per field it named, else its explanation.
export function listErrors(box, err) {
  const errors = err instanceof ApiError ? err.problem?.errors : null;
  $(box).replaceChildren(...(errors
    ? Object.entries(errors).map(([field, messages]) => el("li", { dataset: { field } },
      `${fieldLabel(field)}：${[].concat(messages).join("；")}`))
    : [el("li", {}, err.explain ? err.explain() : String(err))]));
}
