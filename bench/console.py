"""Console benchmark: the overview and visit-rate pages' server time, and the coverage map's
drawing time, on the visit-rate benchmark's synthetic province, in headless Chromium.

Data: as ``bench/visit_rate.py`` builds it (a province of 10 cities × 10 counties, ``--firms``
firms each assigned to a commissioner of its county, 3 months of visits, slots rebuilt, VACUUM
ANALYZE), plus ``--county-firms`` more firms in one county, each with a site (a point within
about 30 km of the county seat), so that county's coverage map has ≈ 10^4 firms.

fieldapp serves in this process (werkzeug, threaded); a WSGI wrapper times every ``/api/v1``
request inside the server. Debian's chromium (Playwright) opens, as a city's manager (the
county's city, ≈ 10 % of the province) and as the province admin:

- ``/console/`` (overview) until its figures, table and trend are drawn;
- ``/console/visit-rate?period=2026-11`` until the report table is drawn;
- (as the admin) ``/console/coverage``, then the county and 2026-12 chosen and 显示 pressed,
  until the legend (written after the last marker) shows and a frame is painted. Measured:
  from the press to that frame (the request's server time, transfer and JSON parse, and
  Leaflet's drawing), and from the response's end to that frame.

For the two pages, "server time" is the sum of the server's time for every API request the page
made (as the page makes them: the same queries, in the same order and concurrency), and "on
screen" the wall time from navigation to the page drawn. Median of ``--repeat`` runs after one
warm-up.

Run:
    .venv/bin/python bench/console.py --backend postgresql --firms 100000 --staff 500 \
        --visits-per-month 40000 --county-firms 10000
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import random
import statistics
import sys
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime

from playwright.sync_api import sync_playwright
from shapely.geometry import Point
from sqlalchemy import create_engine, select, text
from werkzeug.serving import make_server

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from registry import PASSWORD, PG_ADMIN, province
from visit_rate import (
    REPORT_MONTH,
    TABLES,
    month_start,
    seed_assignments,
    seed_registry,
    seed_visits,
    settle,
)

from fieldapp import create_app, migrate
from fieldapp.auth.passwords import hash_password
from fieldapp.extensions import db
from fieldapp.stats import slots
from models import Firm, OrgUnit, Site, User
from models.bulk import insert_rows, refresh_statistics
from models.database import engine_options, prepare_engine

CHROMIUM = "/usr/bin/chromium"
PERIOD = f"{REPORT_MONTH:%Y-%m}"
MAP_PERIOD = "2026-12"  # the map's default (this month): every cadence has a slot due in it
DATABASE = "fieldapp_bench_console"  # not visit_rate's: both may run at once


def fresh_database(backend: str, name: str) -> str:
    if backend == "sqlite":
        import tempfile
        url = "sqlite:///" + os.path.join(tempfile.mkdtemp(prefix="fieldapp-console-"), "b.db")
    else:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    engine = create_engine(url, **engine_options(url))
    prepare_engine(engine)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def seed(args, rng) -> int:
    """The province and its data; returns the id of the county with the map's firms."""
    _admin, seats = province(rng)
    counties = db.session.scalars(select(OrgUnit).where(OrgUnit.kind == "county")
                                  .order_by(OrgUnit.id)).all()
    t = time.perf_counter()
    firms, sites = seed_registry(rng, counties, args.firms, args.staff)
    county = counties[0]
    now = datetime.now(UTC)
    holders = sorted({uid for _fid, unit, uid in firms if unit == county.id})
    rows = [{"uscc": f"92{i:016d}", "uscc_checksum_ok": True, "name": f"县企业{i}",
             "address": None, "industry": None, "org_unit_id": county.id, "contacts": [],
             "status": "active", "closed_at": None, "created_at": now, "updated_at": now}
            for i in range(args.county_firms)]
    extra = [(fid, county.id, rng.choice(holders)) for fid in insert_rows(
        db.session.connection(), Firm.__table__, rows, return_ids=True)]
    firms += extra
    seat = next((lat, lon) for code, lat, lon in seats if code == county.code)
    insert_rows(db.session.connection(), Site.__table__, [
        {"firm_id": fid, "project_id": None, "name": "厂区",
         "point": Point(seat[1] + rng.uniform(-.3, .3), seat[0] + rng.uniform(-.25, .25)),
         "boundary": None, "radius_m": 150.0, "version": 1, "is_active": True,
         "created_at": now, "updated_at": now} for fid, _unit, _uid in extra])
    users_by_unit = defaultdict(set)
    for _fid, unit, uid in firms:
        users_by_unit[unit].add(uid)
    seed_assignments(rng, firms, {k: sorted(v) for k, v in users_by_unit.items()},
                     month_start(REPORT_MONTH, 2))
    serial = [0]
    for back in range(2, -1, -1):
        seed_visits(rng, firms, sites, month_start(REPORT_MONTH, back), args.visits_per_month,
                    serial)
    refresh_statistics(db.session.connection(), TABLES)
    db.session.commit()
    written = slots.rebuild(db.session.connection(), slots.quarter_end(REPORT_MONTH))
    db.session.commit()
    settle()
    print(f"seeded {len(firms):,} firms, {written:,} slots in {time.perf_counter() - t:.0f} s",
          flush=True)
    return county.id


