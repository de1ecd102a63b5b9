"""The registry's firm search and site map editor in a real browser: the nearby search lists what
the API lists, and a boundary drawn on the map is stored as a new geometry version."""

from geoalchemy2.shape import to_shape
from shapely.geometry import Polygon, shape
from sqlalchemy import select

from models import Site, SiteVersion
from tests.web.browser import SCREENSHOTS, assert_accessible, shot
from tests.web.console_support import (
    COUNTY_MANAGER,
    Api,
    desk_page,  # noqa: F401  (the desk fixture)
    log_in,
    seed_county_manager,
)

MANAGER = ("manager", "fieldapp-manager")


def _shown_ids(desk):
    return [int(i) for i in desk.locator("#firms tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.firm)")]


def test_the_nearby_search_lists_the_firms_the_api_lists_nearest_first(desk, live_server):
    api = Api(live_server.url, *MANAGER)
    centre = api.get("/firms", page_size=1)["items"][0]["sites"][0]["point"]
    lat, lon = round(centre["lat"] + 0.004, 6), round(centre["lon"] - 0.003, 6)
    expected = api.get("/firms", near=f"{lat},{lon}", radius_m=5000, page_size=20)
    assert expected["total"] > 1
    log_in(desk, live_server.url, "registry", *MANAGER)
    desk.locator("#firms").wait_for()
    desk.fill("#near-lat", str(lat))
    desk.fill("#near-lon", str(lon))
    desk.fill("#near-radius", "5000")
    desk.click("#firm-near button[type=submit]")
    desk.locator("#firms th", has_text="距离").wait_for()
    assert _shown_ids(desk) == [f["id"] for f in expected["items"]]
    assert f"共 {expected['total']} 条" in desk.locator("#firm-pager").inner_text()
    first = desk.locator("#firms tbody tr").first.locator("td").nth(5).inner_text()
    assert first.endswith("米") or first.endswith("公里")
    assert f"以 {lat},{lon} 为中心" in desk.locator("#firm-mode").inner_text()
    shot(desk, "console-registry-nearby")

    # A radius beyond what the API allows is its 422, shown at the field; the list stays.
    desk.fill("#near-radius", "90000")
    desk.click("#firm-near button[type=submit]")
    error = desk.locator('#near-errors li[data-field="radius_m"]')
    error.wait_for()
    assert error.inner_text().startswith("搜索半径")
    assert _shown_ids(desk) == [f["id"] for f in expected["items"]]
    desk.click("#near-clear")
    desk.locator("#firms th", has_text="距离").wait_for(state="detached")
    assert desk.console_errors == []


def _firm_without_boundary(api):
    for firm in api.get("/firms", page_size=50)["items"]:
        if len(firm["sites"]) == 1 and firm["sites"][0]["boundary"] is None:
            return firm
    raise AssertionError("the demo has no firm with one site and no boundary")


