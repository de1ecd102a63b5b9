"""Firm users (企业用户) through ``/api/v1/users``: role ``firm`` if and only if a ``firm_id``; the
firm in the caller's scope; the firm's org unit; a one-time password; the firm's issues only."""

import functools

import pytest
from sqlalchemy import select, text

from fieldapp.extensions import db
from fieldapp.fields import ID_MAX
from models import AuditEvent, Department, Firm, ServiceTeam

USERS = "/api/v1/users"
FIRST = "first-one-time-pw"
NEW = "a-long-enough-password"


@pytest.fixture
def login(login):
    """The shared log-in, once per user in a test: Argon2 is slow on purpose."""
    return functools.cache(login)


@pytest.fixture
def firms(scene):
    """The scene (county A: ``firm``, ``park_firm``; county B: ``b_firm``), a closed firm in
    county A, a team and a department, and a firm user of ``firm`` made before this API."""
    w = scene.world
    scene.closed = Firm(uscc="91610402MA6XQ5Y0XN", name="已注销", org_unit_id=w.county_a.id,
                        status="closed")
    scene.team = ServiceTeam(name="要素保障", org_unit_id=w.city.id)
    scene.dept = Department(name="供电", org_unit_id=w.county_a.id)
    db.session.add_all([scene.closed, scene.team, scene.dept])
    db.session.commit()
    return scene


def committed(sql, **params):
    """One value as committed, read on a connection of its own."""
    with db.engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def counts():
    return committed("SELECT count(*) FROM users"), committed("SELECT count(*) FROM audit_events")


def firm_user(firm_id, **fields):
    """A POST /users body for a firm user."""
    return {"username": "qiye.li", "display_name": "李经理", "password": FIRST,
            "roles": ["firm"], "firm_id": firm_id, **fields}


def assert_problem(resp, status, field=None):
    assert resp.status_code == status, resp.get_json()
    assert resp.mimetype == "application/problem+json"
    if field is not None:
        assert field in resp.get_json()["errors"], resp.get_json()


def stored(username):
    """(roles, firm_id, org_unit_id, must change password) of a user, as committed."""
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT roles, firm_id, org_unit_id, password_must_change "
                                "FROM users WHERE username = :u"), {"u": username}).one()
    return row[0], row[1], row[2], bool(row[3])


# --- creating ---------------------------------------------------------------------------------


def test_a_county_manager_creates_a_firm_user_in_the_firms_unit(client, login, firms):
    resp = client.post(USERS, json=firm_user(firms.firm.id), headers=login("a_manager"))
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert (body["roles"], body["firm_id"], body["org_unit_id"]) == (
        ["firm"], firms.firm.id, firms.world.county_a.id)
    assert body["firm"] == {"id": firms.firm.id, "name": "秦川机械"}
    assert body["temporary_credentials"] is True
    assert stored("qiye.li") == ("firm", firms.firm.id, firms.world.county_a.id, True)
    audit = db.session.scalar(select(AuditEvent).where(
        AuditEvent.entity == "users", AuditEvent.entity_id == str(body["id"]),
        AuditEvent.action == "create"))
    assert (audit.after["firm_id"], audit.after["roles_csv"], audit.after["password_hash"]) == (
        firms.firm.id, "firm", "<redacted>")
    assert audit.org_unit_id == firms.world.county_a.id


def test_an_admin_creates_a_firm_user_for_any_firm_naming_the_unit_too(client, login, firms):
    resp = client.post(USERS, json=firm_user(firms.b_firm.id, org_unit_id=firms.world.county_b.id),
                       headers=login("admin"))
    assert resp.status_code == 201, resp.get_json()
    assert stored("qiye.li") == ("firm", firms.b_firm.id, firms.world.county_b.id, True)


def test_a_unit_other_than_the_firms_is_a_422_on_org_unit_id(client, login, firms):
    before = counts()
    resp = client.post(USERS, json=firm_user(firms.firm.id, org_unit_id=firms.world.city.id),
                       headers=login("admin"))
    assert_problem(resp, 422, "org_unit_id")
    assert counts() == before


