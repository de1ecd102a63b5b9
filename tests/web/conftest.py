"""Browser tests: a live fieldapp per test module, Debian's chromium driven by Playwright.

- ``live_server`` (one per module and backend): fieldapp on a real database (a SpatiaLite copy of
  the migrated template, or the run's PostGIS database emptied), seeded with the demo data
  (its six log-ins work), serving on a free port in a thread of the test process. Tests read
  what the server stored with ``live_server.db()`` (an app context on the same database).
- One browser per session (pytest-playwright's ``browser``), launched from
  ``/usr/bin/chromium``: Playwright cannot download one here. A missing browser FAILS the run.
- Each test gets a fresh context (``context``/``page``) with a phone viewport, zh-CN, the
  Asia/Shanghai time zone and the geolocation permission (tests move the position with
  ``context.set_geolocation``).
- ``shot(page, name)`` saves a screenshot to ``tests/web/screenshots/`` (or
  ``$FIELDAPP_SCREENSHOT_DIR``); ``assert_accessible(page)`` runs axe-core (vendored) and fails
  on serious or critical violations.
"""

import contextlib
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from fieldapp import create_app
from fieldapp.demo import load_demo
from fieldapp.extensions import db

CHROMIUM = os.environ.get("FIELDAPP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]
PHONE = {"width": 390, "height": 844}
XIANYANG = {"latitude": 34.33, "longitude": 108.71, "accuracy": 10}


@dataclass
class LiveServer:
    url: str
    app: Flask

    @contextlib.contextmanager
    def db(self):
        """An app context on the server's database, for reading what it stored."""
        with self.app.app_context():
            try:
                yield db.session
            finally:
                db.session.remove()


def _module_database(backend, request, tmp_path_factory) -> str:
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("web-db") / "fieldapp.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    from tests.conftest import _truncate_all

    url = request.getfixturevalue("postgres_url")
    _truncate_all(url)
    return url


@pytest.fixture(scope="module")
def live_config():
    """Settings of the module's live server beyond the usual (a module overrides this)."""
    return {}


@pytest.fixture(scope="module")
def live_server(backend, request, tmp_path_factory, live_config):
    """fieldapp with the demo data, serving on 127.0.0.1 and a free port, for one module.

    A module may define ``seed(app)`` (run in an app context after the demo data) for more,
    and a ``live_config`` fixture for settings of its own.
    """
    url = _module_database(backend, request, tmp_path_factory)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "web-test-secret-" + "x" * 32,
                      "REDIS_URL": "", "PHOTO_DIR": str(tmp_path_factory.mktemp("photos")),
                      **live_config})
    with app.app_context():
        load_demo()
        seed = getattr(request.module, "seed", None)
        if seed:
            seed(app)
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        thread.join(10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser_type_launch_args():
    """Debian's chromium; the run fails when it is missing (never skipped)."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no browser at {CHROMIUM}: install Debian's chromium (the test command "
                    "from the README does) or set FIELDAPP_CHROMIUM", pytrace=False)
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args():
    return {"viewport": PHONE, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
            "locale": "zh-CN", "timezone_id": "Asia/Shanghai", "geolocation": XIANYANG,
            "permissions": ["geolocation"]}


@pytest.fixture
def page(context, live_server):
    """A page in a fresh context whose relative URLs go to the live server. Its console errors
    are kept in ``page.console_errors`` (a test may expect some: a refused call logs one);
    the test fails at the end on any Content-Security-Policy violation or uncaught error."""
    page = context.new_page()
    errors, uncaught = [], []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: (errors.append(str(exc)), uncaught.append(str(exc))))
    page.console_errors = errors
    page.base = live_server.url
    yield page
    assert [e for e in errors if "Content Security Policy" in e] == [], "CSP violated"
    assert uncaught == [], "uncaught errors in the page"
