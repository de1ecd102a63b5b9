"""Access tokens (short-lived JWTs naming their session) and opaque refresh tokens."""

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

import jwt

ALGORITHM = "HS256"
ISSUER = "fieldapp"


class TokenInvalid(Exception):
    """The token is malformed, expired, forged or of the wrong kind."""


def encode_access(user_id: int, session_id: str, now: datetime, ttl: int, key: str) -> str:
    """A signed access token for ``user_id`` in session ``session_id``."""
    claims = {
        "iss": ISSUER,
        "sub": str(user_id),
        "sid": session_id,
        "typ": "access",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def decode_access(token: str, key: str) -> tuple[int, str]:
    """(user_id, session_id) from a valid access token; raises TokenInvalid otherwise."""
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], issuer=ISSUER,
                            options={"require": ["exp", "iat", "sub", "sid"]})
    except jwt.PyJWTError as exc:
        raise TokenInvalid(str(exc)) from exc
    if claims.get("typ") != "access":
        raise TokenInvalid("not an access token")
    try:
        return int(claims["sub"]), str(claims["sid"])
    except (TypeError, ValueError) as exc:
        raise TokenInvalid("bad subject") from exc


def new_refresh_token(session_id: str) -> str:
    """``<session id>.<256 random bits>``: the session part lets us find the row to check."""
    return f"{session_id}.{secrets.token_urlsafe(32)}"


def split_refresh_token(token: str) -> tuple[str, str]:
    """(session_id, token hash); raises TokenInvalid when the shape is wrong."""
    session_id, sep, secret = token.partition(".")
    if not sep or len(secret) < 20 or not _is_uuid(session_id):
        # Checked here so junk (e.g. a NUL byte, which PostgreSQL refuses) never reaches a query.
        raise TokenInvalid("malformed refresh token")
    return session_id, hash_refresh_token(token)


def hash_refresh_token(token: str) -> str:
    """SHA-256 hex: refresh tokens are random, so a fast hash is enough to store them safely."""
    return hashlib.sha256(token.encode()).hexdigest()


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False
