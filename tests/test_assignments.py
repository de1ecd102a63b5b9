"""Assignments (包抓) over HTTP: create, end, reassign, read in scope, filter, audit.

The scene is ``tests.test_projects.Registry``: firms and projects in county A, its park and
county B, managers per unit, commissioners and butlers, and the butler assigned to the
county-A project (per stage) from yesterday.
"""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from fieldapp import clock
from fieldapp.extensions import db
from models import Assignment, AuditEvent
from tests.test_projects import Registry

URL = "/api/v1/assignments"


@pytest.fixture
def reg(world):
    """The registry scene, plus a deactivated commissioner and a commissioner-butler."""
    scene = Registry(world)
    scene.users["retired"] = world.user("retired", ["commissioner"], world.county_a,
                                        is_active=False)
    scene.users["both"] = world.user("both", ["butler", "commissioner"], world.county_a)
    return scene


def _day(offset: int) -> date:
    return clock.today() + timedelta(days=offset)


def _iso(offset: int) -> str:
    return _day(offset).isoformat()


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Assignment))


def _create(client, headers, **body):
    return client.post(URL, json=body, headers=headers)


# --- create -------------------------------------------------------------------------------

def test_a_manager_assigns_a_commissioner_to_a_firm_from_today(client, reg, as_):
    resp = _create(client, as_("a_manager"), user_id=reg.users["commissioner"].id,
                   firm_id=reg.firm_park.id, cadence="monthly")
    assert resp.status_code == 201, resp.get_json()
    got = resp.get_json()
    assert got["target_kind"] == "firm"
    assert (got["firm_id"], got["project_id"]) == (reg.firm_park.id, None)
    assert got["org_unit_id"] == reg.world.park_a.id  # copied from the firm, not the user
    assert got["starts_on"] == clock.today().isoformat()
    assert got["ends_on"] is None and got["replaced_by_id"] is None
    assert got["created_by_id"] == reg.users["a_manager"].id
    assert got["user"] == {"id": reg.users["commissioner"].id, "username": "commissioner",
                           "display_name": "Commissioner"}


def test_an_admin_assigns_a_butler_to_a_project_per_stage_with_an_end(client, reg, as_):
    resp = _create(client, as_("admin"), user_id=reg.users["butler2"].id,
                   project_id=reg.project_park.id, cadence="per_stage",
                   starts_on=_iso(3), ends_on=_iso(3))
    assert resp.status_code == 201, resp.get_json()
    got = resp.get_json()
    assert (got["target_kind"], got["project_id"], got["firm_id"]) == (
        "project", reg.project_park.id, None)
    assert (got["starts_on"], got["ends_on"], got["cadence"]) == (_iso(3), _iso(3),
                                                                  "per_stage")


def test_one_person_holding_both_roles_takes_a_firm_and_a_project(client, reg, as_):
    headers = as_("a_manager")
    both = reg.users["both"].id
    assert _create(client, headers, user_id=both, firm_id=reg.firm_a.id,
                   cadence="weekly").status_code == 201
    assert _create(client, headers, user_id=both, project_id=reg.project_a.id,
                   cadence="quarterly").status_code == 201


def test_creating_an_assignment_writes_an_audit_event(client, reg, as_):
    resp = _create(client, as_("a_manager"), user_id=reg.users["commissioner"].id,
                   firm_id=reg.firm_a.id, cadence="monthly")
    new_id = resp.get_json()["id"]
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity == "assignments", AuditEvent.entity_id == str(new_id))).one()
    assert event.action == "create"
    assert event.actor_id == reg.users["a_manager"].id
    assert event.org_unit_id == reg.world.county_a.id
    assert event.after["firm_id"] == reg.firm_a.id


