"""Password hashing with Argon2id, and the rules a new password must meet."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verifying against this when the username is unknown makes both failures cost the same time,
# so response timing does not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("fieldapp-dummy-password")

MIN_LENGTH = 10
# The fixed demo log-ins (one per role, loaded by `fieldapp demo`). Production refuses to start
# while one of these accounts still has its demo password, and refuses them as new passwords.
DEMO_ACCOUNTS = {role: f"fieldapp-{role}" for role in
                 ("admin", "manager", "commissioner", "butler", "handler", "firm")}
DEMO_PASSWORDS = frozenset(DEMO_ACCOUNTS.values())


def hash_password(password: str) -> str:
    """Argon2id hash with the library's current recommended parameters."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; always spends one full verification."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problems(password: str, *, production: bool) -> list[str]:
    """Reasons a new password is refused (empty when acceptable)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Must be at least {MIN_LENGTH} characters.")
    if production and password in DEMO_PASSWORDS:
        problems.append("Demo passwords are not allowed in production.")
    return problems
