"""Firms over HTTP: USCC rules, sites with versioned geometry, filters, nearby, GeoJSON, scope."""

import random
from datetime import timedelta

import pytest
from conftest import assign_monthly
from geoalchemy2.shape import to_shape
from geographiclib.geodesic import Geodesic
from shapely.geometry import Polygon
from sqlalchemy import func, select

from fieldapp import clock
from fieldapp.demo.registry import make_uscc
from fieldapp.extensions import db
from fieldapp.firms import uscc
from geo import wgs84_to_bd09, wgs84_to_gcj02
from models import Assignment, AuditEvent, Firm, Site, SiteVersion, User

FIRMS = "/api/v1/firms"
XIANYANG = (34.33, 108.71)
SQUARE = [[108.70, 34.32], [108.72, 34.32], [108.72, 34.34], [108.70, 34.34], [108.70, 34.32]]
GEOD = Geodesic.WGS84


def offset(lat, lon, azimuth, metres):
    r = GEOD.Direct(lat, lon, azimuth, metres)
    return r["lat2"], r["lon2"]


class Scene:
    """People in the test tree; firms are registered through the API by the tests."""

    def __init__(self, world):
        w = self.world = world
        self.rng = random.Random(11)
        self.users = {name: w.user(name, roles, unit) for name, roles, unit in (
            ("admin", ["admin"], w.city), ("city_manager", ["manager"], w.city),
            ("a_manager", ["manager"], w.county_a), ("b_manager", ["manager"], w.county_b),
            ("commissioner", ["commissioner"], w.county_a),
            ("handler", ["handler"], w.county_a))}

    def code(self) -> str:
        return make_uscc(self.rng, "610402")

    def body(self, unit=None, lat=XIANYANG[0], lon=XIANYANG[1], **extra):
        return {"uscc": self.code(), "name": f"测试企业{self.rng.randrange(10**6)}",
                "org_unit_id": (unit or self.world.county_a).id,
                "sites": [{"name": "厂区", "point": {"lat": lat, "lon": lon}}], **extra}

    def assign(self, username, firm_id, days_ago=1, ends_on=None):
        assign_monthly(self.users[username], db.session.get(Firm, firm_id), days_ago, ends_on)


@pytest.fixture
def scene(world):
    return Scene(world)


@pytest.fixture
def create(client, scene, as_):
    """``create(**body_overrides) -> firm json`` as admin."""

    def _create(user="admin", **kwargs):
        body = scene.body(**kwargs)
        resp = client.post(FIRMS, json=body, headers=as_(user))
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()

    return _create


def errors_of(resp, status=422):
    assert resp.status_code == status, resp.get_json()
    assert resp.mimetype == "application/problem+json"
    return resp.get_json().get("errors", {})


def firm_count():
    return db.session.scalar(select(func.count()).select_from(Firm))


# --- create and USCC ------------------------------------------------------------------------

def test_a_manager_registers_a_firm_with_tags_contacts_and_a_site(client, scene, as_):
    body = scene.body(address="咸阳市秦都区", industry="装备制造",
                      tags=["specialized", "above_scale", "above_scale"],
                      contacts=[{"name": "王经理", "phone": "13800000000", "role": "总经理"}])
    body["uscc"] = " " + body["uscc"].lower() + " "
    resp = client.post(FIRMS, json=body, headers=as_("a_manager"))
    assert resp.status_code == 201, resp.get_json()
    got = resp.get_json()
    assert got["uscc"] == body["uscc"].strip().upper()
    assert got["uscc_checksum_ok"] is True
    assert got["tags"] == ["above_scale", "specialized"]
    assert got["contacts"] == [{"name": "王经理", "phone": "13800000000", "role": "总经理",
                                "is_primary": False}]
    assert got["status"] == "active"
    [site] = got["sites"]
    assert site["point"] == {"lat": XIANYANG[0], "lon": XIANYANG[1]}
    assert site["radius_m"] == 200.0 and site["version"] == 1 and site["boundary"] is None
    assert db.session.scalar(select(func.count()).select_from(SiteVersion)) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity == "firms")) == 1


