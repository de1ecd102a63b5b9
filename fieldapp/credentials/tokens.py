"""Credential tokens: short-lived, signed, checkable without a database look-up.

Format (version 1), for a user id ``u`` and an expiry ``e`` (Unix seconds, rounded up to a
whole minute):

- **QR token** ``{u}.{e}.{mac}``: ``mac`` = the first 22 characters (132 bits) of the
  base64url HMAC-SHA256 of ``"qr|{u}|{e}"`` under the credential key. The QR code holds
  ``{origin}/verify/{token}``.
- **Short code** ``{u}-{code}``: ``code`` = 6 characters (no look-alikes) of the HMAC-SHA256
  of ``"short|{u}|{e}"``. It names no expiry, so the checker tries each whole minute in the
  window an unexpired code can have (``ttl`` + 1 minute ahead) — and, to tell "expired" from
  "wrong", the hour before.

The key is ``CREDENTIAL_KEY``, or (unset) one derived from ``SECRET_KEY`` under its own label:
never the key that signs access tokens, so neither kind of token can pass for the other.
Lifetime: ``CREDENTIAL_TTL`` seconds (300). The phone fetches a new one every minute while the
credential is on screen; offline, the last one stays valid until it expires.
"""

import base64
import hashlib
import hmac
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TOKEN = re.compile(r"^(\d{1,12})\.(\d{10,12})\.([A-Za-z0-9_-]{22})$")
SHORT = re.compile(r"^(\d{1,12})-([2-9A-HJKMNP-Z]{6})$")
LOOK_BACK_S = 3600


class CredentialRefused(Exception):
    """``reason``: ``malformed``, ``tampered`` (signature wrong) or ``expired``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Credential:
    user_id: int
    expires_at: datetime
    token: str
    short_code: str


def _mac(key: bytes, kind: str, user_id: int, exp: int) -> bytes:
    return hmac.new(key, f"{kind}|{user_id}|{exp}".encode(), hashlib.sha256).digest()


def _qr_mac(key: bytes, user_id: int, exp: int) -> str:
    return base64.urlsafe_b64encode(_mac(key, "qr", user_id, exp)).decode()[:22]


def _short_mac(key: bytes, user_id: int, exp: int) -> str:
    n = int.from_bytes(_mac(key, "short", user_id, exp)[:8], "big")
    chars = []
    for _ in range(6):
        n, r = divmod(n, len(ALPHABET))
        chars.append(ALPHABET[r])
    return "".join(chars)


def issue(user_id: int, now: datetime, ttl: int, key: bytes) -> Credential:
    """A credential for ``user_id`` valid for ``ttl`` seconds (to the next whole minute)."""
    exp = math.ceil((now.timestamp() + ttl) / 60) * 60
    return Credential(user_id, datetime.fromtimestamp(exp, UTC),
                      f"{user_id}.{exp}.{_qr_mac(key, user_id, exp)}",
                      f"{user_id}-{_short_mac(key, user_id, exp)}")


def read_token(token: str, now: datetime, key: bytes) -> tuple[int, datetime]:
    """(user id, expiry) of a valid QR token; raises CredentialRefused."""
    match = TOKEN.match(token or "")
    if not match:
        raise CredentialRefused("malformed")
    user_id, exp = int(match[1]), int(match[2])
    if not hmac.compare_digest(match[3], _qr_mac(key, user_id, exp)):
        raise CredentialRefused("tampered")
    if exp <= now.timestamp():
        raise CredentialRefused("expired")
    return user_id, datetime.fromtimestamp(exp, UTC)


def read_short_code(code: str, now: datetime, ttl: int, key: bytes) -> tuple[int, datetime]:
    """(user id, expiry) of a valid short code; raises CredentialRefused (``tampered`` when no
    minute of the last hour or the valid window matches)."""
    match = SHORT.match("".join((code or "").upper().split()))
    if not match:
        raise CredentialRefused("malformed")
    user_id, given = int(match[1]), match[2]
    minute = math.floor(now.timestamp() / 60) * 60
    for exp in range(minute + math.ceil(ttl / 60) * 60 + 60, minute - LOOK_BACK_S, -60):
        if hmac.compare_digest(given, _short_mac(key, user_id, exp)):
            if exp <= now.timestamp():
                raise CredentialRefused("expired")
            return user_id, datetime.fromtimestamp(exp, UTC)
    raise CredentialRefused("tampered")
