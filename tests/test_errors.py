"""Errors: one RFC 9457 problem shape, no internals, a request id on all, nothing half-stored."""

import json

import pytest
from conftest import PASSWORD
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from fieldapp.extensions import db
from models import User

USERS = "/api/v1/users"
TOKEN = "/api/v1/auth/token"
LEAKS = ("Traceback", "File \"", "SELECT", "INSERT", "sqlalchemy", "psycopg", "sqlite",
         "UNIQUE", "IntegrityError", "RuntimeError", "hunter2")


@pytest.fixture
def people(world):
    """An admin at the city."""
    world.user("admin", ["admin"], world.city)
    return world


@pytest.fixture
def admin(people, login):
    """Bearer headers of the admin."""
    return login("admin")


def count(table):
    """Committed rows in ``table``, read on a connection of its own."""
    with db.engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()


def stored():
    """What a rejected write must leave unchanged."""
    return count("users"), count("auth_sessions"), count("audit_events")


def new_user(unit, **fields):
    """A valid POST /users body in ``unit``."""
    body = {"username": "wang.fang", "display_name": "王芳", "password": "long-enough-pass",
            "roles": ["commissioner"], "org_unit_id": unit.id}
    body.update(fields)
    return body


def assert_problem(resp, status):
    """``resp`` is an RFC 9457 problem document of ``status`` without internals; its body."""
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.headers["Content-Type"] == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    raw = resp.get_data(as_text=True)
    for leak in LEAKS:
        assert leak not in raw, leak
    return body


def post_raw(client, url, raw, headers=None):
    """POST ``raw`` bytes as application/json."""
    return client.post(url, data=raw, content_type="application/json", headers=headers or {})


# --- the shape of each error --------------------------------------------------------------------


@pytest.mark.parametrize("raw", ['{"username": "admin", ', "{'username': 'admin'}", "not json",
                                 '{"username": "admin"} trailing'])
def test_malformed_json_is_a_400_and_stores_nothing(client, admin, people, raw):
    before = stored()
    body = assert_problem(post_raw(client, USERS, raw, admin), 400)
    assert "json" in body["detail"].lower()
    assert stored() == before


def test_deeply_nested_json_is_a_400_not_a_500(client, admin):
    before = stored()
    assert_problem(post_raw(client, USERS, "[" * 100_000, admin), 400)
    assert stored() == before


def test_an_integer_too_long_to_convert_is_malformed_json_not_a_500(client, admin, people):
    # Python's int() stops at 4,300 digits with a ValueError json does not turn into a
    # JSONDecodeError: a log-in or any other body carrying one was a 500.
    huge = "9" * 5000
    before = stored()
    assert_problem(post_raw(client, TOKEN, f'{{"username": "admin", "password": {huge}}}'), 400)
    assert_problem(post_raw(client, USERS, f'{{"org_unit_id": {huge}}}', admin), 400)
    assert stored() == before


def test_unknown_route_is_a_404(client, people):
    assert_problem(client.get("/api/v1/no-such-thing"), 404)
    assert_problem(client.get("/no-such-thing"), 404)


def test_unknown_id_is_a_404(client, admin):
    assert_problem(client.get(f"{USERS}/999999", headers=admin), 404)


NOT_FOUND_TYPE = "https://fieldapp.example/problems/not-found"


