"""``POST /visits/preview``: the verdict a visit would get, computed as filing computes it, with
nothing stored.

The phone shows it before the user sends, so it never guesses: the same steps of the filing
pipeline (``fieldapp.visits.filing``): target and assignment checks (403/404, a closed firm is
422), the same site choice and verification, and the integrity signals against the person's
stored visits. A later filing can still differ when something changes in between (another
visit filed, the site edited); the stored verdict is the one that counts.
"""

from fieldapp.auth.principal import Principal
from fieldapp.visits.filing import (
    check_times,
    find_target,
    fix_of,
    integrity_signals,
    verify_at_site,
)
from models import utcnow


def preview_visit(principal: Principal, data: dict) -> dict:
    """The verification ``POST /visits`` would store for ``data``, and the status it leads to."""
    now = utcnow()
    captured_at = data.get("captured_at") or now
    check_times(captured_at, now)
    kind, target_id, _target, _assignment, sites = find_target(principal, data, captured_at)
    fix = fix_of(data["position"])
    site_id, verification = verify_at_site(fix, sites, data)
    flags = integrity_signals(principal.user_id, kind, target_id, fix, verification,
                              captured_at, now, offline=data["offline"])
    accepted = verification.verdict == "verified" and not flags
    return {
        "verdict": str(verification.verdict), "distance_m": verification.distance_m,
        "radius_m": verification.radius_m, "accuracy_m": verification.accuracy_m,
        "raw_accuracy_m": fix.accuracy_m, "flags": flags,
        "status": "accepted" if accepted else "needs_review",
        "measured_to": verification.measured_to, "site_id": site_id,
        "site_version": verification.geometry_version,
        "rule_version": verification.rule_version,
        "position_wgs84": {"lat": verification.lat, "lon": verification.lon},
    }
