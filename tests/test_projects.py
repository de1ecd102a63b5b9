"""Key projects over HTTP: create, change, filter, stage moves and their history, audit.

The scene (also used by the assignment specs): ``city ─┬─ county_a ── park_a`` / ``└─ county_b``
with departments, firms and projects in county A and county B, and a butler assigned to the
county-A project from yesterday.
"""

import random
from datetime import timedelta

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import select

from fieldapp import clock
from fieldapp.demo.registry import make_uscc
from fieldapp.extensions import db
from models import Assignment, AuditEvent, Department, Firm, Project, Site


class Registry:
    """People, departments, firms and projects in the test tree."""

    def __init__(self, world):
        self.world = world
        rng = random.Random(7)
        w = world
        self.dept_a = Department(name="county A power bureau", org_unit_id=w.county_a.id)
        self.dept_a2 = Department(name="county A water bureau", org_unit_id=w.county_a.id)
        self.dept_b = Department(name="county B power bureau", org_unit_id=w.county_b.id)
        db.session.add_all([self.dept_a, self.dept_a2, self.dept_b])
        self.firm_a = Firm(uscc=make_uscc(rng, "610422"), name="秦川机械有限公司",
                           org_unit_id=w.county_a.id)
        self.firm_park = Firm(uscc=make_uscc(rng, "610422"), name="园区电子有限公司",
                              org_unit_id=w.park_a.id)
        self.firm_b = Firm(uscc=make_uscc(rng, "610423"), name="泾阳食品有限公司",
                           org_unit_id=w.county_b.id)
        self.firm_closed = Firm(uscc=make_uscc(rng, "610422"), name="关停纺织有限公司",
                                org_unit_id=w.county_a.id, status="closed")
        db.session.add_all([self.firm_a, self.firm_park, self.firm_b, self.firm_closed])
        db.session.flush()
        self.project_a = Project(name="智能装备产业园", org_unit_id=w.county_a.id,
                                 owner_firm_id=self.firm_a.id, departments=[self.dept_a])
        self.project_park = Project(name="园区数据中心", org_unit_id=w.park_a.id)
        self.project_b = Project(name="冷链物流中心", org_unit_id=w.county_b.id,
                                 owner_firm_id=self.firm_b.id, stage="construction")
        db.session.add_all([self.project_a, self.project_park, self.project_b])
        db.session.flush()
        for owner, lat, lon in ((dict(project_id=self.project_a.id), 34.61, 108.94),
                                (dict(firm_id=self.firm_a.id), 34.60, 108.93),
                                (dict(firm_id=self.firm_park.id), 34.62, 108.95),
                                (dict(firm_id=self.firm_b.id), 34.52, 108.84)):
            db.session.add(Site(name="gate", point=from_shape(Point(lon, lat), srid=4326),
                                radius_m=200.0, version=1, **owner))
        db.session.commit()
        self.users = {
            "admin": w.user("admin", ["admin"], w.city),
            "city_manager": w.user("city_manager", ["manager"], w.city),
            "a_manager": w.user("a_manager", ["manager"], w.county_a),
            "b_manager": w.user("b_manager", ["manager"], w.county_b),
            "park_manager": w.user("park_manager", ["manager"], w.park_a),
            "commissioner": w.user("commissioner", ["commissioner"], w.county_a),
            "commissioner_b": w.user("commissioner_b", ["commissioner"], w.county_b),
            "butler": w.user("butler", ["butler"], w.county_a),
            "butler2": w.user("butler2", ["butler"], w.county_a),
            "handler": w.user("handler", ["handler"], w.county_a,
                              department_id=self.dept_a.id),
            "firm": w.user("firm", ["firm"], w.county_a, firm_id=self.firm_a.id),
        }
        self.butler_assignment = self.assign("butler", project=self.project_a,
                                             cadence="per_stage")

    def assign(self, username, *, firm=None, project=None, cadence="monthly", starts_on=None,
               ends_on=None):
        """Add an assignment directly (the HTTP rules are specified in test_assignments)."""
        target = firm or project
        row = Assignment(user_id=self.users[username].id,
                         firm_id=firm.id if firm else None,
                         project_id=project.id if project else None,
                         org_unit_id=target.org_unit_id, cadence=cadence,
                         starts_on=starts_on or clock.today() - timedelta(days=1),
                         ends_on=ends_on)
        db.session.add(row)
        db.session.commit()
        return row


