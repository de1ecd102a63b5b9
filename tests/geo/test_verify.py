"""Specification of the geofence verdict (geo.verify) and of its inputs (geo.inputs)."""

import json
import math
from dataclasses import FrozenInstanceError
from datetime import UTC, datetime

import numpy as np
import pytest
from geographiclib.geodesic import Geodesic
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from geo import (
    DEFAULT_POLICY,
    RULE_VERSION,
    Fix,
    GeoError,
    Source,
    Target,
    Verdict,
    VerifyPolicy,
    decide,
    radius_in_sigmas,
    rescale_radius,
    verify,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

SITE = (39.9087, 116.3975)  # WGS-84


def near(metres, azimuth=90.0, origin=SITE):
    g = Geodesic.WGS84.Direct(origin[0], origin[1], azimuth, metres)
    return g["lat2"], g["lon2"]


def point_target(radius=100.0):
    return Target(point=Point(SITE[1], SITE[0]), radius_m=radius, geometry_version="v7")


def square(centre, half_m):
    corners = [near(half_m * math.sqrt(2), az, centre) for az in (45, 135, 225, 315)]
    return Polygon([(lon, lat) for lat, lon in corners])


# --- the three-way rule ----------------------------------------------------------------------


def test_the_rule_is_verified_when_the_whole_uncertainty_circle_is_inside():
    assert decide(80, 20, 100) == Verdict.VERIFIED  # d + a == R counts as inside


def test_the_rule_is_out_of_range_only_when_the_whole_circle_is_outside():
    assert decide(130, 30, 100) == Verdict.INCONCLUSIVE  # d - a == R is not beyond R
    assert decide(131, 30, 100) == Verdict.OUT_OF_RANGE


def test_the_rule_is_inconclusive_when_the_circle_straddles_the_fence():
    assert decide(90, 20, 100) == Verdict.INCONCLUSIVE


def test_wgs84_fix_near_site_is_verified():
    v = verify(Fix(*near(30), 10, source="browser"), point_target())
    assert v.verdict == Verdict.VERIFIED
    assert v.distance_m == pytest.approx(30, abs=0.01)
    assert v.measured_to == "point"


def test_fix_far_from_site_is_out_of_range():
    v = verify(Fix(*near(2_000), 20, source="gps"), point_target())
    assert v.verdict == Verdict.OUT_OF_RANGE


# --- coordinate systems ----------------------------------------------------------------------


def test_gcj02_fix_near_site_is_verified_after_conversion():
    gcj = wgs84_to_gcj02(*near(20))
    v = verify(Fix(*gcj, 10, crs="gcj02", source="wechat"), point_target())
    assert v.verdict == Verdict.VERIFIED
    assert v.distance_m == pytest.approx(20, abs=0.01)
    assert (v.lat, v.lon) == pytest.approx(near(20), abs=1e-9)
    assert v.crs == "gcj02"


def test_gcj02_numbers_misread_as_wgs84_would_be_hundreds_of_metres_off():
    gcj = wgs84_to_gcj02(*near(20))
    v = verify(Fix(*gcj, 10, source="wechat"), point_target())
    assert v.verdict == Verdict.OUT_OF_RANGE


def test_bd09_fix_near_site_is_verified_after_conversion():
    bd = wgs84_to_bd09(*near(40, azimuth=200))
    v = verify(Fix(*bd, 5, crs="BD-09", source="gps"), point_target())
    assert v.verdict == Verdict.VERIFIED
    assert v.distance_m == pytest.approx(40, abs=0.01)


# --- accuracy normalisation ------------------------------------------------------------------


def test_radius_of_a_circular_gaussian_follows_the_rayleigh_law():
    assert radius_in_sigmas(0.95) == pytest.approx(2.4477, abs=1e-4)
    assert radius_in_sigmas(0.68) == pytest.approx(1.5096, abs=1e-4)
    assert rescale_radius(10, 0.68, 0.95) == pytest.approx(16.214, abs=1e-3)


@pytest.mark.parametrize(("source", "factor"), [("gps", 1.6214), ("network", 1.6214),
                                                ("wechat", 1.6214), ("browser", 1.0)])
def test_accuracy_is_normalised_to_95_percent_by_source(source, factor):
    v = verify(Fix(*near(10), 20, source=source), point_target())
    assert v.raw_accuracy_m == 20
    assert v.accuracy_m == pytest.approx(20 * factor, rel=1e-4)
    assert v.confidence == 0.95


def test_android_68_percent_radius_can_turn_a_verdict_inconclusive():
    # Browser 95% radius of 30 m at 60 m: inside.  Android 68% radius of 30 m is 48.6 m at 95%.
    assert verify(Fix(*near(60), 30, source="browser"), point_target()).verdict == "verified"
    assert verify(Fix(*near(60), 30, source="gps"), point_target()).verdict == "inconclusive"


def test_missing_accuracy_is_inconclusive_and_says_why():
    v = verify(Fix(*near(5), None, source="gps"), point_target())
    assert v.verdict == Verdict.INCONCLUSIVE
    assert v.flags == ("accuracy_missing",)
    assert v.accuracy_m is None


def test_coarse_accuracy_is_inconclusive_even_far_away():
    v = verify(Fix(*near(5_000), 400, source="network"), point_target())  # 648 m at 95%
    assert v.verdict == Verdict.INCONCLUSIVE
    assert v.flags == ("accuracy_too_coarse",)


def test_the_maximum_accuracy_is_a_policy_setting():
    policy = VerifyPolicy(max_accuracy_m=1_000)
    v = verify(Fix(*near(5_000), 400, source="network"), point_target(), policy=policy)
    assert v.verdict == Verdict.OUT_OF_RANGE


def test_manual_position_is_always_inconclusive_and_flagged():
    v = verify(Fix(*SITE, 5, source="manual"), point_target())
    assert v.verdict == Verdict.INCONCLUSIVE
    assert v.flags == ("manual_position",)
    assert v.accuracy_m is None


def test_mock_location_and_zero_accuracy_are_flagged_without_changing_the_verdict():
    v = verify(Fix(*near(10), 0, source="gps", mock=True), point_target())
    assert v.verdict == Verdict.VERIFIED
    assert v.flags == ("mock_location", "accuracy_implausible")


# --- polygon targets -------------------------------------------------------------------------


def test_fix_inside_the_polygon_is_at_distance_zero_and_verified():
    target = Target(polygon=square(SITE, 200), radius_m=50, geometry_version=3)
    v = verify(Fix(*near(150), 40, source="browser"), target)
    assert v.distance_m == 0.0 and v.verdict == Verdict.VERIFIED and v.measured_to == "polygon"


def test_polygon_takes_precedence_over_the_point():
    far_point = Point(SITE[1] + 1, SITE[0])
    target = Target(point=far_point, polygon=square(SITE, 200), radius_m=50, geometry_version=3)
    assert verify(Fix(*SITE, 10, source="browser"), target).verdict == Verdict.VERIFIED


def test_fix_in_a_courtyard_hole_is_measured_to_the_hole():
    building = Polygon(square(SITE, 200).exterior.coords, [square(SITE, 50).exterior.coords])
    target = Target(polygon=building, radius_m=20, geometry_version=1)
    v = verify(Fix(*SITE, 5, source="browser"), target)
    assert v.distance_m == pytest.approx(50, abs=0.5)
    assert v.verdict == Verdict.OUT_OF_RANGE


def test_multipolygon_site_verifies_near_either_part():
    other = near(3_000)
    target = Target(polygon=MultiPolygon([square(SITE, 100), square(other, 100)]), radius_m=30,
                    geometry_version="campus-2")
    assert verify(Fix(*near(110, 0, other), 5, source="browser"), target).verdict == "verified"


# --- the stored record -----------------------------------------------------------------------


def test_verification_records_everything_needed_to_explain_it_later():
    v = verify(Fix(*wgs84_to_gcj02(*near(30)), 10, crs="gcj02", source="gps"), point_target())
    record = json.loads(json.dumps(v.as_dict()))
    assert record == {
        "verdict": "verified", "distance_m": pytest.approx(30, abs=0.01), "radius_m": 100.0,
        "accuracy_m": pytest.approx(16.2146, abs=1e-4), "raw_accuracy_m": 10.0,
        "lat": pytest.approx(near(30)[0]), "lon": pytest.approx(near(30)[1]), "flags": [],
        "geometry_version": "v7", "measured_to": "point", "source": "gps", "crs": "gcj02",
        "confidence": 0.95, "rule_version": RULE_VERSION,
    }


def test_verification_is_immutable():
    v = verify(Fix(*SITE, 5, source="gps"), point_target())
    with pytest.raises(FrozenInstanceError):
        v.verdict = Verdict.OUT_OF_RANGE  # type: ignore[misc]


# --- policy ----------------------------------------------------------------------------------


def test_policy_needs_a_confidence_for_every_measured_source():
    with pytest.raises(GeoError) as err:
        VerifyPolicy(source_confidence={"gps": 0.68})
    assert err.value.field == "source_confidence"


@pytest.mark.parametrize("kwargs", [{"confidence": 1.0}, {"confidence": 0}])
def test_policy_confidence_must_be_a_probability(kwargs):
    with pytest.raises(GeoError):
        VerifyPolicy(**kwargs)


@pytest.mark.parametrize("bad", [0, -1, math.nan])
def test_policy_max_accuracy_must_be_positive(bad):
    with pytest.raises(GeoError):
        VerifyPolicy(max_accuracy_m=bad)


def test_manual_positions_have_no_accuracy_factor():
    with pytest.raises(GeoError):
        DEFAULT_POLICY.accuracy_factor("manual")
    assert DEFAULT_POLICY.normalise_accuracy(10, Source.MANUAL) is None
    assert DEFAULT_POLICY.accuracy_factor(Source.BROWSER) == pytest.approx(1.0)


# --- bad input is an error, never a verdict --------------------------------------------------

GOOD_FIX = {"lat": 39.9, "lon": 116.4, "accuracy_m": 10.0, "source": "gps"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("lat", 90.0001), ("lat", -91), ("lon", 180.5), ("lon", -181), ("lat", math.nan),
        ("lon", math.inf), ("lat", "39.9"), ("lat", True), ("lat", None), ("lon", [1]),
        ("accuracy_m", -1), ("accuracy_m", math.nan), ("accuracy_m", math.inf),
        ("crs", "epsg:3857"), ("source", "satellite"), ("source", None),
        ("fix_time", datetime(2026, 3, 2, 9, 0)), ("fix_time", "2026-03-02"),
        ("mock", "yes"), ("altitude_m", math.nan),
    ],
)
def test_bad_fix_is_a_geo_error_naming_the_field(field, value):
    with pytest.raises(GeoError) as err:
        Fix(**{**GOOD_FIX, field: value})
    assert err.value.field == field
    assert field in str(err.value)


