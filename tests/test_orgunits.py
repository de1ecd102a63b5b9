"""``/api/v1/org-units``: the tree, its paths, who may grow it, and how to search it."""


import pytest
from sqlalchemy import select, text

from fieldapp.extensions import db
from models import OrgUnit


@pytest.fixture
def people(world):
    """An admin at the city, a county-A manager, and a commissioner in county A."""
    world.user("admin", ["admin"], world.city)
    world.user("boss_a", ["manager"], world.county_a)
    world.user("clerk", ["commissioner"], world.county_a)
    return world


def unit_count():
    """Org units committed, read on a connection of its own."""
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM org_units")).scalar()


def new_unit(parent, **fields):
    """A valid POST /org-units body under ``parent``."""
    body = {"parent_id": parent.id if parent else None, "name": "泾干街道", "code": "JG-01",
            "kind": "street"}
    body.update(fields)
    return body


def assert_problem(resp, status, field=None):
    """``resp`` is a problem document of ``status``; for 422, ``field`` is named in errors."""
    assert resp.status_code == status, resp.get_json()
    assert resp.mimetype == "application/problem+json"
    if field is not None:
        assert field in resp.get_json()["errors"], resp.get_json()


def test_a_new_unit_s_path_is_its_parent_s_path_plus_its_own_id(client, as_, people):
    resp = client.post("/api/v1/org-units", json=new_unit(people.park_a), headers=as_("admin"))
    assert resp.status_code == 201
    body = resp.get_json()
    assert (body["parent_id"], body["name"], body["code"], body["kind"]) == (
        people.park_a.id, "泾干街道", "JG-01", "street")
    assert body["depth"] == 3
    path = db.session.scalar(select(OrgUnit.path).where(OrgUnit.id == body["id"]))
    assert path == f"{people.park_a.path}{body['id']}/"
    assert path == f"/{people.city.id}/{people.county_a.id}/{people.park_a.id}/{body['id']}/"


def test_a_new_unit_is_found_in_its_ancestors_subtrees(client, as_, people):
    created = client.post("/api/v1/org-units", json=new_unit(people.park_a),
                          headers=as_("admin")).get_json()
    for ancestor in (people.city, people.county_a, people.park_a):
        body = client.get(f"/api/v1/org-units?within={ancestor.id}",
                          headers=as_("admin")).get_json()
        assert created["id"] in {u["id"] for u in body["items"]}
    body = client.get(f"/api/v1/org-units?within={people.county_b.id}",
                      headers=as_("admin")).get_json()
    assert created["id"] not in {u["id"] for u in body["items"]}


def test_a_second_root_is_refused_naming_parent_id(client, as_, people):
    before = unit_count()
    resp = client.post("/api/v1/org-units", json=new_unit(None, kind="city"),
                       headers=as_("admin"))
    assert_problem(resp, 422, "parent_id")
    assert unit_count() == before


def test_manager_creates_units_below_their_own_unit(client, as_, people):
    headers = as_("boss_a")
    first = client.post("/api/v1/org-units", json=new_unit(people.county_a), headers=headers)
    assert first.status_code == 201
    deeper = client.post("/api/v1/org-units",
                         json=new_unit(people.park_a, code="JG-02", name="another street"),
                         headers=headers)
    assert deeper.status_code == 201


@pytest.mark.parametrize("parent", ["city", "county_b"])
def test_manager_gets_404_for_a_parent_outside_their_scope(client, as_, people, parent):
    before = unit_count()
    resp = client.post("/api/v1/org-units", json=new_unit(getattr(people, parent)),
                       headers=as_("boss_a"))
    assert_problem(resp, 404)
    assert unit_count() == before


def test_roles_other_than_admin_and_manager_may_not_create_units(client, as_, people):
    headers = as_("clerk")
    before = unit_count()
    assert_problem(client.post("/api/v1/org-units", json=new_unit(people.county_a),
                               headers=headers), 403)
    assert_problem(client.post("/api/v1/org-units", json=new_unit(people.county_b),
                               headers=headers), 404)
    assert unit_count() == before


@pytest.mark.parametrize("body, field", [
    ({"kind": "village"}, "kind"),
    ({"code": "has space"}, "code"),
    ({"code": "x" * 33}, "code"),
    ({"code": ""}, "code"),
    ({"name": ""}, "name"),
    ({"parent_id": "top"}, "parent_id"),
])
def test_invalid_fields_are_422_naming_the_field(client, as_, people, body, field):
    before = unit_count()
    resp = client.post("/api/v1/org-units", json=new_unit(people.city, **body),
                       headers=as_("admin"))
    assert_problem(resp, 422, field)
    assert unit_count() == before


def test_a_taken_code_is_a_409_and_stores_nothing(client, as_, people):
    before = unit_count()
    resp = client.post("/api/v1/org-units", json=new_unit(people.city, code="CA"),
                       headers=as_("admin"))
    assert_problem(resp, 409)
    assert unit_count() == before


def test_unit_by_id_shows_its_fields(client, as_, people):
    body = client.get(f"/api/v1/org-units/{people.park_a.id}", headers=as_("admin")).get_json()
    assert {k: body[k] for k in ("id", "parent_id", "name", "code", "kind", "depth")} == {
        "id": people.park_a.id, "parent_id": people.county_a.id, "name": "park A",
        "code": "PA", "kind": "park", "depth": 2}


def names(client, headers, query):
    """Unit names GET /org-units?query answers, and its total."""
    resp = client.get(f"/api/v1/org-units?{query}", headers=headers)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    return sorted(u["name"] for u in body["items"]), body["total"]


def test_filter_by_parent_lists_direct_children_only(client, as_, people):
    assert names(client, as_("admin"), f"parent_id={people.city.id}") == (
        ["county A", "county B"], 2)


def test_filter_by_kind(client, as_, people):
    assert names(client, as_("admin"), "kind=county") == (["county A", "county B"], 2)
    assert names(client, as_("admin"), "kind=park") == (["park A"], 1)


def test_filter_within_is_the_unit_and_its_subtree(client, as_, people):
    assert names(client, as_("admin"), f"within={people.county_a.id}") == (
        ["county A", "park A"], 2)


def test_filters_stay_inside_scope(client, as_, people):
    headers = as_("boss_a")
    assert names(client, headers, "kind=county") == (["county A"], 1)
    assert names(client, headers, f"parent_id={people.city.id}") == (["county A"], 1)
    assert_problem(client.get(f"/api/v1/org-units?within={people.county_b.id}",
                              headers=headers), 404)


@pytest.mark.parametrize("query, field", [("kind=village", "kind"), ("within=x", "within"),
                                          ("parent_id=x", "parent_id")])
def test_bad_filters_are_422_naming_them(client, as_, people, query, field):
    assert_problem(client.get(f"/api/v1/org-units?{query}", headers=as_("admin")), 422, field)
