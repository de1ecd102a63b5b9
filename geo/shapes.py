"""Site geometry as clients send it: a point and an optional GeoJSON boundary, checked strictly.

``site_shape`` turns request input into WGS-84 shapely geometries or raises ``GeoError`` naming
the field and the reason. The rules (the API docs repeat them):

- ``point`` is ``{"lat": …, "lon": …}`` in decimal degrees, finite and in range.
- ``boundary`` is a GeoJSON (RFC 7946) ``Polygon`` or ``MultiPolygon`` geometry, positions
  ``[lon, lat]`` (an altitude is ignored). Every ring must be **closed** (first position equal to
  the last) and hold at least four positions; shapely would close an open ring silently, so the
  check runs on the raw coordinates first. Rings may wind either way; they are stored wound as
  RFC 7946 asks (exterior counter-clockwise).
- At most ``max_vertices`` positions in all, and the converted shape must be valid (no
  self-intersection, no hole outside its shell, no overlapping parts): the reason comes from GEOS.
- Both are converted from the declared ``crs`` to WGS-84 first; the point then lies inside its
  boundary or at most ``max_outside_m`` metres from it (a point elsewhere is a typing error).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, mapping
from shapely.geometry.polygon import orient

from geo.crs import CRS, geometry_to_wgs84, parse_crs, to_wgs84
from geo.distance import point_polygon_distance_m
from geo.errors import GeoError
from geo.inputs import check_lat_lon

BOUNDARY_TYPES = ("Polygon", "MultiPolygon")
COORDINATE_DECIMALS = 7  # about 1 cm: more digits are noise, fewer lose a site's corners


@dataclass(frozen=True)
class SiteShape:
    """A site's WGS-84 geometry: the point (x=lon, y=lat) and the boundary, if any."""

    point: Point
    boundary: Polygon | MultiPolygon | None

    @property
    def lat(self) -> float:
        """Latitude of the point."""
        return self.point.y

    @property
    def lon(self) -> float:
        """Longitude of the point."""
        return self.point.x


def parse_point(value: Any, field: str = "point") -> tuple[float, float]:
    """``{"lat": …, "lon": …}`` → (lat, lon), checked; ``GeoError`` names ``field.lat`` etc."""
    if not isinstance(value, Mapping):
        raise GeoError(field, 'must be an object {"lat": …, "lon": …}')
    missing = [k for k in ("lat", "lon") if k not in value]
    if missing:
        raise GeoError(f"{field}.{missing[0]}", "is required")
    return check_lat_lon(value["lat"], value["lon"], prefix=f"{field}.")


def _position(raw: Any, field: str) -> tuple[float, float]:
    if not isinstance(raw, list | tuple) or not 2 <= len(raw) <= 3:
        raise GeoError(field, "every position must be [lon, lat] (or [lon, lat, altitude])")
    for v in raw:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise GeoError(field, f"coordinates must be finite numbers, got {v!r}")
    lon, lat = float(raw[0]), float(raw[1])
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise GeoError(field, f"position {[lon, lat]} is not [lon, lat] in degrees "
                              "(longitude first, as GeoJSON orders them)")
    return lon, lat


def _ring(raw: Any, field: str) -> list[tuple[float, float]]:
    if not isinstance(raw, list | tuple):
        raise GeoError(field, "a ring must be an array of positions")
    ring = [_position(p, field) for p in raw]
    if len(ring) < 4:
        raise GeoError(field, f"a ring needs at least 4 positions, got {len(ring)}")
    if ring[0] != ring[-1]:
        raise GeoError(field, "ring is not closed: its last position must repeat the first")
    return ring


def _polygon_rings(raw: Any, field: str) -> list[list[tuple[float, float]]]:
    if not isinstance(raw, list | tuple) or not raw:
        raise GeoError(field, "a polygon must be a non-empty array of rings")
    return [_ring(r, field) for r in raw]


def parse_boundary(value: Any, field: str = "boundary") -> Polygon | MultiPolygon:
    """A GeoJSON Polygon/MultiPolygon mapping → shapely, with closed rings (not yet validated)."""
    if not isinstance(value, Mapping):
        raise GeoError(field, "must be a GeoJSON Polygon or MultiPolygon object")
    kind = value.get("type")
    if kind not in BOUNDARY_TYPES:
        raise GeoError(field, f"type must be Polygon or MultiPolygon, got {kind!r}")
    coords = value.get("coordinates")
    if kind == "Polygon":
        rings = _polygon_rings(coords, field)
        return Polygon(rings[0], rings[1:])
    if not isinstance(coords, list | tuple) or not coords:
        raise GeoError(field, "a MultiPolygon needs a non-empty array of polygons")
    parts = [_polygon_rings(p, field) for p in coords]
    return MultiPolygon([Polygon(rings[0], rings[1:]) for rings in parts])


