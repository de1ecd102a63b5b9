"""User bodies: one schema to read, one to create, one to change, one to filter."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from fieldapp.fields import Id, QueryId
from models import ROLES

# The firm-user rule, stated once for the OpenAPI document (checked in users.service).
FIRM_RULE = ("A firm user (企业用户) has the single role firm and a firm_id; staff roles never "
             "carry one (422 on firm_id or roles otherwise). The firm must exist, be active and "
             "be the caller's to manage (admins: any; managers: their subtree), else 422 on "
             "firm_id. A firm user belongs to their firm's org unit and has no service team or "
             "department.")


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
    org_unit_id = Id(metadata={"description": "a firm user's must be their firm's unit"})
    service_team_id = Id(allow_none=True)
    department_id = Id(allow_none=True)
    firm_id = Id(allow_none=True, metadata={"description": (
        "another firm for a firm user (their org unit follows the firm's), only with a new "
        "one-time password in the same body (422 on password otherwise); their sessions end. "
        "A firm account never becomes a staff account nor the reverse (422 on roles). "
        "Checked whenever roles or firm_id is sent. "
        + FIRM_RULE)})
    phone = fields.String(allow_none=True, validate=validate.Regexp(
        r"^\+?[0-9 -]{5,20}$", error="A phone number of 5-20 digits."))
    is_active = fields.Boolean()


class UserCreate(UserUpdate):
    """``POST /users``."""

    username = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9_.-]{3,64}$", error="3-64 letters, digits, '.', '_' or '-'."))
    display_name = fields.String(required=True, validate=validate.Length(1, 100))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256),
                             metadata={"description": "a one-time password: the user must "
                                                      "change it at their first log-in"})
    roles = _roles(required=True)
    org_unit_id = Id(metadata={"description": "required, except for a firm user, who gets "
                                              "their firm's unit"})
    firm_id = Id(metadata={"description": "a firm user's firm (with roles [\"firm\"]). "
                                          + FIRM_RULE})

    # Judged on the body as sent and beside the other fields' errors, as a required field is:
    # an invalid firm_id is an error on firm_id, not a missing unit.
    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _unit_unless_firm(self, _data, original, **_kwargs):
        if isinstance(original, dict) and not {"org_unit_id", "firm_id"} & original.keys():
            raise ValidationError({"org_unit_id": ["Missing data for required field."]})


class UserQuery(Schema):
    """Filters for ``GET /users``."""

    role = fields.String(validate=validate.OneOf(ROLES))
    org_unit_id = QueryId(metadata={"description": "this unit and its subtree"})
    q = fields.String(validate=validate.Length(1, 64),
                      metadata={"description": "substring of username or display name"})
    is_active = fields.Boolean()
