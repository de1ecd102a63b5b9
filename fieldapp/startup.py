"""Start-up refusals for production: no default secret, no demo passwords."""

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from fieldapp.auth.passwords import DEMO_ACCOUNTS, verify_password
from fieldapp.config import DEFAULT_SECRET_KEY
from fieldapp.extensions import db
from models import User


class UnsafeProduction(RuntimeError):
    """Production settings that must be fixed before serving."""


def refuse_unsafe_production(app: Flask) -> None:
    """Raise when production would run with the dev secret or any demo password in use."""
    if app.config["SECRET_KEY"] in {DEFAULT_SECRET_KEY, ""} or len(app.config["SECRET_KEY"]) < 32:
        raise UnsafeProduction(
            "FIELDAPP_SECRET_KEY must be set to a random value of at least 32 characters "
            "in production (e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))').")
    with app.app_context():
        try:
            demo_users = db.session.execute(
                select(User.username, User.password_hash)
                .where(User.username.in_(DEMO_ACCOUNTS), User.is_active.is_(True))
            ).all()
        except SQLAlchemyError:
            return  # no schema yet: the migrations create no users, so nothing to refuse
        finally:
            db.session.rollback()
    weak = sorted(name for name, hashed in demo_users
                  if verify_password(hashed, DEMO_ACCOUNTS[name]))
    if weak:
        raise UnsafeProduction(
            "refusing to start in production: these accounts still have demo passwords: "
            + ", ".join(weak) + ". Change them (PATCH /api/v1/users/{id}) or remove them.")
