"""Log-in, tokens and sessions: who gets in, for how long, and how a session ends."""

import io
import time
import uuid

import jwt
import pytest
import redis
from conftest import PASSWORD

from fieldapp import create_app
from fieldapp.auth.tokens import ALGORITHM, ISSUER
from fieldapp.extensions import db
from models import User

TOKEN = "/api/v1/auth/token"
REFRESH = "/api/v1/auth/refresh"
REVOKE = "/api/v1/auth/revoke"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/me"
SHARED_REDIS = "redis://127.0.0.1:6379/15"


@pytest.fixture
def people(world):
    """An admin at the city and a commissioner in county A."""
    world.user("admin", ["admin"], world.city)
    world.user("li.na", ["commissioner", "butler"], world.county_a)
    return world


def log_in(client, username, password=PASSWORD, **kwargs):
    """POST /auth/token; the raw response."""
    return client.post(TOKEN, json={"username": username, "password": password}, **kwargs)


def tokens(client, username="li.na"):
    """A fresh (access, refresh) pair for ``username``."""
    resp = log_in(client, username)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    return body["access_token"], body["refresh_token"]


def bearer(access):
    """Authorization header for an access token."""
    return {"Authorization": f"Bearer {access}"}


def refresh(client, refresh_token):
    """POST /auth/refresh; the raw response."""
    return client.post(REFRESH, json={"refresh_token": refresh_token})


def assert_401(resp):
    """``resp`` is a 401 problem document."""
    assert resp.status_code == 401, resp.get_json()
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == 401 and body["title"] and body["detail"] and body["type"]
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert "access_token" not in body


def assert_429(resp):
    """``resp`` is a 429 problem document that says when to come back."""
    assert resp.status_code == 429, resp.get_json()
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["status"] == 429
    assert int(resp.headers["Retry-After"]) > 0
    assert "access_token" not in resp.get_json()


def craft(app, user, session_id="", *, key=None, **claims):
    """An access token made by hand, by default valid and signed with the app's key."""
    now = int(time.time())
    payload = {"iss": ISSUER, "sub": str(user.id), "sid": session_id, "typ": "access",
               "iat": now, "exp": now + 600}
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(payload, key or app.config["SECRET_KEY"], algorithm=ALGORITHM)


def session_id_of(app, access):
    """The session an access token names (read without trusting it: tests only)."""
    return jwt.decode(access, app.config["SECRET_KEY"], algorithms=[ALGORITHM],
                      issuer=ISSUER)["sid"]


# --- logging in --------------------------------------------------------------------------------


