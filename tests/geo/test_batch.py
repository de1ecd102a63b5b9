"""Specification of verify_many: the same verdicts as verify, computed column-wise."""

import math
import random

import numpy as np
import pytest
from geographiclib.geodesic import Geodesic
from shapely.geometry import Point, Polygon

from geo import (
    Fix,
    GeoError,
    Target,
    Verdict,
    VerificationBatch,
    VerifyPolicy,
    convert,
    verify,
    verify_many,
)

SITE = (31.2304, 121.4737)


def near(metres, azimuth, origin=SITE):
    g = Geodesic.WGS84.Direct(origin[0], origin[1], azimuth, metres)
    return g["lat2"], g["lon2"]


def polygon_around(origin, metres, n=50):
    pts = [near(metres, 360 * i / n, origin) for i in range(n)]
    inner = [near(metres / 4, 360 * i / 12, origin) for i in range(12)]
    return Polygon([(lon, lat) for lat, lon in pts], [[(lon, lat) for lat, lon in inner]])


POINT_TARGET = Target(point=Point(SITE[1], SITE[0]), radius_m=100, geometry_version="p1")
AREA_TARGET = Target(polygon=polygon_around(SITE, 300), radius_m=50, geometry_version="a1")
OTHER_AREA = Target(polygon=polygon_around(near(5_000, 0), 200), radius_m=80,
                    geometry_version="a2")


def mixed_fixes(n, seed=1):
    rng = random.Random(seed)
    fixes = []
    for _ in range(n):
        lat, lon = near(rng.uniform(0, 1_500), rng.uniform(0, 360))
        crs = rng.choice(["wgs84", "gcj02", "bd09"])
        lat, lon = convert(lat, lon, "wgs84", crs)
        fixes.append(Fix(lat, lon, rng.choice([None, 0.5, 5, 30, 120, 900]),
                         crs=crs, source=rng.choice(["gps", "network", "browser", "wechat",
                                                     "manual"]),
                         mock=rng.choice([None, False, True])))
    return fixes


def assert_same(batch_item, single):
    assert batch_item.verdict == single.verdict
    assert batch_item.flags == single.flags
    assert batch_item.distance_m == pytest.approx(single.distance_m, abs=1e-6)
    assert (batch_item.lat, batch_item.lon) == pytest.approx((single.lat, single.lon), abs=1e-12)
    assert batch_item.as_dict().keys() == single.as_dict().keys()
    for key in ("radius_m", "accuracy_m", "raw_accuracy_m", "geometry_version", "measured_to",
                "source", "crs", "confidence", "rule_version"):
        assert getattr(batch_item, key) == pytest.approx(getattr(single, key)), key


@pytest.mark.parametrize("target", [POINT_TARGET, AREA_TARGET], ids=["point", "polygon"])
def test_batch_against_one_target_gives_the_same_verifications_as_one_by_one(target):
    fixes = mixed_fixes(400)
    batch = verify_many(fixes, target)
    assert len(batch) == 400
    for item, fix in zip(batch, fixes, strict=True):
        assert_same(item, verify(fix, target))
    assert {v.verdict for v in batch} == set(Verdict)


def test_batch_with_a_target_per_fix_gives_the_same_verifications():
    fixes = mixed_fixes(300, seed=2)
    targets = [random.Random(i).choice([POINT_TARGET, AREA_TARGET, OTHER_AREA])
               for i in range(300)]
    batch = verify_many(fixes, targets)
    for item, fix, target in zip(batch, fixes, targets, strict=True):
        assert_same(item, verify(fix, target))


def test_batch_honours_the_policy():
    policy = VerifyPolicy(max_accuracy_m=2_000)
    fixes = [Fix(*near(3_000, 90), 900, source="network")]
    assert verify_many(fixes, POINT_TARGET, policy=policy)[0].verdict == Verdict.OUT_OF_RANGE
    assert verify_many(fixes, POINT_TARGET)[0].verdict == Verdict.INCONCLUSIVE


def test_batch_exposes_columns_and_behaves_as_a_sequence():
    fixes = [Fix(*SITE, 5, source="browser"), Fix(*near(1_000, 0), 5, source="browser"),
             Fix(*SITE, None, source="gps")]
    batch = verify_many(fixes, POINT_TARGET)
    assert isinstance(batch, VerificationBatch)
    assert batch.verdicts == (Verdict.VERIFIED, Verdict.OUT_OF_RANGE, Verdict.INCONCLUSIVE)
    assert batch.verdict_codes.tolist() == [0, 1, 2]
    assert batch.distance_m[1] == pytest.approx(1_000, abs=0.1)
    assert math.isnan(batch.accuracy_m[2]) and math.isnan(batch.raw_accuracy_m[2])
    assert np.all(batch.radius_m == 100)
    assert batch[-1] == batch[2]
    assert [v.verdict for v in batch[:2]] == ["verified", "out_of_range"]
    with pytest.raises(IndexError):
        batch[3]


def test_empty_batch_is_empty():
    batch = verify_many([], POINT_TARGET)
    assert len(batch) == 0 and batch.verdicts == ()
    assert len(verify_many([], [])) == 0


def test_batch_rejects_mismatched_or_wrong_inputs():
    fix = Fix(*SITE, 5, source="gps")
    with pytest.raises(GeoError) as err:
        verify_many([fix, fix], [POINT_TARGET])
    assert err.value.field == "targets"
    with pytest.raises(GeoError) as err:
        verify_many([fix, (31.2, 121.4)], POINT_TARGET)  # type: ignore[list-item]
    assert err.value.field == "fix"
    with pytest.raises(GeoError) as err:
        verify_many([fix], [Point(121.4, 31.2)])  # type: ignore[list-item]
    assert err.value.field == "target"
