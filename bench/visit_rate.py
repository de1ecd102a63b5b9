"""Visit-rate benchmark: monthly reports, overdue list and trend on a synthetic province.

Builds a fresh database (as ``bench/registry.py`` does): a province of 10 cities × 10 counties,
``--staff`` commissioners spread over the counties, ``--firms`` firms each assigned to one of
its county's commissioners (cadence mix: 5 % weekly, 25 % monthly, 70 % quarterly; 5 % were
reassigned half-way), and ``--visits-per-month`` visits a month (85 % accepted, 5 % approved,
7 % waiting for review, 3 % rejected; some flagged, some uploaded late).

Firms, assignments and visits go in with COPY (``models.bulk``), bypassing the ORM, so the slot
table is then written by ``slots.rebuild`` — the same path ``flask slots rebuild`` takes after a
bulk load. (The firms have no sites: visits point at one site per county. The reports never
read sites; the registry benchmark measures the firm import itself.)

Phase 1 stores 3 months of history, phase 2 adds 9 earlier months (12 in all). In each phase,
with the latest month as the report month, it times (median of ``--repeat`` runs, through the
service functions the API calls, as the province admin):

- the city-level monthly visit rate grouped by org unit, and by user;
- the overdue list for one county;
- the 12-month trend for the city (and for the whole province).

Run:
    .venv/bin/python bench/visit_rate.py --backend postgresql --firms 1000000 --staff 5000 \
        --visits-per-month 400000
    .venv/bin/python bench/visit_rate.py --backend sqlite --firms 100000 --staff 500 \
        --visits-per-month 40000
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, text, update

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from registry import fresh_database, principal_of, province
from shapely.geometry import Point

from fieldapp import create_app
from fieldapp.extensions import db
from fieldapp.stats import slots
from fieldapp.stats.overdue import overdue
from fieldapp.stats.service import trend, visit_rate
from fieldapp.stats.visit_rate import parse_period
from models import (
    Assignment,
    Firm,
    FirmTag,
    OrgUnit,
    Site,
    User,
    Visit,
    VisitSlot,
)
from models.bulk import insert_rows, refresh_statistics

REPORT_MONTH = date(2026, 11, 1)
TABLES = [Firm.__table__, FirmTag.__table__, Assignment.__table__, Visit.__table__,
          VisitSlot.__table__]
CHUNK = 100_000


def month_start(first: date, back: int) -> date:
    """The first day of the month ``back`` months before ``first``."""
    m = first.year * 12 + first.month - 1 - back
    return date(m // 12, m % 12 + 1, 1)


def seed_registry(rng, units, firms: int, staff: int) -> tuple[list, dict]:
    """Users, firms (with tags) and sites; returns the firms as (id, county, user)."""
    conn = db.session.connection()
    now = datetime.now(UTC)
    per_county = max(1, staff // len(units))
    user_rows, users = [], {}
    for unit in units:
        for i in range(per_county):
            user_rows.append({"username": f"c{unit.id}-{i}", "display_name": f"专员{unit.code}-{i}",
                              "password_hash": "x", "roles": "commissioner",
                              "org_unit_id": unit.id, "service_team_id": None,
                              "department_id": None, "firm_id": None, "phone": None,
                              "is_active": True, "created_at": now, "updated_at": now})
    ids = insert_rows(conn, User.__table__, user_rows, return_ids=True)
    for row, uid in zip(user_rows, ids, strict=True):
        users.setdefault(row["org_unit_id"], []).append(uid)
    sites = {}
    site_rows = []
    out = []
    done = 0
    while done < firms:
        n = min(CHUNK, firms - done)
        rows = [{"uscc": f"91{done + i:016d}", "uscc_checksum_ok": True,
                 "name": f"企业{done + i}", "address": None, "industry": None,
                 "org_unit_id": rng.choice(units).id, "contacts": [], "status": "active",
                 "closed_at": None, "created_at": now, "updated_at": now} for i in range(n)]
        fids = insert_rows(conn, Firm.__table__, rows, return_ids=True)
        tags = []
        for row, fid in zip(rows, fids, strict=True):
            unit = row["org_unit_id"]
            out.append((fid, unit, rng.choice(users[unit])))
            tag = rng.choice([None, None, "above_scale", "key"])
            if tag:
                tags.append({"firm_id": fid, "tag": tag})
        insert_rows(conn, FirmTag.__table__, tags)
        done += n
    for unit in units:
        site_rows.append({"firm_id": out[0][0], "project_id": None, "name": f"点{unit.id}",
                          "point": Point(108.9, 34.3), "boundary": None, "radius_m": 150.0,
                          "version": 1, "is_active": True, "created_at": now,
                          "updated_at": now})
    for unit, sid in zip(units, insert_rows(conn, Site.__table__, site_rows, return_ids=True),
                         strict=True):
        sites[unit.id] = sid
    db.session.commit()
    return out, sites


def seed_assignments(rng, firms, users_by_unit, starts_on: date) -> None:
    conn = db.session.connection()
    now = datetime.now(UTC)
    half = starts_on + (REPORT_MONTH - starts_on) / 2
    for lo in range(0, len(firms), CHUNK):
        rows = []
        for fid, unit, uid in firms[lo:lo + CHUNK]:
            cadence = rng.choices(["weekly", "monthly", "quarterly"], [5, 25, 70])[0]
            base = {"firm_id": fid, "project_id": None, "org_unit_id": unit, "cadence": cadence,
                    "end_reason": None, "replaced_by_id": None, "created_by_id": None,
                    "created_at": now, "updated_at": now}
            if rng.random() < .05:
                rows.append({**base, "user_id": rng.choice(users_by_unit[unit]),
                             "starts_on": starts_on, "ends_on": half - timedelta(days=1)})
                rows.append({**base, "user_id": uid, "starts_on": half, "ends_on": None})
            else:
                rows.append({**base, "user_id": uid, "starts_on": starts_on, "ends_on": None})
        insert_rows(conn, Assignment.__table__, rows)
    db.session.commit()


def seed_visits(rng, firms, sites, month: date, count: int, serial: list[int]) -> None:
    conn = db.session.connection()
    nxt = month_start(month, -1)
    span = (nxt - month).days * 86400
    base_t = datetime(month.year, month.month, month.day, tzinfo=UTC) - timedelta(hours=8)
    point = Point(108.9, 34.3)
    for lo in range(0, count, CHUNK):
        rows = []
        for _ in range(min(CHUNK, count - lo)):
            fid, unit, uid = firms[rng.randrange(len(firms))]
            at = base_t + timedelta(seconds=rng.randrange(span))
            status = rng.choices(["accepted", "approved", "needs_review", "rejected"],
                                 [85, 5, 7, 3])[0]
            serial[0] += 1
            rows.append({
                "client_id": f"b{serial[0]}", "content_hash": "0" * 64, "user_id": uid,
                "firm_id": fid, "project_id": None, "site_id": sites[unit], "site_version": 1,
                "assignment_id": None, "org_unit_id": unit, "captured_at": at,
                "received_at": at + timedelta(minutes=rng.choice([1, 5, 30, 60 * 30])),
                "fix_time": at, "offline": False, "raw_position": {}, "crs": "wgs84",
                "source": "gps", "point": point, "accuracy_m": 20.0, "mock": False,
                "distance_m": 30.0, "radius_m": 150.0, "normalised_accuracy_m": 20.0,
                "measured_to": "point",
                "verdict": "verified" if status != "needs_review" else "out_of_range",
                "flags": [] if status == "accepted" else ["outside_radius"],
                "rule_version": "bench", "status": status, "purpose": "routine",
                "notes": None, "created_at": at, "updated_at": at})
        insert_rows(conn, Visit.__table__, rows)
    db.session.commit()


def settle() -> None:
    """What autovacuum does on a live server after a load: statistics and the visibility map
    (which index-only scans need); SQLite has nothing to do."""
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in TABLES:
                conn.execute(text(f'VACUUM ANALYZE "{table.name}"'))


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        db.session.expunge_all()
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), result


def measure(label: str, principal, city: int, county: int, repeat: int) -> None:
    month = parse_period(f"{REPORT_MONTH:%Y-%m}")
    as_of = REPORT_MONTH + timedelta(days=20)
    first = month_start(REPORT_MONTH, 11)
    runs = [
        ("visit rate, city, by org unit", lambda: visit_rate(principal, month, "org_unit",
                                                             city)),
        ("visit rate, city, by user", lambda: visit_rate(principal, month, "user", city)),
        ("visit rate, city, by firm tag", lambda: visit_rate(principal, month, "firm_tag",
                                                             city)),
        ("overdue, one county", lambda: overdue(principal, as_of, county)),
        ("trend 12 months, city", lambda: trend(principal, first, REPORT_MONTH, "month",
                                                city)),
        ("trend 12 months, province", lambda: trend(principal, first, REPORT_MONTH, "month")),
    ]
    print(f"## {label}")
    for name, fn in runs:
        ms, result = timed(fn, repeat)
        if isinstance(result, dict):
            t = result["total"]
            size = f"{len(result['rows'])} rows, due {t['due']:,}, met {t['met']:,}, " \
                   f"rate {t['rate']}"
        elif result and "series" not in result and "due" in result[0]:
            size = f"{len(result)} points, last due {result[-1]['due']:,}"
        else:
            size = f"{len(result):,} items"
        print(f"  {name:32s} {ms:8.1f} ms  ({size})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--staff", type=int, default=500)
    parser.add_argument("--visits-per-month", type=int, default=40_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    url = fresh_database(args.backend)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 40, "REDIS_URL": "",
                      "LOG_LEVEL": "WARNING"})
    print(f"# {platform.node()} {platform.machine()} {os.cpu_count()} cpu, python "
          f"{platform.python_version()}, backend {args.backend}; {args.firms:,} firms, "
          f"{args.staff:,} staff, {args.visits_per_month:,} visits/month")
    with app.app_context():
        admin, _seats = province(rng)
        principal = principal_of(admin)
        counties = db.session.scalars(select(OrgUnit).where(OrgUnit.kind == "county")
                                      .order_by(OrgUnit.id)).all()
        city = db.session.scalars(select(OrgUnit).where(OrgUnit.kind == "city")
                                  .order_by(OrgUnit.id)).first()
        county, city = counties[0].id, city.id
        t = time.perf_counter()
        firms, sites = seed_registry(rng, counties, args.firms, args.staff)
        users_by_unit = {}
        for _fid, unit, uid in firms:
            users_by_unit.setdefault(unit, set()).add(uid)
        users_by_unit = {k: sorted(v) for k, v in users_by_unit.items()}
        three_back = month_start(REPORT_MONTH, 2)
        seed_assignments(rng, firms, users_by_unit, three_back)
        serial = [0]
        for back in range(2, -1, -1):
            seed_visits(rng, firms, sites, month_start(REPORT_MONTH, back),
                        args.visits_per_month, serial)
        refresh_statistics(db.session.connection(), TABLES)
        db.session.commit()
        print(f"seeded 3 months in {time.perf_counter() - t:.0f} s", flush=True)

        through = slots.quarter_end(REPORT_MONTH)
        t = time.perf_counter()
        written = slots.rebuild(db.session.connection(), through)
        db.session.commit()
        print(f"slots rebuild: {written:,} rows in {time.perf_counter() - t:.1f} s", flush=True)
        settle()
        measure("3 months of history", principal, city, county, args.repeat)

        t = time.perf_counter()
        twelve_back = month_start(REPORT_MONTH, 11)
        db.session.execute(update(Assignment).where(Assignment.starts_on == three_back)
                           .values(starts_on=twelve_back).execution_options(
                               synchronize_session=False))
        db.session.commit()
        for back in range(11, 2, -1):
            seed_visits(rng, firms, sites, month_start(REPORT_MONTH, back),
                        args.visits_per_month, serial)
        print(f"seeded 9 more months in {time.perf_counter() - t:.0f} s", flush=True)
        t = time.perf_counter()
        written = slots.rebuild(db.session.connection(), through)
        db.session.commit()
        print(f"slots rebuild: {written:,} rows in {time.perf_counter() - t:.1f} s", flush=True)
        settle()
        measure("12 months of history", principal, city, county, args.repeat)

        t = time.perf_counter()
        written = slots.extend(db.session.connection(), date(2027, 1, 1))
        db.session.commit()
        print(f"slots extend by a quarter: {written:,} rows in "
              f"{time.perf_counter() - t:.1f} s")
        print(f"visits stored: {db.session.scalar(select(func.count(Visit.id))):,}, "
              f"slots stored: {db.session.scalar(select(func.count(VisitSlot.id))):,}")
        if args.backend == "postgresql":
            print(db.session.execute(text(
                "SELECT pg_size_pretty(pg_total_relation_size('visit_slots'))")).scalar(),
                "on disk for visit_slots")


if __name__ == "__main__":
    main()