@pytest.mark.parametrize("body, fields", [
    ({"firm_id": "F", "cadence": "monthly"}, {"user_id"}),
    ({"user_id": "x", "firm_id": "F", "cadence": "monthly"}, {"user_id"}),
    ({"user_id": 2**63, "firm_id": "F", "cadence": "monthly"}, {"user_id"}),
    ({"user_id": "U", "cadence": "monthly"}, {"firm_id", "project_id"}),
    ({"user_id": "U", "firm_id": "F", "project_id": "P", "cadence": "monthly"},
     {"firm_id", "project_id"}),
    ({"user_id": "U", "firm_id": "F"}, {"cadence"}),
    ({"user_id": "U", "firm_id": "F", "cadence": "daily"}, {"cadence"}),
    ({"user_id": "U", "firm_id": "F", "cadence": "monthly", "starts_on": "2026-02-30"},
     {"starts_on"}),
    ({"user_id": "U", "firm_id": "F", "cadence": "monthly", "starts_on": None}, {"starts_on"}),
    ({"user_id": "U", "firm_id": None, "cadence": "monthly"}, {"firm_id"}),
    ({"user_id": "U", "firm_id": "F", "cadence": "monthly", "org_unit_id": 1},
     {"org_unit_id"}),
])
def test_malformed_bodies_are_422_naming_the_fields(client, reg, as_, body, fields):
    ids = {"U": reg.users["commissioner"].id, "F": reg.firm_a.id, "P": reg.project_a.id}
    body = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    before = _count()
    resp = client.post(URL, json=body, headers=as_("a_manager"))
    assert resp.status_code == 422
    assert set(resp.get_json()["errors"]) == fields
    assert _count() == before


@pytest.mark.parametrize("case, field", [
    ("butler_gets_a_firm", "user_id"),
    ("commissioner_gets_a_project", "user_id"),
    ("per_stage_firm", "cadence"),
    ("ends_before_start", "ends_on"),
    ("closed_firm", "firm_id"),
    ("deactivated_user", "user_id"),
    ("user_of_another_county", "user_id"),
    ("user_above_the_manager", "user_id"),
    ("firm_of_another_county", "firm_id"),
    ("project_of_another_county", "project_id"),
    ("no_such_firm", "firm_id"),
    ("no_such_user", "user_id"),
])
def test_assignments_breaking_a_rule_are_422_naming_the_field(client, reg, as_, case, field):
    u = reg.users
    body = {"user_id": u["commissioner"].id, "firm_id": reg.firm_a.id, "cadence": "monthly"}
    body.update({
        "butler_gets_a_firm": {"user_id": u["butler2"].id},
        "commissioner_gets_a_project": {"firm_id": None, "project_id": reg.project_a.id},
        "per_stage_firm": {"cadence": "per_stage"},
        "ends_before_start": {"starts_on": _iso(5), "ends_on": _iso(4)},
        "closed_firm": {"firm_id": reg.firm_closed.id},
        "deactivated_user": {"user_id": u["retired"].id},
        "user_of_another_county": {"user_id": u["commissioner_b"].id},
        "user_above_the_manager": {"user_id": reg.world.user(
            "city_commissioner", ["commissioner"], reg.world.city).id},
        "firm_of_another_county": {"firm_id": reg.firm_b.id},
        "project_of_another_county": {"firm_id": None, "project_id": reg.project_b.id},
        "no_such_firm": {"firm_id": 999999},
        "no_such_user": {"user_id": 999999},
    }[case])
    body = {k: v for k, v in body.items() if v is not None}
    before = _count()
    resp = client.post(URL, json=body, headers=as_("a_manager"))
    assert resp.status_code == 422, resp.get_json()
    assert list(resp.get_json()["errors"]) == [field]
    assert _count() == before


@pytest.mark.parametrize("who", ["commissioner", "butler", "handler", "firm"])
def test_only_admins_and_managers_create_assignments(client, reg, as_, who):
    before = _count()
    resp = _create(client, as_(who), user_id=reg.users["commissioner"].id,
                   firm_id=reg.firm_a.id, cadence="monthly")
    assert resp.status_code == 403
    assert _count() == before


def test_a_park_manager_cannot_assign_a_county_firm(client, reg, as_):
    resp = _create(client, as_("park_manager"), user_id=reg.users["commissioner"].id,
                   firm_id=reg.firm_a.id, cadence="monthly")
    assert resp.status_code == 422
    assert list(resp.get_json()["errors"]) == ["firm_id"]


