"""Benchmark of geo.verify / geo.verify_many, single process.

Prints verifications per second and the median µs per verification for point and polygon
(50-vertex) targets, with WGS-84 input and with GCJ-02 input (conversion included), and the
per-item cost of verify_many against verify in a loop.  Fixes are built beforehand: Fix
construction (validation) is the caller's cost in both paths and is reported separately.

Run: .venv/bin/python bench/geo_verify.py [--items N] [--repeats R]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np
from shapely.geometry import Point, Polygon

from geo import Fix, Target, verify, verify_many, wgs84_to_gcj02

SITE = (31.2304, 121.4737)


def make_targets() -> dict[str, Target]:
    """A point target and a 50-vertex polygon target around SITE."""
    ang = np.linspace(0, 2 * np.pi, 50, endpoint=False)
    rng = np.random.default_rng(0)
    r = 0.003 * (1 + 0.3 * rng.uniform(-1, 1, 50))
    ring = np.column_stack([SITE[1] + r * np.cos(ang), SITE[0] + 0.8 * r * np.sin(ang)])
    return {
        "point": Target(point=Point(SITE[1], SITE[0]), radius_m=100, geometry_version=1),
        "polygon": Target(polygon=Polygon(ring), radius_m=100, geometry_version=1),
    }


def make_fixes(n: int, crs: str, seed: int = 1) -> list[Fix]:
    """n fixes scattered within ~1 km of SITE (about half outside a polygon), in ``crs``."""
    rng = np.random.default_rng(seed)
    lats = SITE[0] + rng.uniform(-0.01, 0.01, n)
    lons = SITE[1] + rng.uniform(-0.01, 0.01, n)
    acc = rng.uniform(3, 60, n)
    fixes = []
    for lat, lon, a in zip(lats.tolist(), lons.tolist(), acc.tolist(), strict=True):
        if crs == "gcj02":
            lat, lon = wgs84_to_gcj02(lat, lon)
        fixes.append(Fix(lat, lon, a, crs=crs, source="gps"))
    return fixes


def per_call_us(fixes: list[Fix], target: Target) -> list[float]:
    """Wall time of each single verify call, in µs."""
    out = []
    clock = time.perf_counter_ns
    for fix in fixes:
        t0 = clock()
        verify(fix, target)
        out.append((clock() - t0) / 1000.0)
    return out


def loop_us(fixes: list[Fix], target: Target) -> float:
    """µs per item of verify in a list comprehension."""
    t0 = time.perf_counter()
    [verify(f, target) for f in fixes]
    return (time.perf_counter() - t0) / len(fixes) * 1e6


def batch_us(fixes: list[Fix], target: Target, materialise: bool) -> float:
    """µs per item of verify_many (optionally also building every Verification object)."""
    t0 = time.perf_counter()
    batch = verify_many(fixes, target)
    if materialise:
        list(batch)
    return (time.perf_counter() - t0) / len(fixes) * 1e6


def main() -> None:
    """Run every scenario ``repeats`` times and print the best (least disturbed) run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    targets = make_targets()
    print(f"python {platform.python_version()} on {platform.machine()}, {args.items} fixes, "
          f"best of {args.repeats} runs")

    t0 = time.perf_counter()
    make_fixes(args.items, "wgs84")
    fix_us = (time.perf_counter() - t0) / args.items * 1e6
    print(f"Fix construction (validation): {fix_us:.1f} µs each (not included below)\n")

    print(f"{'scenario':<22}{'median µs':>10}{'verif/s':>12}")
    for crs in ("wgs84", "gcj02"):
        fixes = make_fixes(args.items, crs)
        for kind, target in targets.items():
            medians = [statistics.median(per_call_us(fixes, target)) for _ in range(args.repeats)]
            best = min(medians)
            print(f"{kind + ' / ' + crs:<22}{best:>10.1f}{1e6 / best:>12,.0f}")

    print(f"\n{'verify_many vs loop':<22}{'loop µs':>9}{'batch µs':>10}{'speed-up':>10}"
          f"{'+objects µs':>13}{'speed-up':>10}")
    for crs in ("wgs84", "gcj02"):
        fixes = make_fixes(args.items, crs)
        for kind, target in targets.items():
            loop = min(loop_us(fixes, target) for _ in range(args.repeats))
            cols = min(batch_us(fixes, target, False) for _ in range(args.repeats))
            objs = min(batch_us(fixes, target, True) for _ in range(args.repeats))
            print(f"{kind + ' / ' + crs:<22}{loop:>9.1f}{cols:>10.2f}{loop / cols:>9.1f}x"
                  f"{objs:>13.2f}{loop / objs:>9.1f}x")


if __name__ == "__main__":
    main()
