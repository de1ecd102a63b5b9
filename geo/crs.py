"""Conversions between the three coordinate systems phones in China report: WGS-84, GCJ-02, BD-09.

* WGS-84 is what GNSS chips and browsers outside China produce and what fieldapp stores.
* GCJ-02 ("Mars coordinates") is the obfuscated datum every map SDK licensed in China must
  use (AMap/Gaode, Tencent, Apple and Google maps inside China, ``wx.getLocation`` with
  ``type: 'gcj02'``).  The forward transform is the publicly reverse-engineered polynomial on
  the Krasovsky 1940 ellipsoid; there is no closed-form inverse, so GCJ-02 -> WGS-84 is solved
  by fixed-point iteration (the one-step approximation most libraries use is up to ~5 m off).
* BD-09 is Baidu's further rotation/scaling of GCJ-02.  Its usual closed-form inverse is only
  good to ~0.2 m, so it is refined by iteration too.

Where GCJ-02 applies: the same rectangle all public implementations and the SDKs' own
"out of China" test use (lon 72.004..137.8347, lat 0.8293..55.8271).  It is a crude box: it
includes Taiwan, Hong Kong, Macau and parts of Mongolia, Korea, Japan, India, Vietnam and the
Philippines, where real SDKs may not offset.  We accept that because a position has to be
decoded with exactly the rule the phone's SDK used to encode it, and the SDKs use this box;
fieldapp's firms are all in mainland China, well inside the box and far from its edges.
BD-09 has no such gate: it is defined as a formula of GCJ-02 coordinates everywhere (and GCJ-02
equals WGS-84 outside the box), which keeps every conversion round-trippable.

Every conversion exists twice from one formula: on Python floats (fast for one fix) and on
numpy arrays (for batches and whole geometries).  Points are ``(lat, lon)``; shapely
geometries are ``x=lon, y=lat``.
"""

from __future__ import annotations

