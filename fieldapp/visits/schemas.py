"""Visit bodies: filing (single and batch), reading, filters, and review decisions."""

from flask import current_app
from geoalchemy2.shape import to_shape
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    validate,
    validates,
    validates_schema,
)

from fieldapp.fields import AwareDateTime, Crs, Id, QueryId
from fieldapp.issues.checkcode import check_code
from geo import GeoError, parse_source
from models import PURPOSES, REVIEW_DECISIONS, REVIEW_REASONS, VISIT_STATUSES

SOURCES = ("gps", "network", "wechat", "browser", "manual")
ISSUE_CATEGORIES = ("power", "water", "gas", "land", "permits", "financing", "hiring", "legal",
                    "logistics", "policy", "other")


class Position(Schema):
    """The position as the phone reported it."""

    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    accuracy_m = fields.Float(allow_none=True, validate=validate.Range(min=0, max=100_000),
                              metadata={"description": "reported accuracy radius, metres"})
    crs = Crs(load_default="wgs84")
    source = fields.String(load_default="gps", validate=validate.OneOf(SOURCES), metadata={
        "description": "gps, network (Android), wechat (wx.getLocation), browser, manual"})
    fix_time = AwareDateTime(allow_none=True, metadata={
        "description": "when the position was measured, if the SDK says"})
    mock = fields.Boolean(allow_none=True, metadata={
        "description": "the OS's mock-location flag, when the app can read it"})
    altitude_m = fields.Float(allow_none=True, validate=validate.Range(-1000, 10000))

    @validates("source")
    def _source(self, value, **_kwargs):
        try:
            parse_source(value)
        except GeoError as exc:
            raise ValidationError(exc.message) from None


class RaisedIssue(Schema):
    """An issue the firm raised during the visit."""

    category = fields.String(required=True, validate=validate.OneOf(ISSUE_CATEGORIES))
    title = fields.String(required=True, validate=validate.Length(1, 200))
    description = fields.String(allow_none=True, validate=validate.Length(max=5000))


class VisitCreate(Schema):
    """``POST /visits``: one visit as filed on the phone."""

    # The OpenAPI example: the demo commissioner at firm 1's gate, as WeChat reports it.
    EXAMPLE = {
        "client_id": "3f0c2a8e-6b1d-4c7a-9e55-0d2f4b8a1c01", "firm_id": 1,
        "captured_at": "2026-11-20T10:42:05+08:00",
        "position": {"lat": 34.36214, "lon": 108.74601, "accuracy_m": 18, "crs": "gcj02",
                     "source": "wechat"},
        "purpose": "routine", "notes": "了解二期投产进度",
        "issues": [{"category": "power", "title": "二期用电容量不足"}]}

    client_id = fields.String(required=True, validate=[
        validate.Length(8, 64), validate.Regexp(r"^[A-Za-z0-9._:-]+$", error=(
            "Use the phone-made id: 8-64 of A-Z a-z 0-9 . _ : -"))], metadata={
        "description": "made on the phone (a UUID); the same id with the same content is a "
                       "replay (200), with other content a conflict (409). `offline` is how "
                       "the visit travelled, not its content: a resend that differs only in "
                       "`offline` (a phone that gave up online and queued it) is a replay, and "
                       "the stored visit keeps the first copy's value"})
    firm_id = Id()
    project_id = Id()
    site_id = Id(metadata={"description": "default: the nearest active site"})
    captured_at = AwareDateTime(required=True, metadata={
        "description": "when the visit was recorded on the phone (device clock, with offset)"})
    position = fields.Nested(Position, required=True)
    purpose = fields.String(load_default="routine", validate=validate.OneOf(PURPOSES))
    notes = fields.String(allow_none=True, validate=validate.Length(max=5000))
    offline = fields.Boolean(load_default=False, metadata={
        "description": "filed without a connection and uploaded later (clock checks relax)"})
    issues = fields.List(fields.Nested(RaisedIssue), load_default=list)

    @validates_schema
    def _one_target(self, data, **_kwargs):
        if ("firm_id" in data) == ("project_id" in data):
            message = "Give exactly one of firm_id and project_id."
            raise ValidationError({"firm_id": [message], "project_id": [message]})

    @validates("issues")
    def _few_issues(self, value, **_kwargs):
        limit = current_app.config["VISIT_MAX_ISSUES"]
        if len(value) > limit:
            raise ValidationError(f"At most {limit} issues per visit.")


