"""Issues carry a version that every UPDATE checks, so two people acting on one issue at once
cannot both transition it (on SQLite too, where a row lock is not available).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.add_column("issues", sa.Column("version", sa.Integer(), nullable=False,
                                      server_default="1"))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("issues") as batch:
        batch.drop_column("version")