def test_every_kind_of_not_found_is_one_problem_type(client, scene, as_):
    """Whatever said "not found" — the router, the path converter, the scope, a look-up by
    number — a client sees one problem type, so it can treat every 404 alike."""
    manager, admin = as_("a_manager"), as_("admin")
    cases = {
        "unknown path": client.get("/api/v1/no-such-thing", headers=manager),
        "unknown page": client.get("/console/no-such-page"),
        "unknown static file": client.get("/web/static/no-such-file.js"),
        "out-of-scope id": client.get(f"/api/v1/firms/{scene.b_firm.id}", headers=manager),
        "unknown id": client.get("/api/v1/firms/999999", headers=manager),
        "id the path converter refuses": client.get(f"/api/v1/firms/{2**31}", headers=manager),
        "id beyond 64 bits": client.get(f"/api/v1/users/{HUGE}", headers=admin),
        "control character in the path": client.get("/api/v1/track/XY%00", headers=manager),
        "tracking number out of scope": client.get("/api/v1/track/XY-2026-000001",
                                                   headers=manager),
        "tracking number and wrong code": client.post("/api/v1/track", json={
            "tracking_no": "XY-2026-000001", "check_code": "AAAAAA"}),
        "unknown category": client.patch("/api/v1/issue-categories/no-such-code",
                                         json={"name": "无"}, headers=admin),
    }
    types = {name: assert_problem(resp, 404)["type"] for name, resp in cases.items()}
    assert types == dict.fromkeys(cases, NOT_FOUND_TYPE)
    # The firm in county B is there for its own manager: the 404 above was the scope's.
    assert client.get(f"/api/v1/firms/{scene.b_firm.id}",
                      headers=as_("b_manager")).status_code == 200


def test_wrong_method_is_a_405_with_allow_header(client, admin):
    resp = client.delete(USERS, headers=admin)
    assert_problem(resp, 405)
    allowed = {m.strip() for m in resp.headers["Allow"].split(",")}
    assert {"GET", "POST"} <= allowed
    assert "DELETE" not in allowed
    resp = client.get(TOKEN)
    assert_problem(resp, 405)
    assert "POST" in resp.headers["Allow"]


def test_missing_token_is_a_401_problem(client, people):
    assert_problem(client.get(USERS), 401)


def test_role_without_the_right_is_a_403_problem_and_stores_nothing(client, login, people):
    people.user("clerk", ["commissioner"], people.county_a)
    headers = login("clerk")
    before = stored()
    assert_problem(client.post(USERS, json=new_user(people.county_a), headers=headers), 403)
    assert stored() == before


@pytest.fixture
def small_bodies(app_config):
    """Request bodies are limited to 1000 bytes."""
    app_config["MAX_BODY_BYTES"] = 1000
    return app_config


def test_body_over_the_limit_is_a_413_and_stores_nothing(small_bodies, request):
    people = request.getfixturevalue("people")
    client = request.getfixturevalue("client")
    headers = request.getfixturevalue("login")("admin")
    before = stored()
    big = new_user(people.city, display_name="x" * 1000)
    body = assert_problem(client.post(USERS, json=big, headers=headers), 413)
    assert "1000" in body["detail"]
    assert stored() == before
    # the same request under the limit goes through: the size was what was wrong
    assert client.post(USERS, json=new_user(people.city), headers=headers).status_code == 201


def test_login_body_over_the_limit_is_a_413_not_a_login(small_bodies, request):
    request.getfixturevalue("people")
    client = request.getfixturevalue("client")
    before = stored()
    resp = client.post(TOKEN, json={"username": "admin", "password": PASSWORD, "pad": "x" * 2000})
    assert_problem(resp, 413)
    assert stored() == before


# --- 422: every bad field named -----------------------------------------------------------------


def test_wrong_types_are_a_422_naming_each_field(client, admin, people):
    before = stored()
    resp = client.post(USERS, headers=admin, json={
        "username": 123, "display_name": ["x"], "password": True, "roles": "admin",
        "org_unit_id": "city", "is_active": "maybe"})
    body = assert_problem(resp, 422)
    assert set(body["errors"]) == {"username", "display_name", "password", "roles",
                                   "org_unit_id", "is_active"}
    assert all(isinstance(m, list) and m and all(isinstance(s, str) for s in m)
               for m in body["errors"].values())
    assert stored() == before


def test_missing_fields_are_a_422_naming_each_field(client, admin):
    before = stored()
    body = assert_problem(client.post(USERS, json={}, headers=admin), 422)
    assert set(body["errors"]) == {"username", "display_name", "password", "roles",
                                   "org_unit_id"}
    assert body["errors"]["username"] == ["Missing data for required field."]
    assert stored() == before


def test_missing_login_fields_are_a_422_not_a_401(client, people):
    before = stored()
    body = assert_problem(client.post(TOKEN, json={}), 422)
    assert set(body["errors"]) == {"username", "password"}
    assert stored() == before


