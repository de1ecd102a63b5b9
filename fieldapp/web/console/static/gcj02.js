// WGS-84 → GCJ-02 for drawing on GCJ-02 tiles (AMap, Tencent): display only. fieldapp stores,
// verifies and answers WGS-84; this moves a point onto tiles drawn in the obfuscated datum.
// It is geo/crs.py's forward formula (wgs84_to_gcj02) line for line, and
// tests/web/test_console_basemap.py checks it against that function in the browser.

const A = 6378245.0; // Krasovsky 1940, as the GCJ-02 algorithm uses (not WGS-84's)
const EE = 0.00669342162296594323;
const { PI, sin, cos, sqrt, abs } = Math;

export function inGcj02Area(lat, lon) {
  return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
}

function offset(lat, lon) {
  const x = lon - 105.0;
  const y = lat - 35.0;
  const common = (20.0 * sin(6.0 * x * PI) + 20.0 * sin(2.0 * x * PI)) * 2.0 / 3.0;
  let dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(abs(x))
    + common
    + (20.0 * sin(y * PI) + 40.0 * sin(y / 3.0 * PI)) * 2.0 / 3.0
    + (160.0 * sin(y / 12.0 * PI) + 320.0 * sin(y * PI / 30.0)) * 2.0 / 3.0;
  let dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(abs(x))
    + common
    + (20.0 * sin(x * PI) + 40.0 * sin(x / 3.0 * PI)) * 2.0 / 3.0
    + (150.0 * sin(x / 12.0 * PI) + 300.0 * sin(x / 30.0 * PI)) * 2.0 / 3.0;
  const radLat = lat / 180.0 * PI;
  const magic = 1.0 - EE * sin(radLat) ** 2;
  const sqrtMagic = sqrt(magic);
  dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrtMagic) * PI);
  dlon = (dlon * 180.0) / (A / sqrtMagic * cos(radLat) * PI);
  return [dlat, dlon];
}

// [lat, lon] in GCJ-02 of a WGS-84 position; unchanged outside the GCJ-02 area.
export function wgs84ToGcj02(lat, lon) {
  if (!inGcj02Area(lat, lon)) return [lat, lon];
  const [dlat, dlon] = offset(lat, lon);
  return [lat + dlat, lon + dlon];
}
