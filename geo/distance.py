"""Distances in metres on the WGS-84 ellipsoid: point to point and point to (multi)polygon.

Point to point uses Lambert's ellipsoidal correction of the great-circle angle between
reduced latitudes (Andoyer-Lambert): one haversine plus a few trigonometric terms, accurate
to centimetres at geofence scales and to metres over 1,000 km, which is all the integrity
checks need.  It costs about 2 µs in pure Python, ~10x less than GeographicLib.

Point to polygon projects the polygon's vertices into a local metric frame centred on the
fix: each vertex gets north/east offsets scaled by the meridional (M) and prime-vertical (N)
radii of curvature at the mid-latitude between the fix and that vertex.  That is the
mid-latitude distance formula, so every vertex lands at its true distance and azimuth to
within centimetres up to 10 km; the planar distance from the origin to the nearest ring
segment is then the answer.  Segments are solved with numpy instead of building a projected
shapely geometry per fix because that lets one call serve a whole batch of fixes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon

# WGS-84 ellipsoid.
WGS84_A = 6378137.0
WGS84_F = 1.0 / 298.257223563
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
_B_OVER_A = 1.0 - WGS84_F

# Fixes x vertices handled per numpy block in batch polygon distance: bounds memory (~8 MB
# per temporary) without costing speed.
_BATCH_CELLS = 1_000_000


def geodesic_distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Ellipsoidal (WGS-84) distance in metres between two (lat, lon) points in degrees."""
    if lat1 == lat2 and lon1 == lon2:
        return 0.0
    # Reduced latitudes put the ellipsoid's points on an auxiliary sphere.
    b1 = math.atan(_B_OVER_A * math.tan(math.radians(lat1)))
    b2 = math.atan(_B_OVER_A * math.tan(math.radians(lat2)))
    dlon = math.radians(lon2 - lon1)
    h = math.sin((b2 - b1) / 2.0) ** 2 + math.cos(b1) * math.cos(b2) * math.sin(dlon / 2.0) ** 2
    h = min(max(h, 0.0), 1.0)
    sigma = 2.0 * math.asin(math.sqrt(h))
    if sigma == 0.0:
        return 0.0
    p = (b1 + b2) / 2.0
    q = (b2 - b1) / 2.0
    sin_sigma = math.sin(sigma)
    # h = sin²(σ/2); 1 - h = cos²(σ/2).  Near-antipodal points make 1 - h vanish, but they
    # never occur here (and X then has a vanishing numerator too).
    cos2_half = max(1.0 - h, 1e-300)
    x = (sigma - sin_sigma) * (math.sin(p) * math.cos(q)) ** 2 / cos2_half
    y = (sigma + sin_sigma) * (math.cos(p) * math.sin(q)) ** 2 / h
    return WGS84_A * (sigma - WGS84_F / 2.0 * (x + y))


