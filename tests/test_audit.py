"""The audit log: every change through the API is recorded, append-only, and can be searched."""

import json
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from fieldapp.extensions import db
from models import AuditEvent, Department, User

SECRET = "a-long-enough-password"


@pytest.fixture
def people(world):
    """An admin at the city and a county-A manager."""
    world.admin = world.user("admin", ["admin"], world.city)
    world.boss = world.user("boss_a", ["manager"], world.county_a)
    return world


def events(**where):
    """Audit events matching ``where`` (column == value), oldest first."""
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    for column, value in where.items():
        stmt = stmt.where(getattr(AuditEvent, column) == value)
    return db.session.scalars(stmt).all()


def create_user(client, headers, unit, **fields):
    """POST /users; returns the response."""
    body = {"username": "wang.fang", "display_name": "王芳", "password": SECRET,
            "roles": ["commissioner"], "org_unit_id": unit.id}
    body.update(fields)
    return client.post("/api/v1/users", json=body, headers=headers)


def test_creating_a_user_records_who_what_where_and_from_which_request(client, as_, people):
    resp = create_user(client, as_("admin") | {"X-Request-ID": "req-create-1"},
                       people.park_a)
    assert resp.status_code == 201
    assert resp.headers["X-Request-ID"] == "req-create-1"
    user_id = resp.get_json()["id"]
    [event] = events(entity="users", entity_id=str(user_id))
    assert (event.action, event.actor_id, event.org_unit_id, event.request_id, event.before) == (
        "create", people.admin.id, people.park_a.id, "req-create-1", None)
    assert event.after["username"] == "wang.fang"
    assert event.after["roles_csv"] == "commissioner"
    assert event.after["password_hash"] == "<redacted>"


def test_the_request_id_recorded_is_the_one_the_response_carries(client, as_, people):
    resp = create_user(client, as_("admin"), people.city)  # no id sent: the server makes one
    [event] = events(entity="users", entity_id=str(resp.get_json()["id"]))
    assert event.request_id and event.request_id == resp.headers["X-Request-ID"]


def test_an_update_records_only_the_fields_that_changed(client, as_, people):
    user_id = create_user(client, as_("admin"), people.county_a).get_json()["id"]
    resp = client.patch(f"/api/v1/users/{user_id}",
                        json={"display_name": "王芳芳", "phone": "13800000000",
                              "roles": ["commissioner"]},  # same roles: not a change
                        headers=as_("boss_a"))
    assert resp.status_code == 200
    [event] = events(entity="users", entity_id=str(user_id), action="update")
    assert event.before == {"display_name": "王芳", "phone": None}
    assert event.after == {"display_name": "王芳芳", "phone": "13800000000"}
    assert (event.actor_id, event.org_unit_id, event.request_id) == (
        people.boss.id, people.county_a.id, resp.headers["X-Request-ID"])


def test_a_patch_that_changes_nothing_records_nothing(client, as_, people):
    before = len(events())
    resp = client.patch(f"/api/v1/users/{people.boss.id}", json={"display_name": "Boss_A"},
                        headers=as_("admin"))
    assert resp.status_code == 200
    assert len(events()) == before


def test_password_hashes_never_reach_the_log(client, as_, people):
    headers = as_("admin")
    user_id = create_user(client, headers, people.city).get_json()["id"]
    client.patch(f"/api/v1/users/{user_id}", json={"password": "another-long-password"},
                 headers=headers)
    [update] = events(entity="users", entity_id=str(user_id), action="update")
    assert update.before == update.after == {"password_hash": "<redacted>"}
    stored = db.session.scalars(select(User.password_hash)).all()
    log = json.dumps([[e.before, e.after] for e in events()], ensure_ascii=False)
    assert "$argon2" not in log
    assert not any(h in log for h in stored)


def test_creating_an_org_unit_records_it_under_the_unit_itself(client, as_, people):
    resp = client.post("/api/v1/org-units", json={"parent_id": people.county_a.id,
                                                  "name": "新兴街道", "code": "XX",
                                                  "kind": "street"},
                       headers=as_("boss_a"))
    assert resp.status_code == 201
    unit_id = resp.get_json()["id"]
    trail = events(entity="org_units", entity_id=str(unit_id))
    assert trail[0].action == "create"
    assert {k: trail[0].after[k] for k in ("name", "code", "kind", "parent_id")} == {
        "name": "新兴街道", "code": "XX", "kind": "street", "parent_id": people.county_a.id}
    assert {(e.actor_id, e.org_unit_id, e.request_id) for e in trail} == {
        (people.boss.id, unit_id, resp.headers["X-Request-ID"])}


def test_a_write_that_failed_leaves_no_event_behind_for_later_writes(client, as_, people):
    headers = as_("admin")
    taken = client.post("/api/v1/org-units", json={"parent_id": people.city.id, "name": "dup",
                                                   "code": "CA", "kind": "county"},
                        headers=headers)
    assert taken.status_code == 409
    resp = client.post("/api/v1/org-units", json={"parent_id": people.city.id, "name": "new",
                                                  "code": "NEW", "kind": "county"},
                       headers=headers)
    assert resp.status_code == 201
    recorded = events(request_id=resp.headers["X-Request-ID"])
    assert {e.entity_id for e in recorded} == {str(resp.get_json()["id"])}
    assert not events(request_id=taken.headers["X-Request-ID"])


