"""Visit-rate reports, trends and coverage, in the caller's scope (the slots
behind a report row: ``stats.drilldown``; the overdue list: ``stats.overdue``).

Scope: managers and admins report on the assignments of their org-unit subtree (narrowed by
``org_unit_id``); commissioners and butlers get their own assignments only; other roles get 403.

Row measures besides the slot counts (see ``fieldapp.stats.visit_rate``), over the visits
captured in the period that fall in the row:

- ``visits``: filed; ``countable``: accepted or approved; ``pending_review``; ``rejected``;
- ``flagged_share``: share of filed visits with at least one flag;
- ``firms_visited``: distinct firms with a countable visit;
- ``on_time_share``: share of filed visits uploaded within 24 hours of their capture;
- ``firm_confirmed`` / ``firm_confirmed_share``: filed visits the firm itself confirmed (a
  confirmation matched to the visit: same person, firm and day), and their share of filed.

Grouping: ``org_unit`` (the units directly below the report's root unit; a slot of the root
itself is its own row), ``team`` (the assignee's service team), ``user``, ``firm_tag`` (a firm
with two tags counts in both rows, so rows may add up to more than the total; untagged firms
form the ``untagged`` row; projects the ``project`` row).
"""

from collections import defaultdict
from datetime import date, timedelta

from flask import current_app
from geoalchemy2.shape import to_shape
from sqlalchemy import Integer, case, cast, func, literal_column, select

from fieldapp import clock, scope
from fieldapp.assignments.periods import slots_overlapping
from fieldapp.auth.principal import Principal
from fieldapp.errors import Problem
from fieldapp.extensions import db
from fieldapp.stats import slots
from fieldapp.stats.visit_rate import Period
from models import (
    COUNTABLE_STATUSES,
    Firm,
    FirmConfirmation,
    FirmTag,
    OrgUnit,
    ServiceTeam,
    Site,
    User,
    Visit,
    VisitSlot,
    VisitSlotTotal,
)
from models.dialect import seconds_between

GROUPS = ("org_unit", "team", "user", "firm_tag")
TIMELY = timedelta(hours=24)


def report_root(principal: Principal, org_unit_id: int | None) -> OrgUnit:
    """The unit a report covers (with its subtree): ``org_unit_id`` if the caller sees it, else
    the caller's own; only managers, commissioners and butlers read reports."""
    if not principal.has("admin", "manager", "commissioner", "butler"):
        raise scope.forbidden("Reports are for managers, commissioners and butlers.")
    if org_unit_id is None:
        return db.session.get(OrgUnit, principal.org_unit_id)
    if not scope.is_visible(OrgUnit, org_unit_id, principal):
        raise Problem.invalid("org_unit_id", "No such org unit in your scope.")
    return db.session.get(OrgUnit, org_unit_id)


def _subtree(root: OrgUnit):
    return scope.unit_ids_under(root.path)


class Grouper:
    """One grouping as SQL: the row key of a slot or a visit, and the rows' labels."""

    def __init__(self, group_by: str, root: OrgUnit):
        self.group_by, self.root = group_by, root
        units = db.session.scalars(select(OrgUnit).where(scope.in_subtree(root.path))).all()
        self._children = {u.id: u for u in units if u.parent_id == root.id}
        self._units = units

    def key(self, model):
        """The key column of ``model`` (VisitSlot or Visit) and the joins it needs."""
        if self.group_by == "user":
            return model.user_id, []
        if self.group_by == "team":
            return User.service_team_id, [(User, User.id == model.user_id)]
        if self.group_by == "firm_tag":
            return _tag_of(model.firm_id), [(FirmTag, FirmTag.firm_id == model.firm_id)]
        whens = []
        for child in self._children.values():
            whens.append((model.org_unit_id.in_(
                [u.id for u in self._units if u.path.startswith(child.path)]), child.id))
        return (case(*whens, else_=self.root.id) if whens
                # a cast, so that no database reads it as a column position
                else cast(literal_column(str(int(self.root.id))), Integer)), []

    def labels(self, keys) -> dict:
        """``{key: label}`` for the keys found."""
        keys = set(keys)
        if self.group_by == "user":
            return {u.id: u.display_name for u in db.session.scalars(
                select(User).where(User.id.in_(keys - {None})))}
        if self.group_by == "team":
            return {None: "无服务队 no team", **{t.id: t.name for t in db.session.scalars(
                select(ServiceTeam).where(ServiceTeam.id.in_(keys - {None})))}}
        if self.group_by == "firm_tag":
            return {k: k for k in keys}
        return {self.root.id: self.root.name, **{k: c.name for k, c in self._children.items()}}


