"""A partial index of the issues whose deadline waits for a calendar year, so the cron job finds
them without reading every issue ever closed.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

WHERE = "response_due_at IS NULL OR (resolve_due_at IS NULL AND accepted_at IS NOT NULL)"


def upgrade() -> None:
    """Apply."""
    op.create_index("ix_issues_deadline_unknown", "issues", ["id"], unique=False,
                    postgresql_where=sa.text(WHERE), sqlite_where=sa.text(WHERE))


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_issues_deadline_unknown", table_name="issues")
