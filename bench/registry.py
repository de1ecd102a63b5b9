"""Registry benchmark: bulk import rate and nearby-query latency on a synthetic province.

Builds a fresh database (SpatiaLite file or a PostgreSQL database named ``fieldapp_bench``),
migrates it, adds a province of 10 cities × 10 counties and an admin, then imports N firms
through the real import path (``run_import``: CSV parsing, row checks, USCC lookups, ORM
writes, audit trail) in files of ``--file-rows`` rows, as ``fieldapp firms import`` would. Firms
cluster around the 100 county seats (Gaussian, σ = 6 km), as firms do.

Then, at random firm positions, it times the nearby search three ways: the SQL alone (rows as
tuples), the service's page (firm entities with sites, tags and the total, what the API
serialises), and ``GET /api/v1/firms?near=LAT,LON&radius_m=1000&page_size=50`` through Flask's
test client as the admin (HTTP parsing, token and session check, scope, query, JSON; no
network).

Run:
    .venv/bin/python bench/registry.py --backend sqlite --firms 100000
    .venv/bin/python bench/registry.py --backend postgresql --firms 100000
    .venv/bin/python bench/registry.py --backend postgresql --firms 1000000
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time

from sqlalchemy import create_engine, text

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from fieldapp import create_app, migrate
from fieldapp.auth.passwords import hash_password
from fieldapp.auth.principal import Principal
from fieldapp.demo.registry import make_uscc
from fieldapp.extensions import db
from fieldapp.firms.importer import run_import
from fieldapp.firms.service import firm_query, page
from models import OrgUnit, User
from models.database import engine_options, prepare_engine

PG_ADMIN = os.environ.get("FIELDAPP_BENCH_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PASSWORD = "bench-password-1"


def fresh_database(backend: str) -> str:
    if backend == "sqlite":
        path = os.path.join(tempfile.mkdtemp(prefix="fieldapp-bench-"), "bench.db")
        url = f"sqlite:///{path}"
    else:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('DROP DATABASE IF EXISTS "fieldapp_bench" WITH (FORCE)'))
            conn.execute(text('CREATE DATABASE "fieldapp_bench"'))
        admin.dispose()
        url = PG_ADMIN.rsplit("/", 1)[0] + "/fieldapp_bench"
    engine = create_engine(url, **engine_options(url))
    prepare_engine(engine)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def province(rng: random.Random) -> tuple[User, list[tuple[str, float, float]]]:
    """Org units (province, 10 cities, 100 counties), an admin, and the county seats."""
    root = OrgUnit(code="P", name="省", kind="province")
    db.session.add(root)
    db.session.flush()
    root.path = f"/{root.id}/"
    seats = []
    for c in range(10):
        city = OrgUnit(code=f"C{c}", name=f"市{c}", kind="city", parent_id=root.id)
        db.session.add(city)
        db.session.flush()
        city.path = f"{root.path}{city.id}/"
        for k in range(10):
            county = OrgUnit(code=f"C{c}K{k}", name=f"县{c}-{k}", kind="county",
                             parent_id=city.id)
            db.session.add(county)
            db.session.flush()
            county.path = f"{city.path}{county.id}/"
            seats.append((county.code, rng.uniform(32.8, 37.2), rng.uniform(106.5, 110.5)))
    admin = User(username="bench-admin", display_name="bench", org_unit_id=root.id,
                 password_hash=hash_password(PASSWORD))
    admin.roles = ["admin"]
    db.session.add(admin)
    db.session.commit()
    return admin, seats


def principal_of(user: User) -> Principal:
    return Principal(user_id=user.id, username=user.username, roles=user.roles,
                     org_unit_id=user.org_unit_id, org_path=user.org_unit.path,
                     service_team_id=None, department_id=None, session_id="bench")


def csv_files(rng, seats, firms: int, per_file: int):
    """CSV texts of ``per_file`` rows; also yields the positions for the nearby queries."""
    header = "uscc,name,org_unit_code,lat,lon,tags,address\n"
    seen = set()
    done = 0
    while done < firms:
        rows = []
        for _ in range(min(per_file, firms - done)):
            code = make_uscc(rng, "61" + f"{rng.randrange(10000):04d}")
            while code in seen:
                code = make_uscc(rng, "61" + f"{rng.randrange(10000):04d}")
            seen.add(code)
            unit, lat0, lon0 = rng.choice(seats)
            lat = lat0 + rng.gauss(0, 0.054)
            lon = lon0 + rng.gauss(0, 0.066)
            tags = rng.choice(["", "", "above_scale", "specialized;above_scale", "key"])
            rows.append(f"{code},企业{done + len(rows)},{unit},{lat:.6f},{lon:.6f},{tags},"
                        f"某路{rng.randrange(1000)}号\n")
        done += len(rows)
        yield header + "".join(rows)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--file-rows", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    url = fresh_database(args.backend)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 40, "REDIS_URL": "",
                      "IMPORT_MAX_BYTES": 1 << 30, "LOG_LEVEL": "WARNING"})
    print(f"# {platform.node()} {platform.processor() or platform.machine()} "
          f"{os.cpu_count()} cpu, python {platform.python_version()}, backend {args.backend}")
    with app.app_context():
        admin, seats = province(rng)
        principal = principal_of(admin)
        files = [f.encode() for f in csv_files(rng, seats, args.firms, args.file_rows)]
        started = time.perf_counter()
        imported = 0
        for raw in files:
            with app.test_request_context("/bench"):
                report = run_import(principal, raw, "csv", "all_or_nothing")
            imported += report["created"]
            db.session.expunge_all()
            elapsed = time.perf_counter() - started
            print(f"  imported {imported:>9,} firms  {elapsed:7.1f} s  "
                  f"{imported / elapsed:8,.0f} firms/s", flush=True)
        import_s = time.perf_counter() - started
        if args.backend == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))

        del files
        points = [tuple(map(float, row)) for row in db.session.execute(text(
            "SELECT ST_Y(point), ST_X(point) FROM sites ORDER BY random() LIMIT :n"),
            {"n": args.queries}).all()]

        # The SQL alone (what the spatial index buys), then the service's page (entities with
        # their sites and tags, the total), as the API runs it before serialising.
        sql_ms, page_ms, counts = [], [], []
        for lat, lon in points:
            t = time.perf_counter()
            stmt, distance = firm_query(principal, {"near": (lat, lon), "radius_m": 1000.0})
            rows = db.session.connection().execute(stmt.order_by(distance).limit(50)).all()
            sql_ms.append((time.perf_counter() - t) * 1000)
            counts.append(len(rows))
            t = time.perf_counter()
            stmt, distance = firm_query(principal, {"near": (lat, lon), "radius_m": 1000.0})
            page(stmt, distance, {"page": 1, "page_size": 50}, 50)
            page_ms.append((time.perf_counter() - t) * 1000)
            db.session.expunge_all()

    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "bench-admin",
                                                    "password": PASSWORD}).get_json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    http_ms = []
    for lat, lon in points[:20]:  # warm-up
        client.get("/api/v1/firms", query_string={"near": f"{lat},{lon}"}, headers=headers)
    for lat, lon in points:
        t = time.perf_counter()
        resp = client.get("/api/v1/firms", query_string={
            "near": f"{lat},{lon}", "radius_m": 1000, "page_size": 50}, headers=headers)
        http_ms.append((time.perf_counter() - t) * 1000)
        assert resp.status_code == 200, resp.get_json()

    print(f"import: {imported:,} firms in {import_s:.1f} s = {imported / import_s:,.0f} firms/s")
    print(f"nearby 1 km, ≤50 rows: mean {statistics.mean(counts):.1f} rows, "
          f"{sum(c == 50 for c in counts)} of {len(counts)} queries full")
    for label, values in (("SQL ", sql_ms), ("page", page_ms), ("HTTP", http_ms)):
        print(f"nearby {label}  p50 {percentile(values, 50):6.2f} ms  "
              f"p99 {percentile(values, 99):6.2f} ms")


if __name__ == "__main__":
    main()
