"""Assignments (包抓): creating, ending, reassigning and finding them.

Rules (the API docs repeat them):

- Firms are assigned to users holding the ``commissioner`` role, projects to users holding
  ``butler`` (one person may hold both roles). The assignee must be active and in the caller's
  scope; the firm or project must be visible to the caller, and a firm must be active.
- ``per_stage`` is for projects only; ``ends_on`` (inclusive) is on or after ``starts_on``.
- The same user may not hold two assignments of the same firm or project whose date ranges
  overlap (409 naming the existing one). The check runs in Python after locking the user's
  row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite serialises writers), so two concurrent
  requests cannot both pass it. Different users may share a target.
- ``org_unit_id`` is copied from the target. When the target moves to another unit, running
  assignments are split at the move day (``moves.follow_move``).
"""

from datetime import date, timedelta

from sqlalchemy import func, select

from fieldapp import clock, scope
from fieldapp.auth.principal import Principal
from fieldapp.errors import Problem
from fieldapp.extensions import db
from models import COUNTABLE_STATUSES, Assignment, Firm, OrgUnit, Project, User, Visit

ROLE_FOR_TARGET = {"firm": "commissioner", "project": "butler"}


def _target(principal: Principal, data: dict) -> Firm | Project:
    if "firm_id" in data:
        if not scope.is_visible(Firm, data["firm_id"], principal):
            raise Problem.invalid("firm_id", "No such firm in your scope.")
        firm = db.session.get(Firm, data["firm_id"])
        if firm.status != "active":
            raise Problem.invalid("firm_id",
                                  "This firm is closed; closed firms get no assignments.")
        return firm
    if not scope.is_visible(Project, data["project_id"], principal):
        raise Problem.invalid("project_id", "No such project in your scope.")
    return db.session.get(Project, data["project_id"])


def _kind(target) -> str:
    return "firm" if isinstance(target, Firm) else "project"


def _assignee(principal: Principal, user_id: int, kind: str) -> User:
    if not scope.is_visible(User, user_id, principal):
        raise Problem.invalid("user_id", "No such user in your scope.")
    user = db.session.get(User, user_id)
    if not user.is_active:
        raise Problem.invalid("user_id", "This user is deactivated.")
    role = ROLE_FOR_TARGET[kind]
    if role not in user.roles:
        raise Problem.invalid("user_id", f"A {kind} is assigned to a user with the {role} role.")
    return user


def _check_terms(kind: str, cadence: str, starts_on: date, ends_on: date | None) -> None:
    if cadence == "per_stage" and kind != "project":
        raise Problem.invalid("cadence", "per_stage is for projects only.")
    if ends_on is not None and ends_on < starts_on:
        raise Problem.invalid("ends_on", "Must be on or after starts_on.")


def _refuse_overlap(user_id: int, target, starts_on: date, ends_on: date | None,
                    exclude_id: int | None = None) -> None:
    # Lock the assignee so a concurrent request for the same user waits for this one.
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())
    column = Assignment.firm_id if _kind(target) == "firm" else Assignment.project_id
    stmt = select(Assignment).where(
        Assignment.user_id == user_id, column == target.id,
        Assignment.ends_on.is_(None) | (Assignment.ends_on >= starts_on))
    if ends_on is not None:
        stmt = stmt.where(Assignment.starts_on <= ends_on)
    if exclude_id is not None:
        stmt = stmt.where(Assignment.id != exclude_id)
    clash = db.session.scalars(stmt.order_by(Assignment.starts_on).limit(1)).first()
    if clash is not None:
        until = clash.ends_on.isoformat() if clash.ends_on else "open-ended"
        raise Problem(409, f"This user already holds assignment {clash.id} of this "
                      f"{_kind(target)} ({clash.starts_on.isoformat()} to {until}), which "
                      "overlaps these dates.", slug="overlapping-assignment",
                      conflicting_assignment_id=clash.id)


def _new(principal, user, target, cadence, starts_on, ends_on) -> Assignment:
    kind = _kind(target)
    return Assignment(user_id=user.id, firm_id=target.id if kind == "firm" else None,
                      project_id=target.id if kind == "project" else None,
                      org_unit_id=target.org_unit_id, cadence=cadence, starts_on=starts_on,
                      ends_on=ends_on, created_by_id=principal.user_id)


def create_assignment(principal: Principal, data: dict) -> Assignment:
    """Make a user responsible for a firm or a project (admins; managers in their subtree)."""
    scope.require_registry_role(principal)
    target = _target(principal, data)
    scope.require_registry_admin(principal, db.session.get(OrgUnit, target.org_unit_id))
    kind = _kind(target)
    user = _assignee(principal, data["user_id"], kind)
    starts_on = data.get("starts_on") or clock.today()
    ends_on = data.get("ends_on")
    _check_terms(kind, data["cadence"], starts_on, ends_on)
    _refuse_overlap(user.id, target, starts_on, ends_on)
    assignment = _new(principal, user, target, data["cadence"], starts_on, ends_on)
    db.session.add(assignment)
    db.session.commit()
    return assignment


