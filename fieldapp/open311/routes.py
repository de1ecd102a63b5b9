"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2): issues as service requests.

- ``services.json``: the issue categories (``metadata`` true: a request names its firm by
  ``attribute[firm_uscc]``); ``services/{code}.json`` defines that attribute.
- ``requests.json`` GET: requests with the standard filters (``service_request_id``,
  ``service_code``, ``start_date``, ``end_date`` — at most 90 days, the last 90 by default —
  and ``status`` open/closed); POST: create one, with a client ``api_key``.
- ``requests/{id}.json``: one request (``id`` is the tracking number).

``service_request_id`` is the tracking number; ``status`` is ``open`` until the issue is
resolved, closed, rejected or merged; ``status_notes`` the latest public step;
``agency_responsible`` the department holding it; ``expected_datetime`` the running deadline;
``notes`` (a widely used extension) the public timeline. Reads with a client key show what the
key's user may see, with description, address, position and the texts of the timeline; reads
without a key are allowed only when ``OPEN311_PUBLIC_READS`` is on, and then show no firm's
words at all: no description, address or position, ``notes[].description`` null and
``status_notes`` the state's label. Errors follow the spec: a list of ``{code, description}``
with the HTTP status (a bad filter names its parameter).
JSON only (``.xml`` answers 400 in that format's words).
"""

from datetime import UTC, datetime, timedelta

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from fieldapp import clock
from fieldapp.auth.principal import Principal
from fieldapp.errors import Problem
from fieldapp.extensions import CONTROL_CHARACTERS, db
from fieldapp.issues import departments, lifecycle
from fieldapp.issues.checkcode import check_code
from fieldapp.issues.timeline import timeline
from fieldapp.open311 import service
from models import Issue

blp = Blueprint("open311", __name__, url_prefix="/open311/v2")
CLOSED = service.CLOSED
MAX_DAYS = 90


class Open311Error(Exception):
    """An error in the spec's format."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status, self.description = status, description


@blp.errorhandler(Open311Error)
def _error(exc: Open311Error):
    db.session.rollback()
    return jsonify([{"code": exc.status, "description": exc.description}]), exc.status


@blp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    db.session.rollback()
    description = exc.description if isinstance(exc, Problem) else exc.name
    return jsonify([{"code": exc.code, "description": description}]), exc.code


@blp.before_request
def _refuse_control_characters() -> None:
    """As in every JSON operation (``fieldapp.extensions``): a NUL in a parameter was stored
    on SQLite and refused by PostgreSQL, which answered outside the spec's error format."""
    for name, value in [*request.args.items(multi=True), *request.form.items(multi=True)]:
        if CONTROL_CHARACTERS.search(name) or CONTROL_CHARACTERS.search(value):
            raise Open311Error(400, f"{name!r} holds a control character (such as NUL).")


def _json_only(fmt: str) -> None:
    if fmt != "json":
        raise Open311Error(400, "Only the json format is offered.")


def _client() -> Principal | None:
    key = request.values.get("api_key")
    if not key:
        return None
    client = service.client_for_key(key)
    if client is None:
        raise Open311Error(403, "Invalid api_key.")
    return client


def _reader() -> Principal | None:
    client = _client()
    if client is None and not current_app.config["OPEN311_PUBLIC_READS"]:
        raise Open311Error(401, "An api_key is required.")
    return client


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(clock.LOCAL_TZ).isoformat() if moment else None


@blp.get("/services.<fmt>")
def services(fmt):
    """The categories as services."""
    _json_only(fmt)
    return jsonify([{
        "service_code": c.code, "service_name": c.name,
        "description": f"{c.name}诉求：受理 {c.response_days} 个工作日内，办结 "
                       f"{c.resolve_days} 个工作日内",
        "metadata": True, "type": "realtime", "keywords": c.code, "group": "企业诉求"}
        for c in departments.categories()])


@blp.get("/services/<code>.<fmt>")
def service_definition(code, fmt):
    """The attribute every request must carry: the firm's USCC."""
    _json_only(fmt)
    if service.category(code) is None:
        raise Open311Error(404, f"No service {code}.")
    return jsonify({"service_code": code, "attributes": [{
        "variable": True, "code": "firm_uscc", "datatype": "string", "required": True,
        "datatype_description": "统一社会信用代码 (18 characters)", "order": 1,
        "description": "The firm the request concerns (unified social credit code)"}]})


def _request_view(issue: Issue, names: dict, full: bool) -> dict:
    """One request; ``full`` False (no key) keeps only labels: event texts are the firm's words
    and the staff's replies to it (titles, reasons, replies, rating comments)."""
    view = timeline(issue)
    notes = [{"datetime": _iso(e["at"]), "type": "status" if e["action"] in (
        "accept", "reject", "dispatch", "resolve", "close", "reopen", "merge") else "update",
        "summary": e["label"], "description": e["text"] if full else None}
        for e in view["events"]]
    latest = view["events"][-1] if view["events"] else None
    if not full:
        status_notes = view["state_label"]
    else:
        status_notes = (latest["text"] or latest["label"]) if latest else None
    body = {
        "service_request_id": issue.tracking_no,
        "status": "closed" if issue.state in CLOSED else "open",
        "status_notes": status_notes,
        "service_name": names.get(issue.category, issue.category),
        "service_code": issue.category,
        "agency_responsible": view["department"],
        "service_notice": lifecycle.NEXT_STEPS[view["followed_state"]].format(
            department=view["department"] or "承办部门"),
        "requested_datetime": _iso(issue.created_at),
        "updated_datetime": _iso(issue.updated_at),
        "expected_datetime": _iso(view["deadline"]),
        "notes": notes,
    }
    if full:
        body.update({"check_code": check_code(issue.tracking_no),
                     "description": issue.description or issue.title,
                     "address": issue.address, "lat": issue.lat, "long": issue.lon})
    return body


def _parse_time(name: str) -> datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name} must be a W3C datetime, e.g. "
                                "2010-01-01T00:00:00Z.") from None
    if value.tzinfo is None:
        raise Open311Error(400, f"{name} needs a time zone.")
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise Open311Error(400, f"{name} is out of range.") from None


