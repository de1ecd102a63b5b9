"""The phone's list, ``GET /api/v1/me/assignments``: today's firms and projects, their slot,
whether a visit is due, their sites, and the distance from where the phone is.

Sites of the scene (``tests.test_projects.Registry``): project A at 34.61,108.94, firm A at
34.60,108.93, the park firm at 34.62,108.95, firm B at 34.52,108.84.
"""

from datetime import date, datetime, timedelta

import pytest
from geoalchemy2 import WKTElement

from fieldapp import clock
from fieldapp.assignments import mine
from fieldapp.extensions import db
from geo import geodesic_distance_m, wgs84_to_bd09, wgs84_to_gcj02
from models import Project, Site, utcnow
from tests.test_projects import Registry

URL = "/api/v1/me/assignments"


@pytest.fixture
def reg(world):
    """The registry scene; ``both`` holds the commissioner and butler roles."""
    scene = Registry(world)
    scene.users["both"] = world.user("both", ["butler", "commissioner"], world.county_a)
    return scene


def _day(offset: int) -> date:
    return clock.today() + timedelta(days=offset)


def _mine(client, headers, **query):
    resp = client.get(URL, query_string=query, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


@pytest.fixture
def rounds(reg):
    """``both`` looks after firm A, the park firm, project A (per stage) and project park
    (no site) today, and firm B some other time."""
    return {
        "firm_a": reg.assign("both", firm=reg.firm_a, cadence="monthly"),
        "firm_park": reg.assign("both", firm=reg.firm_park, cadence="weekly",
                                starts_on=_day(0), ends_on=_day(0)),
        "project_a": reg.assign("both", project=reg.project_a, cadence="per_stage"),
        "project_park": reg.assign("both", project=reg.project_park, cadence="quarterly"),
        "past": reg.assign("both", firm=reg.firm_b, cadence="monthly", starts_on=_day(-30),
                           ends_on=_day(-1)),
        "future": reg.assign("both", firm=reg.firm_b, cadence="monthly", starts_on=_day(1)),
    }


def test_only_assignments_in_force_today_are_listed(client, reg, as_, rounds):
    got = _mine(client, as_("both"))
    assert got["as_of"] == clock.today().isoformat()
    assert {r["assignment_id"] for r in got["items"]} == {
        rounds[k].id for k in ("firm_a", "firm_park", "project_a", "project_park")}


def test_closed_firms_are_left_out(client, reg, as_):
    reg.assign("commissioner", firm=reg.firm_closed)
    kept = reg.assign("commissioner", firm=reg.firm_a)
    got = _mine(client, as_("commissioner"))
    assert [r["assignment_id"] for r in got["items"]] == [kept.id]


def test_only_my_own_assignments_are_listed(client, reg, as_, rounds):
    got = _mine(client, as_("butler"))
    assert [r["assignment_id"] for r in got["items"]] == [reg.butler_assignment.id]
    assert _mine(client, as_("a_manager"))["items"] == []
    assert _mine(client, as_("firm"))["items"] == []


def test_a_row_describes_its_target_sites_and_slot(client, reg, as_, rounds):
    items = {r["assignment_id"]: r for r in _mine(client, as_("both"))["items"]}
    firm = items[rounds["firm_a"].id]
    assert (firm["target_kind"], firm["target_id"], firm["target_name"]) == (
        "firm", reg.firm_a.id, reg.firm_a.name)
    assert (firm["stage"], firm["cadence"], firm["distance_m"]) == (None, "monthly", None)
    assert (firm["last_visit_at"], firm["due_this_period"]) == (None, True)
    [site] = firm["sites"]
    assert (site["lat"], site["lon"], site["radius_m"], site["version"], site["name"]) == (
        pytest.approx(34.60), pytest.approx(108.93), 200.0, 1, "gate")
    today = clock.today()
    month_start = today.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    assert firm["current_slot"]["start"] == month_start.isoformat()
    assert firm["current_slot"]["end"] == (next_month - timedelta(days=1)).isoformat()
    assert datetime.fromisoformat(firm["current_slot"]["starts_at"]) == datetime.combine(
        month_start, datetime.min.time(), tzinfo=clock.LOCAL_TZ)
    week = items[rounds["firm_park"].id]["current_slot"]
    monday = today - timedelta(days=today.weekday())
    assert (week["start"], week["end"]) == (monday.isoformat(),
                                            (monday + timedelta(days=6)).isoformat())
    assert items[rounds["project_park"].id]["sites"] == []


def test_a_per_stage_slot_starts_when_the_stage_was_entered_and_stays_open(client, reg, as_,
                                                                           rounds):
    entered = utcnow() - timedelta(days=40, hours=3)
    project = db.session.get(Project, reg.project_a.id)
    project.stage, project.stage_entered_at = "landed", entered
    db.session.commit()
    items = {r["assignment_id"]: r for r in _mine(client, as_("both"))["items"]}
    row = items[rounds["project_a"].id]
    assert row["stage"] == "landed"
    slot = row["current_slot"]
    assert datetime.fromisoformat(slot["starts_at"]) == entered
    assert slot["start"] == entered.astimezone(clock.LOCAL_TZ).date().isoformat()
    assert (slot["end"], slot["ends_at"]) == (None, None)
    assert row["due_this_period"] is True


def test_a_stage_entered_a_moment_ahead_of_this_servers_clock_is_no_error(client, reg, as_,
                                                                          rounds):
    entered = utcnow() + timedelta(seconds=30)
    db.session.get(Project, reg.project_a.id).stage_entered_at = entered
    db.session.commit()
    items = {r["assignment_id"]: r for r in _mine(client, as_("both"))["items"]}
    slot = items[rounds["project_a"].id]["current_slot"]
    assert datetime.fromisoformat(slot["starts_at"]) == entered


def test_without_a_position_due_rows_come_first_then_by_name(client, reg, as_, rounds,
                                                            monkeypatch):
    # A countable visit inside this month's slot: firm A is not due; one before the slot of
    # the quarterly project does not count for it.
    visited = utcnow()
    long_ago = utcnow() - timedelta(days=400)
    monkeypatch.setattr(mine, "last_countable_visits", lambda ids: {
        rounds["firm_a"].id: visited, rounds["project_park"].id: long_ago})
    items = _mine(client, as_("both"))["items"]
    due = {r["assignment_id"]: r["due_this_period"] for r in items}
    assert due[rounds["firm_a"].id] is False
    assert due[rounds["project_park"].id] is True
    assert [r["due_this_period"] for r in items] == [True, True, True, False]
    assert [r["target_name"] for r in items[:3]] == sorted(r["target_name"] for r in items[:3])
    firm_a = next(r for r in items if r["assignment_id"] == rounds["firm_a"].id)
    assert datetime.fromisoformat(firm_a["last_visit_at"]) == visited


def _expected_order(here, reg):
    """(distance, name) of the rows with sites, nearest first, for a WGS-84 ``here``."""
    points = {reg.firm_a.name: (34.60, 108.93), reg.firm_park.name: (34.62, 108.95),
              reg.project_a.name: (34.61, 108.94)}
    return sorted((geodesic_distance_m(*here, *p), name) for name, p in points.items())


@pytest.mark.parametrize("here", [(34.6205, 108.9502), (34.5990, 108.9290),
                                  (34.6110, 108.9390)])
def test_near_sorts_by_distance_with_siteless_rows_last(client, reg, as_, rounds, here):
    items = _mine(client, as_("both"), near=f"{here[0]},{here[1]}")["items"]
    expected = _expected_order(here, reg)
    assert [r["target_name"] for r in items] == [n for _, n in expected] + [
        reg.project_park.name]
    assert [r["distance_m"] for r in items[:3]] == [pytest.approx(d, abs=0.01)
                                                   for d, _ in expected]
    assert items[3]["distance_m"] is None


def test_near_in_gcj02_is_converted_before_measuring(client, reg, as_, rounds):
    here = (34.6205, 108.9502)
    gcj = wgs84_to_gcj02(*here)
    items = _mine(client, as_("both"), near=f"{gcj[0]},{gcj[1]}", crs="gcj02")["items"]
    expected = _expected_order(here, reg)
    assert [r["target_name"] for r in items[:3]] == [n for _, n in expected]
    assert items[0]["distance_m"] == pytest.approx(expected[0][0], abs=0.05)
    # Read as WGS-84 the same numbers land hundreds of metres away.
    raw = _mine(client, as_("both"), near=f"{gcj[0]},{gcj[1]}")["items"]
    assert abs(raw[0]["distance_m"] - items[0]["distance_m"]) > 100


def test_near_in_bd09_is_converted_too(client, reg, as_, rounds):
    here = (34.6110, 108.9390)
    bd = wgs84_to_bd09(*here)
    items = _mine(client, as_("both"), near=f"{bd[0]},{bd[1]}", crs="bd09")["items"]
    assert items[0]["distance_m"] == pytest.approx(_expected_order(here, reg)[0][0], abs=0.05)


def test_distance_is_to_the_nearest_active_site_and_zero_inside_a_boundary(client, reg, as_,
                                                                           rounds):
    here = (34.705, 108.895)
    db.session.add_all([
        # An inactive site right where the phone is does not count.
        Site(firm_id=reg.firm_park.id, name="old gate", radius_m=100.0, version=1,
             is_active=False, point=WKTElement(f"POINT({here[1]} {here[0]})", srid=4326)),
        Site(project_id=reg.project_park.id, name="plot", radius_m=100.0, version=1,
             point=WKTElement("POINT(108.9000 34.7000)", srid=4326),
             boundary=WKTElement("POLYGON((108.89 34.69, 108.91 34.69, 108.91 34.71, "
                                 "108.89 34.71, 108.89 34.69))", srid=4326)),
    ])
    db.session.commit()
    items = {r["target_name"]: r for r in _mine(
        client, as_("both"), near=f"{here[0]},{here[1]}")["items"]}
    assert items[reg.project_park.name]["distance_m"] == 0.0
    assert [s["name"] for s in items[reg.firm_park.name]["sites"]] == ["gate"]
    assert items[reg.firm_park.name]["distance_m"] == pytest.approx(
        geodesic_distance_m(*here, 34.62, 108.95), abs=0.01)
    items = _mine(client, as_("both"), near="34.60,108.93")["items"]
    assert items[0]["target_name"] == reg.firm_a.name
    assert items[0]["distance_m"] == pytest.approx(0.0, abs=0.01)


@pytest.mark.parametrize("near", ["abc", "34.6", "34.6,108.9,1", "91,108.9", "34.6,181",
                                  "nan,108.9", "34.6,inf", "", ","])
def test_a_malformed_near_is_422_naming_it(client, reg, as_, rounds, near):
    resp = client.get(URL, query_string={"near": near}, headers=as_("both"))
    assert resp.status_code == 422
    assert list(resp.get_json()["errors"]) == ["near"]


@pytest.mark.parametrize("crs", ["wgs-84x", "epsg:3857", ""])
def test_an_unknown_crs_is_422_naming_it(client, reg, as_, rounds, crs):
    resp = client.get(URL, query_string={"near": "34.6,108.9", "crs": crs},
                      headers=as_("both"))
    assert resp.status_code == 422
    assert list(resp.get_json()["errors"]) == ["crs"]


def test_me_needs_a_login(client, reg):
    assert client.get(URL).status_code == 401



# --- the phone's due state ----------------------------------------------------------------------


def _monthly(starts_on):
    from types import SimpleNamespace

    return SimpleNamespace(cadence="monthly", starts_on=starts_on)


_MONTH = mine.slot_of("monthly", date(2026, 12, 3))
_IN_SLOT = datetime(2026, 12, 2, 10, tzinfo=clock.LOCAL_TZ)
_LAST_MONTH = datetime(2026, 11, 20, 10, tzinfo=clock.LOCAL_TZ)
_TWO_MONTHS_AGO = datetime(2026, 10, 20, 10, tzinfo=clock.LOCAL_TZ)


@pytest.mark.parametrize(("starts_on", "countable", "waiting", "state"), [
    (date(2026, 1, 1), _IN_SLOT, None, "met"),
    (date(2026, 1, 1), _IN_SLOT, _IN_SLOT, "met"),
    (date(2026, 1, 1), _LAST_MONTH, _IN_SLOT, "pending_review"),
    (date(2026, 1, 1), _LAST_MONTH, None, "due"),
    (date(2026, 1, 1), _LAST_MONTH, _LAST_MONTH, "due"),
    (date(2026, 1, 1), _TWO_MONTHS_AGO, None, "overdue"),
    (date(2026, 1, 1), None, None, "overdue"),
    (date(2026, 12, 1), None, None, "due"),  # assigned this month: nothing missed yet
    (date(2026, 11, 25), None, None, "overdue"),  # in force for part of last month
])
def test_due_state_for_the_phone(starts_on, countable, waiting, state):
    assert mine.due_state(_monthly(starts_on), _MONTH, countable, waiting) == state


def test_rows_carry_their_due_state(client, reg, as_, rounds):
    items = {r["assignment_id"]: r for r in _mine(client, as_("both"))["items"]}
    assert items[rounds["firm_park"].id]["due_state"] == "due"  # assigned today
    assert items[rounds["project_a"].id]["due_state"] == "due"  # per stage: never overdue
