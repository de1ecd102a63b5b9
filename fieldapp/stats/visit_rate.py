"""Visit rate (走访率): which visit slots were due in a period, which were met, by whom.

Definitions (the API docs repeat them; each has a test on both databases):

- **Period**: ``2026-11`` (calendar month), ``2026-W47`` (ISO week), ``2026-Q4`` (quarter), or
  ``2026-11-01..2026-11-15`` (dates, inclusive), all in Asia/Shanghai.
- **Slot**: one cadence interval of an assignment: the ISO week, calendar month or quarter for
  ``weekly``/``monthly``/``quarterly``; for ``per_stage`` the time from the moment the project
  entered a stage until it entered the next (or now).
- **Due in a period**: a calendar slot is due in the period that contains **its last day**, so
  each slot is counted once in any partition of time (a week spanning two months counts in the
  month where it ends; a monthly slot in a weekly report counts in the week holding the month's
  last day). A stage slot is due in the period in which the stage was **entered**.
- **Whose**: the slot belongs to the assignment (and its user) that holds the target **on the
  slot's last day** (for stages: on the day the stage was entered). So after a reassignment
  mid-month the new holder owns that month; an assignment that ended before a slot's last day
  without successor owes nothing for it; one that starts on the 30th owns the month.
- **Closed firms**: no slot of a firm is due whose last day falls on or after the day it was
  closed.
- **Met**: the target received at least one **countable** visit (accepted, or approved on
  review) inside the slot, by whoever was assigned at the time. Visits waiting for review make a
  slot **pending** (not met, reported apart). Reports read review states as they are now: a
  visit rejected after the fact un-meets its slot in every report from then on.
- **Open**: a due slot whose last day is after today is still running; it counts in ``due``
  and is also reported as ``open``.
- **Rate** = met ÷ due (null when nothing is due).
"""

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from fieldapp.assignments.periods import local_date, local_midnight, slots_overlapping
from fieldapp.extensions import db
from models import COUNTABLE_STATUSES, Assignment, Firm, ProjectStageChange, Visit, utcnow

CALENDAR = ("weekly", "monthly", "quarterly")


@dataclass(frozen=True)
class Period:
    """Local dates ``start``..``end`` (inclusive) and the label asked for."""

    label: str
    start: date
    end: date

    @property
    def starts_at(self) -> datetime:
        """The first instant (Asia/Shanghai midnight)."""
        return local_midnight(self.start)

    @property
    def ends_at(self) -> datetime:
        """The instant after the last day."""
        return local_midnight(self.end + timedelta(days=1))


def parse_period(text: str) -> Period:
    """``2026-11``, ``2026-W47``, ``2026-Q4`` or ``2026-11-01..2026-11-15``; ValueError else."""
    text = text.strip()
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        year, month = int(m[1]), int(m[2])
        start = date(year, month, 1)
        nxt = date(year + month // 12, month % 12 + 1, 1)
        return Period(text, start, nxt - timedelta(days=1))
    if m := re.fullmatch(r"(\d{4})-W(\d{2})", text):
        start = date.fromisocalendar(int(m[1]), int(m[2]), 1)
        return Period(text, start, start + timedelta(days=6))
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", text):
        year, quarter = int(m[1]), int(m[2])
        start = date(year, 3 * quarter - 2, 1)
        end_month = 3 * quarter
        nxt = date(year + end_month // 12, end_month % 12 + 1, 1)
        return Period(text, start, nxt - timedelta(days=1))
    if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", text):
        start, end = date.fromisoformat(m[1]), date.fromisoformat(m[2])
        if end < start:
            raise ValueError("the range ends before it starts")
        if (end - start).days > 366 * 2:
            raise ValueError("a range may span at most two years")
        return Period(text, start, end)
    raise ValueError("expected 2026-11, 2026-W47, 2026-Q4 or 2026-11-01..2026-11-15")


@dataclass
class Slot:
    """One due slot and what became of it."""

    assignment: Assignment
    cadence: str
    first_day: date
    last_day: date | None
    starts_at: datetime
    ends_at: datetime | None
    met: bool = False
    pending: bool = False
    last_visit_at: datetime | None = None

    @property
    def target(self) -> tuple[str, int]:
        """``("firm", id)`` or ``("project", id)``."""
        a = self.assignment
        return ("firm", a.firm_id) if a.firm_id is not None else ("project", a.project_id)

    def is_open(self, today: date) -> bool:
        """Still running today."""
        return self.last_day is None or self.last_day > today


def _covers(a: Assignment, day: date) -> bool:
    return a.starts_on <= day and (a.ends_on is None or a.ends_on >= day)


def due_slots(assignments_stmt, period: Period) -> list[Slot]:
    """Every slot due in ``period`` among the assignments ``assignments_stmt`` selects."""
    rows = db.session.scalars(assignments_stmt.where(
        Assignment.starts_on <= period.end,
        Assignment.ends_on.is_(None) | (Assignment.ends_on >= period.start))).all()
    firm_ids = {a.firm_id for a in rows if a.firm_id is not None}
    closed = dict(db.session.execute(select(Firm.id, Firm.closed_at).where(
        Firm.id.in_(firm_ids), Firm.closed_at.is_not(None))).all()) if firm_ids else {}
    stage_projects = {a.project_id for a in rows if a.cadence == "per_stage"}
    stages = defaultdict(list)
    if stage_projects:
        for change in db.session.scalars(select(ProjectStageChange).where(
                ProjectStageChange.project_id.in_(stage_projects))
                .order_by(ProjectStageChange.moved_at)):
            stages[change.project_id].append(change.moved_at)
    slots = []
    for a in rows:
        if a.cadence in CALENDAR:
            for s in slots_overlapping(a.cadence, period.start, period.end):
                if not (period.start <= s.end <= period.end) or not _covers(a, s.end):
                    continue
                closed_at = closed.get(a.firm_id)
                if closed_at is not None and local_date(closed_at) <= s.end:
                    continue
                slots.append(Slot(a, a.cadence, s.start, s.end, s.starts_at, s.ends_at))
        else:
            entered = stages.get(a.project_id, [])
            for i, moment in enumerate(entered):
                day = local_date(moment)
                if period.start <= day <= period.end and _covers(a, day):
                    nxt = entered[i + 1] if i + 1 < len(entered) else None
                    slots.append(Slot(a, a.cadence, day, None if nxt is None else local_date(
                        nxt - timedelta(microseconds=1)), moment, nxt))
    return slots


def judge(slots: list[Slot]) -> None:
    """Mark each slot met (a countable visit inside it) or pending (one waiting for review)."""
    if not slots:
        return
    now = utcnow()
    lo = min(s.starts_at for s in slots)
    hi = max(s.ends_at or now for s in slots)
    by_kind = defaultdict(set)
    for s in slots:
        kind, target = s.target
        by_kind[kind].add(target)
    visits = defaultdict(list)
    for kind, ids in by_kind.items():
        column = Visit.firm_id if kind == "firm" else Visit.project_id
        for target, at, status in db.session.execute(
                select(column, Visit.captured_at, Visit.status).where(
                    column.in_(ids), Visit.captured_at >= lo, Visit.captured_at < hi,
                    Visit.status.in_((*COUNTABLE_STATUSES, "needs_review")))):
            visits[(kind, target)].append((at, status))
    for s in slots:
        for at, status in visits.get(s.target, ()):
            if s.starts_at <= at and (s.ends_at is None or at < s.ends_at):
                if status in COUNTABLE_STATUSES:
                    s.met = True
                    s.last_visit_at = max(at, s.last_visit_at or at)
                else:
                    s.pending = True
        if s.met:
            s.pending = False
