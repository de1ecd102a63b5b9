"""A partial index on the stage slots: a manager's visit-rate report by unit reads its due, met
and pending from ``visit_slot_totals`` and its open calendar slots from their due day, and
needs the rows only for the stage slots, to tell which are still open.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

STAGE_SLOT = "cadence = 'per_stage'"


def upgrade() -> None:
    """Apply."""
    op.create_index("ix_visit_slots_stages", "visit_slots", ["org_unit_id", "due_on"],
                    unique=False, postgresql_where=sa.text(STAGE_SLOT),
                    sqlite_where=sa.text(STAGE_SLOT))


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_visit_slots_stages", table_name="visit_slots")
