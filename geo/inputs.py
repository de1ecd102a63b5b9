"""The inputs of a verification: a phone's ``Fix`` and a firm's ``Target`` site.

Both validate on construction and raise ``GeoError`` naming the bad field, so an instance
is always usable: a bad fix is a client error, never a verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon

from geo.accuracy import Source, parse_source
from geo.crs import CRS, parse_crs
from geo.distance import PreparedArea
from geo.errors import GeoError


def finite_number(field_name: str, value: Any) -> float:
    """Return ``value`` as a finite float, or raise ``GeoError(field_name)``."""
    # bool is an int subclass and str parses as float; neither is a coordinate.
    if isinstance(value, bool | str) or value is None:
        raise GeoError(field_name, f"must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise GeoError(field_name, f"must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise GeoError(field_name, f"must be finite, got {value!r}")
    return number


def check_lat_lon(lat: Any, lon: Any, prefix: str = "") -> tuple[float, float]:
    """Validate a latitude/longitude pair in degrees; return them as floats."""
    lat_f = finite_number(prefix + "lat", lat)
    lon_f = finite_number(prefix + "lon", lon)
    if not -90.0 <= lat_f <= 90.0:
        raise GeoError(prefix + "lat", f"latitude must be within ±90°, got {lat_f}")
    if not -180.0 <= lon_f <= 180.0:
        raise GeoError(prefix + "lon", f"longitude must be within ±180°, got {lon_f}")
    return lat_f, lon_f


def check_aware(field_name: str, value: datetime | None) -> None:
    """Require ``value`` to be None or a timezone-aware datetime."""
    if value is None:
        return
    if not isinstance(value, datetime):
        raise GeoError(field_name, f"must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise GeoError(field_name, "must be timezone-aware (naive times are ambiguous)")


@dataclass(frozen=True, slots=True)
class Fix:
    """One position reported by a client, in the CRS the client's SDK used.

    ``accuracy_m`` is the radius as the source reports it (see ``geo.accuracy`` for each
    source's confidence level); None when the client sent none.  ``mock`` is the client's
    own mock-location flag (Android ``isFromMockProvider``), None when unknown.
    """

    lat: float
    lon: float
    accuracy_m: float | None = None
    crs: CRS = field(default=CRS.WGS84, kw_only=True)
    source: Source = field(kw_only=True)
    fix_time: datetime | None = field(default=None, kw_only=True)
    mock: bool | None = field(default=None, kw_only=True)
    altitude_m: float | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        lat, lon = check_lat_lon(self.lat, self.lon)
        object.__setattr__(self, "lat", lat)
        object.__setattr__(self, "lon", lon)
        object.__setattr__(self, "crs", parse_crs(self.crs))
        object.__setattr__(self, "source", parse_source(self.source))
        if self.accuracy_m is not None:
            accuracy = finite_number("accuracy_m", self.accuracy_m)
            if accuracy < 0.0:
                raise GeoError("accuracy_m", f"accuracy cannot be negative, got {accuracy}")
            object.__setattr__(self, "accuracy_m", accuracy)
        if self.altitude_m is not None:
            object.__setattr__(self, "altitude_m", finite_number("altitude_m", self.altitude_m))
        if self.mock is not None and not isinstance(self.mock, bool | np.bool_):
            raise GeoError("mock", f"must be a boolean or None, got {self.mock!r}")
        check_aware("fix_time", self.fix_time)


def _check_geometry_coords(field_name: str, geom: Polygon | MultiPolygon) -> None:
    xy = shapely.get_coordinates(geom)
    if not np.all(np.isfinite(xy)):
        raise GeoError(field_name, "coordinates must be finite")
    if np.any(np.abs(xy[:, 0]) > 180.0) or np.any(np.abs(xy[:, 1]) > 90.0):
        raise GeoError(field_name, "coordinates must be WGS-84 degrees (x=lon, y=lat)")


@dataclass(frozen=True, kw_only=True)
class Target:
    """A firm's stored site in WGS-84: a point and/or an area, and the geofence radius R.

    When ``polygon`` is set, distance is measured to it (0 inside); otherwise to ``point``.
    ``geometry_version`` identifies the stored geometry so a verdict can be traced to it.
    """

    radius_m: float
    point: Point | None = None
    polygon: Polygon | MultiPolygon | None = None
    geometry_version: str | int
    _area: PreparedArea | None = field(init=False, repr=False, compare=False, default=None)
    _point_lat_lon: tuple[float, float] | None = field(
        init=False, repr=False, compare=False, default=None
    )

    def __post_init__(self) -> None:
        radius = finite_number("radius_m", self.radius_m)
        if radius <= 0.0:
            raise GeoError("radius_m", f"geofence radius must be positive, got {radius}")
        object.__setattr__(self, "radius_m", radius)
        if self.point is None and self.polygon is None:
            raise GeoError("target", "a target needs a point or a polygon")
        if self.point is not None:
            if not isinstance(self.point, Point):
                raise GeoError("point", f"must be a shapely Point, got {type(self.point).__name__}")
            if self.point.is_empty:
                raise GeoError("point", "point is empty")
            lat, lon = check_lat_lon(self.point.y, self.point.x, prefix="point.")
            object.__setattr__(self, "_point_lat_lon", (lat, lon))
        if self.polygon is not None:
            if not isinstance(self.polygon, Polygon | MultiPolygon):
                kind = type(self.polygon).__name__
                raise GeoError("polygon", f"must be a shapely Polygon or MultiPolygon, got {kind}")
            if self.polygon.is_empty:
                raise GeoError("polygon", "polygon is empty")
            _check_geometry_coords("polygon", self.polygon)
            if not self.polygon.is_valid:
                reason = shapely.is_valid_reason(self.polygon)
                raise GeoError("polygon", f"invalid geometry: {reason}")
            object.__setattr__(self, "_area", PreparedArea(self.polygon))

    @property
    def area(self) -> PreparedArea | None:
        """The polygon readied for distance queries, or None for a point-only target."""
        return self._area

    @property
    def point_lat_lon(self) -> tuple[float, float] | None:
        """The target point as (lat, lon), or None."""
        return self._point_lat_lon
