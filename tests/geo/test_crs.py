"""Specification of geo.crs: WGS-84 / GCJ-02 / BD-09 conversions.

Reference vectors come from the gcoord test-suite (hujiulong/gcoord); cross-checks use the
two independent public implementations installed as test dependencies.
"""

import math

import coord_convert.transform as cc
import eviltransform
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon

from geo import (
    CRS,
    GeoError,
    bd09_to_gcj02,
    bd09_to_wgs84,
    convert,
    convert_arrays,
    convert_geometry,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    geodesic_distance_m,
    geometry_to_wgs84,
    in_gcj02_area,
    parse_crs,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# Mainland China, generously: every firm fieldapp serves lies inside this box.
MAINLAND_LAT = st.floats(18.0, 54.0)
MAINLAND_LON = st.floats(73.0, 135.0)
GRID = [(lat, lon) for lat in np.arange(18.0, 54.01, 1.0) for lon in np.arange(73.0, 135.01, 1.0)]
ONE_CM = 0.01


def metres_apart(a, b):
    return geodesic_distance_m(a[0], a[1], b[0], b[1])


# --- published vectors -----------------------------------------------------------------------


def test_wgs84_to_gcj02_matches_published_vector():
    lat, lon = wgs84_to_gcj02(45.0, 123.0)
    assert lat == pytest.approx(45.00197815, abs=1e-8)
    assert lon == pytest.approx(123.00607541, abs=1e-8)


def test_wgs84_to_bd09_matches_published_vector():
    lat, lon = wgs84_to_bd09(45.0, 123.0)
    assert lat == pytest.approx(45.0083293, abs=1e-7)
    assert lon == pytest.approx(123.0124491, abs=1e-7)


def test_gcj02_to_bd09_matches_published_vector():
    lat, lon = gcj02_to_bd09(45.0, 123.0)
    assert lat == pytest.approx(45.00636899, abs=1e-8)
    assert lon == pytest.approx(123.00636499, abs=1e-8)


@pytest.mark.parametrize(
    ("decode", "expected"),
    [
        (gcj02_to_wgs84, (44.99804071, 122.99395597)),
        (bd09_to_gcj02, (44.99365430, 122.99363304)),
        (bd09_to_wgs84, (44.99171540, 122.98762210)),
    ],
)
def test_inverse_conversions_agree_with_published_approximate_vectors(decode, expected):
    # gcoord publishes its one-step approximations (5 decimals); ours are exact inverses,
    # so they agree to the published precision and round-trip far better.
    lat, lon = decode(45.0, 123.0)
    assert lat == pytest.approx(expected[0], abs=1e-5)
    assert lon == pytest.approx(expected[1], abs=1e-5)


# --- cross-checks against independent implementations ---------------------------------------


def test_gcj02_forward_equals_coord_convert_over_a_grid_covering_china():
    worst = max(
        max(abs(np.subtract(wgs84_to_gcj02(lat, lon), cc.wgs2gcj(lon, lat)[::-1])))
        for lat, lon in GRID
    )
    assert worst < 1e-9


def test_gcj02_forward_agrees_with_eviltransform_up_to_its_semi_major_axis_choice():
    # eviltransform scales the offset by the WGS-84 semi-major axis (6378137) rather than
    # Krasovsky's (6378245), a relative difference of 1.7e-5 of a <~700 m offset: < 2 cm.
    worst_m = max(metres_apart(wgs84_to_gcj02(lat, lon), eviltransform.wgs2gcj(lat, lon))
                  for lat, lon in GRID)
    assert worst_m < 0.02


def test_gcj02_inverse_is_exact_where_public_implementations_approximate():
    ours = their_one_step = their_iterative = 0.0
    for lat, lon in GRID:
        gcj = wgs84_to_gcj02(lat, lon)
        ours = max(ours, metres_apart(gcj02_to_wgs84(*gcj), (lat, lon)))
        their_one_step = max(their_one_step, metres_apart(eviltransform.gcj2wgs(*gcj), (lat, lon)))
        cc_lon, cc_lat = cc.gcj2wgs(*cc.wgs2gcj(lon, lat))
        their_iterative = max(their_iterative, metres_apart((cc_lat, cc_lon), (lat, lon)))
    assert ours < 0.001
    assert their_one_step > 1.0  # the metres-scale error we refuse to inherit
    assert ours < their_iterative


def test_bd09_forward_equals_both_public_implementations():
    for lat, lon in GRID:
        ours = gcj02_to_bd09(lat, lon)
        assert ours == pytest.approx(eviltransform.gcj2bd(lat, lon), abs=1e-12)
        assert ours == pytest.approx(cc.gcj2bd(lon, lat)[::-1], abs=1e-12)


def test_bd09_inverse_is_exact_where_the_closed_form_is_off_by_decimetres():
    ours = closed_form = 0.0
    for lat, lon in GRID:
        bd = gcj02_to_bd09(lat, lon)
        ours = max(ours, metres_apart(bd09_to_gcj02(*bd), (lat, lon)))
        closed_form = max(closed_form, metres_apart(eviltransform.bd2gcj(*bd), (lat, lon)))
    assert ours < 0.001
    assert closed_form > 0.05


# --- round-trip properties -------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(MAINLAND_LAT, MAINLAND_LON)
def test_wgs84_to_gcj02_and_back_is_within_a_centimetre(lat, lon):
    assert metres_apart(gcj02_to_wgs84(*wgs84_to_gcj02(lat, lon)), (lat, lon)) < ONE_CM


@settings(max_examples=300, deadline=None)
@given(MAINLAND_LAT, MAINLAND_LON)
def test_wgs84_to_bd09_and_back_is_within_a_centimetre(lat, lon):
    assert metres_apart(bd09_to_wgs84(*wgs84_to_bd09(lat, lon)), (lat, lon)) < ONE_CM


@settings(max_examples=300, deadline=None)
@given(MAINLAND_LAT, MAINLAND_LON)
def test_gcj02_and_bd09_round_trip_both_ways(lat, lon):
    assert metres_apart(bd09_to_gcj02(*gcj02_to_bd09(lat, lon)), (lat, lon)) < ONE_CM
    assert metres_apart(gcj02_to_bd09(*bd09_to_gcj02(lat, lon)), (lat, lon)) < ONE_CM


@settings(max_examples=100, deadline=None)
@given(MAINLAND_LAT, MAINLAND_LON, st.sampled_from(list(CRS)), st.sampled_from(list(CRS)))
def test_convert_between_any_pair_round_trips(lat, lon, src, dst):
    there = convert(lat, lon, src, dst)
    assert metres_apart(convert(*there, dst, src), (lat, lon)) < ONE_CM


# --- the GCJ-02 area -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("place", "lat", "lon"),
    [("London", 51.5074, -0.1278), ("Tokyo", 35.6895, 139.6917), ("Sydney", -33.87, 151.21)],
)
def test_positions_outside_the_gcj02_area_pass_through_unchanged(place, lat, lon):
    assert not in_gcj02_area(lat, lon)
    assert wgs84_to_gcj02(lat, lon) == (lat, lon)
    assert gcj02_to_wgs84(lat, lon) == (lat, lon)


