"""``visit_slot_totals`` by cadence too, so the slots running today (one calendar slot per
cadence, each known by its cadence and last day) are counted from the totals; and indexes on
the days assignments end and firms close, which pick the few rows the totals cannot answer for.

The totals are derived data: they are filled again from ``visit_slots``.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

MEASURES = ("count(*), sum(CASE WHEN countable > 0 THEN 1 ELSE 0 END), "
            "sum(CASE WHEN countable = 0 AND pending > 0 THEN 1 ELSE 0 END)")


def _totals(*keys: str) -> None:
    op.drop_table("visit_slot_totals")
    op.create_table(
        "visit_slot_totals",
        sa.Column("org_unit_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        *([sa.Column("cadence", sa.String(length=16), nullable=False)]
          if "cadence" in keys else []),
        sa.Column("due", sa.Integer(), nullable=False),
        sa.Column("met", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*keys, name=op.f("pk_visit_slot_totals")),
    )
    columns = ", ".join(keys)
    op.execute(f"INSERT INTO visit_slot_totals ({columns}, due, met, pending) "
               f"SELECT {columns}, {MEASURES} FROM visit_slots GROUP BY {columns}")


def upgrade() -> None:
    """Apply."""
    _totals("org_unit_id", "due_on", "cadence")
    op.create_index("ix_assignments_ends_on", "assignments", ["ends_on"], unique=False)
    op.create_index("ix_firms_closed_at", "firms", ["closed_at"], unique=False)


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_firms_closed_at", table_name="firms")
    op.drop_index("ix_assignments_ends_on", table_name="assignments")
    _totals("org_unit_id", "due_on")