import math
from enum import StrEnum
from types import SimpleNamespace
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.errors import GeoError

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 algorithm (not WGS-84's!).
KRASOVSKY_A = 6378245.0
KRASOVSKY_EE = 0.00669342162296594323

# The rectangle in which GCJ-02 offsets are applied (see module docstring).
GCJ02_LON_MIN, GCJ02_LON_MAX = 72.004, 137.8347
GCJ02_LAT_MIN, GCJ02_LAT_MAX = 0.8293, 55.8271

X_PI = math.pi * 3000.0 / 180.0

# Iterative inverses stop when a step moves less than this (1e-10 deg is ~0.01 mm); they
# converge in 3-5 steps inside China, the cap only guards against pathological input.
INVERSE_TOLERANCE_DEG = 1e-10
INVERSE_MAX_ITERATIONS = 30

_MATH = SimpleNamespace(
    sin=math.sin, cos=math.cos, sqrt=math.sqrt, abs=abs, hypot=math.hypot, atan2=math.atan2
)
_NUMPY = SimpleNamespace(
    sin=np.sin, cos=np.cos, sqrt=np.sqrt, abs=np.abs, hypot=np.hypot, atan2=np.arctan2
)


class CRS(StrEnum):
    """A coordinate reference system a client may report in."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"


_CRS_ALIASES = {"wgs84": CRS.WGS84, "gcj02": CRS.GCJ02, "bd09": CRS.BD09, "bd09ll": CRS.BD09}


def parse_crs(value: CRS | str) -> CRS:
    """Return the CRS named by ``value``, tolerating case and '-'/'_' (``"GCJ-02"``).

    Raises ``GeoError(field="crs")`` for anything else.
    """
    if isinstance(value, CRS):
        return value
    if isinstance(value, str):
        key = value.strip().lower().replace("-", "").replace("_", "")
        if key in _CRS_ALIASES:
            return _CRS_ALIASES[key]
    raise GeoError("crs", f"unknown coordinate system {value!r}; expected wgs84, gcj02 or bd09")


def in_gcj02_area(lat: float, lon: float) -> bool:
    """True when GCJ-02 offsets apply at (lat, lon): the SDKs' rectangle around China."""
    return GCJ02_LON_MIN <= lon <= GCJ02_LON_MAX and GCJ02_LAT_MIN <= lat <= GCJ02_LAT_MAX


def _gcj02_offset(lat: Any, lon: Any, m: SimpleNamespace) -> tuple[Any, Any]:
    """GCJ-02 minus WGS-84 in degrees at a WGS-84 position (no area test)."""
    x = lon - 105.0
    y = lat - 35.0
    common = (20.0 * m.sin(6.0 * x * math.pi) + 20.0 * m.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat = (
        -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * m.sqrt(m.abs(x))
        + common
        + (20.0 * m.sin(y * math.pi) + 40.0 * m.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
        + (160.0 * m.sin(y / 12.0 * math.pi) + 320.0 * m.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * m.sqrt(m.abs(x))
        + common
        + (20.0 * m.sin(x * math.pi) + 40.0 * m.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
        + (150.0 * m.sin(x / 12.0 * math.pi) + 300.0 * m.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    )
    rad_lat = lat / 180.0 * math.pi
    magic = 1.0 - KRASOVSKY_EE * m.sin(rad_lat) ** 2
    sqrt_magic = m.sqrt(magic)
    dlat = (dlat * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (KRASOVSKY_A / sqrt_magic * m.cos(rad_lat) * math.pi)
    return dlat, dlon


def _bd09_encode(lat: Any, lon: Any, m: SimpleNamespace) -> tuple[Any, Any]:
    """BD-09 of a GCJ-02 position: Baidu's x_pi rotation and scaling."""
    z = m.hypot(lon, lat) + 0.00002 * m.sin(lat * X_PI)
    theta = m.atan2(lat, lon) + 0.000003 * m.cos(lon * X_PI)
    return z * m.sin(theta) + 0.006, z * m.cos(theta) + 0.0065


def _bd09_decode_approx(lat: Any, lon: Any, m: SimpleNamespace) -> tuple[Any, Any]:
    """The usual closed-form BD-09 -> GCJ-02; only good to ~0.2 m, used as a first guess."""
    x = lon - 0.0065
    y = lat - 0.006
    z = m.hypot(x, y) - 0.00002 * m.sin(y * X_PI)
    theta = m.atan2(y, x) - 0.000003 * m.cos(x * X_PI)
    return z * m.sin(theta), z * m.cos(theta)


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """Encode a WGS-84 (lat, lon) as GCJ-02; unchanged outside the GCJ-02 area."""
    if not in_gcj02_area(lat, lon):
        return lat, lon
    dlat, dlon = _gcj02_offset(lat, lon, _MATH)
    return lat + dlat, lon + dlon


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """Decode a GCJ-02 (lat, lon) to WGS-84 by iterating the forward transform to ~0.01 mm."""
    if not in_gcj02_area(lat, lon):
        return lat, lon
    # Fixed point of w = g - offset(w): the offset varies slowly with position, so each step
    # shrinks the error ~100-fold; the first step is the usual one-step approximation.
    wlat, wlon = lat, lon
    for _ in range(INVERSE_MAX_ITERATIONS):
        dlat, dlon = _gcj02_offset(wlat, wlon, _MATH)
        nlat, nlon = lat - dlat, lon - dlon
        done = abs(nlat - wlat) < INVERSE_TOLERANCE_DEG and abs(nlon - wlon) < INVERSE_TOLERANCE_DEG
        wlat, wlon = nlat, nlon
        if done:
            break
    return wlat, wlon


def gcj02_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    """Encode a GCJ-02 (lat, lon) as BD-09."""
    return _bd09_encode(lat, lon, _MATH)


def bd09_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """Decode a BD-09 (lat, lon) to GCJ-02, refining the closed form by iteration."""
    glat, glon = _bd09_decode_approx(lat, lon, _MATH)
    for _ in range(INVERSE_MAX_ITERATIONS):
        blat, blon = _bd09_encode(glat, glon, _MATH)
        dlat, dlon = blat - lat, blon - lon
        glat, glon = glat - dlat, glon - dlon
        if abs(dlat) < INVERSE_TOLERANCE_DEG and abs(dlon) < INVERSE_TOLERANCE_DEG:
            break
    return glat, glon


def wgs84_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    """Encode a WGS-84 (lat, lon) as BD-09 (via GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lat, lon))


def bd09_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """Decode a BD-09 (lat, lon) to WGS-84 (via GCJ-02)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lat, lon))


_TO_WGS84 = {CRS.WGS84: lambda lat, lon: (lat, lon), CRS.GCJ02: gcj02_to_wgs84,
             CRS.BD09: bd09_to_wgs84}
_FROM_WGS84 = {CRS.WGS84: lambda lat, lon: (lat, lon), CRS.GCJ02: wgs84_to_gcj02,
               CRS.BD09: wgs84_to_bd09}


def to_wgs84(lat: float, lon: float, crs: CRS | str) -> tuple[float, float]:
    """Return the WGS-84 (lat, lon) of a position reported in ``crs``."""
    return _TO_WGS84[parse_crs(crs)](lat, lon)


def convert(lat: float, lon: float, src: CRS | str, dst: CRS | str) -> tuple[float, float]:
    """Convert one (lat, lon) from ``src`` to ``dst`` (via WGS-84 when neither is WGS-84)."""
    src, dst = parse_crs(src), parse_crs(dst)
    if src == dst:
        return lat, lon
    if {src, dst} == {CRS.GCJ02, CRS.BD09}:
        # Direct, so GCJ<->BD never takes a detour through the GCJ-02 area test.
        return gcj02_to_bd09(lat, lon) if src == CRS.GCJ02 else bd09_to_gcj02(lat, lon)
    return _FROM_WGS84[dst](*_TO_WGS84[src](lat, lon))


# --- numpy versions --------------------------------------------------------------------------


def _area_mask(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    return (
        (lon >= GCJ02_LON_MIN) & (lon <= GCJ02_LON_MAX)
        & (lat >= GCJ02_LAT_MIN) & (lat <= GCJ02_LAT_MAX)
    )


def _max_abs(a: np.ndarray, b: np.ndarray) -> float:
    """Largest absolute value in either array (0 for empty arrays)."""
    return float(max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0)))


def _wgs84_to_gcj02_arrays(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dlat, dlon = _gcj02_offset(lat, lon, _NUMPY)
    inside = _area_mask(lat, lon)
    return np.where(inside, lat + dlat, lat), np.where(inside, lon + dlon, lon)


def _gcj02_to_wgs84_arrays(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    inside = _area_mask(lat, lon)
    wlat, wlon = lat.copy(), lon.copy()
    for _ in range(INVERSE_MAX_ITERATIONS):
        dlat, dlon = _gcj02_offset(wlat, wlon, _NUMPY)
        nlat = np.where(inside, lat - dlat, lat)
        nlon = np.where(inside, lon - dlon, lon)
        step = _max_abs(nlat - wlat, nlon - wlon)
        wlat, wlon = nlat, nlon
        if step < INVERSE_TOLERANCE_DEG:
            break
    return wlat, wlon


def _bd09_to_gcj02_arrays(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    glat, glon = _bd09_decode_approx(lat, lon, _NUMPY)
    for _ in range(INVERSE_MAX_ITERATIONS):
        blat, blon = _bd09_encode(glat, glon, _NUMPY)
        dlat, dlon = blat - lat, blon - lon
        glat, glon = glat - dlat, glon - dlon
        if _max_abs(dlat, dlon) < INVERSE_TOLERANCE_DEG:
            break
    return glat, glon


def _to_wgs84_arrays(lat: np.ndarray, lon: np.ndarray, src: CRS) -> tuple[np.ndarray, np.ndarray]:
    if src == CRS.GCJ02:
        return _gcj02_to_wgs84_arrays(lat, lon)
    if src == CRS.BD09:
        return _gcj02_to_wgs84_arrays(*_bd09_to_gcj02_arrays(lat, lon))
    return lat, lon


def _from_wgs84_arrays(lat: np.ndarray, lon: np.ndarray, dst: CRS) -> tuple[np.ndarray, np.ndarray]:
    if dst == CRS.GCJ02:
        return _wgs84_to_gcj02_arrays(lat, lon)
    if dst == CRS.BD09:
        return _bd09_encode(*_wgs84_to_gcj02_arrays(lat, lon), _NUMPY)
    return lat, lon


def convert_arrays(
    lats: Any, lons: Any, src: CRS | str, dst: CRS | str
) -> tuple[np.ndarray, np.ndarray]:
    """Convert arrays of latitudes and longitudes from ``src`` to ``dst``; returns new arrays."""
    src, dst = parse_crs(src), parse_crs(dst)
    lat = np.asarray(lats, dtype=float)
    lon = np.asarray(lons, dtype=float)
    if src == dst:
        return lat.copy(), lon.copy()
    if src == CRS.GCJ02 and dst == CRS.BD09:
        return _bd09_encode(lat, lon, _NUMPY)
    if src == CRS.BD09 and dst == CRS.GCJ02:
        return _bd09_to_gcj02_arrays(lat, lon)
    return _from_wgs84_arrays(*_to_wgs84_arrays(lat, lon, src), dst)


def convert_geometry(geom: BaseGeometry, src: CRS | str, dst: CRS | str) -> BaseGeometry:
    """Convert every vertex of a shapely geometry (x=lon, y=lat) from ``src`` to ``dst``."""
    src, dst = parse_crs(src), parse_crs(dst)
    if src == dst:
        return geom

    def _convert_xy(xy: np.ndarray) -> np.ndarray:
        lat, lon = convert_arrays(xy[:, 1], xy[:, 0], src, dst)
        return np.column_stack([lon, lat])

    return shapely.transform(geom, _convert_xy)


def geometry_to_wgs84(geom: BaseGeometry, crs: CRS | str) -> BaseGeometry:
    """Return ``geom`` (x=lon, y=lat, in ``crs``) with every vertex converted to WGS-84."""
    return convert_geometry(geom, crs, CRS.WGS84)
