"""Key projects (重点项目) with their lifecycle stage, stage history and departments (1+1+N)."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Audited, Base, UTCDateTime, utcnow
from models.firm import Firm, Site
from models.org import Department

# signed → landed 落地 → construction 开工 → completed 竣工 → operating 投产
PROJECT_STAGES = ("signed", "landed", "construction", "completed", "operating")

project_departments = Table(
    "project_departments",
    Base.metadata,
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"),
           primary_key=True),
    Column("department_id", Integer, ForeignKey("departments.id"), primary_key=True),
)


class Project(Audited, Base):
    """A key investment project, optionally owned by a firm; visited by its butler (项目管家)."""

    __tablename__ = "projects"
    __table_args__ = (CheckConstraint(
        "stage IN ('" + "','".join(PROJECT_STAGES) + "')", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner_firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16), default="signed")
    stage_entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    owner_firm: Mapped[Firm | None] = relationship()
    departments: Mapped[list[Department]] = relationship(
        secondary=project_departments, lazy="selectin", order_by=Department.id)
    sites: Mapped[list[Site]] = relationship(back_populates="project", lazy="selectin",
                                             order_by=Site.id)
    stage_history: Mapped[list["ProjectStageChange"]] = relationship(
        back_populates="project", lazy="selectin", order_by="ProjectStageChange.id")

    @property
    def department_ids(self) -> list[int]:
        """Ids of the departments involved (the N of 1+1+N)."""
        return [d.id for d in self.departments]

    @property
    def active_sites(self) -> list[Site]:
        """Sites a visit may be filed against."""
        return [s for s in self.sites if s.is_active]


class ProjectStageChange(Base):
    """One move of a project between stages: who, when, from what to what (append-only)."""

    __tablename__ = "project_stage_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    moved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    note: Mapped[str | None] = mapped_column(String(500))

    project: Mapped[Project] = relationship(back_populates="stage_history")
