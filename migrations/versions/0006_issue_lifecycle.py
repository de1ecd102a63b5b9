"""The issue lifecycle: tracking numbers, states, departments, working-day deadlines, events,
categories with SLAs and their routing, the admins' calendar days.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
STATES = ("submitted", "accepted", "dispatched", "in_progress", "suspended", "resolved",
          "closed", "rejected", "merged")
# code, name, response days, resolution days, response hours, resolution hours (urgent)
CATEGORIES = (
    ("power", "用电", 1, 5, 4, 48), ("water", "用水", 1, 5, 4, 48), ("gas", "用气", 1, 5, 4, 48),
    ("land", "用地", 2, 20, None, None), ("permits", "审批", 2, 10, None, None),
    ("financing", "融资", 2, 15, None, None), ("hiring", "用工", 2, 10, None, None),
    ("legal", "法律", 2, 15, None, None), ("logistics", "物流", 2, 10, None, None),
    ("policy", "政策", 2, 10, None, None), ("other", "其他", 2, 15, None, None),
)


def upgrade() -> None:
    """Apply."""
    categories = op.create_table(
        "issue_categories",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("response_days", sa.Integer(), nullable=False),
        sa.Column("resolve_days", sa.Integer(), nullable=False),
        sa.Column("response_hours", sa.Integer(), nullable=True),
        sa.Column("resolve_hours", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_issue_categories")),
    )
    op.bulk_insert(categories, [
        {"code": c, "name": n, "response_days": rd, "resolve_days": sd, "response_hours": rh,
         "resolve_hours": sh} for c, n, rd, sd, rh, sh in CATEGORIES])
    op.create_table(
        "department_categories",
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["category"], ["issue_categories.code"], ondelete="CASCADE",
                                name=op.f("fk_department_categories_category_issue_categories")),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"], ondelete="CASCADE",
                                name=op.f("fk_department_categories_department_id_departments")),
        sa.PrimaryKeyConstraint("department_id", "category",
                                name=op.f("pk_department_categories")),
    )
    op.create_table(
        "issue_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_issue_counters")),
    )
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("workday", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_days")),
    )
    op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("note", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_years")),
    )
    with op.batch_alter_table("issues") as batch:
        for column in (
            sa.Column("tracking_no", sa.String(length=24), nullable=True),
            sa.Column("source", sa.String(length=16), nullable=False,
                      server_default="visit"),
            sa.Column("lat", sa.Float(), nullable=True),
            sa.Column("lon", sa.Float(), nullable=True),
            sa.Column("address", sa.String(length=300), nullable=True),
            sa.Column("attachments", sa.JSON(), nullable=False, server_default="[]"),
            sa.Column("urgent", sa.Boolean(), nullable=False, server_default=sa.false()),
            sa.Column("department_id", sa.Integer(), nullable=True),
            sa.Column("merged_into_id", sa.Integer(), nullable=True),
            sa.Column("response_due_at", TS, nullable=True),
            sa.Column("resolve_due_at", TS, nullable=True),
            sa.Column("accepted_at", TS, nullable=True),
            sa.Column("resolved_at", TS, nullable=True),
            sa.Column("closed_at", TS, nullable=True),
            sa.Column("suspended_at", TS, nullable=True),
            sa.Column("overdue", sa.Boolean(), nullable=False, server_default=sa.false()),
            sa.Column("supervision_level", sa.Integer(), nullable=False, server_default="0"),
            sa.Column("result_code", sa.String(length=16), nullable=True),
            sa.Column("reply", sa.Text(), nullable=True),
            sa.Column("rating", sa.String(length=24), nullable=True),
            sa.Column("rating_comment", sa.String(length=500), nullable=True),
            sa.Column("rated_at", TS, nullable=True),
            sa.Column("callback_due", sa.Boolean(), nullable=False, server_default=sa.false()),
            sa.Column("reopen_count", sa.Integer(), nullable=False, server_default="0"),
        ):
            batch.add_column(column)
    conn = op.get_bind()
    counters: dict[int, int] = {}
    for issue_id, created_at in conn.execute(sa.text(
            "SELECT id, created_at FROM issues ORDER BY id")).all():
        year = int(str(created_at)[:4])
        counters[year] = counters.get(year, 0) + 1
        conn.execute(sa.text("UPDATE issues SET tracking_no = :t WHERE id = :i"),
                     {"t": f"XY-{year}-{counters[year]:06d}", "i": issue_id})
    if counters:
        conn.execute(sa.text("INSERT INTO issue_counters (year, last) VALUES (:y, :n)"),
                     [{"y": y, "n": n} for y, n in counters.items()])
    with op.batch_alter_table("issues") as batch:
        batch.alter_column("tracking_no", existing_type=sa.String(length=24), nullable=False)
        batch.alter_column("source", server_default=None)
        batch.alter_column("attachments", server_default=None)
        batch.alter_column("urgent", server_default=None)
        batch.alter_column("overdue", server_default=None)
        batch.alter_column("supervision_level", server_default=None)
        batch.alter_column("callback_due", server_default=None)
        batch.alter_column("reopen_count", server_default=None)
        batch.create_unique_constraint(op.f("uq_issues_tracking_no"), ["tracking_no"])
        batch.create_foreign_key(op.f("fk_issues_department_id_departments"), "departments",
                                 ["department_id"], ["id"])
        batch.create_foreign_key(op.f("fk_issues_merged_into_id_issues"), "issues",
                                 ["merged_into_id"], ["id"])
        batch.create_check_constraint(
            "state", "state IN ('" + "','".join(STATES) + "')")
        batch.create_check_constraint("supervision_level", "supervision_level BETWEEN 0 AND 2")
        batch.create_index(op.f("ix_issues_department_id"), ["department_id"], unique=False)
        batch.create_index("ix_issues_state_resolve_due_at", ["state", "resolve_due_at"],
                           unique=False)
    op.create_table(
        "issue_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("public_text", sa.Text(), nullable=True),
        sa.Column("internal_text", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"],
                                name=op.f("fk_issue_events_actor_id_users")),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"],
                                name=op.f("fk_issue_events_department_id_departments")),
        sa.ForeignKeyConstraint(["issue_id"], ["issues.id"],
                                name=op.f("fk_issue_events_issue_id_issues")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_events")),
    )
    op.create_index(op.f("ix_issue_events_issue_id"), "issue_events", ["issue_id"],
                    unique=False)
    op.create_table(
        "open311_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_open311_clients_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open311_clients")),
        sa.UniqueConstraint("key_sha256", name=op.f("uq_open311_clients_key_sha256")),
    )


def downgrade() -> None:
    """Revert."""
    op.drop_table("open311_clients")
    op.drop_index(op.f("ix_issue_events_issue_id"), table_name="issue_events")
    op.drop_table("issue_events")
    with op.batch_alter_table("issues") as batch:
        batch.drop_index("ix_issues_state_resolve_due_at")
        batch.drop_index(op.f("ix_issues_department_id"))
        batch.drop_constraint("supervision_level", type_="check")
        batch.drop_constraint("state", type_="check")
        batch.drop_constraint(op.f("fk_issues_merged_into_id_issues"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_issues_department_id_departments"), type_="foreignkey")
        batch.drop_constraint(op.f("uq_issues_tracking_no"), type_="unique")
        for name in ("reopen_count", "callback_due", "rated_at", "rating_comment", "rating",
                     "reply", "result_code", "supervision_level", "overdue", "suspended_at",
                     "closed_at", "resolved_at", "accepted_at", "resolve_due_at",
                     "response_due_at", "merged_into_id", "department_id", "urgent",
                     "attachments", "lat", "lon", "address", "source", "tracking_no"):
            batch.drop_column(name)
    op.drop_table("calendar_years")
    op.drop_table("calendar_days")
    op.drop_table("issue_counters")
    op.drop_table("department_categories")
    op.drop_table("issue_categories")
