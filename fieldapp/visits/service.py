"""Filing visits exactly once, verifying them, and reviewing the doubtful ones.

Rules (the API docs repeat them):

- **Who**: the user assigned to the firm or project on the capture day (Asia/Shanghai) or
  today. A target the caller can see but is not assigned to is 403; one they cannot see, 404.
- **Exactly once**: ``(user_id, client_id)`` is unique in the database. The same ``client_id``
  with the same content returns the stored visit (200); with other content, 409. Two requests
  racing with one ``client_id`` end as one row: the loser's insert fails on the constraint and
  it answers as a replay.
- **Verification**: the position is converted to WGS-84 and judged against the current
  geometry of the chosen site (``site_id``, or the nearest active site) by ``geo.verify``;
  integrity signals compare it with the same person's other visits ordered by capture time,
  so a late offline upload is judged where it belongs. ``accepted`` = verified and no flags;
  anything else is stored as ``needs_review``. Far away is never a reason to refuse a visit.
- **Refused** (4xx, nothing stored): invalid input, a capture time in the future (beyond
  ``FIELDAPP_VISIT_MAX_FUTURE_S``) or older than ``FIELDAPP_VISIT_MAX_AGE_DAYS``, a firm closed
  before the capture time, a site of another target or retired.
"""

import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import MultiPolygon, Point, Polygon
from sqlalchemy import String, bindparam, cast, func, null, select, union_all
from sqlalchemy.exc import IntegrityError

from fieldapp import scope
from fieldapp.assignments.periods import local_date
from fieldapp.auth.principal import Principal
from fieldapp.credentials.service import link_new_visit
from fieldapp.errors import Problem
from fieldapp.extensions import db
from fieldapp.issues.service import new_issue
from geo import (
    DEFAULT_INTEGRITY_POLICY,
    Fix,
    GeoError,
    Target,
    VisitPoint,
    geodesic_distance_m,
    integrity_flags,
    point_polygon_distance_m,
    to_wgs84,
    verify,
)
from models import Assignment, Firm, OrgUnit, Project, Site, Visit, VisitReview, utcnow
from models.spatial import bbox_filter

REPEAT_BOX_DEG = 1e-6


def _invalid(field: str, message: str) -> Problem:
    return Problem(422, "The request has invalid fields.", slug="validation",
                   errors={field: [message]})


def content_hash(data: dict) -> str:
    """A digest of the loaded body: a replay has the same one, whatever its key order."""
    def plain(value):
        if isinstance(value, datetime):
            return value.astimezone(scope.LOCAL_TZ).isoformat()
        raise TypeError(type(value).__name__)
    content = {k: v for k, v in data.items() if k != "offline"}  # how it travelled, not what
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=plain)
    return hashlib.sha256(text.encode()).hexdigest()


def _existing(user_id: int, client_id: str) -> Visit | None:
    # The id first (the common answer is "none"), the whole visit only for a replay.
    found = db.session.scalar(select(Visit.id).where(Visit.user_id == user_id,
                                                     Visit.client_id == client_id))
    return None if found is None else db.session.get(Visit, found)


def _replay(visit: Visit, digest: str) -> tuple[Visit, bool]:
    if visit.content_hash != digest:
        raise Problem(409, f"client_id {visit.client_id!r} was already used for visit "
                      f"{visit.id} with different content; make a new client_id for a new "
                      "visit.", slug="client-id-conflict", visit_id=visit.id)
    return visit, False


def _check_times(captured_at: datetime, received_at: datetime) -> None:
    config = current_app.config
    if captured_at > received_at + timedelta(seconds=config["VISIT_MAX_FUTURE_S"]):
        raise _invalid("captured_at", "This time is in the future; check the phone's clock.")
    if captured_at < received_at - timedelta(days=config["VISIT_MAX_AGE_DAYS"]):
        raise _invalid("captured_at", f"Visits older than {config['VISIT_MAX_AGE_DAYS']} "
                                      "days cannot be filed.")


def _assignment(user_id: int, kind: str, target_id: int, days: list[date]) -> int | None:
    """The id of the user's assignment of the target covering the first of ``days`` it can."""
    column = Assignment.firm_id if kind == "firm" else Assignment.project_id
    for day in days:
        found = db.session.scalar(select(Assignment.id).where(
            scope.assignments_on(user_id, day), column == target_id)
            .order_by(Assignment.starts_on.desc()).limit(1))
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class SiteGeometry:
    """What verification needs of a site: its current geometry (WGS-84 shapely objects)."""

    id: int
    version: int
    radius_m: float
    point: Point
    boundary: Polygon | MultiPolygon | None
    is_active: bool

    def distance_m(self, lat: float, lon: float) -> float:
        """To the boundary when there is one (0 inside), else to the point."""
        if self.boundary is not None:
            return point_polygon_distance_m(lat, lon, self.boundary)
        return geodesic_distance_m(lat, lon, self.point.y, self.point.x)


