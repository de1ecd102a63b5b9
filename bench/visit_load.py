"""Visit filing under load: gunicorn (2 workers) on PostGIS or SpatiaLite, driven by wrk.

1. Builds a fresh database (``--backend``: ``fieldapp_visitbench`` on the local PostgreSQL, or
   a SpatiaLite file in a temporary folder): 10,000 firms (through the import
   path) in 10 counties, 500 commissioners with 20 firm assignments each, and a session and
   access token per commissioner (no password hashing: log-in is not what is measured).
2. Starts ``gunicorn -w 2 wsgi:app`` and drives ``POST /api/v1/visits`` with wrk for
   ``--duration`` seconds: every request a fresh ``client_id``, a random commissioner's token,
   one of their firms, a position within ~50 m of its site in GCJ-02 (as WeChat reports it).
3. In the same run, the two ceilings: ``GET /healthz`` on the same server, and
   ``bench/one_insert.py`` (one spatial INSERT per request through a pool, on the same
   database) under gunicorn -w 2.
4. Counts the visits stored and checks that every 201 wrk saw is exactly one row.

wrk (Debian package ``wrk``) is a C load generator that costs little CPU next to the server
on a 2-core machine; a Python generator would be the bottleneck.

Run: .venv/bin/python bench/visit_load.py [--backend postgresql|sqlite] [--duration 30]
     [--connections 16]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import timedelta

from sqlalchemy import create_engine, func, select, text

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

from bench.registry import csv_files, principal_of  # noqa: E402
from fieldapp import clock, create_app, migrate  # noqa: E402
from fieldapp.auth.tokens import encode_access  # noqa: E402
from fieldapp.extensions import db  # noqa: E402
from fieldapp.firms.importer import run_import  # noqa: E402
from fieldapp.stats import slots  # noqa: E402
from geo import wgs84_to_gcj02  # noqa: E402
from models import Assignment, AuthSession, Firm, OrgUnit, Site, User, Visit, utcnow  # noqa: E402
from models.database import engine_options, prepare_engine  # noqa: E402

PG_ADMIN = os.environ.get("FIELDAPP_BENCH_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DB_NAME = "fieldapp_visitbench"
SECRET = "visit-bench-" + "k" * 40
VENV_BIN = os.path.dirname(sys.executable)

WRK_SCRIPT = r"""
local data = dofile(os.getenv("VISIT_BENCH_DATA"))
local run = os.getenv("VISIT_BENCH_RUN")
local threads = {}
counter = 0
statuses = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + tid * 7919)
end