@pytest.fixture
def reg(world):
    """The registry scene."""
    return Registry(world)


# --- create -------------------------------------------------------------------------------

def test_manager_registers_a_project_with_owner_and_departments(client, reg, as_):
    body = {"name": "新能源电池材料项目", "org_unit_id": reg.world.county_a.id,
            "owner_firm_id": reg.firm_a.id, "description": "二期",
            "department_ids": [reg.dept_a2.id, reg.dept_a.id, reg.dept_a.id]}
    resp = client.post("/api/v1/projects", json=body, headers=as_("a_manager"))
    assert resp.status_code == 201, resp.get_json()
    got = resp.get_json()
    assert got["name"] == "新能源电池材料项目"
    assert got["stage"] == "signed"
    assert got["department_ids"] == sorted([reg.dept_a.id, reg.dept_a2.id])
    assert got["sites"] == []
    [entry] = got["stage_history"]
    assert entry["from_stage"] is None and entry["to_stage"] == "signed"
    assert entry["moved_by_id"] == reg.users["a_manager"].id
    assert got["stage_entered_at"].endswith("+00:00")


def test_a_project_may_be_registered_at_a_later_stage(client, reg, as_):
    resp = client.post("/api/v1/projects", json={
        "name": "x", "org_unit_id": reg.world.park_a.id, "stage": "construction"},
        headers=as_("admin"))
    assert resp.status_code == 201
    assert resp.get_json()["stage"] == "construction"
    assert resp.get_json()["stage_history"][0]["to_stage"] == "construction"


@pytest.mark.parametrize("body, field", [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": "x", "org_unit_id": "1"}, "org_unit_id"),
    ({"name": "x", "org_unit_id": 2**63}, "org_unit_id"),
    ({"name": "x", "stage": "dreaming"}, "stage"),
    ({"name": "x", "department_ids": "1"}, "department_ids"),
    ({"name": "x", "department_ids": [0]}, "department_ids.0"),
    ({"name": "x", "owner_firm_id": -1}, "owner_firm_id"),
    ({"name": "x", "description": "x" * 5001}, "description"),
    ({"name": "x", "stage_entered_at": "2026-01-01T00:00:00Z"}, "stage_entered_at"),
])
def test_bad_project_bodies_are_422_naming_the_field(client, reg, as_, body, field):
    body = {"org_unit_id": reg.world.county_a.id, **body} if "org_unit_id" not in body \
        else body
    resp = client.post("/api/v1/projects", json=body, headers=as_("a_manager"))
    assert resp.status_code == 422
    assert field in resp.get_json()["errors"]


@pytest.mark.parametrize("field", ["org_unit_id", "owner_firm_id", "department_ids"])
def test_references_outside_the_managers_scope_are_422_and_store_nothing(client, reg, as_,
                                                                          field):
    body = {"name": "x", "org_unit_id": reg.world.county_a.id}
    body[field] = {"org_unit_id": reg.world.county_b.id, "owner_firm_id": reg.firm_b.id,
                   "department_ids": [reg.dept_a.id, reg.dept_b.id]}[field]
    resp = client.post("/api/v1/projects", json=body, headers=as_("a_manager"))
    assert resp.status_code == 422
    assert list(resp.get_json()["errors"]) == [field]
    assert db.session.scalar(select(Project).where(Project.name == "x")) is None


