"""Log-in, refresh with rotation, and revocation."""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from fieldapp.auth.passwords import verify_password
from fieldapp.auth.tokens import (
    TokenInvalid,
    encode_access,
    hash_refresh_token,
    new_refresh_token,
    split_refresh_token,
)
from fieldapp.errors import Problem
from fieldapp.extensions import db
from models import AuthSession, User, utcnow


@dataclass(frozen=True)
class TokenPair:
    """What the token endpoints return."""

    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"


def _bad_credentials() -> Problem:
    # One message for unknown user, wrong password and disabled account: no hint for guessers.
    return Problem(401, "Wrong username or password.", slug="bad-credentials")


def _issue(session: AuthSession) -> TokenPair:
    cfg = current_app.config
    refresh = new_refresh_token(session.id)
    session.refresh_hash = hash_refresh_token(refresh)
    session.last_used_at = utcnow()
    access = encode_access(session.user_id, session.id, utcnow(), cfg["ACCESS_TOKEN_TTL"],
                           cfg["SECRET_KEY"])
    return TokenPair(access, refresh, cfg["ACCESS_TOKEN_TTL"])


def log_in(username: str, password: str, *, user_agent: str | None,
           client_addr: str | None) -> TokenPair:
    """Check the credentials and open a new session; 401 without saying which part was wrong."""
    # No username holds a NUL byte, and PostgreSQL refuses one in a query: treat it as unknown.
    user = None if "\x00" in username else db.session.scalar(
        select(User).where(func.lower(User.username) == username.lower()))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        raise _bad_credentials()
    now = utcnow()
    session = AuthSession(
        id=str(uuid.uuid4()), user_id=user.id, refresh_hash="",
        created_at=now,
        expires_at=now + timedelta(seconds=current_app.config["REFRESH_TOKEN_TTL"]),
        user_agent=(user_agent or "")[:255] or None, client_addr=client_addr,
    )
    db.session.add(session)
    pair = _issue(session)
    db.session.commit()
    return pair


def refresh(token: str) -> TokenPair:
    """Rotate: a valid refresh token buys a new pair; a replayed old one ends the session."""
    invalid = Problem(401, "The refresh token is invalid or expired.", slug="invalid-token")
    try:
        session_id, token_hash = split_refresh_token(token)
    except TokenInvalid:
        raise invalid from None
    session = db.session.get(AuthSession, session_id, with_for_update=True)
    if session is None or session.revoked_at is not None or session.expires_at <= utcnow():
        raise invalid
    if session.refresh_hash != token_hash:
        session.revoked_at = utcnow()  # replay of a rotated token: treat the family as stolen
        db.session.commit()
        raise invalid
    if not db.session.get(User, session.user_id).is_active:
        raise invalid
    pair = _issue(session)
    db.session.commit()
    return pair


def revoke(token: str) -> None:
    """End the session a refresh token belongs to. Unknown tokens are ignored (RFC 7009)."""
    try:
        session_id, token_hash = split_refresh_token(token)
    except TokenInvalid:
        return
    session = db.session.get(AuthSession, session_id)
    if session is not None and session.refresh_hash == token_hash and session.revoked_at is None:
        session.revoked_at = utcnow()
        db.session.commit()


def end_session(session_id: str) -> None:
    """Log out the caller's own session (access tokens of it stop working at once)."""
    session = db.session.get(AuthSession, session_id)
    if session is not None and session.revoked_at is None:
        session.revoked_at = utcnow()
        db.session.commit()
