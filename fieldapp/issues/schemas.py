"""Request and response bodies of ``/issues`` and ``/track``."""

from marshmallow import Schema, fields, validate
from sqlalchemy.orm import lazyload, load_only, selectinload

from fieldapp.fields import Id, PeriodField, QueryId
from fieldapp.issues.checkcode import check_code
from fieldapp.issues.lifecycle import ACTIONS
from models import ISSUE_SOURCES, ISSUE_STATES, RATINGS, RESULT_CODES, Firm, Issue

Text = fields.String


class Attachment(Schema):
    """A file already stored elsewhere (e.g. a visit photo), by name and URL."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    url = fields.Url(required=True, schemes={"https", "http"})


def _firm_name(issue) -> str | None:
    return issue.firm.name if issue.firm is not None else None


class IssueCreate(Schema):
    """``POST /issues``."""

    # The OpenAPI example: a firm's power problem taken down by a manager on the hotline.
    EXAMPLE = {"firm_id": 1, "category": "power", "title": "二期用电容量不足",
               "description": "二期厂房下月投产，现有变压器容量不足，需增容 800 kVA。",
               "source": "hotline", "urgent": False}

    firm_id = Id(required=True)
    category = fields.String(required=True, validate=validate.Length(min=1, max=32))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=5000))
    source = fields.String(validate=validate.OneOf(ISSUE_SOURCES), metadata={
        "description": "staff: manager, hotline, letter or symposium (default manager); "
                       "firm users: firm"})
    urgent = fields.Boolean(load_default=False)
    lat = fields.Float(allow_nan=False, validate=validate.Range(-90, 90))
    lon = fields.Float(allow_nan=False, validate=validate.Range(-180, 180))
    address = fields.String(validate=validate.Length(max=300))
    attachments = fields.List(fields.Nested(Attachment), validate=validate.Length(max=20))


class IssueAction(Schema):
    """``POST /issues/{id}/actions``: one transition and what it needs."""

    action = fields.String(required=True, validate=validate.OneOf(sorted(ACTIONS)))
    text = fields.String(validate=validate.Length(min=1, max=2000), metadata={
        "description": "public text: reject/suspend reason, reopen reason; internal for "
                       "return, request_suspension and callback notes"})
    internal_text = fields.String(validate=validate.Length(max=2000))
    department_id = Id(metadata={"description": "dispatch: the department"})
    into_id = Id(metadata={"description": "merge: the master issue"})
    reply = fields.String(validate=validate.Length(min=1, max=5000))
    result_code = fields.String(validate=validate.OneOf(RESULT_CODES))
    rating = fields.String(validate=validate.OneOf(RATINGS))
    comment = fields.String(validate=validate.Length(max=500))
    level = fields.Integer(strict=True, validate=validate.Range(1, 2))


class IssueQuery(Schema):
    """``GET /issues`` filters."""

    state = fields.String(validate=validate.OneOf(ISSUE_STATES))
    department_id = QueryId()
    category = fields.String(validate=validate.Length(max=32))
    firm_id = QueryId()
    org_unit_id = QueryId()
    overdue = fields.Boolean()
    supervised = fields.Boolean()
    period = PeriodField(metadata={"description": "created in: 2026-11, 2026-W47, 2026-Q4 …"})


class EventOut(Schema):
    """A timeline event as staff see it."""

    id = fields.Integer()
    at = fields.DateTime()
    action = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    public = fields.Boolean()
    actor_id = fields.Integer(allow_none=True)
    actor_role = fields.String()
    department_id = fields.Integer(allow_none=True)
    public_text = fields.String(allow_none=True)
    internal_text = fields.String(allow_none=True)
    data = fields.Dict()


class IssueOut(Schema):
    """An issue as staff see it, with every event."""

    id = fields.Integer()
    tracking_no = fields.String()
    check_code = fields.Function(lambda issue: check_code(issue.tracking_no))
    firm_id = fields.Integer()
    firm_name = fields.Function(lambda issue: _firm_name(issue), metadata={
        "description": "the firm's name, so staff who may not read the firm (handlers) know "
                       "whom the issue concerns"})
    visit_id = fields.Integer(allow_none=True)
    org_unit_id = fields.Integer()
    source = fields.String()
    category = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    address = fields.String(allow_none=True)
    attachments = fields.List(fields.Dict())
    urgent = fields.Boolean()
    state = fields.String()
    department_id = fields.Integer(allow_none=True)
    merged_into_id = fields.Integer(allow_none=True)
    response_due_at = fields.DateTime(allow_none=True)
    resolve_due_at = fields.DateTime(allow_none=True)
    accepted_at = fields.DateTime(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    suspended_at = fields.DateTime(allow_none=True)
    overdue = fields.Boolean()
    supervision_level = fields.Integer()
    result_code = fields.String(allow_none=True)
    reply = fields.String(allow_none=True)
    rating = fields.String(allow_none=True)
    rating_comment = fields.String(allow_none=True)
    callback_due = fields.Boolean()
    reopen_count = fields.Integer()
    created_by_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    events = fields.List(fields.Nested(EventOut))


class IssueSummaryOut(Schema):
    """An issue in a list: no events and no staff identities (firm users list theirs too)."""

    # What a list query loads so that dumping a page runs no statement: the firm's name in
    # one statement for the page; not the events (lazy="selectin" on the model) nor the
    # firm's sites and tags, which a summary does not show.
    LOAD = (selectinload(Issue.firm).options(load_only(Firm.name), lazyload("*")),
            lazyload(Issue.events))

    id = fields.Integer()
    tracking_no = fields.String()
    check_code = fields.Function(lambda issue: check_code(issue.tracking_no))
    firm_id = fields.Integer()
    firm_name = fields.Function(lambda issue: _firm_name(issue))
    org_unit_id = fields.Integer()
    source = fields.String()
    category = fields.String()
    title = fields.String()
    urgent = fields.Boolean()
    state = fields.String()
    department_id = fields.Integer(allow_none=True)
    response_due_at = fields.DateTime(allow_none=True)
    resolve_due_at = fields.DateTime(allow_none=True)
    overdue = fields.Boolean()
    supervision_level = fields.Integer()
    rating = fields.String(allow_none=True)
    created_at = fields.DateTime()