def test_missing_department_ids_are_listed(client, reg, as_):
    resp = client.post("/api/v1/projects", json={
        "name": "x", "org_unit_id": reg.world.county_a.id, "department_ids": [999, 998]},
        headers=as_("admin"))
    assert resp.status_code == 422
    assert "[998, 999]" in resp.get_json()["errors"]["department_ids"][0]


@pytest.mark.parametrize("who", ["commissioner", "butler", "handler", "firm"])
def test_only_admins_and_managers_register_projects(client, reg, as_, who):
    resp = client.post("/api/v1/projects", json={"name": "x", "org_unit_id": 999},
                       headers=as_(who))
    assert resp.status_code == 403


# --- read and filter ----------------------------------------------------------------------

def _names(resp):
    assert resp.status_code == 200, resp.get_json()
    return {p["name"] for p in resp.get_json()["items"]}


def test_detail_has_departments_sites_and_history(client, reg, as_):
    resp = client.get(f"/api/v1/projects/{reg.project_a.id}", headers=as_("butler"))
    got = resp.get_json()
    assert got["departments"] == [{"id": reg.dept_a.id, "name": "county A power bureau"}]
    [site] = got["sites"]
    assert (site["lat"], site["lon"], site["radius_m"], site["version"]) == (
        pytest.approx(34.61), pytest.approx(108.94), 200.0, 1)
    assert got["stage_history"] == []
    assert got["owner_firm_id"] == reg.firm_a.id


def test_filters_subtree_stage_owner_department_and_text(client, reg, as_):
    h = as_("admin")
    url = "/api/v1/projects"
    assert _names(client.get(f"{url}?org_unit_id={reg.world.county_a.id}", headers=h)) == {
        "智能装备产业园", "园区数据中心"}
    assert _names(client.get(f"{url}?stage=construction", headers=h)) == {"冷链物流中心"}
    assert _names(client.get(f"{url}?owner_firm_id={reg.firm_a.id}", headers=h)) == {
        "智能装备产业园"}
    assert _names(client.get(f"{url}?department_id={reg.dept_a.id}", headers=h)) == {
        "智能装备产业园"}
    assert _names(client.get(f"{url}?q=数据", headers=h)) == {"园区数据中心"}
    assert _names(client.get(f"{url}?q=%25", headers=h)) == set()


@pytest.mark.parametrize("query, field", [
    ("stage=nope", "stage"), ("org_unit_id=x", "org_unit_id"), ("owner_firm_id=0", "owner_firm_id"),
    ("q=", "q"), ("page_size=0", "page_size"),
])
def test_bad_filters_are_422_naming_them(client, reg, as_, query, field):
    resp = client.get(f"/api/v1/projects?{query}", headers=as_("admin"))
    assert resp.status_code == 422
    assert field in resp.get_json()["errors"]


def test_filtering_by_a_unit_outside_scope_is_422(client, reg, as_):
    resp = client.get(f"/api/v1/projects?org_unit_id={reg.world.county_b.id}",
                      headers=as_("a_manager"))
    assert resp.status_code == 422
    assert "org_unit_id" in resp.get_json()["errors"]


# --- change -------------------------------------------------------------------------------

def test_patch_changes_fields_and_departments_and_audits_the_departments(client, reg, as_):
    resp = client.patch(f"/api/v1/projects/{reg.project_a.id}", headers=as_("a_manager"),
                        json={"name": "智能装备产业园二期", "department_ids": [reg.dept_a2.id],
                              "owner_firm_id": None})
    assert resp.status_code == 200, resp.get_json()
    got = resp.get_json()
    assert got["department_ids"] == [reg.dept_a2.id] and got["owner_firm_id"] is None
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity == "projects", AuditEvent.action == "update")).one()
    assert event.before["departments"] == [reg.dept_a.id]
    assert event.after["departments"] == [reg.dept_a2.id]
    assert event.after["name"] == "智能装备产业园二期"
    assert event.actor_id == reg.users["a_manager"].id