@pytest.mark.parametrize("change, field", [
    ({"firm_id": None}, "firm_id"),                       # role firm without a firm
    ({"roles": ["firm", "commissioner"]}, "roles"),       # a firm user has no other role
    ({"roles": ["commissioner"]}, "firm_id"),             # staff never carry a firm
    ({"roles": ["manager"]}, "firm_id"),
], ids=["firm-without-firm_id", "firm-and-staff", "commissioner-with-firm", "manager-with-firm"])
def test_role_and_firm_must_go_together(client, login, firms, change, field):
    body = {**firm_user(firms.firm.id, org_unit_id=firms.world.county_a.id), **change}
    if body["firm_id"] is None:
        del body["firm_id"]
    before = counts()
    assert_problem(client.post(USERS, json=body, headers=login("admin")), 422, field)
    assert counts() == before


@pytest.mark.parametrize("extra, field", [("team", "service_team_id"), ("dept", "department_id")])
def test_a_firm_user_has_no_team_or_department(client, login, firms, extra, field):
    value = getattr(firms, extra).id
    before = counts()
    resp = client.post(USERS, json=firm_user(firms.firm.id, **{field: value}),
                       headers=login("admin"))
    assert_problem(resp, 422, field)
    assert counts() == before


def test_a_firm_outside_the_county_managers_subtree_reads_as_no_such_firm(client, login, firms):
    before = counts()
    resp = client.post(USERS, json=firm_user(firms.b_firm.id), headers=login("a_manager"))
    assert_problem(resp, 422, "firm_id")
    missing = client.post(USERS, json=firm_user(999_999), headers=login("a_manager"))
    assert_problem(missing, 422, "firm_id")
    # The same answer: an out-of-scope id tells nothing a nonexistent one does not.
    assert resp.get_json()["errors"] == missing.get_json()["errors"] == {
        "firm_id": ["No such firm in your scope."]}
    assert counts() == before


def test_a_nonexistent_firm_is_a_422_for_an_admin_too(client, login, firms):
    before = counts()
    assert_problem(client.post(USERS, json=firm_user(999_999), headers=login("admin")),
                   422, "firm_id")
    assert counts() == before


def test_a_closed_firm_gets_no_new_users(client, login, firms):
    resp = client.post(USERS, json=firm_user(firms.closed.id), headers=login("admin"))
    assert_problem(resp, 422, "firm_id")
    assert "closed" in resp.get_json()["errors"]["firm_id"][0]


@pytest.mark.parametrize("firm_id", [0, -1, ID_MAX + 1, 2**63, "1", 1.5, True])
def test_out_of_range_or_non_integer_firm_ids_are_422(client, login, firms, firm_id):
    before = counts()
    resp = client.post(USERS, json=firm_user(firm_id), headers=login("admin"))
    assert_problem(resp, 422, "firm_id")
    assert set(resp.get_json()["errors"]) == {"firm_id"}   # not also "org_unit_id missing"
    assert_problem(client.patch(f"{USERS}/{firms.users['commissioner'].id}",
                                json={"firm_id": firm_id}, headers=login("admin")),
                   422, "firm_id")
    assert counts() == before


def test_without_a_firm_the_org_unit_is_still_required(client, login, firms):
    body = firm_user(firms.firm.id, roles=["commissioner"])
    del body["firm_id"]
    assert_problem(client.post(USERS, json=body, headers=login("admin")), 422, "org_unit_id")


def test_staff_other_than_admins_and_managers_may_not_create_firm_users(client, login, firms):
    before = counts()
    # The commissioner sees this firm (assigned to them), and still may not.
    assert_problem(client.post(USERS, json=firm_user(firms.firm.id),
                               headers=login("commissioner")), 403)
    assert counts() == before


# --- changing ---------------------------------------------------------------------------------


def _made(client, login, firm, who="admin"):
    resp = client.post(USERS, json=firm_user(firm.id), headers=login(who))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def test_moving_a_firm_user_to_another_firm_moves_their_unit(client, login, firms):
    user_id = _made(client, login, firms.firm)
    before = counts()
    assert_problem(client.patch(f"{USERS}/{user_id}", json={"firm_id": firms.b_firm.id},
                                headers=login("admin")), 422, "password")
    assert counts() == before
    assert stored("qiye.li")[1] == firms.firm.id
    resp = client.patch(f"{USERS}/{user_id}", json={"firm_id": firms.b_firm.id,
                                                    "password": NEW}, headers=login("admin"))
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["firm"] == {"id": firms.b_firm.id, "name": "泾阳食品"}
    assert stored("qiye.li") == ("firm", firms.b_firm.id, firms.world.county_b.id, True)
    changes = db.session.scalars(select(AuditEvent.after).where(
        AuditEvent.entity == "users", AuditEvent.entity_id == str(user_id),
        AuditEvent.action == "update")).all()
    assert len(changes) == 1
    assert {k: changes[0][k] for k in ("firm_id", "org_unit_id")} == {
        "firm_id": firms.b_firm.id, "org_unit_id": firms.world.county_b.id}