def test_fix_normalises_names_and_accepts_aware_times():
    fix = Fix(39.9, 116.4, 3, crs="GCJ-02", source="WeChat", altitude_m=40, mock=False,
              fix_time=datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    assert fix.crs == "gcj02" and fix.source is Source.WECHAT and fix.altitude_m == 40.0


def test_boundary_coordinates_are_valid():
    assert Fix(90, 180, source="gps").lat == 90.0
    assert Fix(-90, -180, source="gps").lon == -180.0


with np.errstate(invalid="ignore"):  # shapely warns while building the NaN ring we want
    NAN_RING = Polygon([(0, 0), (math.nan, 0), (1, 1)])
BOW_TIE = Polygon([(116.0, 39.0), (116.1, 39.1), (116.1, 39.0), (116.0, 39.1)])


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("target", {}),
        ("radius_m", {"point": Point(116, 39), "radius_m": 0}),
        ("radius_m", {"point": Point(116, 39), "radius_m": -5}),
        ("radius_m", {"point": Point(116, 39), "radius_m": math.nan}),
        ("radius_m", {"point": Point(116, 39), "radius_m": math.inf}),
        ("point", {"point": Point()}),
        ("point", {"point": Polygon([(0, 0), (1, 0), (1, 1)])}),
        ("point.lat", {"point": Point(116, 95)}),
        ("polygon", {"polygon": Polygon()}),
        ("polygon", {"polygon": BOW_TIE}),
        ("polygon", {"polygon": LineString([(0, 0), (1, 1)])}),
        ("polygon", {"polygon": Polygon([(200, 0), (201, 0), (201, 1)])}),
        ("polygon", {"polygon": NAN_RING}),
    ],
)
def test_bad_target_is_a_geo_error_naming_the_field(field, kwargs):
    with pytest.raises(GeoError) as err:
        Target(**{"radius_m": 100, "geometry_version": 1, **kwargs})
    assert err.value.field == field


def test_verify_rejects_things_that_are_not_fixes_or_targets():
    with pytest.raises(GeoError) as err:
        verify({"lat": 39.9, "lon": 116.4}, point_target())  # type: ignore[arg-type]
    assert err.value.field == "fix"
    with pytest.raises(GeoError) as err:
        verify(Fix(**GOOD_FIX), Point(116.4, 39.9))  # type: ignore[arg-type]
    assert err.value.field == "target"
