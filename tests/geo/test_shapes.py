"""geo.shapes: site points and GeoJSON boundaries as clients send them, checked strictly."""

import math

import pytest
import shapely
import shapely.affinity
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Point, Polygon, shape

from geo import (
    GeoError,
    boundary_to_wgs84,
    check_point_near_boundary,
    gcj02_to_wgs84,
    keep_unchanged_parts,
    parse_point,
    point_polygon_distance_m,
    site_shape,
    to_geojson,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

SQUARE = [[108.70, 34.32], [108.72, 34.32], [108.72, 34.34], [108.70, 34.34], [108.70, 34.32]]
CENTRE = {"lat": 34.33, "lon": 108.71}


def polygon(*rings):
    return {"type": "Polygon", "coordinates": [list(r) for r in rings]}


def field_of(call) -> tuple[str, str]:
    with pytest.raises(GeoError) as info:
        call()
    return info.value.field, info.value.message


def test_a_wgs84_point_and_square_come_back_unchanged():
    got = site_shape(CENTRE, polygon(SQUARE))
    assert (got.lat, got.lon) == (34.33, 108.71)
    assert got.boundary.equals(Polygon(SQUARE))


@pytest.mark.parametrize("to_crs,crs", [(wgs84_to_gcj02, "gcj02"), (wgs84_to_bd09, "bd09")])
def test_gcj02_and_bd09_input_is_stored_as_wgs84(to_crs, crs):
    lat, lon = to_crs(34.33, 108.71)
    moved = [list(reversed(to_crs(y, x))) for x, y in SQUARE]
    got = site_shape({"lat": lat, "lon": lon}, polygon(moved), crs)
    assert got.lat == pytest.approx(34.33, abs=1e-6)
    assert got.lon == pytest.approx(108.71, abs=1e-6)
    assert got.boundary.symmetric_difference(Polygon(SQUARE)).area < 1e-9


def test_no_boundary_is_allowed():
    assert site_shape(CENTRE).boundary is None


@pytest.mark.parametrize("point,field", [
    ("34.3,108.7", "point"), ({"lat": 34.3}, "point.lon"), ({"lon": 108.7}, "point.lat"),
    ({"lat": 91, "lon": 108.7}, "point.lat"), ({"lat": 34.3, "lon": -181}, "point.lon"),
    ({"lat": math.nan, "lon": 108.7}, "point.lat"), ({"lat": "34.3", "lon": 108.7}, "point.lat"),
    ({"lat": True, "lon": 108.7}, "point.lat"), ({"lat": 34.3, "lon": math.inf}, "point.lon"),
])
def test_a_bad_point_names_its_field(point, field):
    assert field_of(lambda: site_shape(point))[0] == field


def test_an_unknown_crs_is_named():
    assert field_of(lambda: site_shape(CENTRE, None, "utm"))[0] == "crs"


def test_an_unclosed_ring_is_refused_though_shapely_would_close_it():
    unclosed = [*SQUARE[:-1], [108.70, 34.33]]
    field, message = field_of(lambda: site_shape(CENTRE, polygon(unclosed)))
    assert field == "boundary"
    assert "not closed" in message
    assert "at least 4" in field_of(lambda: site_shape(CENTRE, polygon(SQUARE[:3])))[1]


def test_a_self_intersecting_bow_tie_is_refused_with_the_reason():
    bow_tie = [[108.70, 34.32], [108.72, 34.34], [108.72, 34.32], [108.70, 34.34],
               [108.70, 34.32]]
    field, message = field_of(lambda: site_shape(CENTRE, polygon(bow_tie)))
    assert field == "boundary"
    assert "Self-intersection" in message


def test_a_hole_outside_its_shell_is_refused():
    hole = [[108.80, 34.40], [108.81, 34.40], [108.81, 34.41], [108.80, 34.40]]
    assert "invalid geometry" in field_of(lambda: site_shape(CENTRE, polygon(SQUARE, hole)))[1]


def test_a_flat_ring_encloses_no_area():
    flat = [[108.70, 34.32], [108.71, 34.32], [108.72, 34.32], [108.70, 34.32]]
    field, message = field_of(lambda: site_shape(CENTRE, polygon(flat)))
    assert field == "boundary"
    assert "invalid geometry" in message or "no area" in message


def test_too_many_vertices_are_refused_with_the_count():
    ring = [[108.71 + 0.01 * math.cos(t / 100), 34.33 + 0.01 * math.sin(t / 100)]
            for t in range(628)]
    ring.append(ring[0])
    assert site_shape(CENTRE, polygon(ring), max_vertices=629).boundary is not None
    field, message = field_of(lambda: site_shape(CENTRE, polygon(ring), max_vertices=628))
    assert (field, "629" in message) == ("boundary", True)


@pytest.mark.parametrize("boundary,words", [
    ([1, 2], "GeoJSON"), ({"type": "Point", "coordinates": [1, 2]}, "Polygon or MultiPolygon"),
    ({"type": "Polygon", "coordinates": []}, "non-empty"),
    ({"type": "Polygon", "coordinates": "x"}, "non-empty"),
    ({"type": "Polygon", "coordinates": [5]}, "array of positions"),
    (polygon([[108.7, 34.3, 1, 2]] * 4), "position"),
    (polygon([[108.7, "34.3"]] * 4), "finite numbers"),
    (polygon([[108.7, math.nan]] * 4), "finite numbers"),
    (polygon([[34.3, 108.7]] * 4), "longitude first"),
    ({"type": "MultiPolygon", "coordinates": []}, "non-empty"),
])
def test_malformed_geojson_says_what_is_wrong(boundary, words):
    field, message = field_of(lambda: site_shape(CENTRE, boundary))
    assert field == "boundary"
    assert words in message


def test_a_multipolygon_of_two_parcels_is_kept():
    east = [[x + 0.03, y] for x, y in SQUARE]
    got = site_shape(CENTRE, {"type": "MultiPolygon", "coordinates": [[SQUARE], [east]]})
    assert isinstance(got.boundary, MultiPolygon)
    assert len(got.boundary.geoms) == 2


def test_a_point_far_outside_its_boundary_is_refused_but_near_is_fine():
    near = {"lat": 34.33, "lon": 108.7205}  # about 46 m east of the square
    assert site_shape(near, polygon(SQUARE), max_outside_m=100).boundary is not None
    far = {"lat": 34.33, "lon": 108.75}  # about 2.8 km east
    field, message = field_of(lambda: site_shape(far, polygon(SQUARE), max_outside_m=1000))
    assert field == "point"
    assert "outside its own boundary" in message


def test_rings_are_stored_counter_clockwise_whatever_the_input_winding():
    clockwise = list(reversed(SQUARE))
    got = site_shape(CENTRE, polygon(clockwise))
    assert got.boundary.exterior.is_ccw


def test_geojson_out_rounds_to_seven_decimals_and_reads_back():
    square = Polygon([(108.700000001, 34.32), (108.72, 34.32), (108.72, 34.34),
                      (108.70, 34.34)])
    out = to_geojson(square)
    assert out["type"] == "Polygon"
    assert out["coordinates"][0][0] == (108.7, 34.32)
    assert shape(out).symmetric_difference(square).area < 1e-10
    assert to_geojson(Point(108.71234567891, 34.3))["coordinates"] == (108.7123457, 34.3)


def test_parse_point_and_check_near_boundary_stand_alone():
    assert parse_point({"lat": 1, "lon": 2}) == (1.0, 2.0)
    check_point_near_boundary(Point(108.71, 34.33), None)  # nothing to compare with
    with pytest.raises(GeoError):
        check_point_near_boundary(Point(109.0, 34.33), Polygon(SQUARE), max_outside_m=10)


lats = st.floats(min_value=18.5, max_value=53.0)
lons = st.floats(min_value=74.0, max_value=134.0)
sizes = st.floats(min_value=1e-4, max_value=0.05)


@settings(max_examples=200, deadline=None)
@given(lat=lats, lon=lons, size=sizes, crs=st.sampled_from(["wgs84", "gcj02", "bd09"]))
def test_any_square_in_china_round_trips_to_wgs84_valid_and_ccw(lat, lon, size, crs):
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size],
            [lon, lat]]
    got = boundary_to_wgs84(polygon(ring), crs)
    assert got.is_valid
    assert got.exterior.is_ccw
    assert shapely.get_num_coordinates(got) == 5
    if crs == "gcj02":  # each vertex converted the same way as a single point
        x, y = got.exterior.coords[0]
        back_lat, back_lon = gcj02_to_wgs84(lat, lon)
        assert (y, x) == pytest.approx((back_lat, back_lon), abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(lat=lats, lon=lons, size=sizes, fx=st.floats(0.01, 0.99), fy=st.floats(0.01, 0.99))
def test_a_point_inside_its_boundary_is_always_accepted_at_distance_zero(lat, lon, size, fx,
                                                                         fy):
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size],
            [lon, lat]]
    inside = {"lat": lat + fy * size, "lon": lon + fx * size}
    got = site_shape(inside, polygon(ring), max_outside_m=0.0)
    assert point_polygon_distance_m(got.lat, got.lon, got.boundary) == 0.0


