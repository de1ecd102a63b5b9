"""The ORM hooks that keep the slot rows in step with every write path: installed on the
application's session at start (``install``, beside the audit recorder), they regenerate the
slots of assignments whose terms changed and recount the slots holding a visit that was filed,
reviewed, superseded or deleted, inside the same transaction (at ``after_flush``)."""

from itertools import chain

from sqlalchemy import delete, event, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from fieldapp.stats.slots.generation import refresh_assignments
from fieldapp.stats.slots.recount import ASSIGNMENTS, SLOTS, add_totals, recount_at, totals_of
from models import Assignment, Firm, ProjectStageChange, Visit

_ASSIGNMENT_TERMS = ("user_id", "org_unit_id", "firm_id", "project_id", "cadence", "starts_on",
                     "ends_on")
_VISIT_TERMS = ("status", "captured_at", "firm_id", "project_id")


def _values(obj, name: str) -> list:
    history = sa_inspect(obj).attrs[name].history
    return [v for v in chain(history.added, history.unchanged, history.deleted)]


def _changed(obj, names) -> bool:
    state = sa_inspect(obj)
    return any(state.attrs[n].history.has_changes() for n in names)


def _visit_points(visit: Visit) -> set:
    points = set()
    for moment in _values(visit, "captured_at"):
        for fid in _values(visit, "firm_id"):
            if fid is not None:
                points.add(("firm", fid, moment))
        for pid in _values(visit, "project_id"):
            if pid is not None:
                points.add(("project", pid, moment))
    return points


def _before_flush(session: Session, _context, _instances) -> None:
    # A deleted assignment's slots go with it (ON DELETE CASCADE), after which nothing could
    # say what to take off the totals: take them off, and the slots away, while they are here.
    gone = sorted(obj.id for obj in session.deleted
                  if isinstance(obj, Assignment) and obj.id is not None)
    if not gone:
        return
    conn = session.connection()
    mine = SLOTS.c.assignment_id.in_(gone)
    before = totals_of(conn, mine)
    conn.execute(delete(SLOTS).where(mine))
    add_totals(conn, before, {})


def _after_flush(session: Session, _context) -> None:
    assignments, firms, projects, touched = set(), set(), set(), set()
    for obj in chain(session.new, session.dirty, session.deleted):
        dirty = obj in session.dirty
        if isinstance(obj, Visit):
            if not dirty or _changed(obj, _VISIT_TERMS):
                touched |= _visit_points(obj)
        elif isinstance(obj, Assignment):
            if obj not in session.deleted and (not dirty or _changed(obj, _ASSIGNMENT_TERMS)):
                assignments.add(obj.id)
        elif isinstance(obj, Firm):
            if dirty and _changed(obj, ("closed_at",)):
                firms.add(obj.id)
        elif isinstance(obj, ProjectStageChange):  # entered, corrected or struck out
            projects.update(p for p in _values(obj, "project_id") if p is not None)
    if not (assignments or firms or projects or touched):
        return
    conn = session.connection()
    if firms:
        assignments |= set(conn.scalars(select(ASSIGNMENTS.c.id).where(
            ASSIGNMENTS.c.firm_id.in_(firms))))
    if projects:
        assignments |= set(conn.scalars(select(ASSIGNMENTS.c.id).where(
            ASSIGNMENTS.c.project_id.in_(projects), ASSIGNMENTS.c.cadence == "per_stage")))
    refresh_assignments(conn, assignments)
    if touched:
        recount_at(conn, touched)


def install(session_factory) -> None:
    """Hook the slot upkeep on ``session_factory``'s flushes (idempotent: tests build many
    apps on one session class)."""
    if not event.contains(session_factory, "before_flush", _before_flush):
        event.listen(session_factory, "before_flush", _before_flush)
        event.listen(session_factory, "after_flush", _after_flush)
