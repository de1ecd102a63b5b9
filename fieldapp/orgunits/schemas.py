"""Org unit bodies."""

from marshmallow import Schema, fields, validate

from fieldapp.fields import Id, QueryId
from models import ORG_UNIT_KINDS


class OrgUnitOut(Schema):
    """An org unit as returned."""

    id = fields.Integer(dump_only=True)
    parent_id = fields.Integer(allow_none=True)
    name = fields.String()
    code = fields.String()
    kind = fields.String()
    depth = fields.Integer(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class OrgUnitCreate(Schema):
    """``POST /org-units``. Only the root (the city or province) may have no parent."""

    parent_id = Id(load_default=None, allow_none=True)
    name = fields.String(required=True, validate=validate.Length(1, 100))
    code = fields.String(required=True, validate=validate.Regexp(
        r"^[0-9A-Za-z_-]{1,32}$", error="1-32 letters, digits, '-' or '_'."))
    kind = fields.String(required=True, validate=validate.OneOf(ORG_UNIT_KINDS))


class OrgUnitQuery(Schema):
    """Filters for ``GET /org-units``."""

    parent_id = QueryId()
    within = QueryId(metadata={"description": "only this unit and its subtree"})
    kind = fields.String(validate=validate.OneOf(ORG_UNIT_KINDS))
