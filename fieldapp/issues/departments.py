"""Departments and issue categories: who handles what (the routing suggestion), and each
category's service level."""

from sqlalchemy import delete, insert, select

from fieldapp import scope
from fieldapp.auth.principal import Principal
from fieldapp.errors import Problem
from fieldapp.extensions import db
from models import Department, IssueCategory, OrgUnit, department_categories


def _categories_of(department_id: int) -> list[str]:
    return sorted(db.session.scalars(select(department_categories.c.category).where(
        department_categories.c.department_id == department_id)))


def department_out(department: Department) -> dict:
    """A department with the categories it handles."""
    return {"id": department.id, "name": department.name,
            "org_unit_id": department.org_unit_id,
            "categories": _categories_of(department.id)}


def _set_categories(department_id: int, codes: list[str]) -> None:
    known = set(db.session.scalars(select(IssueCategory.code)))
    unknown = sorted(set(codes) - known)
    if unknown:
        raise Problem.invalid("categories", f"Unknown categories: {', '.join(unknown)}.")
    db.session.execute(delete(department_categories).where(
        department_categories.c.department_id == department_id))
    if codes:
        db.session.execute(insert(department_categories), [
            {"department_id": department_id, "category": c} for c in sorted(set(codes))])


def categories() -> list[IssueCategory]:
    """Every category, by code."""
    return db.session.scalars(select(IssueCategory).order_by(IssueCategory.code)).all()


def update_category(code: str, data: dict) -> IssueCategory:
    """Change a category's name or service level; issues keep the deadlines they have."""
    category = db.session.get(IssueCategory, code)
    if category is None:
        raise Problem.not_found(f"No category {code}.")
    for name, value in data.items():
        setattr(category, name, value)
    db.session.commit()
    return category


def departments(principal: Principal) -> list[dict]:
    """Departments in scope with their categories."""
    return [department_out(d) for d in db.session.scalars(
        scope.scoped(Department, principal).order_by(Department.id))]


def create_department(principal: Principal, data: dict) -> dict:
    """Add a department to a unit (admins; managers inside their subtree)."""
    unit = db.session.get(OrgUnit, data["org_unit_id"])
    if unit is None:
        raise Problem.invalid("org_unit_id", "No such org unit.")
    scope.require_registry_admin(principal, unit)
    department = Department(name=data["name"], org_unit_id=unit.id)
    db.session.add(department)
    db.session.flush()
    _set_categories(department.id, data["categories"])
    db.session.commit()
    return department_out(department)


def replace_categories(principal: Principal, department_id: int, codes: list[str]) -> dict:
    """Replace the categories a department handles (admins; managers in scope)."""
    department = scope.get_visible(Department, department_id, principal)
    scope.require_registry_admin(principal, db.session.get(OrgUnit, department.org_unit_id))
    _set_categories(department.id, codes)
    db.session.commit()
    return department_out(department)