def test_a_manager_who_is_also_a_commissioner_cannot_assign_outside_their_unit(
        client, reg, as_):
    # The county-B manager also looks after firm A, so firm A is visible to them: the write
    # rule, not visibility, must stop them.
    dual = reg.world.user("dual", ["commissioner", "manager"], reg.world.county_b)
    reg.users["dual"] = dual
    reg.assign("dual", firm=reg.firm_a)
    before = _count()
    resp = _create(client, as_("dual"), user_id=dual.id, firm_id=reg.firm_a.id,
                   cadence="weekly", starts_on=_iso(400))
    assert resp.status_code == 403
    assert _count() == before


# --- overlap ------------------------------------------------------------------------------

@pytest.mark.parametrize("existing, new", [
    ((0, None), (30, None)),      # open-ended holds everything after its start
    ((0, None), (-10, 0)),        # ends on the day the existing one starts
    ((0, 10), (10, 20)),          # shares the last day
    ((5, 10), (0, None)),         # encloses it
    ((5, 10), (6, 7)),            # inside it
    ((0, 10), (-5, None)),
])
def test_the_same_user_may_not_hold_overlapping_assignments_of_a_target(
        client, reg, as_, existing, new):
    held = reg.assign("commissioner", firm=reg.firm_a, starts_on=_day(existing[0]),
                      ends_on=None if existing[1] is None else _day(existing[1]))
    body = {"user_id": reg.users["commissioner"].id, "firm_id": reg.firm_a.id,
            "cadence": "weekly", "starts_on": _iso(new[0])}
    if new[1] is not None:
        body["ends_on"] = _iso(new[1])
    before = _count()
    resp = client.post(URL, json=body, headers=as_("a_manager"))
    assert resp.status_code == 409, resp.get_json()
    got = resp.get_json()
    assert got["conflicting_assignment_id"] == held.id
    assert str(held.id) in got["detail"]
    assert _count() == before


@pytest.mark.parametrize("existing, new", [
    ((0, 9), (10, None)),          # starts the day after
    ((10, None), (0, 9)),          # ends the day before
    ((-30, -1), (0, 0)),
])
def test_adjacent_ranges_of_the_same_user_and_target_are_allowed(client, reg, as_,
                                                                 existing, new):
    reg.assign("commissioner", firm=reg.firm_a, starts_on=_day(existing[0]),
               ends_on=None if existing[1] is None else _day(existing[1]))
    body = {"user_id": reg.users["commissioner"].id, "firm_id": reg.firm_a.id,
            "cadence": "weekly", "starts_on": _iso(new[0])}
    if new[1] is not None:
        body["ends_on"] = _iso(new[1])
    resp = client.post(URL, json=body, headers=as_("a_manager"))
    assert resp.status_code == 201, resp.get_json()


def test_different_users_share_a_target_and_one_user_holds_many_targets(client, reg, as_):
    headers = as_("a_manager")
    reg.assign("commissioner", firm=reg.firm_a)
    assert _create(client, headers, user_id=reg.users["both"].id, firm_id=reg.firm_a.id,
                   cadence="monthly").status_code == 201
    assert _create(client, headers, user_id=reg.users["commissioner"].id,
                   firm_id=reg.firm_park.id, cadence="monthly").status_code == 201
    # The butler holds project A; a second butler may look after it as well.
    assert _create(client, headers, user_id=reg.users["butler2"].id,
                   project_id=reg.project_a.id, cadence="per_stage").status_code == 201


def test_project_overlap_is_checked_too(client, reg, as_):
    resp = _create(client, as_("a_manager"), user_id=reg.users["butler"].id,
                   project_id=reg.project_a.id, cadence="monthly", starts_on=_iso(100))
    assert resp.status_code == 409
    assert resp.get_json()["conflicting_assignment_id"] == reg.butler_assignment.id


# --- end ----------------------------------------------------------------------------------

def _end(client, headers, assignment, ends_on, reason=None):
    body = {"ends_on": ends_on} if reason is None else {"ends_on": ends_on, "reason": reason}
    return client.post(f"{URL}/{assignment.id}/end", json=body, headers=headers)


