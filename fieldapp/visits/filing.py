"""Filing visits exactly once and verifying them (``POST /visits``, ``/visits/batch``).

Rules (the API docs repeat them):

- **Who**: the user assigned to the firm or project on the capture day (Asia/Shanghai) or
  today. A target the caller can see but is not assigned to is 403; one they cannot see, 404.
- **Exactly once**: ``(user_id, client_id)`` is unique in the database. The same ``client_id``
  with the same content returns the stored visit (200); with other content, 409. The insert
  itself asks the question: the constraint refuses a second copy, and only then is the stored
  visit read, so the common case (a new visit) costs no read before the write. Two requests
  racing with one ``client_id`` end as one row the same way.
- **Verification**: ``geo.verify_nearest`` converts the position to WGS-84 once, picks the
  nearest active site (or judges the chosen ``site_id``) and returns its verification;
  integrity signals compare it with the same person's other visits ordered by capture time,
  so a late offline upload is judged where it belongs. ``accepted`` = verified and no flags;
  anything else is stored as ``needs_review``. Far away is never a reason to refuse a visit.
- **Refused** (4xx, nothing stored): invalid input, a capture time in the future (beyond
  ``FIELDAPP_VISIT_MAX_FUTURE_S``) or older than ``FIELDAPP_VISIT_MAX_AGE_DAYS``, a firm closed
  before the capture time, a site of another target or retired. A replay of a stored visit is
  answered as a replay even when these rules would refuse it now.

The pipeline of one filing, in order: ``check_times`` → ``find_target`` (target, assignment and
sites: one statement) → ``verify_at_site`` → ``integrity_signals`` (one statement) → insert
(the flush hooks add the audit trail and the slot upkeep) → commit → the answer.
"""

import functools
import hashlib
import json
from datetime import datetime, timedelta

from flask import current_app
from geoalchemy2.shape import from_shape, to_shape
from marshmallow import ValidationError
from shapely.geometry import Point
from sqlalchemy import Date, Integer, bindparam, func, null, select, union_all
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from fieldapp import clock, scope
from fieldapp.auth.principal import Principal
from fieldapp.credentials.service import link_new_visit
from fieldapp.errors import Problem, flatten_messages
from fieldapp.extensions import CONTROL_CHARACTER_MESSAGE, control_character_paths, db
from fieldapp.issues.service import new_issue
from fieldapp.visits.schemas import VisitCreate, raised_issues_of, verification_of
from geo import (
    DEFAULT_INTEGRITY_POLICY,
    Fix,
    GeoError,
    Target,
    Verification,
    VisitPoint,
    integrity_flags,
    verify,
    verify_nearest,
)
from models import Assignment, Firm, Project, Site, Visit, utcnow
from models.spatial import bbox_filter

REPEAT_BOX_DEG = 1e-6
RESULT_OF_STATUS = {404: "not_found", 403: "forbidden", 409: "conflict", 422: "invalid"}

# A site a visit can be judged against: its id, whether it is current, its geometry for geo.
SiteTarget = tuple[int, bool, Target]


def content_hash(data: dict) -> str:
    """A digest of the loaded body: a replay has the same one, whatever its key order."""
    def plain(value):
        if isinstance(value, datetime):
            return value.astimezone(clock.LOCAL_TZ).isoformat()
        raise TypeError(type(value).__name__)
    content = {k: v for k, v in data.items() if k != "offline"}  # how it travelled, not what
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=plain)
    return hashlib.sha256(text.encode()).hexdigest()


def _existing(user_id: int, client_id: str) -> Visit | None:
    return db.session.scalar(select(Visit).where(Visit.user_id == user_id,
                                                 Visit.client_id == client_id))


def _replay(visit: Visit, digest: str) -> tuple[Visit, bool]:
    if visit.content_hash != digest:
        raise Problem(409, f"client_id {visit.client_id!r} was already used for visit "
                      f"{visit.id} with different content; make a new client_id for a new "
                      "visit.", slug="client-id-conflict", visit_id=visit.id)
    return visit, False


