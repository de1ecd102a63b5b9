"""Site bodies: a point, an optional boundary, a radius, in a declared coordinate system.

Input (plain JSON)::

    {"name": "main gate", "point": {"lat": 34.3412, "lon": 108.7093}, "crs": "gcj02",
     "boundary": {"type": "Polygon", "coordinates": [[[lon, lat], …]]}, "radius_m": 150}

or a GeoJSON ``Feature`` whose geometry is a ``Point`` (the point), a ``Polygon`` /
``MultiPolygon`` (the boundary; the point is then ``properties.point`` or, if absent, a point
inside the boundary) or a ``GeometryCollection`` of one of each; the other fields are
``properties``. RFC 7946 says GeoJSON is WGS-84; Chinese map tools export GCJ-02, so
``properties.crs`` may say so.

Loading converts to WGS-84 shapely objects (``point``, ``boundary``) and checks the geometry
(``geo.shapes``); output is always WGS-84: ``point`` as ``{lat, lon}``, ``boundary`` as GeoJSON.
"""

import struct

from flask import current_app
from geoalchemy2.shape import to_shape
from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validate

from fieldapp.fields import Crs
from geo import (
    GeoError,
    boundary_to_wgs84,
    check_point_near_boundary,
    parse_boundary,
    point_to_wgs84,
    to_geojson,
)

MAX_RADIUS_M = 5000.0


_EWKB_SRID = 0x20000000


def _point_of(site) -> dict:
    # A 2-D point's (E)WKB read directly: a list page has one or more per firm, and shapely
    # through ``to_shape`` costs ~10x more for the same two doubles. Anything else: to_shape.
    data = site.point.data
    raw = bytes.fromhex(data) if isinstance(data, str) else bytes(data)
    order = "<" if raw[:1] == b"\x01" else ">"
    kind = struct.unpack_from(order + "I", raw, 1)[0] if len(raw) >= 5 else 0
    start = 9 if kind & _EWKB_SRID else 5
    if kind & ~_EWKB_SRID == 1 and len(raw) == start + 16:
        lon, lat = struct.unpack_from(order + "dd", raw, start)
        return {"lat": lat, "lon": lon}
    point = to_shape(site.point)
    return {"lat": point.y, "lon": point.x}


def _boundary_of(site) -> dict | None:
    return None if site.boundary is None else to_geojson(to_shape(site.boundary))


def _geojson_position(coords) -> dict | None:
    if isinstance(coords, list) and len(coords) >= 2:
        return {"lon": coords[0], "lat": coords[1]}
    return None


def feature_to_fields(data):
    """A GeoJSON Feature → the plain body (geometry to point/boundary, properties merged)."""
    if not isinstance(data, dict) or data.get("type") != "Feature":
        return data
    props = data.get("properties")
    body = dict(props) if isinstance(props, dict) else {}
    geometry = data.get("geometry")
    parts = []
    if isinstance(geometry, dict):
        parts = (geometry.get("geometries") if geometry.get("type") == "GeometryCollection"
                 else [geometry])
    for part in parts if isinstance(parts, list) else []:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "Point":
            body["point"] = _geojson_position(part.get("coordinates")) or part
        elif kind in ("Polygon", "MultiPolygon"):
            body["boundary"] = part
        else:
            raise ValidationError({"geometry": [
                f"expected Point, Polygon or MultiPolygon, got {kind!r}"]})
    if "boundary" in body and "point" not in body:
        try:  # the point defaults to one inside the boundary (same crs: converted later)
            inside = parse_boundary(body["boundary"]).point_on_surface()
            body["point"] = {"lat": inside.y, "lon": inside.x}
        except GeoError:
            pass  # the boundary's own check names the problem
    return body


def _to_validation_error(exc: GeoError, prefix: str = "") -> ValidationError:
    return ValidationError({prefix + exc.field: [exc.message]})


class SiteUpdate(Schema):
    """``PATCH …/sites/{id}``: any subset; ``boundary: null`` removes the boundary.

    A change of ``point``, ``boundary`` or ``radius_m`` makes a new geometry version.
    """

    name = fields.String(validate=validate.Length(1, 100))
    point = fields.Raw(metadata={"description": '{"lat": …, "lon": …} in crs'})
    boundary = fields.Raw(allow_none=True, metadata={
        "description": "GeoJSON Polygon or MultiPolygon in crs, rings closed"})
    radius_m = fields.Float(validate=validate.Range(min=0, max=MAX_RADIUS_M, min_inclusive=False),
                            metadata={"description": "geofence radius in metres (0, 5000]"})
    crs = Crs(load_default="wgs84")

    @pre_load
    def _feature(self, data, **_kwargs):
        return feature_to_fields(data)

    @post_load
    def _to_wgs84(self, data, **_kwargs):
        crs = data.pop("crs")
        config = current_app.config
        try:
            if "point" in data:
                data["point"] = point_to_wgs84(data["point"], crs)
            if data.get("boundary") is not None:
                data["boundary"] = boundary_to_wgs84(
                    data["boundary"], crs, max_vertices=config["SITE_MAX_VERTICES"])
        except GeoError as exc:
            raise _to_validation_error(exc) from None
        return self._complete(data, config)

    def _complete(self, data: dict, _config) -> dict:
        return data


class SiteCreate(SiteUpdate):
    """``POST …/sites`` and each entry of a firm's ``sites``: ``point`` is required."""

    name = fields.String(load_default="主址", validate=validate.Length(1, 100))
    point = fields.Raw(required=True, metadata={"description": '{"lat": …, "lon": …} in crs'})

    def _complete(self, data: dict, config) -> dict:
        data.setdefault("boundary", None)
        data.setdefault("radius_m", config["SITE_RADIUS_M"])
        try:
            check_point_near_boundary(data["point"], data["boundary"],
                                      max_outside_m=config["SITE_POINT_MAX_OUTSIDE_M"])
        except GeoError as exc:
            raise _to_validation_error(exc) from None
        return data


class SiteOut(Schema):
    """A site in WGS-84."""

    id = fields.Integer()
    firm_id = fields.Integer(allow_none=True)
    project_id = fields.Integer(allow_none=True)
    name = fields.String()
    point = fields.Function(_point_of, metadata={"description": "WGS-84 {lat, lon}"})
    boundary = fields.Function(_boundary_of, allow_none=True,
                               metadata={"description": "GeoJSON, WGS-84"})
    radius_m = fields.Float()
    version = fields.Integer(metadata={"description": "current geometry version"})
    is_active = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class SiteVersionOut(Schema):
    """A geometry a site had from ``valid_from`` (what visits in that time were judged by)."""

    version = fields.Integer()
    point = fields.Function(_point_of)
    boundary = fields.Function(_boundary_of, allow_none=True)
    radius_m = fields.Float()
    valid_from = fields.DateTime()
    created_by_id = fields.Integer(allow_none=True)


class SiteQuery(Schema):
    """``GET …/sites``."""

    include_inactive = fields.Boolean(load_default=False)