def _for_change(principal: Principal, assignment_id: int) -> Assignment:
    """The assignment, locked, after checking the caller may change it."""
    scope.require_registry_role(principal)
    # OF assignments: the assignee is eager-loaded through an outer join, and PostgreSQL
    # refuses to lock the nullable side of one (every end and reassign was a 500 there).
    assignment = db.session.scalar(scope.scoped(Assignment, principal).where(
        Assignment.id == assignment_id).with_for_update(of=Assignment))
    if assignment is None:
        raise scope.not_found(Assignment, assignment_id)
    scope.require_registry_admin(principal, db.session.get(OrgUnit, assignment.org_unit_id))
    if assignment.replaced_by_id is not None:
        raise Problem(409, f"This assignment was reassigned (to {assignment.replaced_by_id}); "
                      "change that one instead.", slug="reassigned",
                      replaced_by_id=assignment.replaced_by_id)
    return assignment


def end_assignment(principal: Principal, assignment_id: int, ends_on: date,
                   reason: str | None) -> Assignment:
    """Set the last day of an assignment; an end already set may only move earlier."""
    assignment = _for_change(principal, assignment_id)
    if ends_on < assignment.starts_on:
        raise Problem.invalid("ends_on", f"Must be on or after starts_on "
                                  f"({assignment.starts_on.isoformat()}).")
    if assignment.ends_on is not None and ends_on > assignment.ends_on:
        raise Problem(409, f"This assignment already ends on {assignment.ends_on.isoformat()}; "
                      "an end may only move earlier. Create a new assignment to extend it.",
                      slug="already-ended", ends_on=assignment.ends_on.isoformat())
    assignment.ends_on, assignment.end_reason = ends_on, reason
    db.session.commit()
    return assignment


def reassign(principal: Principal, assignment_id: int, data: dict) -> dict:
    """End an assignment the day before ``starts_on`` and hand its target to ``user_id``.

    One transaction: the old row gets ``ends_on = starts_on − 1`` and ``replaced_by_id``, the
    new row inherits the target, the cadence (unless given) and the old planned end (unless
    ``ends_on`` is given, or the old end falls before ``starts_on``).
    """
    old = _for_change(principal, assignment_id)
    starts_on = data["starts_on"]
    last_old_day = starts_on - timedelta(days=1)
    if starts_on <= old.starts_on:
        raise Problem.invalid("starts_on", f"Must be after the assignment's start "
                                    f"({old.starts_on.isoformat()}).")
    if old.ends_on is not None and old.ends_on < last_old_day:
        raise Problem(409, f"This assignment ended on {old.ends_on.isoformat()}, before "
                      "starts_on; create a new assignment instead.", slug="already-ended",
                      ends_on=old.ends_on.isoformat())
    target = old.firm if old.firm_id is not None else old.project
    kind = _kind(target)
    if kind == "firm" and target.status != "active":
        raise Problem(409, "This firm is closed; end the assignment instead.",
                      slug="firm-closed")
    user = _assignee(principal, data["user_id"], kind)
    cadence = data.get("cadence") or old.cadence
    if "ends_on" in data:
        ends_on = data["ends_on"]
    else:
        ends_on = old.ends_on if old.ends_on is not None and old.ends_on >= starts_on else None
    _check_terms(kind, cadence, starts_on, ends_on)
    _refuse_overlap(user.id, target, starts_on, ends_on, exclude_id=old.id)

    old.ends_on, old.end_reason = last_old_day, data.get("reason") or "reassigned"
    db.session.flush()
    new = _new(principal, user, target, cadence, starts_on, ends_on)
    db.session.add(new)
    db.session.flush()
    old.replaced_by_id = new.id
    db.session.commit()
    return {"previous": old, "current": new}


def assignment_query(principal: Principal, filters: dict):
    """The visible assignments matching ``filters``."""
    stmt = scope.filtered(Assignment, principal, filters, ("user_id", "firm_id", "project_id"))
    if "active_on" in filters:
        day = filters["active_on"]
        stmt = stmt.where(Assignment.starts_on <= day,
                          Assignment.ends_on.is_(None) | (Assignment.ends_on >= day))
    return stmt


def last_countable_visits(assignment_ids) -> dict:
    """``{assignment_id: datetime}``: the capture time of each assignment's last countable visit.

    Countable = accepted as filed (verified, no flags) or approved on review (DESIGN §5). A
    visit belongs to the assignment that covered its capture day when it was filed (its
    ``assignment_id``). Assignments without one are absent.
    """
    ids = list(assignment_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Visit.assignment_id, func.max(Visit.captured_at))
        .where(Visit.assignment_id.in_(ids), Visit.status.in_(COUNTABLE_STATUSES))
        .group_by(Visit.assignment_id))
    return dict(rows.all())