@pytest.mark.parametrize("code,reason", [
    ("91610402MA6X", "wrong_length"),
    ("91610402MA6XIOSVZ1", "illegal_character"),
])
def test_a_malformed_uscc_is_a_422_with_the_reason(client, scene, as_, code, reason):
    resp = client.post(FIRMS, json=scene.body(uscc=code), headers=as_("admin"))
    [message] = errors_of(resp)["uscc"]
    assert message.startswith(reason)
    assert firm_count() == 0


def test_a_wrong_check_character_is_a_422_saying_what_it_should_be(client, scene, as_):
    good = scene.code()
    bad = good[:17] + next(c for c in uscc.ALPHABET if c != good[17])
    [message] = errors_of(client.post(FIRMS, json=scene.body(uscc=bad),
                                      headers=as_("admin")))["uscc"]
    assert message.startswith("wrong_check_character")
    assert repr(good[17]) in message
    # Only imports may keep such codes: the API body has no way to ask for it.
    resp = client.post(FIRMS, json=scene.body(uscc=bad, uscc_checksum_exempt=True),
                       headers=as_("admin"))
    assert "uscc_checksum_exempt" in errors_of(resp)
    assert firm_count() == 0


def test_a_duplicate_uscc_is_a_409_and_nothing_is_stored(client, scene, as_, create):
    first = create()
    body = scene.body(unit=scene.world.county_b)
    body["uscc"] = first["uscc"]
    resp = client.post(FIRMS, json=body, headers=as_("admin"))
    assert resp.status_code == 409
    assert resp.get_json()["existing_firm_id"] == first["id"]
    # A manager who cannot see the existing firm learns only that the code is taken.
    resp = client.post(FIRMS, json=body, headers=as_("b_manager"))
    assert resp.status_code == 409 and "existing_firm_id" not in resp.get_json()
    assert firm_count() == 1
    assert db.session.scalar(select(func.count()).select_from(Site)) == 1


@pytest.mark.parametrize("change,field", [
    ({"name": ""}, "name"), ({"name": None}, "name"), ({"org_unit_id": "2"}, "org_unit_id"),
    ({"org_unit_id": 2**63}, "org_unit_id"), ({"tags": ["big"]}, "tags.0"),
    ({"sites": []}, "sites"), ({"contacts": [{"phone": "1"}]}, "contacts.0.name"),
    ({"status": "closed"}, "status"), ({"uscc": 123}, "uscc"),
])
def test_bad_firm_fields_are_named(client, scene, as_, change, field):
    body = {**scene.body(), **change}
    assert field in errors_of(client.post(FIRMS, json=body, headers=as_("admin")))
    assert firm_count() == 0


def test_a_firm_needs_sites(client, scene, as_):
    body = scene.body()
    del body["sites"]
    assert "sites" in errors_of(client.post(FIRMS, json=body, headers=as_("admin")))


@pytest.mark.parametrize("site,field", [
    ({"point": {"lat": 91, "lon": 108.7}}, "sites.0.point.lat"),
    ({"point": {"lat": 34.3}}, "sites.0.point.lon"),
    ({"point": "34.3,108.7"}, "sites.0.point"),
    ({}, "sites.0.point"),
    ({"point": {"lat": 34.33, "lon": 108.71}, "crs": "utm"}, "sites.0.crs"),
    ({"point": {"lat": 34.33, "lon": 108.71}, "radius_m": 0}, "sites.0.radius_m"),
    ({"point": {"lat": 34.33, "lon": 108.71}, "radius_m": 5001}, "sites.0.radius_m"),
    ({"point": {"lat": 34.33, "lon": 108.71},
      "boundary": {"type": "Polygon", "coordinates": [[*SQUARE[:-1], [108.7, 34.33]]]}},
     "sites.0.boundary"),
    ({"point": {"lat": 34.33, "lon": 108.71}, "boundary": {"type": "Polygon", "coordinates": [[
        [108.70, 34.32], [108.72, 34.34], [108.72, 34.32], [108.70, 34.34], [108.70, 34.32]]]}},
     "sites.0.boundary"),
    ({"point": {"lat": 34.40, "lon": 108.71},
      "boundary": {"type": "Polygon", "coordinates": [SQUARE]}}, "sites.0.point"),
])
def test_bad_site_geometry_is_a_422_naming_the_field_and_nothing_is_stored(client, scene, as_,
                                                                           site, field):
    body = scene.body()
    body["sites"] = [site]
    errors = errors_of(client.post(FIRMS, json=body, headers=as_("admin")))
    assert field in errors, errors
    assert firm_count() == 0


