"""Visit-rate reports and the overdue list, in the caller's scope.

Scope: managers and admins report on the assignments of their org-unit subtree (narrowed by
``org_unit_id``); commissioners and butlers get their own assignments only; other roles get 403.

Row measures besides the slot counts (see ``fieldapp.stats.visit_rate``), over the visits
captured in the period that fall in the row:

- ``visits``: filed; ``countable``: accepted or approved; ``pending_review``; ``rejected``;
- ``flagged_share``: share of filed visits with at least one flag;
- ``firms_visited``: distinct firms with a countable visit;
- ``on_time_share``: share of filed visits uploaded within 24 hours of their capture.

Grouping: ``org_unit`` (the units directly below the report's root unit; a slot of the root
itself is its own row), ``team`` (the assignee's service team), ``user``, ``firm_tag`` (a firm
with two tags counts in both rows, so rows may add up to more than the total; untagged firms
form the ``untagged`` row; projects the ``project`` row).
"""

from collections import defaultdict
from datetime import date, timedelta

from geoalchemy2.shape import to_shape
from sqlalchemy import func, select

from fieldapp import scope
from fieldapp.assignments.periods import current_slot, local_midnight, slots_overlapping
from fieldapp.auth.principal import Principal
from fieldapp.errors import Problem
from fieldapp.extensions import db
from fieldapp.stats.visit_rate import Period, due_slots, judge
from models import (
    COUNTABLE_STATUSES,
    Assignment,
    Firm,
    FirmTag,
    OrgUnit,
    Project,
    ServiceTeam,
    User,
    Visit,
    utcnow,
)

GROUPS = ("org_unit", "team", "user", "firm_tag")
TIMELY = timedelta(hours=24)


def _invalid(field: str, message: str) -> Problem:
    return Problem(422, "The request has invalid fields.", slug="validation",
                   errors={field: [message]})


def _root(principal: Principal, org_unit_id: int | None) -> OrgUnit:
    if not principal.has("admin", "manager", "commissioner", "butler"):
        raise scope.forbidden("Reports are for managers, commissioners and butlers.")
    if org_unit_id is None:
        return db.session.get(OrgUnit, principal.org_unit_id)
    if not scope.is_visible(OrgUnit, org_unit_id, principal):
        raise _invalid("org_unit_id", "No such org unit in your scope.")
    return db.session.get(OrgUnit, org_unit_id)


def _subtree(root: OrgUnit):
    return select(OrgUnit.id).where(scope.in_subtree(root.path))


class Grouper:
    """Keys and labels of one grouping for slots and visits."""

    def __init__(self, group_by: str, root: OrgUnit):
        self.group_by, self.root = group_by, root
        self.labels: dict = {}
        self._units = {u.id: u for u in db.session.scalars(
            select(OrgUnit).where(scope.in_subtree(root.path)))}
        self._users: dict[int, User] = {}
        self._tags: dict[int, list[str]] = {}

    def prepare(self, user_ids, firm_ids) -> None:
        """Load the users and firm tags the keys need, in two queries."""
        if user_ids:
            self._users = {u.id: u for u in db.session.scalars(
                select(User).where(User.id.in_(set(user_ids))))}
        if self.group_by == "firm_tag" and firm_ids:
            tags = defaultdict(list)
            for firm_id, tag in db.session.execute(select(FirmTag.firm_id, FirmTag.tag).where(
                    FirmTag.firm_id.in_(set(firm_ids)))):
                tags[firm_id].append(tag)
            self._tags = tags
        if self.group_by == "team":
            teams = {t.id: t.name for t in db.session.scalars(select(ServiceTeam))}
            self.labels.update({("team", k): v for k, v in teams.items()})

    def keys(self, user_id: int, unit_id: int, firm_id: int | None) -> list:
        """The row keys a slot or visit with these attributes counts in."""
        if self.group_by == "user":
            user = self._users.get(user_id)
            self.labels[("user", user_id)] = user.display_name if user else str(user_id)
            return [("user", user_id)]
        if self.group_by == "team":
            user = self._users.get(user_id)
            team = user.service_team_id if user else None
            self.labels.setdefault(("team", team), "无服务队 no team")
            return [("team", team)]
        if self.group_by == "firm_tag":
            if firm_id is None:
                return [("firm_tag", "project")]
            return [("firm_tag", t) for t in self._tags.get(firm_id, ["untagged"])]
        unit = self._units.get(unit_id)
        if unit is None:
            return []
        rest = unit.path[len(self.root.path):].strip("/")
        child = int(rest.split("/")[0]) if rest else self.root.id
        self.labels[("org_unit", child)] = self._units[child].name
        return [("org_unit", child)]


