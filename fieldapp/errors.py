"""One error shape for the whole API: RFC 9457 ``application/problem+json``.

Validation errors (422) carry ``errors``: a mapping of field path → messages. Database integrity
conflicts become 409, values the database cannot take 400, anything unexpected a bare 500. No
stack trace or SQL ever leaves.
"""

import logging

from flask import current_app, g, jsonify, request
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

log = logging.getLogger(__name__)

PROBLEM_TYPE_BASE = "https://fieldapp.example/problems/"
# Every 404 has this one type, whatever said "not found": the router (an unknown path, an id
# beyond the path converter's range), a row that does not exist or lies outside the caller's
# scope (the same answer, so ids do not leak), a tracking number and code that do not match.
NOT_FOUND = "not-found"
_SLUG_OF_STATUS = {404: NOT_FOUND}
DATABASE_RETRY_AFTER_S = 5


class Problem(HTTPException):
    """An HTTP error with a problem type slug, a detail and optional per-field errors."""

    def __init__(self, status: int, detail: str, *, slug: str | None = None,
                 errors: dict[str, list[str]] | None = None, **extra):
        super().__init__(description=detail)
        self.code = status
        self.slug = slug
        self.errors = errors
        self.extra = extra

    @classmethod
    def invalid(cls, field: str | None = None, message: str | None = None, *,
                errors: dict[str, list[str]] | None = None) -> "Problem":
        """422 ``validation``: ``message`` about ``field``, or ``errors`` about several."""
        return cls(422, _DETAILS[422], slug="validation", errors=errors or {field: [message]})

    @classmethod
    def not_found(cls, detail: str = "Not found.") -> "Problem":
        """404 ``not-found`` (``NOT_FOUND``), with ``detail`` saying what was looked for."""
        return cls(404, detail, slug=NOT_FOUND)


def problem(status: int, detail: str, *, slug: str | None = None,
            errors: dict[str, list[str]] | None = None, headers=None, **extra):
    """Build a problem+json response."""
    body = {
        "type": PROBLEM_TYPE_BASE + (slug or _SLUG_OF_STATUS.get(status) or str(status)),
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    request_id = g.get("request_id")
    if request_id:
        body["request_id"] = request_id
    body.update(extra)
    resp = jsonify(body)
    resp.status_code = status
    resp.mimetype = "application/problem+json"
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def flatten_messages(messages, prefix: str = "") -> dict[str, list[str]]:
    """Turn marshmallow's nested error dict into ``{"position.lat": ["..."]}``.

    webargs nests messages under the request location (``json``, ``query``…); that level is
    dropped so clients see the field names they sent.
    """
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if not prefix and key in {"json", "query", "form", "files", "headers", "path"}:
                flat.update(flatten_messages(value, ""))
                continue
            path = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten_messages(value, path))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_body"] = list(messages)
    elif isinstance(messages, list):
        for i, value in enumerate(messages):
            flat.update(flatten_messages(value, f"{prefix}.{i}" if prefix else str(i)))
    else:
        flat[prefix or "_body"] = [str(messages)]
    return flat


_DETAILS = {
    400: "The request could not be read.",
    401: "Authentication is required.",
    403: "You may not do this.",
    404: "Not found.",
    405: "This method is not allowed here.",
    409: "The request conflicts with the current state.",
    413: "The request body is too large.",
    415: "Unsupported media type.",
    422: "The request has invalid fields.",
    429: "Too many requests; slow down.",
}


