"""Shared pieces of the console's browser tests: a desktop page, log-in, the API beside it."""

import json
import urllib.request

import pytest
from sqlalchemy import select

from fieldapp.auth.passwords import hash_password
from fieldapp.extensions import db
from models import User

DESKTOP = {"width": 1366, "height": 900}
COUNTY_MANAGER = ("manager1", "county-manager-pass-1")  # the demo's 三原县 manager


def seed_county_manager(app) -> None:
    """The demo's county managers cannot log in; give the first one a password."""
    user = db.session.scalar(select(User).where(User.username == COUNTY_MANAGER[0]))
    user.password_hash = hash_password(COUNTY_MANAGER[1])
    db.session.commit()


@pytest.fixture(name="desk")
def desk_page(browser, live_server):
    """A desktop-sized page (the console is desktop first), failing on console errors."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  accept_downloads=True)
    page = context.new_page()
    errors = []
    # The log-in page's first refresh is a 401 by design (no cookie yet): resource statuses are
    # not errors of the page; script errors and CSP violations are.
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error"
            and not msg.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors
    yield page
    context.close()


def log_in(page, base: str, path: str, username: str, password: str) -> None:
    """Open a console page and log in through its form."""
    page.goto(f"{base}/console/{path}")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#log-in button[type=submit]")
    page.wait_for_selector("#page:not([hidden])")


class Api:
    """The API as one user, beside the browser, to compare what pages show with what it says."""

    def __init__(self, base: str, username: str, password: str):
        self.base = base
        self.token = self._call("POST", "/auth/token",
                                {"username": username, "password": password})["access_token"]

    def _call(self, method, path, body=None, query=None):
        url = f"{self.base}/api/v1{path}"
        if query:
            url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        request = urllib.request.Request(url, method=method, data=json.dumps(body).encode()
                                         if body is not None else None)
        request.add_header("Content-Type", "application/json")
        if getattr(self, "token", None):
            request.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(request, timeout=30) as resp:
            return json.loads(resp.read())

    def get(self, path, **query):
        return self._call("GET", path, query=query)

    def post(self, path, body):
        return self._call("POST", path, body)

    def patch(self, path, body):
        return self._call("PATCH", path, body)


def percent(rate) -> str:
    """As the pages show a rate."""
    return "—" if rate is None else f"{rate * 100:.1f}%"