def check_times(captured_at: datetime, received_at: datetime) -> None:
    """Refuse a capture time in the future or too old to file (422 naming ``captured_at``)."""
    config = current_app.config
    if captured_at > received_at + timedelta(seconds=config["VISIT_MAX_FUTURE_S"]):
        raise Problem.invalid("captured_at", "This time is in the future; check the phone's clock.")
    if captured_at < received_at - timedelta(days=config["VISIT_MAX_AGE_DAYS"]):
        raise Problem.invalid("captured_at", f"Visits older than {config['VISIT_MAX_AGE_DAYS']} "
                                      "days cannot be filed.")


@functools.cache
def _target_query(kind: str):
    """The target, the caller's assignment of it on the capture day and today, and its sites:
    one statement, built once with bound parameters (every filing runs it)."""
    model = Firm if kind == "firm" else Project
    owner = Site.firm_id if kind == "firm" else Site.project_id
    assigned = Assignment.firm_id if kind == "firm" else Assignment.project_id
    extra = ((Firm.status, Firm.closed_at, null().label("owner_firm_id"))
             if kind == "firm" else
             (null().label("status"), null().label("closed_at"), Project.owner_firm_id))

    def assignment_on(day: str):
        return (select(Assignment.id)
                .where(scope.assignments_on(bindparam("user_id", type_=Integer),
                                            bindparam(day, type_=Date)),
                       assigned == model.id)
                .order_by(Assignment.starts_on.desc()).limit(1).scalar_subquery())

    return (select(model.org_unit_id, *extra,
                   assignment_on("capture_day").label("assigned_on_capture_day"),
                   assignment_on("today").label("assigned_today"),
                   Site.id.label("site_id"), Site.version, Site.radius_m, Site.point,
                   Site.boundary, Site.is_active)
            .select_from(model).outerjoin(Site, owner == model.id)
            .where(model.id == bindparam("target_id", type_=Integer)).order_by(Site.id))


def find_target(principal: Principal, data: dict,
                captured_at: datetime) -> tuple[str, int, Row, int, list[SiteTarget]]:
    """``(kind, target id, target row, assignment id, sites)`` of the visit in ``data``.

    The row has ``org_unit_id``, ``owner_firm_id``, ``status`` and ``closed_at``. Not assigned
    on the capture day or today: 403 if the caller can see the target, else 404; a firm closed
    before the capture time: 422.
    """
    kind = "firm" if "firm_id" in data else "project"
    target_id = data[f"{kind}_id"]
    rows = db.session.execute(_target_query(kind), {
        "user_id": principal.user_id, "target_id": target_id,
        "capture_day": clock.local_date(captured_at), "today": clock.today()}).all()
    first = rows[0] if rows else None
    assignment = None if first is None else (first.assigned_on_capture_day
                                             or first.assigned_today)
    if assignment is None:
        model = Firm if kind == "firm" else Project
        if first is not None and scope.is_visible(model, target_id, principal):
            raise Problem(403, f"This {kind} is not assigned to you on the capture day or "
                          "today; only its assigned visitor files visits.", slug="forbidden")
        raise scope.not_found(model, target_id)
    if first.status == "closed" and first.closed_at <= captured_at:
        raise Problem.invalid("firm_id", "This firm was closed before the capture time.")
    sites = [(r.site_id, r.is_active, Target(
        radius_m=r.radius_m, point=to_shape(r.point),
        polygon=None if r.boundary is None else to_shape(r.boundary),
        geometry_version=r.version)) for r in rows if r.site_id is not None]
    return kind, target_id, first, assignment, sites


def fix_of(position: dict) -> Fix:
    """The ``geo.Fix`` of a loaded position (422 naming the bad field)."""
    try:
        return Fix(position["lat"], position["lon"], position.get("accuracy_m"),
                   crs=position["crs"], source=position["source"],
                   fix_time=position.get("fix_time"), mock=position.get("mock"),
                   altitude_m=position.get("altitude_m"))
    except GeoError as exc:
        raise Problem.invalid(f"position.{exc.field}", exc.message) from None


