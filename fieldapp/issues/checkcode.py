"""Check codes (查询码): what a firm types next to the tracking number to follow an issue
without an account.

Tracking numbers are sequential (``XY-2026-000123``), so a number alone would let anyone read
every issue in turn. The check code is derived, not stored: the first 30 bits of
HMAC-SHA256(key, tracking number), written as 6 characters of an alphabet without look-alikes
(no 0/O, 1/I/L). Deriving it means it can be shown again wherever the issue is visible (the
firm's account, the commissioner's phone, Open311's answer) without keeping a secret per row;
the price is that changing the key changes every code, so ``ISSUE_CHECK_CODE_KEY`` is set once.
Unset, it is derived from ``SECRET_KEY`` with its own label, so it is never the key that signs
access tokens. Typing is forgiving: case, spaces and dashes are ignored.
"""

import hashlib
import hmac

from flask import current_app

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 characters, no 0 O 1 I L
LENGTH = 6


def _key() -> bytes:
    configured = current_app.config.get("ISSUE_CHECK_CODE_KEY") or ""
    if configured:
        return configured.encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"fieldapp issue check code v1",
                    hashlib.sha256).digest()


def check_code(tracking_no: str) -> str:
    """The check code of ``tracking_no``."""
    digest = hmac.new(_key(), tracking_no.encode(), hashlib.sha256).digest()
    n = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(LENGTH):
        n, r = divmod(n, len(ALPHABET))
        chars.append(ALPHABET[r])
    return "".join(chars)


def normalise(code: str) -> str:
    """What the firm typed, upper-cased without spaces or dashes."""
    return "".join(ch for ch in code.upper() if ch not in " -")


def matches(tracking_no: str, code: str) -> bool:
    """True when ``code`` is the check code of ``tracking_no`` (constant-time compare)."""
    return hmac.compare_digest(normalise(code).encode(), check_code(tracking_no).encode())
