"""The phone app at ``/app/`` for commissioners and butlers (DESIGN §10).

One page (``templates/phone/app.html``) and one small module per screen under
``static/screens/``; everything it knows comes from ``/api/v1``. Visits go through an outbox in
IndexedDB (``static/outbox.js``) that keeps each one, with its photos, until the server has it.
The service worker (``/app/sw.js``) only caches the app shell so the app opens offline where
service workers exist; the outbox works without it (iOS WeChat has none).
"""

import hashlib
from pathlib import Path

from flask import Blueprint, current_app, render_template

from fieldapp.web.vendor import static_path

STATIC = Path(__file__).resolve().parent / "static"
NOT_MODULES = {"leaflet.js", "app.js"}  # a classic script loaded on demand; the entry point
# What the e-credential page (/app/credential) loads besides the shared files.
CREDENTIAL_FILES = ["credential.js", "timeline.js", "login.js", "firm.css"]
blp = Blueprint("phone", __name__, url_prefix="/app", template_folder="templates",
                static_folder="static", static_url_path="/static")


@blp.route("/")
def app_shell():
    """The app: every screen is drawn by its script from the API's answers."""
    # Every module is announced in the page, so the browser fetches them all at once instead
    # of discovering them import by import (one round trip each on a slow network).
    modules = [url for url, path in _shell_files()
               if path.suffix == ".js" and url.rsplit("/", 1)[-1] not in NOT_MODULES
               and not url.startswith("/web/firm/")]
    return render_template("phone/app.html", idb=static_path("idb"),
                           leaflet=static_path("leaflet"), modules=modules,
                           batch_max=current_app.config["VISIT_BATCH_MAX"])


def _shell_files() -> list[tuple[str, Path]]:
    """(URL, file) of everything the app needs to open offline."""
    web = Path(__file__).resolve().parent.parent
    vendor = web.parent / "static"
    files = [(f"/app/static/{p.relative_to(STATIC).as_posix()}", p)
             for p in sorted(STATIC.rglob("*")) if p.is_file()]
    files += [(f"/web/static/{p.name}", p) for p in sorted((web / "static").glob("*"))
              if p.suffix in {".js", ".css"} and p.name != "api-docs.js"]
    # The e-credential screen (/app/credential, served by the firm pages) opens offline too.
    firm_static = web / "firm" / "static"
    files += [(f"/web/firm/static/{name}", firm_static / name)
              for name in CREDENTIAL_FILES]
    for package, names in (("idb", ["index.js"]), ("leaflet", ["leaflet.js", "leaflet.css"])):
        folder = static_path(package)
        files += [(f"/static/{folder}/{name}", vendor / folder / name) for name in names]
    return files


@blp.route("/sw.js")
def service_worker():
    """The service worker, served from /app/ so its scope is the app."""
    files = _shell_files()
    digest = hashlib.sha256()
    for url, path in files:
        digest.update(url.encode() + path.read_bytes())
    # The page itself is language-specific and cached as the user last saw it.
    body = render_template("phone/sw.js", version=digest.hexdigest()[:16],
                           shell=["/app/", "/app/credential", *(url for url, _ in files)])
    return body, 200, {"Content-Type": "text/javascript; charset=utf-8",
                       "Cache-Control": "no-cache"}


@blp.route("/manifest.webmanifest")
def manifest():
    """The PWA manifest (install to the home screen)."""
    from fieldapp.web.i18n import t

    return {
        "name": t("phone.app_name"), "short_name": t("phone.app_short_name"),
        "start_url": "/app/", "scope": "/app/", "display": "standalone",
        "background_color": "#f3f5f8", "theme_color": "#1a4f8b", "lang": "zh-CN",
        "icons": [{"src": "/app/static/icon-192.png", "sizes": "192x192", "type": "image/png"},
                  {"src": "/app/static/icon-512.png", "sizes": "512x512", "type": "image/png"}],
    }, 200, {"Content-Type": "application/manifest+json"}
