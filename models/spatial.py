"""Spatial SQL that differs between SpatiaLite and PostGIS: one function per operation.

Verification maths never runs here (it lives in ``geo/`` on shapely objects, one code path for
both databases); these helpers are for search: nearby, within a distance, bounding boxes.
All take and return WGS-84 (SRID 4326) and metres.

- PostGIS: geodesic metres via ``geography``; the GiST index is used through ``&&``.
- SpatiaLite: ``ST_Distance(a, b, 1)`` is the ellipsoidal distance in metres (without the flag
  it is degrees); there is no ``ST_DWithin``; and its R*Tree index is only used when the query
  names the ``idx_<table>_<column>`` virtual table, so the bounding-box filter does exactly that.
"""

import math

from sqlalchemy import and_, column, func, literal, select, table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import Boolean, Float

# Metres per degree of latitude, a lower bound over the ellipsoid (110,574 m at the equator):
# using the smallest value makes the search box slightly larger, never too small.
_M_PER_DEG_LAT_MIN = 110_574.0
_WGS84_A = 6_378_137.0


def box_around(lat: float, lon: float, metres: float) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) of a box that contains every point within ``metres``.

    Longitude degrees shrink with cos(latitude); the box uses the latitude of its pole-ward
    edge so it is never too narrow. Near the poles it widens to the full circle.
    """
    dlat = metres / _M_PER_DEG_LAT_MIN
    edge_lat = min(abs(lat) + dlat, 90.0)
    cos_edge = math.cos(math.radians(edge_lat))
    m_per_deg_lon = math.pi / 180 * _WGS84_A * cos_edge
    dlon = 180.0 if m_per_deg_lon < 1e-6 else min(metres / m_per_deg_lon, 180.0)
    return (lon - dlon, max(lat - dlat, -90.0), lon + dlon, min(lat + dlat, 90.0))


def distance_m(geom_col, lat: float, lon: float) -> ColumnElement[float]:
    """Geodesic distance in metres from a geometry column to the point (lat, lon)."""
    return _DistanceM(geom_col, lat, lon)


def bbox_filter(geom_col, min_lon: float, min_lat: float, max_lon: float, max_lat: float,
                *, pk_col=None) -> ColumnElement[bool]:
    """Rows whose geometry's bounding box meets the given box, through the spatial index.

    The corners may be ``bindparam`` objects, for a statement built once and run many times.
    """
    return _BBox(geom_col, (min_lon, min_lat, max_lon, max_lat), pk_col)


def within_m(geom_col, lat: float, lon: float, metres: float, *,
             pk_col=None) -> ColumnElement[bool]:
    """Rows whose geometry lies within ``metres`` of (lat, lon): index box, then exact distance."""
    return and_(
        bbox_filter(geom_col, *box_around(lat, lon, metres), pk_col=pk_col),
        distance_m(geom_col, lat, lon) <= metres,
    )


# The dialect decides at compile time, so one query object works against either database.
# Coordinates travel as bound parameters and the elements declare what they hold, so SQLAlchemy
# caches the compiled SQL of a nearby query instead of compiling it on every request.
class _DistanceM(ColumnElement):
    inherit_cache = True
    type = Float()
    _traverse_internals = [
        ("geom_col", InternalTraversal.dp_clauseelement),
        ("lat", InternalTraversal.dp_clauseelement),
        ("lon", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, geom_col, lat, lon):
        self.geom_col = geom_col
        self.lat, self.lon = _bound(lat), _bound(lon)


class _BBox(ColumnElement):
    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True
    _traverse_internals = [
        ("geom_col", InternalTraversal.dp_clauseelement),
        ("pk_col", InternalTraversal.dp_clauseelement),
        ("box", InternalTraversal.dp_clauseelement_tuple),
    ]

    def __init__(self, geom_col, box, pk_col):
        self.geom_col = geom_col
        self.pk_col = pk_col if pk_col is not None else next(
            iter(geom_col.table.primary_key.columns))
        self.box = tuple(_bound(v) for v in box)


def _bound(value):
    """A coordinate as a bound parameter: a number, or a ``bindparam`` given at execution."""
    return value if isinstance(value, BindParameter) else literal(float(value), Float())


@compiles(_DistanceM)  # also how str(statement) shows it, e.g. in error messages and logs
@compiles(_DistanceM, "postgresql")
def _distance_pg(el, compiler, **kw):
    here = func.ST_SetSRID(func.ST_MakePoint(el.lon, el.lat), 4326)
    expr = func.ST_Distance(func.Geography(el.geom_col), func.Geography(here))
    return compiler.process(expr, **kw)


@compiles(_DistanceM, "sqlite")
def _distance_sqlite(el, compiler, **kw):
    expr = func.ST_Distance(el.geom_col, func.MakePoint(el.lon, el.lat, 4326), 1)
    return compiler.process(expr, **kw)


@compiles(_BBox)
@compiles(_BBox, "postgresql")
def _bbox_pg(el, compiler, **kw):
    env = func.ST_MakeEnvelope(*el.box, 4326)
    return compiler.process(el.geom_col.op("&&")(env), **kw)


@compiles(_BBox, "sqlite")
def _bbox_sqlite(el, compiler, **kw):
    tbl = el.geom_col.table
    pk = el.pk_col
    idx = table(f"idx_{tbl.name}_{el.geom_col.name}", column("pkid"), column("xmin"),
                column("xmax"), column("ymin"), column("ymax"))
    min_lon, min_lat, max_lon, max_lat = el.box
    sub = select(idx.c.pkid).where(
        idx.c.xmin <= max_lon, idx.c.xmax >= min_lon, idx.c.ymin <= max_lat, idx.c.ymax >= min_lat
    )
    return compiler.process(pk.in_(sub), **kw)