def test_unknown_field_is_a_422_naming_it(client, admin, people):
    before = stored()
    body = assert_problem(client.post(USERS, json=new_user(people.city, is_admin=True),
                                      headers=admin), 422)
    assert set(body["errors"]) == {"is_admin"}
    assert stored() == before


def test_body_that_is_not_an_object_is_a_422(client, admin):
    body = assert_problem(post_raw(client, USERS, "[1, 2]", admin), 422)
    assert body["errors"]


def test_unknown_roles_are_a_422_naming_each_list_position(client, admin, people):
    before = stored()
    resp = client.post(USERS, headers=admin,
                       json=new_user(people.city, roles=["commissioner", "wizard", "root"]))
    body = assert_problem(resp, 422)
    assert set(body["errors"]) == {"roles.1", "roles.2"}
    assert stored() == before


def test_bad_query_parameters_are_a_422_naming_each(client, admin):
    body = assert_problem(client.get(f"{USERS}?page=abc&page_size=0&role=wizard",
                                     headers=admin), 422)
    assert set(body["errors"]) == {"page", "page_size", "role"}


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_a_422_naming_the_field(client, admin, people, number):
    before = stored()
    raw = json.dumps(new_user(people.city))[:-1] + f', "org_unit_id": {number}}}'
    raw = raw.replace(f'"org_unit_id": {people.city.id}, ', "")
    body = assert_problem(post_raw(client, USERS, raw, admin), 422)
    assert set(body["errors"]) == {"org_unit_id"}
    assert stored() == before


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_login_are_a_422_not_a_login_failure(client, people, number):
    before = stored()
    resp = post_raw(client, TOKEN, f'{{"username": {number}, "password": {number}}}')
    body = assert_problem(resp, 422)
    assert set(body["errors"]) == {"username", "password"}
    assert stored() == before


def test_refused_password_is_a_422_and_stores_nothing(client, admin, people):
    before = stored()
    body = assert_problem(client.post(USERS, json=new_user(people.city, password="short"),
                                      headers=admin), 422)
    assert set(body["errors"]) == {"password"}
    assert stored() == before


# --- 409 and the database -----------------------------------------------------------------------


def test_duplicate_username_is_a_409_and_stores_nothing(client, admin, people):
    assert client.post(USERS, json=new_user(people.city), headers=admin).status_code == 201
    before = stored()
    body = assert_problem(client.post(USERS, json=new_user(people.county_a,
                                                           username="WANG.fang"),
                                      headers=admin), 409)
    assert "username" in body["errors"]
    assert stored() == before


@pytest.mark.own_app  # adds a route
def test_a_unique_violation_the_service_did_not_foresee_is_a_409_without_sql(app, client,
                                                                           people):
    def duplicate():
        db.session.add(User(username="admin", display_name="again", roles_csv="admin",
                            org_unit_id=people.city.id, password_hash="x"))
        db.session.commit()

    app.add_url_rule("/test/duplicate", view_func=duplicate, methods=["POST"])
    before = stored()
    assert_problem(client.post("/test/duplicate"), 409)
    assert stored() == before
    # the session was rolled back: the next request works normally
    assert client.post(TOKEN, json={"username": "admin", "password": PASSWORD}).status_code == 200


@pytest.mark.own_app  # adds a route
def test_a_database_error_is_a_5xx_problem_without_sql(app, client, people):
    def broken_query():
        db.session.execute(text("SELECT no_such_column FROM users"))

    app.add_url_rule("/test/broken-query", view_func=broken_query)
    body = assert_problem(client.get("/test/broken-query"), 503)
    assert "no_such_column" not in json.dumps(body)
    assert client.post(TOKEN, json={"username": "admin", "password": PASSWORD}).status_code == 200


HUGE = 2**70  # beyond every 64-bit integer column


@pytest.mark.parametrize("url", [f"{USERS}/{HUGE}", f"{USERS}?org_unit_id={HUGE}",
                                 f"/api/v1/org-units/{HUGE}"])
