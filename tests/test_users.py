"""``/api/v1/users``: creating, changing, finding; who may do it; bad input stores nothing."""

import functools

import pytest
from conftest import PASSWORD
from sqlalchemy import func, select, text

from fieldapp.extensions import db
from models import AuditEvent, Department, User

NEW_PASSWORD = "a-long-enough-password"


@pytest.fixture
def login(login):
    """The shared log-in, once per user in a test: Argon2 is slow on purpose."""
    return functools.cache(login)


@pytest.fixture
def people(world):
    """An admin at the city, a manager per county, a department in each county."""
    world.user("admin", ["admin"], world.city)
    world.user("boss_a", ["manager"], world.county_a)
    world.user("boss_b", ["manager"], world.county_b)
    world.user("clerk", ["commissioner"], world.county_a)
    world.dept_a = Department(name="power supply A", org_unit_id=world.county_a.id)
    world.dept_b = Department(name="power supply B", org_unit_id=world.county_b.id)
    db.session.add_all([world.dept_a, world.dept_b])
    db.session.commit()
    return world


def committed(stmt):
    """Read what is committed, on a connection of its own (not the test's session)."""
    with db.engine.connect() as conn:
        return conn.execute(stmt).scalar()


def counts():
    """Rows in users and audit_events, as committed."""
    return (committed(text("SELECT count(*) FROM users")),
            committed(text("SELECT count(*) FROM audit_events")))


def new_user(unit, **fields):
    """A valid POST /users body in ``unit``."""
    body = {"username": "zhang.wei", "display_name": "张伟", "password": NEW_PASSWORD,
            "roles": ["commissioner"], "org_unit_id": unit.id}
    body.update(fields)
    return body


def assert_problem(resp, status, field=None):
    """``resp`` is a problem document of ``status``; for 422, ``field`` is named in errors."""
    assert resp.status_code == status, resp.get_json()
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == status
    if field is not None:
        assert field in body["errors"], body


# --- creating ---------------------------------------------------------------------------------


def test_admin_creates_a_user_who_can_then_log_in(client, login, people):
    resp = client.post("/api/v1/users", json=new_user(people.park_a, phone="+86 29 1234567"),
                       headers=login("admin"))
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["username"] == "zhang.wei"
    assert body["display_name"] == "张伟"
    assert body["roles"] == ["commissioner"]
    assert body["org_unit"] == {"id": people.park_a.id, "name": "park A", "kind": "park"}
    assert body["is_active"] is True
    assert "password" not in body and "password_hash" not in body
    login("zhang.wei", NEW_PASSWORD)


def test_usernames_are_unique_ignoring_case_and_a_duplicate_is_a_409(client, login, people):
    headers = login("admin")
    assert client.post("/api/v1/users", json=new_user(people.city, username="Zhang.Wei"),
                       headers=headers).status_code == 201
    before = counts()
    resp = client.post("/api/v1/users", json=new_user(people.city, username="zhang.WEI"),
                       headers=headers)
    assert_problem(resp, 409)
    assert resp.get_json()["errors"] == {"username": ["Already taken."]}
    assert counts() == before


def test_manager_creates_users_inside_their_subtree(client, login, people):
    resp = client.post("/api/v1/users", json=new_user(people.park_a, roles=["manager", "butler"]),
                       headers=login("boss_a"))
    assert resp.status_code == 201
    assert resp.get_json()["roles"] == ["butler", "manager"]


def test_manager_creating_in_a_unit_outside_their_scope_gets_404_and_nothing_is_stored(
        client, login, people):
    before = counts()
    resp = client.post("/api/v1/users", json=new_user(people.county_b), headers=login("boss_a"))
    assert_problem(resp, 404)
    assert counts() == before


def test_manager_may_never_grant_admin(client, login, people):
    before = counts()
    resp = client.post("/api/v1/users", json=new_user(people.county_a, roles=["admin"]),
                       headers=login("boss_a"))
    assert_problem(resp, 403)
    assert counts() == before


def test_roles_other_than_admin_and_manager_may_not_create_users(client, login, people):
    before = counts()
    resp = client.post("/api/v1/users", json=new_user(people.county_a), headers=login("clerk"))
    assert_problem(resp, 403)
    assert counts() == before