def _empty() -> dict:
    return {"due": 0, "met": 0, "pending": 0, "open": 0, "visits": 0, "countable": 0,
            "pending_review": 0, "rejected": 0, "flagged": 0, "timely": 0, "firms": set()}


def _finish(row: dict) -> dict:
    visits = row["visits"]
    return {
        "due": row["due"], "met": row["met"], "pending": row["pending"], "open": row["open"],
        "rate": round(row["met"] / row["due"], 4) if row["due"] else None,
        "visits": visits, "countable": row["countable"],
        "pending_review": row["pending_review"], "rejected": row["rejected"],
        "flagged_share": round(row["flagged"] / visits, 4) if visits else None,
        "firms_visited": len(row["firms"]),
        "on_time_share": round(row["timely"] / visits, 4) if visits else None,
    }


def visit_rate(principal: Principal, period: Period, group_by: str,
               org_unit_id: int | None = None) -> dict:
    """The visit-rate report: one row per group and the totals."""
    root = _root(principal, org_unit_id)
    assignments = scope.scoped(Assignment, principal).where(
        Assignment.org_unit_id.in_(_subtree(root)))
    slots = due_slots(assignments, period)
    judge(slots)
    visits = db.session.execute(
        select(Visit.user_id, Visit.org_unit_id, Visit.firm_id, Visit.status, Visit.flags,
               Visit.captured_at, Visit.received_at)
        .where(scope.visible(Visit, principal), Visit.org_unit_id.in_(_subtree(root)),
               Visit.captured_at >= period.starts_at, Visit.captured_at < period.ends_at)).all()
    grouper = Grouper(group_by, root)
    grouper.prepare([s.assignment.user_id for s in slots] + [v.user_id for v in visits],
                    [s.assignment.firm_id for s in slots if s.assignment.firm_id] +
                    [v.firm_id for v in visits if v.firm_id])
    rows, total = defaultdict(_empty), _empty()
    today = scope.today()
    for s in slots:
        a = s.assignment
        for bucket in [*(rows[k] for k in grouper.keys(a.user_id, a.org_unit_id, a.firm_id)),
                       total]:
            bucket["due"] += 1
            bucket["met"] += s.met
            bucket["pending"] += s.pending
            bucket["open"] += s.is_open(today)
    for v in visits:
        for bucket in [*(rows[k] for k in grouper.keys(v.user_id, v.org_unit_id, v.firm_id)),
                       total]:
            bucket["visits"] += 1
            bucket["countable"] += v.status in COUNTABLE_STATUSES
            bucket["pending_review"] += v.status == "needs_review"
            bucket["rejected"] += v.status == "rejected"
            bucket["flagged"] += bool(v.flags)
            bucket["timely"] += v.received_at - v.captured_at <= TIMELY
            if v.status in COUNTABLE_STATUSES and v.firm_id is not None:
                bucket["firms"].add(v.firm_id)
    out = [{"group": key[1], "label": grouper.labels.get(key, str(key[1])), **_finish(row)}
           for key, row in rows.items()]
    out.sort(key=lambda r: (r["rate"] is None, r["rate"] if r["rate"] is not None else 0,
                            str(r["label"])))
    return {"period": {"label": period.label, "start": period.start, "end": period.end},
            "group_by": group_by, "org_unit_id": root.id, "rows": out,
            "total": {"group": None, "label": "合计 total", **_finish(total)}}


def overdue(principal: Principal, as_of: date, org_unit_id: int | None = None) -> list[dict]:
    """Assignments in force on ``as_of`` whose slot running then has no countable visit yet
    (by anyone assigned), never-visited first, then the longest since the last countable visit.
    Closed firms are left out."""
    root = _root(principal, org_unit_id)
    rows = db.session.scalars(scope.scoped(Assignment, principal).where(
        Assignment.org_unit_id.in_(_subtree(root)), Assignment.starts_on <= as_of,
        Assignment.ends_on.is_(None) | (Assignment.ends_on >= as_of))).all()
    firms = {f.id: f for f in db.session.scalars(select(Firm).where(
        Firm.id.in_({a.firm_id for a in rows if a.firm_id})))} if rows else {}
    projects = {p.id: p for p in db.session.scalars(select(Project).where(
        Project.id.in_({a.project_id for a in rows if a.project_id})))} if rows else {}
    users = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_({a.user_id for a in rows})))} if rows else {}
    moment = min(local_midnight(as_of + timedelta(days=1)), utcnow()) - timedelta(microseconds=1)
    last = {**_last_visits(Visit.firm_id, firms), **_last_visits(Visit.project_id, projects)}
    out = []
    for a in rows:
        target = firms.get(a.firm_id) if a.firm_id else projects.get(a.project_id)
        if a.firm_id and target.status == "closed":
            continue
        entered = target.stage_entered_at if a.cadence == "per_stage" else None
        slot = current_slot(a.cadence, moment if entered is None else max(moment, entered),
                            stage_entered_at=entered)
        visited = last.get(("firm" if a.firm_id else "project", target.id))
        if visited is not None and slot.contains(visited):
            continue
        user = users[a.user_id]
        days = None if visited is None else (as_of - visited.astimezone(
            scope.LOCAL_TZ).date()).days
        out.append({
            "assignment_id": a.id, "user_id": a.user_id, "user_name": user.display_name,
            "target_kind": "firm" if a.firm_id else "project", "target_id": target.id,
            "target_name": target.name, "org_unit_id": a.org_unit_id, "cadence": a.cadence,
            "slot_start": slot.start, "slot_end": slot.end, "last_visit_at": visited,
            "days_since_last_visit": days})
    out.sort(key=lambda r: (r["days_since_last_visit"] is not None,
                            -(r["days_since_last_visit"] or 0), r["target_name"]))
    return out