@dataclass(frozen=True)
class TargetInfo:
    """The firm or project a visit is for, read in one query with its sites."""

    kind: str
    id: int
    org_unit_id: int
    owner_firm_id: int | None
    status: str | None
    closed_at: datetime | None
    sites: tuple[SiteGeometry, ...]


def _target_info(kind: str, target_id: int) -> TargetInfo:
    model = Firm if kind == "firm" else Project
    owner = Site.firm_id if kind == "firm" else Site.project_id
    extra = ((Firm.status, Firm.closed_at, null().label("owner_firm_id"))
             if kind == "firm" else
             (null().label("status"), null().label("closed_at"),
              Project.owner_firm_id))
    rows = db.session.execute(
        select(model.org_unit_id, *extra, Site.id, Site.version, Site.radius_m, Site.point,
               Site.boundary, Site.is_active)
        .select_from(model).outerjoin(Site, owner == model.id)
        .where(model.id == target_id).order_by(Site.id)).all()
    first = rows[0]
    sites = tuple(SiteGeometry(r.id, r.version, r.radius_m, to_shape(r.point),
                               None if r.boundary is None else to_shape(r.boundary),
                               r.is_active) for r in rows if r.id is not None)
    return TargetInfo(kind, target_id, first.org_unit_id, first.owner_firm_id, first.status,
                      first.closed_at, sites)


def _target(principal: Principal, data: dict, captured_at: datetime):
    kind = "firm" if "firm_id" in data else "project"
    model = Firm if kind == "firm" else Project
    target_id = data[f"{kind}_id"]
    days = list(dict.fromkeys([local_date(captured_at), scope.today()]))
    assignment = _assignment(principal.user_id, kind, target_id, days)
    if assignment is None:
        if scope.is_visible(model, target_id, principal):
            raise Problem(403, f"This {kind} is not assigned to you on the capture day or "
                          "today; only its assigned visitor files visits.", slug="forbidden")
        raise scope.not_found(model, target_id)
    target = _target_info(kind, target_id)
    if target.status == "closed" and target.closed_at <= captured_at:
        raise _invalid("firm_id", "This firm was closed before the capture time.")
    return kind, target, assignment


def _site(target: TargetInfo, data: dict, lat: float, lon: float) -> SiteGeometry:
    if "site_id" in data:
        site = next((s for s in target.sites if s.id == data["site_id"]), None)
        if site is None:
            raise _invalid("site_id", "No such site of this firm or project.")
        if not site.is_active:
            raise _invalid("site_id", "This site is retired; file against a current one.")
        return site
    sites = [s for s in target.sites if s.is_active]
    if not sites:
        raise _invalid("site_id", "This firm or project has no site to verify against.")
    return min(sites, key=lambda s: (s.distance_m(lat, lon), s.id))


def _fix(position: dict) -> Fix:
    try:
        return Fix(position["lat"], position["lon"], position.get("accuracy_m"),
                   crs=position["crs"], source=position["source"],
                   fix_time=position.get("fix_time"), mock=position.get("mock"),
                   altitude_m=position.get("altitude_m"))
    except GeoError as exc:
        raise _invalid(f"position.{exc.field}", exc.message) from None


def _target_key(visit_or_kind, target_id=None) -> str:
    if isinstance(visit_or_kind, str):
        return f"{visit_or_kind[0]}{target_id}"
    return f"f{visit_or_kind.firm_id}" if visit_or_kind.firm_id is not None \
        else f"p{visit_or_kind.project_id}"