def test_a_handler_needs_a_department(client, login, people):
    headers = login("admin")
    before = counts()
    resp = client.post("/api/v1/users", json=new_user(people.county_a, roles=["handler"]),
                       headers=headers)
    assert_problem(resp, 422, "department_id")
    assert counts() == before
    resp = client.post("/api/v1/users", json=new_user(people.county_a, roles=["handler"],
                                                      department_id=people.dept_a.id),
                       headers=headers)
    assert resp.status_code == 201
    assert resp.get_json()["department_id"] == people.dept_a.id


def test_a_manager_may_not_attach_a_department_outside_their_scope(client, login, people):
    before = counts()
    resp = client.post("/api/v1/users", json=new_user(people.county_a, roles=["handler"],
                                                      department_id=people.dept_b.id),
                       headers=login("boss_a"))
    assert_problem(resp, 422, "department_id")
    assert counts() == before


def test_a_password_shorter_than_10_characters_is_refused(client, login, people):
    before = counts()
    resp = client.post("/api/v1/users", json=new_user(people.city, password="123456789"),
                       headers=login("admin"))
    assert_problem(resp, 422, "password")
    assert counts() == before


@pytest.mark.parametrize("body, field", [
    ({"username": "no spaces"}, "username"),
    ({"username": "ab"}, "username"),
    ({"roles": ["superuser"]}, "roles.0"),
    ({"roles": []}, "roles"),
    ({"phone": "call me"}, "phone"),
    ({"display_name": ""}, "display_name"),
])
def test_invalid_fields_are_422_naming_the_field(client, login, people, body, field):
    before = counts()
    resp = client.post("/api/v1/users", json=new_user(people.city, **body),
                       headers=login("admin"))
    assert_problem(resp, 422, field)
    assert counts() == before


@pytest.mark.parametrize("missing", ["username", "display_name", "password", "roles",
                                     "org_unit_id"])
def test_required_fields_are_named_when_missing(client, login, people, missing):
    body = new_user(people.city)
    del body[missing]
    assert_problem(client.post("/api/v1/users", json=body, headers=login("admin")), 422, missing)


def test_demo_passwords_are_accepted_outside_production(client, login, people):
    resp = client.post("/api/v1/users", json=new_user(people.city, password="fieldapp-admin"),
                       headers=login("admin"))
    assert resp.status_code == 201


@pytest.fixture
def production(app_config):
    """Run the app as production (the fixture's SECRET_KEY is long enough for start-up)."""
    app_config["ENV"] = "production"


def test_production_refuses_demo_passwords_as_new_passwords(production, client, login, people):
    headers = login("admin")
    before = counts()
    resp = client.post("/api/v1/users", json=new_user(people.city, password="fieldapp-admin"),
                       headers=headers)
    assert_problem(resp, 422, "password")
    assert "Demo passwords" in resp.get_json()["errors"]["password"][0]
    clerk = db.session.scalar(select(User.id).where(User.username == "clerk"))
    resp = client.patch(f"/api/v1/users/{clerk}", json={"password": "fieldapp-manager"},
                        headers=headers)
    assert_problem(resp, 422, "password")
    assert counts() == before


# --- changing ---------------------------------------------------------------------------------


def _id(username):
    return db.session.scalar(select(User.id).where(User.username == username))


def test_admin_changes_roles_name_and_unit(client, login, people):
    resp = client.patch(f"/api/v1/users/{_id('clerk')}",
                        json={"roles": ["butler", "commissioner"], "display_name": "Clerk Li",
                              "org_unit_id": people.park_a.id},
                        headers=login("admin"))
    assert resp.status_code == 200
    body = resp.get_json()
    assert (body["roles"], body["display_name"], body["org_unit_id"]) == (
        ["butler", "commissioner"], "Clerk Li", people.park_a.id)