class ServerClock:
    """WSGI wrapper: the server's own time per /api/v1 request, until the body is sent."""

    def __init__(self, app):
        self.app, self.calls, self.lock = app, [], threading.Lock()

    def __call__(self, environ, start_response):
        t = time.perf_counter()
        body = list(self.app(environ, start_response))  # the body is built here
        if environ["PATH_INFO"].startswith("/api/v1/") and "auth/session" not in \
                environ["PATH_INFO"]:
            with self.lock:
                self.calls.append((environ["PATH_INFO"] + "?" + environ["QUERY_STRING"],
                                   (time.perf_counter() - t) * 1000))
        return body

    def take(self) -> list:
        with self.lock:
            calls, self.calls = self.calls, []
        return calls


def page_runs(page, clock, base, path, ready, repeat) -> None:
    server, screen, per_call = [], [], defaultdict(list)
    for i in range(repeat + 1):
        clock.take()
        t = time.perf_counter()
        page.goto(base + path)
        try:
            ready(page)
        except Exception:
            print(f"!! {path}: {page.locator('#page-error').inner_text()}; calls so far:")
            for call, ms in clock.take():
                print(f"   {ms:8.1f} ms  {call}")
            raise
        elapsed = (time.perf_counter() - t) * 1000
        calls = clock.take()
        if i:  # the first run warms caches
            server.append(sum(ms for _, ms in calls))
            screen.append(elapsed)
            for call, ms in calls:
                per_call[call].append(ms)
    print(f"## {path}: server time {statistics.median(server):.0f} ms (sum of "
          f"{len(per_call)} API calls), on screen {statistics.median(screen):.0f} ms "
          f"(medians of {repeat})")
    for call, times in sorted(per_call.items(), key=lambda c: -statistics.median(c[1])):
        print(f"   {statistics.median(times):8.1f} ms  {call}")


def coverage_runs(page, clock, base, county, repeat) -> None:
    page.goto(base + "/console/coverage")
    page.locator("#coverage-legend li").first.wait_for(timeout=120_000)
    totals, drawing, server, n = [], [], [], 0
    for i in range(repeat + 1):
        page.select_option("#c-unit", "")
        page.fill("#c-period", "2026-10")  # another view first, so each run redraws
        page.click("#coverage-filter button[type=submit]")
        page.get_by_text("2026-10").first.wait_for(timeout=120_000)
        page.fill("#c-period", MAP_PERIOD)
        page.select_option("#c-unit", str(county))
        page.evaluate("""() => {
            window.benchResponse = null;
            new PerformanceObserver((list) => {
                for (const e of list.getEntries()) {
                    if (e.name.includes("coverage.geojson")) window.benchResponse = e.responseEnd;
                }
            }).observe({ type: "resource" });
        }""")
        clock.take()
        start = page.evaluate("() => performance.now()")
        page.click("#coverage-filter button[type=submit]")
        page.get_by_text(MAP_PERIOD).first.wait_for(timeout=120_000)
        page.wait_for_function("() => window.benchResponse !== null")
        # Drawn: the browser has painted a frame after the last marker went in.
        done = page.evaluate("() => new Promise((ok) => requestAnimationFrame(() => "
                             "setTimeout(() => ok(performance.now()), 0)))")
        response_end = page.evaluate("() => window.benchResponse")
        n = page.locator("#legend-title").inner_text()
        if i:
            totals.append(done - start)
            drawing.append(done - response_end)
            server.append(sum(ms for call, ms in clock.take() if "coverage" in call))
    print(f"## coverage map, one county ({n}): press → drawn "
          f"{statistics.median(totals):.0f} ms; of which server "
          f"{statistics.median(server):.0f} ms, response end → drawn (parse + Leaflet + paint) "
          f"{statistics.median(drawing):.0f} ms")