@functools.cache
def _neighbour_query():
    """The integrity neighbours' query, built once: the person's visits within the same-spot
    window of this one, the one just before and just after it in capture time (for travel
    speed), and any on exactly this spot ever (repeated fix). One round trip."""
    p = {name: bindparam(name) for name in ("user_id", "lo", "hi", "west", "south", "east",
                                            "north")}
    columns = (Visit.id, Visit.firm_id, Visit.project_id, func.ST_Y(Visit.point).label("lat"),
               func.ST_X(Visit.point).label("lon"), Visit.accuracy_m, Visit.fix_time,
               Visit.captured_at, Visit.received_at)
    mine = select(*columns).where(Visit.user_id == p["user_id"])
    return union_all(*(select(q.subquery()) for q in (
        mine.where(Visit.captured_at >= p["lo"], Visit.captured_at <= p["hi"]).limit(200),
        mine.where(Visit.captured_at < p["lo"]).order_by(Visit.captured_at.desc()).limit(1),
        mine.where(Visit.captured_at > p["hi"]).order_by(Visit.captured_at).limit(1),
        mine.where(bbox_filter(Visit.point, p["west"], p["south"], p["east"], p["north"]))
        .limit(20))))


def _neighbours(user_id: int, captured_at: datetime, lat: float, lon: float) -> list[VisitPoint]:
    """The person's visits the integrity signals compare this one with."""
    window = DEFAULT_INTEGRITY_POLICY.same_spot_window
    rows = {r.id: r for r in db.session.execute(_neighbour_query(), {
        "user_id": user_id, "lo": captured_at - window, "hi": captured_at + window,
        "west": lon - REPEAT_BOX_DEG, "south": lat - REPEAT_BOX_DEG,
        "east": lon + REPEAT_BOX_DEG, "north": lat + REPEAT_BOX_DEG})}
    return [VisitPoint(visit_id=r.id, firm_id=f"f{r.firm_id}" if r.firm_id else f"p{r.project_id}",
                       lat=r.lat, lon=r.lon, accuracy_m=r.accuracy_m, fix_time=r.fix_time,
                       captured_at=r.captured_at, received_at=r.received_at)
            for r in rows.values()]


def file_visit(principal: Principal, data: dict, *, offline: bool | None = None) -> tuple[
        Visit, bool]:
    """Store one visit (or find its earlier copy). Returns ``(visit, created)``."""
    digest = content_hash(data)
    found = _existing(principal.user_id, data["client_id"])
    if found is not None:
        return _replay(found, digest)
    received_at = utcnow()
    captured_at = data["captured_at"]
    _check_times(captured_at, received_at)
    kind, target, assignment_id = _target(principal, data, captured_at)
    firm_id = target.id if kind == "firm" else target.owner_firm_id
    if data["issues"] and firm_id is None:
        raise _invalid("issues", "This project has no owner firm to raise issues for.")
    position = data["position"]
    fix = _fix(position)
    lat, lon = to_wgs84(fix.lat, fix.lon, fix.crs)
    site = _site(target, data, lat, lon)
    verification = verify(fix, Target(radius_m=site.radius_m, point=site.point,
                                      polygon=site.boundary, geometry_version=site.version))
    is_offline = data["offline"] if offline is None else offline
    signals = integrity_flags(
        VisitPoint(visit_id="new", firm_id=_target_key(kind, target.id), lat=lat, lon=lon,
                   accuracy_m=fix.accuracy_m, fix_time=fix.fix_time, captured_at=captured_at,
                   received_at=received_at),
        _neighbours(principal.user_id, captured_at, lat, lon),
        mock=fix.mock, online=not is_offline)
    flags = list(dict.fromkeys([*verification.flags, *signals]))
    accepted = verification.verdict == "verified" and not flags
    visit = Visit(
        client_id=data["client_id"], content_hash=digest, user_id=principal.user_id,
        firm_id=target.id if kind == "firm" else None,
        project_id=target.id if kind == "project" else None,
        site_id=site.id, site_version=site.version, assignment_id=assignment_id,
        org_unit_id=target.org_unit_id, captured_at=captured_at, received_at=received_at,
        fix_time=fix.fix_time, offline=is_offline,
        raw_position={k: (v.isoformat() if isinstance(v, datetime) else v)
                      for k, v in position.items()},
        crs=fix.crs.value, source=fix.source.value, point=from_shape(Point(lon, lat), 4326),
        accuracy_m=fix.accuracy_m, mock=fix.mock, distance_m=verification.distance_m,
        radius_m=verification.radius_m, normalised_accuracy_m=verification.accuracy_m,
        measured_to=verification.measured_to, verdict=str(verification.verdict), flags=flags,
        rule_version=verification.rule_version,
        status="accepted" if accepted else "needs_review", purpose=data["purpose"],
        notes=data.get("notes"))
    # Everything from here to the commit is guarded: raising an issue reads its category, and
    # that autoflushes the visit's INSERT, so a lost race can surface at any statement, not only
    # at the commit. Every lost race must answer as the replay.
    try:
        db.session.add(visit)
        for raised in data["issues"]:
            visit.raised_issues.append(new_issue(
                firm_id=firm_id, org_unit_id=target.org_unit_id, category=raised["category"],
                title=raised["title"], description=raised.get("description"), source="visit",
                actor_role="visitor", actor_id=principal.user_id))
        visit.reviews = []  # a new visit has none: no query to find out when it is serialised
        link_new_visit(visit)
        commit_keeping_state()
    except IntegrityError:
        # A concurrent request with the same client_id won the race: answer as its replay.
        db.session.rollback()
        found = _existing(principal.user_id, data["client_id"])
        if found is None:
            raise
        return _replay(found, digest)
    return visit, True


