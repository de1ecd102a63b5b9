"""Users whose password an admin or manager set must change it at their next log-in.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply: existing users chose their passwords, as far as anyone knows."""
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("password_must_change", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("password_must_change")