def _grouped(stmt, key, joins):
    for model, on in joins:
        stmt = stmt.outerjoin(model, on)
    return stmt.add_columns(key.label("key")).group_by(key)


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


MET = VisitSlot.countable > 0
PENDING = (VisitSlot.countable == 0) & (VisitSlot.pending > 0)


def _slot_measures(today: date):
    return (func.count().label("due"), _count(MET).label("met"),
            _count(PENDING).label("pending"),
            _count(VisitSlot.last_day.is_(None) | (VisitSlot.last_day > today)).label("open"))


def _tag_of(firm_id_column):
    return case((firm_id_column.is_(None), "project"),
                else_=func.coalesce(FirmTag.tag, "untagged"))


def ensure_slots(day: date) -> None:
    """Write calendar slots through ``day`` if they are not there yet (see ``slots``)."""
    conn = db.session.connection()
    current = slots.horizon(conn)
    if current is None or current < day:
        slots.extend(conn, day)
        db.session.commit()


def slots_in(principal: Principal, root: OrgUnit, first: date, last: date):
    """Conditions selecting the slots of the report: due in ``first``..``last``, in scope."""
    ensure_slots(last)
    return (scope.visible(VisitSlot, principal), VisitSlot.org_unit_id.in_(_subtree(root)),
            VisitSlot.due_on >= first, VisitSlot.due_on <= last)


def _timely():
    return seconds_between(Visit.captured_at, Visit.received_at) <= TIMELY.total_seconds()


def _visit_measures():
    countable = Visit.status.in_(COUNTABLE_STATUSES)
    return (func.count().label("visits"), _count(countable).label("countable"),
            _count(Visit.status == "needs_review").label("pending_review"),
            _count(Visit.status == "rejected").label("rejected"),
            _count(func.json_array_length(Visit.flags) > 0).label("flagged"),
            _count(_timely()).label("timely"),
            _count(Visit.id.in_(select(FirmConfirmation.visit_id).where(
                FirmConfirmation.visit_id.is_not(None)))).label("firm_confirmed"),
            func.count(case((countable, Visit.firm_id)).distinct()).label("firms"))


SLOT_FIELDS = ("due", "met", "pending", "open")
VISIT_FIELDS = ("visits", "countable", "pending_review", "rejected", "flagged", "timely",
                "firms", "firm_confirmed")


def _finish(row) -> dict:
    due, met, visits = row["due"], row["met"], row["visits"]
    return {
        "due": due, "met": met, "pending": row["pending"], "open": row["open"],
        "rate": round(met / due, 4) if due else None,
        "visits": visits, "countable": row["countable"],
        "pending_review": row["pending_review"], "rejected": row["rejected"],
        "flagged_share": round(row["flagged"] / visits, 4) if visits else None,
        "firms_visited": row["firms"],
        "on_time_share": round(row["timely"] / visits, 4) if visits else None,
        "firm_confirmed": row["firm_confirmed"],
        "firm_confirmed_share": round(row["firm_confirmed"] / visits, 4) if visits else None,
    }


def reads_totals(principal: Principal, group_by: str) -> bool:
    """Whether a report's slot counts come from ``visit_slot_totals``: by unit, for a caller
    who sees everything under the unit (a manager or admin), whose rows are sums of units."""
    return group_by == "org_unit" and principal.has("admin", "manager")


