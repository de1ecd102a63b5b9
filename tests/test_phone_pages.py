"""What fieldapp serves for the phone app: the page, its manifest and its service worker."""

import re

from fieldapp.web.phone import _shell_files


def test_the_app_page_is_served_under_a_strict_policy_with_its_modules_announced(client):
    resp = client.get("/app/")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    html = resp.get_data(as_text=True)
    preloaded = re.findall(r'<link rel="modulepreload" href="([^"]+)"', html)
    assert "/app/static/outbox.js" in preloaded and "/web/static/session.js" in preloaded
    assert any(p.endswith("/idb-8.0.4/index.js") for p in preloaded)
    for path in preloaded:
        assert client.get(path).status_code == 200, path
    assert client.get("/app").status_code in (301, 308)  # to /app/


def test_the_manifest_installs_the_app_under_app(client):
    resp = client.get("/app/manifest.webmanifest")
    assert resp.mimetype == "application/manifest+json"
    manifest = resp.get_json()
    assert manifest["start_url"] == "/app/" and manifest["scope"] == "/app/"
    assert manifest["name"] == "企业服务走访"
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_the_service_worker_caches_the_shell_only_and_changes_with_it(client, monkeypatch):
    resp = client.get("/app/sw.js")
    assert resp.mimetype == "text/javascript" and resp.headers["Cache-Control"] == "no-cache"
    text = resp.get_data(as_text=True)
    shell = re.search(r"const SHELL = (\[.*?\]);", text)[1]
    for url, _path in _shell_files():
        assert f'"{url}"' in shell
        assert client.get(url).status_code == 200, url
    assert "/api/" not in shell
    # The e-credential screen is kept too, so it opens at a gate without a connection.
    assert '"/app/credential"' in shell and client.get("/app/credential").status_code == 200
    version = re.search(r'const VERSION = "(\w+)"', text)[1]
    files = _shell_files()
    changed = [(url, path) for url, path in files]
    changed[0] = (changed[0][0] + "?v2", changed[0][1])
    monkeypatch.setattr("fieldapp.web.phone._shell_files", lambda: changed)
    again = client.get("/app/sw.js").get_data(as_text=True)
    assert re.search(r'const VERSION = "(\w+)"', again)[1] != version
