"""``/auth/*`` and ``/me``: log in, refresh, revoke, and who am I.

Two ways to hold a session. API clients get both tokens in the body (``/auth/token``). The
web pages use ``/auth/session``: the access token comes in the body and lives only in the
page's memory; the refresh token is an ``HttpOnly; SameSite=Strict`` cookie that only the
``/auth/session`` endpoints receive, so no script can read it. Those endpoints act on a cookie,
so they also demand the ``X-Fieldapp-CSRF: 1`` header (a cross-site form or image cannot send a
custom header, and without CORS a cross-site script cannot either) and refuse a request whose
``Origin`` or ``Sec-Fetch-Site`` names another site.
"""

from urllib.parse import urlsplit

from flask import after_this_request, current_app, request

from fieldapp.auth import service
from fieldapp.auth.principal import authenticate, current_principal, login_required
from fieldapp.auth.schemas import (
    PasswordChange,
    RefreshRequest,
    SessionResponse,
    TokenRequest,
    TokenResponse,
)
from fieldapp.errors import Problem
from fieldapp.extensions import Blueprint, db, limiter
from fieldapp.schemas import UserOut
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


def _login_limits(view):
    """Failed log-ins counted per account and per address, shared by both log-in endpoints."""
    view = limiter.shared_limit(lambda: current_app.config["LOGIN_FAILURES_PER_ADDRESS"],
                                deduct_when=_failed, scope="login-address")(view)
    return limiter.shared_limit(lambda: current_app.config["LOGIN_FAILURES_PER_ACCOUNT"],
                                key_func=_account_key, deduct_when=_failed,
                                scope="login-account")(view)


@blp.route("/auth/token", methods=["POST"])
@_login_limits
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


REFRESH_COOKIE = "fieldapp_refresh"
SESSION_PATH = "/api/v1/auth/session"
CSRF_HEADER = "X-Fieldapp-CSRF"


def _set_refresh_cookie(token: str | None) -> None:
    """Set (or, with None, clear) the refresh cookie on the response being built."""

    @after_this_request
    def _cookie(response):
        secure = request.is_secure or current_app.config["ENV"] == "production"
        if token is None:
            response.delete_cookie(REFRESH_COOKIE, path=SESSION_PATH, secure=secure,
                                   httponly=True, samesite="Strict")
        else:
            response.set_cookie(REFRESH_COOKIE, token, path=SESSION_PATH, secure=secure,
                                httponly=True, samesite="Strict",
                                max_age=current_app.config["REFRESH_TOKEN_TTL"])
        return response


def _require_same_site() -> None:
    """Refuse cross-site calls to the endpoints that act on the cookie (403)."""
    origin = request.headers.get("Origin")
    host = urlsplit(request.host_url)
    if origin is not None and urlsplit(origin)[:2] != host[:2]:
        raise Problem(403, "Cross-site request refused.", slug="csrf")
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in {"same-origin", "none"}:
        raise Problem(403, "Cross-site request refused.", slug="csrf")
    if request.headers.get(CSRF_HEADER) != "1":
        raise Problem(403, f"The {CSRF_HEADER} header is required.", slug="csrf")


def _session_body(pair: service.TokenPair) -> dict:
    _set_refresh_cookie(pair.refresh_token)
    return {"access_token": pair.access_token, "token_type": pair.token_type,
            "expires_in": pair.expires_in,
            "password_change_required": pair.password_change_required}


@blp.route("/auth/session", methods=["POST"])
@_login_limits
@blp.arguments(TokenRequest)
@blp.response(200, SessionResponse)
def open_session(body):
    """Log in from a web page: the access token in the body, the refresh token as a cookie.

    The cookie is ``HttpOnly; SameSite=Strict; Path=/api/v1/auth/session`` (and ``Secure``
    over HTTPS). Failed attempts count against the same limits as ``/auth/token``.
    """
    _require_same_site()
    return _session_body(service.log_in(body["username"], body["password"],
                                        user_agent=request.user_agent.string,
                                        client_addr=request.remote_addr))


@blp.route("/auth/session/refresh", methods=["POST"])
@blp.response(200, SessionResponse)
def refresh_session():
    """A new access token for the page, rotating the refresh cookie.

    Needs the ``X-Fieldapp-CSRF: 1`` header. Pages serialise this call across tabs: a rotated
    refresh token sent again ends the session (as with ``/auth/refresh``).
    """
    _require_same_site()
    token = request.cookies.get(REFRESH_COOKIE)
    if not token:
        raise Problem(401, "Not logged in.", slug="invalid-token")
    try:
        return _session_body(service.refresh(token))
    except Problem:
        _set_refresh_cookie(None)
        raise


@blp.route("/auth/session", methods=["DELETE"])
@blp.response(204)
def close_session():
    """Log out the page's session (needs ``X-Fieldapp-CSRF: 1``); the cookie is cleared."""
    _require_same_site()
    token = request.cookies.get(REFRESH_COOKIE)
    if token:
        service.revoke(token)
    _set_refresh_cookie(None)
