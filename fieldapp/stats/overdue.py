"""The overdue list (待走访): who owes which visit on a day, and how many.

``overdue`` lists the assignments in force on a day whose running slot has no countable visit
yet; ``overdue_count`` counts the same rows without reading them (the console's overview shows
only the number). Both share one statement, ``_overdue_rows``; a manager's count of today is
read from the slot totals instead (``count_from_slots``), the same figure without a probe into
the visits per assignment.
"""

from datetime import date, datetime, timedelta

from sqlalchemy import case, func, or_, select, union

from fieldapp import clock, scope
from fieldapp.assignments.periods import CALENDAR_CADENCES, current_slot
from fieldapp.auth.principal import Principal
from fieldapp.extensions import db
from fieldapp.stats.service import ensure_slots, report_root
from models import (
    CADENCES,
    COUNTABLE_STATUSES,
    Assignment,
    Firm,
    Project,
    ProjectStageChange,
    User,
    Visit,
    VisitSlot,
    VisitSlotTotal,
)


def _last_countable(column, target, moment: datetime):
    return select(func.max(Visit.captured_at)).where(
        column == target, Visit.status.in_(COUNTABLE_STATUSES),
        Visit.captured_at <= moment).scalar_subquery()


def _countable_within(starts_at, moment: datetime):
    """The assignment's target has a countable visit captured from ``starts_at`` (a bound
    moment or a column) to ``moment``."""
    def probe(column, target):
        return select(Visit.id).where(
            column == target, Visit.status.in_(COUNTABLE_STATUSES),
            Visit.captured_at >= starts_at, Visit.captured_at <= moment).exists()
    return case((Assignment.firm_id.is_not(None), probe(Visit.firm_id, Assignment.firm_id)),
                else_=probe(Visit.project_id, Assignment.project_id))


def _overdue_moment(as_of: date) -> datetime:
    """The last moment of ``as_of`` (or now, if that is earlier): visits after it do not
    count."""
    return min(clock.local_midnight(as_of + timedelta(days=1)),
               clock.now()) - timedelta(microseconds=1)


def _overdue_rows(principal: Principal, as_of: date, moment: datetime,
                  org_unit_id: int | None, team_id: int | None, *columns, among=None):
    """``columns`` of the assignments overdue on ``as_of`` (see ``overdue``), with the slot
    test in SQL so that a count reads no rows. ``among``: a subquery of assignment ids (a
    column ``id``) to read the assignments from, instead of the whole scope."""
    root = report_root(principal, org_unit_id)
    # The stage the project was in at ``moment`` (its history, not today's stage).
    stage_entered_at = select(func.max(ProjectStageChange.moved_at)).where(
        ProjectStageChange.project_id == Assignment.project_id,
        ProjectStageChange.moved_at <= moment).scalar_subquery()
    # The slot running at ``moment`` has no countable visit up to ``moment``. Calendar slots
    # are the same for every assignment of a cadence; a stage slot runs from the stage's
    # start, and with no stage entered by then nothing is due yet.
    unmet = [(Assignment.cadence == cadence)
             & ~_countable_within(current_slot(cadence, moment).starts_at, moment)
             for cadence in CADENCES if cadence != "per_stage"]
    unmet.append((Assignment.cadence == "per_stage") & stage_entered_at.is_not(None)
                 & ~_countable_within(stage_entered_at, moment))
    # No join to users for the team: the planner misjudges it and compares every pair.
    team = ([Assignment.user_id.in_(select(User.id).where(User.service_team_id == team_id))]
            if team_id is not None else [])
    stmt = select(*columns, stage_entered_at.label("stage_entered_at"))
    stmt = (stmt.select_from(Assignment) if among is None else
            stmt.select_from(among).join(Assignment, Assignment.id == among.c.id))
    return (stmt.outerjoin(Firm, Firm.id == Assignment.firm_id)
            .where(scope.visible(Assignment, principal),
                   Assignment.org_unit_id.in_(scope.unit_ids_under(root.path)),
                   Assignment.starts_on <= as_of,
                   Assignment.ends_on.is_(None) | (Assignment.ends_on >= as_of),
                   Firm.closed_at.is_(None) | (Firm.closed_at > moment), or_(*unmet), *team))


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


