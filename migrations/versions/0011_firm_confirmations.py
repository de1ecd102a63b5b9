"""Firms confirm visits: ``firm_confirmations`` (visitor, firm, day, the firm user who
confirmed, the matching visit) and the review reason ``firm_confirmed``.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

OLD_REASONS = ("device_location_wrong", "no_signal", "met_at_other_address", "site_outdated",
               "verified_by_photo", "not_visited", "duplicate", "wrong_firm", "other")
NEW_REASONS = (*OLD_REASONS, "firm_confirmed")
RATINGS = ("very_satisfied", "satisfied", "basically_satisfied", "dissatisfied",
           "very_dissatisfied")


def _in(column, values):
    return f"{column} IN ('" + "','".join(values) + "')"


def _reasons(values) -> None:
    with op.batch_alter_table("visit_reviews") as batch:
        batch.drop_constraint("reason_code", type_="check")
        batch.create_check_constraint("reason_code", _in("reason_code", values))


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "firm_confirmations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visitor_id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", UTCDateTime(), nullable=False),
        sa.Column("rating", sa.String(length=24), nullable=True),
        sa.Column("comment", sa.String(length=300), nullable=True),
        sa.CheckConstraint("rating IS NULL OR " + _in("rating", RATINGS),
                           name=op.f("ck_firm_confirmations_rating")),
        sa.ForeignKeyConstraint(["confirmed_by_id"], ["users.id"],
                                name=op.f("fk_firm_confirmations_confirmed_by_id_users")),
        sa.ForeignKeyConstraint(["firm_id"], ["firms.id"],
                                name=op.f("fk_firm_confirmations_firm_id_firms")),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"],
                                name=op.f("fk_firm_confirmations_visit_id_visits")),
        sa.ForeignKeyConstraint(["visitor_id"], ["users.id"],
                                name=op.f("fk_firm_confirmations_visitor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firm_confirmations")),
        sa.UniqueConstraint("visit_id", name=op.f("uq_firm_confirmations_visit_id")),
        sa.UniqueConstraint("visitor_id", "firm_id", "day",
                            name="uq_firm_confirmations_visitor_id_firm_id_day"),
    )
    op.create_index(op.f("ix_firm_confirmations_firm_id"), "firm_confirmations", ["firm_id"])
    _reasons(NEW_REASONS)


def downgrade() -> None:
    """Revert (reviews decided with ``firm_confirmed`` must be removed first)."""
    _reasons(OLD_REASONS)
    op.drop_index(op.f("ix_firm_confirmations_firm_id"), table_name="firm_confirmations")
    op.drop_table("firm_confirmations")