def problem_from_http_exception(error: HTTPException):
    """Render a werkzeug/webargs/flask-smorest HTTPException as a problem document."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    headers = dict(getattr(error, "headers", None) or data.get("headers") or {})
    if status == 401:
        # RFC 9110 §15.5.2: a 401 must say how to authenticate.
        headers.setdefault("WWW-Authenticate", 'Bearer realm="fieldapp"')
    if isinstance(error, Problem):
        return problem(status, error.description, slug=error.slug, errors=error.errors,
                       headers=headers, **error.extra)
    messages = data.get("messages")
    if status == 400 and messages:  # webargs: the JSON body did not parse
        return problem(400, "The request body is not valid JSON.", slug="malformed-json")
    if status == 422 and messages:
        return problem(422, _DETAILS[422], slug="validation", errors=flatten_messages(messages))
    detail = data.get("message") or _DETAILS.get(status) or error.description or "Error"
    if status == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        detail = f"The request body is larger than the limit of {limit} bytes."
    if status == 429:
        detail = _DETAILS[429]
        retry = getattr(error, "retry_after", None)
        if retry:
            headers["Retry-After"] = str(int(retry))
    if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    return problem(status, detail, headers=headers)


def refuse_control_characters_in_path():
    """A path naming a tracking number or a category with a NUL in it names nothing: 404 on
    both databases (PostgreSQL refused the NUL in its query, SQLite searched for it)."""
    if any(ord(c) < 32 or ord(c) == 127 for c in request.path):
        raise Problem.not_found()


def no_content_without_type(response):
    """A 204 carries no body, so it names no type (RFC 9110 §15.3.5, §8.3): flask-smorest's
    ``@blp.response(204)`` labels it ``application/json`` all the same. Flask also answers OPTIONS
    itself with 200 and an empty ``text/html`` body: that becomes 204 with ``Allow`` and no body,
    so nothing claims to be HTML (or anything else)."""
    if request.method == "OPTIONS" and response.status_code == 200 and not response.data:
        response.status_code = 204
    if response.status_code == 204:
        response.headers.pop("Content-Type", None)
        response.headers.pop("Content-Length", None)
    return response


def register_error_handlers(app, db) -> None:
    """The app-wide handlers; flask-smorest's Api routes HTTPExceptions to the same renderer.
    ``db`` (``fieldapp.extensions.db``) is passed in: extensions builds on this module, not the
    other way round."""
    app.after_request(no_content_without_type)
    app.before_request(refuse_control_characters_in_path)

    @app.errorhandler(IntegrityError)
    def _integrity(exc):
        db.session.rollback()
        log.info("integrity conflict: %s", exc.orig)
        return problem(409, "This conflicts with a record that already exists.",
                       slug="conflict")

    @app.errorhandler(StaleDataError)
    def _stale(exc):
        # A versioned row (an issue) changed between this request reading it and writing it.
        db.session.rollback()
        return problem(409, "Someone else changed this record at the same moment; read it "
                            "again and retry if it still applies.", slug="concurrent-change")

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def _unstorable(exc):
        # A value the database cannot take: an id beyond 64 bits (PostgreSQL raises DataError,
        # SQLite's driver a bare OverflowError) or a NUL character in text on PostgreSQL. That is
        # the client's input, not an outage: a 503 would tell the client to send it again.
        db.session.rollback()
        log.info("value the database cannot take: %s", getattr(exc, "orig", exc))
        return problem(400, "A value in the request is out of range or cannot be stored.",
                       slug="unstorable-value")

    @app.errorhandler(SQLAlchemyError)
    def _database(exc):
        if isinstance(getattr(exc, "orig", None), OverflowError):
            # A bound value the column type could not convert (a time before year 1 once in
            # UTC): SQLAlchemy wraps it in a StatementError, but it is the client's input.
            return _unstorable(exc)
        db.session.rollback()
        log.exception("database error")
        # A dropped connection lands here once (the pool then replaces it and every older one,
        # ``models.database.engine_options``): say when to come back, so a phone's outbox
        # waits a moment instead of hammering or giving up.
        return problem(503, "The database is unavailable; try again.", slug="database",
                       headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)})

    @app.errorhandler(Exception)
    def _unexpected(exc):
        if isinstance(exc, HTTPException):
            return problem_from_http_exception(exc)
        db.session.rollback()
        log.exception("unhandled error")
        return problem(500, InternalServerError.description, slug="internal")