def test_nan_in_a_point_is_refused(client, scene, as_):
    raw = (f'{{"uscc": "{scene.code()}", "name": "n", "org_unit_id": {scene.world.county_a.id},'
           ' "sites": [{"point": {"lat": NaN, "lon": 108.7}}]}')
    resp = client.post(FIRMS, data=raw, content_type="application/json",
                       headers=as_("admin"))
    assert resp.status_code in (400, 422)
    assert firm_count() == 0


def test_too_many_vertices_are_refused(app, client, scene, as_):
    app.config["SITE_MAX_VERTICES"] = 10
    ring = [[108.70 + 0.001 * i, 34.32] for i in range(10)] + [[108.709, 34.33], [108.70, 34.32]]
    body = scene.body()
    body["sites"][0]["boundary"] = {"type": "Polygon", "coordinates": [ring]}
    [message] = errors_of(client.post(FIRMS, json=body, headers=as_("admin")))["sites.0.boundary"]
    assert "too many vertices: 12" in message


@pytest.mark.parametrize("crs,convert", [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)])
def test_gcj02_and_bd09_sites_are_stored_in_wgs84(client, scene, as_, crs, convert):
    lat, lon = convert(*XIANYANG)
    ring = [list(reversed(convert(y, x))) for x, y in SQUARE]
    body = scene.body()
    body["sites"] = [{"point": {"lat": lat, "lon": lon}, "crs": crs,
                      "boundary": {"type": "Polygon", "coordinates": [ring]}}]
    resp = client.post(FIRMS, json=body, headers=as_("admin"))
    assert resp.status_code == 201, resp.get_json()
    site = resp.get_json()["sites"][0]
    assert site["point"]["lat"] == pytest.approx(XIANYANG[0], abs=1e-6)
    assert site["point"]["lon"] == pytest.approx(XIANYANG[1], abs=1e-6)
    corner = site["boundary"]["coordinates"][0][0]
    assert corner == pytest.approx(SQUARE[0], abs=1e-6)


def test_a_firm_arrives_as_a_geojson_feature(client, scene, as_):
    feature = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [SQUARE]},
               "properties": {"uscc": scene.code(), "name": "地块企业",
                              "org_unit_id": scene.world.county_a.id, "site_name": "一期",
                              "radius_m": 120}}
    resp = client.post(FIRMS, json=feature, headers={**as_("admin"),
                                                     "Content-Type": "application/geo+json"})
    assert resp.status_code == 201, resp.get_json()
    [site] = resp.get_json()["sites"]
    assert site["name"] == "一期" and site["radius_m"] == 120
    assert site["boundary"]["type"] == "Polygon"
    lat, lon = site["point"]["lat"], site["point"]["lon"]
    assert 34.32 <= lat <= 34.34 and 108.70 <= lon <= 108.72  # a point inside the boundary


def test_a_geojson_feature_of_a_line_is_refused(client, scene, as_):
    feature = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": SQUARE},
               "properties": {"uscc": scene.code(), "name": "x",
                              "org_unit_id": scene.world.county_a.id}}
    assert "geometry" in errors_of(client.post(FIRMS, json=feature, headers=as_("admin")))


# --- who may write ----------------------------------------------------------------------------

def test_who_may_register_firms_where(client, scene, as_):
    b_body = scene.body(unit=scene.world.county_b)
    assert client.post(FIRMS, json=b_body, headers=as_("a_manager")).status_code == 422
    assert client.post(FIRMS, json=scene.body(), headers=as_("commissioner")).status_code == 403
    assert client.post(FIRMS, json=scene.body(), headers=as_("handler")).status_code == 403
    assert firm_count() == 0
    assert client.post(FIRMS, json=b_body, headers=as_("city_manager")).status_code == 201