request = function()
  counter = counter + 1
  local u = data.users[math.random(#data.users)]
  local f = u.firms[math.random(#u.firms)]
  local lat = f[2] + (math.random() - 0.5) * 0.0008
  local lon = f[3] + (math.random() - 0.5) * 0.0008
  local body = string.format(
    '{"client_id":"%s-%d-%d","firm_id":%d,"captured_at":"%s",' ..
    '"position":{"lat":%.7f,"lon":%.7f,"accuracy_m":%d,"crs":"gcj02","source":"wechat"},' ..
    '"purpose":"routine","notes":"load test"}',
    run, tid, counter, f[1], os.date("!%Y-%m-%dT%H:%M:%S+00:00"), lat, lon,
    math.random(5, 40))
  return wrk.format("POST", "/api/v1/visits", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. u.token}, body)
end

response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  local merged = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for k, v in pairs(s) do merged[k] = (merged[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(merged) do table.insert(parts, string.format('"%d":%d', k, v)) end
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,' ..
    '"socket_errors":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, table.concat(parts, ",")))
end
"""

WRK_GET = r"""
local threads = {}
statuses = {}
function setup(thread) table.insert(threads, thread) end
response = function(status) statuses[status] = (statuses[status] or 0) + 1 end
done = function(summary, latency, requests)
  local merged = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do merged[k] = (merged[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(merged) do table.insert(parts, string.format('"%d":%d', k, v)) end
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,' ..
    '"socket_errors":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, table.concat(parts, ",")))
end
"""


def database_url(backend: str = "postgresql", name: str = DB_NAME) -> str:
    """A fresh, migrated database: ``name`` on the local PostgreSQL, or a SpatiaLite file."""
    if backend == "sqlite":
        url = f"sqlite:///{os.path.join(tempfile.mkdtemp(prefix='fieldapp-bench-'), name)}.db"
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


def seed(url: str, firms: int, staff: int, per_person: int, rng: random.Random) -> dict:
    """The province, the firms, the staff with assignments, and a token each."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "REDIS_URL": "",
                      "IMPORT_MAX_BYTES": 1 << 30, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        city = OrgUnit(code="C", name="市", kind="city")
        db.session.add(city)
        db.session.flush()
        city.path = f"/{city.id}/"
        seats = []
        for k in range(10):
            county = OrgUnit(code=f"K{k}", name=f"县{k}", kind="county", parent_id=city.id)
            db.session.add(county)
            db.session.flush()
            county.path = f"{city.path}{county.id}/"
            seats.append((county.code, 34.3 + rng.uniform(-0.3, 0.3),
                          108.7 + rng.uniform(-0.4, 0.4)))
        admin = User(username="bench-admin", display_name="admin", org_unit_id=city.id,
                     password_hash="!")
        admin.roles = ["admin"]
        db.session.add(admin)
        db.session.commit()
        city_id, importer = city.id, principal_of(admin)
        for raw in csv_files(rng, seats, firms, firms):
            with app.test_request_context("/seed"):
                run_import(importer, raw.encode(), "csv", "all_or_nothing")
        db.session.expunge_all()
        sites = db.session.execute(select(Site.firm_id, func.ST_Y(Site.point),
                                          func.ST_X(Site.point), Firm.org_unit_id)
                                   .join(Firm, Firm.id == Site.firm_id)).all()
        now, users = utcnow(), []
        starts = (now - timedelta(days=30)).date()
        for i in range(staff):
            user = User(username=f"commissioner{i}", display_name=f"专员{i}",
                        org_unit_id=city_id, password_hash="!")
            user.roles = ["commissioner"]
            db.session.add(user)
            db.session.flush()
            mine = rng.sample(sites, per_person)
            db.session.add_all(Assignment(user_id=user.id, firm_id=f, org_unit_id=unit,
                                          cadence="monthly", starts_on=starts)
                               for f, _, _, unit in mine)
            session = AuthSession(id=str(uuid.uuid4()), user_id=user.id, refresh_hash="-",
                                  created_at=now, expires_at=now + timedelta(days=1))
            db.session.add(session)
            token = encode_access(user.id, session.id, now, 3 * 3600, SECRET)
            users.append({"token": token,
                          "firms": [[f, *wgs84_to_gcj02(lat, lon)] for f, lat, lon, _ in mine]})
        db.session.commit()
        # The slot tables as a live server has them (`fieldapp slots extend`, daily cron), so
        # each filing pays for keeping its slot's counts in step.
        slots.extend(db.session.connection(), clock.today())
        db.session.commit()
    return {"run": uuid.uuid4().hex[:8], "users": users}


def lua_table(value) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(f"[{json.dumps(k)}]={lua_table(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "{" + ",".join(lua_table(v) for v in value) + "}"
    return json.dumps(value)


def start(command: list[str], env: dict, port: int) -> subprocess.Popen:
    # The server's log goes to a file: a pipe nobody reads fills up and stalls the server.
    with tempfile.NamedTemporaryFile("w", suffix=".log", prefix="visit-bench-",
                                     delete=False) as log:
        proc = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env},
                                stdout=subprocess.DEVNULL, stderr=log)
    proc.log_path = log.name
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    with open(log.name) as handle:
        raise SystemExit(f"server did not start: {handle.read()[-2000:]}")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    with open(proc.log_path) as handle:
        errors = handle.read()
    os.unlink(proc.log_path)
    if "Traceback" in errors or "[ERROR]" in errors or "[CRITICAL]" in errors:
        print(f"# server log of {proc.args[-1]}:\n{errors[-3000:]}", file=sys.stderr)


def wrk(url: str, script: str, duration: int, connections: int, env: dict | None = None):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "5s",
                          "-s", handle.name, url], capture_output=True, text=True,
                         env={**os.environ, **(env or {})}, check=True).stdout
    os.unlink(handle.name)
    match = re.search(r"^RESULT (.*)$", out, re.M)
    if match is None:
        raise SystemExit(f"wrk printed no result:\n{out}")
    result = json.loads(match.group(1))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def show(label: str, r: dict) -> None:
    errors = r["socket_errors"] + sum(v for k, v in r["statuses"].items()
                                      if not k.startswith("2"))
    print(f"{label:<28} {r['rps']:8,.0f} req/s  p50 {r['p50_us'] / 1000:6.1f} ms  "
          f"p95 {r['p95_us'] / 1000:6.1f} ms  p99 {r['p99_us'] / 1000:6.1f} ms  "
          f"errors {errors}  statuses {r['statuses']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--firms", type=int, default=10_000)
    parser.add_argument("--staff", type=int, default=500)
    parser.add_argument("--per-person", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1,
                        help="gunicorn threads per worker (1: sync workers, >1: gthread)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    rng = random.Random(7)
    print(f"# {platform.node()} {os.cpu_count()} cpu, python {platform.python_version()}, "
          f"backend {args.backend}, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}, "
          f"{args.duration} s per run, {args.connections} connections, wrk -t2, "
          f"gunicorn -w 2 --threads {args.threads} (ceilings: sync workers)")
    url = database_url(args.backend)
    data = seed(url, args.firms, args.staff, args.per_person, rng)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write("return " + lua_table(data))
        data_file = handle.name
    gunicorn = [os.path.join(VENV_BIN, "gunicorn"), "-w", "2", "-b", "127.0.0.1:8765",
                "--log-level", "warning"]
    env = {"FIELDAPP_DATABASE_URL": url, "FIELDAPP_SECRET_KEY": SECRET,
           "FIELDAPP_ENV": "production", "FIELDAPP_REDIS_URL": "",
           "FIELDAPP_LOG_LEVEL": "WARNING"}
    server = start([*gunicorn, "--threads", str(args.threads), "wsgi:app"], env, 8765)
    try:
        wrk("http://127.0.0.1:8765", WRK_SCRIPT, 3, args.connections,
            {"VISIT_BENCH_DATA": data_file, "VISIT_BENCH_RUN": "warmup"})  # pools, caches
        engine = create_engine(url, **engine_options(url))
        prepare_engine(engine)
        visits = wrk("http://127.0.0.1:8765", WRK_SCRIPT, args.duration, args.connections,
                     {"VISIT_BENCH_DATA": data_file, "VISIT_BENCH_RUN": data["run"]})
        health = wrk("http://127.0.0.1:8765/healthz", WRK_GET, args.duration, args.connections)
    finally:
        stop(server)
    one = start([*gunicorn, "bench.one_insert:app"], {"ONE_INSERT_DATABASE_URL": url}, 8765)
    try:
        ceiling = wrk("http://127.0.0.1:8765/insert", WRK_GET.replace(
            "local threads = {}",
            'wrk.method = "POST"\nwrk.body = "{}"\n'
            'wrk.headers["Content-Type"] = "application/json"\nlocal threads = {}'),
            args.duration, args.connections)
    finally:
        stop(one)
    with engine.connect() as conn:  # requests in flight when wrk stopped have finished now
        rows, distinct = conn.execute(select(
            func.count(), func.count(func.distinct(Visit.client_id))).where(
            Visit.client_id.like(f"{data['run']}-%"))).one()
    os.unlink(data_file)
    print(f"# load average at the end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    show("POST /api/v1/visits", visits)
    show("GET /healthz (ceiling)", health)
    show("one INSERT (ceiling)", ceiling)
    created = visits["statuses"].get("201", 0)
    print(f"visit filing = {visits['rps'] / ceiling['rps']:.0%} of the one-INSERT ceiling")
    # Every 201 wrk counted is a stored row, and no client_id is stored twice. Rows may exceed
    # the 201s by at most the requests in flight when wrk stopped (it does not count those).
    ok = rows == distinct and created <= rows <= created + args.connections
    print(f"stored: {rows} rows with {distinct} distinct client_ids from this run; wrk saw "
          f"{created} × 201 -> " + ("every 201 stored exactly once" if ok else "MISMATCH"))


if __name__ == "__main__":
    main()
