"""What every operation promises at the boundary, identically on both databases: bounded
integers, no control characters, a required body of the right type, the calendar's range."""

import random
import re

import pytest
from sqlalchemy import func, select

from fieldapp import create_app
from fieldapp.demo.registry import make_uscc
from fieldapp.extensions import db
from models import Firm, Issue, OrgUnit
from tests.conftest import PASSWORD

FIRMS = "/api/v1/firms"


@pytest.fixture
def admin(world, login):
    world.user("admin", ["admin"], world.city)
    return login("admin")


def firm_body(unit, name="秦川机械有限公司", seed=1):
    return {"uscc": make_uscc(random.Random(seed), "610402"), "name": name,
            "org_unit_id": unit.id,
            "sites": [{"name": "厂区", "point": {"lat": 34.329, "lon": 108.7148}}]}


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def problem(resp, status):
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True))
    assert resp.mimetype == "application/problem+json"
    return resp.get_json()


# --- 2: errors as the OpenAPI document describes them ----------------------------------------

@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    path = tmp_path_factory.mktemp("spec") / "spec.db"
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "s" * 40,
                      "TESTING": True})
    return app.test_client().get("/api/openapi.json").get_json()


def _operations(spec):
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            if method != "parameters":
                yield path, method, op


def test_every_error_response_in_the_document_is_the_problem_document(spec):
    responses = spec["components"]["responses"]
    for path, method, op in _operations(spec):
        errors = {s: r for s, r in op["responses"].items() if s == "default" or s >= "400"}
        assert {"default", "503"} <= set(errors), (method, path)
        for status, ref in errors.items():
            content = responses[ref["$ref"].rsplit("/", 1)[-1]]["content"]
            assert content == {"application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"}}}, (method, path, status)
    problem_schema = spec["components"]["schemas"]["Problem"]
    assert problem_schema["properties"]["status"]["type"] == "integer"
    assert set(problem_schema["required"]) == {"type", "title", "status", "detail"}
    assert "Error" not in spec["components"]["schemas"]


def test_each_operation_lists_the_statuses_it_really_answers(spec):
    ops = {(method, path): op for path, method, op in _operations(spec)}
    visits = ops[("post", "/api/v1/visits")]
    assert {"400", "401", "403", "409", "413", "415", "422"} <= set(visits["responses"])
    assert visits["security"] == [{"bearerAuth": []}]
    login = ops[("post", "/api/v1/auth/token")]
    assert {"401", "429"} <= set(login["responses"]) and "security" not in login
    assert "404" in ops[("get", "/api/v1/firms/{firm_id}")]["responses"]
    # Found by hand: the operations without log-in that still refuse, or limit failures.
    for method, path, statuses in [
            ("post", "/api/v1/auth/session", {"401", "403", "429"}),
            ("delete", "/api/v1/auth/session", {"403"}),
            ("post", "/api/v1/auth/session/refresh", {"401", "403"}),
            ("post", "/api/v1/track", {"404", "429"}),
            ("post", "/api/v1/credentials/verify", {"429"})]:
        assert statuses <= set(ops[(method, path)]["responses"]), (method, path)


@pytest.mark.parametrize("method, path, kwargs, status", [
    ("get", "/api/v1/me", {}, 401),
    ("get", "/api/v1/firms/999", {"auth": True}, 404),
    ("patch", "/api/v1/firms/1", {"auth": True, "data": "x", "content_type": "text/plain"}, 415),
    ("get", "/api/v1/org-units?within=0", {"auth": True}, 422),
    ("post", "/api/v1/visits", {"auth": True, "data": "{", "content_type": "application/json"},
     400),
    ("post", "/api/v1/auth/session", {"json": {"username": "admin", "password": "wrong"},
                                      "headers": {"X-Fieldapp-CSRF": "1"}}, 401),
    ("post", "/api/v1/auth/session/refresh", {}, 403),
    ("post", "/api/v1/track", {"json": {"tracking_no": "XY-2026-000001",
                                        "check_code": "AAAAAA"}}, 404),
])
def test_real_errors_match_the_documented_problem_schema(client, admin, spec, method, path,
                                                         kwargs, status):
    import jsonschema_rs

    kwargs = dict(kwargs)  # the parameters are shared by both backends
    headers = {**(admin if kwargs.pop("auth", False) else {}), **kwargs.pop("headers", {})}
    resp = getattr(client, method)(path, headers=headers, **kwargs)
    assert resp.status_code == status and resp.mimetype == "application/problem+json"
    jsonschema_rs.validate(spec["components"]["schemas"]["Problem"], resp.get_json())
    template = re.sub(r"/\d+", lambda m: "/{firm_id}", path.split("?")[0])
    assert str(status) in spec["paths"][template][method]["responses"]


