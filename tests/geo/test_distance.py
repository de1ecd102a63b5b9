"""Specification of geo.distance: metres on the WGS-84 ellipsoid, checked against GeographicLib.

The accuracy contract: within 0.1% + 0.5 m of GeographicLib for distances up to 10 km at
latitudes 18°N-54°N, for point-point and point-polygon distances.
"""

import math

import numpy as np
import pytest
import shapely
from geographiclib.geodesic import Geodesic
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon

import geo.distance as distance_module
from geo import (
    PreparedArea,
    geodesic_distance_m,
    geodesic_distances_m,
    local_metric_xy,
    point_polygon_distance_m,
)

WGS84 = Geodesic.WGS84


def tolerance(metres):
    return 0.001 * metres + 0.5


def destination(lat, lon, azimuth, metres):
    g = WGS84.Direct(lat, lon, azimuth, metres)
    return g["lat2"], g["lon2"]


def reference_m(lat1, lon1, lat2, lon2):
    return WGS84.Inverse(lat1, lon1, lat2, lon2, Geodesic.DISTANCE)["s12"]


# --- point to point --------------------------------------------------------------------------


def test_point_distance_meets_the_accuracy_contract_on_a_grid():
    worst = 0.0
    for lat in range(18, 55, 4):
        for azimuth in range(0, 360, 30):
            for metres in (0.5, 1, 10, 100, 1_000, 5_000, 10_000):
                lat2, lon2 = destination(lat, 116.0, azimuth, metres)
                error = abs(geodesic_distance_m(lat, 116.0, lat2, lon2) - metres)
                worst = max(worst, error / tolerance(metres))
    # Measured: the worst error is ~1 cm at 10 km, a few % of the allowed budget.
    assert worst < 0.05


@settings(max_examples=300, deadline=None)
@given(
    st.floats(18, 54), st.floats(73, 135), st.floats(-180, 180), st.floats(0, 10_000)
)
def test_point_distance_meets_the_accuracy_contract_anywhere_in_china(lat, lon, azimuth, metres):
    lat2, lon2 = destination(lat, lon, azimuth, metres)
    assert abs(geodesic_distance_m(lat, lon, lat2, lon2) - metres) <= tolerance(metres)


def test_point_distance_stays_within_metres_between_cities():
    beijing, shanghai = (39.9042, 116.4074), (31.2304, 121.4737)
    expected = reference_m(*beijing, *shanghai)
    assert geodesic_distance_m(*beijing, *shanghai) == pytest.approx(expected, abs=5.0)


def test_distance_from_a_point_to_itself_is_zero_and_distance_is_symmetric():
    assert geodesic_distance_m(30.0, 120.0, 30.0, 120.0) == 0.0
    a, b = (30.0, 120.0), (30.01, 120.02)
    assert geodesic_distance_m(*a, *b) == pytest.approx(geodesic_distance_m(*b, *a), rel=1e-12)


def test_vectorised_point_distance_matches_the_scalar_one():
    rng = np.random.default_rng(3)
    lat1, lon1 = rng.uniform(18, 54, 500), rng.uniform(73, 135, 500)
    lat2, lon2 = lat1 + rng.normal(0, 0.05, 500), lon1 + rng.normal(0, 0.05, 500)
    lat2[:5], lon2[:5] = lat1[:5], lon1[:5]  # coincident points
    got = geodesic_distances_m(lat1, lon1, lat2, lon2)
    expected = [geodesic_distance_m(*args) for args in zip(lat1, lon1, lat2, lon2, strict=True)]
    assert np.allclose(got, expected, rtol=1e-10, atol=1e-6)
    assert np.all(got[:5] == 0.0)


def test_local_metric_frame_puts_points_at_their_geodesic_distance_and_bearing():
    for azimuth in range(0, 360, 45):
        lat2, lon2 = destination(45.0, 120.0, azimuth, 8_000)
        x, y = local_metric_xy(45.0, 120.0, lat2, lon2)
        assert math.hypot(x, y) == pytest.approx(8_000, abs=0.05)
        # The frame's direction is the geodesic's mean azimuth, which differs from the
        # starting azimuth by half the meridian convergence (~0.025° here).
        bearing = math.degrees(math.atan2(x, y)) % 360
        assert abs((bearing - azimuth + 180) % 360 - 180) < 0.05


def test_local_metric_frame_wraps_across_the_antimeridian():
    x, _ = local_metric_xy(0.0, 179.9999, 0.0, -179.9999)
    assert x == pytest.approx(22.26, abs=0.05)


# --- point to polygon ------------------------------------------------------------------------


def ring(lat, lon, radius_m, n=50, jitter=0.0, seed=0):
    """A roughly circular WGS-84 ring of ``n`` vertices around (lat, lon)."""
    rng = np.random.default_rng(seed)
    radii = radius_m * (1 + jitter * rng.uniform(-1, 1, n))
    pts = [destination(lat, lon, 360 * i / n, r) for i, r in enumerate(radii)]
    return [(p[1], p[0]) for p in pts]


