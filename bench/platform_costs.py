"""What every request pays: authentication and the session check, serialising a page of 50 on
every list endpoint, and nearby firms through HTTP next to the SQL alone.

One fresh database (``--backend``): the demo data (``fieldapp demo``: staff of every role,
projects, assignments, visits, issues), then ``--firms`` firms of a province imported through
the real path (as ``bench/registry.py`` does). Everything runs in-process through Flask's test
client (no network, no gunicorn), on one run:

- **auth**: ``authenticate()`` (JWT decode, the session/user/unit lookup, the Principal) on a
  connection the request already holds, and the same including the request's connection
  checkout and ``BEGIN`` (what the first statement of any request pays anyway);
- **serialise**: for each list endpoint, ``GET …?page_size=50`` as the demo admin, timing the
  outermost dump (marshmallow's, or the planned one of ``fieldapp.dumping`` for list pages)
  and the JSON encoding of the answer (not the query);
- **nearby**: 1 km around random firm positions, page of 50: the SQL alone (rows as tuples)
  and ``GET /api/v1/firms?near=…`` through the test client as the province admin.

Run: .venv/bin/python bench/platform_costs.py [--backend postgresql|sqlite] [--firms 100000]

(Not ``bench/platform.py``: Python puts a script's folder first on ``sys.path``, so a file of
that name would shadow the standard library's ``platform`` module for every script run from
``bench/``, and numpy and SQLAlchemy import it.)
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import random
import sys
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

import marshmallow  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench.registry import (  # noqa: E402
    PASSWORD,
    csv_files,
    fresh_database,
    percentile,
    principal_of,
    province,
)
from fieldapp import create_app  # noqa: E402
from fieldapp.auth import principal as auth  # noqa: E402
from fieldapp.auth.passwords import DEMO_ACCOUNTS  # noqa: E402
from fieldapp.demo import load_demo  # noqa: E402
from fieldapp.dumping import PlannedSchema  # noqa: E402
from fieldapp.extensions import db  # noqa: E402
from fieldapp.firms.importer import run_import  # noqa: E402
from fieldapp.firms.service import firm_query  # noqa: E402
from fieldapp.jsonprovider import OrjsonProvider  # noqa: E402

LISTS = ["/api/v1/firms", "/api/v1/projects", "/api/v1/assignments", "/api/v1/visits",
         "/api/v1/issues", "/api/v1/users", "/api/v1/org-units", "/api/v1/audit-events"]

_spent = {"serialise": 0.0}
_depth = [0]


def _timed_outermost(fn):
    """Time only the outermost call (a page's dump, not each nested item's)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        _depth[0] += 1
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            _depth[0] -= 1
            if _depth[0] == 0:
                _spent["serialise"] += time.perf_counter() - start
    return wrapper


def token(client, username: str, password: str) -> dict:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert resp.status_code == 200, resp.get_json()
    return {"Authorization": f"Bearer {resp.get_json()['access_token']}"}


def ms(values) -> str:
    return f"p50 {percentile(values, 50):6.3f} ms  p99 {percentile(values, 99):6.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(3)
    url = fresh_database(args.backend)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 40, "REDIS_URL": "",
                      "IMPORT_MAX_BYTES": 1 << 30, "LOG_LEVEL": "WARNING",
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        load_demo()
        admin, seats = province(rng)
        importer = principal_of(admin)
        for raw in csv_files(rng, seats, args.firms, 20_000):
            with app.test_request_context("/bench"):
                run_import(importer, raw.encode(), "csv", "all_or_nothing")
            db.session.expunge_all()
        if args.backend == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        points = [tuple(map(float, row)) for row in db.session.execute(text(
            "SELECT ST_Y(point), ST_X(point) FROM sites ORDER BY random() LIMIT :n"),
            {"n": args.queries}).all()]
    client = app.test_client()
    demo_admin = token(client, "admin", DEMO_ACCOUNTS["admin"])
    province_admin = token(client, "bench-admin", PASSWORD)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"# {platform.node()} {os.cpu_count()} cpu, python {platform.python_version()}, "
          f"backend {args.backend}, {args.firms:,} firms imported + demo data; "
          f"load average at start {load}")

    # --- authentication and the session check ----------------------------------------------
    held, fresh = [], []
    with app.test_request_context("/bench", headers=demo_admin):
        db.session.connection()
        for _ in range(200):
            auth.authenticate()
        for _ in range(3000):
            t = time.perf_counter()
            auth.authenticate()
            held.append((time.perf_counter() - t) * 1000)
        for _ in range(1000):
            db.session.remove()
            t = time.perf_counter()
            auth.authenticate()
            fresh.append((time.perf_counter() - t) * 1000)
        db.session.remove()
    print(f"auth, connection held          {ms(held)}")
    print(f"auth, with checkout and BEGIN  {ms(fresh)}")

    # --- serialising a page of 50 on every list endpoint -----------------------------------
    marshmallow.Schema.dump = _timed_outermost(marshmallow.Schema.dump)
    PlannedSchema.dump = _timed_outermost(PlannedSchema.dump)  # list pages (its own dump)
    OrjsonProvider.response = _timed_outermost(OrjsonProvider.response)
    for path in LISTS:
        times, items = [], 0
        for i in range(60):
            _spent["serialise"] = 0.0
            resp = client.get(path, query_string={"page_size": 50}, headers=demo_admin)
            assert resp.status_code == 200, (path, resp.get_json())
            if i >= 10:
                times.append(_spent["serialise"] * 1000)
            items = len(resp.get_json()["items"])
        print(f"serialise {path:<24} {items:3d} items  {ms(times)}")

    # --- nearby firms: the SQL alone and through HTTP --------------------------------------
    with app.app_context():
        sql_ms = []
        principal = importer
        for lat, lon in points:
            t = time.perf_counter()
            stmt, distance = firm_query(principal, {"near": (lat, lon), "radius_m": 1000.0})
            db.session.connection().execute(stmt.order_by(distance).limit(50)).all()
            sql_ms.append((time.perf_counter() - t) * 1000)
        db.session.remove()
    http_ms = []
    for lat, lon in points[:20]:
        client.get("/api/v1/firms", query_string={"near": f"{lat},{lon}"},
                   headers=province_admin)
    for lat, lon in points:
        t = time.perf_counter()
        resp = client.get("/api/v1/firms", query_string={
            "near": f"{lat},{lon}", "radius_m": 1000, "page_size": 50}, headers=province_admin)
        http_ms.append((time.perf_counter() - t) * 1000)
        assert resp.status_code == 200, resp.get_json()
    print(f"nearby SQL                     {ms(sql_ms)}")
    print(f"nearby HTTP                    {ms(http_ms)}  "
          f"(p50 {percentile(http_ms, 50) / percentile(sql_ms, 50):.1f}x the SQL)")
    print(f"# load average at the end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
