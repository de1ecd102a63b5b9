"""Visit slots: one row per due slot with its visit counts, so reports are an indexed GROUP BY.

The rows are derived data: the first report (or ``flask slots extend``) after this migration
writes them from the assignments, stage history and visits already stored.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "visit_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("cadence", sa.String(length=16), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=True),
        sa.Column("countable", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.Column("last_visit_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignments.id"], ondelete="CASCADE",
                                name=op.f("fk_visit_slots_assignment_id_assignments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_slots")),
        sa.UniqueConstraint("assignment_id", "starts_at", name="uq_visit_slots_assignment_id"),
    )
    op.create_index("ix_visit_slots_org_unit_id_due_on", "visit_slots",
                    ["org_unit_id", "due_on"], unique=False,
                    postgresql_include=["user_id", "firm_id", "countable", "pending",
                                        "last_day"])
    op.create_index("ix_visit_slots_user_id_due_on", "visit_slots", ["user_id", "due_on"],
                    unique=False)
    op.create_index("ix_visit_slots_firm_id_starts_at", "visit_slots", ["firm_id", "starts_at"],
                    unique=False)
    op.create_index("ix_visit_slots_project_id_starts_at", "visit_slots",
                    ["project_id", "starts_at"], unique=False)
    op.create_table(
        "visit_slot_totals",
        sa.Column("org_unit_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due", sa.Integer(), nullable=False),
        sa.Column("met", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("org_unit_id", "due_on", name=op.f("pk_visit_slot_totals")),
    )
    op.create_table(
        "slot_horizon",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("through", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slot_horizon")),
    )


def downgrade() -> None:
    """Revert."""
    op.drop_table("slot_horizon")
    op.drop_table("visit_slot_totals")
    op.drop_index("ix_visit_slots_project_id_starts_at", table_name="visit_slots")
    op.drop_index("ix_visit_slots_firm_id_starts_at", table_name="visit_slots")
    op.drop_index("ix_visit_slots_user_id_due_on", table_name="visit_slots")
    op.drop_index("ix_visit_slots_org_unit_id_due_on", table_name="visit_slots")
    op.drop_table("visit_slots")