@blp.get("/requests.<fmt>")
def requests_list(fmt):
    """Requests matching the standard filters."""
    _json_only(fmt)
    reader = _reader()
    ids = request.args.get("service_request_id")
    if ids:
        issues = service.find_requests(
            reader, tracking_nos=[i.strip() for i in ids.split(",")][:100])
    else:
        codes = request.args.get("service_code")
        end = _parse_time("end_date") or clock.now()
        start = _parse_time("start_date")
        if start is None:
            try:
                start = end - timedelta(days=MAX_DAYS)
            except OverflowError:
                raise Open311Error(400, "end_date is out of range (too early to count "
                                        f"{MAX_DAYS} days back from).") from None
        if end - start > timedelta(days=MAX_DAYS) or end < start:
            raise Open311Error(400, f"start_date..end_date may span at most {MAX_DAYS} days.")
        status = {s.strip() for s in request.args.get("status", "").split(",") if s.strip()}
        if status - {"open", "closed"}:
            raise Open311Error(400, "status must be open or closed.")
        issues = service.find_requests(
            reader, codes=[c.strip() for c in codes.split(",")] if codes else None,
            start=start, end=end, status=status)
    names = service.category_names()
    return jsonify([_request_view(i, names, reader is not None) for i in issues])


@blp.get("/requests/<tracking_no>.<fmt>")
def request_item(tracking_no, fmt):
    """One request, as a one-element list (the spec's shape)."""
    _json_only(fmt)
    reader = _reader()
    issue = service.find_request(reader, tracking_no)
    if issue is None:
        raise Open311Error(404, f"No request {tracking_no}.")
    return jsonify([_request_view(issue, service.category_names(), reader is not None)])


def _float(name: str, low: float, high: float) -> float | None:
    raw = request.form.get(name)
    if raw in (None, ""):
        return None
    try:
        value = float(raw)
    except ValueError:
        raise Open311Error(400, f"{name} must be a number.") from None
    if not low <= value <= high:  # also refuses NaN
        raise Open311Error(400, f"{name} must be within {low}..{high}.")
    return value


@blp.post("/requests.<fmt>")
def requests_create(fmt):
    """Create a request (form-encoded, as the spec says) with a client ``api_key``."""
    _json_only(fmt)
    client = _client()
    if client is None:
        raise Open311Error(403, "An api_key is required to create requests.")
    if not client.has("admin", "manager"):
        raise Open311Error(403, "This client's user may not raise issues.")
    code = request.form.get("service_code", "")
    if service.category(code) is None:
        raise Open311Error(400, "service_code is missing or unknown.")
    uscc = request.form.get("attribute[firm_uscc]", "").strip().upper()
    firm = service.firm_by_uscc(client, uscc) if uscc else None
    if firm is None:
        raise Open311Error(400, "attribute[firm_uscc] names no firm this client may see.")
    description = (request.form.get("description") or "").strip()
    if not description or len(description) > 4000:
        raise Open311Error(400, "description is required (at most 4000 characters).")
    lat, lon = _float("lat", -90, 90), _float("long", -180, 180)
    if (lat is None) != (lon is None):
        raise Open311Error(400, "lat and long go together.")
    address = (request.form.get("address_string") or "").strip()[:300] or None
    issue = service.create_request(client, firm, code, description, lat, lon, address)
    return jsonify([{"service_request_id": issue.tracking_no,
                     "check_code": check_code(issue.tracking_no),
                     "service_notice": lifecycle.NEXT_STEPS["submitted"],
                     "account_id": None}]), 201
