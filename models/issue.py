"""Firms' issues (诉求) and their closed loop: events, categories with SLAs, routing to
departments, the working-day calendar admins extend, and Open311 client keys."""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Audited, Base, utcnow
from models.visit import Visit

ISSUE_STATES = ("submitted", "accepted", "dispatched", "in_progress", "suspended", "resolved",
                "closed", "rejected", "merged")
ISSUE_SOURCES = ("visit", "manager", "hotline", "letter", "symposium", "firm", "open311")
RESULT_CODES = ("solved", "explained", "not_our_duty")
RATINGS = ("very_satisfied", "satisfied", "basically_satisfied", "dissatisfied",
           "very_dissatisfied")
GOOD_RATINGS = RATINGS[:2]


def _in(column: str, values) -> str:
    return f"{column} IN ('" + "','".join(values) + "')"


department_categories = Table(
    "department_categories", Base.metadata,
    Column("department_id", ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True),
    Column("category", ForeignKey("issue_categories.code", ondelete="CASCADE"),
           primary_key=True),
)


class IssueCategory(Audited, Base):
    """A kind of issue with its service level: response and resolution deadlines in working
    days, or in working hours for urgent categories."""

    __tablename__ = "issue_categories"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    response_days: Mapped[int] = mapped_column(Integer)
    resolve_days: Mapped[int] = mapped_column(Integer)
    response_hours: Mapped[int | None] = mapped_column(Integer)
    resolve_hours: Mapped[int | None] = mapped_column(Integer)


DEADLINE_UNKNOWN = ("response_due_at IS NULL OR (resolve_due_at IS NULL AND accepted_at IS NOT "
                    "NULL)")


class Issue(Audited, Base):
    """A firm's issue and where it stands.

    ``department_id`` is the department responsible now (None until dispatched, and again after
    a return). Deadlines are instants (end of a working day, or working hours on): the response
    deadline runs from submission to acceptance, the resolution deadline from acceptance to
    resolution and is pushed back by the working time spent suspended. ``overdue`` and
    ``supervision_level`` (督办 0–2) are flags the scheduled job raises, not states.
    """

    __tablename__ = "issues"
    __table_args__ = (
        Index("ix_issues_firm_id_created_at", "firm_id", "created_at"),
        Index("ix_issues_state_resolve_due_at", "state", "resolve_due_at"),
        # The few issues whose deadline waits for a calendar year (``flask issues tick``).
        Index("ix_issues_deadline_unknown", "id", postgresql_where=text(DEADLINE_UNKNOWN),
              sqlite_where=text(DEADLINE_UNKNOWN)),
        CheckConstraint(_in("state", ISSUE_STATES), "state"),
        CheckConstraint("supervision_level BETWEEN 0 AND 2", "supervision_level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_no: Mapped[str] = mapped_column(String(24), unique=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    source: Mapped[str] = mapped_column(String(16), default="visit")
    category: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300))
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="submitted")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("issues.id"))
    response_due_at: Mapped[datetime | None]
    resolve_due_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    suspended_at: Mapped[datetime | None]
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    supervision_level: Mapped[int] = mapped_column(Integer, default=0)
    result_code: Mapped[str | None] = mapped_column(String(16))
    reply: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[str | None] = mapped_column(String(24))
    rating_comment: Mapped[str | None] = mapped_column(String(500))
    rated_at: Mapped[datetime | None]
    callback_due: Mapped[bool] = mapped_column(Boolean, default=False)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Bumped by every UPDATE, which names the version it read: of two people acting at once
    # the second's UPDATE finds no row and fails (StaleDataError → 409), where PostgreSQL's
    # row lock does not reach (SQLite reads outside the write transaction).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    @property
    def resolution_rated(self) -> bool:
        """True when the current resolution has its rating. Ratings are kept through a reopen,
        so a rating given before the latest resolution belongs to an earlier one."""
        return self.rated_at is not None and self.resolved_at is not None \
            and self.rated_at >= self.resolved_at

    visit: Mapped[Visit | None] = relationship(back_populates="raised_issues")
    # Read-only: ``firm_id`` is what writes set; this is for answers that name the firm.
    firm: Mapped["Firm"] = relationship(viewonly=True)  # noqa: F821
    events: Mapped[list["IssueEvent"]] = relationship(
        order_by="IssueEvent.id", back_populates="issue", lazy="selectin")


class IssueEvent(Base):
    """One step of an issue's timeline (append-only). ``public_text`` may reach the firm;
    ``internal_text`` and ``actor_id`` never do."""

    __tablename__ = "issue_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(24))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    public_text: Mapped[str | None] = mapped_column(Text)
    internal_text: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    issue: Mapped[Issue] = relationship(back_populates="events")


class IssueCounter(Base):
    """The last tracking number given out in a year (one row per year)."""

    __tablename__ = "issue_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class CalendarDay(Audited, Base):
    """A day an admin entered: a holiday or a make-up working day the package may not know."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(String(100))


class CalendarYear(Audited, Base):
    """A year whose arrangement admins have entered in full (its other days: Mon–Fri)."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    note: Mapped[str | None] = mapped_column(String(100))


class Open311Client(Audited, Base):
    """A system allowed to use the Open311 endpoints with an API key (stored as its SHA-256),
    acting with the scope of ``user_id`` (e.g. a city hotline platform)."""

    __tablename__ = "open311_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    key_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
