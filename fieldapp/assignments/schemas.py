"""Assignment bodies: read, create, end, reassign, filters, and the phone's own list."""

import math

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from fieldapp.fields import Crs, Id, QueryId
from models import CADENCES


class UserBrief(Schema):
    """The assignee, briefly."""

    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()


class AssignmentOut(Schema):
    """An assignment as returned; ``ends_on`` is the last day of responsibility (inclusive)."""

    id = fields.Integer(dump_only=True)
    user_id = fields.Integer()
    user = fields.Nested(UserBrief)
    target_kind = fields.Function(lambda a: "firm" if a.firm_id is not None else "project")
    firm_id = fields.Integer(allow_none=True)
    project_id = fields.Integer(allow_none=True)
    org_unit_id = fields.Integer()
    cadence = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date(allow_none=True)
    end_reason = fields.String(allow_none=True)
    replaced_by_id = fields.Integer(allow_none=True)
    created_by_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ReassignOut(Schema):
    """The ended assignment and the one that replaces it."""

    previous = fields.Nested(AssignmentOut)
    current = fields.Nested(AssignmentOut)


class AssignmentCreate(Schema):
    """``POST /assignments``: exactly one of ``firm_id`` / ``project_id``."""

    user_id = Id(required=True)
    firm_id = Id()
    project_id = Id()
    cadence = fields.String(required=True, validate=validate.OneOf(CADENCES))
    starts_on = fields.Date(metadata={"description": "default: today (Asia/Shanghai)"})
    ends_on = fields.Date(allow_none=True, metadata={"description": "last day, inclusive"})

    @validates_schema
    def _one_target(self, data, **_kwargs):
        if ("firm_id" in data) == ("project_id" in data):
            message = "Give exactly one of firm_id and project_id."
            raise ValidationError({"firm_id": [message], "project_id": [message]})


class AssignmentEnd(Schema):
    """``POST /assignments/{id}/end``."""

    ends_on = fields.Date(required=True, metadata={"description": "last day, inclusive"})
    reason = fields.String(allow_none=True, validate=validate.Length(max=200))


class AssignmentReassign(Schema):
    """``POST /assignments/{id}/reassign``."""

    user_id = Id(required=True)
    starts_on = fields.Date(required=True, metadata={
        "description": "the new assignee's first day; the old one ends the day before"})
    cadence = fields.String(validate=validate.OneOf(CADENCES),
                            metadata={"description": "default: the old assignment's"})
    ends_on = fields.Date(allow_none=True, metadata={
        "description": "default: the old assignment's planned end if on or after starts_on"})
    reason = fields.String(allow_none=True, validate=validate.Length(max=200))


class AssignmentQuery(Schema):
    """Filters for ``GET /assignments``."""

    user_id = QueryId()
    firm_id = QueryId()
    project_id = QueryId()
    org_unit_id = QueryId(metadata={"description": "this unit and its subtree"})
    active_on = fields.Date(metadata={"description": "assignments covering this date"})


class LatLon(fields.Field):
    """``LAT,LON`` in decimal degrees."""

    def _deserialize(self, value, attr, data, **kwargs):
        parts = value.split(",") if isinstance(value, str) else []
        try:
            lat, lon = (float(p) for p in parts)
        except ValueError:
            raise ValidationError("Expected LAT,LON in decimal degrees.") from None
        if not (math.isfinite(lat) and math.isfinite(lon)):
            raise ValidationError("Coordinates must be finite numbers.")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValidationError("Latitude must be within ±90 and longitude within ±180.")
        return lat, lon


class MyAssignmentsQuery(Schema):
    """``GET /me/assignments``: optional position to sort by distance."""

    near = LatLon(metadata={"description": "LAT,LON: sort by distance to the nearest site"})
    crs = Crs(load_default="wgs84", metadata={"description": "wgs84 (default), gcj02 or bd09"})


class SlotOut(Schema):
    """The current visit slot: local dates and the exact half-open interval."""

    start = fields.Date()
    end = fields.Date(allow_none=True, metadata={"description": "null: the stage is ongoing"})
    starts_at = fields.DateTime()
    ends_at = fields.DateTime(allow_none=True)


class SitePoint(Schema):
    """An active site the visit may be filed against (WGS-84)."""

    id = fields.Integer()
    version = fields.Integer()
    name = fields.String()
    lat = fields.Float()
    lon = fields.Float()
    radius_m = fields.Float()


class MyAssignmentOut(Schema):
    """One row of the phone's list."""

    assignment_id = fields.Integer()
    target_kind = fields.String()
    target_id = fields.Integer()
    target_name = fields.String()
    stage = fields.String(allow_none=True, metadata={"description": "projects only"})
    cadence = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date(allow_none=True)
    current_slot = fields.Nested(SlotOut)
    last_visit_at = fields.DateTime(allow_none=True)
    due_this_period = fields.Boolean()
    due_state = fields.String(metadata={
        "description": "met (a countable visit in the running slot), pending_review (only a "
                       "visit waiting for review), overdue (due, and the previous slot went "
                       "unmet too), due"})
    sites = fields.List(fields.Nested(SitePoint))
    distance_m = fields.Float(allow_none=True)


class MyAssignmentsOut(Schema):
    """The caller's current assignments."""

    as_of = fields.Date()
    items = fields.List(fields.Nested(MyAssignmentOut))