def geodesic_distances_m(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray:
    """Vectorised ``geodesic_distance_m`` over broadcastable arrays of degrees."""
    lat1, lon1, lat2, lon2 = (np.asarray(v, dtype=float) for v in (lat1, lon1, lat2, lon2))
    b1 = np.arctan(_B_OVER_A * np.tan(np.radians(lat1)))
    b2 = np.arctan(_B_OVER_A * np.tan(np.radians(lat2)))
    dlon = np.radians(lon2 - lon1)
    h = np.sin((b2 - b1) / 2.0) ** 2 + np.cos(b1) * np.cos(b2) * np.sin(dlon / 2.0) ** 2
    h = np.clip(h, 0.0, 1.0)
    sigma = 2.0 * np.arcsin(np.sqrt(h))
    p = (b1 + b2) / 2.0
    q = (b2 - b1) / 2.0
    sin_sigma = np.sin(sigma)
    safe_h = np.where(h > 0.0, h, 1.0)
    x = (sigma - sin_sigma) * (np.sin(p) * np.cos(q)) ** 2 / np.maximum(1.0 - h, 1e-300)
    y = (sigma + sin_sigma) * (np.cos(p) * np.sin(q)) ** 2 / safe_h
    return np.where(sigma > 0.0, WGS84_A * (sigma - WGS84_F / 2.0 * (x + y)), 0.0)


def local_metric_xy(lat0: Any, lon0: Any, lats: Any, lons: Any) -> tuple[np.ndarray, np.ndarray]:
    """East/north offsets in metres of (lats, lons) from the origin (lat0, lon0).

    Uses the ellipsoid's radii of curvature at the mid-latitude of origin and point, so the
    length of each offset vector is the geodesic distance to ~1 cm at 10 km.  Broadcasts.
    """
    lat0, lon0 = np.asarray(lat0, dtype=float), np.asarray(lon0, dtype=float)
    lats, lons = np.asarray(lats, dtype=float), np.asarray(lons, dtype=float)
    mid = np.radians((lat0 + lats) / 2.0)
    sin_mid = np.sin(mid)
    w2 = 1.0 - WGS84_E2 * sin_mid * sin_mid
    n = WGS84_A / np.sqrt(w2)
    m = n * (1.0 - WGS84_E2) / w2
    # Wrap the longitude difference so targets across the antimeridian stay close.
    dlon = (lons - lon0 + 180.0) % 360.0 - 180.0
    return n * np.cos(mid) * np.radians(dlon), m * np.radians(lats - lat0)


def _origin_to_segments_m(
    ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray, skip: np.ndarray | None
) -> np.ndarray:
    """Planar distance from (0, 0) to segments A-B, minimised over the last axis.

    ``skip`` lists segment indices (last axis) that are not real segments.
    """
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    length2[length2 == 0.0] = np.inf  # degenerate segments project onto their start
    t = np.clip(-(ax * dx + ay * dy) / length2, 0.0, 1.0)
    px, py = ax + t * dx, ay + t * dy
    d2 = px * px + py * py
    if skip is not None:
        d2[..., skip] = np.inf
    return np.sqrt(np.min(d2, axis=-1))


class PreparedArea:
    """A WGS-84 Polygon/MultiPolygon readied for many distance queries.

    Building it costs one pass over the vertices; queries then need no shapely geometry
    construction.  Distance is 0 when the area covers the point (boundary included), else
    the distance to the nearest ring, holes included: a point in a hole is outside the area.
    """

    __slots__ = ("_geometry", "_joins", "_lats", "_lons")

    def __init__(self, geometry: Polygon | MultiPolygon) -> None:
        """Index the rings of ``geometry`` (x=lon, y=lat in WGS-84 degrees)."""
        self._geometry = geometry
        shapely.prepare(geometry)
        polygons = geometry.geoms if isinstance(geometry, MultiPolygon) else [geometry]
        rings = [r for poly in polygons for r in (poly.exterior, *poly.interiors)]
        xy = np.concatenate([np.asarray(ring.coords, dtype=float) for ring in rings])
        self._lons = np.ascontiguousarray(xy[:, 0])
        self._lats = np.ascontiguousarray(xy[:, 1])
        # Rings are closed and stored back to back, so vertex i -> i+1 is a boundary segment
        # except where i is the last vertex of one ring and i+1 the first of the next.
        ends = np.cumsum([len(ring.coords) for ring in rings])[:-1] - 1
        self._joins = ends if len(ends) else None

    @property
    def geometry(self) -> Polygon | MultiPolygon:
        """The WGS-84 geometry this area was built from."""
        return self._geometry

    def covers(self, lat: float, lon: float) -> bool:
        """True when the area contains the point or the point is on its boundary."""
        return bool(shapely.intersects_xy(self._geometry, lon, lat))

    def distance_m(self, lat: float, lon: float) -> float:
        """Metres from (lat, lon) to the area: 0 inside or on the boundary."""
        if self.covers(lat, lon):
            return 0.0
        # Same maths as local_metric_xy, written out for one origin: this is the hot path of
        # a single polygon verification, and every numpy call costs ~1 µs at this size.
        mid = (self._lats + lat) * (math.pi / 360.0)
        sin_mid = np.sin(mid)
        w2 = 1.0 - WGS84_E2 * sin_mid * sin_mid
        n = WGS84_A / np.sqrt(w2)
        dlon = (self._lons - lon + 180.0) % 360.0 - 180.0
        x = n * np.cos(mid) * (dlon * (math.pi / 180.0))
        y = n * ((1.0 - WGS84_E2) * math.pi / 180.0) / w2 * (self._lats - lat)
        return float(_origin_to_segments_m(x[:-1], y[:-1], x[1:], y[1:], self._joins))

    def distances_m(self, lats: Any, lons: Any) -> np.ndarray:
        """Vectorised ``distance_m`` for arrays of fix latitudes and longitudes."""
        lats = np.asarray(lats, dtype=float).ravel()
        lons = np.asarray(lons, dtype=float).ravel()
        result = np.zeros(lats.shape)
        outside = ~shapely.intersects_xy(self._geometry, lons, lats)
        idx = np.flatnonzero(outside)
        step = max(1, _BATCH_CELLS // max(len(self._lats), 1))
        for lo in range(0, len(idx), step):
            chunk = idx[lo : lo + step]
            x, y = local_metric_xy(
                lats[chunk, None], lons[chunk, None], self._lats[None, :], self._lons[None, :]
            )
            result[chunk] = _origin_to_segments_m(
                x[:, :-1], y[:, :-1], x[:, 1:], y[:, 1:], self._joins
            )
        return result


def point_polygon_distance_m(lat: float, lon: float, area: Polygon | MultiPolygon) -> float:
    """Metres from a WGS-84 (lat, lon) to a WGS-84 Polygon/MultiPolygon (0 when covered).

    For repeated queries against the same area build a ``PreparedArea`` once instead.
    """
    return PreparedArea(area).distance_m(lat, lon)