def test_an_id_beyond_64_bits_is_a_client_error_on_every_database(client, admin, url):
    resp = client.get(url, headers=admin)
    assert resp.status_code in {400, 404, 422}
    assert_problem(resp, resp.status_code)


def test_a_body_id_beyond_64_bits_is_a_client_error_and_stores_nothing(client, admin, people):
    before = stored()
    resp = client.post(USERS, json=new_user(people.city, org_unit_id=HUGE), headers=admin)
    assert resp.status_code in {400, 422}
    assert_problem(resp, resp.status_code)
    assert stored() == before


def test_an_id_beyond_64_bits_reads_as_not_found_and_a_field_beyond_it_is_named(client, admin,
                                                                               people):
    assert_problem(client.get(f"{USERS}/{HUGE}", headers=admin), 404)
    body = assert_problem(client.post(USERS, json=new_user(people.city, org_unit_id=HUGE),
                                      headers=admin), 422)
    assert set(body["errors"]) == {"org_unit_id"}


# --- 500 ----------------------------------------------------------------------------------------


@pytest.mark.own_app  # adds a route
def test_an_unexpected_exception_is_a_bare_500_and_its_writes_are_rolled_back(app, client,
                                                                            people):
    def failing():
        db.session.add(User(username="half.done", display_name="half", roles_csv="admin",
                            org_unit_id=people.city.id, password_hash="x"))
        db.session.flush()
        raise RuntimeError("secret internals: password=hunter2")

    app.add_url_rule("/test/boom", view_func=failing, methods=["POST"])
    before = stored()
    resp = client.post("/test/boom")
    body = assert_problem(resp, 500)
    assert set(body) <= {"type", "title", "status", "detail", "request_id"}
    assert resp.headers["X-Request-ID"]
    assert stored() == before
    assert db.session.scalar(db.select(User).filter_by(username="half.done")) is None


# --- X-Request-ID -------------------------------------------------------------------------------


@pytest.mark.own_app  # adds a route
def test_every_response_errors_included_carries_a_request_id(app, client, people):
    app.add_url_rule("/test/boom-2", view_func=lambda: 1 / 0)
    admin = {"Authorization": "Bearer " + client.post(TOKEN, json={
        "username": "admin", "password": PASSWORD}).get_json()["access_token"]}
    responses = {
        200: client.get("/api/v1/me", headers=admin),
        201: client.post(USERS, json=new_user(people.city), headers=admin),
        400: post_raw(client, USERS, "{", admin),
        401: client.get("/api/v1/me"),
        404: client.get("/nowhere"),
        405: client.put(TOKEN),
        409: client.post(USERS, json=new_user(people.city), headers=admin),
        422: client.post(USERS, json={}, headers=admin),
        500: client.get("/test/boom-2"),
        # /healthz lives outside the API blueprints
        1200: client.get("/healthz"),
    }
    ids = set()
    for status, resp in responses.items():
        assert resp.status_code == status % 1000, (status, resp.get_data(as_text=True))
        request_id = resp.headers.get("X-Request-ID")
        assert request_id, status
        ids.add(request_id)
        if resp.mimetype == "application/problem+json":
            assert resp.get_json()["request_id"] == request_id
    assert len(ids) == len(responses)  # a new id per request


def test_rate_limited_response_carries_a_request_id(app_config, request):
    app_config["LOGIN_FAILURES_PER_ACCOUNT"] = "1 per 15 minutes"
    request.getfixturevalue("people")
    client = request.getfixturevalue("client")
    client.post(TOKEN, json={"username": "admin", "password": "wrong-password"})
    resp = client.post(TOKEN, json={"username": "admin", "password": PASSWORD},
                       headers={"X-Request-ID": "retry-42"})
    assert_problem(resp, 429)
    assert resp.headers["X-Request-ID"] == "retry-42"
    assert int(resp.headers["Retry-After"]) > 0


@pytest.mark.parametrize("request_id", ["abc", "0f8e7d6c-5b4a-4321-9876-abcdef012345",
                                        "phone-7:visit.42_retry-1", "x" * 64])
