"""``/auth/*`` and ``/me``: log in, refresh, revoke, and who am I."""

from flask import current_app, request

from fieldapp.auth import service
from fieldapp.auth.principal import authenticate, current_principal, login_required
from fieldapp.auth.schemas import PasswordChange, RefreshRequest, TokenRequest, TokenResponse
from fieldapp.extensions import Blueprint, db, limiter
from fieldapp.users.schemas import UserOut
from models import User

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Log-in and sessions")


def _failed(response) -> bool:
    return response.status_code == 401


def _account_key() -> str:
    """The account a log-in names, for the per-account limit.

    It must never raise: flask-limiter reads an exception here as its store failing and counts
    in a fresh in-memory store for a while, which reset the limit. ``silent`` only swallows
    ``ValueError``; a body nested too deeply (RecursionError), cut off mid-way
    (ClientDisconnected) or too large is counted against the client address instead.
    """
    try:
        body = request.get_json(silent=True)
    except Exception:
        return "unreadable-body:" + (request.remote_addr or "unknown")
    name = body.get("username") if isinstance(body, dict) else None
    return "account:" + (name.lower()[:64] if isinstance(name, str) else "")


@blp.route("/auth/token", methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_FAILURES_PER_ACCOUNT"], key_func=_account_key,
               deduct_when=_failed, scope="login-account")
@limiter.limit(lambda: current_app.config["LOGIN_FAILURES_PER_ADDRESS"], deduct_when=_failed,
               scope="login-address")
@blp.arguments(TokenRequest)
@blp.response(200, TokenResponse)
def token(body):
    """Log in with username and password.

    Wrong credentials answer 401 without saying which part was wrong. Failed attempts are
    limited per account and per client address (429 with Retry-After).
    """
    return service.log_in(body["username"], body["password"],
                          user_agent=request.user_agent.string, client_addr=request.remote_addr)


@blp.route("/auth/refresh", methods=["POST"])
@blp.arguments(RefreshRequest)
@blp.response(200, TokenResponse)
def refresh(body):
    """Exchange a refresh token for a new pair; the old refresh token stops working."""
    return service.refresh(body["refresh_token"])


@blp.route("/auth/revoke", methods=["POST"])
@blp.arguments(RefreshRequest)
@blp.response(204)
def revoke(body):
    """End the session of a refresh token (always 204, as RFC 7009 asks)."""
    service.revoke(body["refresh_token"])


@blp.route("/auth/logout", methods=["POST"])
@login_required()
@blp.response(204)
def logout():
    """End the caller's session: its access and refresh tokens stop working at once."""
    service.end_session(current_principal().session_id)


@blp.route("/me", methods=["GET"])
@login_required()
@blp.response(200, UserOut)
def me():
    """The logged-in user, with roles and org unit."""
    return db.session.get(User, current_principal().user_id)


def _wrong_current_password(response) -> bool:
    return response.status_code == 403


def _own_account_key() -> str:
    """The caller's account for the password-change limit; never raises (see _account_key)."""
    try:
        return f"user:{authenticate().user_id}"
    except Exception:
        return "unauthenticated:" + (request.remote_addr or "unknown")


@blp.route("/me/password", methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_FAILURES_PER_ACCOUNT"],
               key_func=_own_account_key, deduct_when=_wrong_current_password,
               scope="password-change")
@login_required()
@blp.arguments(PasswordChange)
@blp.response(204)
def change_password(body):
    """Change your own password (every role); the current one is required.

    A wrong current password is 403 and counts like a failed log-in (429 after too many); a
    new password that breaks the rules is 422 naming ``new_password``. Your other sessions end
    (this one stays); the change is audited. Also how a one-time password set by an admin or
    manager is replaced.
    """
    service.change_own_password(current_principal(), body["current_password"],
                                body["new_password"])
