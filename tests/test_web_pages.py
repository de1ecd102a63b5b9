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