def test_a_sane_client_request_id_is_echoed(client, people, request_id):
    for resp in (client.get("/api/v1/me", headers={"X-Request-ID": request_id}),
                 client.get("/healthz", headers={"X-Request-ID": request_id})):
        assert resp.headers["X-Request-ID"] == request_id
    assert client.get("/api/v1/me", headers={"X-Request-ID": request_id}).get_json()[
        "request_id"] == request_id


@pytest.mark.parametrize("request_id", [
    "",
    "x" * 65,
    "has space",
    "<script>alert(1)</script>",
    "请求-1",
    "id;rm -rf",
    "abc\n",
    "abc\r\nSet-Cookie: session=stolen",
    "abc\r\n\r\n<html>",
])
def test_an_insane_client_request_id_is_replaced(client, people, request_id):
    # through the WSGI environ: the test client itself refuses newlines in headers
    resp = client.get("/api/v1/me", environ_base={"HTTP_X_REQUEST_ID": request_id})
    assert_problem(resp, 401)
    replaced = resp.headers["X-Request-ID"]
    assert replaced and replaced != request_id
    assert replaced.isalnum() and len(replaced) <= 64
    assert resp.get_json()["request_id"] == replaced
    assert "Set-Cookie" not in resp.headers


@pytest.mark.own_app  # adds a route
def test_a_cut_database_connection_is_a_503_saying_when_to_retry_and_the_next_request_works(
        app, client, people):
    def cut_connection():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        else:
            db.session.connection().connection.dbapi_connection.close()
            db.session.execute(text("SELECT 1"))

    app.add_url_rule("/test/cut-connection", view_func=cut_connection)
    resp = client.get("/test/cut-connection")
    body = assert_problem(resp, 503)
    assert int(resp.headers["Retry-After"]) > 0
    assert "pg_terminate_backend" not in json.dumps(body)
    assert client.post(TOKEN, json={"username": "admin", "password": PASSWORD}).status_code == 200


@pytest.mark.own_app  # adds a route
def test_a_pooled_connection_the_server_dropped_costs_one_503_and_the_next_request_works(
        app, client, people, backend):
    # No pre-ping (models.database.engine_options): a connection the server dropped while it
    # sat in the pool is found out by the request that takes it, which answers 503 with
    # Retry-After; the disconnect retires the pool's older connections, so the next works.
    if backend != "postgresql":
        pytest.skip("SQLite has no server to drop a connection")
    app.add_url_rule("/test/backend-pid", view_func=lambda: {
        "pid": db.session.scalar(text("SELECT pg_backend_pid()"))})

    def get():
        with app.app_context():  # its own session: the connection goes back to the pool after
            return client.get("/test/backend-pid")

    pid = get().get_json()["pid"]
    assert get().get_json()["pid"] == pid  # the pooled connection
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool)
    with other.connect() as conn:  # not the app's pool, which would hand out that very one
        # Waits for the backend to be gone (the terminate only signals it).
        assert conn.scalar(text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": pid})
    other.dispose()
    resp = get()
    assert_problem(resp, 503)
    assert int(resp.headers["Retry-After"]) > 0
    assert get().status_code == 200


@pytest.mark.own_app  # adds a route
def test_a_value_a_column_cannot_convert_is_a_400_not_a_retry_me_503(app, client, people):
    # The net under the input fields: a bound value the column type fails to convert (a time
    # before year 1 once in UTC) comes wrapped in a StatementError, a SQLAlchemyError like a
    # lost connection, but it is the request's value and sending it again will not help.
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import func, select

    from models import Visit

    early = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))
    app.add_url_rule("/test/early", view_func=lambda: {"n": db.session.scalar(
        select(func.count()).select_from(Visit).where(Visit.captured_at >= early))})
    resp = client.get("/test/early")
    assert_problem(resp, 400)
    assert "Retry-After" not in resp.headers


@pytest.mark.parametrize("path", ["/api/v1/firms", "/api/v1/visits/1", "/healthz"])
def test_options_is_a_204_with_allow_and_no_html(client, path):
    resp = client.options(path)
    assert resp.status_code == 204
    assert "GET" in resp.headers["Allow"]
    assert "Content-Type" not in resp.headers and resp.data == b""
