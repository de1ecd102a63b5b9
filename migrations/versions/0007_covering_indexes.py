"""Reports read visits by unit and month from the index alone on PostgreSQL (a covering index;
SQLite keeps the plain one, which its planner uses the same way).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COVERED = ["user_id", "firm_id", "status", "received_at", "flags"]


def upgrade() -> None:
    """Apply."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_visits_org_unit_id_captured_at", table_name="visits")
    op.create_index("ix_visits_org_unit_id_captured_at", "visits",
                    ["org_unit_id", "captured_at"], unique=False, postgresql_include=COVERED)


def downgrade() -> None:
    """Revert."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_visits_org_unit_id_captured_at", table_name="visits")
    op.create_index("ix_visits_org_unit_id_captured_at", "visits",
                    ["org_unit_id", "captured_at"], unique=False)