def overdue_count(principal: Principal, as_of: date, org_unit_id: int | None = None,
                  team_id: int | None = None) -> int:
    """How many rows ``overdue`` lists for the same arguments. Today's count for a manager or
    admin (everything under the unit in scope) with no team comes from the slot totals
    (``count_from_slots``); any other is counted by the list's own statement
    (``count_by_probe``). Both give the same figure on every day; the totals are used only for
    today, where their corrections are a handful of rows."""
    if team_id is None and as_of == clock.today() and principal.has("admin", "manager"):
        return count_from_slots(principal, as_of, org_unit_id)
    return count_by_probe(principal, as_of, org_unit_id, team_id)


def count_by_probe(principal: Principal, as_of: date, org_unit_id: int | None = None,
                   team_id: int | None = None) -> int:
    """``overdue``'s rows counted in SQL: one probe into the visits per assignment in scope."""
    return _count(_overdue_rows(principal, as_of, _overdue_moment(as_of), org_unit_id, team_id,
                                Assignment.id))


def count_from_slots(principal: Principal, as_of: date, org_unit_id: int | None = None) -> int:
    """``overdue``'s rows for a caller who sees every assignment under the unit (a manager or
    admin), counted from the stored slots, in time that does not grow with the assignments.

    A calendar assignment in force on ``as_of`` owns the slot of its cadence running then —
    a row of ``visit_slots`` due on that slot's last day — unless it ends, or its firm closes,
    before that day; the row holds the target's countable visits of the whole slot. So:

    1. the running slots with no countable visit, from ``visit_slot_totals`` (due − met of
       each cadence on its running slot's last day, per unit);
    2. less those whose assignment starts after ``as_of`` (not in force yet);
    3. plus those met only by visits captured after the moment asked about (``as_of``'s end,
       or now): found from those visits;
    4. plus, counted by the list's own statement, the assignments with no running slot (ending
       or closing before its last day) and the per-stage ones (their slot starts with a stage,
       or with the assignment if that came later).

    The few rows of 2–4 are found through indexes (assignments by start and end day, firms by
    closing time, visits by status and time, projects' assignments). They are separate
    statements: on PostgreSQL (read committed) a visit committed between two of them can leave
    the figure one off from the list at that instant; the next request agrees again. The
    overview shows it as a headline, not as a ledger."""
    root = report_root(principal, org_unit_id)
    moment = _overdue_moment(as_of)
    running = {c: current_slot(c, moment) for c in CALENDAR_CADENCES}
    last = max(s.end for s in running.values())
    ensure_slots(last)
    units = scope.unit_ids_under(root.path)
    t = VisitSlotTotal
    unmet = db.session.scalar(select(func.coalesce(func.sum(t.due - t.met), 0)).where(
        t.org_unit_id.in_(units),
        or_(*((t.cadence == c) & (t.due_on == s.end) for c, s in running.items()))))
    is_running = or_(*((VisitSlot.cadence == c) & (VisitSlot.due_on == s.end)
                       for c, s in running.items()))
    owner = (select(VisitSlot.id).join(Assignment, Assignment.id == VisitSlot.assignment_id)
             .where(is_running, VisitSlot.org_unit_id.in_(units)))
    not_yet = _count(owner.where(
        Assignment.org_unit_id.in_(units), Assignment.starts_on > as_of,
        Assignment.starts_on <= last, Assignment.cadence.in_(CALENDAR_CADENCES),
        VisitSlot.countable == 0))
    met_later = 0
    for slot_column, visit_column in ((VisitSlot.firm_id, Visit.firm_id),
                                      (VisitSlot.project_id, Visit.project_id)):
        later = (select(visit_column.label("target")).where(
            Visit.status.in_(COUNTABLE_STATUSES), Visit.captured_at > moment,
            Visit.captured_at < max(s.ends_at for s in running.values()),
            visit_column.is_not(None)).distinct().subquery())
        unmet_then = ~select(Visit.id).where(
            visit_column == slot_column, Visit.status.in_(COUNTABLE_STATUSES),
            Visit.captured_at >= VisitSlot.starts_at, Visit.captured_at <= moment).exists()
        met_later += _count(owner.join(later, later.c.target == slot_column).where(
            VisitSlot.countable > 0, VisitSlot.last_visit_at > moment,
            Assignment.starts_on <= as_of, unmet_then))
    return unmet - not_yet + met_later + _count_without_running_slot(
        principal, as_of, moment, root, running, units, last)


