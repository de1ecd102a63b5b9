"""Visit slots (走访周期): the stretch of time in which an assignment owes one visit.

Pure calendar arithmetic in Asia/Shanghai; no Flask, no database. A slot is a half-open
interval of aware datetimes ``[starts_at, ends_at)`` together with its local dates:

- ``weekly``: the ISO week, Monday 00:00 to the next Monday 00:00 (Asia/Shanghai);
- ``monthly``: the calendar month;
- ``quarterly``: the calendar quarter (Jan–Mar, Apr–Jun, Jul–Sep, Oct–Dec);
- ``per_stage``: the project's current stage, from the exact moment it was entered
  (``stage_entered_at``) and open-ended (``ends_at`` None) until the next stage move.

A visit counts for a slot when its time lies in the slot (``Slot.contains``). The visit-rate
reports reuse ``slot_of`` and ``slots_overlapping`` to enumerate due slots of a period.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from fieldapp.clock import local_date, local_midnight

CALENDAR_CADENCES = ("weekly", "monthly", "quarterly")


@dataclass(frozen=True)
class Slot:
    """One slot: ``starts_at`` inclusive, ``ends_at`` exclusive (None: still open)."""

    cadence: str
    starts_at: datetime
    ends_at: datetime | None

    @property
    def start(self) -> date:
        """The slot's first local day."""
        return local_date(self.starts_at)

    @property
    def end(self) -> date | None:
        """The slot's last local day (inclusive); None while a stage slot is open."""
        if self.ends_at is None:
            return None
        return local_date(self.ends_at - timedelta(microseconds=1))

    def contains(self, moment: datetime) -> bool:
        """True when the aware ``moment`` falls inside the slot."""
        _require_aware(moment, "moment")
        return self.starts_at <= moment and (self.ends_at is None or moment < self.ends_at)


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")


def _first_day(cadence: str, day: date) -> date:
    if cadence == "weekly":
        return day - timedelta(days=day.weekday())
    if cadence == "monthly":
        return day.replace(day=1)
    if cadence == "quarterly":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    raise ValueError(f"not a calendar cadence: {cadence!r}")


def _next_first_day(cadence: str, first: date) -> date:
    if cadence == "weekly":
        return first + timedelta(days=7)
    months = 1 if cadence == "monthly" else 3
    month = first.month - 1 + months
    return date(first.year + month // 12, month % 12 + 1, 1)


def slot_of(cadence: str, day: date) -> Slot:
    """The calendar slot (weekly, monthly or quarterly) that contains the local ``day``."""
    first = _first_day(cadence, day)
    return Slot(cadence, local_midnight(first), local_midnight(_next_first_day(cadence, first)))


def current_slot(cadence: str, moment: datetime, *,
                 stage_entered_at: datetime | None = None) -> Slot:
    """The slot in force at the aware ``moment``.

    Calendar cadences use the local date of ``moment``. ``per_stage`` needs the project's
    ``stage_entered_at``: the slot is the current stage, open-ended. A stage entered after
    ``moment`` (clock skew, or a question about the past) is refused: this function knows only
    the current stage, and the history answers questions about earlier ones.
    """
    _require_aware(moment, "moment")
    if cadence == "per_stage":
        if stage_entered_at is None:
            raise ValueError("per_stage needs stage_entered_at")
        _require_aware(stage_entered_at, "stage_entered_at")
        if stage_entered_at > moment:
            raise ValueError("the stage was entered after the moment asked about")
        return Slot(cadence, stage_entered_at, None)
    return slot_of(cadence, local_date(moment))


def slots_overlapping(cadence: str, first: date, last: date) -> Iterator[Slot]:
    """Every calendar slot that shares at least one day with ``first``..``last`` (inclusive)."""
    if last < first:
        return
    day = _first_day(cadence, first)
    while day <= last:
        nxt = _next_first_day(cadence, day)
        yield Slot(cadence, local_midnight(day), local_midnight(nxt))
        day = nxt
