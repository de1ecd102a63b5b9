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

The slots are stored, one row each, in ``visit_slots`` and kept in step on every write
(``fieldapp.stats.slots``); reports read only the rows due in their period.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from fieldapp.clock import local_midnight


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


EARLIEST = date(2000, 1, 1)


def latest_day(today: date) -> date:
    """The last day a report may reach: the end of the quarter after today's. Reports write
    the slots they reach ahead of time, so a period years away would write years of empty
    slots for every assignment (and no one plans visits that far)."""
    months = 3 * ((today.month - 1) // 3) + 6
    return date(today.year + months // 12, months % 12 + 1, 1) - timedelta(days=1)


LATEST = date(2099, 12, 31)


def check_years(start: date, end: date) -> None:
    """ValueError unless ``start``..``end`` lies in 2000–2099 (the dates any filter takes)."""
    if start < EARLIEST or end > LATEST:
        raise ValueError(f"periods lie between {EARLIEST.isoformat()} and {LATEST.isoformat()}")


def check_reach(start: date, end: date, today: date) -> None:
    """ValueError unless ``start``..``end`` lies between 2000 and the end of next quarter."""
    if start < EARLIEST:
        raise ValueError(f"reports begin on {EARLIEST.isoformat()}")
    if end > (latest := latest_day(today)):
        raise ValueError(f"reports reach at most to {latest.isoformat()}, the end of next "
                         "quarter")


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