def test_an_end_may_be_set_and_then_only_moved_earlier(client, reg, as_):
    row = reg.assign("commissioner", firm=reg.firm_a, starts_on=_day(-10))
    headers = as_("a_manager")
    resp = _end(client, headers, row, _iso(5), "调岗")
    assert resp.status_code == 200, resp.get_json()
    assert (resp.get_json()["ends_on"], resp.get_json()["end_reason"]) == (_iso(5), "调岗")
    resp = _end(client, headers, row, _iso(-2))
    assert resp.status_code == 200
    assert resp.get_json()["ends_on"] == _iso(-2)
    resp = _end(client, headers, row, _iso(-1))
    assert resp.status_code == 409
    assert resp.get_json()["ends_on"] == _iso(-2)
    db.session.expire_all()
    assert db.session.get(Assignment, row.id).ends_on == _day(-2)


def test_an_end_on_the_start_day_is_allowed_but_not_before_it(client, reg, as_):
    row = reg.assign("commissioner", firm=reg.firm_a, starts_on=_day(-10))
    headers = as_("a_manager")
    resp = _end(client, headers, row, _iso(-11))
    assert resp.status_code == 422
    assert list(resp.get_json()["errors"]) == ["ends_on"]
    assert _end(client, headers, row, _iso(-10)).status_code == 200


def test_a_reassigned_assignment_cannot_be_ended(client, reg, as_):
    headers = as_("a_manager")
    moved = client.post(f"{URL}/{reg.butler_assignment.id}/reassign", headers=headers,
                        json={"user_id": reg.users["butler2"].id, "starts_on": _iso(3)})
    assert moved.status_code == 201, moved.get_json()
    resp = _end(client, headers, reg.butler_assignment, _iso(0))
    assert resp.status_code == 409
    assert resp.get_json()["replaced_by_id"] == moved.get_json()["current"]["id"]
    db.session.expire_all()
    assert db.session.get(Assignment, reg.butler_assignment.id).ends_on == _day(2)


@pytest.mark.parametrize("who, status", [("b_manager", 404), ("park_manager", 404),
                                         ("butler", 403), ("firm", 403)])
def test_ending_is_for_managers_in_scope(client, reg, as_, who, status):
    resp = _end(client, as_(who), reg.butler_assignment, _iso(0))
    assert resp.status_code == status
    db.session.expire_all()
    assert db.session.get(Assignment, reg.butler_assignment.id).ends_on is None


@pytest.mark.parametrize("body, field", [({}, "ends_on"), ({"ends_on": "soon"}, "ends_on"),
                                         ({"ends_on": None}, "ends_on"),
                                         ({"ends_on": "2026-01-01", "reason": "x" * 201},
                                          "reason")])
def test_bad_end_bodies_are_422(client, reg, as_, body, field):
    resp = client.post(f"{URL}/{reg.butler_assignment.id}/end", json=body,
                       headers=as_("a_manager"))
    assert resp.status_code == 422
    assert field in resp.get_json()["errors"]


# --- reassign -----------------------------------------------------------------------------

def _reassign(client, headers, assignment, **body):
    return client.post(f"{URL}/{assignment.id}/reassign", json=body, headers=headers)


def test_reassigning_ends_the_old_one_the_day_before_and_links_the_new_one(client, reg, as_):
    old = reg.assign("commissioner", firm=reg.firm_a, cadence="weekly", starts_on=_day(-20),
                     ends_on=_day(60))
    resp = _reassign(client, as_("a_manager"), old, user_id=reg.users["both"].id,
                     starts_on=_iso(1))
    assert resp.status_code == 201, resp.get_json()
    prev, cur = resp.get_json()["previous"], resp.get_json()["current"]
    assert prev["id"] == old.id
    assert prev["ends_on"] == _iso(0)
    assert prev["end_reason"] == "reassigned"
    assert prev["replaced_by_id"] == cur["id"]
    assert cur["user_id"] == reg.users["both"].id
    assert (cur["firm_id"], cur["org_unit_id"]) == (reg.firm_a.id, reg.world.county_a.id)
    assert (cur["starts_on"], cur["ends_on"], cur["cadence"]) == (_iso(1), _iso(60), "weekly")
    assert cur["replaced_by_id"] is None
    db.session.expire_all()
    assert db.session.get(Assignment, old.id).replaced_by_id == cur["id"]


