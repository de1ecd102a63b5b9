"""``/issues`` (诉求): raising, acting on, listing; ``/track`` for firms; ``/calendar`` for
admins."""

from datetime import date

from flask import current_app, g, request, send_file
from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from fieldapp import scope
from fieldapp.auth.principal import current_principal, login_required
from fieldapp.errors import Problem
from fieldapp.extensions import Blueprint, db, limiter
from fieldapp.fields import PeriodField, QueryId
from fieldapp.issues import lifecycle
from fieldapp.issues.actions import act
from fieldapp.issues.attachments import add_attachment, attachment_of, file_path
from fieldapp.issues.checkcode import check_code
from fieldapp.issues.metrics import GROUPS as METRIC_GROUPS
from fieldapp.issues.metrics import issue_metrics
from fieldapp.issues.schemas import (
    IssueAction,
    IssueCreate,
    IssueOut,
    IssueQuery,
    IssueSummaryOut,
)
from fieldapp.issues.service import (
    calendar,
    create_issue,
    issue_query,
    parties_of,
    suggested_departments,
)
from fieldapp.issues.timeline import timeline, track, track_public
from fieldapp.issues.workdays import CalendarGap
from fieldapp.pagination import PageArgs, page_of, paginate
from fieldapp.stats.export import csv_response, plain, xlsx_response
from models import CalendarDay, CalendarYear, Issue

blp = Blueprint("issues", __name__, url_prefix="/api/v1",
                description="Issues (诉求): the closed loop from submission to rating")


class IssueListQuery(IssueQuery, PageArgs):
    """Filters and paging."""


def _staff_view(issue: Issue) -> dict:
    body = IssueOut().dump(issue)
    principal = current_principal()
    body["allowed_actions"] = lifecycle.allowed(parties_of(principal, issue), issue.state)
    body["suggested_department_ids"] = suggested_departments(issue)
    return body


def _view(issue: Issue) -> dict:
    """Firm users get the public timeline only; staff the whole issue."""
    principal = current_principal()
    if principal.has("firm") and not principal.has("admin", "manager", "commissioner",
                                                   "butler", "handler"):
        body = plain(timeline(issue))
        body["id"] = issue.id
        body["check_code"] = check_code(issue.tracking_no)
        body["attachments"] = issue.attachments
        body["allowed_actions"] = lifecycle.allowed(parties_of(principal, issue), issue.state)
        return body
    return _staff_view(issue)


@blp.route("/issues")
class Issues(MethodView):
    """Issues in the caller's scope."""

    decorators = [login_required()]

    @blp.arguments(IssueListQuery, location="query")
    @blp.response(200, page_of(IssueSummaryOut))
    def get(self, args):
        """List issues: managers their subtree, handlers their department's, commissioners
        and butlers their firms', firm users their own. Filters: state, department, category,
        firm, org unit (subtree), overdue, supervised, period (created in)."""
        return paginate(issue_query(current_principal(), args).options(*IssueSummaryOut.LOAD),
                        args,
                        order_by=[Issue.created_at.desc(), Issue.id.desc()])

    @blp.arguments(IssueCreate, example=IssueCreate.EXAMPLE)
    @blp.response(201)
    def post(self, data):
        """Raise an issue for a firm (managers, commissioners and butlers in scope; a firm
        user for their own firm). It gets a tracking number and a response deadline."""
        return _view(create_issue(current_principal(), data))


@blp.route("/issues/<int:issue_id>")
class IssueItem(MethodView):
    """One issue."""

    decorators = [login_required()]

    @blp.response(200)
    def get(self, issue_id):
        """The issue with its events and the actions the caller may take now (firm users: the
        public timeline)."""
        return _view(scope.get_visible(Issue, issue_id, current_principal()))


@blp.route("/issues/<int:issue_id>/actions")
class IssueActions(MethodView):
    """Transitions."""

    decorators = [login_required()]

    @blp.arguments(IssueAction)
    @blp.response(200)
    def post(self, data, issue_id):
        """Take one action: accept, reject (public reason), merge (into_id), dispatch
        (department_id), return (退单, reason), sign, request_suspension, suspend (public
        reason), resume, resolve (reply, result_code), rate (rating, comment), confirm, reopen
        (reason, within the window), close, callback (回访 note), supervise (level 1–2).
        A role that may never take the action: 403; a state it cannot be taken from: 409; both
        list ``allowed_actions``."""
        return _view(act(current_principal(), issue_id, data))


