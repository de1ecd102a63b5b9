"""``POST /visits/preview``: the verdict a visit would get, computed as filing computes it, with
nothing stored.

The phone shows it before the user sends, so it never guesses: the same target and assignment
checks (403/404, a closed firm is 422), the same site choice, ``geo.verify`` and integrity
signals against the person's stored visits. A later filing can still differ when something
changes in between (another visit filed, the site edited); the stored verdict is the one that
counts.
"""

from fieldapp.auth.principal import Principal
from fieldapp.visits.service import (
    _check_times,
    _fix,
    _neighbours,
    _site,
    _target,
    _target_key,
)
from geo import Target, VisitPoint, integrity_flags, to_wgs84, verify
from models import utcnow


def preview_visit(principal: Principal, data: dict) -> dict:
    """The verification ``POST /visits`` would store for ``data``, and the status it leads to."""
    now = utcnow()
    captured_at = data.get("captured_at") or now
    _check_times(captured_at, now)
    kind, target, _assignment = _target(principal, data, captured_at)
    fix = _fix(data["position"])
    lat, lon = to_wgs84(fix.lat, fix.lon, fix.crs)
    site = _site(target, data, lat, lon)
    verification = verify(fix, Target(radius_m=site.radius_m, point=site.point,
                                      polygon=site.boundary, geometry_version=site.version))
    signals = integrity_flags(
        VisitPoint(visit_id="new", firm_id=_target_key(kind, target.id), lat=lat, lon=lon,
                   accuracy_m=fix.accuracy_m, fix_time=fix.fix_time, captured_at=captured_at,
                   received_at=now),
        _neighbours(principal.user_id, captured_at, lat, lon),
        mock=fix.mock, online=not data["offline"])
    flags = list(dict.fromkeys([*verification.flags, *signals]))
    accepted = verification.verdict == "verified" and not flags
    return {
        "verdict": str(verification.verdict), "distance_m": verification.distance_m,
        "radius_m": verification.radius_m, "accuracy_m": verification.accuracy_m,
        "raw_accuracy_m": fix.accuracy_m, "flags": flags,
        "status": "accepted" if accepted else "needs_review",
        "measured_to": verification.measured_to, "site_id": site.id,
        "site_version": site.version, "rule_version": verification.rule_version,
        "position_wgs84": {"lat": lat, "lon": lon},
    }
