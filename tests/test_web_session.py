"""The web pages' session: refresh token in an HttpOnly cookie, CSRF-guarded, rotated."""

import pytest
from sqlalchemy import select

from fieldapp.auth.routes import REFRESH_COOKIE, SESSION_PATH
from fieldapp.extensions import db
from models import AuthSession
from tests.conftest import PASSWORD

CSRF = {"X-Fieldapp-CSRF": "1"}


@pytest.fixture
def person(world):
    return world.user("wang.fang", ["commissioner"], world.county_a)


def open_session(client, username="wang.fang", password=PASSWORD, headers=CSRF, **kw):
    return client.post(SESSION_PATH, json={"username": username, "password": password},
                       headers=headers, **kw)


def refresh(client, headers=CSRF):
    return client.post(f"{SESSION_PATH}/refresh", headers=headers)


def cookie(client):
    found = client.get_cookie(REFRESH_COOKIE, path=SESSION_PATH)
    return found.value if found else None


def test_log_in_gives_the_page_an_access_token_and_hides_the_refresh_token_in_a_cookie(
        client, person):
    resp = open_session(client)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert set(body) == {"access_token", "token_type", "expires_in", "password_change_required"}
    assert body["password_change_required"] is False
    header = resp.headers["Set-Cookie"]
    assert header.startswith(f"{REFRESH_COOKIE}=")
    for attribute in ("HttpOnly", "SameSite=Strict", f"Path={SESSION_PATH}"):
        assert attribute in header
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.get_json()["username"] == "wang.fang"


def test_refresh_rotates_the_cookie_and_a_replayed_old_cookie_ends_the_session(client, person):
    open_session(client)
    first = cookie(client)
    resp = refresh(client)
    assert resp.status_code == 200 and resp.get_json()["access_token"]
    second = cookie(client)
    assert second and second != first
    client.set_cookie(REFRESH_COOKIE, first, path=SESSION_PATH)  # a stolen, already used one
    assert refresh(client).status_code == 401
    assert cookie(client) is None  # cleared
    session = db.session.scalar(select(AuthSession))
    assert session.revoked_at is not None
    client.set_cookie(REFRESH_COOKIE, second, path=SESSION_PATH)
    assert refresh(client).status_code == 401  # the whole session is over


@pytest.mark.parametrize("headers", [
    {},  # no CSRF header: a cross-site form post
    {**CSRF, "Origin": "https://evil.example"},
    {**CSRF, "Sec-Fetch-Site": "cross-site"},
    {"X-Fieldapp-CSRF": "yes"},
])
def test_cookie_endpoints_refuse_cross_site_requests(client, person, headers):
    open_session(client)
    before = cookie(client)
    resp = refresh(client, headers=headers)
    assert resp.status_code == 403
    assert resp.mimetype == "application/problem+json"
    assert cookie(client) == before  # not rotated
    assert client.delete(SESSION_PATH, headers=headers).status_code == 403
    assert open_session(client, headers=headers).status_code == 403


def test_same_origin_requests_pass_the_csrf_check(client, person):
    resp = open_session(client, headers={**CSRF, "Origin": "http://localhost",
                                         "Sec-Fetch-Site": "same-origin"})
    assert resp.status_code == 200


def test_refresh_without_a_cookie_is_401(client, person):
    resp = refresh(client)
    assert resp.status_code == 401
    assert resp.mimetype == "application/problem+json"


def test_log_out_revokes_the_session_and_clears_the_cookie(client, person):
    access = open_session(client).get_json()["access_token"]
    assert client.delete(SESSION_PATH, headers=CSRF).status_code == 204
    assert cookie(client) is None
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {access}"}).status_code \
        == 401
    assert refresh(client).status_code == 401


def test_wrong_password_is_the_same_401_as_the_token_endpoint(client, person):
    resp = open_session(client, password="wrong")
    assert resp.status_code == 401
    assert resp.get_json()["type"].endswith("bad-credentials")
    assert "Set-Cookie" not in resp.headers


def test_failed_log_ins_count_together_on_both_log_in_endpoints(app_config, request):
    app_config["LOGIN_FAILURES_PER_ACCOUNT"] = "3 per 15 minutes"
    request.getfixturevalue("person")
    client = request.getfixturevalue("client")
    assert open_session(client, password="wrong").status_code == 401
    assert client.post("/api/v1/auth/token",
                       json={"username": "wang.fang", "password": "x"}).status_code == 401
    assert open_session(client, password="wrong").status_code == 401
    locked = open_session(client)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert client.post("/api/v1/auth/token", json={"username": "wang.fang",
                                                    "password": PASSWORD}).status_code == 429
