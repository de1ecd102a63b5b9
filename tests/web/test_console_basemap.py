"""The maps' base layer: GCJ-02 tiles from a tile server of the test's own, the CSP letting
exactly it in, and a firm drawn where GCJ-02 puts it on those tiles (checked against geo)."""

import math
import random
import re
import struct
import threading
import zlib
from datetime import date

import pytest
from geoalchemy2.shape import from_shape
from playwright.sync_api import expect
from shapely.geometry import Point
from sqlalchemy import select
from werkzeug.serving import make_server

from fieldapp.demo.registry import make_uscc
from fieldapp.extensions import db
from geo.crs import wgs84_to_gcj02
from models import Assignment, Firm, OrgUnit, Site, User
from tests.web.browser import assert_accessible, shot
from tests.web.console_support import (
    Api,
    desk_page,  # noqa: F401  (the desk fixture)
    log_in,
)

MANAGER = ("manager", "fieldapp-manager")
FIRM = (34.3412, 108.9398)  # WGS-84; GCJ-02 puts it some 500 m away
TILE = re.compile(r"/tiles/(\d+)/(\d+)/(\d+)\.png$")


def _png() -> bytes:
    """A 256×256 light grey PNG, made by hand (nothing here needs an image library)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\xdd" * 256 for _ in range(256))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 256, 256, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def tiles():
    """A tile server on another origin (its own port), remembering what it was asked for."""
    requested, png = [], _png()

    def serve(environ, start_response):
        requested.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "image/png")])
        return [png]

    server = make_server("127.0.0.1", 0, serve, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", requested
    server.shutdown()
    thread.join(10)


@pytest.fixture(scope="module")
def live_config(tiles):
    origin, _ = tiles
    return {"MAP_TILE_URL": origin + "/tiles/{z}/{x}/{y}.png", "MAP_TILE_CRS": "gcj02",
            "MAP_TILE_ATTRIBUTION": "© 测试底图 <b>"}


def seed(app):
    """A park of its own holding one firm, due monthly, so the map zooms onto that firm."""
    city = db.session.scalar(select(OrgUnit).where(OrgUnit.parent_id.is_(None)))
    park = OrgUnit(code="BASEMAP", name="底图测试园区", kind="park", parent_id=city.id)
    db.session.add(park)
    db.session.flush()
    park.path = f"{city.path}{park.id}/"
    firm = Firm(uscc=make_uscc(random.Random(7), "610402"), name="底图企业",
                org_unit_id=park.id)
    db.session.add(firm)
    db.session.flush()
    db.session.add(Site(firm_id=firm.id, name="厂区", radius_m=150.0, version=1,
                        point=from_shape(Point(FIRM[1], FIRM[0]), srid=4326)))
    holder = db.session.scalar(select(User).where(User.username == "commissioner"))
    db.session.add(Assignment(user_id=holder.id, firm_id=firm.id, org_unit_id=park.id,
                              cadence="monthly", starts_on=date(2026, 1, 1)))
    db.session.commit()


def _pixel(lat, lon, zoom):
    """Web Mercator pixel of (lat, lon) at ``zoom`` in the whole world's 256·2^z square."""
    world = 256 * 2 ** zoom
    rad = math.radians(lat)
    return ((lon + 180) / 360 * world,
            (1 - math.log(math.tan(rad) + 1 / math.cos(rad)) / math.pi) / 2 * world)


