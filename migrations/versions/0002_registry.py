"""Registry: firms, tags, sites with geometry versions, projects with stages, assignments.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 12:19:55.472001
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "firms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("uscc_checksum_ok", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("industry", sa.String(length=100), nullable=True),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("contacts", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("closed_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint("status IN ('active','closed')", name=op.f("ck_firms_status")),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_units.id"], name=op.f("fk_firms_org_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firms")),
        sa.UniqueConstraint("uscc", name=op.f("uq_firms_uscc")),
    )
    op.create_index(op.f("ix_firms_name"), "firms", ["name"], unique=False)
    op.create_index("ix_firms_org_unit_id_status", "firms", ["org_unit_id", "status"], unique=False)
    op.create_table(
        "firm_tags",
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=32), nullable=False),
        sa.CheckConstraint(
            "tag IN ('above_scale','specialized','high_tech','key')", name=op.f("ck_firm_tags_tag")
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_firm_tags_firm_id_firms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("firm_id", "tag", name=op.f("pk_firm_tags")),
    )
    op.create_index(op.f("ix_firm_tags_tag"), "firm_tags", ["tag"], unique=False)
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner_firm_id", sa.Integer(), nullable=True),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("stage_entered_at", TS, nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint(
            "stage IN ('signed','landed','construction','completed','operating')",
            name=op.f("ck_projects_stage"),
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_units.id"], name=op.f("fk_projects_org_unit_id_org_units")
        ),
        sa.ForeignKeyConstraint(
            ["owner_firm_id"], ["firms.id"], name=op.f("fk_projects_owner_firm_id_firms")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
    )
    op.create_index(op.f("ix_projects_org_unit_id"), "projects", ["org_unit_id"], unique=False)
    op.create_index(op.f("ix_projects_owner_firm_id"), "projects", ["owner_firm_id"], unique=False)
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("cadence", sa.String(length=16), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(length=200), nullable=True),
        sa.Column("replaced_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint(
            "cadence <> 'per_stage' OR project_id IS NOT NULL",
            name=op.f("ck_assignments_per_stage_projects"),
        ),
        sa.CheckConstraint(
            "cadence IN ('weekly','monthly','quarterly','per_stage')",
            name=op.f("ck_assignments_cadence"),
        ),
        sa.CheckConstraint(
            "(firm_id IS NULL) <> (project_id IS NULL)", name=op.f("ck_assignments_one_target")
        ),
        sa.CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on", name=op.f("ck_assignments_dates")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_assignments_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_assignments_firm_id_firms")
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_units.id"], name=op.f("fk_assignments_org_unit_id_org_units")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_assignments_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["replaced_by_id"],
            ["assignments.id"],
            name=op.f("fk_assignments_replaced_by_id_assignments"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_assignments_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
    )
    op.create_index(op.f("ix_assignments_firm_id"), "assignments", ["firm_id"], unique=False)
    op.create_index(
        "ix_assignments_org_unit_id_starts_on",
        "assignments",
        ["org_unit_id", "starts_on"],
        unique=False,
    )
    op.create_index(op.f("ix_assignments_project_id"), "assignments", ["project_id"], unique=False)
    op.create_index(
        "ix_assignments_user_id_starts_on", "assignments", ["user_id", "starts_on"], unique=False
    )
    op.create_table(
        "project_departments",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_project_departments_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_departments_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "department_id", name=op.f("pk_project_departments")),
    )
    op.create_table(
        "project_stage_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("from_stage", sa.String(length=16), nullable=True),
        sa.Column("to_stage", sa.String(length=16), nullable=False),
        sa.Column("moved_by_id", sa.Integer(), nullable=True),
        sa.Column("moved_at", TS, nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["moved_by_id"], ["users.id"], name=op.f("fk_project_stage_changes_moved_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_stage_changes_project_id_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_stage_changes")),
    )
    op.create_index(
        op.f("ix_project_stage_changes_project_id"),
        "project_stage_changes",
        ["project_id"],
        unique=False,
    )
    op.create_geospatial_table(
        "sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
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
        sa.Column(
            "boundary",
            Geometry(
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("radius_m", sa.Float(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint(
            "(firm_id IS NULL) <> (project_id IS NULL)", name=op.f("ck_sites_one_owner")
        ),
        sa.CheckConstraint("radius_m > 0 AND radius_m <= 5000", name=op.f("ck_sites_radius")),
        sa.ForeignKeyConstraint(["firm_id"], ["firms.id"], name=op.f("fk_sites_firm_id_firms")),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_sites_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
    )
    op.create_geospatial_index(
        "idx_sites_point",
        "sites",
        ["point"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_sites_firm_id"), "sites", ["firm_id"], unique=False)
    op.create_index(op.f("ix_sites_project_id"), "sites", ["project_id"], unique=False)
    op.create_geospatial_table(
        "site_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
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
        sa.Column(
            "boundary",
            Geometry(
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("radius_m", sa.Float(), nullable=False),
        sa.Column("valid_from", TS, nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_site_versions_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_site_versions_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_versions")),
    )
    op.create_index(
        "ix_site_versions_site_id_version", "site_versions", ["site_id", "version"], unique=True
    )
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("firm_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_users_firm_id"), ["firm_id"], unique=False)
        batch.create_foreign_key(batch.f("fk_users_firm_id_firms"), "firms", ["firm_id"], ["id"])


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(batch.f("fk_users_firm_id_firms"), type_="foreignkey")
        batch.drop_index(batch.f("ix_users_firm_id"))
        batch.drop_column("firm_id")
    op.drop_index("ix_site_versions_site_id_version", table_name="site_versions")
    op.drop_geospatial_table("site_versions")
    op.drop_index(op.f("ix_sites_project_id"), table_name="sites")
    op.drop_index(op.f("ix_sites_firm_id"), table_name="sites")
    op.drop_geospatial_index(
        "idx_sites_point", table_name="sites", postgresql_using="gist", column_name="point"
    )
    op.drop_geospatial_table("sites")
    op.drop_index(op.f("ix_project_stage_changes_project_id"), table_name="project_stage_changes")
    op.drop_table("project_stage_changes")
    op.drop_table("project_departments")
    op.drop_index("ix_assignments_user_id_starts_on", table_name="assignments")
    op.drop_index(op.f("ix_assignments_project_id"), table_name="assignments")
    op.drop_index("ix_assignments_org_unit_id_starts_on", table_name="assignments")
    op.drop_index(op.f("ix_assignments_firm_id"), table_name="assignments")
    op.drop_table("assignments")
    op.drop_index(op.f("ix_projects_owner_firm_id"), table_name="projects")
    op.drop_index(op.f("ix_projects_org_unit_id"), table_name="projects")
    op.drop_table("projects")
    op.drop_index(op.f("ix_firm_tags_tag"), table_name="firm_tags")
    op.drop_table("firm_tags")
    op.drop_index("ix_firms_org_unit_id_status", table_name="firms")
    op.drop_index(op.f("ix_firms_name"), table_name="firms")
    op.drop_table("firms")
