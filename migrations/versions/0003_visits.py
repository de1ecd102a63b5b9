"""Visits with their evidence and verification, review decisions, and issues raised on visits.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Apply."""
    op.create_geospatial_table(
        "visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("site_version", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=True),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("captured_at", TS, nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("fix_time", TS, nullable=True),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("raw_position", sa.JSON(), nullable=False),
        sa.Column("crs", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column(
            "point",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("mock", sa.Boolean(), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("radius_m", sa.Float(), nullable=False),
        sa.Column("normalised_accuracy_m", sa.Float(), nullable=True),
        sa.Column("measured_to", sa.String(length=8), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("rule_version", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint(
            "status IN ('accepted','needs_review','approved','rejected')",
            name=op.f("ck_visits_status"),
        ),
        sa.CheckConstraint(
            "verdict IN ('verified','out_of_range','inconclusive')", name=op.f("ck_visits_verdict")
        ),
        sa.CheckConstraint(
            "(firm_id IS NULL) <> (project_id IS NULL)", name=op.f("ck_visits_one_target")
        ),
        sa.ForeignKeyConstraint(
            ["assignment_id"], ["assignments.id"], name=op.f("fk_visits_assignment_id_assignments")
        ),
        sa.ForeignKeyConstraint(["firm_id"], ["firms.id"], name=op.f("fk_visits_firm_id_firms")),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_units.id"], name=op.f("fk_visits_org_unit_id_org_units")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_visits_project_id_projects")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_visits_site_id_sites")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_visits_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
        sa.UniqueConstraint("user_id", "client_id", name="uq_visits_user_id_client_id"),
    )
    op.create_geospatial_index(
        "idx_visits_point",
        "visits",
        ["point"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_visits_assignment_id"), "visits", ["assignment_id"], unique=False)
    op.create_index(
        "ix_visits_firm_id_captured_at", "visits", ["firm_id", "captured_at"], unique=False
    )
    op.create_index(
        "ix_visits_org_unit_id_captured_at", "visits", ["org_unit_id", "captured_at"], unique=False
    )
    op.create_index(
        "ix_visits_project_id_captured_at", "visits", ["project_id", "captured_at"], unique=False
    )
    op.create_index(op.f("ix_visits_site_id"), "visits", ["site_id"], unique=False)
    op.create_index(
        "ix_visits_status_captured_at", "visits", ["status", "captured_at"], unique=False
    )
    op.create_index(
        "ix_visits_user_id_captured_at", "visits", ["user_id", "captured_at"], unique=False
    )

    op.create_table(
        "issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_issues_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(["firm_id"], ["firms.id"], name=op.f("fk_issues_firm_id_firms")),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_units.id"], name=op.f("fk_issues_org_unit_id_org_units")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_issues_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issues")),
    )
    op.create_index(
        "ix_issues_firm_id_created_at", "issues", ["firm_id", "created_at"], unique=False
    )
    op.create_index(op.f("ix_issues_org_unit_id"), "issues", ["org_unit_id"], unique=False)
    op.create_index(op.f("ix_issues_visit_id"), "issues", ["visit_id"], unique=False)

    op.create_table(
        "visit_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=8), nullable=False),
        sa.Column("reason_code", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("decided_at", TS, nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "decision IN ('approve','reject')", name=op.f("ck_visit_reviews_decision")
        ),
        sa.CheckConstraint(
            "reason_code IN ('device_location_wrong','no_signal','met_at_other_address',"
            "'site_outdated','verified_by_photo','not_visited','duplicate','wrong_firm','other')",
            name=op.f("ck_visit_reviews_reason_code"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_visit_reviews_reviewer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["visit_reviews.id"],
            name=op.f("fk_visit_reviews_supersedes_id_visit_reviews"),
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_visit_reviews_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_reviews")),
    )
    op.create_index(op.f("ix_visit_reviews_visit_id"), "visit_reviews", ["visit_id"], unique=False)
    op.create_table(
        "visit_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("exif_taken_at", TS, nullable=True),
        sa.Column("exif_lat", sa.Float(), nullable=True),
        sa.Column("exif_lon", sa.Float(), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_visit_photos_uploaded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_visit_photos_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_photos")),
        sa.UniqueConstraint("visit_id", "sha256", name="uq_visit_photos_visit_sha"),
    )
    op.create_index(op.f("ix_visit_photos_sha256"), "visit_photos", ["sha256"], unique=False)
    op.create_index(op.f("ix_visit_photos_visit_id"), "visit_photos", ["visit_id"], unique=False)


def downgrade() -> None:
    """Revert."""
    op.drop_index(op.f("ix_visit_photos_visit_id"), table_name="visit_photos")
    op.drop_index(op.f("ix_visit_photos_sha256"), table_name="visit_photos")
    op.drop_table("visit_photos")
    op.drop_index(op.f("ix_visit_reviews_visit_id"), table_name="visit_reviews")

    op.drop_table("visit_reviews")
    op.drop_index(op.f("ix_issues_visit_id"), table_name="issues")
    op.drop_index(op.f("ix_issues_org_unit_id"), table_name="issues")
    op.drop_index("ix_issues_firm_id_created_at", table_name="issues")

    op.drop_table("issues")
    op.drop_index("ix_visits_user_id_captured_at", table_name="visits")
    op.drop_index("ix_visits_status_captured_at", table_name="visits")
    op.drop_index(op.f("ix_visits_site_id"), table_name="visits")
    op.drop_index("ix_visits_project_id_captured_at", table_name="visits")
    op.drop_index("ix_visits_org_unit_id_captured_at", table_name="visits")
    op.drop_index("ix_visits_firm_id_captured_at", table_name="visits")
    op.drop_index(op.f("ix_visits_assignment_id"), table_name="visits")
    op.drop_geospatial_index(
        "idx_visits_point", table_name="visits", postgresql_using="gist", column_name="point"
    )

    op.drop_geospatial_table("visits")