# --- read, change, close ------------------------------------------------------------------------

def test_scope_of_reading_firms(client, scene, as_, create):
    a = create()
    b = create(unit=scene.world.county_b)
    park = create(unit=scene.world.park_a)

    def ids(user):
        resp = client.get(FIRMS, headers=as_(user))
        assert resp.status_code == 200
        return {f["id"] for f in resp.get_json()["items"]}

    assert ids("admin") == ids("city_manager") == {a["id"], b["id"], park["id"]}
    assert ids("a_manager") == {a["id"], park["id"]}
    assert ids("commissioner") == set()
    assert client.get(f"{FIRMS}/{a['id']}", headers=as_("commissioner")).status_code == 404
    scene.assign("commissioner", a["id"])
    scene.assign("commissioner", park["id"], days_ago=30, ends_on=clock.today() - timedelta(1))
    assert ids("commissioner") == {a["id"]}
    assert client.get(f"{FIRMS}/{a['id']}", headers=as_("commissioner")).status_code == 200
    assert client.get(f"{FIRMS}/{b['id']}", headers=as_("a_manager")).status_code == 404
    assert client.get(f"{FIRMS}/{a['id']}/sites", headers=as_("a_manager")).status_code == 200
    assert client.get(f"{FIRMS}/{b['id']}/sites", headers=as_("a_manager")).status_code == 404


def test_patch_changes_fields_checks_the_uscc_and_moves_assignments(client, scene, as_,
                                                                   create):
    firm = create()
    other = create()
    scene.assign("commissioner", firm["id"])
    url = f"{FIRMS}/{firm['id']}"
    resp = client.patch(url, json={"uscc": other["uscc"]}, headers=as_("admin"))
    assert resp.status_code == 409
    resp = client.patch(url, json={"uscc": other["uscc"][:17] + "!"}, headers=as_("admin"))
    assert "uscc" in errors_of(resp)
    resp = client.patch(url, json={"name": "改名", "tags": ["key"],
                                   "org_unit_id": scene.world.park_a.id},
                        headers=as_("a_manager"))
    assert resp.status_code == 200, resp.get_json()
    assert (resp.get_json()["name"], resp.get_json()["tags"]) == ("改名", ["key"])
    # The assignment running since yesterday ends there; the same person carries on from today
    # under the new unit, so yesterday stays reported under the old one.
    old, new = db.session.scalars(select(Assignment).order_by(Assignment.id)).all()
    db.session.refresh(old)
    assert (old.org_unit_id, old.ends_on, old.replaced_by_id) == (
        scene.world.county_a.id, clock.today() - timedelta(days=1), new.id)
    assert (new.org_unit_id, new.starts_on, new.ends_on, new.user_id) == (
        scene.world.park_a.id, clock.today(), None, old.user_id)
    # A county-A manager may not move it out of county A.
    resp = client.patch(url, json={"org_unit_id": scene.world.county_b.id},
                        headers=as_("a_manager"))
    assert resp.status_code == 422


def test_a_move_carries_a_scheduled_reassignment_along(client, scene, as_, create):
    """A running assignment already handed on from a later day still runs until then: the
    move splits it like any other, and the continuation keeps the successor."""
    scene.world.user("comm2", ["commissioner"], scene.world.county_a)
    firm = create()
    today = clock.today()
    scene.assign("commissioner", firm["id"], days_ago=10)
    first = db.session.scalar(select(Assignment))
    comm2 = db.session.scalar(select(User).where(User.username == "comm2"))
    resp = client.post(f"/api/v1/assignments/{first.id}/reassign", headers=as_("admin"),
                       json={"user_id": comm2.id,
                             "starts_on": (today + timedelta(days=5)).isoformat()})
    assert resp.status_code in (200, 201), resp.get_json()
    resp = client.patch(f"{FIRMS}/{firm['id']}", json={"org_unit_id": scene.world.park_a.id},
                        headers=as_("admin"))
    assert resp.status_code == 200, resp.get_json()
    db.session.expire_all()
    rows = db.session.scalars(select(Assignment).order_by(Assignment.id)).all()
    old, successor, continuation = rows
    park, county = scene.world.park_a.id, scene.world.county_a.id
    assert (old.org_unit_id, old.ends_on, old.replaced_by_id) == (
        county, today - timedelta(days=1), continuation.id)
    assert (continuation.user_id, continuation.org_unit_id, continuation.starts_on,
            continuation.ends_on, continuation.replaced_by_id) == (
        old.user_id, park, today, today + timedelta(days=4), successor.id)
    assert (successor.user_id, successor.org_unit_id, successor.starts_on) == (
        comm2.id, park, today + timedelta(days=5))