def test_login_returns_a_bearer_pair_that_opens_me(client, people):
    resp = log_in(client, "li.na")
    assert resp.status_code == 200
    body = resp.get_json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in",
                         "password_change_required"}
    assert body["token_type"] == "Bearer"
    assert body["password_change_required"] is False
    assert body["expires_in"] == 900
    assert body["access_token"] != body["refresh_token"]
    me = client.get(ME, headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.get_json()["username"] == "li.na"


def test_username_is_case_insensitive(client, people):
    resp = log_in(client, "LI.Na")
    assert resp.status_code == 200
    me = client.get(ME, headers=bearer(resp.get_json()["access_token"]))
    assert me.get_json()["username"] == "li.na"


def test_expires_in_follows_the_configured_access_token_ttl(app_config, request):
    app_config["ACCESS_TOKEN_TTL"] = 60
    request.getfixturevalue("people")
    client = request.getfixturevalue("client")
    assert log_in(client, "li.na").get_json()["expires_in"] == 60


def test_me_shows_roles_and_org_unit_and_never_the_password_hash(client, people):
    access, _ = tokens(client)
    resp = client.get(ME, headers=bearer(access))
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["roles"] == ["butler", "commissioner"]
    assert body["org_unit_id"] == people.county_a.id
    assert body["org_unit"] == {"id": people.county_a.id, "name": "county A", "kind": "county"}
    assert body["is_active"] is True
    text = resp.get_data(as_text=True)
    assert "password" not in text
    assert "$argon2" not in text


def test_wrong_password_unknown_user_and_deactivated_user_get_the_same_401(client, people):
    people.user("gone", ["commissioner"], people.county_b, is_active=False)
    same_id = {"X-Request-ID": "same-request-id"}
    answers = [
        log_in(client, "li.na", "not-the-password", headers=same_id),
        log_in(client, "nobody.here", headers=same_id),
        log_in(client, "gone", headers=same_id),
    ]
    for resp in answers:
        assert_401(resp)
    bodies = [resp.get_json() for resp in answers]
    assert bodies[0] == bodies[1] == bodies[2]


def test_username_with_a_nul_byte_gets_the_same_401_on_every_database(client, people):
    same_id = {"X-Request-ID": "same-request-id"}
    wrong = log_in(client, "li.na", "not-the-password", headers=same_id)
    nul = log_in(client, "li.na\x00", headers=same_id)
    assert_401(nul)
    assert nul.get_json() == wrong.get_json()


def test_login_body_is_validated_before_credentials_are_checked(client, people):
    resp = client.post(TOKEN, json={"username": "li.na"})
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == {"password": ["Missing data for required field."]}


# --- bearer tokens that must not work -----------------------------------------------------------


@pytest.mark.parametrize("header", [
    None,
    "",
    "Bearer",
    "Bearer ",
    "Basic bGkubmE6cGFzc3dvcmQ=",
    "Bearer not-a-jwt",
    "Bearer a.b.c",
    "Token eyJhbGciOiJIUzI1NiJ9.e30.x",
])
def test_missing_or_garbage_bearer_token_is_a_401(client, people, header):
    headers = {} if header is None else {"Authorization": header}
    assert_401(client.get(ME, headers=headers))


def test_token_signed_with_another_key_is_a_401(app, client, people):
    access, _ = tokens(client)
    user = db.session.scalar(db.select(User).filter_by(username="li.na"))
    forged = craft(app, user, session_id_of(app, access), key="another-key-" + "y" * 32)
    assert_401(client.get(ME, headers=bearer(forged)))
    # the same claims with the right key work: the key is what was wrong
    genuine = craft(app, user, session_id_of(app, access))
    assert client.get(ME, headers=bearer(genuine)).status_code == 200


def test_unsigned_token_is_a_401(app, client, people):
    access, _ = tokens(client)
    claims = jwt.decode(access, options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert_401(client.get(ME, headers=bearer(unsigned)))


def test_expired_access_token_is_a_401(app, client, people):
    access, _ = tokens(client)
    user = db.session.scalar(db.select(User).filter_by(username="li.na"))
    past = int(time.time()) - 3600
    expired = craft(app, user, session_id_of(app, access), iat=past, exp=past + 900)
    assert_401(client.get(ME, headers=bearer(expired)))


def test_access_token_is_refused_once_its_ttl_has_passed(app_config, request):
    app_config["ACCESS_TOKEN_TTL"] = 60
    request.getfixturevalue("people")
    app, client = request.getfixturevalue("app"), request.getfixturevalue("client")
    access, _ = tokens(client)
    assert client.get(ME, headers=bearer(access)).status_code == 200
    claims = jwt.decode(access, app.config["SECRET_KEY"], algorithms=[ALGORITHM], issuer=ISSUER)
    assert claims["exp"] - claims["iat"] == 60
    # The same token as issued 61 s ago (rather than waiting for it to lapse): refused.
    lapsed = {**claims, "iat": claims["iat"] - 61, "exp": claims["exp"] - 61}
    assert_401(client.get(ME, headers=bearer(jwt.encode(lapsed, app.config["SECRET_KEY"],
                                                        algorithm=ALGORITHM))))
    assert client.get(ME, headers=bearer(access)).status_code == 200


@pytest.mark.parametrize("change", [
    {"typ": "refresh"},
    {"typ": None},
    {"iss": "someone-else"},
    {"exp": None},
    {"sub": "not-a-number"},
])
def test_token_with_wrong_or_missing_claims_is_a_401(app, client, people, change):
    access, _ = tokens(client)
    user = db.session.scalar(db.select(User).filter_by(username="li.na"))
    assert_401(client.get(ME, headers=bearer(craft(app, user, session_id_of(app, access),
                                                     **change))))


def test_validly_signed_token_for_a_session_that_does_not_exist_is_a_401(app, client, people):
    user = db.session.scalar(db.select(User).filter_by(username="li.na"))
    assert_401(client.get(ME, headers=bearer(craft(app, user, str(uuid.uuid4())))))


def test_token_naming_another_user_than_its_session_is_a_401(app, client, people):
    access, _ = tokens(client, "li.na")
    admin = db.session.scalar(db.select(User).filter_by(username="admin"))
    assert_401(client.get(ME, headers=bearer(craft(app, admin, session_id_of(app, access)))))


def test_refresh_token_used_as_a_bearer_token_is_a_401(client, people):
    _, refresh_token = tokens(client)
    assert_401(client.get(ME, headers=bearer(refresh_token)))


# --- refresh: rotation and theft detection ------------------------------------------------------


def test_refresh_gives_a_new_pair_that_works_and_the_old_refresh_token_stops_working(
        client, people):
    _, old_refresh = tokens(client)
    resp = refresh(client, old_refresh)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["token_type"] == "Bearer"
    assert body["refresh_token"] != old_refresh
    assert client.get(ME, headers=bearer(body["access_token"])).status_code == 200
    assert refresh(client, body["refresh_token"]).status_code == 200
    assert_401(refresh(client, old_refresh))


def test_replaying_a_rotated_refresh_token_ends_the_whole_session(client, people):
    first_access, stolen = tokens(client)
    rotated = refresh(client, stolen).get_json()
    assert_401(refresh(client, stolen))  # the thief (or the victim) replays the old token
    # everything of that session is dead: the newest refresh token and every access token
    assert_401(refresh(client, rotated["refresh_token"]))
    assert_401(client.get(ME, headers=bearer(rotated["access_token"])))
    assert_401(client.get(ME, headers=bearer(first_access)))


def test_replay_ends_only_that_session_not_the_users_other_sessions(client, people):
    other_access, other_refresh = tokens(client)
    _, stolen = tokens(client)
    refresh(client, stolen)
    assert_401(refresh(client, stolen))
    assert client.get(ME, headers=bearer(other_access)).status_code == 200
    assert refresh(client, other_refresh).status_code == 200


@pytest.mark.parametrize("token", [
    "garbage",
    "x" * 200,
    f"{uuid.uuid4()}.{'a' * 43}",
    f"{chr(0) * 36}.{'a' * 43}",
    f"{'z' * 36}.{'a' * 43}",
    f"{str(uuid.uuid4()).upper()}.{'a' * 43}",
])
def test_unknown_or_malformed_refresh_token_is_a_401(client, people, token):
    assert_401(refresh(client, token))


def test_refresh_of_a_deactivated_user_is_a_401(client, login, people):
    _, refresh_token = tokens(client)
    user = db.session.scalar(db.select(User).filter_by(username="li.na"))
    user.is_active = False
    db.session.commit()
    assert_401(refresh(client, refresh_token))


# --- ending sessions ----------------------------------------------------------------------------


def test_revoke_ends_the_session_for_refresh_and_access(client, people):
    access, refresh_token = tokens(client)
    resp = client.post(REVOKE, json={"refresh_token": refresh_token})
    assert resp.status_code == 204
    assert resp.get_data() == b""
    assert_401(refresh(client, refresh_token))
    assert_401(client.get(ME, headers=bearer(access)))


@pytest.mark.parametrize("token", ["garbage", f"{uuid.uuid4()}.{'a' * 43}",
                                   f"{chr(0) * 36}.{'a' * 43}"])
def test_revoke_answers_204_even_for_unknown_tokens(client, people, token):
    assert client.post(REVOKE, json={"refresh_token": token}).status_code == 204


def test_revoke_with_a_guessed_secret_does_not_end_the_session(client, people):
    access, refresh_token = tokens(client)
    session_id = refresh_token.split(".")[0]
    resp = client.post(REVOKE, json={"refresh_token": f"{session_id}.{'a' * 43}"})
    assert resp.status_code == 204
    assert client.get(ME, headers=bearer(access)).status_code == 200
    assert refresh(client, refresh_token).status_code == 200


def test_logout_ends_the_session_at_once(client, people):
    access, refresh_token = tokens(client)
    other_access, _ = tokens(client)
    resp = client.post(LOGOUT, headers=bearer(access))
    assert resp.status_code == 204
    assert_401(client.get(ME, headers=bearer(access)))
    assert_401(refresh(client, refresh_token))
    assert_401(client.post(LOGOUT, headers=bearer(access)))
    # the user's other session (another phone) is untouched
    assert client.get(ME, headers=bearer(other_access)).status_code == 200


def test_logout_without_a_token_is_a_401(client, people):
    assert_401(client.post(LOGOUT))


def test_deactivating_a_user_ends_their_access_at_once(client, login, people):
    access, refresh_token = tokens(client)
    user_id = client.get(ME, headers=bearer(access)).get_json()["id"]
    resp = client.patch(f"/api/v1/users/{user_id}", json={"is_active": False},
                        headers=login("admin"))
    assert resp.status_code == 200
    assert_401(client.get(ME, headers=bearer(access)))
    assert_401(refresh(client, refresh_token))
    assert_401(log_in(client, "li.na"))


def test_reactivating_a_user_does_not_revive_sessions_from_before_deactivation(client, login,
                                                                              people):
    access, refresh_token = tokens(client)
    user_id = client.get(ME, headers=bearer(access)).get_json()["id"]
    admin = login("admin")
    for active in (False, True):
        resp = client.patch(f"/api/v1/users/{user_id}", json={"is_active": active},
                            headers=admin)
        assert resp.status_code == 200
    assert log_in(client, "li.na").status_code == 200  # the account itself works again
    assert_401(client.get(ME, headers=bearer(access)))
    assert_401(refresh(client, refresh_token))


# --- rate limiting ------------------------------------------------------------------------------


@pytest.fixture
def strict_limits(app_config):
    """Three failed log-ins per account and ten per address."""
    app_config["LOGIN_FAILURES_PER_ACCOUNT"] = "3 per 15 minutes"
    app_config["LOGIN_FAILURES_PER_ADDRESS"] = "10 per 15 minutes"
    return app_config


def test_after_n_failures_an_account_is_blocked_even_with_the_right_password(
        strict_limits, request):
    request.getfixturevalue("people")
    client = request.getfixturevalue("client")
    for _ in range(3):
        assert_401(log_in(client, "li.na", "wrong-password"))
    assert_429(log_in(client, "li.na"))
    assert_429(log_in(client, "LI.NA", "wrong-password"))  # same account, other spelling


def test_failures_of_one_account_do_not_block_another_and_follow_the_account_across_addresses(
        strict_limits, request):
    request.getfixturevalue("people")
    client = request.getfixturevalue("client")
    first = {"REMOTE_ADDR": "10.0.0.1"}
    second = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(3):
        assert_401(log_in(client, "li.na", "wrong-password", environ_base=first))
    assert log_in(client, "admin", environ_base=second).status_code == 200
    assert log_in(client, "admin", environ_base=first).status_code == 200
    assert_429(log_in(client, "li.na", environ_base=second))


def test_successful_logins_do_not_count_toward_the_limit(strict_limits, request):
    request.getfixturevalue("people")
    client = request.getfixturevalue("client")
    for _ in range(2):
        assert_401(log_in(client, "li.na", "wrong-password"))
    for _ in range(3):
        assert log_in(client, "li.na").status_code == 200
    assert_401(log_in(client, "li.na", "wrong-password"))
    assert_429(log_in(client, "li.na"))


def test_one_address_failing_on_many_usernames_is_blocked(app_config, request):
    app_config["LOGIN_FAILURES_PER_ADDRESS"] = "4 per 15 minutes"
    request.getfixturevalue("people")
    client = request.getfixturevalue("client")
    attacker = {"REMOTE_ADDR": "10.6.6.6"}
    for i in range(4):
        assert_401(log_in(client, f"guess{i}", "wrong-password", environ_base=attacker))
    assert_429(log_in(client, "li.na", environ_base=attacker))
    # someone else, at another address, is not affected
    assert log_in(client, "li.na", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 200


@pytest.fixture
def shared_redis():
    """Redis db 15, empty before and after the test."""
    conn = redis.Redis.from_url(SHARED_REDIS)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


def test_login_limits_are_shared_across_app_instances_through_redis(
        app_config, shared_redis, request):
    app_config.update(REDIS_URL=SHARED_REDIS, LOGIN_FAILURES_PER_ACCOUNT="3 per 15 minutes")
    request.getfixturevalue("people")
    first = request.getfixturevalue("client")
    second_app = create_app(dict(app_config))
    second = second_app.test_client()
    assert_401(log_in(first, "li.na", "wrong-password"))
    assert_401(log_in(second, "li.na", "wrong-password"))
    assert_401(log_in(first, "li.na", "wrong-password"))
    assert shared_redis.dbsize() > 0  # the counters live in Redis, not in either process
    assert_429(log_in(second, "li.na"))
    assert_429(log_in(first, "li.na"))
    shared_redis.flushdb()  # forgetting Redis's state forgets the block in both instances
    assert log_in(second, "li.na").status_code == 200
    assert log_in(first, "li.na").status_code == 200
    with second_app.app_context():
        db.engine.dispose()


def test_login_works_and_is_still_limited_while_redis_is_unreachable(app_config, request):
    app_config.update(REDIS_URL="redis://127.0.0.1:1/0",  # nothing listens on port 1
                      LOGIN_FAILURES_PER_ACCOUNT="3 per 15 minutes")
    request.getfixturevalue("people")
    client = request.getfixturevalue("client")
    assert log_in(client, "li.na").status_code == 200
    for _ in range(3):
        assert_401(log_in(client, "li.na", "wrong-password"))
    assert_429(log_in(client, "li.na"))
    assert log_in(client, "admin").status_code == 200


PRIVATE_REDIS = "redis://127.0.0.1:6379/14"


class DroppedConnection(io.RawIOBase):
    """A request body whose connection resets after ``head``, as a socket's does."""

    def __init__(self, head: bytes):
        self._head = head

    def readable(self):
        return True

    def readinto(self, buffer):
        if not self._head:
            raise ConnectionResetError("peer went away")
        n = min(len(buffer), len(self._head))
        buffer[:n], self._head = self._head[:n], self._head[n:]
        return n


def unreadable_bodies():
    """Log-in bodies the account limiter cannot read a username from, each its own way."""
    deep = b"[" * 100_000 + b"]" * 100_000               # RecursionError in the decoder
    return {
        "deep_json": {"data": deep, "content_type": "application/json"},
        # A phone that drops off after half its body: the server reads ClientDisconnected.
        "disconnect": {"content_type": "application/json", "environ_overrides": {
            "wsgi.input": DroppedConnection(b'{"username": "li.na", "passw'),
            "CONTENT_LENGTH": "4096"}},
        "too_large": {"data": b'{"username": "' + b"x" * 1_100_000 + b'"}',
                      "content_type": "application/json"},
    }


@pytest.mark.parametrize("redis_url", ["", PRIVATE_REDIS], ids=["memory", "redis"])
@pytest.mark.parametrize("payload", ["deep_json", "disconnect", "too_large"])
def test_an_unreadable_login_body_never_resets_the_failure_limits(app_config, request,
                                                                  redis_url, payload):
    # flask-limiter took a key function that raised for a dead store and counted in a fresh
    # in-memory one for a while: one such request bought five more guesses.
    if redis_url:
        conn = redis.Redis.from_url(redis_url)
        conn.flushdb()
        request.addfinalizer(conn.flushdb)
    app_config.update(REDIS_URL=redis_url, LOGIN_FAILURES_PER_ACCOUNT="3 per 15 minutes",
                      LOGIN_FAILURES_PER_ADDRESS="6 per 15 minutes")
    request.getfixturevalue("people")
    client = request.getfixturevalue("client")
    for _ in range(3):
        assert_401(log_in(client, "li.na", "wrong-password"))
    resp = client.post(TOKEN, **unreadable_bodies()[payload])
    assert 400 <= resp.status_code < 500 and resp.mimetype == "application/problem+json"
    assert_429(log_in(client, "li.na"))                  # the account stays blocked
    for i in range(3):                                   # the address keeps counting too
        assert_401(log_in(client, f"guess{i}", "wrong-password"))
    assert_429(log_in(client, "admin", "wrong-password"))
    if redis_url:
        assert conn.dbsize() > 0                         # counted in Redis, not a fallback