def test_whoever_knew_the_password_is_out_when_the_account_moves_to_another_firm(
        client, login, firms):
    user_id = _made(client, login, firms.firm)
    token = client.post("/api/v1/auth/token", json={"username": "qiye.li", "password": FIRST})
    assert token.status_code == 200, token.get_json()
    old = {"Authorization": f"Bearer {token.get_json()['access_token']}"}
    assert client.get("/api/v1/me", headers=old).status_code == 200
    resp = client.patch(f"{USERS}/{user_id}", json={"firm_id": firms.b_firm.id,
                                                    "password": NEW}, headers=login("admin"))
    assert resp.status_code == 200, resp.get_json()
    assert client.get("/api/v1/me", headers=old).status_code == 401
    assert client.post("/api/v1/auth/token", json={"username": "qiye.li",
                                                   "password": FIRST}).status_code == 401


def test_a_firm_closed_since_does_not_block_other_changes_to_its_user(client, login, firms):
    user_id = _made(client, login, firms.firm)
    db.session.execute(text("UPDATE firms SET status = 'closed' WHERE id = :i"),
                       {"i": firms.firm.id})
    db.session.commit()
    resp = client.patch(f"{USERS}/{user_id}", json={"firm_id": firms.firm.id,
                                                    "display_name": "李总"},
                        headers=login("a_manager"))
    assert resp.status_code == 200, resp.get_json()
    assert committed("SELECT display_name FROM users WHERE id = :i", i=user_id) == "李总"


def test_a_county_manager_cannot_move_a_firm_user_to_a_firm_of_another_county(
        client, login, firms):
    user_id = _made(client, login, firms.firm, who="a_manager")
    before = counts()
    resp = client.patch(f"{USERS}/{user_id}", json={"firm_id": firms.b_firm.id,
                                                    "display_name": "改名"},
                        headers=login("a_manager"))
    assert_problem(resp, 422, "firm_id")
    assert counts() == before
    assert stored("qiye.li")[1] == firms.firm.id
    assert committed("SELECT display_name FROM users WHERE id = :i", i=user_id) == "李经理"


def test_a_firm_user_stays_in_the_firms_unit(client, login, firms):
    user_id = _made(client, login, firms.firm)
    resp = client.patch(f"{USERS}/{user_id}", json={"org_unit_id": firms.world.park_a.id},
                        headers=login("admin"))
    assert_problem(resp, 422, "org_unit_id")
    assert stored("qiye.li")[2] == firms.world.county_a.id


@pytest.mark.parametrize("change, field", [
    ({"roles": ["commissioner"]}, "roles"),               # a firm account stays one
    ({"roles": ["firm", "butler"]}, "roles"),
    ({"firm_id": None}, "firm_id"),                       # still role firm
    ({"department_id": "dept"}, "department_id"),
])
def test_a_patch_breaking_the_rule_changes_nothing(client, login, firms, change, field):
    user_id = _made(client, login, firms.firm)
    change = {k: getattr(firms, v).id if isinstance(v, str) else v for k, v in change.items()}
    before = counts()
    resp = client.patch(f"{USERS}/{user_id}", json={**change, "display_name": "改名"},
                        headers=login("admin"))
    assert_problem(resp, 422, field)
    assert counts() == before
    assert stored("qiye.li") == ("firm", firms.firm.id, firms.world.county_a.id, True)


def test_a_firm_account_never_becomes_staff_nor_staff_a_firm_account(client, login, firms):
    user_id = _made(client, login, firms.firm)
    clerk = firms.users["other"].id
    before = counts()
    assert_problem(client.patch(f"{USERS}/{user_id}", json={"roles": ["commissioner"],
                                                             "firm_id": None},
                                headers=login("a_manager")), 422, "roles")
    assert_problem(client.patch(f"{USERS}/{clerk}", json={"roles": ["firm"],
                                                           "firm_id": firms.park_firm.id,
                                                           "password": NEW},
                                headers=login("a_manager")), 422, "roles")
    assert counts() == before
    assert stored("qiye.li")[:2] == ("firm", firms.firm.id)
    assert stored("other")[:2] == ("commissioner", None)


