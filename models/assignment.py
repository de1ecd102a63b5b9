"""Assignments (包抓): who is responsible for visiting a firm or a project, and how often."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Audited, Base, utcnow
from models.firm import Firm
from models.project import Project
from models.user import User

CADENCES = ("weekly", "monthly", "quarterly", "per_stage")


class Assignment(Audited, Base):
    """A user is responsible for one firm or one project from ``starts_on`` to ``ends_on``.

    ``ends_on`` is the last day of responsibility (inclusive); None means open-ended.
    ``org_unit_id`` copies the target's unit so managers' scope and reports need no join.
    Reassigning ends this row and opens a new one (``replaced_by_id``): history is kept.
    """

    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint("(firm_id IS NULL) <> (project_id IS NULL)", "one_target"),
        CheckConstraint("cadence IN ('" + "','".join(CADENCES) + "')", "cadence"),
        CheckConstraint("cadence <> 'per_stage' OR project_id IS NOT NULL", "per_stage_projects"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", "dates"),
        Index("ix_assignments_user_id_starts_on", "user_id", "starts_on"),
        Index("ix_assignments_org_unit_id_starts_on", "org_unit_id", "starts_on"),
        # The overdue count finds the assignments ending within the running slots by it.
        Index("ix_assignments_ends_on", "ends_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    cadence: Mapped[str] = mapped_column(String(16))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(200))
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    firm: Mapped[Firm | None] = relationship()
    project: Mapped[Project | None] = relationship()
    # Set together with a new successor, the unit of work inserts it first (no flush needed).
    replaced_by: Mapped["Assignment | None"] = relationship(remote_side=[id],
                                                            foreign_keys=[replaced_by_id])

    def active_on(self, day: date) -> bool:
        """True when the assignment covers ``day``."""
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)