def test_delete_closes_and_keeps_everything(client, scene, as_, create):
    firm = create()
    url = f"{FIRMS}/{firm['id']}"
    assert client.delete(url, headers=as_("commissioner")).status_code in (403, 404)
    resp = client.delete(url, headers=as_("a_manager"))
    assert resp.status_code == 200
    assert resp.get_json()["status"] == "closed" and resp.get_json()["closed_at"]
    assert client.get(url, headers=as_("admin")).status_code == 200
    listed = client.get(FIRMS, headers=as_("admin")).get_json()["items"]
    assert listed == []
    closed = client.get(FIRMS, query_string={"status": "closed"},
                        headers=as_("admin")).get_json()["items"]
    assert [f["id"] for f in closed] == [firm["id"]]
    assert client.post(f"{url}/sites", json={"point": {"lat": 34.3, "lon": 108.7}},
                       headers=as_("admin")).status_code == 409
    resp = client.patch(url, json={"status": "active"}, headers=as_("admin"))
    assert resp.get_json()["status"] == "active" and resp.get_json()["closed_at"] is None


# --- sites and geometry versions ------------------------------------------------------------------

def test_changing_geometry_makes_a_new_version_and_keeps_the_old(client, scene, as_, create):
    firm = create()
    site_id = firm["sites"][0]["id"]
    url = f"{FIRMS}/{firm['id']}/sites/{site_id}"
    resp = client.patch(url, json={"name": "北门"}, headers=as_("admin"))
    assert resp.get_json()["version"] == 1  # a rename is not a new geometry
    resp = client.patch(url, json={"boundary": {"type": "Polygon", "coordinates": [SQUARE]},
                                   "radius_m": 80}, headers=as_("admin"))
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["version"] == 2
    lat, lon = wgs84_to_gcj02(34.331, 108.711)
    resp = client.patch(url, json={"point": {"lat": lat, "lon": lon}, "crs": "gcj02"},
                        headers=as_("admin"))
    assert resp.get_json()["version"] == 3
    assert resp.get_json()["point"]["lat"] == pytest.approx(34.331, abs=1e-6)
    versions = client.get(f"{url}/versions", headers=as_("admin")).get_json()
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert versions[0]["boundary"] is None and versions[0]["radius_m"] == 200
    assert versions[1]["boundary"]["type"] == "Polygon" and versions[1]["radius_m"] == 80
    assert versions[0]["point"] == {"lat": XIANYANG[0], "lon": XIANYANG[1]}
    # The same geometry again is no new version; removing the boundary is.
    same = client.patch(url, json={"radius_m": 80}, headers=as_("admin")).get_json()
    assert same["version"] == 3
    resp = client.patch(url, json={"boundary": None}, headers=as_("admin"))
    assert resp.get_json()["version"] == 4 and resp.get_json()["boundary"] is None


def test_a_point_moved_far_from_the_boundary_is_refused(client, scene, as_, create):
    firm = create()
    url = f"{FIRMS}/{firm['id']}/sites/{firm['sites'][0]['id']}"
    client.patch(url, json={"boundary": {"type": "Polygon", "coordinates": [SQUARE]}},
                 headers=as_("admin"))
    resp = client.patch(url, json={"point": {"lat": 34.50, "lon": 108.71}},
                        headers=as_("admin"))
    assert "point" in errors_of(resp)
    assert db.session.get(Site, firm["sites"][0]["id"]).version == 2