def test_a_boundary_drawn_on_the_map_is_stored_as_a_new_geometry_version(desk, live_server):
    api = Api(live_server.url, *MANAGER)
    firm = _firm_without_boundary(api)
    site = firm["sites"][0]
    log_in(desk, live_server.url, f"registry?firm={firm['id']}", *MANAGER)
    desk.locator("#versions tbody tr").first.wait_for()
    assert desk.locator("#site-title").inner_text().startswith(firm["name"])
    assert desk.locator("#versions tbody tr").count() == site["version"]
    assert desk.locator("path.site-radius").count() == 1
    assert desk.locator("path.site-boundary").count() == 0

    desk.check("#site-form input[value=boundary]")
    box = desk.locator("#site-map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in ((-90, -70), (90, -70), (110, 60), (-80, 80)):
        desk.mouse.click(cx + dx, cy + dy)
    desk.locator("#vertices tbody tr").nth(3).wait_for()
    assert desk.locator("#vertices tbody tr").count() == 4
    assert desk.locator("path.site-boundary").count() == 1
    assert desk.locator(".vertex-handle").count() == 4
    cells = desk.locator("#vertices tbody tr").evaluate_all(
        "rows => rows.map(r => [r.cells[1].textContent, r.cells[2].textContent])")
    shown = [(float(lat), float(lon)) for lat, lon in cells]
    # Drawn clockwise on screen from the top left: west/north, east/north, east/south, west/south.
    assert shown[0][0] > shown[3][0] and shown[1][1] > shown[0][1]
    desk.fill("#site-radius", "150")
    desk.locator("#site-radius").dispatch_event("change")
    assert_accessible(desk, context="site editor")

    desk.click("#site-save")
    desk.get_by_text(f"已保存：现为第 {site['version'] + 1} 版").wait_for()
    with live_server.db() as session:
        stored = session.get(Site, site["id"])
        assert stored.version == site["version"] + 1 and stored.radius_m == 150
        polygon = to_shape(stored.boundary)
        ring = list(polygon.exterior.coords)
        # The API may turn the ring to GeoJSON's counter-clockwise order; the corners are these.
        assert sorted((lat, lon) for lon, lat in ring[:-1]) == sorted(shown)
        assert polygon.equals(Polygon([(lon, lat) for lat, lon in shown]))
        history = session.scalars(select(SiteVersion).where(SiteVersion.site_id == site["id"])
                                  .order_by(SiteVersion.version)).all()
        assert [v.version for v in history] == list(range(1, site["version"] + 2))
        assert history[-2].boundary is None and history[-2].radius_m == site["radius_m"]
        assert list(to_shape(history[-1].boundary).exterior.coords) == ring
    assert desk.locator("#versions tbody tr").count() == site["version"] + 1
    assert "当前" in desk.locator("#versions tbody tr").first.inner_text()
    assert f"第 {site['version'] + 1} 版" in desk.locator("#site-pick").inner_text()
    # The sticky top bar would cover the section's top in an element shot.
    desk.evaluate("document.querySelector('.topbar').style.position = 'static'")
    desk.locator("#site-editor").screenshot(path=str(SCREENSHOTS / "console-site-editor.png"))

    # Without a mouse, a vertex goes where the map's centre is; discarding restores the saved.
    desk.click("#vertex-centre")
    desk.locator("#vertices tbody tr").nth(4).wait_for()
    desk.click("#site-reset")
    desk.locator("#vertices tbody tr").nth(4).wait_for(state="detached")
    assert desk.locator("#vertices tbody tr").count() == 4
    assert desk.console_errors == []


def test_a_site_added_at_the_map_centre_is_stored_then_retired_not_deleted(desk, live_server):
    api = Api(live_server.url, *MANAGER)
    firm = [f for f in api.get("/firms", page_size=50)["items"] if len(f["sites"]) == 1][-1]
    log_in(desk, live_server.url, f"registry?firm={firm['id']}", *MANAGER)
    desk.locator("#versions tbody tr").first.wait_for()
    assert desk.locator("#site-retire").is_hidden()  # the last active site is not offered
    desk.fill("#site-new-name", "二号仓库")
    desk.click("#site-add")
    desk.get_by_text("已新增站点“二号仓库”").wait_for()
    with live_server.db() as session:
        added = session.scalar(select(Site).where(Site.firm_id == firm["id"],
                                                  Site.name == "二号仓库"))
        assert added.is_active and added.version == 1
        point = to_shape(added.point)
        added_id = added.id
    assert desk.locator("#site-pick").input_value() == str(added_id)
    assert desk.input_value("#site-lat") == f"{point.y:.6f}"
    assert desk.input_value("#site-lon") == f"{point.x:.6f}"
    desk.locator("#site-retire").click()
    desk.get_by_text("已停用站点“二号仓库”").wait_for()
    with live_server.db() as session:
        assert session.get(Site, added_id).is_active is False
    assert desk.locator("#site-retire").is_hidden()
    assert desk.locator("#site-pick option").count() == 1
    assert desk.console_errors == []


def test_a_firm_out_of_scope_reads_as_not_found(desk, live_server):
    city = Api(live_server.url, *MANAGER)
    county = Api(live_server.url, *COUNTY_MANAGER)
    visible = {f["id"] for f in county.get("/firms", page_size=200)["items"]}
    outside = next(f for f in city.get("/firms", page_size=200)["items"] if f["id"] not in visible)
    log_in(desk, live_server.url, f"registry?firm={outside['id']}", *COUNTY_MANAGER)
    desk.locator("#page-error").get_by_text("未找到").wait_for()
    assert desk.locator("#site-editor").is_hidden()
    assert outside["name"] not in desk.locator("#page").inner_text()


def _centre(locator):
    box = locator.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _vertices_shown(desk):
    cells = desk.locator("#vertices tbody tr").evaluate_all(
        "rows => rows.map(r => [r.cells[1].textContent, r.cells[2].textContent])")
    return [(float(lat), float(lon)) for lat, lon in cells]


def _versions_of(session, site_id):
    return session.scalars(select(SiteVersion).where(SiteVersion.site_id == site_id)
                           .order_by(SiteVersion.version)).all()


def test_a_project_site_moved_and_given_a_second_part_is_stored_as_a_multipolygon_version(
        desk, live_server):
    api = Api(live_server.url, *MANAGER)
    listed = api.get("/projects", page_size=20)
    project = listed["items"][0]
    site = api.get(f"/projects/{project['id']}/sites")[0]
    assert site["boundary"]["type"] == "Polygon"
    log_in(desk, live_server.url, "registry", *MANAGER)
    desk.locator("#projects tbody tr").first.wait_for()
    shown = desk.locator("#projects tbody tr").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.project))")
    assert shown == [p["id"] for p in listed["items"]]
    row = desk.locator(f'#projects tr[data-project="{project["id"]}"]')
    assert row.locator("td").nth(2).inner_text() in {"签约", "落地", "开工", "竣工", "投产"}
    row.get_by_role("button", name=f"站点位置：{project['name']}").click()
    desk.locator("#versions tbody tr").first.wait_for()
    assert desk.locator("#site-title").inner_text() == f"项目“{project['name']}”的位置"
    assert desk.locator("#versions tbody tr").count() == site["version"]
    assert desk.locator("path.site-boundary").count() == 1

    # The point: a click beside it in "point" mode; the radius typed.
    cx, cy = _centre(desk.locator("#site-map"))
    desk.mouse.click(cx + 12, cy + 9)
    point = (float(desk.input_value("#site-lat")), float(desk.input_value("#site-lon")))
    assert point != (site["point"]["lat"], site["point"]["lon"])
    desk.fill("#site-radius", "250")
    desk.locator("#site-radius").dispatch_event("change")
    # A second part east of the land: "add a part", then its corners clicked one by one.
    desk.click("#part-add")
    assert desk.is_checked("#site-form input[value=boundary]")
    assert "还没有顶点" in desk.locator("#boundary-status").inner_text()
    # Corners clicked out of order cross: the API refuses the boundary and stores nothing.
    for dx, dy in ((120, -40), (200, -40), (120, 40), (200, 40)):
        desk.mouse.click(cx + dx, cy + dy)
    desk.locator("#vertices tbody tr").nth(3).wait_for()
    desk.click("#site-save")
    refused = desk.locator('#site-errors li[data-field^="boundary"]')
    refused.wait_for()
    assert refused.inner_text().startswith("边界：")
    with live_server.db() as session:
        assert session.get(Site, site["id"]).version == site["version"]
    desk.click("#vertex-undo")
    desk.click("#vertex-undo")
    for dx, dy in ((200, 40), (120, 40)):
        desk.mouse.click(cx + dx, cy + dy)
    desk.locator("#vertices tbody tr").nth(3).wait_for()
    second = _vertices_shown(desk)
    assert len(second) == 4 and desk.locator("path.site-boundary").count() == 2
    assert "共 2 个部分，正在编辑第 2 部分" in desk.locator("#boundary-status").inner_text()
    assert desk.locator("#part-pick option").count() == 2
    assert_accessible(desk, context="project site editor, two parts")

    desk.click("#site-save")
    desk.get_by_text(f"已保存：现为第 {site['version'] + 1} 版").wait_for()
    with live_server.db() as session:
        stored = session.get(Site, site["id"])
        assert stored.project_id == project["id"] and stored.firm_id is None
        assert stored.version == site["version"] + 1 and stored.radius_m == 250
        assert (to_shape(stored.point).y, to_shape(stored.point).x) == point
        boundary = to_shape(stored.boundary)
        assert boundary.geom_type == "MultiPolygon" and len(boundary.geoms) == 2
        history = _versions_of(session, site["id"])
        assert [v.version for v in history] == list(range(1, site["version"] + 2))
        land = to_shape(history[-2].boundary)
        assert land.geom_type == "Polygon" and history[-2].radius_m == 300
        # The land, sent back as shown (about 1 cm), is kept as stored to the last digit.
        assert list(boundary.geoms[0].exterior.coords) == list(land.exterior.coords)
        assert boundary.geoms[1].equals(Polygon([(lon, lat) for lat, lon in second]))
    answered = api.get(f"/projects/{project['id']}/sites/{site['id']}")
    assert answered["boundary"]["type"] == "MultiPolygon"
    assert desk.locator("#versions tbody tr").first.inner_text().endswith("2 个部分")
    desk.evaluate("document.querySelector('.topbar').style.position = 'static'")
    desk.locator("#site-editor").screenshot(
        path=str(SCREENSHOTS / "console-project-site-editor.png"))
    assert desk.console_errors == []