# A literal, not a bound value: only then may the planners use the partial index on it.
STAGE_SLOT = VisitSlot.cadence == literal_column("'per_stage'")


def _slot_counts_from_totals(root: OrgUnit, period: Period, grouper: Grouper, today: date):
    """The slot measures by unit from the totals: due, met and pending as kept on write; open
    = the calendar slots due after today plus the stage slots not ended by today (the few
    stage rows read through their own index). The same figures as counting the slot rows."""
    t = VisitSlotTotal
    calendar_open = case(((t.cadence != "per_stage") & (t.due_on > today), t.due), else_=0)
    stmt = select(func.sum(t.due).label("due"), func.sum(t.met).label("met"),
                  func.sum(t.pending).label("pending"),
                  func.sum(calendar_open).label("open")).where(
        t.org_unit_id.in_(_subtree(root)), t.due_on >= period.start, t.due_on <= period.end,
        t.due != 0)
    counts = {r["key"]: dict(r) for r in db.session.execute(
        _grouped(stmt, *grouper.key(VisitSlotTotal))).mappings()}
    stages = select(func.count().label("open")).where(
        STAGE_SLOT, VisitSlot.org_unit_id.in_(_subtree(root)), VisitSlot.due_on >= period.start,
        VisitSlot.due_on <= period.end,
        VisitSlot.last_day.is_(None) | (VisitSlot.last_day > today))
    for r in db.session.execute(_grouped(stages, *grouper.key(VisitSlot))).mappings():
        counts[r["key"]]["open"] += r["open"]
    return counts.values()


def visit_rate(principal: Principal, period: Period, group_by: str,
               org_unit_id: int | None = None) -> dict:
    """The visit-rate report: one row per group and the totals, each counted by the database
    (a firm with two tags counts in both tag rows and once in the totals). A manager's report
    by unit reads its slot counts from the totals kept on write (``reads_totals``), in time
    that does not grow with the slots; the same figures."""
    root = report_root(principal, org_unit_id)
    slots_where = slots_in(principal, root, period.start, period.end)
    visits_where = (scope.visible(Visit, principal), Visit.org_unit_id.in_(_subtree(root)),
                    Visit.captured_at >= period.starts_at, Visit.captured_at < period.ends_at)
    grouper = Grouper(group_by, root)
    slot_stmt = select(*_slot_measures(clock.today())).where(*slots_where)
    visit_stmt = select(*_visit_measures()).where(*visits_where)
    rows: dict = defaultdict(lambda: dict.fromkeys(SLOT_FIELDS + VISIT_FIELDS, 0))
    if reads_totals(principal, group_by):
        slot_counts = _slot_counts_from_totals(root, period, grouper, clock.today())
    else:
        slot_counts = db.session.execute(_grouped(slot_stmt, *grouper.key(VisitSlot))).mappings()
    for r in slot_counts:
        rows[r["key"]].update({n: r[n] for n in SLOT_FIELDS})
    for r in db.session.execute(_grouped(visit_stmt, *grouper.key(Visit))).mappings():
        rows[r["key"]].update({n: r[n] for n in VISIT_FIELDS})
    if group_by == "firm_tag":  # a firm with two tags is in two rows: count the total apart
        slot_total = db.session.execute(slot_stmt).mappings().one()
    else:  # every slot is in exactly one row: the total is their sum
        slot_total = {n: sum(r[n] for r in rows.values()) for n in SLOT_FIELDS}
    # Distinct firms do not add up across rows, so the visit totals are always counted apart.
    total = {**slot_total, **db.session.execute(visit_stmt).mappings().one()}
    labels = grouper.labels(rows)
    out = [{"group": key, "label": labels.get(key, str(key)), **_finish(row)}
           for key, row in rows.items()]
    out.sort(key=lambda r: (r["rate"] is None, r["rate"] if r["rate"] is not None else 0,
                            str(r["label"])))
    return {"period": {"label": period.label, "start": period.start, "end": period.end},
            "group_by": group_by, "org_unit_id": root.id, "rows": out,
            "total": {"group": None, "label": "合计 total", **_finish(total)}}


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
    """The report's totals for each period from ``first`` to ``last``, in one query."""
    if last < first:
        raise Problem.invalid("to", "Must not be before from.")
    periods = list(_periods(first, last, every))
    if len(periods) > TREND_MAX_POINTS:
        raise Problem.invalid("to", f"At most {TREND_MAX_POINTS} points; choose a coarser step.")
    root = report_root(principal, org_unit_id)
    where = slots_in(principal, root, periods[0].start, periods[-1].end)
    if principal.has("admin", "manager"):
        # Everything in the root's subtree is in scope: the per-unit, per-day totals suffice.
        t = VisitSlotTotal
        bucket = case(*((t.due_on <= p.end, i) for i, p in enumerate(periods)))
        stmt = select(bucket.label("bucket"), func.sum(t.due).label("due"),
                      func.sum(t.met).label("met"), func.sum(t.pending).label("pending")).where(
            t.org_unit_id.in_(_subtree(root)), t.due_on >= periods[0].start,
            t.due_on <= periods[-1].end)
    else:
        bucket = case(*((VisitSlot.due_on <= p.end, i) for i, p in enumerate(periods)))
        stmt = select(bucket.label("bucket"), *_slot_measures(clock.today())).where(*where)
    found = {r.bucket: r for r in db.session.execute(stmt.group_by(bucket))}
    series = []
    for i, period in enumerate(periods):
        r = found.get(i)
        due, met = (r.due, r.met) if r else (0, 0)
        series.append({"period": period.label, "start": period.start, "end": period.end,
                       "due": due, "met": met, "pending": r.pending if r else 0,
                       "rate": round(met / due, 4) if due else None})
    return series


