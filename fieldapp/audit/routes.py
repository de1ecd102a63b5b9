"""``/audit-events``: the audit log, for admins and for managers over their subtree."""

from marshmallow import Schema, fields, validate

from fieldapp import scope
from fieldapp.auth.principal import current_principal, login_required
from fieldapp.extensions import Blueprint
from fieldapp.fields import AwareDateTime, QueryId
from fieldapp.pagination import PageArgs, page_of, paginate
from models import AuditEvent

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit-events",
                description="Append-only audit log")


class AuditEventOut(Schema):
    """One recorded change."""

    id = fields.Integer()
    at = fields.DateTime()
    actor_id = fields.Integer(allow_none=True)
    action = fields.String()
    entity = fields.String()
    entity_id = fields.String()
    org_unit_id = fields.Integer(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    request_id = fields.String(allow_none=True)


class AuditQuery(PageArgs):
    """Filters for the audit log."""

    entity = fields.String(validate=validate.Length(1, 64))
    entity_id = fields.String(validate=validate.Length(1, 64))
    actor_id = QueryId()
    action = fields.String(validate=validate.OneOf(["create", "update", "delete"]))
    since = AwareDateTime()
    until = AwareDateTime()


@blp.route("")
@login_required("admin", "manager")
@blp.arguments(AuditQuery, location="query")
@blp.response(200, page_of(AuditEventOut))
def list_audit_events(args):
    """Changes in scope, newest first."""
    stmt = scope.scoped(AuditEvent, current_principal())
    for field in ("entity", "entity_id", "actor_id", "action"):
        if field in args:
            stmt = stmt.where(getattr(AuditEvent, field) == args[field])
    if "since" in args:
        stmt = stmt.where(AuditEvent.at >= args["since"])
    if "until" in args:
        stmt = stmt.where(AuditEvent.at < args["until"])
    return paginate(stmt, args, order_by=[AuditEvent.id.desc()])