def test_a_changed_password_replaces_the_old_one(client, login, people):
    resp = client.patch(f"/api/v1/users/{_id('clerk')}", json={"password": NEW_PASSWORD},
                        headers=login("admin"))
    assert resp.status_code == 200
    login("clerk", NEW_PASSWORD)
    resp = client.post("/api/v1/auth/token", json={"username": "clerk", "password": PASSWORD})
    assert resp.status_code == 401


def test_a_user_cannot_deactivate_themselves(client, login, people):
    resp = client.patch(f"/api/v1/users/{_id('boss_a')}", json={"is_active": False},
                        headers=login("boss_a"))
    assert_problem(resp, 422, "is_active")
    assert committed(select(User.is_active).where(User.username == "boss_a")) is True


def test_a_deactivated_user_can_no_longer_use_their_token(client, login, people):
    clerk_headers = login("clerk")
    resp = client.patch(f"/api/v1/users/{_id('clerk')}", json={"is_active": False},
                        headers=login("boss_a"))
    assert resp.status_code == 200
    assert resp.get_json()["is_active"] is False
    assert client.get("/api/v1/users", headers=clerk_headers).status_code == 401


def test_manager_cannot_change_a_user_outside_their_subtree(client, login, people):
    resp = client.patch(f"/api/v1/users/{_id('boss_b')}", json={"display_name": "x"},
                        headers=login("boss_a"))
    assert_problem(resp, 404)


def test_manager_cannot_move_a_user_out_of_their_subtree(client, login, people):
    before = counts()
    resp = client.patch(f"/api/v1/users/{_id('clerk')}", json={"org_unit_id": people.county_b.id},
                        headers=login("boss_a"))
    assert_problem(resp, 404)
    assert counts() == before
    assert committed(select(User.org_unit_id).where(User.username == "clerk")) == people.county_a.id


def test_manager_cannot_grant_admin_by_patching(client, login, people):
    resp = client.patch(f"/api/v1/users/{_id('clerk')}", json={"roles": ["admin"]},
                        headers=login("boss_a"))
    assert_problem(resp, 403)
    assert committed(select(User.roles_csv).where(User.username == "clerk")) == "commissioner"


def test_a_manager_cannot_widen_their_own_scope_by_moving_up_the_tree(client, login, people):
    resp = client.patch(f"/api/v1/users/{_id('boss_a')}", json={"org_unit_id": people.city.id},
                        headers=login("boss_a"))
    assert_problem(resp, 404)
    assert committed(select(User.org_unit_id).where(User.username == "boss_a")) == (
        people.county_a.id)


def test_a_manager_cannot_change_an_admin_inside_their_subtree(client, login, people):
    local_admin = people.user("local_admin", ["admin"], people.park_a)
    resp = client.patch(f"/api/v1/users/{local_admin.id}", json={"is_active": False},
                        headers=login("boss_a"))
    assert_problem(resp, 403)
    assert committed(select(User.is_active).where(User.id == local_admin.id)) is True


def test_a_rejected_patch_changes_no_field_even_those_that_were_valid(client, login, people):
    clerk = _id("clerk")
    before = counts()
    resp = client.patch(f"/api/v1/users/{clerk}",
                        json={"display_name": "Renamed", "roles": ["handler"]},
                        headers=login("admin"))
    assert_problem(resp, 422, "department_id")
    assert counts() == before
    shown = client.get(f"/api/v1/users/{clerk}", headers=login("admin")).get_json()
    assert (shown["display_name"], shown["roles"]) == ("Clerk", ["commissioner"])
    # A later, valid change must not carry the rejected one along with it.
    assert client.patch(f"/api/v1/users/{clerk}", json={"phone": "12345678"},
                        headers=login("admin")).status_code == 200
    assert committed(select(User.display_name).where(User.id == clerk)) == "Clerk"
    assert committed(select(User.roles_csv).where(User.id == clerk)) == "commissioner"


def test_a_rejected_patch_writes_no_audit_event(client, login, people):
    clerk = _id("clerk")
    client.patch(f"/api/v1/users/{clerk}", json={"display_name": "Renamed",
                                                 "department_id": people.dept_b.id},
                 headers=login("boss_a"))
    client.patch(f"/api/v1/users/{clerk}", json={"phone": "12345678"}, headers=login("boss_a"))
    changes = db.session.scalars(select(AuditEvent.after).where(
        AuditEvent.entity == "users", AuditEvent.entity_id == str(clerk),
        AuditEvent.action == "update")).all()
    assert changes == [{"phone": "12345678"}]


