"""What every operation promises at the boundary, identically on both databases: bounded
integers, no control characters, a required body of the right type, the calendar's range."""

import random

import pytest
from sqlalchemy import func, select

from fieldapp import create_app
from fieldapp.demo_registry import make_uscc
from fieldapp.extensions import db
from models import OrgUnit

FIRMS = "/api/v1/firms"
JSON_TYPES = {"application/json"}


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