def logged_in_page(browser, base, username):
    context = browser.new_context(viewport={"width": 1366, "height": 900},
                                  locale="zh-CN", timezone_id="Asia/Shanghai")
    resp = context.request.post(f"{base}/api/v1/auth/session",
                                data={"username": username, "password": PASSWORD},
                                headers={"X-Fieldapp-CSRF": "1", "Origin": base})
    assert resp.ok, resp.text()
    page = context.new_page()
    page.set_default_timeout(120_000)
    return page


def city_manager(county: int) -> None:
    """A manager of the map county's city (a city's overview is what managers open daily)."""
    if db.session.scalar(select(User.id).where(User.username == "bench-city-manager")):
        return
    user = User(username="bench-city-manager", display_name="市管理员",
                org_unit_id=db.session.get(OrgUnit, county).parent_id,
                password_hash=hash_password(PASSWORD))
    user.roles = ["manager"]
    db.session.add(user)
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--staff", type=int, default=500)
    parser.add_argument("--visits-per-month", type=int, default=40_000)
    parser.add_argument("--county-firms", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default=DATABASE,
                        help="the PostgreSQL database to build or reuse (one per engineer "
                             "when several measure at once)")
    parser.add_argument("--no-map", action="store_true",
                        help="skip the coverage map (at 10^6 firms the province admin's default "
                             "map view does not load within the 120 s wait)")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the PostgreSQL database the last run left")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    rng = random.Random(args.seed)
    if not args.database.startswith("fieldapp_bench"):
        # The build drops the database first: never one that is not a benchmark's own.
        parser.error("--database must start with fieldapp_bench (the build drops it first)")
    url = (PG_ADMIN.rsplit("/", 1)[0] + "/" + args.database) if args.reuse else \
        fresh_database(args.backend, args.database)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 40, "REDIS_URL": "",
                      "LOG_LEVEL": "WARNING"})
    print(f"# {platform.node()} {platform.machine()} {os.cpu_count()} cpu, python "
          f"{platform.python_version()}, backend {args.backend}; {args.firms:,} firms "
          f"+ {args.county_firms:,} in one county, {args.staff:,} staff, "
          f"{args.visits_per_month:,} visits/month; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    with app.app_context():
        county = db.session.scalars(select(OrgUnit.id).where(OrgUnit.kind == "county")
                                    .order_by(OrgUnit.id)).first() if args.reuse \
            else seed(args, rng)
        city_manager(county)
        db.session.remove()
    clock = ServerClock(app.wsgi_app)
    app.wsgi_app = clock
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        def overview_ready(p):
            p.locator('[data-figure="issues_overdue"]').wait_for()
            p.locator("#trend-chart canvas").wait_for()
            p.wait_for_load_state("networkidle")

        def rate_ready(p):
            p.locator("#rate-table table tbody tr").first.wait_for()
            p.wait_for_load_state("networkidle")

        for username in ("bench-city-manager", "bench-admin"):
            print(f"# as {username}")
            page = logged_in_page(browser, base, username)
            page_runs(page, clock, base, "/console/", overview_ready, args.repeat)
            page_runs(page, clock, base, f"/console/visit-rate?period={PERIOD}", rate_ready,
                      args.repeat)
        if not args.no_map:
            coverage_runs(page, clock, base, county, args.repeat)
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
