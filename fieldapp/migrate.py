"""Running the Alembic migrations on fieldapp's database, and comparing them with the models."""

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from geoalchemy2 import alembic_helpers
from sqlalchemy.engine import Connection, Engine

from models import Base

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

# SpatiaLite's own tables that GeoAlchemy2's filter does not already hide.
_SPATIALITE_TABLES = frozenset({
    "ElementaryGeometries", "KNN", "KNN2", "SpatialIndex", "data_licenses", "sql_statements_log",
})


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Compare only fieldapp's own objects, not the spatial extensions' bookkeeping."""
    if type_ == "table" and name in _SPATIALITE_TABLES:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic Config pointing at ``migrations/``, bound to ``connection``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` in one transaction."""
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database down to ``revision``."""
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), revision)


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a new migration script from the difference between models and database."""
    with engine.begin() as conn:
        command.revision(alembic_config(conn), message=message, autogenerate=True)


def differences(engine: Engine) -> list:
    """What the models have that the migrated database lacks (empty when they agree)."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={
            "compare_type": True,
            "include_object": include_object,
        })
        return compare_metadata(ctx, Base.metadata)
