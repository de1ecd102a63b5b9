"""Working-day deadlines on China's official calendar, across the 2025 and 2026 Spring Festival
and National Day periods with their make-up working days (调休)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldapp.issues.workdays import CalendarGap, WorkCalendar

CST = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()


def at(day: str, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=CST)


def end_of(day: str) -> datetime:
    return at(day, 0) + timedelta(days=1)


@pytest.mark.parametrize("day,workday", [
    # 2025 Spring Festival: 28 Jan – 4 Feb off; Sunday 26 Jan and Saturday 8 Feb worked.
    ("2025-01-26", True), ("2025-01-27", True), ("2025-01-28", False), ("2025-02-04", False),
    ("2025-02-05", True), ("2025-02-08", True), ("2025-02-09", False),
    # 2025 National Day + Mid-Autumn: 1–8 Oct off; Sunday 28 Sep and Saturday 11 Oct worked.
    ("2025-09-28", True), ("2025-10-01", False), ("2025-10-08", False), ("2025-10-09", True),
    ("2025-10-11", True), ("2025-10-12", False),
    # 2026 Spring Festival: 15–23 Feb off; Saturdays 14 and 28 Feb worked.
    ("2026-02-14", True), ("2026-02-15", False), ("2026-02-23", False), ("2026-02-24", True),
    ("2026-02-28", True), ("2026-03-01", False),
    # 2026 National Day: 1–7 Oct off; Sunday 20 Sep and Saturday 10 Oct worked.
    ("2026-09-20", True), ("2026-10-01", False), ("2026-10-07", False), ("2026-10-08", True),
    ("2026-10-10", True), ("2026-10-11", False),
    # An ordinary week.
    ("2026-11-20", True), ("2026-11-21", False), ("2026-11-22", False),
])
def test_official_days_off_and_make_up_days(day, workday):
    assert CAL.is_workday(date.fromisoformat(day)) is workday


@pytest.mark.parametrize("start,days,deadline", [
    # Friday before the 2026 Spring Festival: Sat 14 Feb (make-up) is day 1, then 9 days off.
    ("2026-02-13", 1, "2026-02-14"), ("2026-02-13", 2, "2026-02-24"),
    ("2026-02-13", 3, "2026-02-25"),
    # Filed on a holiday: counting starts with the next working day.
    ("2026-02-17", 1, "2026-02-24"),
    # Across 2026 National Day: Wed 30 Sep + 1 = Thu 8 Oct; Fri 9, Sat 10 (make-up) follow.
    ("2026-09-30", 1, "2026-10-08"), ("2026-09-30", 3, "2026-10-10"),
    ("2026-09-30", 4, "2026-10-12"),
    # 2025: Sat 25 Jan → Sun 26 (make-up) → Mon 27 → holidays → Wed 5 Feb.
    ("2025-01-25", 3, "2025-02-05"), ("2025-01-25", 6, "2025-02-08"),
    # 2025 National Day: Fri 26 Sep → Sun 28 (make-up), Mon 29, Tue 30, Thu 9 Oct.
    ("2025-09-26", 4, "2025-10-09"), ("2025-09-26", 6, "2025-10-11"),
    # An ordinary weekend.
    ("2026-11-20", 1, "2026-11-23"), ("2026-11-20", 5, "2026-11-27"),
])
def test_deadlines_in_working_days(start, days, deadline):
    assert CAL.deadline_in_days(at(start, 16), days) == end_of(deadline)


def test_hours_count_only_on_working_days():
    # 20:00 on the last working day before the 2026 Spring Festival (Sat 14 Feb, make-up):
    # 4 hours that day, the clock stops 15–23 Feb, 20 more on Tue 24 Feb.
    assert CAL.deadline_in_hours(at("2026-02-14", 20), 24) == at("2026-02-24", 20)
    assert CAL.deadline_in_hours(at("2026-11-20", 9), 8) == at("2026-11-20", 17)


def test_suspended_time_counts_only_its_working_part():
    # Suspended from Thu 24 Sep 2026 12:00 to Fri 9 Oct 12:00: working time in between is
    # half of Thu 24, Mon 28 – Wed 30 Sep, Thu 8 Oct and half of Fri 9 (Fri 25 Sep is the
    # Mid-Autumn Festival; 20 Sep and 10 Oct fall outside), i.e. 5 working days.
    assert CAL.working_days(at("2026-09-24", 12), at("2026-10-09", 12)) == pytest.approx(5)
    assert CAL.working_seconds(at("2026-10-02"), at("2026-10-05")) == 0


def test_a_year_the_calendar_does_not_know_is_an_error_not_a_guess():
    with pytest.raises(CalendarGap) as gap:
        CAL.deadline_in_days(at("2027-12-30"), 5)
    assert "2028" in str(gap.value) or "2027" in str(gap.value)
    with pytest.raises(CalendarGap):
        CAL.is_workday(date(2031, 5, 1))


def test_the_earliest_a_deadline_in_an_unknown_year_can_be():
    # Mon 28 Dec 2026 + 15 working days: 29–31 Dec are known, 2027 is not. Unknown days count
    # as working days, so the deadline cannot come before the end of Tue 12 Jan 2027.
    assert CAL.earliest_deadline_in_days(at("2026-12-28"), 15) == end_of("2027-01-12")
    # A day off an admin entered is still a day off.
    cal = WorkCalendar({date(2027, 1, 1): False})
    assert cal.earliest_deadline_in_days(at("2026-12-28"), 15) == end_of("2027-01-13")
    # Where every day is known it is the deadline itself.
    assert CAL.earliest_deadline_in_days(at("2026-02-13"), 2) == end_of("2026-02-24")


def test_admins_add_days_and_declare_years():
    cal = WorkCalendar({date(2031, 5, 1): False, date(2031, 5, 10): True}, {2031})
    assert cal.is_workday(date(2031, 5, 1)) is False      # a holiday they entered
    assert cal.is_workday(date(2031, 5, 10)) is True      # a make-up Saturday they entered
    assert cal.is_workday(date(2031, 5, 2)) is True       # a Friday of a declared year
    assert cal.is_workday(date(2031, 5, 3)) is False
    # An override also corrects a day the package knows (an arrangement changed late).
    assert WorkCalendar({date(2026, 11, 20): False}).is_workday(date(2026, 11, 20)) is False


MOMENTS = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 10, 31),
                       timezones=st.just(CST))


@settings(max_examples=200, deadline=None)
@given(MOMENTS, st.floats(min_value=0, max_value=40 * 86400))
def test_adding_working_time_and_measuring_it_agree(start, seconds):
    end = CAL.add_working_seconds(start, seconds)
    assert end >= start
    assert CAL.working_seconds(start, end) == pytest.approx(seconds, abs=1e-3)


@settings(max_examples=100, deadline=None)
@given(MOMENTS, st.integers(min_value=1, max_value=20))
def test_a_deadline_ends_a_working_day_and_holds_exactly_n_of_them(start, days):
    deadline = CAL.deadline_in_days(start, days)
    last_day = (deadline - timedelta(seconds=1)).date()
    assert deadline.time().hour == 0 and CAL.is_workday(last_day)
    counted = sum(CAL.is_workday(start.date() + timedelta(days=i))
                  for i in range(1, (last_day - start.date()).days + 1))
    assert counted == days
