"""The phone's list (``GET /me/assignments``): what I look after, where, and whether it is due."""

from datetime import timedelta

from geoalchemy2.shape import to_shape
from sqlalchemy import func, select

from fieldapp import clock, scope
from fieldapp.assignments.periods import current_slot, slot_of
from fieldapp.assignments.service import last_countable_visits
from fieldapp.auth.principal import Principal
from fieldapp.extensions import db
from geo import geodesic_distance_m, point_polygon_distance_m, to_wgs84
from models import Assignment, Firm, Visit, utcnow


def _last_waiting(assignment_ids) -> dict:
    """``{assignment_id: capture time}`` of each assignment's latest visit waiting for review."""
    if not assignment_ids:
        return {}
    return dict(db.session.execute(
        select(Visit.assignment_id, func.max(Visit.captured_at))
        .where(Visit.assignment_id.in_(assignment_ids), Visit.status == "needs_review")
        .group_by(Visit.assignment_id)).all())


def due_state(assignment, slot, last_countable, last_waiting) -> str:
    """What the phone shows for this period: ``met`` (a countable visit in the running slot),
    ``pending_review`` (only a visit waiting for review in it), ``overdue`` (due, and the
    previous calendar slot, while the assignment was already in force, went unmet too), or
    ``due``."""
    if last_countable is not None and slot.contains(last_countable):
        return "met"
    if last_waiting is not None and slot.contains(last_waiting):
        return "pending_review"
    if assignment.cadence != "per_stage" and assignment.starts_on < slot.start:
        previous = slot_of(assignment.cadence, slot.start - timedelta(days=1))
        if last_countable is None or last_countable < previous.starts_at:
            return "overdue"
    return "due"


def _site_point(site) -> dict:
    point = to_shape(site.point)
    return {"id": site.id, "version": site.version, "name": site.name, "lat": point.y,
            "lon": point.x, "radius_m": site.radius_m}


def _distance_m(site, lat: float, lon: float) -> float:
    """To the boundary when the site has one (0 inside it), else to its point."""
    if site.boundary is not None:
        return point_polygon_distance_m(lat, lon, to_shape(site.boundary))
    point = to_shape(site.point)
    return geodesic_distance_m(lat, lon, point.y, point.x)


def my_assignments(principal: Principal, near: tuple[float, float] | None = None,
                   crs: str = "wgs84") -> dict:
    """The caller's assignments in force today (Asia/Shanghai), closed firms left out.

    Ordered by ``distance_m`` (nearest active site; rows without a site last) when ``near`` is
    given, else due first, then by target name.
    """
    today = clock.today()
    now = utcnow()
    rows = db.session.scalars(select(Assignment).where(
        scope.assignments_on(principal.user_id, today),
        Assignment.firm_id.is_(None) | Assignment.firm_id.in_(
            select(Firm.id).where(Firm.status == "active")),
    ).order_by(Assignment.id)).all()
    last = last_countable_visits([a.id for a in rows])
    waiting = _last_waiting([a.id for a in rows])
    here = to_wgs84(near[0], near[1], crs) if near is not None else None
    items = []
    for a in rows:
        target = a.firm if a.firm_id is not None else a.project
        entered = getattr(target, "stage_entered_at", None)
        # A stage moved a moment ago by a server whose clock runs ahead must not make the
        # phone's list a 500: the slot then starts "now".
        moment = max(now, entered) if a.cadence == "per_stage" and entered else now
        slot = current_slot(a.cadence, moment, stage_entered_at=entered)
        visited = last.get(a.id)
        sites = target.active_sites
        distance = None
        if here is not None and sites:
            distance = min(_distance_m(s, *here) for s in sites)
        items.append({
            "assignment_id": a.id,
            "target_kind": "firm" if a.firm_id is not None else "project",
            "target_id": target.id, "target_name": target.name,
            "stage": getattr(target, "stage", None),
            "cadence": a.cadence, "starts_on": a.starts_on, "ends_on": a.ends_on,
            "current_slot": {"start": slot.start, "end": slot.end,
                             "starts_at": slot.starts_at, "ends_at": slot.ends_at},
            "last_visit_at": visited,
            "due_this_period": visited is None or not slot.contains(visited),
            "due_state": due_state(a, slot, visited, waiting.get(a.id)),
            "sites": [_site_point(s) for s in sites],
            "distance_m": distance,
        })
    if here is not None:
        items.sort(key=lambda r: (r["distance_m"] is None, r["distance_m"] or 0.0,
                                  r["target_name"], r["assignment_id"]))
    else:
        items.sort(key=lambda r: (not r["due_this_period"], r["target_name"],
                                  r["assignment_id"]))
    return {"as_of": today, "items": items}
