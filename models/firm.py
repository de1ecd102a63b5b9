"""Firms (企业), identified by their USCC, their tags, and the sites where they can be visited."""

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Audited, Base, utcnow

FIRM_TAGS = ("above_scale", "specialized", "high_tech", "key")
FIRM_STATUSES = ("active", "closed")


class Firm(Audited, Base):
    """A firm. ``uscc_checksum_ok`` is False only for imported early codes kept on purpose.

    Closing a firm (``status='closed'``) keeps it and everything filed about it; nothing that
    visits or issues refer to is ever deleted.
    """

    __tablename__ = "firms"
    __table_args__ = (
        CheckConstraint("status IN ('active','closed')", "status"),
        Index("ix_firms_org_unit_id_status", "org_unit_id", "status"),
        # The overdue count finds the firms closing within the running slots by it.
        Index("ix_firms_closed_at", "closed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    uscc_checksum_ok: Mapped[bool] = mapped_column(Boolean, default=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    industry: Mapped[str | None] = mapped_column(String(100))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    contacts: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(8), default="active")
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    tag_rows: Mapped[list["FirmTag"]] = relationship(
        back_populates="firm", cascade="all, delete-orphan", lazy="selectin",
        order_by="FirmTag.tag")
    sites: Mapped[list["Site"]] = relationship(
        back_populates="firm", lazy="selectin", order_by="Site.id",
        primaryjoin="Firm.id == Site.firm_id")

    @property
    def tags(self) -> list[str]:
        """The firm's tags, sorted."""
        return [t.tag for t in self.tag_rows]

    @tags.setter
    def tags(self, value) -> None:
        wanted = set(value)
        self.tag_rows = [t for t in self.tag_rows if t.tag in wanted] + [
            FirmTag(tag=t) for t in sorted(wanted - {t.tag for t in self.tag_rows})]

    @property
    def active_sites(self) -> list["Site"]:
        """Sites a visit may be filed against."""
        return [s for s in self.sites if s.is_active]


class FirmTag(Audited, Base):
    """One tag of a firm (规上 above_scale, 专精特新 specialized, 高新技术 high_tech, 重点 key)."""

    __tablename__ = "firm_tags"
    __table_args__ = (CheckConstraint(
        "tag IN ('" + "','".join(FIRM_TAGS) + "')", "tag"),)

    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"),
                                         primary_key=True)
    tag: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)

    firm: Mapped[Firm] = relationship(back_populates="tag_rows")

    def audit_org_unit_id(self) -> int | None:
        """A tag's trail belongs to its firm's unit."""
        return self.firm.org_unit_id if self.firm is not None else None


class Site(Audited, Base):
    """A place where a firm or a project is visited: a point, optionally a boundary, a radius.

    The columns hold the current geometry; every geometry ever used is kept in ``SiteVersion``
    under ``version``, so a visit's verdict can always be explained against the geometry it was
    judged by. Exactly one of ``firm_id`` / ``project_id`` is set.
    """

    __tablename__ = "sites"
    __table_args__ = (
        CheckConstraint("(firm_id IS NULL) <> (project_id IS NULL)", "one_owner"),
        CheckConstraint("radius_m > 0 AND radius_m <= 5000", "radius"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    point = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)
    boundary = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=False))
    radius_m: Mapped[float] = mapped_column(Float)
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    firm: Mapped[Firm | None] = relationship(back_populates="sites")
    project: Mapped["Project | None"] = relationship(back_populates="sites")  # noqa: F821
    versions: Mapped[list["SiteVersion"]] = relationship(
        order_by="SiteVersion.version", lazy="select")

    def audit_org_unit_id(self) -> int | None:
        """A site's trail belongs to its owner's unit."""
        owner = self.firm if self.firm_id is not None else self.project
        return owner.org_unit_id if owner is not None else None

    @property
    def owner_org_unit_id(self) -> int | None:
        """The org unit of the firm or project the site belongs to."""
        return self.audit_org_unit_id()


class SiteVersion(Base):
    """A site's geometry as it was from ``valid_from``: what visits were verified against."""

    __tablename__ = "site_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    version: Mapped[int] = mapped_column(Integer)
    point = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    boundary = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=False))
    radius_m: Mapped[float] = mapped_column(Float)
    valid_from: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (Index("ix_site_versions_site_id_version", "site_id", "version",
                            unique=True),)