def point_to_wgs84(value: Any, crs: CRS | str = CRS.WGS84, field: str = "point") -> Point:
    """``{"lat": …, "lon": …}`` in ``crs`` → a WGS-84 shapely Point."""
    lat, lon = parse_point(value, field)
    wgs_lat, wgs_lon = to_wgs84(lat, lon, parse_crs(crs))
    return Point(wgs_lon, wgs_lat)


def boundary_to_wgs84(value: Any, crs: CRS | str = CRS.WGS84, *, max_vertices: int = 5000,
                      field: str = "boundary") -> Polygon | MultiPolygon:
    """A GeoJSON boundary in ``crs`` → a valid WGS-84 shape wound as RFC 7946 asks."""
    crs = parse_crs(crs)
    shape = parse_boundary(value, field)
    vertices = shapely.get_num_coordinates(shape)
    if vertices > max_vertices:
        raise GeoError(field, f"too many vertices: {vertices} (at most {max_vertices}); "
                              "simplify the outline")
    shape = geometry_to_wgs84(shape, crs)
    if not shape.is_valid:
        raise GeoError(field, f"invalid geometry: {shapely.is_valid_reason(shape)}")
    if shape.area == 0:
        raise GeoError(field, "the boundary encloses no area")
    return oriented(shape)


def check_point_near_boundary(point: Point, boundary: Polygon | MultiPolygon | None, *,
                              max_outside_m: float = 1000.0) -> None:
    """Refuse a WGS-84 point more than ``max_outside_m`` outside its own boundary."""
    if boundary is None:
        return
    outside = point_polygon_distance_m(point.y, point.x, boundary)
    if outside > max_outside_m:
        raise GeoError("point", f"the point lies {outside:.0f} m outside its own boundary "
                                f"(at most {max_outside_m:.0f} m allowed): check both")


def site_shape(point: Any, boundary: Any = None, crs: CRS | str = CRS.WGS84, *,
               max_vertices: int = 5000, max_outside_m: float = 1000.0) -> SiteShape:
    """Check a site's point and optional boundary (in ``crs``) and return them in WGS-84."""
    crs = parse_crs(crs)
    wgs_point = point_to_wgs84(point, crs)
    shape = None if boundary is None else boundary_to_wgs84(boundary, crs,
                                                            max_vertices=max_vertices)
    check_point_near_boundary(wgs_point, shape, max_outside_m=max_outside_m)
    return SiteShape(wgs_point, shape)


def oriented(shape: Polygon | MultiPolygon) -> Polygon | MultiPolygon:
    """``shape`` wound as RFC 7946 asks: exterior rings counter-clockwise, holes clockwise."""
    if isinstance(shape, Polygon):
        return orient(shape, 1.0)
    return MultiPolygon([orient(p, 1.0) for p in shape.geoms])


def to_geojson(shape: Point | Polygon | MultiPolygon) -> dict:
    """A GeoJSON geometry mapping of a WGS-84 shape, coordinates rounded to about 1 cm."""
    if not isinstance(shape, Point):
        shape = oriented(shape)
    return mapping(shapely.transform(shape, lambda xy: np.round(xy, COORDINATE_DECIMALS)))


def _as_shown(polygon: Polygon) -> bytes:
    # What ``to_geojson`` shows of a polygon, in a form where winding and first vertex no
    # longer matter.
    shown = shapely.transform(polygon, lambda xy: np.round(xy, COORDINATE_DECIMALS))
    return shapely.normalize(shown).wkb


def keep_unchanged_parts(new: Polygon | MultiPolygon | None,
                         stored: Polygon | MultiPolygon | None) -> Polygon | MultiPolygon | None:
    """``new`` with every polygon that ``stored`` has too, as ``to_geojson`` shows it, taken
    from ``stored`` unchanged.

    A client (the console's map editor) sends back what it was shown — coordinates rounded to
    ``COORDINATE_DECIMALS``, maybe wound or started differently. The parts it did not touch then
    keep their stored coordinates to the last digit, and a boundary sent back untouched is the
    stored one (no new geometry version for a difference nobody made).
    """
    if new is None or stored is None:
        return new
    shown = {_as_shown(part): part for part in getattr(stored, "geoms", [stored])}
    parts = [shown.get(_as_shown(part), part) for part in getattr(new, "geoms", [new])]
    kept = parts[0] if isinstance(new, Polygon) else MultiPolygon(parts)
    return kept if kept.is_valid else new
