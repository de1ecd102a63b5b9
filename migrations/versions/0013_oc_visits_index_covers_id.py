"""The visits' covering index carries ``id`` too: the visit-rate report counts the visits the
firm confirmed (``firm_confirmations.visit_id``, since 0011) by id, which made every report a
heap fetch per visit again (measured, a province's month of 40,000 visits: 236 ms, 34,000 pages
read). PostgreSQL only, like 0007. The rebuild holds the write lock on ``visits`` until the
upgrade commits; on a large table build the index first without it (README, production
layout), and this migration then finds it done.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BEFORE = ["user_id", "firm_id", "status", "received_at", "flags"]


NAME = "ix_visits_org_unit_id_captured_at"


def _covering(columns) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # Already in this form (built beforehand with CREATE INDEX CONCURRENTLY, as the README's
    # production notes suggest for a large table): nothing to rebuild under the write lock.
    definition = op.get_bind().exec_driver_sql(
        f"SELECT indexdef FROM pg_indexes WHERE indexname = '{NAME}'").scalar()
    if definition is not None and definition.endswith(f"INCLUDE ({', '.join(columns)})"):
        return
    op.drop_index("ix_visits_org_unit_id_captured_at", table_name="visits")
    op.create_index("ix_visits_org_unit_id_captured_at", "visits",
                    ["org_unit_id", "captured_at"], unique=False, postgresql_include=columns)


def upgrade() -> None:
    """Apply."""
    _covering([*BEFORE, "id"])


def downgrade() -> None:
    """Revert."""
    _covering(BEFORE)
