"""One filing, step by step: where a worker's time goes in ``POST /api/v1/visits``.

Seeds a small database as ``bench/visit_load.py`` does (2,000 firms, 100 commissioners with 20
assignments each, the slot tables written), then files ``--visits`` visits in-process through
Flask's test client (no network, no gunicorn), timing each step of the pipeline by wrapping the
functions that do it. ``--pyinstrument FILE`` also writes pyinstrument's text tree of the run.

Steps (ms per filing, median and mean): token (authentication and session check), parse
(marshmallow load of the body), target (target, assignment on the capture day, sites),
verify (site choice and geo verification), neighbours (integrity neighbours query and signals),
insert (the flush: visit INSERT, audit event, slot upkeep), commit, answer (dump of the
response), rest (Flask, routing, the test client; the total minus the steps).

Run: .venv/bin/python bench/filing_profile.py [--backend postgresql|sqlite] [--visits 1000]
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import statistics
import sys
import time
from collections import defaultdict

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

from bench.visit_load import SECRET, database_url, seed  # noqa: E402
from fieldapp import create_app  # noqa: E402
from models import utcnow  # noqa: E402

# (step, module, attribute): the functions a filing passes through, timed by wrapping them.
# A step's time excludes the steps nested inside it (flush inside commit).
STEPS = [
    ("token", "fieldapp.auth.principal", "authenticate"),
    ("parse", "fieldapp.visits.schemas", "VisitCreate.load"),
    ("target", "fieldapp.visits.filing", "find_target"),
    ("verify", "fieldapp.visits.filing", "verify_at_site"),
    ("neighbours", "fieldapp.visits.filing", "integrity_signals"),
    ("insert", "sqlalchemy.orm", "Session.flush"),
    ("commit", "fieldapp.visits.filing", "commit_keeping_state"),
    ("answer", "fieldapp.visits.schemas", "VisitOut.dump"),
    # The names before the pipeline was split (the "before" budget of bench/README.md).
    ("replay", "fieldapp.visits.service", "_existing"),
    ("target", "fieldapp.visits.service", "_target"),
    ("verify", "fieldapp.visits.service", "_site"),
    ("verify", "fieldapp.visits.service", "verify"),
    ("neighbours", "fieldapp.visits.service", "_neighbours"),
    ("commit", "fieldapp.visits.service", "commit_keeping_state"),
]

SPENT: dict[str, float] = defaultdict(float)
_stack: list[str] = []


def _timed(step, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        _stack.append(step)
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            took = time.perf_counter() - start
            _stack.pop()
            SPENT[step] += took
            if _stack:  # nested: not the outer step's own time
                SPENT[_stack[-1]] -= took
    return wrapper


def instrument() -> list[str]:
    """Wrap every step that exists in this version of the code; the names found."""
    import importlib

    found = []
    for step, module, attr in STEPS:
        try:
            owner = importlib.import_module(module)
        except ImportError:
            continue
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part, None)
        if owner is None or not hasattr(owner, name):
            continue
        setattr(owner, name, _timed(step, getattr(owner, name)))
        found.append(step)
    return list(dict.fromkeys(found))


def rss_mb() -> float:
    """This process's resident size now (Linux), in MB."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def body(run: str, n: int, firm: list) -> dict:
    """What the phone sends (as the wrk script of visit_load.py does)."""
    return {"client_id": f"{run}-{n}", "firm_id": firm[0],
            "captured_at": utcnow().isoformat(),
            "position": {"lat": firm[1] + (random.random() - 0.5) * 0.0008,
                         "lon": firm[2] + (random.random() - 0.5) * 0.0008,
                         "accuracy_m": random.randint(5, 40), "crs": "gcj02",
                         "source": "wechat"},
            "purpose": "routine", "notes": "load test"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--visits", type=int, default=1000)
    parser.add_argument("--pyinstrument", metavar="FILE")
    args = parser.parse_args()
    rng = random.Random(7)
    url = database_url(args.backend, "fieldapp_filingprofile")
    data = seed(url, 2000, 100, 20, rng)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "REDIS_URL": "",
                      "LOG_LEVEL": "WARNING", "ENV": "production"})
    client = app.test_client()
    users = data["users"]

    def one(n: int) -> None:
        user = rng.choice(users)
        resp = client.post("/api/v1/visits", json=body(data["run"], n, rng.choice(user["firms"])),
                           headers={"Authorization": f"Bearer {user['token']}"})
        assert resp.status_code == 201, resp.get_data(as_text=True)

    for n in range(100):  # warm-up: pools, caches, the first spheroid set-up
        one(-n - 1)
    found = instrument()
    profiler = None
    if args.pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    totals, steps, rss = [], defaultdict(list), {}
    for n in range(args.visits):
        if n in (1000, args.visits - 1):
            rss[n] = rss_mb()
        SPENT.clear()
        start = time.perf_counter()
        one(n)
        total = time.perf_counter() - start
        totals.append(total)
        for step in found:
            steps[step].append(SPENT[step])
        steps["rest"].append(total - sum(SPENT.values()))
    if profiler is not None:
        profiler.stop()
        with open(args.pyinstrument, "w") as handle:
            handle.write(profiler.output_text(unicode=True, show_all=False))
    print(f"# {args.backend}, {args.visits} filings in-process, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'step':<12} {'median ms':>10} {'mean ms':>9}")
    for step in [*found, "rest"]:
        print(f"{step:<12} {statistics.median(steps[step]) * 1000:10.2f} "
              f"{statistics.fmean(steps[step]) * 1000:9.2f}")
    print(f"{'total':<12} {statistics.median(totals) * 1000:10.2f} "
          f"{statistics.fmean(totals) * 1000:9.2f}")
    if len(rss) == 2:
        first, last = rss[1000], rss[args.visits - 1]
        print(f"resident size after 1,000 filings {first:.0f} MB, after {args.visits:,} "
              f"{last:.0f} MB ({(last - first) / first:+.1%})")


if __name__ == "__main__":
    main()
