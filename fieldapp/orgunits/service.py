"""Creating and listing org units."""

from sqlalchemy import select

from fieldapp import scope
from fieldapp.auth.principal import Principal
from fieldapp.errors import Problem
from fieldapp.extensions import db
from models import OrgUnit


def create_org_unit(principal: Principal, data: dict) -> OrgUnit:
    """Add a unit under ``parent_id``; its path is the parent's plus its own id."""
    parent = None
    if data["parent_id"] is not None:
        parent = scope.get_visible(OrgUnit, data["parent_id"], principal)
    elif db.session.scalar(select(OrgUnit.id).limit(1)) is not None:
        raise Problem(422, "The tree has a root already; give parent_id.", slug="validation",
                      errors={"parent_id": ["Required once the tree has a root."]})
    scope.require_org_unit_admin(principal, parent)
    unit = OrgUnit(parent_id=data["parent_id"], name=data["name"], code=data["code"],
                   kind=data["kind"])
    db.session.add(unit)
    db.session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    db.session.commit()
    return unit


def org_unit_query(principal: Principal, filters: dict):
    """The visible units matching ``filters``."""
    stmt = scope.scoped(OrgUnit, principal)
    if "parent_id" in filters:
        stmt = stmt.where(OrgUnit.parent_id == filters["parent_id"])
    if "kind" in filters:
        stmt = stmt.where(OrgUnit.kind == filters["kind"])
    if "within" in filters:
        root = scope.get_visible(OrgUnit, filters["within"], principal)
        stmt = stmt.where(scope.in_subtree(root.path))
    return stmt