def test_creating_a_project_audits_its_departments(client, reg, as_):
    resp = client.post("/api/v1/projects", headers=as_("a_manager"), json={
        "name": "x", "org_unit_id": reg.world.county_a.id, "department_ids": [reg.dept_a.id]})
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity == "projects", AuditEvent.entity_id == str(resp.get_json()["id"]))
    ).one()
    assert event.action == "create"
    assert event.after["departments"] == [reg.dept_a.id]


def test_patch_that_changes_only_the_department_order_records_nothing(client, reg, as_):
    client.patch(f"/api/v1/projects/{reg.project_a.id}", headers=as_("a_manager"),
                 json={"department_ids": [reg.dept_a.id]})
    assert db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity == "projects", AuditEvent.action == "update")).all() == []


def test_moving_a_project_to_another_unit_moves_its_open_assignments(client, reg, as_):
    today = clock.today()
    ended = reg.assign("butler2", project=reg.project_a, starts_on=today - timedelta(9),
                       ends_on=today - timedelta(5))
    later = reg.assign("butler2", project=reg.project_a, starts_on=today + timedelta(3))
    resp = client.patch(f"/api/v1/projects/{reg.project_a.id}", headers=as_("a_manager"),
                        json={"org_unit_id": reg.world.park_a.id})
    assert resp.status_code == 200
    db.session.expire_all()
    # Running since yesterday: ends there, and the butler carries on from today in the park,
    # so yesterday stays reported under county A.
    running = db.session.get(Assignment, reg.butler_assignment.id)
    assert (running.org_unit_id, running.ends_on) == (reg.world.county_a.id,
                                                       today - timedelta(1))
    carried = db.session.get(Assignment, running.replaced_by_id)
    assert (carried.user_id, carried.cadence, carried.starts_on, carried.org_unit_id) == (
        running.user_id, "per_stage", today, reg.world.park_a.id)
    assert db.session.get(Assignment, later.id).org_unit_id == reg.world.park_a.id
    assert db.session.get(Assignment, ended.id).org_unit_id == reg.world.county_a.id


@pytest.mark.parametrize("body, field", [
    ({"org_unit_id": "county_b"}, "org_unit_id"),
    ({"department_ids": ["dept_b"]}, "department_ids"),
    ({"owner_firm_id": "firm_b"}, "owner_firm_id"),
    ({"name": ""}, "name"),
    ({"stage": "operating"}, "stage"),
])
def test_bad_patches_are_422_and_change_nothing(client, reg, as_, body, field):
    refs = {"county_b": reg.world.county_b.id, "dept_b": reg.dept_b.id, "firm_b": reg.firm_b.id}
    body = {k: ([refs[x] for x in v] if isinstance(v, list) else refs.get(v, v))
            for k, v in body.items()}
    body = {"description": "changed", **body}
    resp = client.patch(f"/api/v1/projects/{reg.project_a.id}", json=body,
                        headers=as_("a_manager"))
    assert resp.status_code == 422
    assert field in resp.get_json()["errors"]
    db.session.expire_all()
    assert db.session.get(Project, reg.project_a.id).description is None


@pytest.mark.parametrize("who, status", [
    ("b_manager", 404), ("park_manager", 404), ("butler", 403), ("firm", 403),
    ("commissioner", 404), ("handler", 404),
])
def test_who_may_not_patch_a_project(client, reg, as_, who, status):
    resp = client.patch(f"/api/v1/projects/{reg.project_a.id}", json={"name": "y"},
                        headers=as_(who))
    assert resp.status_code == status


def test_a_park_manager_cannot_pull_a_county_project_into_the_park(client, reg, as_):
    resp = client.patch(f"/api/v1/projects/{reg.project_park.id}", headers=as_("park_manager"),
                        json={"org_unit_id": reg.world.county_a.id})
    assert resp.status_code == 422