def test_reassigning_may_change_cadence_and_end_and_give_a_reason(client, reg, as_):
    old = reg.assign("commissioner", firm=reg.firm_a, starts_on=_day(-20), ends_on=_day(60))
    resp = _reassign(client, as_("a_manager"), old, user_id=reg.users["both"].id,
                     starts_on=_iso(0), cadence="quarterly", ends_on=None, reason="退休")
    assert resp.status_code == 201, resp.get_json()
    prev, cur = resp.get_json()["previous"], resp.get_json()["current"]
    assert (prev["ends_on"], prev["end_reason"]) == (_iso(-1), "退休")
    assert (cur["cadence"], cur["ends_on"]) == ("quarterly", None)


def test_the_same_user_may_take_over_with_a_new_cadence(client, reg, as_):
    resp = _reassign(client, as_("a_manager"), reg.butler_assignment,
                     user_id=reg.users["butler"].id, starts_on=_iso(0), cadence="weekly")
    assert resp.status_code == 201, resp.get_json()
    prev, cur = resp.get_json()["previous"], resp.get_json()["current"]
    assert (prev["cadence"], prev["ends_on"]) == ("per_stage", _iso(-1))
    assert (cur["user_id"], cur["cadence"], cur["ends_on"]) == (
        reg.users["butler"].id, "weekly", None)


def test_an_old_end_before_the_new_start_is_not_inherited(client, reg, as_):
    old = reg.assign("commissioner", firm=reg.firm_a, starts_on=_day(-20), ends_on=_day(4))
    resp = _reassign(client, as_("a_manager"), old, user_id=reg.users["both"].id,
                     starts_on=_iso(5))
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["previous"]["ends_on"] == _iso(4)
    assert resp.get_json()["current"]["ends_on"] is None


@pytest.mark.parametrize("offset", [0, -1])
def test_a_reassignment_must_start_after_the_old_start(client, reg, as_, offset):
    old = reg.assign("commissioner", firm=reg.firm_a, starts_on=_day(-5))
    resp = _reassign(client, as_("a_manager"), old, user_id=reg.users["both"].id,
                     starts_on=_iso(-5 + offset))
    assert resp.status_code == 422
    assert list(resp.get_json()["errors"]) == ["starts_on"]
    _assert_untouched(old)


def _assert_untouched(old, ends_on=None):
    """The old assignment is as it was and no new one was stored for its firm."""
    db.session.expire_all()
    row = db.session.get(Assignment, old.id)
    assert (row.ends_on, row.replaced_by_id) == (ends_on, None)
    assert db.session.scalar(select(func.count()).select_from(Assignment).where(
        Assignment.firm_id == row.firm_id)) == 1


def test_reassigning_an_assignment_that_ended_earlier_is_409(client, reg, as_):
    old = reg.assign("commissioner", firm=reg.firm_a, starts_on=_day(-20), ends_on=_day(-3))
    resp = _reassign(client, as_("a_manager"), old, user_id=reg.users["both"].id,
                     starts_on=_iso(0))
    assert resp.status_code == 409
    _assert_untouched(old, _day(-3))


def test_reassigning_twice_is_409(client, reg, as_):
    headers = as_("a_manager")
    first = _reassign(client, headers, reg.butler_assignment, user_id=reg.users["butler2"].id,
                      starts_on=_iso(2))
    assert first.status_code == 201
    resp = _reassign(client, headers, reg.butler_assignment, user_id=reg.users["both"].id,
                     starts_on=_iso(5))
    assert resp.status_code == 409
    assert resp.get_json()["replaced_by_id"] == first.get_json()["current"]["id"]


@pytest.mark.parametrize("user, field", [("butler", "user_id"), ("retired", "user_id"),
                                         ("commissioner_b", "user_id")])
