"""Creating, changing and finding users."""

from flask import current_app
from sqlalchemy import func, or_, select

from fieldapp import scope
from fieldapp.auth.passwords import hash_password, password_problems
from fieldapp.auth.principal import Principal
from fieldapp.auth.service import end_other_sessions
from fieldapp.errors import Problem
from fieldapp.extensions import db
from models import Department, OrgUnit, ServiceTeam, User


def _check_password(password: str) -> str:
    problems = password_problems(password,
                                 production=current_app.config["ENV"] == "production")
    if problems:
        raise Problem.invalid(errors={"password": problems})
    return hash_password(password)


def _firm_changes(principal: Principal, user: User, data: dict) -> dict:
    """Check the firm-user rule on the user as ``data`` would leave them; the changes it adds.

    A firm user (企业用户) has the single role ``firm`` and a ``firm_id``; staff never carry
    one. The pairing is checked when a request sends ``roles`` or ``firm_id``, so a firm user
    recorded before the rule existed can still be renamed or deactivated. A firm user belongs
    to their firm's org unit (their unit follows a new firm) and has no team or department.
    """
    roles = set(data.get("roles") or user.roles)
    firm_id = data.get("firm_id", user.firm_id)
    if user.id is not None and "roles" in data and ("firm" in roles) != ("firm" in user.roles):
        # A firm account and a staff account are different people's: turning one into the
        # other would hand whoever knows its password the other side's data (and a
        # commissioner's assignments to someone who cannot file visits).
        raise Problem.invalid("roles", "A firm account cannot become a staff account, nor the "
                                       "reverse: deactivate it and create a new account.")
    if "roles" in data or "firm_id" in data:
        if "firm" in roles and firm_id is None:
            raise Problem.invalid("firm_id", "A firm user needs firm_id, the firm they work at.")
        if "firm" in roles and roles != {"firm"}:
            raise Problem.invalid("roles", "A firm user has the single role firm.")
        if "firm" not in roles and firm_id is not None:
            raise Problem.invalid("firm_id", "Only firm users (roles [\"firm\"]) belong to a "
                                             "firm; staff have firm_id null.")
    if firm_id is None:
        return {}
    for field, what in (("service_team_id", "service team"), ("department_id", "department")):
        if data.get(field, getattr(user, field)) is not None:
            raise Problem.invalid(field, f"A firm user has no {what}.")
    moving = firm_id != user.firm_id
    # A firm closed since the user got it does not stop other changes to that user.
    firm = scope.firm_for_user(principal, firm_id) if moving else user.firm
    if moving and user.id is not None and "password" not in data:
        raise Problem.invalid("password", "Moving a firm user to another firm needs a new "
                                          "one-time password in the same request: whoever "
                                          "knew the old one must not read the new firm's data.")
    if data.get("org_unit_id", firm.org_unit_id) != firm.org_unit_id:
        raise Problem.invalid("org_unit_id", f"A firm user belongs to their firm's org unit "
                                             f"({firm.org_unit_id}).")
    return {"org_unit_id": firm.org_unit_id} if moving else {}


def _apply(principal: Principal, user: User, data: dict) -> None:
    """Validate ``data`` against the caller's scope, then copy it onto ``user``.

    Everything is checked before the first attribute changes: a refused request must leave the
    user untouched, not half-changed in the session (where the next flush would write it).
    """
    if "org_unit_id" in data and not scope.is_visible(OrgUnit, data["org_unit_id"], principal):
        raise Problem.invalid("org_unit_id", "No such org unit in your scope.")
    data = {**data, **_firm_changes(principal, user, data)}
    for field, model in (("service_team_id", ServiceTeam), ("department_id", Department)):
        value = data.get(field)
        if value is not None and not scope.is_visible(model, value, principal):
            raise Problem.invalid(field, f"No such {model.__name__} in your scope.")
    roles = data.get("roles") or user.roles  # never empty when given (schema: 1+ roles)
    department_id = data.get("department_id", user.department_id)
    if "handler" in roles and department_id is None:
        raise Problem.invalid("department_id", "Handlers need a department.")
    password_hash = _check_password(data["password"]) if "password" in data else None

    for field in ("org_unit_id", "service_team_id", "department_id", "firm_id", "display_name",
                  "phone", "is_active"):
        if field in data:
            setattr(user, field, data[field])
    if "roles" in data:
        user.roles = data["roles"]
    if password_hash is not None:
        # Chosen by an admin or manager for someone else: a one-time password.
        user.password_hash = password_hash
        user.password_must_change = True


def create_user(principal: Principal, data: dict) -> User:
    """Add a user inside the caller's scope; a firm user (``firm_id``) in their firm's unit."""
    if "org_unit_id" not in data:  # then the schema saw a firm_id: the unit is the firm's
        data = {**data, "org_unit_id": scope.firm_for_user(principal, data["firm_id"]).org_unit_id}
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
        raise Problem.invalid("is_active", "You cannot deactivate yourself.")
    if user.id == principal.user_id and "password" in data:
        # With a stolen access token this would take the account over for good.
        raise Problem.invalid("password", "Change your own password with POST /api/v1/me/password, "
                                   "giving the current one.")
    deactivating = user.is_active and data.get("is_active") is False
    _apply(principal, user, data)
    if deactivating or "password" in data:
        # End every session now: reactivating the user later must not revive old tokens, and
        # whoever knew the old password is out.
        end_other_sessions(user.id)
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
