"""The Alembic migrations build the schema the models describe, on both databases."""

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from fieldapp import migrate
from fieldapp.extensions import db
from models import Base


def test_migrated_database_matches_the_models(app):
    assert migrate.differences(db.engine) == []


def test_migrations_create_every_model_table_and_record_head(app):
    head = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
    names = set(inspect(db.engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= names
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head


def test_downgrade_to_base_and_upgrade_again_leaves_a_working_schema(app):
    migrate.downgrade(db.engine, "base")
    assert "users" not in inspect(db.engine).get_table_names()
    migrate.upgrade(db.engine)
    assert migrate.differences(db.engine) == []


def test_the_visits_index_built_beforehand_is_found_done_by_0013(app):
    """The README's production notes: on a large table the covering index of 0013 is built
    without blocking writes before the upgrade, and the upgrade then keeps it."""
    migrate.downgrade(db.engine, "0012")
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text(
                "CREATE INDEX ix_visits_covering_new ON visits (org_unit_id, captured_at) "
                "INCLUDE (user_id, firm_id, status, received_at, flags, id)"))
            conn.execute(text("DROP INDEX ix_visits_org_unit_id_captured_at"))
            conn.execute(text("ALTER INDEX ix_visits_covering_new "
                              "RENAME TO ix_visits_org_unit_id_captured_at"))
            oid = conn.execute(text("SELECT 'ix_visits_org_unit_id_captured_at'::regclass::oid")
                               ).scalar()
    migrate.upgrade(db.engine)
    assert migrate.differences(db.engine) == []
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            assert conn.execute(text(
                "SELECT 'ix_visits_org_unit_id_captured_at'::regclass::oid")).scalar() == oid
