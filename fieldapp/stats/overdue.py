"""The overdue list (待走访): who owes which visit on a day, and how many.

``overdue`` lists the assignments in force on a day whose running slot has no countable visit
yet; ``overdue_count`` counts the same rows in SQL without reading them (the console's overview
shows only the number). Both share one statement, ``_overdue_rows``.
"""

from datetime import date, datetime, timedelta

from sqlalchemy import case, func, or_, select

from fieldapp import clock, scope
from fieldapp.assignments.periods import current_slot
from fieldapp.auth.principal import Principal
from fieldapp.extensions import db
from fieldapp.stats.service import report_root
from models import (
    CADENCES,
    COUNTABLE_STATUSES,
    Assignment,
    Firm,
    Project,
    ProjectStageChange,
    User,
    Visit,
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
                  org_unit_id: int | None, team_id: int | None, *columns):
    """``columns`` of the assignments overdue on ``as_of`` (see ``overdue``), with the slot
    test in SQL so that a count reads no rows."""
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
    return (select(*columns, stage_entered_at.label("stage_entered_at"))
            .select_from(Assignment).outerjoin(Firm, Firm.id == Assignment.firm_id)
            .where(scope.visible(Assignment, principal),
                   Assignment.org_unit_id.in_(scope.unit_ids_under(root.path)),
                   Assignment.starts_on <= as_of,
                   Assignment.ends_on.is_(None) | (Assignment.ends_on >= as_of),
                   Firm.closed_at.is_(None) | (Firm.closed_at > moment), or_(*unmet), *team))


def overdue_count(principal: Principal, as_of: date, org_unit_id: int | None = None,
                  team_id: int | None = None) -> int:
    """How many rows ``overdue`` lists for the same arguments, counted in SQL."""
    stmt = _overdue_rows(principal, as_of, _overdue_moment(as_of), org_unit_id, team_id,
                         Assignment.id)
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


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