def test_sites_are_added_retired_and_the_last_one_stays(client, scene, as_, create):
    firm = create()
    base = f"{FIRMS}/{firm['id']}/sites"
    resp = client.post(base, json={"name": "二厂", "point": {"lat": 34.35, "lon": 108.73}},
                       headers=as_("a_manager"))
    assert resp.status_code == 201
    second = resp.get_json()["id"]
    assert client.delete(f"{base}/{second}", headers=as_("a_manager")).get_json()[
        "is_active"] is False
    assert client.delete(f"{base}/{firm['sites'][0]['id']}",
                         headers=as_("a_manager")).status_code == 409
    assert [s["id"] for s in client.get(base, headers=as_("admin")).get_json()] == [
        firm["sites"][0]["id"]]
    listed = client.get(base, query_string={"include_inactive": "true"},
                        headers=as_("admin")).get_json()
    assert len(listed) == 2
    assert client.patch(f"{base}/{second}", json={"name": "x"},
                        headers=as_("admin")).status_code == 409


def test_a_site_id_under_another_firm_is_404(client, scene, as_, create):
    one, two = create(), create()
    url = f"{FIRMS}/{one['id']}/sites/{two['sites'][0]['id']}"
    assert client.get(url, headers=as_("admin")).status_code == 404
    assert client.patch(url, json={"name": "x"}, headers=as_("admin")).status_code == 404


# --- filters, nearby, GeoJSON ---------------------------------------------------------------------

def test_filters_by_unit_tag_text_and_bbox(client, scene, as_, create):
    a = create(tags=["key"])
    park = create(unit=scene.world.park_a, lat=34.50, lon=108.90)
    b = create(unit=scene.world.county_b)

    def ids(**query):
        resp = client.get(FIRMS, query_string=query, headers=as_("admin"))
        assert resp.status_code == 200, resp.get_json()
        return {f["id"] for f in resp.get_json()["items"]}

    assert ids(org_unit_id=scene.world.county_a.id) == {a["id"], park["id"]}
    assert ids(tag="key") == {a["id"]}
    assert ids(q=a["name"][-3:]) == {a["id"]}
    assert ids(q=b["uscc"][:14].lower()) == {b["id"]}
    assert ids(q="%") == set()
    assert ids(bbox="108.85,34.45,108.95,34.55") == {park["id"]}
    for bad in ("1,2,3", "108.95,34.45,108.85,34.55", "a,b,c,d", "nan,1,2,3"):
        resp = client.get(FIRMS, query_string={"bbox": bad}, headers=as_("admin"))
        assert "bbox" in errors_of(resp)


def test_nearby_orders_by_distance_and_reports_it(client, scene, as_, create):
    placed = {}
    for metres in (900, 50, 400, 1500):
        lat, lon = offset(*XIANYANG, 45.0, metres)
        placed[metres] = create(lat=lat, lon=lon)["id"]
    resp = client.get(FIRMS, query_string={"near": "{:f},{:f}".format(*XIANYANG), "radius_m": 1000},
                      headers=as_("admin"))
    got = resp.get_json()
    assert [f["id"] for f in got["items"]] == [placed[50], placed[400], placed[900]]
    assert [round(f["distance_m"]) for f in got["items"]] == [50, 400, 900]
    assert got["total"] == 3
    # Elsewhere, something else: cached SQL must not carry the previous coordinates.
    far = offset(*XIANYANG, 45.0, 1500)
    resp = client.get(FIRMS, query_string={"near": "{:f},{:f}".format(*far), "radius_m": 100},
                      headers=as_("admin"))
    assert [f["id"] for f in resp.get_json()["items"]] == [placed[1500]]
    # A phone's GCJ-02 position finds the same firms.
    gcj = wgs84_to_gcj02(*XIANYANG)
    resp = client.get(FIRMS, query_string={"near": "{:.8f},{:.8f}".format(*gcj), "radius_m": 100,
                                           "crs": "gcj02"}, headers=as_("admin"))
    assert [f["id"] for f in resp.get_json()["items"]] == [placed[50]]
    # Without near= rows carry no distance.
    assert "distance_m" not in client.get(FIRMS, headers=as_("admin")).get_json()["items"][0]


