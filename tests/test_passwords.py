"""Passwords: everyone changes their own with the current one; one set by someone else is a
one-time password; every change ends the other sessions and is audited."""

import pytest
from conftest import PASSWORD
from sqlalchemy import select

from fieldapp.extensions import db
from models import AuditEvent, User

TOKEN = "/api/v1/auth/token"
CHANGE = "/api/v1/me/password"
NEW = "a-new-long-password"


@pytest.fixture
def people(world):
    world.user("admin", ["admin"], world.city)
    world.user("boss", ["manager"], world.county_a)
    for role in ("commissioner", "butler", "handler", "firm"):
        world.user(role, [role], world.county_a)
    return world


def log_in(client, username, password=PASSWORD):
    return client.post(TOKEN, json={"username": username, "password": password})


def bearer(resp):
    assert resp.status_code == 200, resp.get_json()
    return {"Authorization": f"Bearer {resp.get_json()['access_token']}"}


def user_id(username):
    return db.session.scalar(select(User.id).where(User.username == username))


@pytest.mark.parametrize("role", ["admin", "manager", "commissioner", "butler", "handler",
                                  "firm"])
def test_every_role_changes_its_own_password_with_the_current_one(client, people, role):
    username = "boss" if role == "manager" else role
    headers = bearer(log_in(client, username))
    resp = client.post(CHANGE, json={"current_password": PASSWORD, "new_password": NEW},
                       headers=headers)
    assert resp.status_code == 204, resp.get_json()
    assert log_in(client, username).status_code == 401
    assert log_in(client, username, NEW).status_code == 200
    assert client.get("/api/v1/me", headers=headers).status_code == 200  # this session stays


def test_a_wrong_current_password_changes_nothing_and_counts_as_a_failed_log_in(
        app_config, request):
    app_config["LOGIN_FAILURES_PER_ACCOUNT"] = "3 per 15 minutes"
    request.getfixturevalue("people")
    client = request.getfixturevalue("client")
    headers = bearer(log_in(client, "commissioner"))
    for _ in range(3):
        resp = client.post(CHANGE, json={"current_password": "guess-guess-guess",
                                         "new_password": NEW}, headers=headers)
        assert resp.status_code == 403 and resp.mimetype == "application/problem+json"
        assert "current_password" in resp.get_json()["errors"]
    resp = client.post(CHANGE, json={"current_password": PASSWORD, "new_password": NEW},
                       headers=headers)
    assert resp.status_code == 429   # a stolen token cannot guess its way to the password
    assert log_in(client, "commissioner").status_code == 200


@pytest.mark.parametrize("body, field", [
    ({"current_password": PASSWORD, "new_password": "short"}, "new_password"),
    ({"current_password": PASSWORD, "new_password": PASSWORD}, "new_password"),
    ({"current_password": PASSWORD}, "new_password"),
    ({"new_password": NEW}, "current_password"),
])
def test_a_bad_new_password_is_a_422_naming_the_field(client, people, body, field):
    headers = bearer(log_in(client, "firm"))
    resp = client.post(CHANGE, json=body, headers=headers)
    assert resp.status_code == 422 and field in resp.get_json()["errors"]
    assert log_in(client, "firm").status_code == 200


def test_a_change_ends_the_users_other_sessions_and_is_audited(client, people):
    phone = bearer(log_in(client, "butler"))
    stolen = bearer(log_in(client, "butler"))
    refresh = log_in(client, "butler").get_json()["refresh_token"]
    assert client.post(CHANGE, json={"current_password": PASSWORD, "new_password": NEW},
                       headers=phone).status_code == 204
    assert client.get("/api/v1/me", headers=stolen).status_code == 401
    assert client.post("/api/v1/auth/refresh",
                       json={"refresh_token": refresh}).status_code == 401
    [event] = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity == "users", AuditEvent.entity_id == str(user_id("butler")),
        AuditEvent.action == "update")).all()
    assert event.after["password_hash"] == "<redacted>"
    assert event.actor_id == user_id("butler")


@pytest.mark.parametrize("who", ["admin", "boss"])
def test_own_password_through_patch_users_is_refused(client, people, who):
    headers = bearer(log_in(client, who))
    resp = client.patch(f"/api/v1/users/{user_id(who)}", json={"password": NEW},
                        headers=headers)
    assert resp.status_code == 422 and "password" in resp.get_json()["errors"]
    assert log_in(client, who).status_code == 200
    assert log_in(client, who, NEW).status_code == 401


def test_a_password_set_by_a_manager_is_one_time_and_ends_the_users_sessions(client, people):
    old_session = bearer(log_in(client, "commissioner"))
    boss = bearer(log_in(client, "boss"))
    resp = client.patch(f"/api/v1/users/{user_id('commissioner')}",
                        json={"password": "reset-by-the-boss"}, headers=boss)
    assert resp.status_code == 200 and resp.get_json()["temporary_credentials"] is True
    assert client.get("/api/v1/me", headers=old_session).status_code == 401
    login = log_in(client, "commissioner", "reset-by-the-boss")
    assert login.get_json()["password_change_required"] is True
    headers = bearer(login)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    blocked = client.get("/api/v1/firms", headers=headers)
    assert blocked.status_code == 403
    assert blocked.get_json()["type"].endswith("/password-change-required")
    assert client.post(CHANGE, json={"current_password": "reset-by-the-boss",
                                     "new_password": NEW}, headers=headers).status_code == 204
    assert client.get("/api/v1/firms", headers=headers).status_code == 200
    assert log_in(client, "commissioner", NEW).get_json()["password_change_required"] is False


def test_a_new_account_gets_a_one_time_password(client, people):
    admin = bearer(log_in(client, "admin"))
    resp = client.post("/api/v1/users", json={
        "username": "zhang.wei", "display_name": "张伟", "password": "first-password",
        "roles": ["commissioner"], "org_unit_id": people.county_a.id}, headers=admin)
    assert resp.status_code == 201
    headers = bearer(log_in(client, "zhang.wei", "first-password"))
    assert client.get("/api/v1/assignments", headers=headers).status_code == 403