def test_the_gcj02_area_is_the_sdk_rectangle_including_taipei_and_hong_kong():
    # Accepted, documented crudeness of the rectangle: it matches what the SDKs encode.
    assert in_gcj02_area(25.03, 121.56)  # Taipei
    assert in_gcj02_area(22.32, 114.17)  # Hong Kong
    assert wgs84_to_gcj02(25.03, 121.56) != (25.03, 121.56)


def test_gcj02_offset_inside_china_is_hundreds_of_metres():
    beijing = (39.9087, 116.3975)
    assert 100 < metres_apart(wgs84_to_gcj02(*beijing), beijing) < 1000


# --- entry points ----------------------------------------------------------------------------


@pytest.mark.parametrize("alias", ["gcj02", "GCJ-02", "gcj_02", " GCJ02 ", CRS.GCJ02])
def test_parse_crs_accepts_common_spellings(alias):
    assert parse_crs(alias) is CRS.GCJ02


def test_parse_crs_accepts_baidu_bd09ll():
    assert parse_crs("bd09ll") is CRS.BD09


@pytest.mark.parametrize("bad", ["epsg:4326", "", None, 4326])
def test_unknown_crs_is_a_geo_error_naming_the_crs_field(bad):
    with pytest.raises(GeoError) as err:
        parse_crs(bad)
    assert err.value.field == "crs"