def _assert_drawn_at(page, selector, wgs84):
    """The centre of ``selector`` lies where GCJ-02 puts ``wgs84`` on the loaded tiles (each
    tile's own place and scale on screen, so fractional zooms count), and far from where the
    unshifted position would be."""
    box = page.locator(selector).bounding_box()
    at = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    drawn = page.evaluate("""() => [...document.querySelectorAll("img.leaflet-tile-loaded")]
        .map((img) => { const r = img.getBoundingClientRect();
                        return { src: img.src, x: r.left, y: r.top, size: r.width }; })""")
    zoom = max(int(TILE.search(t["src"]).group(1)) for t in drawn)
    checked = 0
    for tile in drawn:
        z, x, y = map(int, TILE.search(tile["src"]).groups())
        if z != zoom:
            continue

        def on_screen(lat, lon, tile=tile, x=x, y=y):
            px, py = _pixel(lat, lon, zoom)
            scale = tile["size"] / 256
            return tile["x"] + (px - 256 * x) * scale, tile["y"] + (py - 256 * y) * scale

        assert math.dist(at, on_screen(*wgs84_to_gcj02(*wgs84))) < 2, (selector, at)
        assert math.dist(at, on_screen(*wgs84)) > 20  # the shift is tens of pixels or more
        checked += 1
    assert checked


def test_the_display_shift_is_geos_wgs84_to_gcj02(desk, live_server):
    desk.goto(f"{live_server.url}/console/coverage")
    points = [(lat / 10, lon / 10) for lat in range(0, 600, 37) for lon in range(700, 1400, 53)]
    points += [(0.8293, 72.004), (55.8271, 137.8347), (0.8, 100.0), (40.0, 140.0)]
    shifted = desk.evaluate("""async (points) => {
        const { wgs84ToGcj02 } = await import("/console/static/gcj02.js");
        return points.map(([lat, lon]) => wgs84ToGcj02(lat, lon));
    }""", points)
    for (lat, lon), (glat, glon) in zip(points, shifted, strict=True):
        want = wgs84_to_gcj02(lat, lon)
        assert abs(glat - want[0]) < 1e-12 and abs(glon - want[1]) < 1e-12, (lat, lon)


def test_gcj02_tiles_load_from_the_tile_server_and_the_firm_is_drawn_shifted(
        desk, live_server, tiles):
    origin, requested = tiles
    log_in(desk, live_server.url, "coverage", *MANAGER)
    policy = desk.evaluate("async () => (await fetch(location.href)).headers"
                           ".get('content-security-policy')")
    assert f"img-src 'self' data: blob: {origin}" in policy
    desk.locator("#coverage-legend li").first.wait_for()
    desk.fill("#c-period", "2026-11")
    desk.select_option("#c-unit", label="底图测试园区")
    desk.click("#coverage-filter button[type=submit]")
    expect(desk.locator("path.firm")).to_have_count(1)  # the park's one firm, not the city's
    desk.wait_for_load_state("networkidle")
    desk.locator("img.leaflet-tile-loaded").first.wait_for()
    assert any(TILE.search(path) for path in requested)
    assert "测试底图 <b>" in desk.locator(".leaflet-control-attribution").inner_text()

    _assert_drawn_at(desk, "path.firm", FIRM)
    shot(desk, "console-coverage-basemap")
    assert_accessible(desk, context="coverage map on GCJ-02 tiles")
    assert desk.console_errors == []


def test_the_review_map_draws_the_site_and_the_fix_shifted_onto_gcj02_tiles(desk, live_server):
    api = Api(live_server.url, *MANAGER)
    far = next(v for v in api.get("/visits", status="needs_review", page_size=100)["items"]
               if v["verification"]["verdict"] == "out_of_range")
    site = api.get(f"/firms/{far['firm_id']}/sites/{far['verification']['site_id']}")
    log_in(desk, live_server.url, f"review?visit={far['id']}", *MANAGER)
    desk.locator("path.ev-fix-point").wait_for()
    desk.wait_for_load_state("networkidle")
    desk.locator("img.leaflet-tile-loaded").first.wait_for()
    fix = far["verification"]["position_wgs84"]
    _assert_drawn_at(desk, "path.ev-fix-point", (fix["lat"], fix["lon"]))
    _assert_drawn_at(desk, "path.ev-site-point", (site["point"]["lat"], site["point"]["lon"]))
    assert desk.console_errors == []