def _box(lat, lon, west, south, east, north):
    ring = [(west, south), (east, south), (east, north), (west, north), (west, south)]
    return [[round(lon + x, 6), round(lat + y, 6)] for x, y in ring]


def test_one_part_of_a_multipolygon_is_edited_the_others_kept_as_they_were(desk, live_server):
    api = Api(live_server.url, *MANAGER)
    project = api.get("/projects", page_size=20)["items"][1]
    site = api.get(f"/projects/{project['id']}/sites")[0]
    lat, lon = site["point"]["lat"], site["point"]["lon"]
    # Three parts: the land, a yard east of it and a car park west of it (version + 1).
    multi = {"type": "MultiPolygon", "coordinates": [
        site["boundary"]["coordinates"],
        [_box(lat, lon, 0.0012, -0.0004, 0.0024, 0.0004)],
        [_box(lat, lon, -0.0024, -0.0004, -0.0012, 0.0004)]]}
    before = api.patch(f"/projects/{project['id']}/sites/{site['id']}", {"boundary": multi})
    yard, car_park = (shape({"type": "Polygon", "coordinates": c})
                      for c in before["boundary"]["coordinates"][1:])
    with live_server.db() as session:
        land = to_shape(session.get(Site, site["id"]).boundary).geoms[0]
    log_in(desk, live_server.url, f"registry?project={project['id']}", *MANAGER)
    desk.locator("#versions tbody tr").first.wait_for()
    assert desk.locator("#versions tbody tr").first.inner_text().endswith("3 个部分")
    assert desk.locator("path.site-boundary").count() == 3
    assert desk.locator(".vertex-handle").count() == 4   # the first part's only
    assert "共 3 个部分，正在编辑第 1 部分" in desk.locator("#boundary-status").inner_text()

    # A click on the dashed yard picks it; it adds no vertex and leaves the point.
    desk.check("#site-form input[value=boundary]")
    desk.mouse.click(*_centre(desk.locator("path.site-part").first))
    desk.locator("path.site-part-active").wait_for()
    assert "正在编辑第 2 部分" in desk.locator("#boundary-status").inner_text()
    assert desk.locator("#vertices tbody tr").count() == 4
    assert (float(desk.input_value("#site-lat")), float(desk.input_value("#site-lon"))) == (
        round(lat, 6), round(lon, 6))
    yard_shown = _vertices_shown(desk)
    assert Polygon([(x, y) for y, x in yard_shown]).equals(yard)

    # Drag the yard's first corner out, then delete its third.
    handle = desk.locator(".vertex-handle").first
    hx, hy = _centre(handle)
    desk.mouse.move(hx, hy)
    desk.mouse.down()
    desk.mouse.move(hx + 15, hy - 25, steps=5)
    desk.mouse.up()
    desk.locator("#vertices tbody tr").first.filter(
        has_not_text=f"{yard_shown[0][0]:.6f}").wait_for()
    desk.get_by_role("button", name="删除顶点 3").click()
    yard_edited = _vertices_shown(desk)
    assert len(yard_edited) == 3 and yard_edited[0] != yard_shown[0]
    assert yard_edited[1:] == [yard_shown[1], yard_shown[3]]
    # The car park goes: picked from the list (the way without a mouse), then removed.
    desk.select_option("#part-pick", "2")
    assert "正在编辑第 3 部分" in desk.locator("#boundary-status").inner_text()
    desk.click("#part-remove")
    assert desk.locator("path.site-boundary").count() == 2
    assert desk.locator("#part-pick option").count() == 2
    desk.evaluate("document.querySelector('.topbar').style.position = 'static'")
    desk.locator("#site-editor").screenshot(path=str(SCREENSHOTS / "console-site-parts.png"))

    desk.click("#site-save")
    desk.get_by_text(f"已保存：现为第 {before['version'] + 1} 版").wait_for()
    with live_server.db() as session:
        stored = session.get(Site, site["id"])
        assert stored.version == before["version"] + 1
        parts = list(to_shape(stored.boundary).geoms)
        assert len(parts) == 2
        assert list(parts[0].exterior.coords) == list(land.exterior.coords)  # untouched
        assert parts[1].equals(Polygon([(x, y) for y, x in yard_edited]))
        assert not any(part.intersects(car_park) for part in parts)
        history = _versions_of(session, site["id"])
        assert [v.version for v in history] == list(range(1, before["version"] + 2))
        assert len(to_shape(history[-2].boundary).geoms) == 3
    assert desk.console_errors == []