def verify_at_site(fix: Fix, sites: list[SiteTarget], data: dict) -> tuple[int, Verification]:
    """``(site id, verification)``: against ``data["site_id"]`` when given (422 if it is not a
    current site of the target), else against the nearest active site."""
    if "site_id" in data:
        chosen = next((s for s in sites if s[0] == data["site_id"]), None)
        if chosen is None:
            raise Problem.invalid("site_id", "No such site of this firm or project.")
        if not chosen[1]:
            raise Problem.invalid("site_id", "This site is retired; file against a current one.")
        return chosen[0], verify(fix, chosen[2])
    active = [s for s in sites if s[1]]
    if not active:
        raise Problem.invalid("site_id", "This firm or project has no site to verify against.")
    index, verification = verify_nearest(fix, [s[2] for s in active])
    return active[index][0], verification


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


def integrity_signals(user_id: int, kind: str, target_id: int, fix: Fix,
                      verification: Verification, captured_at: datetime,
                      received_at: datetime, *, offline: bool) -> list[str]:
    """Every flag of the visit: the verification's own, then the integrity signals against the
    person's stored visits (one query), without repeats."""
    signals = integrity_flags(
        VisitPoint(visit_id="new", firm_id=f"{kind[0]}{target_id}", lat=verification.lat,
                   lon=verification.lon, accuracy_m=fix.accuracy_m, fix_time=fix.fix_time,
                   captured_at=captured_at, received_at=received_at),
        _neighbours(user_id, captured_at, verification.lat, verification.lon),
        mock=fix.mock, online=not offline)
    return list(dict.fromkeys([*verification.flags, *signals]))


def _new_visit(principal: Principal, data: dict, digest: str,
               offline: bool | None) -> tuple[Visit, int | None]:
    """The visit ``data`` describes, verified and not yet added to the session, and the firm
    its raised issues belong to."""
    received_at = utcnow()
    captured_at = data["captured_at"]
    check_times(captured_at, received_at)
    kind, target_id, target, assignment_id, sites = find_target(principal, data, captured_at)
    if data["issues"] and kind == "project" and target.owner_firm_id is None:
        raise Problem.invalid("issues", "This project has no owner firm to raise issues for.")
    position = data["position"]
    fix = fix_of(position)
    site_id, verification = verify_at_site(fix, sites, data)
    is_offline = data["offline"] if offline is None else offline
    flags = integrity_signals(principal.user_id, kind, target_id, fix, verification,
                              captured_at, received_at, offline=is_offline)
    accepted = verification.verdict == "verified" and not flags
    issue_firm_id = target_id if kind == "firm" else target.owner_firm_id
    return Visit(
        client_id=data["client_id"], content_hash=digest, user_id=principal.user_id,
        firm_id=target_id if kind == "firm" else None,
        project_id=target_id if kind == "project" else None,
        site_id=site_id, site_version=verification.geometry_version,
        assignment_id=assignment_id, org_unit_id=target.org_unit_id,
        captured_at=captured_at, received_at=received_at,
        fix_time=fix.fix_time, offline=is_offline,
        raw_position={k: (v.isoformat() if isinstance(v, datetime) else v)
                      for k, v in position.items()},
        crs=fix.crs.value, source=fix.source.value,
        point=from_shape(Point(verification.lon, verification.lat), 4326),
        accuracy_m=fix.accuracy_m, mock=fix.mock, distance_m=verification.distance_m,
        radius_m=verification.radius_m, normalised_accuracy_m=verification.accuracy_m,
        measured_to=verification.measured_to, verdict=str(verification.verdict), flags=flags,
        rule_version=verification.rule_version,
        status="accepted" if accepted else "needs_review", purpose=data["purpose"],
        notes=data.get("notes")), issue_firm_id