def _count_without_running_slot(principal: Principal, as_of: date, moment: datetime, root,
                                running: dict, units, last: date) -> int:
    """Step 4 of ``count_from_slots``: the per-stage assignments and the calendar ones whose
    running slot is not theirs (they end, or the firm closes, before its last day), counted
    by the list's statement over those assignments only. ``units``: the scope's unit ids;
    ``last``: the latest last day of the running slots."""
    after_last = clock.local_midnight(last + timedelta(days=1))
    candidates = union(
        select(Assignment.id).where(Assignment.project_id.is_not(None),
                                    Assignment.cadence == "per_stage",
                                    Assignment.org_unit_id.in_(units)),
        select(Assignment.id).where(Assignment.ends_on >= as_of, Assignment.ends_on < last,
                                    Assignment.org_unit_id.in_(units)),
        select(Assignment.id).join(Firm, Firm.id == Assignment.firm_id).where(
            Firm.closed_at > moment, Firm.closed_at < after_last,
            Assignment.org_unit_id.in_(units))).subquery()

    def before_its_end(slot):
        end = clock.local_midnight(slot.end + timedelta(days=1))
        return ((Assignment.ends_on.is_not(None) & (Assignment.ends_on < slot.end))
                | (Firm.closed_at.is_not(None) & (Firm.closed_at < end)))

    odd = or_(Assignment.cadence == "per_stage",
              *((Assignment.cadence == c) & before_its_end(s) for c, s in running.items()))
    return _count(_overdue_rows(principal, as_of, moment, root.id, None, Assignment.id,
                                among=candidates).where(odd))


def overdue(principal: Principal, as_of: date, org_unit_id: int | None = None,
            team_id: int | None = None) -> list[dict]:
    """Assignments in force on ``as_of`` whose slot running then has no countable visit yet
    (by anyone assigned), never-visited first, then the longest since the last countable visit.
    Firms closed by then are left out; visits after ``as_of`` do not count. ``team_id`` keeps
    the people of one service team. One query of plain rows: a county's list reads no
    entities. ``overdue_count`` counts the same rows without reading them."""
    moment = _overdue_moment(as_of)
    stmt = _overdue_rows(
        principal, as_of, moment, org_unit_id, team_id,
        Assignment.id, Assignment.user_id, Assignment.firm_id, Assignment.project_id,
        Assignment.org_unit_id, Assignment.cadence, User.display_name,
        func.coalesce(Firm.name, Project.name).label("target_name"), Firm.closed_at,
        case((Assignment.firm_id.is_not(None),
              _last_countable(Visit.firm_id, Assignment.firm_id, moment)),
             else_=_last_countable(Visit.project_id, Assignment.project_id, moment))
        .label("visited"))
    stmt = (stmt.join(User, User.id == Assignment.user_id)
            .outerjoin(Project, Project.id == Assignment.project_id))
    rows = db.session.execute(stmt).all()
    slots_of: dict = {}
    out = []
    for a in rows:
        # The SQL has already left these out; the tests compare the list with
        # ``overdue_count`` (the SQL alone), so the two definitions cannot drift apart.
        if a.closed_at is not None and a.closed_at <= moment:
            continue
        if a.cadence == "per_stage":
            if a.stage_entered_at is None:  # no stage entered by then: nothing due yet
                continue
            slot = current_slot(a.cadence, moment, stage_entered_at=a.stage_entered_at)
        else:
            slot = slots_of.get(a.cadence) or slots_of.setdefault(
                a.cadence, current_slot(a.cadence, moment))
        visited = a.visited
        if visited is not None and slot.contains(visited):
            continue
        days = None if visited is None else (as_of - clock.local_date(visited)).days
        out.append({
            "assignment_id": a.id, "user_id": a.user_id, "user_name": a.display_name,
            "target_kind": "firm" if a.firm_id else "project",
            "target_id": a.firm_id or a.project_id, "target_name": a.target_name,
            "org_unit_id": a.org_unit_id, "cadence": a.cadence,
            "slot_start": slot.start, "slot_end": slot.end, "last_visit_at": visited,
            "days_since_last_visit": days})
    out.sort(key=lambda r: (r["days_since_last_visit"] is not None,
                            -(r["days_since_last_visit"] or 0), r["target_name"]))
    return out
