"""Log-in, refresh with rotation, and revocation."""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from fieldapp.auth.passwords import hash_password, password_problems, verify_password
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
    password_change_required: bool = False


def _bad_credentials() -> Problem:
    # One message for unknown user, wrong password and disabled account: no hint for guessers.
    return Problem(401, "Wrong username or password.", slug="bad-credentials")


def _issue(session: AuthSession, user: User) -> TokenPair:
    cfg = current_app.config
    refresh = new_refresh_token(session.id)
    session.refresh_hash = hash_refresh_token(refresh)
    session.last_used_at = utcnow()
    access = encode_access(session.user_id, session.id, utcnow(), cfg["ACCESS_TOKEN_TTL"],
                           cfg["SECRET_KEY"])
    return TokenPair(access, refresh, cfg["ACCESS_TOKEN_TTL"],
                     password_change_required=user.password_must_change)


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
    pair = _issue(session, user)
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
    user = db.session.get(User, session.user_id)
    if not user.is_active:
        raise invalid
    pair = _issue(session, user)
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


def end_other_sessions(user_id: int, keep: str | None = None) -> None:
    """Revoke every live session of the user but ``keep``: after a password change, whoever
    held the old password (or a stolen token) is out."""
    stmt = update(AuthSession).where(AuthSession.user_id == user_id,
                                     AuthSession.revoked_at.is_(None))
    if keep is not None:
        stmt = stmt.where(AuthSession.id != keep)
    db.session.execute(stmt.values(revoked_at=utcnow()))


def change_own_password(principal, current: str, new: str) -> None:
    """``POST /me/password``: the current password, then the rules for a new one.

    A wrong current password is 403 (and counts towards the per-account failure limit); the
    caller's other sessions end; the change is audited as an update of the user (the hash
    redacted).
    """
    user = db.session.get(User, principal.user_id)
    if not verify_password(user.password_hash, current):
        raise Problem(403, "The current password is wrong.", slug="wrong-password",
                      errors={"current_password": ["Wrong password."]})
    problems = password_problems(new, production=current_app.config["ENV"] == "production")
    if new == current:
        problems.append("Must differ from the current password.")
    if problems:
        raise Problem(422, "The request has invalid fields.", slug="validation",
                      errors={"new_password": problems})
    user.password_hash = hash_password(new)
    user.password_must_change = False
    end_other_sessions(user.id, keep=principal.session_id)
    db.session.commit()
