"""Who is calling: the bearer token is checked against its live session on every request."""

import functools
from dataclasses import dataclass

from flask import current_app, g, request
from sqlalchemy import bindparam, select

from fieldapp.auth.tokens import TokenInvalid, decode_access
from fieldapp.errors import Problem
from fieldapp.extensions import db
from models import AuthSession, OrgUnit, User, utcnow
from models.user import roles_of


@dataclass(frozen=True)
class Principal:
    """The authenticated caller, as the scope rules need them."""

    user_id: int
    username: str
    roles: frozenset[str]
    org_unit_id: int
    org_path: str
    service_team_id: int | None
    department_id: int | None
    session_id: str
    firm_id: int | None = None
    password_must_change: bool = False

    def has(self, *roles: str) -> bool:
        """True when the caller holds any of ``roles``."""
        return bool(self.roles.intersection(roles))


def _unauthorized(detail: str) -> Problem:
    return Problem(401, detail, slug="unauthorized")


# The session check, built once: every request runs it, and it reads the session row itself (not
# a per-worker cache), so a logout, a revocation or a deactivated account is refused by every
# worker on the very next request. Three primary-key lookups in one statement; psycopg prepares
# it on the server after a few runs. Executed as Core on the request's connection: the ORM's
# per-statement work cost more than the lookup (bench/platform.py).
_SESSION_CHECK = (
    select(*(column.label(column.key) for column in (
        AuthSession.revoked_at, AuthSession.expires_at, User.username, User.roles_csv,
        User.is_active, User.org_unit_id, OrgUnit.path, User.service_team_id,
        User.department_id, User.firm_id, User.password_must_change)))
    .join(User, User.id == AuthSession.user_id)
    .join(OrgUnit, OrgUnit.id == User.org_unit_id)
    .where(AuthSession.id == bindparam("session_id"), User.id == bindparam("user_id")))


def authenticate() -> Principal:
    """Resolve the Authorization header to a Principal, or raise a 401 problem."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("Send 'Authorization: Bearer <access_token>'.")
    try:
        user_id, session_id = decode_access(token.strip(), current_app.config["SECRET_KEY"])
    except TokenInvalid:
        raise _unauthorized("The access token is invalid or expired.") from None
    row = db.session.connection().execute(
        _SESSION_CHECK, {"session_id": session_id, "user_id": user_id}).first()
    if row is None:
        raise _unauthorized("The access token is invalid or expired.")
    if row.revoked_at is not None or row.expires_at <= utcnow() or not row.is_active:
        raise _unauthorized("This session has ended; log in again.")
    return Principal(
        user_id=user_id, username=row.username,
        roles=roles_of(row.roles_csv),
        org_unit_id=row.org_unit_id, org_path=row.path,
        service_team_id=row.service_team_id, department_id=row.department_id,
        session_id=session_id, firm_id=row.firm_id,
        password_must_change=row.password_must_change,
    )


def current_principal() -> Principal:
    """The caller of this request (``login_required`` must have run)."""
    return g.principal


# What a user holding a one-time password may still do: see who they are, change it, leave.
ONE_TIME_PASSWORD_ENDPOINTS = frozenset({"auth.me", "auth.change_password", "auth.logout"})


def login_required(*roles: str):
    """Require a valid bearer token and, when given, one of ``roles`` (else 403).

    A user whose password an admin or manager set gets 403 ``password-change-required``
    everywhere but ``ONE_TIME_PASSWORD_ENDPOINTS`` until they change it.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal = authenticate()
            g.principal = principal
            if (principal.password_must_change
                    and request.endpoint not in ONE_TIME_PASSWORD_ENDPOINTS):
                raise Problem(403, "Your password was set by an administrator: change it with "
                              "POST /api/v1/me/password before anything else.",
                              slug="password-change-required")
            if roles and not principal.has(*roles):
                raise Problem(403, "Your role may not do this.", slug="forbidden")
            return view(*args, **kwargs)

        wrapper.login_required = True  # the OpenAPI document marks it (fieldapp.apidoc)
        return wrapper

    return decorator