class VisitPreview(VisitCreate):
    """``POST /visits/preview``: a visit as it would be filed; ``client_id`` and
    ``captured_at`` may be left out (now)."""

    client_id = fields.String(validate=validate.Length(max=64))
    captured_at = AwareDateTime(metadata={"description": "default: now"})


class VisitBatch(Schema):
    """``POST /visits/batch``: items are checked one by one (see the route)."""

    CONTROL_CHARACTERS_ALLOWED = ("visits",)  # an item holding one is that item's 422 only

    visits = fields.List(fields.Raw(), required=True)

    @validates("visits")
    def _size(self, value, **_kwargs):
        limit = current_app.config["VISIT_BATCH_MAX"]
        if not 1 <= len(value) <= limit:
            raise ValidationError(f"Send 1 to {limit} visits per batch.")


def _point(visit) -> dict:
    point = to_shape(visit.point)
    return {"lat": point.y, "lon": point.x}


def _firm_confirmation(visit) -> dict | None:
    c = visit.firm_confirmation
    if c is None:
        return None
    return {"confirmed": True, "confirmed_at": c.confirmed_at.isoformat(),
            "day": c.day.isoformat(), "rating": c.rating}


class VerificationOut(Schema):
    """What the server concluded, and what it compared with what."""

    verdict = fields.String(metadata={"description": "verified, out_of_range, inconclusive"})
    distance_m = fields.Float(metadata={"description": "metres from the WGS-84 position to "
                                                       "the site (0 inside its boundary)"})
    radius_m = fields.Float()
    accuracy_m = fields.Float(attribute="normalised_accuracy_m", allow_none=True, metadata={
        "description": "the reported accuracy rescaled to 95% confidence"})
    raw_accuracy_m = fields.Float(attribute="accuracy_m", allow_none=True)
    flags = fields.List(fields.String())
    status = fields.String(metadata={"description": "accepted (verified, no flags), "
                                                    "needs_review, approved, rejected"})
    measured_to = fields.String(metadata={"description": "point or polygon"})
    site_id = fields.Integer()
    site_version = fields.Integer()
    rule_version = fields.String()
    position_wgs84 = fields.Function(_point)
    firm_confirmation = fields.Function(_firm_confirmation, metadata={
        "description": "the firm's own confirmation of this visit (second evidence, beside "
                       "GPS; null when none): when, and the firm's optional rating"})


class PreviewOut(Schema):
    """The verification a filing would get now (``POST /visits/preview``)."""

    verdict = fields.String(metadata={"description": "verified, out_of_range, inconclusive"})
    distance_m = fields.Float()
    radius_m = fields.Float()
    accuracy_m = fields.Float(allow_none=True, metadata={
        "description": "the reported accuracy rescaled to 95% confidence"})
    raw_accuracy_m = fields.Float(allow_none=True)
    flags = fields.List(fields.String())
    status = fields.String(metadata={"description": "accepted or needs_review"})
    measured_to = fields.String()
    site_id = fields.Integer()
    site_version = fields.Integer()
    rule_version = fields.String()
    position_wgs84 = fields.Dict()


class ReviewOut(Schema):
    """One review decision."""

    id = fields.Integer()
    decision = fields.String()
    reason_code = fields.String()
    note = fields.String(allow_none=True)
    reviewer_id = fields.Integer()
    decided_at = fields.DateTime()
    supersedes_id = fields.Integer(allow_none=True)


class RaisedIssueOut(Schema):
    """An issue raised during the visit, with the check code to hand to the firm."""

    id = fields.Integer()
    tracking_no = fields.String()
    check_code = fields.Function(lambda issue: check_code(issue.tracking_no))
    category = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    state = fields.String()


