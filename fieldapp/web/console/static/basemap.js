// The maps' base layer (底图) from the settings (fieldapp/web/basemap.py, handed to the page as
// data-tiles-* on .console) and where a WGS-84 position from the API is drawn on it.

import { wgs84ToGcj02 } from "./gcj02.js";

const settings = document.querySelector(".console").dataset;

export function hasBaseMap() {
  return Boolean(settings.tilesUrl);
}

// The operator's credit, as text (Leaflet takes attribution as HTML).
function asText(value) {
  const span = document.createElement("span");
  span.textContent = value || "";
  return span.innerHTML;
}

// Add the tile layer when one is configured; the map must be made with
// attributionControl: hasBaseMap(). Without a setting the map stays a plain background.
export function addBaseMap(L, map) {
  if (!hasBaseMap()) return;
  map.attributionControl.setPrefix(false);
  L.tileLayer(settings.tilesUrl, { attribution: asText(settings.tilesAttribution),
    subdomains: settings.tilesSubdomains || "abc", maxZoom: 18, className: "base-tiles" }).addTo(map);
}

// [lat, lon] at which to draw a WGS-84 position: shifted to GCJ-02 on GCJ-02 tiles, else as is.
export function shown(lat, lon) {
  return settings.tilesCrs === "gcj02" ? wgs84ToGcj02(lat, lon) : [lat, lon];
}
