"""Who may see and change what: every access rule of fieldapp lives in this module.

Reads: ``visible(Model, principal)`` is the SQL condition for the rows the caller may see;
every list and every fetch by id goes through ``scoped`` / ``get_visible``. A row outside the
caller's scope reads as 404 (not 403), so ids of other units and other firms do not leak.

Rules per model and role (a user with several roles sees the union):

- admin: everything.
- manager: their org-unit subtree (city managers the city, county managers the county).
- commissioner, butler: their own unit and themselves; the firms and projects assigned to them
  today (an assignment whose ``starts_on``..``ends_on`` covers today's date in Asia/Shanghai),
  the sites of those, and their own assignments, past ones included.
- handler: their own unit, department and themselves.
- firm: their own unit and themselves; their own firm, its sites and the projects it owns.
  A firm user has the single role ``firm``, a ``firm_id`` and their firm's org unit (see
  ``users.service``); admins give one any firm, managers a firm of their subtree.
- issues: managers their subtree; commissioners and butlers those of firms assigned to them and
  those they raised; handlers those their department holds now; firm users their firm's.
- visits: managers those filed for targets in their subtree; commissioners and butlers their
  own; firm users none (a visit's evidence is about staff, not for the firm).

Writes: ``require_*`` functions below raise 403 (role may never) or 404 (target not visible).
"""

from collections.abc import Callable
from datetime import date

from sqlalchemy import false, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from fieldapp.auth.principal import Principal
from fieldapp.clock import today
from fieldapp.errors import Problem
from fieldapp.extensions import db
from models import (
    Assignment,
    AuditEvent,
    Department,
    Firm,
    Issue,
    OrgUnit,
    Project,
    ServiceTeam,
    Site,
    User,
    Visit,
    VisitSlot,
)

Rule = Callable[[Principal], ColumnElement[bool]]
ANY = "*"  # a rule every authenticated role gets


def in_subtree(path: str) -> ColumnElement[bool]:
    """OrgUnit rows at or below the unit whose path is ``path``."""
    # Paths hold only digits and '/', so no LIKE wildcard can sneak in.
    return OrgUnit.path.startswith(path)


def subtree_ids(principal: Principal):
    """Subquery: ids of the org units in the caller's subtree."""
    return select(OrgUnit.id).where(in_subtree(principal.org_path)).scalar_subquery()


def _everything(_p: Principal) -> ColumnElement[bool]:
    return true()


def assignments_on(user_id: int, day: date):
    """Condition: assignments of ``user_id`` that cover ``day``."""
    return (Assignment.user_id == user_id) & (Assignment.starts_on <= day) & (
        Assignment.ends_on.is_(None) | (Assignment.ends_on >= day))


def assigned_firm_ids(principal: Principal, day: date | None = None):
    """Subquery: ids of the firms assigned to the caller on ``day`` (default today)."""
    return select(Assignment.firm_id).where(
        assignments_on(principal.user_id, day or today()), Assignment.firm_id.is_not(None)
    ).scalar_subquery()


def assigned_project_ids(principal: Principal, day: date | None = None):
    """Subquery: ids of the projects assigned to the caller on ``day`` (default today)."""
    return select(Assignment.project_id).where(
        assignments_on(principal.user_id, day or today()), Assignment.project_id.is_not(None)
    ).scalar_subquery()


def _own_firm(column):
    return lambda p: column == p.firm_id if p.firm_id is not None else false()


def _visible_ids(model: type, principal: Principal):
    return select(model.id).where(visible(model, principal)).scalar_subquery()


