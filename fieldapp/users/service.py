"""Creating, changing and finding users."""

from flask import current_app
from sqlalchemy import func, or_, select

from fieldapp import scope
from fieldapp.auth.passwords import hash_password, password_problems
from fieldapp.auth.principal import Principal
from fieldapp.errors import Problem
from fieldapp.extensions import db
from models import Department, OrgUnit, ServiceTeam, User


def _invalid(field: str, message: str) -> Problem:
    return Problem(422, "The request has invalid fields.", slug="validation",
                   errors={field: [message]})


def _check_password(password: str) -> str:
    problems = password_problems(password,
                                 production=current_app.config["ENV"] == "production")
    if problems:
        raise Problem(422, "The request has invalid fields.", slug="validation",
                      errors={"password": problems})
    return hash_password(password)


def _apply(principal: Principal, user: User, data: dict) -> None:
    """Validate references against the caller's scope and copy fields onto ``user``."""
    if "org_unit_id" in data:
        if not scope.is_visible(OrgUnit, data["org_unit_id"], principal):
            raise _invalid("org_unit_id", "No such org unit in your scope.")
        user.org_unit_id = data["org_unit_id"]
    for field, model in (("service_team_id", ServiceTeam), ("department_id", Department)):
        if field in data:
            value = data[field]
            if value is not None and not scope.is_visible(model, value, principal):
                raise _invalid(field, f"No such {model.__name__} in your scope.")
            setattr(user, field, value)
    for field in ("display_name", "phone", "is_active"):
        if field in data:
            setattr(user, field, data[field])
    if "roles" in data:
        user.roles = data["roles"]
    if "password" in data:
        user.password_hash = _check_password(data["password"])
    if "handler" in user.roles and user.department_id is None:
        raise _invalid("department_id", "Handlers need a department.")


def create_user(principal: Principal, data: dict) -> User:
    """Add a user inside the caller's scope."""
    unit = scope.get_visible(OrgUnit, data["org_unit_id"], principal)
    scope.require_user_admin(principal, unit, data["roles"])
    taken = db.session.scalar(
        select(User.id).where(func.lower(User.username) == data["username"].lower()))
    if taken is not None:
        raise Problem(409, "This username is taken.", slug="conflict",
                      errors={"username": ["Already taken."]})
    user = User(username=data["username"].lower())
    _apply(principal, user, data)
    db.session.add(user)
    db.session.commit()
    return user


def update_user(principal: Principal, user_id: int, data: dict) -> User:
    """Change a visible user; both the user's current and new unit must be the caller's."""
    user = scope.get_visible(User, user_id, principal)
    scope.require_user_admin(principal, user.org_unit, data.get("roles", user.roles))
    if "org_unit_id" in data:
        target = scope.get_visible(OrgUnit, data["org_unit_id"], principal)
        scope.require_user_admin(principal, target, data.get("roles", user.roles))
    if user.id == principal.user_id and data.get("is_active") is False:
        raise _invalid("is_active", "You cannot deactivate yourself.")
    _apply(principal, user, data)
    db.session.commit()
    return user


def user_query(principal: Principal, filters: dict):
    """The visible users matching ``filters``."""
    stmt = scope.scoped(User, principal)
    if "role" in filters:
        stmt = stmt.where(User.roles_csv.contains(filters["role"]))
    if "org_unit_id" in filters:
        root = scope.get_visible(OrgUnit, filters["org_unit_id"], principal)
        stmt = stmt.where(User.org_unit_id.in_(
            select(OrgUnit.id).where(scope.in_subtree(root.path))))
    if "q" in filters:
        needle = filters["q"].lower()
        stmt = stmt.where(or_(
            func.lower(User.username).contains(needle, autoescape=True),
            func.lower(User.display_name).contains(needle, autoescape=True),
        ))
    if "is_active" in filters:
        stmt = stmt.where(User.is_active == filters["is_active"])
    return stmt