def test_to_wgs84_dispatches_on_crs():
    lat, lon = 31.2304, 121.4737
    assert to_wgs84(lat, lon, "wgs84") == (lat, lon)
    assert to_wgs84(lat, lon, "gcj02") == gcj02_to_wgs84(lat, lon)
    assert to_wgs84(lat, lon, "bd09") == bd09_to_wgs84(lat, lon)


def test_convert_gcj02_to_bd09_is_direct():
    assert convert(31.2, 121.4, "gcj02", "bd09") == gcj02_to_bd09(31.2, 121.4)
    assert convert(31.2, 121.4, "bd09", "gcj02") == bd09_to_gcj02(31.2, 121.4)
    assert convert(31.2, 121.4, "bd09", "bd09") == (31.2, 121.4)


@pytest.mark.parametrize("src", list(CRS))
@pytest.mark.parametrize("dst", list(CRS))
def test_array_conversion_matches_point_conversion(src, dst):
    rng = np.random.default_rng(7)
    lats = np.concatenate([rng.uniform(18, 54, 200), [51.5, -33.9]])
    lons = np.concatenate([rng.uniform(73, 135, 200), [-0.12, 151.2]])
    out_lat, out_lon = convert_arrays(lats, lons, src, dst)
    for i in range(len(lats)):
        expected = convert(lats[i], lons[i], src, dst)
        assert out_lat[i] == pytest.approx(expected[0], abs=1e-9)
        assert out_lon[i] == pytest.approx(expected[1], abs=1e-9)


def test_array_conversion_of_empty_arrays_is_empty():
    lat, lon = convert_arrays([], [], "bd09", "wgs84")
    assert lat.shape == lon.shape == (0,)


def _ring(lat, lon, r, n=12):
    ang = np.linspace(0, 2 * math.pi, n, endpoint=False)
    return np.column_stack([lon + r * np.cos(ang), lat + r * np.sin(ang)])


def test_polygon_with_hole_is_converted_vertex_by_vertex():
    gcj_poly = Polygon(_ring(31.23, 121.47, 0.01), [_ring(31.23, 121.47, 0.003)])
    wgs = geometry_to_wgs84(gcj_poly, "gcj02")
    assert isinstance(wgs, Polygon) and len(wgs.interiors) == 1
    pairs = zip(shapely.get_coordinates(gcj_poly), shapely.get_coordinates(wgs), strict=True)
    for (x, y), (wx, wy) in pairs:
        assert (wy, wx) == pytest.approx(gcj02_to_wgs84(y, x), abs=1e-9)


def test_multipolygon_conversion_keeps_every_part():
    multi = MultiPolygon([Polygon(_ring(39.9, 116.4, 0.01)), Polygon(_ring(39.8, 116.6, 0.01))])
    bd = convert_geometry(multi, "wgs84", "bd09")
    assert isinstance(bd, MultiPolygon) and len(bd.geoms) == 2
    back = geometry_to_wgs84(bd, CRS.BD09)
    assert np.allclose(shapely.get_coordinates(back), shapely.get_coordinates(multi), atol=1e-9)


def test_geometry_already_in_wgs84_is_returned_as_is():
    poly = Polygon(_ring(39.9, 116.4, 0.01))
    assert geometry_to_wgs84(poly, "wgs84") is poly
