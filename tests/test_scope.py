"""Who sees what, over HTTP: every role × org units, users and the audit log, in and out of scope.

The tree is ``city ─┬─ county_a ── park_a`` / ``└─ county_b``. Out of scope reads as 404, exactly
like an id that does not exist, so ids of other units do not leak; only the audit log, a whole
endpoint some roles may never use, answers 403.
"""

import pytest
from sqlalchemy import select

from fieldapp.extensions import db
from models import AuditEvent, Department, OrgUnit, ServiceTeam

UNITS = ("city", "county_a", "county_b", "park_a")

# caller → (roles, home unit). Every non-admin non-manager role sits in county A.
CALLERS = {
    "admin": (["admin"], "city"),
    "city_manager": (["manager"], "city"),
    "county_a_manager": (["manager"], "county_a"),
    "commissioner": (["commissioner"], "county_a"),
    "butler": (["butler"], "county_a"),
    "handler": (["handler"], "county_a"),
    "firm": (["firm"], "county_a"),
}
# People to look up, one per unit, besides the callers themselves.
RESIDENTS = {f"{unit}_resident": unit for unit in UNITS}

EVERYONE = set(CALLERS) | set(RESIDENTS)
COUNTY_A_SUBTREE = {name for name, (_, unit) in CALLERS.items() if unit == "county_a"} | {
    "county_a_resident", "park_a_resident"}

VISIBLE_UNITS = {
    "admin": set(UNITS),
    "city_manager": set(UNITS),
    "county_a_manager": {"county_a", "park_a"},
    "commissioner": {"county_a"},
    "butler": {"county_a"},
    "handler": {"county_a"},
    "firm": {"county_a"},
}
VISIBLE_USERS = {
    "admin": EVERYONE,
    "city_manager": EVERYONE,
    "county_a_manager": COUNTY_A_SUBTREE,
    "commissioner": {"commissioner"},
    "butler": {"butler"},
    "handler": {"handler"},
    "firm": {"firm"},
}


class Scene:
    """The world's tree with one caller per role and one resident per unit."""

    def __init__(self, world):
        self.units = {name: getattr(world, name) for name in UNITS}
        department = Department(name="power supply bureau", org_unit_id=world.county_a.id)
        team = ServiceTeam(name="element guarantee", org_unit_id=world.county_a.id)
        db.session.add_all([department, team])
        db.session.commit()
        extra = {"handler": {"department_id": department.id},
                 "commissioner": {"service_team_id": team.id}}
        self.users = {}
        for name, (roles, unit) in CALLERS.items():
            self.users[name] = world.user(name, roles, self.units[unit], **extra.get(name, {}))
        for name, unit in RESIDENTS.items():
            self.users[name] = world.user(name, ["commissioner"], self.units[unit])


@pytest.fixture
def scene(world):
    """The tree, populated."""
    return Scene(world)


def _statuses(client, headers, url, ids):
    return {name: client.get(url.format(id_), headers=headers).status_code
            for name, id_ in ids.items()}


def _expect(visible, universe):
    return {name: 200 if name in visible else 404 for name in universe}


@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_org_unit_by_id_is_200_in_scope_and_404_outside(client, login, scene, caller):
    ids = {name: unit.id for name, unit in scene.units.items()}
    got = _statuses(client, login(caller), "/api/v1/org-units/{}", ids)
    assert got == _expect(VISIBLE_UNITS[caller], UNITS)


@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_user_by_id_is_200_in_scope_and_404_outside(client, login, scene, caller):
    ids = {name: user.id for name, user in scene.users.items()}
    got = _statuses(client, login(caller), "/api/v1/users/{}", ids)
    assert got == _expect(VISIBLE_USERS[caller], EVERYONE)


@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_org_unit_list_holds_only_units_in_scope_and_counts_only_them(client, login, scene,
                                                                      caller):
    body = client.get("/api/v1/org-units", headers=login(caller)).get_json()
    names = {unit["name"] for unit in body["items"]}
    assert names == {scene.units[u].name for u in VISIBLE_UNITS[caller]}
    assert body["total"] == len(VISIBLE_UNITS[caller])


@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_user_list_holds_only_users_in_scope_and_counts_only_them(client, login, scene, caller):
    body = client.get("/api/v1/users", headers=login(caller)).get_json()
    assert {user["username"] for user in body["items"]} == VISIBLE_USERS[caller]
    assert body["total"] == len(VISIBLE_USERS[caller])


@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_total_counts_rows_in_scope_even_beyond_the_page(client, login, scene, caller):
    body = client.get("/api/v1/users?page_size=1", headers=login(caller)).get_json()
    assert len(body["items"]) == 1
    assert body["total"] == len(VISIBLE_USERS[caller])