@blp.route("/issues/<int:issue_id>/attachments")
class IssueAttachments(MethodView):
    """Files attached to an issue."""

    decorators = [login_required()]

    @blp.response(201)
    @blp.doc(requestBody={"content": {"multipart/form-data": {"schema": {
        "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}}})
    def post(self, issue_id):
        """Attach a photo (JPEG, PNG, HEIC) or a PDF, multipart field ``file``; the type is read
        from the bytes (else 415), images must decode (422), at most
        ``FIELDAPP_PHOTO_MAX_BYTES`` (413) and ``FIELDAPP_ISSUE_MAX_ATTACHMENTS`` per issue
        (422). The firm's users and whoever raised the issue; the same file again: 200."""
        upload = request.files.get("file")
        attachment, created = add_attachment(current_principal(), issue_id,
                                             upload.filename if upload else None)
        return attachment, 201 if created else 200


@blp.route("/issues/<int:issue_id>/attachments/<string(length=64):sha256>/file")
class IssueAttachmentFile(MethodView):
    """An attachment's bytes."""

    decorators = [login_required()]

    @blp.response(200, content_type="application/octet-stream")
    def get(self, issue_id, sha256):
        """The file as uploaded, with its type (anyone who sees the issue)."""
        found = attachment_of(current_principal(), issue_id, sha256)
        return send_file(file_path(found["sha256"], found["content_type"]),
                         mimetype=found["content_type"], max_age=86400,
                         download_name=found["name"])


@blp.route("/issues/<int:issue_id>/timeline")
class IssueTimeline(MethodView):
    """What the firm sees."""

    decorators = [login_required()]

    @blp.response(200)
    def get(self, issue_id):
        """The public timeline with firm-facing labels, the department responsible now, the
        deadline and the next step; never internal texts or staff identities."""
        return plain(timeline(scope.get_visible(Issue, issue_id, current_principal())))


@blp.route("/track/<string(maxlength=32):tracking_no>")
class Track(MethodView):
    """Parcel-style tracking by number."""

    decorators = [login_required()]

    @blp.response(200)
    def get(self, tracking_no):
        """The public timeline of the issue with this tracking number (404 for a number the
        caller may not see, another firm's included)."""
        return plain(track(current_principal(), tracking_no))


class PublicTrackIn(Schema):
    """``POST /track``: what the firm types."""

    # A malformed code is just a wrong code (the neutral 404): it is only compared with an HMAC,
    # never sent to the database. The number keeps the shared control-character rule (422).
    CONTROL_CHARACTERS_ALLOWED = ("check_code",)

    tracking_no = fields.String(required=True, validate=validate.Length(1, 32))
    check_code = fields.String(required=True, validate=validate.Length(1, 16))


@blp.route("/track", methods=["POST"])
@limiter.shared_limit(lambda: current_app.config["TRACK_FAILURES_PER_ADDRESS"],
                      deduct_when=lambda response: response.status_code == 404,
                      scope="track-address")
@blp.arguments(PublicTrackIn)
@blp.response(200)
def track_without_account(data):
    """Follow an issue without an account: its tracking number and check code (查询码) give
    the public timeline. A wrong number, a wrong code or another firm's number all answer the
    same 404. Failed look-ups are limited per client address (``TRACK_FAILURES_PER_ADDRESS``);
    past the limit every look-up from that address answers 429 with Retry-After."""
    return plain(track_public(data["tracking_no"], data["check_code"]))


class MetricsQuery(Schema):
    """``GET /stats/issues``."""

    period = PeriodField(required=True)
    group_by = fields.String(load_default="department", validate=validate.OneOf(METRIC_GROUPS))
    org_unit_id = QueryId()
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv", "xlsx")))


METRIC_COLUMNS = (
    ("label", "分组 Group"), ("submitted", "诉求数 Submitted"), ("accepted", "受理数 Accepted"),
    ("resolved", "办结数 Resolved"), ("resolution_rate", "办结率 Resolution rate"),
    ("on_time_resolution_rate", "按期办结率 On-time resolution"),
    ("responded", "已响应 Responded"), ("on_time_response_rate", "按期响应率 On-time response"),
    ("rated", "评价数 Rated"), ("satisfaction_rate", "满意率 Satisfaction rate"),
    ("avg_handling_days", "平均办理工作日 Avg handling days"),
    ("p90_handling_days", "P90办理工作日 P90 handling days"),
    ("reopen_rate", "重办率 Reopen rate"), ("overdue", "超期数 Overdue"))
METRIC_TITLES = {"department": "按部门 by department", "category": "按类别 by category",
                 "org_unit": "按单位 by unit"}


@blp.route("/stats/issues")
class IssueMetrics(MethodView):
    """Issue metrics."""

    decorators = [login_required()]

    @blp.arguments(MetricsQuery, location="query")
    @blp.response(200)
    def get(self, args):
        """Acceptance, resolution, on-time resolution and response, satisfaction, handling
        time in working days (average, p90), reopen rate and overdue count per department,
        category or unit for issues submitted in the period (formulas: README, "Issue
        metrics"). ``format=csv|xlsx`` for spreadsheets (XLSX: a sheet per grouping)."""
        principal, period = current_principal(), args["period"]
        report = issue_metrics(principal, period, args["group_by"], args.get("org_unit_id"))
        name = f"issues-{period.label}"
        if args["format"] == "csv":
            return csv_response([*report["rows"], report["total"]], METRIC_COLUMNS,
                                f"{name}-{args['group_by']}.csv")
        if args["format"] == "xlsx":
            sheets = []
            for group in METRIC_GROUPS:
                r = report if group == args["group_by"] else issue_metrics(
                    principal, period, group, args.get("org_unit_id"))
                sheets.append((METRIC_TITLES[group], METRIC_COLUMNS, [*r["rows"], r["total"]]))
            return xlsx_response(sheets, f"{name}.xlsx")
        return plain(report)


# The years the calendar serves, read and written alike.
CALENDAR_YEARS = (2000, 2100)


def _outside_calendar(field: str) -> Problem:
    low, high = CALENDAR_YEARS
    return Problem.invalid(field, f"The calendar covers the years {low} to {high}.")


class CalendarQuery(Schema):
    """``GET /calendar``."""

    year = fields.Integer(required=True, validate=validate.Range(*CALENDAR_YEARS))


class CalendarDayIn(Schema):
    """``PUT /calendar/days/{day}``."""

    workday = fields.Boolean(required=True)
    note = fields.String(validate=validate.Length(max=100))


class CalendarYearIn(Schema):
    """``PUT /calendar/years/{year}``."""

    note = fields.String(validate=validate.Length(max=100))


def _require_admin() -> None:
    if not current_principal().has("admin"):
        raise scope.forbidden("Only admins change the working-day calendar.")


@blp.route("/calendar")
class Calendar(MethodView):
    """The working-day calendar admins extend."""

    decorators = [login_required()]

    @blp.arguments(CalendarQuery, location="query")
    @blp.response(200)
    def get(self, args):
        """A year's days entered by admins, and whether the year is known (to the package or
        declared by an admin)."""
        year = args["year"]
        try:
            calendar().is_workday(date(year, 6, 1))
            known = True
        except CalendarGap:
            known = False
        days = db.session.scalars(select(CalendarDay).where(
            CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
            .order_by(CalendarDay.day)).all()
        return {"year": year, "known": known,
                "declared": db.session.get(CalendarYear, year) is not None,
                "days": [{"day": d.day.isoformat(), "workday": d.workday, "note": d.note}
                         for d in days]}


@blp.route("/calendar/days/<string(length=10):day>")
class CalendarDayItem(MethodView):
    """One day an admin enters."""

    decorators = [login_required()]

    @blp.arguments(CalendarDayIn)
    @blp.response(200)
    def put(self, data, day):
        """Enter a day off (holiday) or a make-up working day (调休)."""
        _require_admin()
        try:
            when = date.fromisoformat(day)
        except ValueError:
            raise Problem.invalid("day", "Expected YYYY-MM-DD.") from None
        if not CALENDAR_YEARS[0] <= when.year <= CALENDAR_YEARS[1]:
            raise _outside_calendar("day")
        row = db.session.get(CalendarDay, when) or CalendarDay(day=when)
        row.workday, row.note = data["workday"], data.get("note")
        db.session.add(row)
        db.session.commit()
        g.pop("work_calendar", None)
        return {"day": when.isoformat(), "workday": row.workday, "note": row.note}


@blp.route("/calendar/years/<int:year>")
class CalendarYearItem(MethodView):
    """A year admins have entered in full."""

    decorators = [login_required()]

    @blp.arguments(CalendarYearIn)
    @blp.response(200)
    def put(self, data, year):
        """Declare the year's arrangement entered: its other days follow Monday–Friday."""
        _require_admin()
        if not CALENDAR_YEARS[0] <= year <= CALENDAR_YEARS[1]:
            raise _outside_calendar("year")
        row = db.session.get(CalendarYear, year) or CalendarYear(year=year)
        row.note = data.get("note")
        db.session.add(row)
        db.session.commit()
        g.pop("work_calendar", None)
        return {"year": year, "note": row.note}