def test_a_firm_user_recorded_without_a_firm_can_still_be_deactivated(client, login, firms):
    legacy = firms.world.user("legacy_firm", ["firm"], firms.world.county_a)
    resp = client.patch(f"{USERS}/{legacy.id}", json={"is_active": False},
                        headers=login("a_manager"))
    assert resp.status_code == 200, resp.get_json()
    assert_problem(client.patch(f"{USERS}/{legacy.id}", json={"roles": ["firm"]},
                                headers=login("a_manager")), 422, "firm_id")


def test_a_firm_users_unit_follows_their_firm_when_it_moves(client, login, firms):
    user_id = _made(client, login, firms.firm)
    resp = client.patch(f"/api/v1/firms/{firms.firm.id}",
                        json={"org_unit_id": firms.world.county_b.id}, headers=login("admin"))
    assert resp.status_code == 200, resp.get_json()
    assert stored("qiye.li")[1:3] == (firms.firm.id, firms.world.county_b.id)
    changes = db.session.scalars(select(AuditEvent.after).where(
        AuditEvent.entity == "users", AuditEvent.entity_id == str(user_id),
        AuditEvent.action == "update")).all()
    assert changes == [{"org_unit_id": firms.world.county_b.id}]
    # Now county B's manager manages them, and county A's no longer sees them.
    assert client.patch(f"{USERS}/{user_id}", json={"display_name": "李总"},
                        headers=login("b_manager")).status_code == 200
    assert_problem(client.get(f"{USERS}/{user_id}", headers=login("a_manager")), 404)


# --- listing and using the account ------------------------------------------------------------


def test_the_list_shows_each_firm_users_firm(client, login, firms):
    user_id = _made(client, login, firms.firm)
    body = client.get(f"{USERS}?role=firm", headers=login("a_manager")).get_json()
    assert [(u["id"], u["firm"]) for u in body["items"]] == [
        (user_id, {"id": firms.firm.id, "name": "秦川机械"})]
    staff = client.get(f"{USERS}?role=manager", headers=login("admin")).get_json()["items"]
    assert {u["firm"] for u in staff} == {None}


def _raise(client, headers, firm):
    resp = client.post("/api/v1/issues", json={"firm_id": firm.id, "category": "land",
                                               "title": f"{firm.name}用地手续"}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def test_the_new_firm_user_logs_in_changes_the_password_and_sees_only_their_firms_issues(
        client, login, firms):
    admin = login("admin")
    ours = _raise(client, admin, firms.firm)
    _raise(client, admin, firms.park_firm)
    theirs = _raise(client, admin, firms.b_firm)
    _made(client, login, firms.firm, who="a_manager")

    resp = client.post("/api/v1/auth/token", json={"username": "qiye.li", "password": FIRST})
    assert resp.status_code == 200 and resp.get_json()["password_change_required"] is True
    headers = {"Authorization": f"Bearer {resp.get_json()['access_token']}"}
    blocked = client.get("/api/v1/issues", headers=headers)
    assert blocked.status_code == 403
    assert blocked.get_json()["type"].endswith("/password-change-required")
    assert client.post("/api/v1/me/password", json={"current_password": FIRST,
                                                    "new_password": NEW},
                       headers=headers).status_code == 204

    headers = login("qiye.li", NEW)
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert (me["roles"], me["firm"]) == (["firm"], {"id": firms.firm.id, "name": "秦川机械"})
    issues = client.get("/api/v1/issues", headers=headers).get_json()["items"]
    assert [i["id"] for i in issues] == [ours]
    assert client.get(f"/api/v1/issues/{theirs}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/firms/{firms.b_firm.id}", headers=headers).status_code == 404
    # They raise their own firm's issues, and no other firm's.
    _raise(client, headers, firms.firm)
    assert_problem(client.post("/api/v1/issues", json={
        "firm_id": firms.b_firm.id, "category": "land", "title": "x"}, headers=headers),
        422, "firm_id")
    assert committed("SELECT password_must_change FROM users WHERE username = 'qiye.li'") in (
        False, 0)
