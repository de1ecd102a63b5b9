"""Specification of the integrity signals: true positives, honest near-misses, offline order."""

import random
from datetime import datetime, timedelta

import pytest
from geographiclib.geodesic import Geodesic

from geo import (
    GeoError,
    IntegrityPolicy,
    VisitPoint,
    accuracy_implausible,
    china_calendar_day,
    clock_skew,
    impossible_travel,
    integrity_flags,
    mock_location,
    repeated_fix,
    same_spot_other_firms,
    stale_fix,
)
from geo.integrity import CHINA_STANDARD_TIME as CST

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=CST)
HANGZHOU = (30.2741, 120.1551)


def away(metres, azimuth=90.0, origin=HANGZHOU):
    g = Geodesic.WGS84.Direct(origin[0], origin[1], azimuth, metres)
    return g["lat2"], g["lon2"]


def visit(visit_id, where=HANGZHOU, at=T0, firm="F1", accuracy=10.0, **times):
    return VisitPoint(visit_id, firm, where[0], where[1], accuracy, fix_time=at, **times)


def shuffled(items, seed=0):
    items = list(items)
    random.Random(seed).shuffle(items)
    return items


# --- mock_location and accuracy_implausible --------------------------------------------------


def test_client_reported_mock_location_is_flagged():
    assert mock_location(True)
    assert not mock_location(False) and not mock_location(None)


@pytest.mark.parametrize("accuracy", [0.0, 0.5])
def test_sub_metre_accuracy_is_implausible(accuracy):
    assert accuracy_implausible(accuracy)


@pytest.mark.parametrize("accuracy", [1.0, 3.9, None])
def test_a_good_gnss_fix_or_no_accuracy_is_not_implausible(accuracy):
    assert not accuracy_implausible(accuracy)


# --- impossible_travel -----------------------------------------------------------------------


def test_hangzhou_then_beijing_an_hour_later_is_impossible_travel():
    beijing = (39.9042, 116.4074)
    now = visit(2, beijing, T0 + timedelta(hours=1))
    assert impossible_travel(now, [visit(1)])


def test_an_expressway_drive_at_110_kmh_is_not_impossible_travel():
    later = visit(2, away(55_000), T0 + timedelta(minutes=30))  # 110 km/h
    assert not impossible_travel(later, [visit(1)])
    assert not impossible_travel(visit(1), [later])  # judged as the next visit too


def test_network_fixes_are_given_the_benefit_of_their_accuracy():
    # 2 km in 50 s is 144 km/h, but each fix is only good to 1.5 km: no evidence of travel.
    coarse = visit(2, away(2_000), T0 + timedelta(seconds=50), accuracy=1_500)
    assert not impossible_travel(coarse, [visit(1, accuracy=1_500)])
    precise = visit(2, away(2_000), T0 + timedelta(seconds=50), accuracy=10)
    assert impossible_travel(precise, [visit(1, accuracy=10)])


def test_a_jump_at_the_same_instant_is_impossible_but_standing_still_is_not():
    assert impossible_travel(visit(2, away(5_000)), [visit(1)])
    assert not impossible_travel(visit(2, away(5)), [visit(1)])


def test_late_offline_upload_is_judged_against_its_neighbours_in_fix_time():
    # Fix-time order: far (8:50, 100 km away), A (9:00, here), late (9:20, here), B (9:40, here).
    # The late upload arrives last; only A and B are its neighbours, so the 100 km jump is A's
    # problem, not the late upload's.
    far = visit("far", away(100_000), T0 - timedelta(minutes=10))
    a, b = visit("A"), visit("B", at=T0 + timedelta(minutes=40))
    late = visit("late", away(500), T0 + timedelta(minutes=20))
    for order in ([a, b, far], shuffled([a, b, far], 1), [far, b, a]):
        assert not impossible_travel(late, order)
    assert impossible_travel(a, [b, late, far])