_RULES: dict[type, dict[str, Rule]] = {
    OrgUnit: {
        "admin": _everything,
        "manager": lambda p: in_subtree(p.org_path),
        ANY: lambda p: OrgUnit.id == p.org_unit_id,
    },
    User: {
        "admin": _everything,
        "manager": lambda p: User.org_unit_id.in_(subtree_ids(p)),
        ANY: lambda p: User.id == p.user_id,
    },
    ServiceTeam: {
        "admin": _everything,
        "manager": lambda p: ServiceTeam.org_unit_id.in_(subtree_ids(p)),
        ANY: lambda p: ServiceTeam.id == p.service_team_id,
    },
    Department: {
        "admin": _everything,
        "manager": lambda p: Department.org_unit_id.in_(subtree_ids(p)),
        ANY: lambda p: Department.id == p.department_id,
    },
    AuditEvent: {
        "admin": _everything,
        "manager": lambda p: AuditEvent.org_unit_id.in_(subtree_ids(p)),
    },
    Firm: {
        "admin": _everything,
        "manager": lambda p: Firm.org_unit_id.in_(subtree_ids(p)),
        "commissioner": lambda p: Firm.id.in_(assigned_firm_ids(p)),
        "butler": lambda p: Firm.id.in_(assigned_firm_ids(p)),
        "firm": _own_firm(Firm.id),
    },
    Project: {
        "admin": _everything,
        "manager": lambda p: Project.org_unit_id.in_(subtree_ids(p)),
        "commissioner": lambda p: Project.id.in_(assigned_project_ids(p)),
        "butler": lambda p: Project.id.in_(assigned_project_ids(p)),
        "firm": _own_firm(Project.owner_firm_id),
    },
    # A site is visible with the firm or project it belongs to.
    Site: {
        ANY: lambda p: Site.firm_id.in_(_visible_ids(Firm, p))
        | Site.project_id.in_(_visible_ids(Project, p)),
    },
    Visit: {
        "admin": _everything,
        "manager": lambda p: Visit.org_unit_id.in_(subtree_ids(p)),
        "commissioner": lambda p: Visit.user_id == p.user_id,
        "butler": lambda p: Visit.user_id == p.user_id,
    },
    Assignment: {
        "admin": _everything,
        "manager": lambda p: Assignment.org_unit_id.in_(subtree_ids(p)),
        "commissioner": lambda p: Assignment.user_id == p.user_id,
        "butler": lambda p: Assignment.user_id == p.user_id,
    },
    # Issues: managers their subtree; commissioners and butlers those of the firms assigned to
    # them today and those they raised; handlers those their department holds now; firm users
    # their own firm's.
    Issue: {
        "admin": _everything,
        "manager": lambda p: Issue.org_unit_id.in_(subtree_ids(p)),
        "commissioner": lambda p: Issue.firm_id.in_(assigned_firm_ids(p))
        | (Issue.created_by_id == p.user_id),
        "butler": lambda p: Issue.firm_id.in_(assigned_firm_ids(p))
        | (Issue.created_by_id == p.user_id),
        "handler": lambda p: (Issue.department_id == p.department_id)
        if p.department_id is not None else false(),
        "firm": _own_firm(Issue.firm_id),
    },
    # A visit slot is an assignment's due visit: seen with the assignment.
    VisitSlot: {
        "admin": _everything,
        "manager": lambda p: VisitSlot.org_unit_id.in_(subtree_ids(p)),
        "commissioner": lambda p: VisitSlot.user_id == p.user_id,
        "butler": lambda p: VisitSlot.user_id == p.user_id,
    },
}


def visible(model: type, principal: Principal) -> ColumnElement[bool]:
    """The SQL condition selecting the ``model`` rows ``principal`` may read."""
    rules = _RULES[model]
    conditions = [rule(principal) for role, rule in rules.items()
                  if role == ANY or role in principal.roles]
    if not conditions:
        return false()
    return conditions[0] if len(conditions) == 1 else or_(*conditions)


def scoped(model: type, principal: Principal):
    """``select(model)`` restricted to what ``principal`` may read."""
    return select(model).where(visible(model, principal))


def not_found(model: type, id_) -> Problem:
    """The 404 for a row that does not exist or is out of the caller's scope (the same)."""
    return Problem.not_found(f"No {model.__name__} {id_} here.")


def get_visible(model: type, id_, principal: Principal):
    """The row with this id if the caller may read it, else a 404 problem."""
    row = db.session.scalar(scoped(model, principal).where(model.id == id_))
    if row is None:
        raise not_found(model, id_)
    return row


def is_visible(model: type, id_, principal: Principal) -> bool:
    """True when the caller may read the row with this id."""
    stmt = select(model.id).where(model.id == id_, visible(model, principal))
    return db.session.scalar(stmt) is not None


def unit_ids_under(path: str):
    """Select: ids of the org units at or below the unit whose path is ``path``."""
    return select(OrgUnit.id).where(in_subtree(path))


def in_unit_filter(column, org_unit_id: int, principal: Principal) -> ColumnElement[bool]:
    """The ``org_unit_id`` filter of a list: ``column`` (a row's unit) lies at or below that
    unit. A unit outside the caller's scope is a 422, as if it did not exist."""
    if not is_visible(OrgUnit, org_unit_id, principal):
        raise Problem.invalid("org_unit_id", "No such org unit in your scope.")
    root = db.session.get(OrgUnit, org_unit_id)
    return column.in_(unit_ids_under(root.path))


