"""Org units (city → county/district → park/street), service teams and departments."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Audited, Base, utcnow

ORG_UNIT_KINDS = ("province", "city", "county", "district", "park", "street")


class OrgUnit(Audited, Base):
    """An administrative unit. ``path`` is the materialised chain of ids (``/1/4/9/``).

    A subtree is then one indexed prefix match on both databases, which is what every
    "manager sees their subtree" query needs.
    """

    __tablename__ = "org_units"
    __table_args__ = (
        CheckConstraint("kind IN ('" + "','".join(ORG_UNIT_KINDS) + "')", "kind"),
        # pattern ops let PostgreSQL use the index for the subtree prefix match (LIKE 'p%').
        Index("ix_org_units_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped["OrgUnit | None"] = relationship(remote_side=[id])

    def audit_org_unit_id(self) -> int | None:
        """An org unit's audit trail belongs to the unit itself."""
        return self.id

    @property
    def depth(self) -> int:
        """0 for the root of the tree."""
        return self.path.count("/") - 2


class ServiceTeam(Audited, Base):
    """A service team (服务团), e.g. element guarantee 要素保障, approval services 审批服务."""

    __tablename__ = "service_teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Department(Audited, Base):
    """A department that handles firms' issues (e.g. the power supply bureau)."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