def test_late_offline_upload_is_caught_by_its_next_neighbour_in_fix_time():
    a, b = visit("A"), visit("B", away(80_000), T0 + timedelta(minutes=40))
    late = visit("late", away(500), T0 + timedelta(minutes=20))  # then 80 km in 20 min
    assert impossible_travel(late, shuffled([b, a], 3))


def test_travel_needs_a_fix_time_and_ignores_the_visit_itself_and_timeless_neighbours():
    me = visit(1)
    assert not impossible_travel(VisitPoint(9, "F", *HANGZHOU, 10), [me])
    timeless = VisitPoint(7, "F", *away(90_000), 10)
    assert not impossible_travel(me, [me, timeless])


def test_travel_falls_back_to_capture_time_and_speed_limit_is_a_policy():
    first = VisitPoint(1, "F", *HANGZHOU, 10, captured_at=T0)
    second = VisitPoint(2, "F", *away(55_000), 10, captured_at=T0 + timedelta(minutes=30))
    assert not impossible_travel(second, [first])
    assert impossible_travel(second, [first], IntegrityPolicy(max_speed_kmh=100))


# --- same_spot_other_firms -------------------------------------------------------------------


def test_visits_to_two_firms_from_one_desk_are_flagged():
    desk = visit(2, away(3), T0 + timedelta(minutes=90), firm="F2")
    assert same_spot_other_firms(desk, [visit(1, firm="F1")])


def test_a_follow_up_visit_to_the_same_firm_is_not_flagged():
    assert not same_spot_other_firms(visit(2, at=T0 + timedelta(hours=1)), [visit(1)])


def test_neighbouring_firms_in_one_building_are_not_flagged():
    next_door = visit(2, away(30), T0 + timedelta(minutes=40), firm="F2")
    assert not same_spot_other_firms(next_door, [visit(1)])


def test_the_same_spot_outside_the_time_window_is_not_flagged():
    tomorrow = visit(2, away(2), T0 + timedelta(hours=5), firm="F2")
    assert not same_spot_other_firms(tomorrow, [visit(1)])
    assert not same_spot_other_firms(VisitPoint(3, "F3", *HANGZHOU), [visit(1)])
    assert not same_spot_other_firms(tomorrow, [VisitPoint(3, "F3", *HANGZHOU)])


def test_same_spot_is_found_whatever_order_neighbours_arrive_in():
    others = [visit(i, away(5_000 * i), T0 + timedelta(hours=i), firm=f"F{i}") for i in (1, 2)]
    earlier = visit(9, away(4), T0 - timedelta(hours=2), firm="F9")
    now = visit(10, at=T0, firm="F10")
    assert same_spot_other_firms(now, shuffled([*others, earlier], 5))


# --- repeated_fix ----------------------------------------------------------------------------


def test_identical_coordinates_on_another_day_are_a_replayed_fix():
    monday = visit(1)
    tuesday = visit(2, (HANGZHOU[0] + 5e-8, HANGZHOU[1]), T0 + timedelta(days=1), firm="F2")
    assert repeated_fix(tuesday, [monday])


def test_a_cached_fix_reused_thirty_seconds_later_is_not_repeated():
    assert not repeated_fix(visit(2, at=T0 + timedelta(seconds=30), firm="F2"), [visit(1)])


def test_real_fixes_on_different_days_jitter_and_are_not_repeated():
    jittered = visit(2, (HANGZHOU[0] + 2e-6, HANGZHOU[1]), T0 + timedelta(days=1))
    assert not repeated_fix(jittered, [visit(1)])


