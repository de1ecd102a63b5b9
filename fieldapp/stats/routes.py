"""``/stats``: visit rate (走访率) and the overdue list, as JSON or CSV for spreadsheets."""

from flask import jsonify
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, post_load, validate

from fieldapp import clock
from fieldapp.auth.principal import current_principal, login_required
from fieldapp.errors import Problem
from fieldapp.extensions import Blueprint
from fieldapp.fields import QueryId, ReportPeriodField
from fieldapp.pagination import PageArgs
from fieldapp.stats.drilldown import SLOT_STATES, slot_list
from fieldapp.stats.export import csv_response, plain, xlsx_response
from fieldapp.stats.overdue import overdue, overdue_count
from fieldapp.stats.service import GROUPS, coverage, trend, visit_rate
from fieldapp.stats.visit_rate import EARLIEST

FORMATS = ("json", "csv", "xlsx")
blp = Blueprint("stats", __name__, url_prefix="/api/v1",
                description="Reports: visit rate and overdue visits")

RATE_COLUMNS = (("label", "分组 Group"), ("due", "应走访 Due"), ("met", "已走访 Met"),
                ("pending", "待审核 Pending"), ("open", "进行中 Open"), ("rate", "走访率 Rate"),
                ("visits", "走访次数 Visits"), ("countable", "有效走访 Countable"),
                ("pending_review", "待审走访 Pending review"), ("rejected", "驳回 Rejected"),
                ("flagged_share", "异常占比 Flagged share"),
                ("firms_visited", "走访企业数 Firms visited"),
                ("on_time_share", "及时上传占比 On-time share"),
                ("firm_confirmed_share", "企业确认占比 Firm-confirmed share"))
GROUP_TITLES = {"org_unit": "按单位 by unit", "team": "按服务队 by team",
                "user": "按人员 by person", "firm_tag": "按企业标签 by firm tag"}
TREND_COLUMNS = (("period", "周期 Period"), ("start", "开始 Start"), ("end", "结束 End"),
                 ("due", "应走访 Due"), ("met", "已走访 Met"), ("pending", "待审核 Pending"),
                 ("rate", "走访率 Rate"))
OVERDUE_COLUMNS = (("user_name", "专员 Person"), ("target_name", "企业/项目 Firm or project"),
                   ("target_kind", "类型 Kind"), ("cadence", "频次 Cadence"),
                   ("slot_start", "周期开始 Slot start"), ("slot_end", "周期结束 Slot end"),
                   ("last_visit_at", "最近有效走访 Last countable visit"),
                   ("days_since_last_visit", "距今天数 Days since"))


def _past_or_today(day):
    """``as_of``: a day from 2000 to today (what was overdue then, or now)."""
    if day < EARLIEST or day > clock.today():
        raise ValidationError(f"Must be between {EARLIEST.isoformat()} and today.")


class RateQuery(Schema):
    """``GET /stats/visit-rate``."""

    period = ReportPeriodField(required=True, metadata={
        "description": "2026-11, 2026-W47, 2026-Q4 or 2026-11-01..2026-11-15 (Asia/Shanghai)"})
    group_by = fields.String(load_default="org_unit", validate=validate.OneOf(GROUPS))
    org_unit_id = QueryId(metadata={"description": "report root (default: the caller's unit)"})
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class OverdueQuery(Schema):
    """``GET /stats/overdue``."""

    as_of = fields.Date(validate=_past_or_today, metadata={
        "description": "default: today (Asia/Shanghai); from 2000 to today"})
    org_unit_id = QueryId()
    team_id = QueryId(metadata={"description": "only the people of this service team"})
    count = fields.Boolean(load_default=False, metadata={
        "description": "true: answer `{as_of, count}` instead of the list, `count` being the "
                       "number of rows the list has for the same arguments (JSON only)"})
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))

    @post_load
    def _today(self, data, **_kwargs):
        data.setdefault("as_of", clock.today())
        return data


@blp.route("/stats/visit-rate")
class VisitRate(MethodView):
    """The visit rate."""

    decorators = [login_required()]

    @blp.arguments(RateQuery, location="query")
    @blp.response(200)
    def get(self, args):
        """Visit rate per group for a period, with the totals (definitions: README, "Visit
        rate").

        Each row: ``due`` slots, ``met`` (a countable visit inside the slot), ``pending`` (only
        visits waiting for review), ``open`` (due slots still running), ``rate`` = met ÷ due,
        and over the visits captured in the period: ``visits``, ``countable``,
        ``pending_review``, ``rejected``, ``flagged_share``, ``firms_visited``,
        ``on_time_share``. ``group_by``: org_unit (units below the root), team, user, firm_tag.
        Managers see their subtree, commissioners and butlers their own assignments.
        ``format=csv`` gives a spreadsheet with Chinese and English headers and a totals row.
        """
        principal, period = current_principal(), args["period"]
        report = visit_rate(principal, period, args["group_by"], args.get("org_unit_id"))
        name = f"visit-rate-{period.label}"
        if args["format"] == "csv":
            return csv_response([*report["rows"], report["total"]], RATE_COLUMNS,
                                f"{name}-{args['group_by']}.csv")
        if args["format"] == "xlsx":
            sheets = []
            for group in GROUPS:  # one sheet per grouping, each with its totals row
                r = report if group == args["group_by"] else visit_rate(
                    principal, period, group, args.get("org_unit_id"))
                sheets.append((GROUP_TITLES[group], RATE_COLUMNS, [*r["rows"], r["total"]]))
            return xlsx_response(sheets, f"{name}.xlsx")
        return plain(report)


