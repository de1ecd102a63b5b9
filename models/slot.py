"""Visit slots (走访周期), kept as rows so reports are one indexed GROUP BY.

One row per slot an assignment owes (the definitions are in ``fieldapp.stats.visit_rate``),
with the counts of the target's visits inside it. ``fieldapp.stats.slots`` keeps the rows in
step with assignments, firms, stage moves and visits; nothing else writes them.

``due_on`` is the day that decides the period a slot is due in (a calendar slot's last day, the
day a stage was entered), so a report for any period reads only that period's rows: its cost
does not grow with the history kept. Calendar slots exist up to ``SlotHorizon.through``.
"""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

STAGE_SLOT = "cadence = 'per_stage'"


class VisitSlot(Base):
    """One due slot of one assignment, with the visits that fell inside it."""

    __tablename__ = "visit_slots"
    __table_args__ = (
        UniqueConstraint("assignment_id", "starts_at", name="uq_visit_slots_assignment_id"),
        # Covering on PostgreSQL: a city's month is an index-only scan (measured: 190 → 11 ms
        # at a million firms), whatever the heap order the slots were written in.
        Index("ix_visit_slots_org_unit_id_due_on", "org_unit_id", "due_on",
              postgresql_include=["user_id", "firm_id", "countable", "pending", "last_day"]),
        Index("ix_visit_slots_user_id_due_on", "user_id", "due_on"),
        Index("ix_visit_slots_firm_id_starts_at", "firm_id", "starts_at"),
        Index("ix_visit_slots_project_id_starts_at", "project_id", "starts_at"),
        # The stage slots alone (few): which of a period's are still open, beside the totals.
        Index("ix_visit_slots_stages", "org_unit_id", "due_on",
              postgresql_where=text(STAGE_SLOT), sqlite_where=text(STAGE_SLOT)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"))
    # Copies of the assignment's columns, without foreign keys of their own: the rows are
    # written millions at a time and only ever from an assignment that has them.
    user_id: Mapped[int] = mapped_column(Integer)
    org_unit_id: Mapped[int] = mapped_column(Integer)
    firm_id: Mapped[int | None] = mapped_column(Integer)
    project_id: Mapped[int | None] = mapped_column(Integer)
    cadence: Mapped[str] = mapped_column(String(16))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    countable: Mapped[int] = mapped_column(Integer, default=0)
    pending: Mapped[int] = mapped_column(Integer, default=0)
    last_visit_at: Mapped[datetime | None]


class SlotHorizon(Base):
    """The single row saying up to which day calendar slots have been written."""

    __tablename__ = "slot_horizon"

    id: Mapped[int] = mapped_column(primary_key=True)
    through: Mapped[date] = mapped_column(Date)


class VisitSlotTotal(Base):
    """Due, met and pending slots per org unit, due day and cadence: what the trend and the
    overdue count read, kept in step with ``visit_slots`` by the same writes (deltas), so a
    province's year is a few thousand rows to add up instead of millions of slots. The cadence
    tells the calendar slot running today (due on the last day of this week, month or quarter)
    from another cadence's slot due the same day."""

    __tablename__ = "visit_slot_totals"

    org_unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    due_on: Mapped[date] = mapped_column(Date, primary_key=True)
    cadence: Mapped[str] = mapped_column(String(16), primary_key=True)
    due: Mapped[int] = mapped_column(Integer, default=0)
    met: Mapped[int] = mapped_column(Integer, default=0)
    pending: Mapped[int] = mapped_column(Integer, default=0)
