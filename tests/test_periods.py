"""Visit slots: ISO weeks, calendar months and quarters in Asia/Shanghai, and project stages."""

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldapp.assignments.periods import (
    current_slot,
    local_date,
    slot_of,
    slots_overlapping,
)
from fieldapp.clock import LOCAL_TZ

CALENDAR = ("weekly", "monthly", "quarterly")
days = st.dates(min_value=date(1995, 1, 1), max_value=date(2100, 12, 31))
moments = st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2100, 12, 31),
                       timezones=st.just(UTC))


def test_a_week_is_monday_to_sunday_even_across_a_year_end():
    slot = slot_of("weekly", date(2026, 1, 1))  # a Thursday in ISO week 2026-W01
    assert (slot.start, slot.end) == (date(2025, 12, 29), date(2026, 1, 4))


def test_a_month_and_a_quarter_are_calendar_ones():
    assert (slot_of("monthly", date(2024, 2, 29)).start,
            slot_of("monthly", date(2024, 2, 29)).end) == (date(2024, 2, 1), date(2024, 2, 29))
    q4 = slot_of("quarterly", date(2026, 11, 22))
    assert (q4.start, q4.end) == (date(2026, 10, 1), date(2026, 12, 31))


def test_slots_begin_at_shanghai_midnight_not_utc_midnight():
    slot = slot_of("monthly", date(2026, 11, 1))
    assert slot.starts_at == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    # 23:30 UTC on 31 October is already 1 November in Shanghai.
    assert current_slot("monthly", datetime(2026, 10, 31, 16, 30, tzinfo=UTC)).start == \
        date(2026, 11, 1)
    assert not slot.contains(datetime(2026, 10, 31, 15, 59, 59, tzinfo=UTC))
    assert slot.contains(datetime(2026, 10, 31, 16, 0, tzinfo=UTC))
    assert not slot.contains(datetime(2026, 11, 30, 16, 0, tzinfo=UTC))


def test_a_stage_slot_starts_at_the_exact_move_and_stays_open():
    entered = datetime(2026, 11, 20, 3, 15, tzinfo=UTC)
    slot = current_slot("per_stage", datetime(2026, 11, 22, tzinfo=UTC),
                        stage_entered_at=entered)
    assert slot.starts_at == entered and slot.ends_at is None and slot.end is None
    assert slot.start == date(2026, 11, 20)
    assert not slot.contains(entered - timedelta(seconds=1))
    assert slot.contains(entered) and slot.contains(datetime(2030, 1, 1, tzinfo=UTC))


def test_bad_calls_are_refused():
    with pytest.raises(ValueError):
        slot_of("per_stage", date(2026, 1, 1))
    with pytest.raises(ValueError):
        slot_of("daily", date(2026, 1, 1))
    with pytest.raises(ValueError):
        current_slot("per_stage", datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError):
        current_slot("per_stage", datetime(2026, 1, 1, tzinfo=UTC),
                     stage_entered_at=datetime(2026, 1, 2, tzinfo=UTC))
    with pytest.raises(ValueError):
        current_slot("weekly", datetime(2026, 1, 1))  # naive
    with pytest.raises(ValueError):
        slot_of("weekly", date(2026, 1, 1)).contains(datetime(2026, 1, 1))


@given(st.sampled_from(CALENDAR), days)
def test_the_slot_of_a_day_contains_it_and_has_the_cadences_shape(cadence, day):
    slot = slot_of(cadence, day)
    assert slot.start <= day <= slot.end
    assert slot.contains(datetime.combine(day, datetime.min.time(), tzinfo=LOCAL_TZ))
    length = (slot.end - slot.start).days + 1
    if cadence == "weekly":
        assert slot.start.weekday() == 0 and length == 7
        assert slot.start.isocalendar()[:2] == day.isocalendar()[:2]
    elif cadence == "monthly":
        assert slot.start.day == 1 and slot.start.month == day.month and 28 <= length <= 31
    else:
        assert slot.start.day == 1 and slot.start.month in (1, 4, 7, 10)
        assert (slot.start.month - 1) // 3 == (day.month - 1) // 3 and 90 <= length <= 92
    assert slot.ends_at == slot_of(cadence, slot.end + timedelta(days=1)).starts_at


@given(st.sampled_from(CALENDAR), moments)
def test_current_slot_is_the_slot_of_the_local_date(cadence, moment):
    slot = current_slot(cadence, moment)
    assert slot == slot_of(cadence, local_date(moment))
    assert slot.contains(moment)


@given(st.sampled_from(CALENDAR), days, st.integers(0, 800))
def test_slots_overlapping_tile_the_range_without_gaps(cadence, first, span):
    last = first + timedelta(days=span)
    slots = list(slots_overlapping(cadence, first, last))
    assert slots[0].start <= first <= slots[0].end
    assert slots[-1].start <= last <= slots[-1].end
    for a, b in itertools.pairwise(slots):
        assert a.ends_at == b.starts_at


def test_an_empty_range_has_no_slots():
    assert list(slots_overlapping("weekly", date(2026, 1, 2), date(2026, 1, 1))) == []
