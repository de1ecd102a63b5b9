"""User bodies: one schema to read, one to create, one to change, one to filter."""

from marshmallow import Schema, fields, validate

from fieldapp.fields import Id, QueryId
from models import ROLES


def _roles(**kwargs) -> fields.List:
    return fields.List(fields.String(validate=validate.OneOf(ROLES)),
                       validate=validate.Length(min=1, max=len(ROLES)), **kwargs)


class UserUpdate(Schema):
    """``PATCH /users/{id}``: any subset of these."""

    display_name = fields.String(validate=validate.Length(1, 100))
    password = fields.String(load_only=True, validate=validate.Length(max=256), metadata={
        "description": "someone else's: a one-time password they must change at their next "
                       "log-in; their sessions end. Your own: POST /api/v1/me/password"})
    roles = _roles()
    org_unit_id = Id()
    service_team_id = Id(allow_none=True)
    department_id = Id(allow_none=True)
    phone = fields.String(allow_none=True, validate=validate.Regexp(
        r"^\+?[0-9 -]{5,20}$", error="A phone number of 5-20 digits."))
    is_active = fields.Boolean()


class UserCreate(UserUpdate):
    """``POST /users``."""

    username = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9_.-]{3,64}$", error="3-64 letters, digits, '.', '_' or '-'."))
    display_name = fields.String(required=True, validate=validate.Length(1, 100))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))
    roles = _roles(required=True)
    org_unit_id = Id(required=True)



class UserQuery(Schema):
    """Filters for ``GET /users``."""

    role = fields.String(validate=validate.OneOf(ROLES))
    org_unit_id = QueryId(metadata={"description": "this unit and its subtree"})
    q = fields.String(validate=validate.Length(1, 64),
                      metadata={"description": "substring of username or display name"})
    is_active = fields.Boolean()
