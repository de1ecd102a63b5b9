"""Firm bodies: read, create (plain JSON or a GeoJSON Feature), change, and list filters."""

import math

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)

from fieldapp.fields import Crs, Id, QueryId
from fieldapp.firms import uscc
from fieldapp.sites.schemas import SiteCreate, SiteOut, feature_to_fields
from models import FIRM_STATUSES, FIRM_TAGS

MAX_SITES = 50
MAX_NEARBY_RADIUS_M = 50_000.0


class UsccField(fields.String):
    """A USCC, normalised (trimmed, upper-case); length and alphabet checked here.

    The check character is checked by the schema, which knows whether the row may keep a code
    that fails it (imports only, when the row says so).
    """

    def _deserialize(self, value, attr, data, **kwargs):
        code = uscc.normalise(super()._deserialize(value, attr, data, **kwargs))
        found = uscc.problem(code)
        if found is not None and found.reason != "wrong_check_character":
            raise ValidationError(f"{found.reason}: {found.message}")
        return code


class Contact(Schema):
    """A person at the firm to call before a visit."""

    name = fields.String(required=True, validate=validate.Length(1, 50))
    phone = fields.String(validate=validate.Length(max=30))
    role = fields.String(validate=validate.Length(max=50),
                         metadata={"description": "e.g. 法人, 总经理, 办公室主任"})
    is_primary = fields.Boolean(load_default=False)


class FirmUpdate(Schema):
    """``PATCH /firms/{id}``: any subset. ``status: closed`` is the same as ``DELETE``."""

    uscc = UsccField(metadata={"description": "统一社会信用代码, 18 characters"})
    name = fields.String(validate=validate.Length(1, 200))
    address = fields.String(allow_none=True, validate=validate.Length(max=300))
    industry = fields.String(allow_none=True, validate=validate.Length(max=100))
    tags = fields.List(fields.String(validate=validate.OneOf(FIRM_TAGS)),
                       validate=validate.Length(max=len(FIRM_TAGS)),
                       metadata={"description": "above_scale 规上, specialized 专精特新, "
                                                "high_tech 高新技术, key 重点"})
    org_unit_id = Id()
    contacts = fields.List(fields.Nested(Contact), validate=validate.Length(max=20))
    status = fields.String(validate=validate.OneOf(FIRM_STATUSES))

    allow_unchecked_uscc = False

    @validates_schema
    def _check_character(self, data, **_kwargs):
        code = data.get("uscc")
        if code is None or uscc.problem(code) is None:
            return
        if self.allow_unchecked_uscc and data.get("uscc_checksum_exempt"):
            return
        found = uscc.problem(code)
        hint = (" (an import row may keep such a code with uscc_checksum_exempt=true)"
                if self.allow_unchecked_uscc else "")
        raise ValidationError({"uscc": [f"{found.reason}: {found.message}{hint}"]})

    @post_load
    def _mark(self, data, **_kwargs):
        if "uscc" in data:
            data["uscc_checksum_ok"] = uscc.problem(data["uscc"]) is None
        data.pop("uscc_checksum_exempt", None)
        return data


class FirmCreate(FirmUpdate):
    """``POST /firms``: a firm with at least one site.

    Also accepted: a GeoJSON ``Feature`` whose ``properties`` are these fields and whose
    geometry becomes the firm's one site (see the site schema; ``properties.crs`` declares
    GCJ-02 or BD-09 coordinates).
    """

    # The OpenAPI example: a firm with one site, as the phone map shows it (GCJ-02).
    EXAMPLE = {
        "uscc": "91610402MA6XQ5Y0XN", "name": "秦川机械有限公司", "org_unit_id": 3,
        "tags": ["above_scale", "specialized"],
        "sites": [{"name": "厂区", "crs": "gcj02", "point": {"lat": 34.329, "lon": 108.7148},
                   "radius_m": 150}]}

    uscc = UsccField(required=True, metadata={"description": "统一社会信用代码, 18 characters"})
    name = fields.String(required=True, validate=validate.Length(1, 200))
    org_unit_id = Id(required=True)
    status = fields.String(load_default="active", validate=validate.OneOf(("active",)))
    sites = fields.List(fields.Nested(SiteCreate), required=True,
                        validate=validate.Length(1, MAX_SITES))

    @pre_load
    def _feature(self, data, **_kwargs):
        if not isinstance(data, dict) or data.get("type") != "Feature":
            return data
        body = feature_to_fields(data)
        site = {k: body.pop(k) for k in ("point", "boundary", "radius_m") if k in body}
        if "crs" in body:
            site["crs"] = body.pop("crs")
        if "site_name" in body:
            site["name"] = body.pop("site_name")
        body.setdefault("sites", [site])
        return body


