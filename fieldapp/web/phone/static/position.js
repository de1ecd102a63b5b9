// The live position from the browser (WGS-84). The position is evidence: it is never typed in
// or dragged on a map.

export const TARGET_ACCURACY_M = 30;

export function watch(onFix, onError) {
  if (!("geolocation" in navigator)) {
    onError({ code: 2 });
    return () => {};
  }
  const id = navigator.geolocation.watchPosition(onFix, onError, {
    enableHighAccuracy: true, maximumAge: 0, timeout: 20000,
  });
  return () => navigator.geolocation.clearWatch(id);
}

// One quick position for sorting the list (an older fix is good enough for that).
export function once() {
  return new Promise((resolve) => {
    if (!("geolocation" in navigator)) { resolve(null); return; }
    navigator.geolocation.getCurrentPosition(resolve, () => resolve(null), {
      enableHighAccuracy: false, maximumAge: 120000, timeout: 8000,
    });
  });
}

// Great-circle metres, for display while waiting for the server's answer only.
export function roughDistance(lat1, lon1, lat2, lon2) {
  const rad = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * rad) / 2) ** 2
    + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(a));
}

// The position as the API takes it.
export function positionBody(fix) {
  const c = fix.coords;
  return {
    lat: c.latitude, lon: c.longitude, accuracy_m: c.accuracy, crs: "wgs84", source: "browser",
    fix_time: new Date(fix.timestamp).toISOString(),
    ...(c.altitude !== null && c.altitude !== undefined ? { altitude_m: c.altitude } : {}),
  };
}
