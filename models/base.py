"""Declarative base, metadata naming convention and the column types every model shares."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData, TypeDecorator
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """An aware datetime stored as UTC.

    SQLite keeps no offset, so values are written as naive UTC there and made aware again on
    read; PostgreSQL stores ``timestamptz``. Naive datetimes are refused: a time without an offset
    is a bug waiting to happen in an app that reports in Asia/Shanghai.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Normalise to UTC; refuse naive values."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        """Return an aware UTC datetime whatever the database kept."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Base class of every fieldapp table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class Audited:
    """Mixin: every insert, update and delete of this model is written to the audit log.

    ``__audit_redact__`` names columns whose values never reach the log (only that they changed).
    """

    __audit_redact__: frozenset[str] = frozenset()

    def audit_org_unit_id(self) -> int | None:
        """The org unit that decides which managers may read this entity's audit trail."""
        return getattr(self, "org_unit_id", None)