@pytest.mark.parametrize("method, path, schema_path", [
    ("post", "/api/v1/visits", "fieldapp.visits.schemas:VisitCreate"),
    ("post", "/api/v1/firms", "fieldapp.firms.schemas:FirmCreate"),
    ("post", "/api/v1/issues", "fieldapp.issues.schemas:IssueCreate"),
])
def test_the_main_request_bodies_have_an_example_their_schema_takes(app, spec, method, path,
                                                                    schema_path):
    import importlib

    module, name = schema_path.split(":")
    example = spec["paths"][path][method]["requestBody"]["content"]["application/json"][
        "example"]
    assert getattr(importlib.import_module(module), name)().validate(example) == {}


def _no_content_calls(client, login):
    """One real call of each operation that answers 204, keyed as the document names it."""
    csrf = {"X-Fieldapp-CSRF": "1"}

    def refresh_token():
        resp = client.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD})
        return resp.get_json()["refresh_token"]

    def web_session():
        client.post("/api/v1/auth/session", json={"username": "admin", "password": PASSWORD},
                    headers=csrf)
        return client.delete("/api/v1/auth/session", headers=csrf)

    return {
        ("post", "/api/v1/auth/revoke"): lambda: client.post(
            "/api/v1/auth/revoke", json={"refresh_token": refresh_token()}),
        ("post", "/api/v1/auth/logout"): lambda: client.post(
            "/api/v1/auth/logout", headers=login("admin")),
        ("delete", "/api/v1/auth/session"): web_session,
        ("post", "/api/v1/me/password"): lambda: client.post(
            "/api/v1/me/password", headers=login("admin"),
            json={"current_password": PASSWORD, "new_password": "a-new-long-passphrase-9"}),
    }


def test_every_204_has_no_body_and_no_content_type(client, admin, spec, login):
    """RFC 9110: a 204 has no content, so nothing to name a type for — every operation the
    document says answers 204, and OPTIONS, which Flask answers itself."""
    calls = _no_content_calls(client, login)
    documented = {(method, path) for path, method, op in _operations(spec)
                  if "204" in op["responses"]}
    assert documented == set(calls), "a 204 operation without a case here"
    responses = {key: call() for key, call in calls.items()}
    responses["options"] = client.options("/api/v1/firms")
    for key, resp in responses.items():
        assert resp.status_code == 204, (key, resp.get_data(as_text=True))
        assert resp.get_data() == b"", key
        assert "Content-Type" not in resp.headers, (key, resp.headers["Content-Type"])
        assert "Content-Length" not in resp.headers or resp.headers["Content-Length"] == "0"
    # The calls did their work (each one's effect has its own tests): e.g. the new password.
    assert client.post("/api/v1/auth/token", json={
        "username": "admin", "password": "a-new-long-passphrase-9"}).status_code == 200


# --- 3: integers are bounded in the schema ----------------------------------------------------

def _request_integers(spec):
    """(where, schema) of every integer a client sends in a body or a query string."""
    components = spec["components"]["schemas"]

    def walk(schema, where, seen):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                yield from walk(components[name], where, seen | {name})
            return
        if schema.get("readOnly"):
            return
        if schema.get("type") == "integer":
            yield where, schema
        for name, sub in schema.get("properties", {}).items():
            yield from walk(sub, f"{where}.{name}", seen)
        if "items" in schema:
            yield from walk(schema["items"], f"{where}[]", seen)

    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            if method == "parameters":
                continue
            for param in op.get("parameters", []):
                if param["in"] == "query":
                    yield from walk(param["schema"], f"{method} {path} ?{param['name']}", set())
            for media in op.get("requestBody", {}).get("content", {}).values():
                yield from walk(media["schema"], f"{method} {path} body", set())


