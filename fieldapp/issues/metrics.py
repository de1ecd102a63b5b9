"""Issue metrics per department, category or org unit (``GET /stats/issues``).

For admins and managers. Over the issues **submitted in the period** and in the caller's scope
(managers their subtree), counted where they stand now:

- ``submitted``: issues raised;
- ``accepted``: issues accepted (受理) — ``accepted_at`` set;
- ``resolved``: issues with a resolution (``resolved_at`` set, or closed after one);
- ``resolution_rate`` = resolved ÷ accepted;
- ``on_time_resolution_rate`` = resolved with ``resolved_at`` ≤ resolution deadline ÷ resolved
  with a known resolution deadline;
- ``responded``: accepted, rejected or merged (the first answer the firm gets);
- ``on_time_response_rate`` = responded by the response deadline ÷ responded with a known
  response deadline (the response time is ``accepted_at``, or for rejected and merged issues
  the moment they were closed);
- ``rated``, ``satisfaction_rate`` = rated 非常满意 or 满意 ÷ rated;
- ``avg_handling_days``, ``p90_handling_days``: working days (China's calendar, suspensions
  included) from acceptance to resolution, over resolved issues; p90 is the nearest-rank 90th
  percentile;
- ``reopen_rate`` = issues reopened at least once ÷ issues resolved at least once (resolved
  now, or reopened — a reopen clears the resolution);
- ``overdue``: issues flagged overdue now.

A deadline is unknown while the calendar lacks its year (``flask issues tick`` fills it once an
admin enters the year); such an issue is neither on time nor late, so it is left out of both
sides of the on-time rates. Rates are null when their denominator is 0. Grouping:
``department`` (the department holding the issue now; never dispatched → ``未分派``),
``category``, ``org_unit`` (the units directly below the report's root, as in the visit-rate
report).
"""

import math
from collections import defaultdict

from sqlalchemy import select

from fieldapp import scope
from fieldapp.auth.principal import Principal
from fieldapp.errors import Problem
from fieldapp.extensions import db
from fieldapp.issues.service import calendar
from fieldapp.issues.workdays import CalendarGap
from fieldapp.stats.service import report_root
from fieldapp.stats.visit_rate import Period
from models import GOOD_RATINGS, Department, Issue, IssueCategory, OrgUnit

GROUPS = ("department", "category", "org_unit")


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)], 2)


def _measures(issues: list[Issue]) -> dict:
    cal = calendar()
    accepted = [i for i in issues if i.accepted_at is not None]
    resolved = [i for i in issues if i.resolved_at is not None]
    responded, response_known, on_time_response = 0, 0, 0
    for i in issues:
        answer = i.accepted_at or (i.closed_at if i.state in ("rejected", "merged") else None)
        if answer is not None:
            responded += 1
            if i.response_due_at is not None:
                response_known += 1
                on_time_response += answer <= i.response_due_at
    handling = []
    for i in resolved:
        try:
            handling.append(cal.working_days(i.accepted_at or i.created_at, i.resolved_at))
        except CalendarGap as gap:
            raise Problem(409, str(gap), slug="calendar-gap") from None
    rated = [i for i in issues if i.rating is not None]
    resolution_known = [i for i in resolved if i.resolve_due_at is not None]
    return {
        "submitted": len(issues), "accepted": len(accepted), "resolved": len(resolved),
        "resolution_rate": _rate(len(resolved), len(accepted)),
        "on_time_resolution_rate": _rate(sum(
            i.resolved_at <= i.resolve_due_at for i in resolution_known), len(resolution_known)),
        "responded": responded,
        "on_time_response_rate": _rate(on_time_response, response_known),
        "rated": len(rated),
        "satisfaction_rate": _rate(sum(i.rating in GOOD_RATINGS for i in rated), len(rated)),
        "avg_handling_days": round(sum(handling) / len(handling), 2) if handling else None,
        "p90_handling_days": _p90(handling),
        "reopen_rate": _rate(sum(i.reopen_count > 0 for i in issues), sum(
            i.resolved_at is not None or i.reopen_count > 0 for i in issues)),
        "overdue": sum(i.overdue for i in issues),
    }


def issue_metrics(principal: Principal, period: Period, group_by: str,
                  org_unit_id: int | None = None) -> dict:
    """The metrics per group and in total."""
    # Department and unit performance is for those who run the loop; commissioners and butlers
    # see their firms' issues one by one.
    if not principal.has("admin", "manager"):
        raise scope.forbidden("Issue metrics are for admins and managers.")
    root = report_root(principal, org_unit_id)
    units = {u.id: u for u in db.session.scalars(select(OrgUnit).where(
        scope.in_subtree(root.path)))}
    issues = db.session.scalars(scope.scoped(Issue, principal).where(
        Issue.org_unit_id.in_(list(units)), Issue.created_at >= period.starts_at,
        Issue.created_at < period.ends_at)).all()
    groups: dict = defaultdict(list)
    labels: dict = {}
    if group_by == "department":
        names = {d.id: d.name for d in db.session.scalars(select(Department).where(
            Department.id.in_({i.department_id for i in issues} - {None})))}
        for i in issues:
            groups[i.department_id].append(i)
            labels[i.department_id] = names.get(i.department_id, "未分派 not dispatched")
    elif group_by == "category":
        names = {c.code: c.name for c in db.session.scalars(select(IssueCategory))}
        for i in issues:
            groups[i.category].append(i)
            labels[i.category] = names.get(i.category, i.category)
    else:
        for i in issues:
            rest = units[i.org_unit_id].path[len(root.path):].strip("/")
            child = int(rest.split("/")[0]) if rest else root.id
            groups[child].append(i)
            labels[child] = units[child].name
    rows = [{"group": key, "label": labels[key], **_measures(members)}
            for key, members in groups.items()]
    rows.sort(key=lambda r: (-r["submitted"], str(r["label"])))
    return {"period": {"label": period.label, "start": period.start, "end": period.end},
            "group_by": group_by, "org_unit_id": root.id, "rows": rows,
            "total": {"group": None, "label": "合计 total", **_measures(issues)}}