def commit_keeping_state() -> None:
    """Commit without expiring what this request already holds.

    The answer to a filing is the visit just written; expiring it on commit would cost a
    re-read of the row and its collections (three queries) only to serialise what is in hand.
    """
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def visit_query(principal: Principal, filters: dict):
    """The visible visits matching ``filters``."""
    stmt = scope.scoped(Visit, principal)
    for field in ("user_id", "firm_id", "project_id", "status", "verdict"):
        if field in filters:
            stmt = stmt.where(getattr(Visit, field) == filters[field])
    if "org_unit_id" in filters:
        if not scope.is_visible(OrgUnit, filters["org_unit_id"], principal):
            raise _invalid("org_unit_id", "No such org unit in your scope.")
        root = db.session.get(OrgUnit, filters["org_unit_id"])
        stmt = stmt.where(Visit.org_unit_id.in_(
            select(OrgUnit.id).where(scope.in_subtree(root.path))))
    if "since" in filters:
        stmt = stmt.where(Visit.captured_at >= filters["since"])
    if "until" in filters:
        stmt = stmt.where(Visit.captured_at < filters["until"])
    if "flag" in filters:
        # Flags are a short JSON list; match the quoted name in its text on both databases.
        stmt = stmt.where(cast(Visit.flags, String).contains(
            json.dumps(filters["flag"]), autoescape=True))
    return stmt


# Flags about the phone's position only, which a firm's confirmation may outweigh: it says who
# was met that day, not where the phone was. Mock locations, clock skew and photo flags are
# about the evidence being doctored, and stay for a reviewer to judge on other grounds.
GPS_FLAGS = frozenset({"accuracy_implausible", "stale_fix", "impossible_travel", "repeated_fix",
                       "same_spot_other_firms"})


def _require_firm_confirmation(visit: Visit, decision: str) -> None:
    """Reason ``firm_confirmed``: approve only, a firm confirmation matched to the visit, and
    nothing but GPS reasons (verdict, GPS flags) held against it."""
    if decision != "approve":
        raise _invalid("reason_code", "firm_confirmed only approves a visit.")
    if visit.firm_confirmation is None:
        raise _invalid("reason_code", "No firm confirmation matches this visit.")
    other = sorted(set(visit.flags) - GPS_FLAGS)
    if other:
        raise _invalid("reason_code", "A firm confirmation outweighs GPS reasons only; this "
                       f"visit is also flagged {', '.join(other)}.")


def review_visit(principal: Principal, visit_id: int, data: dict) -> Visit:
    """Approve or reject a visit; an earlier decision is superseded only when asked to."""
    visit = db.session.scalar(scope.scoped(Visit, principal).where(Visit.id == visit_id)
                              .with_for_update())
    if visit is None:
        raise scope.not_found(Visit, visit_id)
    scope.require_visit_reviewer(principal, visit)
    current = visit.reviews[-1] if visit.reviews else None
    if data["reason_code"] == "firm_confirmed":
        _require_firm_confirmation(visit, data["decision"])
    if current is not None and not data["supersede"]:
        raise Problem(409, f"This visit was already decided ({current.decision}, "
                      f"{current.reason_code}); send supersede=true to replace that decision "
                      "(it stays on record).", slug="already-reviewed",
                      current_decision=current.decision, review_id=current.id)
    review = VisitReview(visit_id=visit.id, decision=data["decision"],
                         reason_code=data["reason_code"], note=data.get("note"),
                         reviewer_id=principal.user_id,
                         supersedes_id=current.id if current is not None else None)
    visit.reviews.append(review)
    visit.status = "approved" if data["decision"] == "approve" else "rejected"
    db.session.commit()
    return visit