def test_nearby_respects_scope_and_paging(client, scene, as_, create):
    ids = [create(lat=offset(*XIANYANG, 90, 10 * i)[0],
                  lon=offset(*XIANYANG, 90, 10 * i)[1])["id"] for i in range(1, 5)]
    scene.assign("commissioner", ids[2])
    near = {"near": "{:f},{:f}".format(*XIANYANG), "radius_m": 500}
    resp = client.get(FIRMS, query_string=near, headers=as_("commissioner"))
    assert [f["id"] for f in resp.get_json()["items"]] == [ids[2]]
    resp = client.get(FIRMS, query_string={**near, "page": 2, "page_size": 3},
                      headers=as_("admin"))
    assert [f["id"] for f in resp.get_json()["items"]] == [ids[3]]
    assert resp.get_json()["total"] == 4


@pytest.mark.parametrize("query,field", [
    ({"near": "34.3"}, "near"), ({"near": "91,108"}, "near"), ({"near": "x,y"}, "near"),
    ({"near": "34,108", "radius_m": 0}, "radius_m"),
    ({"near": "34,108", "radius_m": 50_001}, "radius_m"),
    ({"near": "34,108", "radius_m": "nan"}, "radius_m"),
    ({"near": "34,108", "crs": "mars"}, "crs"),
    ({"near": "34,108", "bbox": "1,2,3,4"}, "near"),
])
def test_bad_nearby_queries_are_named(client, scene, as_, query, field):
    assert field in errors_of(client.get(FIRMS, query_string=query, headers=as_("admin")))