def test_a_project_without_a_site_gets_its_first_at_its_owner_firms_plant(desk, live_server):
    api = Api(live_server.url, *MANAGER)
    firm = _firm_without_boundary(api)
    project = api.post("/projects", {"name": "新签约储能项目", "org_unit_id": firm["org_unit_id"],
                                     "owner_firm_id": firm["id"]})
    assert project["sites"] == []
    log_in(desk, live_server.url, f"registry?project={project['id']}", *MANAGER)
    desk.locator("#site-none").wait_for()
    assert desk.locator("#site-form").is_hidden() and desk.locator("#site-pick-field").is_hidden()
    desk.fill("#site-new-name", "项目现场")
    desk.click("#site-add")
    desk.get_by_text("已新增站点“项目现场”").wait_for()
    assert desk.locator("#site-none").is_hidden()
    desk.locator("#versions tbody tr").first.wait_for()
    plant = firm["sites"][0]["point"]
    with live_server.db() as session:
        [site] = session.scalars(select(Site).where(Site.project_id == project["id"])).all()
        point = to_shape(site.point)
        assert (site.name, site.version, site.is_active) == ("项目现场", 1, True)
        # The map started at the owner's plant; the site is where the map's centre was.
        assert abs(point.y - plant["lat"]) < 1e-4 and abs(point.x - plant["lon"]) < 1e-4
    assert desk.input_value("#site-lat") == f"{point.y:.6f}"
    assert desk.console_errors == []