def coverage(principal: Principal, period: Period, org_unit_id: int | None = None) -> dict:
    """Firms with slots due in ``period`` as a FeatureCollection with their coverage.

    One query joining the per-firm counts to the firms, each firm's point its first active
    site's (else its first site's): a list of ids would pass PostgreSQL's 65,535 parameters
    at province scale, and entities with their sites cost seconds per 10^5 firms. A scope with
    more than ``COVERAGE_MAX_FIRMS`` firms due is refused rather than sent (at 10^6 firms the
    answer would be ~150 MB, more than a browser draws)."""
    root = report_root(principal, org_unit_id)
    counts = (select(VisitSlot.firm_id, *_slot_measures(clock.today()),
                     func.max(VisitSlot.last_visit_at).label("last_visit"))
              .where(*slots_in(principal, root, period.start, period.end),
                     VisitSlot.firm_id.is_not(None))
              .group_by(VisitSlot.firm_id).subquery())
    point = (select(Site.point).where(Site.firm_id == Firm.id)
             .order_by(Site.is_active.desc(), Site.id).limit(1)
             .correlate(Firm).scalar_subquery())
    most = current_app.config["COVERAGE_MAX_FIRMS"]
    rows = db.session.execute(
        select(Firm.id, Firm.name, Firm.org_unit_id, point.label("point"), counts)
        .join(counts, counts.c.firm_id == Firm.id).order_by(Firm.id).limit(most + 1)).all()
    if len(rows) > most:
        raise Problem.invalid("org_unit_id", f"More than {most} firms are due in this scope: "
                              "too many for one map; choose a smaller unit.")
    features = []
    for r in rows:
        shape = None if r.point is None else to_shape(r.point)
        features.append({
            "type": "Feature", "id": r.id,
            "geometry": None if shape is None else {
                "type": "Point", "coordinates": [round(shape.x, 7), round(shape.y, 7)]},
            "properties": {"id": r.id, "name": r.name, "org_unit_id": r.org_unit_id,
                           "due": r.due, "met": r.met, "pending": r.pending, "open": r.open,
                           "last_visit": r.last_visit}})
    return {"type": "FeatureCollection", "period": period.label, "features": features}
