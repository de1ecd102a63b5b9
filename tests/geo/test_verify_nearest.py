"""Specification of ``geo.verify_nearest``: the nearest of a firm's sites, and its verdict, in
one pass."""

import pytest
from geographiclib.geodesic import Geodesic
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon

from geo import CRS, Fix, GeoError, Target, verify, verify_nearest, wgs84_to_gcj02

SITE = (39.9087, 116.3975)  # WGS-84


def near(metres, azimuth=90.0, origin=SITE):
    g = Geodesic.WGS84.Direct(origin[0], origin[1], azimuth, metres)
    return g["lat2"], g["lon2"]


def point_at(lat_lon, radius=100.0, version=1):
    return Target(point=Point(lat_lon[1], lat_lon[0]), radius_m=radius, geometry_version=version)


def square_around(lat_lon, half_m, version=1):
    north, east = near(half_m, 0, lat_lon)[0], near(half_m, 90, lat_lon)[1]
    south, west = near(half_m, 180, lat_lon)[0], near(half_m, 270, lat_lon)[1]
    return Target(polygon=Polygon([(west, south), (east, south), (east, north), (west, north)]),
                  radius_m=50.0, geometry_version=version)


def test_the_nearest_site_is_chosen_and_judged_as_verify_would():
    far, close = point_at(near(900), version="far"), point_at(near(60), version="close")
    fix = Fix(*near(40), accuracy_m=10, source="gps")
    index, verification = verify_nearest(fix, [far, close])
    assert index == 1
    assert verification == verify(fix, close)
    assert verification.geometry_version == "close"


def test_a_gcj02_fix_is_converted_once_and_picks_the_site_it_is_really_near():
    # In GCJ-02 the raw numbers lie ~500 m from the truth: a naive pick would choose wrongly.
    fix_wgs = near(30)
    fix = Fix(*wgs84_to_gcj02(*fix_wgs), accuracy_m=10, crs=CRS.GCJ02, source="wechat")
    beside_the_truth = point_at(near(10, 0, fix_wgs), version="true")
    beside_the_raw_numbers = point_at(wgs84_to_gcj02(*fix_wgs), version="raw")
    index, verification = verify_nearest(fix, [beside_the_raw_numbers, beside_the_truth])
    assert index == 1
    assert verification.verdict == "verified"


def test_a_polygon_holding_the_fix_beats_a_point_a_few_metres_away():
    area = square_around(near(200), 250, version="area")
    point = point_at(near(5), version="point")
    fix = Fix(*near(200), accuracy_m=5, source="gps")
    index, verification = verify_nearest(fix, [point, area])
    assert index == 1
    assert verification.distance_m == 0.0
    assert verification.measured_to == "polygon"


def test_on_a_tie_the_earlier_target_wins():
    fix = Fix(*SITE, accuracy_m=5, source="gps")
    index, _ = verify_nearest(fix, [point_at(near(50, 0), version=1),
                                    point_at(near(50, 180), version=2)])
    assert index == 0


def test_no_target_is_an_error_naming_the_target():
    with pytest.raises(GeoError) as err:
        verify_nearest(Fix(*SITE, accuracy_m=5, source="gps"), [])
    assert err.value.field == "target"


def test_something_else_than_a_target_is_refused():
    with pytest.raises(GeoError) as err:
        verify_nearest(Fix(*SITE, accuracy_m=5, source="gps"), [point_at(SITE), "site"])
    assert err.value.field == "target"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 5000), st.floats(0, 360)), min_size=1, max_size=6),
       st.floats(0, 3000), st.floats(0, 360), st.floats(1, 200))
def test_the_choice_is_the_minimum_distance_and_its_verdict_is_verify_s(sites, d, az, acc):
    targets = [point_at(near(m, a), version=i) for i, (m, a) in enumerate(sites)]
    fix = Fix(*near(d, az), accuracy_m=acc, source="gps")
    index, verification = verify_nearest(fix, targets)
    singles = [verify(fix, t) for t in targets]
    assert verification == singles[index]
    assert verification.distance_m == min(v.distance_m for v in singles)
    assert index == min(i for i, v in enumerate(singles)
                        if v.distance_m == verification.distance_m)