def brute_force_m(lat, lon, area):
    """Reference: GeographicLib distance to densely sampled boundary points.

    Sampling a straight (lon/lat) edge every s metres overestimates the distance d to it by
    at most s²/8d, so s is chosen to keep that under 2 cm; only the part of the boundary
    that a coarse pass shows can be nearest is sampled densely, to keep the test fast.
    """
    boundary = area.boundary
    coarse = shapely.get_coordinates(shapely.segmentize(boundary, 0.0005))
    best = min(reference_m(lat, lon, y, x) for x, y in coarse)
    reach_deg = (best * 1.1 + 5) / (111_000 * math.cos(math.radians(lat)))
    near = boundary.intersection(shapely.Point(lon, lat).buffer(reach_deg, 64))
    spacing_deg = max(1.0, math.sqrt(0.16 * best)) / 111_000
    dense = shapely.get_coordinates(shapely.segmentize(near, spacing_deg))
    return min([best, *(reference_m(lat, lon, y, x) for x, y in dense)])


SITE = (31.2304, 121.4737)
PARK = Polygon(ring(*SITE, 300), [ring(*SITE, 80, n=12)])


def test_point_inside_a_polygon_is_at_distance_zero():
    inside = destination(*SITE, 45, 200)
    assert point_polygon_distance_m(*inside, PARK) == 0.0


def test_point_on_the_boundary_is_at_distance_zero():
    lon, lat = PARK.exterior.coords[0]
    assert point_polygon_distance_m(lat, lon, PARK) == 0.0


def test_point_in_a_hole_is_measured_to_the_hole_ring():
    centre_distance = point_polygon_distance_m(*SITE, PARK)
    assert centre_distance == pytest.approx(brute_force_m(*SITE, PARK), abs=0.5)
    assert 75 < centre_distance < 81


def test_multipolygon_distance_is_to_the_nearest_part():
    far_part = Polygon(ring(*destination(*SITE, 90, 3_000), 100))
    multi = MultiPolygon([PARK, far_part])
    probe = destination(*SITE, 90, 2_000)
    d = point_polygon_distance_m(*probe, multi)
    assert d == pytest.approx(900, abs=2)
    assert d == pytest.approx(brute_force_m(*probe, multi), abs=tolerance(d))


@pytest.mark.parametrize("lat", [18.5, 31.2, 45.0, 53.5])
@pytest.mark.parametrize("azimuth", [0, 37, 90, 135, 222])
@pytest.mark.parametrize("metres", [50, 900, 8_000])
def test_polygon_distance_meets_the_accuracy_contract_against_brute_force(lat, azimuth, metres):
    area = Polygon(ring(lat, 110.0, 1_500, n=50, jitter=0.3, seed=int(lat * azimuth)))
    probe = destination(lat, 110.0, azimuth, 1_500 * 1.3 + metres)
    expected = brute_force_m(*probe, area)
    got = point_polygon_distance_m(*probe, area)
    assert got == pytest.approx(expected, abs=tolerance(expected))


@settings(max_examples=25, deadline=None)
@given(
    st.floats(18, 54), st.floats(73, 135), st.floats(-180, 180), st.floats(0, 10_000),
    st.integers(0, 10_000),
)
def test_polygon_distance_property_against_brute_force(lat, lon, azimuth, metres, seed):
    area = Polygon(ring(lat, lon, 400, n=16, jitter=0.4, seed=seed))
    probe = destination(lat, lon, azimuth, metres)
    expected = brute_force_m(*probe, area) if not area.covers(shapely.Point(probe[::-1])) else 0
    got = point_polygon_distance_m(*probe, area)
    assert got == pytest.approx(expected, abs=tolerance(expected))


def test_prepared_area_batch_matches_single_queries_even_across_chunks(monkeypatch):
    monkeypatch.setattr(distance_module, "_BATCH_CELLS", 200)  # force several chunks
    area = PreparedArea(MultiPolygon([PARK, Polygon(ring(*destination(*SITE, 0, 5_000), 200))]))
    rng = np.random.default_rng(11)
    lats = SITE[0] + rng.uniform(-0.05, 0.05, 60)
    lons = SITE[1] + rng.uniform(-0.05, 0.05, 60)
    lats[0], lons[0] = SITE[0], SITE[1]  # in the hole
    lats[1], lons[1] = destination(*SITE, 10, 200)  # inside
    batch = area.distances_m(lats, lons)
    single = [area.distance_m(a, b) for a, b in zip(lats, lons, strict=True)]
    assert np.allclose(batch, single, atol=1e-6)
    assert batch[1] == 0.0 and batch[0] > 0.0


def test_prepared_area_keeps_its_geometry_and_answers_covers():
    area = PreparedArea(PARK)
    assert area.geometry is PARK
    assert area.covers(*destination(*SITE, 0, 200))
    assert not area.covers(*SITE)  # the hole is not part of the area


def test_repeated_vertices_do_not_break_polygon_distance():
    coords = ring(*SITE, 300, n=8)
    coords.insert(3, coords[3])
    area = Polygon(coords)
    probe = destination(*SITE, 0, 1_000)
    assert point_polygon_distance_m(*probe, area) == pytest.approx(
        brute_force_m(*probe, area), abs=tolerance(700)
    )