class PhotoOut(Schema):
    """A photo of a visit and what its EXIF says."""

    id = fields.Integer()
    sha256 = fields.String()
    content_type = fields.String()
    size_bytes = fields.Integer()
    exif_taken_at = fields.DateTime(allow_none=True)
    exif_lat = fields.Float(allow_none=True)
    exif_lon = fields.Float(allow_none=True)
    flags = fields.List(fields.String())
    uploaded_at = fields.DateTime()
    url = fields.Function(lambda p: f"/api/v1/visits/{p.visit_id}/photos/{p.id}/file")


# One instance: building a schema per dump costs more than the dump itself.
_VERIFICATION = VerificationOut()


def verification_of(visit) -> dict:
    return _VERIFICATION.dump(visit)


_RAISED = RaisedIssueOut(many=True)


def raised_issues_of(visit) -> list[dict]:
    """The issues raised on the visit, each with the check code the visitor hands the firm."""
    return _RAISED.dump(visit.raised_issues)


class VisitOut(Schema):
    """A visit with its verification."""

    id = fields.Integer()
    client_id = fields.String()
    user_id = fields.Integer()
    firm_id = fields.Integer(allow_none=True)
    project_id = fields.Integer(allow_none=True)
    site_id = fields.Integer()
    assignment_id = fields.Integer(allow_none=True)
    org_unit_id = fields.Integer()
    captured_at = fields.DateTime()
    received_at = fields.DateTime()
    offline = fields.Boolean()
    position = fields.Dict(attribute="raw_position", metadata={
        "description": "the position exactly as sent"})
    purpose = fields.String()
    notes = fields.String(allow_none=True)
    status = fields.String()
    countable = fields.Boolean(metadata={"description": "counts towards the visit rate"})
    verification = fields.Function(verification_of)
    issues = fields.List(fields.Nested(RaisedIssueOut), attribute="raised_issues")
    reviews = fields.List(fields.Nested(ReviewOut))
    photos = fields.List(fields.Nested(PhotoOut))


class BatchItemOut(Schema):
    """One item's outcome in a batch."""

    index = fields.Integer()
    client_id = fields.String(allow_none=True)
    result = fields.String(metadata={
        "description": "created, duplicate, conflict, invalid, not_found, forbidden"})
    id = fields.Integer(allow_none=True)
    status = fields.Integer(metadata={"description": "the HTTP status a single filing gets"})
    verification = fields.Dict(allow_none=True)
    issues = fields.List(fields.Dict(), metadata={
        "description": "created or duplicate: the issues raised on the visit, each with its "
                       "tracking number and check code (查询码) to hand to the firm"})
    errors = fields.Dict(allow_none=True)
    detail = fields.String(allow_none=True)


class BatchOut(Schema):
    """A batch's outcomes, in the order sent."""

    results = fields.List(fields.Nested(BatchItemOut))
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class VisitQuery(Schema):
    """Filters for ``GET /visits``."""

    user_id = QueryId()
    firm_id = QueryId()
    project_id = QueryId()
    org_unit_id = QueryId(metadata={"description": "this unit and its subtree"})
    status = fields.String(validate=validate.OneOf(VISIT_STATUSES))
    verdict = fields.String(validate=validate.OneOf(("verified", "out_of_range",
                                                     "inconclusive")))
    flag = fields.String(validate=validate.Length(1, 32))
    since = AwareDateTime(metadata={"description": "captured at or after"})
    until = AwareDateTime(metadata={"description": "captured before"})


class ReviewCreate(Schema):
    """``POST /visits/{id}/review``."""

    decision = fields.String(required=True, validate=validate.OneOf(REVIEW_DECISIONS))
    reason_code = fields.String(required=True, validate=validate.OneOf(REVIEW_REASONS))
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))
    supersede = fields.Boolean(load_default=False, metadata={
        "description": "required to replace an earlier decision (which stays on record)"})

    @validates_schema
    def _note_to_reject(self, data, **_kwargs):
        """A rejection un-counts someone's visit: the reviewer says why in words too."""
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            raise ValidationError("Required to reject a visit.", "note")