class FirmImportRow(FirmCreate):
    """One imported firm: may keep a code failing the check character when it says so."""

    allow_unchecked_uscc = True
    uscc_checksum_exempt = fields.Boolean(load_default=False)


class FirmOut(Schema):
    """A firm with its active sites; ``distance_m`` only in a ``near=`` search."""

    id = fields.Integer()
    uscc = fields.String()
    uscc_checksum_ok = fields.Boolean(metadata={
        "description": "false for an early code kept on import although its check fails"})
    name = fields.String()
    address = fields.String(allow_none=True)
    industry = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    org_unit_id = fields.Integer()
    contacts = fields.List(fields.Dict())
    status = fields.String()
    closed_at = fields.DateTime(allow_none=True)
    sites = fields.List(fields.Nested(SiteOut), attribute="active_sites")
    distance_m = fields.Float(metadata={
        "description": "metres from near= to the nearest active site point"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


def _numbers(value: str, count: int, what: str) -> list[float]:
    parts = value.split(",") if isinstance(value, str) else []
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) != count:
        raise ValidationError(f"Expected {what}.")
    if not all(math.isfinite(n) for n in numbers):
        raise ValidationError("Coordinates must be finite numbers.")
    return numbers


class LatLonParam(fields.Field):
    """``LAT,LON`` in decimal degrees."""

    def _deserialize(self, value, attr, data, **kwargs):
        lat, lon = _numbers(value, 2, "LAT,LON in decimal degrees")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValidationError("Latitude must be within ±90 and longitude within ±180.")
        return lat, lon


class BBoxParam(fields.Field):
    """``MIN_LON,MIN_LAT,MAX_LON,MAX_LAT`` (the GeoJSON bbox order)."""

    def _deserialize(self, value, attr, data, **kwargs):
        box = _numbers(value, 4, "MIN_LON,MIN_LAT,MAX_LON,MAX_LAT")
        min_lon, min_lat, max_lon, max_lat = box
        if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
            raise ValidationError("Expected -180 ≤ MIN_LON < MAX_LON ≤ 180 and "
                                  "-90 ≤ MIN_LAT < MAX_LAT ≤ 90.")
        return tuple(box)


class FirmQuery(Schema):
    """Filters for ``GET /firms`` and ``GET /firms.geojson``."""

    org_unit_id = QueryId(metadata={"description": "this unit and its subtree"})
    tag = fields.String(validate=validate.OneOf(FIRM_TAGS))
    q = fields.String(validate=validate.Length(1, 100),
                      metadata={"description": "part of the name, or the start of the USCC"})
    status = fields.String(load_default="active",
                           validate=validate.OneOf((*FIRM_STATUSES, "all")))
    bbox = BBoxParam(metadata={"description": "firms with an active site point in this box"})
    near = LatLonParam(metadata={"description": "LAT,LON: firms with an active site within "
                                                "radius_m, nearest first, with distance_m"})
    radius_m = fields.Float(load_default=1000.0, validate=validate.Range(
        min=0, max=MAX_NEARBY_RADIUS_M, min_inclusive=False))
    crs = Crs(load_default="wgs84")

    @validates_schema
    def _radius_needs_near(self, data, **_kwargs):
        if "near" in data and "bbox" in data:
            raise ValidationError({"near": ["Give near or bbox, not both."]})