def test_every_integer_a_client_sends_has_a_documented_range(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/spec.db",
                      "SECRET_KEY": "s" * 40, "TESTING": True})
    spec = app.test_client().get("/api/openapi.json").get_json()
    found = list(_request_integers(spec))
    assert len(found) > 30   # the walk sees the documents' integers
    unbounded = [where for where, schema in found
                 if "minimum" not in schema or "maximum" not in schema]
    assert unbounded == []


@pytest.mark.parametrize("method, path, body, field", [
    ("get", "/api/v1/org-units?within=1895763028770", None, "within"),
    ("get", "/api/v1/org-units?parent_id=-1", None, "parent_id"),
    ("post", "/api/v1/org-units", {"parent_id": 21405557731, "name": "x", "code": "X",
                                   "kind": "street"}, "parent_id"),
    ("get", "/api/v1/audit-events?actor_id=-274877906944", None, "actor_id"),
    ("get", "/api/v1/audit-events?actor_id=2147483648", None, "actor_id"),
])
def test_an_integer_out_of_range_is_a_422_naming_it_on_both_databases(client, admin, method,
                                                                       path, body, field):
    before = count(OrgUnit)
    resp = getattr(client, method)(path, json=body, headers=admin)
    assert field in problem(resp, 422)["errors"]
    assert count(OrgUnit) == before


@pytest.mark.parametrize("method, path, body, field", [
    ("get", "/api/v1/visits?since=0001-01-01T00:00:00%2B14:00", None, "since"),
    ("get", "/api/v1/visits?until=9999-12-31T23:59:59-14:00", None, "until"),
    ("get", "/api/v1/audit-events?since=0001-01-01T00:00:00%2B01:00", None, "since"),
    ("post", "/api/v1/visits", {
        "client_id": "3f0c2a8e-6b1d-4c7a", "firm_id": 1, "purpose": "routine",
        "captured_at": "2026-12-01T10:00:00+08:00",
        "position": {"lat": 34.3, "lon": 108.7, "fix_time": "0001-01-01T00:00:00+14:00"}},
     "position.fix_time"),
])
def test_a_time_that_does_not_exist_in_utc_is_a_422_naming_it_not_a_503(client, admin, method,
                                                                        path, body, field):
    # Found by hand: times are stored and compared in UTC, and converting these ran past
    # year 1 or 9999 inside the database layer, answered as "database unavailable, retry".
    resp = getattr(client, method)(path, json=body, headers=admin)
    assert field in problem(resp, 422)["errors"]


# --- 4: control characters --------------------------------------------------------------------

def test_a_nul_in_a_firm_name_is_refused_alike_on_both_databases(client, world, admin):
    resp = client.post(FIRMS, json=firm_body(world.city, "秦川\u0000机械"), headers=admin)
    assert problem(resp, 422)["errors"] == {"name": [
        "Control characters (such as NUL) are not allowed."]}
    site = firm_body(world.city, seed=2)
    site["sites"][0]["name"] = "厂\x1b区"
    assert "sites.0.name" in problem(client.post(FIRMS, json=site, headers=admin),
                                     422)["errors"]
    assert count(Firm) == 0


def test_emoji_cjk_and_line_breaks_are_kept(client, world, admin):
    name = "秦川机械 🏭 有限公司\t(二期)"
    resp = client.post(FIRMS, json=firm_body(world.city, name), headers=admin)
    assert resp.status_code == 201, resp.get_json()
    firm = resp.get_json()
    assert firm["name"] == name
    issue = client.post("/api/v1/issues", json={
        "firm_id": firm["id"], "category": "power", "title": "用电 ⚡",
        "description": "第一行\n第二行\r\n"}, headers=admin)
    assert issue.status_code == 201, issue.get_json()
    assert issue.get_json()["description"] == "第一行\n第二行\r\n"