# --- a boundary sent back as it was shown ---------------------------------------------------------

FINE = Polygon([(108.700000012, 34.320000034), (108.720000056, 34.320000078),
                (108.720000091, 34.340000023), (108.700000045, 34.340000067)])
YARD = Polygon([(108.73, 34.32), (108.74, 34.32), (108.74, 34.33), (108.73, 34.33)])


def test_a_polygon_sent_back_as_shown_is_the_stored_one_to_the_last_digit():
    shown = shape(to_geojson(FINE))
    assert not shown.equals_exact(FINE, 0)          # rounded to about 1 cm
    kept = keep_unchanged_parts(shown, FINE)
    assert kept is FINE
    # Wound the other way and started at another corner: still the same part.
    again = Polygon(list(shown.exterior.coords)[2:-1] + list(shown.exterior.coords)[:2])
    assert keep_unchanged_parts(shapely.reverse(again), FINE) is FINE


def test_only_the_parts_shown_unchanged_are_taken_from_the_stored_multipolygon():
    stored = MultiPolygon([FINE, YARD])
    shown = shape(to_geojson(stored))
    moved_yard = Polygon([(108.73, 34.32), (108.745, 34.32), (108.74, 34.33), (108.73, 34.33)])
    kept = keep_unchanged_parts(MultiPolygon([shown.geoms[0], moved_yard]), stored)
    assert list(kept.geoms[0].exterior.coords) == list(FINE.exterior.coords)
    assert kept.geoms[1].equals_exact(moved_yard, 0)
    # A part moved by more than the rounding is the client's, as sent.
    nudged = shapely.affinity.translate(shown.geoms[0], xoff=1e-6)
    assert keep_unchanged_parts(nudged, stored).equals_exact(nudged, 0)


def test_without_a_stored_or_a_new_boundary_nothing_is_kept():
    assert keep_unchanged_parts(None, FINE) is None
    assert keep_unchanged_parts(YARD, None) is YARD


def test_a_stored_part_that_would_overlap_a_new_one_is_not_taken_back():
    # The stored east side lies 5 mm east of what was shown; a new part touching the shown side
    # at one point would overlap the stored one: the parts stay as the client sent them.
    stored = Polygon([(108.70, 34.32), (108.720000049, 34.32), (108.720000049, 34.34),
                      (108.70, 34.34)])
    shown = shape(to_geojson(stored))
    touching = Polygon([(108.72, 34.33), (108.73, 34.32), (108.73, 34.34)])
    sent = MultiPolygon([shown, touching])
    assert sent.is_valid and not MultiPolygon([stored, touching]).is_valid
    assert keep_unchanged_parts(sent, stored) is sent
