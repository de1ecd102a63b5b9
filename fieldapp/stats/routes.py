"""``/stats``: visit rate (走访率) and the overdue list, as JSON or CSV for spreadsheets."""

import csv
import io
from datetime import date, datetime

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, post_load, validate

from fieldapp import scope
from fieldapp.auth.principal import current_principal, login_required
from fieldapp.projects.schemas import QueryId
from fieldapp.stats.service import GROUPS, overdue, visit_rate
from fieldapp.stats.visit_rate import parse_period

blp = Blueprint("stats", __name__, url_prefix="/api/v1",
                description="Reports: visit rate and overdue visits")

RATE_COLUMNS = (("label", "分组 Group"), ("due", "应走访 Due"), ("met", "已走访 Met"),
                ("pending", "待审核 Pending"), ("open", "进行中 Open"), ("rate", "走访率 Rate"),
                ("visits", "走访次数 Visits"), ("countable", "有效走访 Countable"),
                ("pending_review", "待审走访 Pending review"), ("rejected", "驳回 Rejected"),
                ("flagged_share", "异常占比 Flagged share"),
                ("firms_visited", "走访企业数 Firms visited"),
                ("on_time_share", "及时上传占比 On-time share"))
OVERDUE_COLUMNS = (("user_name", "专员 Person"), ("target_name", "企业/项目 Firm or project"),
                   ("target_kind", "类型 Kind"), ("cadence", "频次 Cadence"),
                   ("slot_start", "周期开始 Slot start"), ("slot_end", "周期结束 Slot end"),
                   ("last_visit_at", "最近有效走访 Last countable visit"),
                   ("days_since_last_visit", "距今天数 Days since"))


class PeriodField(fields.String):
    """``2026-11``, ``2026-W47``, ``2026-Q4`` or ``2026-11-01..2026-11-15``."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_period(super()._deserialize(value, attr, data, **kwargs))
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class RateQuery(Schema):
    """``GET /stats/visit-rate``."""

    period = PeriodField(required=True, metadata={
        "description": "2026-11, 2026-W47, 2026-Q4 or 2026-11-01..2026-11-15 (Asia/Shanghai)"})
    group_by = fields.String(load_default="org_unit", validate=validate.OneOf(GROUPS))
    org_unit_id = QueryId(metadata={"description": "report root (default: the caller's unit)"})
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class OverdueQuery(Schema):
    """``GET /stats/overdue``."""

    as_of = fields.Date(metadata={"description": "default: today (Asia/Shanghai)"})
    org_unit_id = QueryId()
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))

    @post_load
    def _today(self, data, **_kwargs):
        data.setdefault("as_of", scope.today())
        return data


def _plain(value):
    """Dates and times as ISO 8601 (Flask would write HTTP dates)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _csv(rows, columns, filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([title for _, title in columns])
    for row in rows:
        row = _plain(row)
        writer.writerow(["" if row.get(k) is None else row.get(k) for k, _ in columns])
    # A BOM so Excel reads the UTF-8 (Chinese headers) correctly.
    return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


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
        report = visit_rate(current_principal(), args["period"], args["group_by"],
                            args.get("org_unit_id"))
        if args["format"] == "csv":
            return _csv([*report["rows"], report["total"]], RATE_COLUMNS,
                        f"visit-rate-{report['period']['label']}-{args['group_by']}.csv")
        return _plain(report)


@blp.route("/stats/overdue")
class Overdue(MethodView):
    """Who has not been visited."""

    decorators = [login_required()]

    @blp.arguments(OverdueQuery, location="query")
    @blp.response(200)
    def get(self, args):
        """Assignments in force on ``as_of`` whose running slot has no countable visit yet:
        never visited first, then the longest since the last countable visit (by anyone
        assigned). Closed firms are left out. ``format=csv`` for spreadsheets."""
        rows = overdue(current_principal(), args["as_of"], args.get("org_unit_id"))
        if args["format"] == "csv":
            return _csv(rows, OVERDUE_COLUMNS, f"overdue-{args['as_of'].isoformat()}.csv")
        return _plain({"as_of": args["as_of"], "items": rows})
