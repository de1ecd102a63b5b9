"""Response shapes more than one package returns: a user (``/users`` and ``/me``), kept below
both ``auth`` and ``users`` so neither imports the other's schemas."""

from marshmallow import Schema, fields


class OrgUnitBrief(Schema):
    """The few org-unit fields shown inside a user."""

    id = fields.Integer()
    name = fields.String()
    kind = fields.String()


class FirmBrief(Schema):
    """The firm a firm user works at, shown inside the user."""

    id = fields.Integer()
    name = fields.String()


class UserOut(Schema):
    """A user as returned. The password hash never leaves the server."""

    id = fields.Integer(dump_only=True)
    username = fields.String()
    display_name = fields.String()
    roles = fields.Function(lambda u: sorted(u.roles))
    org_unit_id = fields.Integer()
    org_unit = fields.Nested(OrgUnitBrief)
    service_team_id = fields.Integer(allow_none=True)
    department_id = fields.Integer(allow_none=True)
    firm_id = fields.Integer(allow_none=True, metadata={
        "description": "firm users (role firm) only: the firm they work at"})
    firm = fields.Nested(FirmBrief, allow_none=True)
    phone = fields.String(allow_none=True)
    is_active = fields.Boolean()
    # Not named after the password: nothing about a password (not even a key) is shown.
    temporary_credentials = fields.Boolean(attribute="password_must_change", metadata={
        "description": "set by an admin or manager: a one-time password the user must change "
                       "(POST /api/v1/me/password) before doing anything else"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