def filtered(model, principal: Principal, filters: dict, equal: tuple[str, ...] = ()):
    """The rows of ``model`` the caller may see, narrowed by a list's filters: each name in
    ``equal`` present in ``filters`` by equality, and ``org_unit_id`` as that unit and its
    subtree (``in_unit_filter``)."""
    stmt = scoped(model, principal).where(
        *(getattr(model, name) == filters[name] for name in equal if name in filters))
    if "org_unit_id" in filters:
        stmt = stmt.where(in_unit_filter(model.org_unit_id, filters["org_unit_id"], principal))
    return stmt


def forbidden(detail: str) -> Problem:
    """403 for an action the caller's role may never take."""
    return Problem(403, detail, slug="forbidden")


def require_org_unit_admin(principal: Principal, parent: OrgUnit | None) -> None:
    """Creating org units: admins anywhere; managers only below their own unit."""
    if principal.has("admin"):
        return
    if not principal.has("manager"):
        raise forbidden("Only admins and managers may create org units.")
    if parent is None or not parent.path.startswith(principal.org_path):
        raise forbidden("Managers may create org units only inside their own unit.")


# Roles a manager may hand out: everything but admin.
MANAGER_GRANTABLE = frozenset({"manager", "commissioner", "butler", "handler", "firm"})


def require_user_admin(principal: Principal, org_unit: OrgUnit, roles) -> None:
    """Creating or changing users: admins any; managers inside their subtree, never admin."""
    if principal.has("admin"):
        return
    if not principal.has("manager"):
        raise forbidden("Only admins and managers may manage users.")
    if not org_unit.path.startswith(principal.org_path):
        raise forbidden("Managers may manage users only inside their own unit.")
    if not set(roles) <= MANAGER_GRANTABLE:
        raise forbidden("Managers may not grant the admin role.")


def firm_for_user(principal: Principal, firm_id: int) -> Firm:
    """The firm a firm user is given (``firm_id`` of POST/PATCH /users): admins any firm,
    managers a firm of their subtree (the rule they read and change the registry by). A firm
    that does not exist or is out of scope is a 422 on ``firm_id``, as every referenced id in a
    body is; a closed firm gets no new users."""
    if not principal.has("admin", "manager"):
        raise forbidden("Only admins and managers may manage users.")
    stmt = select(Firm).where(Firm.id == firm_id)
    if not principal.has("admin"):
        stmt = stmt.where(_RULES[Firm]["manager"](principal))
    firm = db.session.scalar(stmt)
    if firm is None:
        raise Problem.invalid("firm_id", "No such firm in your scope.")
    if firm.status != "active":
        raise Problem.invalid("firm_id", "This firm is closed; closed firms get no new users.")
    return firm


def require_registry_role(principal: Principal) -> None:
    """Changing the registry at all: admins and managers (checked before reading the body)."""
    if not principal.has("admin", "manager"):
        raise forbidden("Only admins and managers may change the registry.")


def require_registry_admin(principal: Principal, org_unit: OrgUnit) -> None:
    """Changing firms, sites, projects and assignments: admins any; managers in their subtree."""
    if principal.has("admin"):
        return
    require_registry_role(principal)
    if not org_unit.path.startswith(principal.org_path):
        raise forbidden("Managers may change the registry only inside their own unit.")


def stage_mover(principal: Principal, project: Project) -> str:
    """Moving a project's stage: ``"manager"`` for admins and managers whose subtree holds the
    project (they may correct the stage), ``"butler"`` for the butler assigned to it today (one
    step forward); anyone else gets 403.
    """
    if principal.has("admin"):
        return "manager"
    if principal.has("manager"):
        unit = db.session.get(OrgUnit, project.org_unit_id)
        if unit.path.startswith(principal.org_path):
            return "manager"
    if principal.has("butler") and db.session.scalar(select(Assignment.id).where(
            assignments_on(principal.user_id, today()), Assignment.project_id == project.id)):
        return "butler"
    raise forbidden("Only managers in scope and the project's butler may move its stage.")


def require_visit_reviewer(principal: Principal, visit: Visit) -> None:
    """Reviewing visits: admins, and managers whose subtree holds the visit (never their own)."""
    if not principal.has("admin", "manager"):
        raise forbidden("Only managers review visits.")
    if visit.user_id == principal.user_id:
        raise forbidden("Nobody reviews their own visits.")


def holds_firm(user_id: int, firm_id: int, day: date) -> bool:
    """True when ``user_id`` is assigned to the firm on ``day``: directly (a commissioner), or
    through a project the firm owns (a butler). The e-credential's "assigned to us" answer."""
    owned = select(Project.id).where(Project.owner_firm_id == firm_id)
    return db.session.scalar(select(Assignment.id).where(
        assignments_on(user_id, day),
        or_(Assignment.firm_id == firm_id, Assignment.project_id.in_(owned))).limit(1)) \
        is not None
