"""Alembic environment: runs on the connection fieldapp hands over (see fieldapp.migrate)."""

from alembic import context
from geoalchemy2 import alembic_helpers

from fieldapp.migrate import include_object
from models import Base

config = context.config


def run(connection) -> None:
    """Run migrations on ``connection``; GeoAlchemy2's helpers handle spatial columns/indexes."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    raise SystemExit("run migrations through 'fieldapp db upgrade', which supplies the database")
run(connection)
