"""fieldapp's geometry: CRS conversion, distances, geofence verdicts and integrity signals.

Pure mathematics over floats, shapely geometries and small frozen dataclasses; nothing
here knows about Flask, SQLAlchemy or fieldapp's models.  Everything stored is WGS-84;
shapely geometries are x=lon, y=lat.
"""

from geo.accuracy import Source, parse_source, radius_in_sigmas, rescale_radius
from geo.batch import VerificationBatch, verify_many
from geo.crs import (
    CRS,
    bd09_to_gcj02,
    bd09_to_wgs84,
    convert,
    convert_arrays,
    convert_geometry,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    geometry_to_wgs84,
    in_gcj02_area,
    parse_crs,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from geo.distance import (
    PreparedArea,
    geodesic_distance_m,
    geodesic_distances_m,
    local_metric_xy,
    point_polygon_distance_m,
)
from geo.errors import GeoError
from geo.inputs import Fix, Target
from geo.integrity import (
    DEFAULT_INTEGRITY_POLICY,
    IntegrityPolicy,
    VisitPoint,
    accuracy_implausible,
    china_calendar_day,
    clock_skew,
    impossible_travel,
    integrity_flags,
    mock_location,
    repeated_fix,
    same_spot_other_firms,
    stale_fix,
)
from geo.verify import (
    DEFAULT_POLICY,
    RULE_VERSION,
    Verdict,
    Verification,
    VerifyPolicy,
    decide,
    verify,
)

__all__ = [
    "CRS",
    "DEFAULT_INTEGRITY_POLICY",
    "DEFAULT_POLICY",
    "RULE_VERSION",
    "Fix",
    "GeoError",
    "IntegrityPolicy",
    "PreparedArea",
    "Source",
    "Target",
    "Verdict",
    "Verification",
    "VerificationBatch",
    "VerifyPolicy",
    "VisitPoint",
    "accuracy_implausible",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "china_calendar_day",
    "clock_skew",
    "convert",
    "convert_arrays",
    "convert_geometry",
    "decide",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "geodesic_distance_m",
    "geodesic_distances_m",
    "geometry_to_wgs84",
    "impossible_travel",
    "in_gcj02_area",
    "integrity_flags",
    "local_metric_xy",
    "mock_location",
    "parse_crs",
    "parse_source",
    "point_polygon_distance_m",
    "radius_in_sigmas",
    "repeated_fix",
    "rescale_radius",
    "same_spot_other_firms",
    "stale_fix",
    "to_wgs84",
    "verify",
    "verify_many",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]
