"""Project bodies: read (list and detail), create, change, stage move, filters."""

from geoalchemy2.shape import to_shape
from marshmallow import Schema, fields, validate

from fieldapp.fields import Id, QueryId
from models import PROJECT_STAGES


def _lat_lon(site) -> tuple[float, float]:
    point = to_shape(site.point)
    return point.y, point.x


class SiteBrief(Schema):
    """A project site as shown inside the project: WGS-84 point, radius and geometry version."""

    id = fields.Integer()
    name = fields.String()
    lat = fields.Function(lambda s: _lat_lon(s)[0])
    lon = fields.Function(lambda s: _lat_lon(s)[1])
    radius_m = fields.Float()
    version = fields.Integer()
    has_boundary = fields.Function(lambda s: s.boundary is not None)
    is_active = fields.Boolean()


class DepartmentBrief(Schema):
    """A department involved in the project (the N of 1+1+N)."""

    id = fields.Integer()
    name = fields.String()


class StageChangeOut(Schema):
    """One entry of the stage history."""

    from_stage = fields.String(allow_none=True)
    to_stage = fields.String()
    moved_by_id = fields.Integer(allow_none=True)
    moved_at = fields.DateTime()
    note = fields.String(allow_none=True)


class ProjectOut(Schema):
    """A project as listed."""

    id = fields.Integer(dump_only=True)
    name = fields.String()
    owner_firm_id = fields.Integer(allow_none=True)
    org_unit_id = fields.Integer()
    stage = fields.String()
    stage_entered_at = fields.DateTime()
    description = fields.String(allow_none=True)
    department_ids = fields.List(fields.Integer())
    departments = fields.List(fields.Nested(DepartmentBrief))
    sites = fields.List(fields.Nested(SiteBrief))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ProjectDetailOut(ProjectOut):
    """A project with its stage history, oldest first."""

    stage_history = fields.List(fields.Nested(StageChangeOut))


class ProjectUpdate(Schema):
    """``PATCH /projects/{id}``: any subset of these. The stage moves only through ``/stage``."""

    name = fields.String(validate=validate.Length(1, 200))
    owner_firm_id = Id(allow_none=True)
    org_unit_id = Id()
    description = fields.String(allow_none=True, validate=validate.Length(max=5000))
    department_ids = fields.List(Id(), validate=validate.Length(max=50))


class ProjectCreate(ProjectUpdate):
    """``POST /projects``; ``stage``: where the project stands when registered (default signed)."""

    name = fields.String(required=True, validate=validate.Length(1, 200))
    org_unit_id = Id(required=True)
    stage = fields.String(load_default="signed", validate=validate.OneOf(PROJECT_STAGES))


class StageMove(Schema):
    """``POST /projects/{id}/stage``."""

    to_stage = fields.String(required=True, validate=validate.OneOf(PROJECT_STAGES))
    note = fields.String(allow_none=True, validate=validate.Length(max=500))


class ProjectQuery(Schema):
    """Filters for ``GET /projects``."""

    org_unit_id = QueryId(metadata={"description": "this unit and its subtree"})
    stage = fields.String(validate=validate.OneOf(PROJECT_STAGES))
    owner_firm_id = QueryId()
    department_id = QueryId()
    q = fields.String(validate=validate.Length(1, 100),
                      metadata={"description": "substring of the name"})
