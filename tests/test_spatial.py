"""models.spatial: metre distances, within-distance and index-backed boxes on both databases."""

import math

import pytest
from geoalchemy2 import Geometry
from geographiclib.geodesic import Geodesic
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text

from fieldapp.extensions import db
from models.spatial import bbox_filter, box_around, distance_m, within_m

GEOD = Geodesic.WGS84
XIANYANG = (34.33, 108.71)



def _make_table() -> Table:
    # A new Table each time: GeoAlchemy2's SQLite DDL hooks alter the Table object they create,
    # so one shared between backends would reach PostgreSQL without its spatial index.
    return Table(
        "test_places", MetaData(),
        Column("id", Integer, primary_key=True),
        Column("name", String(20)),
        Column("geom", Geometry("GEOMETRY", srid=4326, spatial_index=True)),
    )


def _offset(lat, lon, azimuth, metres):
    """The point ``metres`` from (lat, lon) along ``azimuth``, by GeographicLib."""
    r = GEOD.Direct(lat, lon, azimuth, metres)
    return r["lat2"], r["lon2"]


@pytest.fixture
def place_table(app):
    """A scratch spatial table, with points at known geodesic distances from Xianyang."""
    places = _make_table()
    places.metadata.create_all(db.engine)
    rows = [{"id": 1, "name": "centre", "geom": f"SRID=4326;POINT({XIANYANG[1]} {XIANYANG[0]})"}]
    for i, metres in enumerate((50, 400, 999, 1001, 5000, 20000), start=2):
        lat, lon = _offset(*XIANYANG, 37.0 * i, metres)
        rows.append({"id": i, "name": f"p{metres}", "geom": f"SRID=4326;POINT({lon} {lat})"})
    square = "POLYGON((108.70 34.32, 108.72 34.32, 108.72 34.34, 108.70 34.34, 108.70 34.32))"
    rows.append({"id": 99, "name": "square", "geom": f"SRID=4326;{square}"})
    with db.engine.begin() as conn:
        conn.execute(insert(places), rows)
    yield places
    places.metadata.drop_all(db.engine)


def _names(places, condition):
    with db.engine.connect() as conn:
        return set(conn.scalars(select(places.c.name).where(condition)))


def test_distance_m_matches_geographiclib_in_metres(place_table):
    places = place_table
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(places.c.name, places.c.geom.ST_AsText(),
                   distance_m(places.c.geom, *XIANYANG))
            .where(places.c.name != "square")
        ).all()
    assert len(rows) == 7
    for name, wkt, got in rows:
        lon, lat = map(float, wkt[wkt.index("(") + 1:-1].split())
        expected = GEOD.Inverse(*XIANYANG, lat, lon)["s12"]
        assert got == pytest.approx(expected, rel=1e-3, abs=0.5), name


def test_distance_m_to_a_polygon_is_zero_inside_and_to_the_edge_outside(place_table):
    places = place_table
    outside = _offset(34.33, 108.72, 90.0, 300)  # 300 m east of the square's east edge
    with db.engine.connect() as conn:
        inside_d = conn.scalar(select(distance_m(places.c.geom, *XIANYANG))
                               .where(places.c.id == 99))
        outside_d = conn.scalar(select(distance_m(places.c.geom, *outside))
                                .where(places.c.id == 99))
    assert inside_d == pytest.approx(0.0, abs=1e-6)
    assert outside_d == pytest.approx(300, rel=1e-3, abs=0.5)


def test_within_m_keeps_exactly_the_places_inside_the_radius(place_table):
    geom = place_table.c.geom
    assert _names(place_table, within_m(geom, *XIANYANG, 1000)) == {
        "centre", "p50", "p400", "p999", "square"}
    assert _names(place_table, within_m(geom, *XIANYANG, 10)) == {"centre", "square"}


def test_queries_differing_only_in_coordinates_share_compiled_sql_but_not_values(place_table):
    geom = place_table.c.geom
    far = _offset(*XIANYANG, 37.0 * 7, 20000)  # where the fixture put p20000
    first = select(place_table.c.name).where(within_m(geom, *XIANYANG, 1000))
    second = select(place_table.c.name).where(within_m(geom, *far, 1000))
    assert first._generate_cache_key().key == second._generate_cache_key().key  # cacheable
    assert _names(place_table, within_m(geom, *XIANYANG, 1000)) != _names(
        place_table, within_m(geom, *far, 1000))
    assert _names(place_table, within_m(geom, *far, 1000)) == {"p20000"}


def test_bbox_filter_selects_by_bounding_box(place_table):
    box = (108.705, 34.325, 108.715, 34.335)
    geom = place_table.c.geom
    assert _names(place_table, bbox_filter(geom, *box)) == {"centre", "p50", "p400", "square"}
    assert _names(place_table, bbox_filter(geom, 0.0, 0.0, 1.0, 1.0)) == set()


def test_bbox_filter_goes_through_the_spatial_index(place_table, backend):
    places = place_table
    condition = bbox_filter(places.c.geom, 108.70, 34.32, 108.72, 34.34)
    query = select(places.c.id).where(condition)
    with db.engine.connect() as conn:
        if backend == "sqlite":
            plan = " ".join(str(r) for r in conn.execute(text(
                "EXPLAIN QUERY PLAN " + str(query.compile(conn, compile_kwargs={
                    "literal_binds": True})))))
            assert "idx_test_places_geom" in plan
        else:
            conn.execute(text("SET enable_seqscan = off"))
            plan = " ".join(r[0] for r in conn.execute(text(
                "EXPLAIN " + str(query.compile(conn, compile_kwargs={"literal_binds": True})))))
            assert "idx_test_places_geom" in plan


@settings(max_examples=300, deadline=None)
@given(lat=st.floats(-80, 80), lon=st.floats(-179, 179), azimuth=st.floats(0, 360),
       metres=st.floats(1, 50_000), fraction=st.floats(0, 1))
def test_box_around_contains_every_point_within_the_distance(lat, lon, azimuth, metres,
                                                              fraction):
    min_lon, min_lat, max_lon, max_lat = box_around(lat, lon, metres)
    plat, plon = _offset(lat, lon, azimuth, metres * fraction)
    assert min_lat <= plat <= max_lat
    assert min_lon <= plon <= max_lon


def test_box_around_is_not_much_larger_than_needed_at_chinese_latitudes():
    for lat in (18.0, 34.33, 53.5):
        _, _, max_lon, max_lat = box_around(lat, 108.0, 1000)
        north = GEOD.Inverse(lat, 108.0, max_lat, 108.0)["s12"]
        east = GEOD.Inverse(lat, 108.0, lat, max_lon)["s12"]
        assert 1000 <= north < 1020
        assert 1000 <= east < 1000 / math.cos(math.radians(lat)) * 1.05
