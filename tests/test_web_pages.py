"""What every web page gets from fieldapp.web: security headers, language, the API docs."""

import re

import pytest


def test_html_pages_carry_a_strict_content_security_policy(client):
    resp = client.get("/api/docs")
    assert resp.status_code == 200
    policy = dict(part.strip().split(" ", 1)
                  for part in resp.headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'"  # no inline script, no eval
    assert "unsafe" not in resp.headers["Content-Security-Policy"]
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert policy["default-src"] == "'self'"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_pages_hold_no_inline_script(client):
    html = client.get("/api/docs").get_data(as_text=True)
    for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        assert "src=" in attributes or 'type="application/json"' in attributes
        assert not body.strip() or 'type="application/json"' in attributes


def test_api_responses_are_not_sniffed_and_carry_no_page_policy(client):
    resp = client.get("/api/openapi.json")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in resp.headers


def test_the_api_docs_load_swagger_ui_from_the_vendored_files(client):
    html = client.get("/api/docs").get_data(as_text=True)
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts and all(s.startswith("/") for s in scripts)
    assert any("/static/vendor/swagger-ui-dist-" in s for s in scripts)
    for path in scripts + re.findall(r'<link rel="stylesheet" href="([^"]+)"', html):
        assert client.get(path).status_code == 200, path


def test_extra_image_origins_for_map_tiles_come_from_the_settings(app_config, request):
    app_config["WEB_CSP_IMG_SRC"] = "https://t0.tianditu.gov.cn"
    client = request.getfixturevalue("client")
    policy = client.get("/api/docs").headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob: https://t0.tianditu.gov.cn" in policy


@pytest.mark.parametrize(("accept", "lang"), [
    (None, "zh-CN"), ("zh-CN,zh;q=0.9", "zh-CN"), ("zh-TW", "zh-CN"),
    ("en-US,en;q=0.9", "en"), ("fr-FR", "zh-CN"), ("en;q=0.5,zh;q=0.8", "zh-CN"),
])
def test_the_language_is_chinese_unless_the_browser_prefers_english(app, accept, lang):
    from fieldapp.web.i18n import current_language

    headers = {"Accept-Language": accept} if accept else {}
    with app.test_request_context("/", headers=headers):
        assert current_language() == lang


def test_without_a_base_map_the_console_draws_plain_and_the_csp_allows_no_tile_host(client):
    resp = client.get("/console/coverage")
    assert "data-tiles-url" not in resp.get_data(as_text=True)
    policy = dict(part.strip().split(" ", 1)
                  for part in resp.headers["Content-Security-Policy"].split(";"))
    assert policy["img-src"] == "'self' data: blob:"


def test_a_base_map_setting_reaches_the_console_and_lets_exactly_its_tile_hosts_in(
        app_config, request):
    app_config.update(MAP_TILE_URL="https://t{s}.tianditu.gov.cn/vec_w/wmts?x={x}&y={y}&l={z}",
                      MAP_TILE_SUBDOMAINS="01", MAP_TILE_ATTRIBUTION="© 天地图",
                      MAP_TILE_CRS="CGCS2000")
    resp = request.getfixturevalue("client").get("/console/coverage")
    policy = resp.headers["Content-Security-Policy"]
    assert ("img-src 'self' data: blob: https://t0.tianditu.gov.cn https://t1.tianditu.gov.cn;"
            in policy)
    html = resp.get_data(as_text=True)
    assert 'data-tiles-url="https://t{s}.tianditu.gov.cn/vec_w/wmts?x={x}&amp;y={y}&amp;l={z}"' \
        in html
    assert 'data-tiles-crs="wgs84"' in html and 'data-tiles-attribution="© 天地图"' in html


@pytest.mark.parametrize(("setting", "named"), [
    ({"MAP_TILE_CRS": "bd09"}, "MAP_TILE_CRS"),
    ({"MAP_TILE_URL": "https://tiles.example.cn/{z}/{x}.png"}, "MAP_TILE_URL"),
    ({"MAP_TILE_URL": "tiles/{z}/{x}/{y}.png"}, "MAP_TILE_URL"),
])
def test_a_base_map_that_could_not_draw_is_refused_at_start_up(app_config, setting, named):
    from fieldapp import create_app
    from fieldapp.web.basemap import BaseMapSettingError

    with pytest.raises(BaseMapSettingError, match=named):
        create_app({**app_config, **setting})
