"""Who may see and change what: every access rule of fieldapp lives in this module.

Reads: ``visible(Model, principal)`` is the SQL condition for the rows the caller may see;
every list and every fetch by id goes through ``scoped`` / ``get_visible``. A row outside the
caller's scope reads as 404 (not 403), so ids of other units and other firms do not leak.

Rules per model and role (a user with several roles sees the union):

- admin: everything.
- manager: their org-unit subtree (city managers the city, county managers the county).
- commissioner, butler: their own unit and themselves; the firms and projects assigned to them
  arrive with the registry (add their rules to ``_RULES`` with an assignment subquery).
- handler: their own unit, department and themselves.
- firm: their own unit and themselves; their own firm arrives with the registry.

Writes: ``require_*`` functions below raise 403 (role may never) or 404 (target not visible).
"""

from collections.abc import Callable

from sqlalchemy import false, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from fieldapp.auth.principal import Principal
from fieldapp.errors import Problem
from fieldapp.extensions import db
from models import AuditEvent, Department, OrgUnit, ServiceTeam, User

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


def get_visible(model: type, id_, principal: Principal):
    """The row with this id if the caller may read it, else a 404 problem."""
    row = db.session.scalar(scoped(model, principal).where(model.id == id_))
    if row is None:
        raise Problem(404, f"No {model.__name__} {id_} here.", slug="not-found")
    return row


def is_visible(model: type, id_, principal: Principal) -> bool:
    """True when the caller may read the row with this id."""
    stmt = select(model.id).where(model.id == id_, visible(model, principal))
    return db.session.scalar(stmt) is not None


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
