// A small Leaflet map on a plain background: the sites (point, radius circle, boundary) and
// where I am with my accuracy circle. Leaflet is loaded on first use only.
const base = document.getElementById("app").dataset.leaflet;
let loading = null;

function loadLeaflet() {
  if (window.L) return Promise.resolve(window.L);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = `${base}/leaflet.css`;
      document.head.append(css);
      const script = document.createElement("script");
      script.src = `${base}/leaflet.js`;
      script.onload = () => resolve(window.L);
      script.onerror = reject;
      document.head.append(script);
    });
  }
  return loading;
}

export async function drawMap(box, { sites = [], boundaries = [], here = null }) {
  let L;
  try { L = await loadLeaflet(); } catch (err) { return null; }
  if (!box.isConnected) return null;
  // No zoom animation: its end runs on a 250 ms timer that throws once the map is removed
  // (leaving the screen right after fitBounds), and a small evidence map needs none.
  const map = L.map(box, { attributionControl: false, zoomControl: true, keyboard: false,
                           zoomAnimation: false });
  // A view first: layers are projected as they are added.
  const first = sites[0] || (here && { lat: here.coords.latitude, lon: here.coords.longitude });
  map.setView(first ? [first.lat, first.lon] : [34.33, 108.71], 15);
  const layers = [];
  for (const geometry of boundaries) {
    layers.push(L.geoJSON(geometry, { style: { color: "#1a4f8b", weight: 2, fillOpacity: 0.08 } }).addTo(map));
  }
  for (const site of sites) {
    layers.push(L.circle([site.lat, site.lon], { radius: site.radius_m, color: "#1a4f8b", weight: 2, fillOpacity: 0.1 }).addTo(map));
    layers.push(L.circleMarker([site.lat, site.lon], { radius: 6, color: "#fff", weight: 2, fillColor: "#c8102e", fillOpacity: 1 }).addTo(map));
  }
  const me = { dot: null, circle: null };
  const setHere = (fix) => {
    if (!fix) return;
    const at = [fix.coords.latitude, fix.coords.longitude];
    if (!me.dot) {
      me.circle = L.circle(at, { radius: fix.coords.accuracy || 0, color: "#2f80ed", weight: 1, fillOpacity: 0.15 }).addTo(map);
      me.dot = L.circleMarker(at, { radius: 7, color: "#fff", weight: 2, fillColor: "#2f80ed", fillOpacity: 1 }).addTo(map);
    } else {
      me.dot.setLatLng(at);
      me.circle.setLatLng(at).setRadius(fix.coords.accuracy || 0);
    }
  };
  setHere(here);
  const group = L.featureGroup([...layers, ...(me.dot ? [me.dot, me.circle] : [])]);
  if (group.getLayers().length) map.fitBounds(group.getBounds(), { padding: [20, 20], maxZoom: 17 });
  return { remove: () => map.remove(), setHere, map };
}
