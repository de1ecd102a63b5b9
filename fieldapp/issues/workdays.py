"""China's working-day calendar (工作日), for issue deadlines. Pure: no Flask, no database.

A day is a working day when China's official arrangement says so: Monday to Friday unless a
statutory holiday, plus the make-up working days (调休) that fall on a Saturday or Sunday. The
``chinese-calendar`` package carries the State Council's published arrangements; admins add
what it does not know yet (``overrides``: a day → working or not) and declare a year complete
once they have entered its arrangement (``declared_years``: then its other days follow the
weekday rule). A question about a day neither knows raises ``CalendarGap``: a deadline is never
a silent guess.

All moments are aware datetimes; days are Asia/Shanghai calendar days.

- ``deadline_in_days(t, n)``: the end (24:00) of the n-th working day after the day of ``t``
  (the day of ``t`` itself does not count, whatever the hour).
- ``earliest_deadline_in_days(t, n)``: the earliest that deadline can turn out to be while
  some of its days are unknown (they count as working days: entering their year can only move
  the deadline later).
- ``deadline_in_hours(t, h)``: ``t`` plus ``h`` hours of working-day time (the clock stops on
  days off).
- ``working_seconds(a, b)`` and ``add_working_seconds(t, s)``: working-day time between two
  moments, and ``t`` moved on by that much; a suspension's working time is added to the
  deadline when the issue resumes, so suspended time does not count.
"""

from collections.abc import Mapping
from datetime import date, datetime, timedelta

import chinese_calendar

from fieldapp.clock import local_date as _local_day
from fieldapp.clock import local_midnight as _midnight

DAY = 86_400
MAX_SPAN_DAYS = 3 * 366


class CalendarGap(ValueError):
    """The calendar has no data for ``day``: an admin must enter that year's arrangement."""

    def __init__(self, day: date):
        super().__init__(f"no working-day data for {day.isoformat()}: enter the "
                         f"{day.year} holiday arrangement (admin: /api/v1/calendar)")
        self.day = day


class WorkCalendar:
    """The package's calendar with the admins' additions on top."""

    def __init__(self, overrides: Mapping[date, bool] | None = None,
                 declared_years: set[int] | frozenset[int] = frozenset()):
        self.overrides = dict(overrides or {})
        self.declared_years = set(declared_years)

    def is_workday(self, day: date) -> bool:
        """True for a working day; ``CalendarGap`` where nothing is known."""
        if day in self.overrides:
            return self.overrides[day]
        if day.year in self.declared_years:
            return day.weekday() < 5
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            raise CalendarGap(day) from None

    def deadline_in_days(self, start: datetime, days: int) -> datetime:
        """The end of the ``days``-th working day after the day of ``start``."""
        return self._end_of_nth_workday(start, days, self.is_workday)

    def earliest_deadline_in_days(self, start: datetime, days: int) -> datetime:
        """``deadline_in_days`` with unknown days counted as working days: a bound the real
        deadline cannot come before, whatever their year's arrangement turns out to be."""
        return self._end_of_nth_workday(start, days, self._workday_unless_known_off)

    def _workday_unless_known_off(self, day: date) -> bool:
        try:
            return self.is_workday(day)
        except CalendarGap:
            return True

    def _end_of_nth_workday(self, start: datetime, days: int, is_workday) -> datetime:
        if days < 1:
            raise ValueError("days must be at least 1")
        day = _local_day(start)
        for _ in range(MAX_SPAN_DAYS):
            day += timedelta(days=1)
            if is_workday(day):
                days -= 1
                if days == 0:
                    return _midnight(day + timedelta(days=1))
        raise ValueError("deadline too far ahead")

    def deadline_in_hours(self, start: datetime, hours: float) -> datetime:
        """``start`` plus ``hours`` of working-day time."""
        return self.add_working_seconds(start, hours * 3600)

    def working_seconds(self, a: datetime, b: datetime) -> float:
        """Working-day time from ``a`` to ``b`` (0 when ``b`` is not after ``a``)."""
        if b <= a:
            return 0.0
        total = 0.0
        day = _local_day(a)
        last = _local_day(b)
        if (last - day).days > MAX_SPAN_DAYS:
            raise ValueError("span too long")
        while day <= last:
            lo, hi = max(a, _midnight(day)), min(b, _midnight(day + timedelta(days=1)))
            if hi > lo and self.is_workday(day):
                total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return total

    def working_days(self, a: datetime, b: datetime) -> float:
        """``working_seconds`` in days (a working day = 24 hours of it)."""
        return self.working_seconds(a, b) / DAY

    def add_working_seconds(self, start: datetime, seconds: float) -> datetime:
        """The moment when ``seconds`` of working-day time have passed since ``start``."""
        if seconds <= 0:
            return start
        moment = start
        for _ in range(MAX_SPAN_DAYS):
            day = _local_day(moment)
            end = _midnight(day + timedelta(days=1))
            if self.is_workday(day):
                room = (end - moment).total_seconds()
                if seconds <= room:
                    return moment + timedelta(seconds=seconds)
                seconds -= room
            moment = end
        raise ValueError("deadline too far ahead")