class SlotQuery(PageArgs):
    """``GET /stats/visit-rate/slots``."""

    period = ReportPeriodField(required=True)
    group_by = fields.String(load_default="org_unit", validate=validate.OneOf(GROUPS))
    group = fields.String(validate=validate.Length(max=64), metadata={
        "description": "a report row's group value (unit, user or team id, firm tag)"})
    state = fields.String(validate=validate.OneOf(SLOT_STATES))
    org_unit_id = QueryId()


@blp.route("/stats/visit-rate/slots")
class VisitRateSlots(MethodView):
    """Drill-down from a report row to its slots."""

    decorators = [login_required()]

    @blp.arguments(SlotQuery, location="query")
    @blp.response(200)
    def get(self, args):
        """The due slots behind one row of the visit-rate report (``group_by`` and ``group``
        as in the row; every row without ``group``), unmet first, paginated. ``state``:
        met, unmet, pending (only visits waiting for review), open (still running)."""
        return plain(slot_list(current_principal(), args["period"], args["group_by"],
                               args.get("group"), args.get("state"), args.get("org_unit_id"),
                               args))


class TrendQuery(Schema):
    """``GET /stats/visit-rate/trend``."""

    start = ReportPeriodField(required=True, data_key="from", metadata={
        "description": "first period, e.g. 2026-01 (its kind sets the step unless every= is "
                       "given)"})
    end = ReportPeriodField(required=True, data_key="to", metadata={"description": "last period"})
    every = fields.String(load_default="month",
                          validate=validate.OneOf(("week", "month", "quarter")))
    org_unit_id = QueryId()
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))


@blp.route("/stats/visit-rate/trend")
class VisitRateTrend(MethodView):
    """The visit rate over time."""

    decorators = [login_required()]

    @blp.arguments(TrendQuery, location="query")
    @blp.response(200)
    def get(self, args):
        """The totals of the visit-rate report for every week, month or quarter from ``from``
        to ``to`` (at most 60 points), for charts; same scope and definitions."""
        series = trend(current_principal(), args["start"].start, args["end"].end, args["every"],
                       args.get("org_unit_id"))
        if args["format"] == "csv":
            return csv_response(series, TREND_COLUMNS, "visit-rate-trend.csv")
        if args["format"] == "xlsx":
            return xlsx_response([("趋势 trend", TREND_COLUMNS, series)],
                                 "visit-rate-trend.xlsx")
        return plain({"every": args["every"], "series": series})


@blp.route("/stats/coverage.geojson")
class Coverage(MethodView):
    """Coverage map."""

    decorators = [login_required()]

    @blp.arguments(RateQuery, location="query")
    @blp.response(200, content_type="application/geo+json")
    def get(self, args):
        """Firms with slots due in the period as GeoJSON points (first active site, WGS-84)
        with ``due``, ``met``, ``pending``, ``open`` (slots still running) and ``last_visit``
        properties, for a map coloured by coverage. At most ``FIELDAPP_COVERAGE_MAX_FIRMS``
        firms (default 100,000): a scope with more due is a 422 on ``org_unit_id`` asking for
        a smaller unit."""
        body = coverage(current_principal(), args["period"], args.get("org_unit_id"))
        resp = jsonify(plain(body))
        resp.mimetype = "application/geo+json"
        return resp


@blp.route("/stats/overdue")
class Overdue(MethodView):
    """Who has not been visited."""

    decorators = [login_required()]

    @blp.arguments(OverdueQuery, location="query")
    @blp.response(200)
    def get(self, args):
        """Assignments in force on ``as_of`` whose running slot has no countable visit yet:
        never visited first, then the longest since the last countable visit (by anyone
        assigned). Closed firms are left out. ``org_unit_id`` narrows to a subtree, ``team_id``
        to one service team. ``format=csv`` for spreadsheets.

        ``count=true`` answers ``{"as_of": day, "count": n}`` instead, ``n`` the length of the
        list for the same ``as_of``, ``org_unit_id`` and ``team_id``, counted without reading
        the rows (what the console's overview shows)."""
        if args["count"]:
            if args["format"] != "json":
                raise Problem.invalid("format", "count=true answers JSON only.")
            return plain({"as_of": args["as_of"], "count": overdue_count(
                current_principal(), args["as_of"], args.get("org_unit_id"),
                args.get("team_id"))})
        rows = overdue(current_principal(), args["as_of"], args.get("org_unit_id"),
                       args.get("team_id"))
        name = f"overdue-{args['as_of'].isoformat()}"
        if args["format"] == "csv":
            return csv_response(rows, OVERDUE_COLUMNS, f"{name}.csv")
        if args["format"] == "xlsx":
            return xlsx_response([("待走访 overdue", OVERDUE_COLUMNS, rows)], f"{name}.xlsx")
        return plain({"as_of": args["as_of"], "items": rows})