def test_a_nul_in_an_issue_title_or_a_query_is_refused(client, world, admin):
    firm = client.post(FIRMS, json=firm_body(world.city), headers=admin).get_json()
    resp = client.post("/api/v1/issues", json={"firm_id": firm["id"], "category": "power",
                                               "title": "a\u0000b"}, headers=admin)
    assert "title" in problem(resp, 422)["errors"]
    assert count(Issue) == 0
    assert "q" in problem(client.get(f"{FIRMS}?q=a%00b", headers=admin), 422)["errors"]
    assert "q" in problem(client.get("/api/v1/users?q=%00", headers=admin), 422)["errors"]


def test_a_lone_surrogate_is_refused_not_a_database_error(client, world, admin):
    body = '{"firm_id": 1, "category": "power", "title": "a\\ud800b"}'
    resp = client.post("/api/v1/issues", data=body, content_type="application/json",
                       headers=admin)
    assert "title" in problem(resp, 422)["errors"]


# --- 5: required bodies, of the right type ----------------------------------------------------

@pytest.fixture
def targets(client, world, admin):
    firm = client.post(FIRMS, json=firm_body(world.city), headers=admin).get_json()
    project = client.post("/api/v1/projects", json={"name": "二期", "org_unit_id": world.city.id},
                          headers=admin).get_json()
    user = world.user("clerk", ["commissioner"], world.city)
    return {"firm": f"{FIRMS}/{firm['id']}", "project": f"/api/v1/projects/{project['id']}",
            "user": f"/api/v1/users/{user.id}", "year": "/api/v1/calendar/years/2030"}


@pytest.mark.parametrize("target", ["firm", "project", "user", "year"])
def test_no_body_where_one_is_needed_is_a_422(client, admin, targets, target):
    method = client.put if target == "year" else client.patch
    resp = method(targets[target], headers=admin)
    assert problem(resp, 422)["errors"] == {"_body": ["A JSON body is required."]}
    resp = method(targets[target], data=b"", content_type="application/json", headers=admin)
    assert problem(resp, 422)["errors"] == {"_body": ["A JSON body is required."]}


@pytest.mark.parametrize("content_type, data", [
    ("text/plain", '{"name": "x"}'),
    ("application/x-www-form-urlencoded", "name=x"),
    ("application/xml", "<firm><name>x</name></firm>"),
])
def test_a_body_of_another_type_is_a_415_naming_json(client, admin, targets, content_type,
                                                     data):
    resp = client.patch(targets["firm"], data=data, content_type=content_type, headers=admin)
    body = problem(resp, 415)
    assert "application/json" in body["detail"]
    assert client.get(targets["firm"], headers=admin).get_json()["name"] == "秦川机械有限公司"


# --- 6: the calendar's range ------------------------------------------------------------------

@pytest.mark.parametrize("path, field", [
    ("/api/v1/calendar/years/0", "year"),
    ("/api/v1/calendar/years/1999", "year"),
    ("/api/v1/calendar/years/99999", "year"),
    ("/api/v1/calendar/days/0001-01-01", "day"),
    ("/api/v1/calendar/days/2101-01-01", "day"),
])
def test_calendar_entries_outside_the_served_years_are_refused(client, admin, path, field):
    body = {"workday": True} if "/days/" in path else {"note": "x"}
    assert field in problem(client.put(path, json=body, headers=admin), 422)["errors"]
    assert client.put("/api/v1/calendar/years/2100", json={}, headers=admin).status_code == 200
    assert client.put("/api/v1/calendar/days/2000-01-01", json={"workday": True},
                      headers=admin).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/track/XY-2026%00", "/api/v1/issue-categories/po%00wer",
                                  "/api/v1/firms%00"])
def test_a_control_character_in_the_path_names_nothing_on_both_databases(client, admin, path):
    problem(client.get(path, headers=admin), 404)
    problem(client.patch(path, json={"name": "x"}, headers=admin), 404)
