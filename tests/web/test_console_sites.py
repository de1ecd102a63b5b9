"""The registry's firm search and site map editor in a real browser: the nearby search lists what
the API lists, and a boundary drawn on the map is stored as a new geometry version."""

from geoalchemy2.shape import to_shape
from shapely.geometry import Polygon
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


def seed(app):
    """The county manager can log in."""
    seed_county_manager(app)