@pytest.mark.parametrize("caller", ["commissioner", "butler", "handler", "firm"])
def test_audit_log_is_forbidden_to_roles_other_than_admin_and_manager(client, login, scene,
                                                                       caller):
    resp = client.get("/api/v1/audit-events", headers=login(caller))
    assert resp.status_code == 403
    assert resp.get_json()["type"].endswith("/forbidden")


@pytest.mark.parametrize("caller", ["admin", "city_manager"])
def test_admin_and_city_manager_read_the_whole_audit_log(client, login, scene, caller):
    every = db.session.scalars(select(AuditEvent.id)).all()
    body = client.get("/api/v1/audit-events?page_size=200", headers=login(caller)).get_json()
    assert {event["id"] for event in body["items"]} == set(every)
    assert body["total"] == len(every)


def test_county_manager_reads_only_the_audit_events_of_their_subtree(client, login, scene):
    subtree = {scene.units["county_a"].id, scene.units["park_a"].id}
    events = db.session.execute(select(AuditEvent.id, AuditEvent.org_unit_id)).all()
    inside = {id_ for id_, unit in events if unit in subtree}
    assert inside and len(inside) < len(events)  # the log holds events on both sides
    body = client.get("/api/v1/audit-events?page_size=200",
                      headers=login("county_a_manager")).get_json()
    assert {event["id"] for event in body["items"]} == inside
    assert body["total"] == len(inside)


def test_county_a_manager_gets_404_for_county_b_and_200_for_park_a(client, login, scene):
    headers = login("county_a_manager")
    units, users = scene.units, scene.users
    assert client.get(f"/api/v1/org-units/{units['county_b'].id}",
                      headers=headers).status_code == 404
    assert client.get(f"/api/v1/users/{users['county_b_resident'].id}",
                      headers=headers).status_code == 404
    assert client.get(f"/api/v1/org-units/{units['park_a'].id}",
                      headers=headers).status_code == 200
    assert client.get(f"/api/v1/users/{users['park_a_resident'].id}",
                      headers=headers).status_code == 200


def test_out_of_scope_reads_exactly_like_a_missing_id(client, login, scene):
    headers = login("county_a_manager")
    hidden = scene.units["county_b"].id
    missing = db.session.scalar(select(OrgUnit.id).order_by(OrgUnit.id.desc())) + 1000
    out_of_scope = client.get(f"/api/v1/org-units/{hidden}", headers=headers)
    absent = client.get(f"/api/v1/org-units/{missing}", headers=headers)
    assert out_of_scope.status_code == absent.status_code == 404

    def shape(resp):
        return {k: v for k, v in resp.get_json().items() if k not in {"detail", "request_id"}}

    assert shape(out_of_scope) == shape(absent)
    assert out_of_scope.get_json()["detail"] == absent.get_json()["detail"].replace(
        str(missing), str(hidden))


def test_a_user_with_two_roles_sees_the_union_of_both(client, login, scene, world):
    world.user("manager_commissioner", ["manager", "commissioner"], scene.units["county_a"])
    headers = login("manager_commissioner")
    units = client.get("/api/v1/org-units", headers=headers).get_json()
    assert {u["id"] for u in units["items"]} == {scene.units["county_a"].id,
                                                 scene.units["park_a"].id}
    users = client.get("/api/v1/users?page_size=200", headers=headers).get_json()
    assert {u["username"] for u in users["items"]} == COUNTY_A_SUBTREE | {"manager_commissioner"}
    assert client.get("/api/v1/audit-events", headers=headers).status_code == 200


def test_a_user_with_two_narrow_roles_still_sees_only_their_own_unit(client, login, scene,
                                                                      world):
    world.user("butler_firm", ["butler", "firm"], scene.units["park_a"])
    headers = login("butler_firm")
    units = client.get("/api/v1/org-units", headers=headers).get_json()
    assert [u["id"] for u in units["items"]] == [scene.units["park_a"].id]
    users = client.get("/api/v1/users", headers=headers).get_json()
    assert [u["username"] for u in users["items"]] == ["butler_firm"]
    assert client.get("/api/v1/audit-events", headers=headers).status_code == 403


def test_every_scoped_endpoint_requires_a_bearer_token(client, scene):
    unit = scene.units["city"].id
    for url in ("/api/v1/org-units", f"/api/v1/org-units/{unit}", "/api/v1/users",
                f"/api/v1/users/{scene.users['admin'].id}", "/api/v1/audit-events"):
        assert client.get(url).status_code == 401, url