def file_visit(principal: Principal, data: dict, *, offline: bool | None = None) -> tuple[
        Visit, bool]:
    """Store one visit (or find its earlier copy). Returns ``(visit, created)``.

    One transaction writes, for a new visit:

    - ``visits``: the visit with its raw fix, verification and flags;
    - ``issues`` and ``issue_events``: each issue raised during the visit
      (``fieldapp.issues.service.new_issue``);
    - ``firm_confirmations``: the firm's confirmation of that day, if one waits for this
      visit, gets its ``visit_id`` (``fieldapp.credentials.service.link_new_visit``);
    - ``audit_events``: one per row created above (the audit recorder's flush hook,
      ``fieldapp.audit.recorder.install``);
    - ``visit_slots`` and ``visit_slot_totals``: the slots holding the capture time are
      recounted and the unit's daily totals adjusted (the slot hooks,
      ``fieldapp.stats.slots.install``).

    A replay writes nothing and answers with the stored visit.
    """
    digest = content_hash(data)
    # Everything to the commit is guarded: raising an issue reads its category, which
    # autoflushes the visit's INSERT, so the constraint can refuse a copy at any statement,
    # not only at the commit. Refused for a rule or refused by the constraint, a visit that
    # is already stored answers as its replay.
    try:
        visit, issue_firm_id = _new_visit(principal, data, digest, offline)
        # What a new visit holds, set as loaded so serialising the answer needs no query
        # (each would be a transaction of its own after the commit).
        for name in ("reviews", "photos", "raised_issues"):
            set_committed_value(visit, name, [])
        db.session.add(visit)
        for raised in data["issues"]:
            visit.raised_issues.append(new_issue(
                firm_id=issue_firm_id, org_unit_id=visit.org_unit_id,
                category=raised["category"], title=raised["title"],
                description=raised.get("description"), source="visit",
                actor_role="visitor", actor_id=principal.user_id))
        set_committed_value(visit, "firm_confirmation", link_new_visit(visit))
        commit_keeping_state()
    except (Problem, IntegrityError):
        db.session.rollback()
        found = _existing(principal.user_id, data["client_id"])
        if found is None:
            raise
        return _replay(found, digest)
    return visit, True


def file_batch(principal: Principal, raws: list) -> dict:
    """``POST /visits/batch``: each raw item loaded and filed like ``POST /visits`` in its own
    transaction, answered per item in the order sent (``created``, ``duplicate``,
    ``conflict``, ``invalid``, ``not_found``, ``forbidden``); items are offline unless they
    say ``"offline": false``."""
    schema = VisitCreate()
    results, counts = [], {}
    for index, raw in enumerate(raws):
        item = {"index": index,
                "client_id": raw.get("client_id") if isinstance(raw, dict) else None}
        try:
            bad = control_character_paths(raw)
            if bad:
                raise ValidationError({path: [CONTROL_CHARACTER_MESSAGE] for path in bad})
            loaded = schema.load(raw)
            visit, created = file_visit(principal, loaded, offline=raw.get("offline", True))
            item.update(result="created" if created else "duplicate", id=visit.id,
                        status=201 if created else 200, verification=verification_of(visit),
                        issues=raised_issues_of(visit))
        except ValidationError as exc:
            item.update(result="invalid", status=422, errors=flatten_messages(exc.messages))
        except IntegrityError:
            # Not a lost race (file_visit answers those as replays): a conflict with another
            # row. Earlier items are committed, so the batch still answers per item.
            db.session.rollback()
            item.update(result="conflict", status=409,
                        detail="This conflicts with a record that already exists.")
        except Problem as exc:
            db.session.rollback()
            item.update(result=RESULT_OF_STATUS.get(exc.code, "invalid"), status=exc.code,
                        detail=exc.description, errors=exc.errors)
            if "visit_id" in exc.extra:
                item["id"] = exc.extra["visit_id"]
        counts[item["result"]] = counts.get(item["result"], 0) + 1
        results.append(item)
    return {"results": results, "counts": counts}


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
