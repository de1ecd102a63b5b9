"""Issues: tables arrive with the issues issue (empty until then, keeps the chain linear).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""


def downgrade() -> None:
    """Revert."""