def test_calendar_days_are_counted_in_china_time():
    late_evening = visit(1, at=datetime(2026, 3, 2, 23, 50, tzinfo=CST))
    after_midnight = visit(2, at=datetime(2026, 3, 3, 0, 10, tzinfo=CST))  # same UTC day
    assert repeated_fix(after_midnight, [late_evening])
    morning = visit(3, at=datetime(2026, 3, 3, 7, 30, tzinfo=CST))  # previous UTC day
    later_morning = visit(4, at=datetime(2026, 3, 3, 8, 30, tzinfo=CST))
    assert not repeated_fix(later_morning, [morning])
    assert china_calendar_day(morning.fix_time) == china_calendar_day(later_morning.fix_time)
    assert not repeated_fix(VisitPoint(5, "F", *HANGZHOU), [morning])


# --- clock_skew ------------------------------------------------------------------------------


def test_capture_time_in_the_future_of_the_server_is_clock_skew():
    ahead = visit(1, captured_at=T0 + timedelta(minutes=10), received_at=T0)
    assert clock_skew(ahead, online=True) and clock_skew(ahead, online=False)
    fix_ahead = visit(2, at=T0 + timedelta(minutes=10), captured_at=T0, received_at=T0)
    assert clock_skew(fix_ahead, online=False)


def test_a_phone_clock_a_minute_fast_is_not_clock_skew():
    assert not clock_skew(visit(1, captured_at=T0 + timedelta(minutes=1), received_at=T0),
                          online=True)


def test_an_online_submission_received_long_after_capture_is_clock_skew():
    delayed = visit(1, captured_at=T0, received_at=T0 + timedelta(minutes=30))
    assert clock_skew(delayed, online=True)


def test_an_offline_upload_arriving_hours_late_is_not_clock_skew():
    offline = visit(1, captured_at=T0, received_at=T0 + timedelta(hours=6))
    assert not clock_skew(offline, online=False)


def test_clock_skew_needs_a_receive_time():
    assert not clock_skew(visit(1, captured_at=T0 + timedelta(days=1)), online=True)


# --- stale_fix -------------------------------------------------------------------------------


def test_a_fix_half_an_hour_old_at_capture_is_stale():
    assert stale_fix(visit(1, at=T0 - timedelta(minutes=30), captured_at=T0))


def test_a_two_minute_old_cached_fix_is_not_stale():
    assert not stale_fix(visit(1, at=T0 - timedelta(minutes=2), captured_at=T0))
    assert not stale_fix(visit(1, captured_at=None))


# --- all together ----------------------------------------------------------------------------


def test_an_honest_visit_raises_no_flags():
    previous = visit(1, away(20_000), T0 - timedelta(hours=2), firm="F0")
    honest = visit(2, captured_at=T0 + timedelta(seconds=20),
                   received_at=T0 + timedelta(seconds=25))
    assert integrity_flags(honest, [previous], online=True) == ()


def test_every_raised_signal_is_reported_in_a_stable_order():
    yesterday = visit(1, firm="F0", at=T0 - timedelta(days=1))
    desk = visit(0, away(3), T0 - timedelta(minutes=1), firm="F9")
    far = visit(3, away(100_000), T0 - timedelta(minutes=50), firm="F3")
    bad = visit(2, accuracy=0.0, at=T0 - timedelta(hours=1), firm="F2",
                captured_at=T0, received_at=T0 - timedelta(minutes=30))
    flags = integrity_flags(bad, [yesterday, desk, far], mock=True, online=False)
    assert flags == ("mock_location", "accuracy_implausible", "impossible_travel",
                     "same_spot_other_firms", "repeated_fix", "clock_skew", "stale_fix")


def test_visit_points_validate_their_inputs():
    with pytest.raises(GeoError) as err:
        VisitPoint(1, "F", 95.0, 120.0)
    assert err.value.field == "lat"
    with pytest.raises(GeoError) as err:
        VisitPoint(1, "F", 30.0, 120.0, fix_time=datetime(2026, 3, 2, 9))
    assert err.value.field == "fix_time"
    with pytest.raises(GeoError) as err:
        VisitPoint(1, "F", 30.0, 120.0, accuracy_m=float("nan"))
    assert err.value.field == "accuracy_m"