def test_the_editor_sends_back_each_part_with_its_holes_and_leaves_empty_parts_out(desk,
                                                                                    live_server):
    log_in(desk, live_server.url, "registry", *MANAGER)
    ring = [[108.7, 34.3], [108.72, 34.3], [108.72, 34.32], [108.7, 34.32], [108.7, 34.3]]
    hole = [[108.705, 34.305], [108.705, 34.31], [108.71, 34.31], [108.71, 34.305],
            [108.705, 34.305]]
    other = [[108.73, 34.3], [108.74, 34.3], [108.74, 34.31], [108.73, 34.3]]
    multi = {"type": "MultiPolygon", "coordinates": [[ring, hole], [other]]}
    got = desk.evaluate("""async ([multi, polygon]) => {
      const m = await import("/console/static/site-boundary.js");
      const parts = m.partsOf(multi);
      const one = m.partsOf(polygon);
      return { multi: m.boundaryGeoJSON(parts), count: parts.length, holes: parts[0].holes.length,
        withEmpty: m.boundaryGeoJSON([...one, { vertices: [], holes: [] }]),
        none: m.boundaryGeoJSON([{ vertices: [], holes: [] }]), nothing: m.partsOf(null) };
    }""", [multi, {"type": "Polygon", "coordinates": [ring, hole]}])
    assert got["multi"] == multi and (got["count"], got["holes"]) == (2, 1)
    assert got["withEmpty"] == {"type": "Polygon", "coordinates": [ring, hole]}
    assert got["none"] is None and got["nothing"] == []


def seed(app):
    """The county manager can log in."""
    seed_county_manager(app)