def test_reassigning_to_an_unfit_user_is_422_and_changes_nothing(client, reg, as_, user,
                                                                 field):
    old = reg.assign("commissioner", firm=reg.firm_a, starts_on=_day(-5))
    resp = _reassign(client, as_("a_manager"), old, user_id=reg.users[user].id,
                     starts_on=_iso(0))
    assert resp.status_code == 422
    assert list(resp.get_json()["errors"]) == [field]
    _assert_untouched(old)


def test_reassigning_a_firm_to_per_stage_is_422(client, reg, as_):
    old = reg.assign("commissioner", firm=reg.firm_a, starts_on=_day(-5))
    resp = _reassign(client, as_("a_manager"), old, user_id=reg.users["both"].id,
                     starts_on=_iso(0), cadence="per_stage")
    assert resp.status_code == 422
    assert list(resp.get_json()["errors"]) == ["cadence"]
    _assert_untouched(old)


def test_reassigning_with_an_end_before_the_new_start_is_422(client, reg, as_):
    old = reg.assign("commissioner", firm=reg.firm_a, starts_on=_day(-5))
    resp = _reassign(client, as_("a_manager"), old, user_id=reg.users["both"].id,
                     starts_on=_iso(3), ends_on=_iso(2))
    assert resp.status_code == 422
    assert list(resp.get_json()["errors"]) == ["ends_on"]
    _assert_untouched(old)


def test_reassigning_to_someone_already_holding_the_target_is_409(client, reg, as_):
    old = reg.assign("commissioner", firm=reg.firm_a, starts_on=_day(-5))
    theirs = reg.assign("both", firm=reg.firm_a, starts_on=_day(10), ends_on=_day(20))
    resp = _reassign(client, as_("a_manager"), old, user_id=reg.users["both"].id,
                     starts_on=_iso(0))
    assert resp.status_code == 409
    assert resp.get_json()["conflicting_assignment_id"] == theirs.id
    db.session.expire_all()
    assert db.session.get(Assignment, old.id).ends_on is None
    assert db.session.get(Assignment, old.id).replaced_by_id is None


def test_a_closed_firms_assignment_cannot_be_reassigned(client, reg, as_):
    old = reg.assign("commissioner", firm=reg.firm_closed, starts_on=_day(-5))
    resp = _reassign(client, as_("a_manager"), old, user_id=reg.users["both"].id,
                     starts_on=_iso(0))
    assert resp.status_code == 409
    assert resp.get_json()["type"].endswith("firm-closed")


@pytest.mark.parametrize("who, status", [("b_manager", 404), ("butler", 403),
                                         ("commissioner", 403)])
def test_reassigning_is_for_managers_in_scope(client, reg, as_, who, status):
    resp = _reassign(client, as_(who), reg.butler_assignment,
                     user_id=reg.users["butler2"].id, starts_on=_iso(1))
    assert resp.status_code == status
    db.session.expire_all()
    assert db.session.get(Assignment, reg.butler_assignment.id).ends_on is None


# --- read in scope ------------------------------------------------------------------------

def _ids(resp):
    assert resp.status_code == 200, resp.get_json()
    return {a["id"] for a in resp.get_json()["items"]}


@pytest.fixture
def spread(reg):
    """Assignments in county A, its park and county B, past, present and future."""
    return {
        "a_now": reg.assign("commissioner", firm=reg.firm_a, starts_on=_day(-30)),
        "park_past": reg.assign("commissioner", firm=reg.firm_park, starts_on=_day(-60),
                                ends_on=_day(-31)),
        "park_future": reg.assign("both", firm=reg.firm_park, starts_on=_day(10)),
        "b_now": reg.assign("commissioner_b", firm=reg.firm_b, starts_on=_day(-1)),
        "butler_a": reg.butler_assignment,
    }