# --- finding ----------------------------------------------------------------------------------


@pytest.fixture
def crowd(people):
    """More people to filter: a handler, an inactive user, names with LIKE wildcards."""
    people.user("handler_a", ["handler"], people.park_a, department_id=people.dept_a.id)
    people.user("gone", ["butler"], people.county_b, is_active=False)
    people.user("ab_c", ["firm"], people.city).display_name = "100% 李"
    people.user("abxc", ["firm"], people.city).display_name = "100 percent"
    db.session.commit()
    return people


def usernames(client, headers, query=""):
    """The usernames GET /users?query answers, in order."""
    resp = client.get(f"/api/v1/users?page_size=200&{query}", headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return [u["username"] for u in resp.get_json()["items"]]


def test_filter_by_role(client, login, crowd):
    headers = login("admin")
    assert usernames(client, headers, "role=manager") == ["boss_a", "boss_b"]
    assert usernames(client, headers, "role=handler") == ["handler_a"]


def test_filter_by_org_unit_includes_its_subtree(client, login, crowd):
    got = usernames(client, login("admin"), f"org_unit_id={crowd.county_a.id}")
    assert sorted(got) == ["boss_a", "clerk", "handler_a"]


def test_filter_by_an_org_unit_outside_scope_is_404(client, login, crowd):
    resp = client.get(f"/api/v1/users?org_unit_id={crowd.county_b.id}", headers=login("boss_a"))
    assert_problem(resp, 404)


def test_q_matches_username_or_display_name_ignoring_case(client, login, crowd):
    headers = login("admin")
    assert usernames(client, headers, "q=BOSS") == ["boss_a", "boss_b"]
    assert usernames(client, headers, "q=李") == ["ab_c"]


def test_q_treats_like_wildcards_literally(client, login, crowd):
    headers = login("admin")
    assert usernames(client, headers, "q=b_c") == ["ab_c"]
    assert usernames(client, headers, "q=100%25") == ["ab_c"]


def test_filter_by_is_active(client, login, crowd):
    headers = login("admin")
    assert usernames(client, headers, "is_active=false") == ["gone"]
    assert "gone" not in usernames(client, headers, "is_active=true")


def test_filters_combine_and_stay_inside_scope(client, login, crowd):
    assert usernames(client, login("boss_a"), "role=handler&is_active=true") == ["handler_a"]
    assert usernames(client, login("boss_a"), "q=gone") == []


def test_list_is_a_page_envelope_ordered_by_id(client, login, crowd):
    headers = login("admin")
    everyone = db.session.scalars(select(User.username).order_by(User.id)).all()
    body = client.get("/api/v1/users?page=2&page_size=3", headers=headers).get_json()
    assert set(body) == {"items", "page", "page_size", "total"}
    assert (body["page"], body["page_size"], body["total"]) == (2, 3, len(everyone))
    assert [u["username"] for u in body["items"]] == everyone[3:6]
    beyond = client.get("/api/v1/users?page=99&page_size=3", headers=headers).get_json()
    assert (beyond["items"], beyond["total"]) == ([], len(everyone))


@pytest.mark.parametrize("query, field", [("page=0", "page"), ("page_size=0", "page_size"),
                                          ("role=boss", "role"), ("is_active=maybe", "is_active"),
                                          ("org_unit_id=x", "org_unit_id")])
def test_bad_list_arguments_are_422_naming_them(client, login, people, query, field):
    assert_problem(client.get(f"/api/v1/users?{query}", headers=login("admin")), 422, field)


def test_page_size_is_capped_by_the_configured_maximum(app_config, client, login, crowd):
    client.application.config["PAGE_SIZE_MAX"] = 2
    body = client.get("/api/v1/users?page_size=500", headers=login("admin")).get_json()
    assert body["page_size"] == 2
    assert len(body["items"]) == 2
    assert body["total"] == committed(select(func.count()).select_from(User))