def _last_visits(column, targets: dict) -> dict:
    """``{(kind, id): time}`` of each target's last countable visit, whoever filed it."""
    if not targets:
        return {}
    kind = "firm" if column is Visit.firm_id else "project"
    return {(kind, target): at for target, at in db.session.execute(
        select(column, func.max(Visit.captured_at)).where(
            column.in_(list(targets)), Visit.status.in_(COUNTABLE_STATUSES))
        .group_by(column))}


TREND_MAX_POINTS = 60


def _periods(first: date, last: date, every: str):
    """Calendar periods of kind ``every`` from the one holding ``first`` to ``last``."""
    cadence = {"week": "weekly", "month": "monthly", "quarter": "quarterly"}[every]
    for slot in slots_overlapping(cadence, first, last):
        start, end = slot.start, slot.end
        if every == "week":
            year, week, _ = start.isocalendar()
            label = f"{year}-W{week:02d}"
        elif every == "month":
            label = f"{start.year}-{start.month:02d}"
        else:
            label = f"{start.year}-Q{(start.month - 1) // 3 + 1}"
        yield Period(label, start, end)


def trend(principal: Principal, first: date, last: date, every: str,
          org_unit_id: int | None = None) -> list[dict]:
    """The report's totals for each period from ``first`` to ``last``."""
    if last < first:
        raise _invalid("to", "Must not be before from.")
    periods = list(_periods(first, last, every))
    if len(periods) > TREND_MAX_POINTS:
        raise _invalid("to", f"At most {TREND_MAX_POINTS} points; choose a coarser step.")
    root = _root(principal, org_unit_id)
    assignments = scope.scoped(Assignment, principal).where(
        Assignment.org_unit_id.in_(_subtree(root)))
    series = []
    for period in periods:
        slots = due_slots(assignments, period)
        judge(slots)
        due, met = len(slots), sum(s.met for s in slots)
        series.append({"period": period.label, "start": period.start, "end": period.end,
                       "due": due, "met": met, "pending": sum(s.pending for s in slots),
                       "rate": round(met / due, 4) if due else None})
    return series


def coverage(principal: Principal, period: Period, org_unit_id: int | None = None) -> dict:
    """Firms with slots due in ``period`` as a FeatureCollection with their coverage."""
    root = _root(principal, org_unit_id)
    slots = due_slots(scope.scoped(Assignment, principal).where(
        Assignment.org_unit_id.in_(_subtree(root)), Assignment.firm_id.is_not(None)), period)
    judge(slots)
    per_firm: dict[int, dict] = {}
    for s in slots:
        row = per_firm.setdefault(s.assignment.firm_id, {"due": 0, "met": 0, "pending": 0,
                                                          "last_visit": None})
        row["due"] += 1
        row["met"] += s.met
        row["pending"] += s.pending
        if s.last_visit_at and (row["last_visit"] is None or s.last_visit_at > row["last_visit"]):
            row["last_visit"] = s.last_visit_at
    firms = db.session.scalars(select(Firm).where(Firm.id.in_(list(per_firm)))).all() \
        if per_firm else []
    features = []
    for firm in sorted(firms, key=lambda f: f.id):
        sites = firm.active_sites or firm.sites
        point = to_shape(sites[0].point) if sites else None
        features.append({
            "type": "Feature", "id": firm.id,
            "geometry": None if point is None else {
                "type": "Point", "coordinates": [round(point.x, 7), round(point.y, 7)]},
            "properties": {"id": firm.id, "name": firm.name, "org_unit_id": firm.org_unit_id,
                           **per_firm[firm.id]}})
    return {"type": "FeatureCollection", "period": period.label, "features": features}