@pytest.mark.parametrize("who, expected", [
    ("admin", {"a_now", "park_past", "park_future", "b_now", "butler_a"}),
    ("city_manager", {"a_now", "park_past", "park_future", "b_now", "butler_a"}),
    ("a_manager", {"a_now", "park_past", "park_future", "butler_a"}),
    ("park_manager", {"park_past", "park_future"}),
    ("b_manager", {"b_now"}),
    ("commissioner", {"a_now", "park_past"}),   # past ones included
    ("butler", {"butler_a"}),
    ("handler", set()),
    ("firm", set()),
])
def test_each_role_lists_and_reads_only_its_scope(client, reg, as_, spread, who, expected):
    headers = as_(who)
    assert _ids(client.get(URL, headers=headers)) == {spread[k].id for k in expected}
    for key, row in spread.items():
        status = client.get(f"{URL}/{row.id}", headers=headers).status_code
        assert status == (200 if key in expected else 404), (key, status)


def test_a_list_is_newest_start_first_and_paged(client, reg, as_, spread):
    resp = client.get(URL, query_string={"page_size": 2}, headers=as_("admin"))
    got = resp.get_json()
    assert got["total"] == 5
    assert [a["id"] for a in got["items"]] == [spread["park_future"].id, spread["b_now"].id]


@pytest.mark.parametrize("filters, expected", [
    ({"user_id": "commissioner"}, {"a_now", "park_past"}),
    ({"firm_id": "firm_park"}, {"park_past", "park_future"}),
    ({"project_id": "project_a"}, {"butler_a"}),
    ({"org_unit_id": "county_a"}, {"a_now", "park_past", "park_future", "butler_a"}),
    ({"org_unit_id": "park_a"}, {"park_past", "park_future"}),
    ({"active_on": 0}, {"a_now", "b_now", "butler_a"}),
    ({"active_on": -31}, {"park_past"}),
    ({"active_on": -30}, {"a_now"}),
    ({"active_on": 10}, {"a_now", "park_future", "butler_a", "b_now"}),
    ({"active_on": 0, "user_id": "commissioner"}, {"a_now"}),
])
def test_list_filters(client, reg, as_, spread, filters, expected):
    refs = {"commissioner": reg.users["commissioner"].id, "firm_park": reg.firm_park.id,
            "project_a": reg.project_a.id, "county_a": reg.world.county_a.id,
            "park_a": reg.world.park_a.id}
    query = {k: (_iso(v) if k == "active_on" else refs[v]) for k, v in filters.items()}
    got = _ids(client.get(URL, query_string=query, headers=as_("city_manager")))
    assert got == {spread[k].id for k in expected}


@pytest.mark.parametrize("who, expected", [
    ("a_manager", {"butler_a"}), ("b_manager", set()), ("butler", {"butler_a"}),
    ("commissioner", set()),
])
def test_a_project_s_assignments_are_listed_only_within_the_caller_s_scope(
        client, reg, as_, spread, who, expected):
    # The console's "包抓" link of a project row: another county's project lists nothing.
    resp = client.get(URL, query_string={"project_id": reg.project_a.id}, headers=as_(who))
    assert _ids(resp) == {spread[k].id for k in expected}


def test_an_org_unit_filter_outside_the_scope_is_422(client, reg, as_, spread):
    resp = client.get(URL, query_string={"org_unit_id": reg.world.county_b.id},
                      headers=as_("a_manager"))
    assert resp.status_code == 422
    assert list(resp.get_json()["errors"]) == ["org_unit_id"]


@pytest.mark.parametrize("query", [{"user_id": "x"}, {"active_on": "today"},
                                   {"firm_id": "-1"}])
def test_bad_filters_are_422_naming_them(client, reg, as_, query):
    resp = client.get(URL, query_string=query, headers=as_("admin"))
    assert resp.status_code == 422
    assert list(resp.get_json()["errors"]) == list(query)


def test_a_commissioner_filtering_by_someone_else_gets_nothing(client, reg, as_, spread):
    resp = client.get(URL, query_string={"user_id": reg.users["commissioner_b"].id},
                      headers=as_("commissioner"))
    assert _ids(resp) == set()


def test_assignments_need_a_login(client, reg):
    assert client.get(URL).status_code == 401
    assert client.post(URL, json={}).status_code == 401