def test_geojson_for_maps(client, scene, as_, create):
    a = create(tags=["high_tech"])
    create(unit=scene.world.county_b)
    resp = client.get(f"{FIRMS}.geojson", query_string={"org_unit_id": scene.world.county_a.id},
                      headers=as_("admin"))
    assert resp.status_code == 200
    assert resp.mimetype == "application/geo+json"
    collection = resp.get_json()
    assert collection["type"] == "FeatureCollection" and collection["total"] == 1
    [feature] = collection["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [XIANYANG[1], XIANYANG[0]]}
    assert feature["properties"]["uscc"] == a["uscc"]
    assert feature["properties"]["tags"] == ["high_tech"]
    # The same through content negotiation on the list.
    resp = client.get(FIRMS, headers={**as_("admin"), "Accept": "application/geo+json"})
    assert resp.mimetype == "application/geo+json"
    assert len(resp.get_json()["features"]) == 2
    resp = client.get(f"{FIRMS}.geojson", query_string={"page_size": 5001},
                      headers=as_("admin"))
    assert "page_size" in errors_of(resp)
    assert client.get(f"{FIRMS}.geojson").status_code == 401


def _fine_box(west, south, east, north):
    """A ring with more digits than the API shows (as GCJ-02 input converted to WGS-84 has)."""
    west, south, east, north = (v + 0.000000012345 for v in (west, south, east, north))
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


def _stored_boundary(site_id):
    db.session.expire_all()
    site = db.session.get(Site, site_id)
    return site.version, bytes(to_shape(site.boundary).wkb)


def test_a_boundary_sent_back_as_the_api_showed_it_is_no_new_version(client, scene, as_, create):
    firm = create()
    url = f"{FIRMS}/{firm['id']}/sites/{firm['sites'][0]['id']}"
    resp = client.patch(url, json={"boundary": {"type": "Polygon", "coordinates": [
        _fine_box(108.70, 34.32, 108.72, 34.34)]}}, headers=as_("admin"))
    assert resp.get_json()["version"] == 2
    before = _stored_boundary(firm["sites"][0]["id"])
    shown = client.get(url, headers=as_("admin")).get_json()
    fine = _fine_box(108.70, 34.32, 108.72, 34.34)
    assert shown["boundary"]["coordinates"][0][0][0] != fine[0][0]   # shown rounded
    # The map editor saves the point, the radius and the boundary as it was shown them.
    resp = client.patch(url, json={"point": shown["point"], "radius_m": shown["radius_m"],
                                   "boundary": shown["boundary"]}, headers=as_("admin"))
    assert resp.status_code == 200 and resp.get_json()["version"] == 2
    assert _stored_boundary(firm["sites"][0]["id"]) == before
    assert db.session.scalar(select(func.count()).select_from(SiteVersion).where(
        SiteVersion.site_id == firm["sites"][0]["id"])) == 2


def test_editing_one_part_of_a_project_multipolygon_keeps_the_other_parts_as_stored(
        client, scene, as_):
    resp = client.post("/api/v1/projects", json={"name": "物流园", "org_unit_id":
                                                 scene.world.county_a.id}, headers=as_("admin"))
    base = f"/api/v1/projects/{resp.get_json()['id']}/sites"
    land = _fine_box(108.70, 34.32, 108.72, 34.34)
    yard = _fine_box(108.73, 34.32, 108.74, 34.33)
    resp = client.post(base, json={"name": "园区", "point": {"lat": 34.33, "lon": 108.71},
                                   "boundary": {"type": "MultiPolygon",
                                                "coordinates": [[land], [yard]]}},
                       headers=as_("a_manager"))
    assert resp.status_code == 201, resp.get_json()
    site_id = resp.get_json()["id"]
    stored_land = to_shape(db.session.get(Site, site_id).boundary).geoms[0]
    shown = resp.get_json()["boundary"]["coordinates"]
    # The yard's east side moved; the land sent back as shown, rounded to about 1 cm.
    moved = [[108.73, 34.32], [108.745, 34.32], [108.745, 34.33], [108.73, 34.33],
             [108.73, 34.32]]
    resp = client.patch(f"{base}/{site_id}", json={"boundary": {
        "type": "MultiPolygon", "coordinates": [shown[0], [moved]]}}, headers=as_("a_manager"))
    assert resp.status_code == 200 and resp.get_json()["version"] == 2
    parts = to_shape(db.session.get(Site, site_id).boundary).geoms
    assert list(parts[0].exterior.coords) == list(stored_land.exterior.coords)
    assert parts[1].equals(Polygon(moved))
    versions = client.get(f"{base}/{site_id}/versions", headers=as_("a_manager")).get_json()
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["boundary"]["coordinates"][1] == shown[1]
    # Sent back whole as shown: nothing changed, no third version.
    again = client.get(f"{base}/{site_id}", headers=as_("a_manager")).get_json()
    resp = client.patch(f"{base}/{site_id}", json={"boundary": again["boundary"]},
                        headers=as_("a_manager"))
    assert resp.get_json()["version"] == 2


def test_projects_have_the_same_site_endpoints(client, scene, as_):
    resp = client.post("/api/v1/projects", json={"name": "产业园", "org_unit_id":
                                                 scene.world.county_a.id}, headers=as_("admin"))
    project_id = resp.get_json()["id"]
    base = f"/api/v1/projects/{project_id}/sites"
    resp = client.post(base, json={"name": "工地", "point": {"lat": 34.33, "lon": 108.71},
                                   "boundary": {"type": "Polygon", "coordinates": [SQUARE]}},
                       headers=as_("a_manager"))
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["project_id"] == project_id and resp.get_json()["firm_id"] is None
    site_url = f"{base}/{resp.get_json()['id']}"
    assert client.patch(site_url, json={"radius_m": 300},
                        headers=as_("a_manager")).get_json()["version"] == 2
    assert client.get(site_url, headers=as_("b_manager")).status_code == 404
    assert client.post(base, json={"point": {"lat": 34.33, "lon": 108.71}},
                       headers=as_("b_manager")).status_code == 404
    project = client.get(f"/api/v1/projects/{project_id}", headers=as_("admin")).get_json()
    assert [s["name"] for s in project["sites"]] == ["工地"]