def test_changes_outside_a_request_are_recorded_without_actor_or_request(app, people):
    department = Department(name="tax bureau", org_unit_id=people.county_b.id)
    db.session.add(department)
    db.session.commit()
    db.session.delete(department)
    db.session.commit()
    created, deleted = events(entity="departments", entity_id=str(department.id))
    assert (created.action, created.actor_id, created.request_id) == ("create", None, None)
    assert (deleted.action, deleted.org_unit_id, deleted.after) == (
        "delete", people.county_b.id, None)
    assert deleted.before["name"] == "tax bureau"


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET action = 'forged'",
                                       "DELETE FROM audit_events"])
def test_the_audit_table_refuses_raw_updates_and_deletes(app, people, statement):
    count = len(events())
    assert count > 0
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(text(statement))
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar() == count
        assert conn.execute(text(
            "SELECT count(*) FROM audit_events WHERE action = 'forged'")).scalar() == 0


# --- reading ----------------------------------------------------------------------------------


def listed(client, headers, query=""):
    """The events GET /audit-events?query answers, as (action, entity, entity_id), in order."""
    resp = client.get(f"/api/v1/audit-events?page_size=200&{query}", headers=headers)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["total"] == len(body["items"])
    return [(e["action"], e["entity"], e["entity_id"]) for e in body["items"]]


@pytest.fixture
def history(client, as_, people):
    """Admin creates a user, then the county-A manager renames them; ``t0`` and ``t1`` are the
    two events' own times as the log gives them (so the window's edges are tested exactly, and
    no sleep is needed to tell the times apart)."""
    people.headers = as_("admin")
    people.new_id = create_user(client, people.headers, people.county_a).get_json()["id"]
    client.patch(f"/api/v1/users/{people.new_id}", json={"display_name": "Renamed"},
                 headers=as_("boss_a"))
    events = client.get(f"/api/v1/audit-events?entity=users&entity_id={people.new_id}",
                        headers=people.headers).get_json()["items"]
    at = {e["action"]: datetime.fromisoformat(e["at"]) for e in events}
    people.t0, people.t1 = at["create"], at["update"]
    assert people.t0.tzinfo is not None and people.t0 < people.t1
    return people


def test_the_log_is_newest_first(client, history):
    body = client.get("/api/v1/audit-events?page_size=200", headers=history.headers).get_json()
    ids = [e["id"] for e in body["items"]]
    assert ids == sorted(ids, reverse=True)
    assert body["items"][0]["action"] == "update"


def test_filter_by_entity_and_entity_id(client, history):
    new = str(history.new_id)
    assert listed(client, history.headers, f"entity=users&entity_id={new}") == [
        ("update", "users", new), ("create", "users", new)]
    assert all(e[1] == "org_units" for e in listed(client, history.headers, "entity=org_units"))


def test_filter_by_actor_and_action(client, history):
    new = str(history.new_id)
    assert listed(client, history.headers, f"actor_id={history.boss.id}") == [
        ("update", "users", new)]
    assert listed(client, history.headers, f"actor_id={history.admin.id}&action=create") == [
        ("create", "users", new)]
    assert listed(client, history.headers, f"actor_id={history.admin.id}&action=update") == []


def test_filter_by_time_window_since_inclusive_until_exclusive(client, history):
    new = str(history.new_id)
    since, until = quote(history.t0.isoformat()), quote(history.t1.isoformat())
    assert listed(client, history.headers, f"since={until}") == [("update", "users", new)]
    assert listed(client, history.headers, f"since={since}&until={until}") == [
        ("create", "users", new)]
    assert listed(client, history.headers, f"until={since}&entity=users&entity_id={new}") == []


def test_times_in_other_offsets_mean_the_same_instant(client, history):
    shanghai = history.t1.astimezone(ZoneInfo("Asia/Shanghai"))
    assert "+08:00" in shanghai.isoformat()
    assert listed(client, history.headers, f"since={quote(shanghai.isoformat())}") == [
        ("update", "users", str(history.new_id))]


@pytest.mark.parametrize("query, field", [("since=2026-01-01T00:00:00", "since"),
                                          ("action=erase", "action"), ("actor_id=me", "actor_id"),
                                          ("page_size=0", "page_size")])
def test_bad_filters_are_422_naming_them(client, history, query, field):
    resp = client.get(f"/api/v1/audit-events?{query}", headers=history.headers)
    assert resp.status_code == 422
    assert field in resp.get_json()["errors"]


def test_events_come_out_with_offsets_and_all_their_fields(client, history):
    query = f"entity=users&entity_id={history.new_id}&action=update"
    [event] = client.get(f"/api/v1/audit-events?{query}",
                         headers=history.headers).get_json()["items"]
    assert set(event) == {"id", "at", "actor_id", "action", "entity", "entity_id",
                          "org_unit_id", "before", "after", "request_id"}
    assert event["at"].endswith("+00:00")
    assert (event["before"], event["after"]) == ({"display_name": "王芳"},
                                                 {"display_name": "Renamed"})
