"""Visits: tables arrive with the visits issue (empty until then, keeps the chain linear).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""


def downgrade() -> None:
    """Revert."""
