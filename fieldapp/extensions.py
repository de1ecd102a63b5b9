"""Extension objects, created once and bound to the app in ``create_app``.

The flask-smorest ``Api`` keeps per-app state (its OpenAPI spec), so ``create_app`` makes one
per app from ``ProblemApi``.
"""

import http
import json
import re

import flask_smorest
from flask_limiter import Limiter
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from flask_sqlalchemy import SQLAlchemy
from marshmallow import ValidationError
from webargs.core import missing
from webargs.flaskparser import FlaskParser, is_json_request

from fieldapp.errors import Problem, problem_from_http_exception
from models import Base


class ProblemApi(Api):
    """flask-smorest's Api answering every HTTP error as RFC 9457 problem+json, and saying so
    in the OpenAPI document (``fieldapp.apidoc``)."""

    def handle_http_exception(self, error):
        """Render any HTTPException, including webargs' 422s, as a problem document."""
        return problem_from_http_exception(error)

    def _register_responses(self):
        """The error responses flask-smorest references (``default``, 422 of arguments) and
        one per status, all ``application/problem+json`` with the ``Problem`` schema."""
        from fieldapp.apidoc import PROBLEM_CONTENT_TYPE, ProblemSchema

        self.spec.components.schema("Problem", schema=ProblemSchema)
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = "Problem"
            prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error (RFC 9457 problem details)", "schema": "Problem"}
        prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


def _client_address() -> str:
    from flask import request

    return request.remote_addr or "unknown"


class FallbackLimiter(Limiter):
    """A limiter that keeps limiting, in process memory, while Redis is unreachable.

    Log-in must not fail because the rate-limit store is down: that turned every log-in into a
    500. Flask-Limiter's in-memory fallback applies the same limits per process until Redis
    answers again.
    """

    def init_app(self, app) -> None:
        """Bind to ``app`` with its own storage, starting from a live (not fallen-back) state."""
        super().init_app(app)
        # One limiter object serves every app built in this process (the tests build many):
        # a store that died under an earlier app must not keep a new app on the fallback.
        self._storage_dead = False


# Models derive from models.Base (no Flask import in models/); Flask-SQLAlchemy shares its
# metadata and provides the request-scoped session and the engine.
db = SQLAlchemy(metadata=Base.metadata)
limiter = FallbackLimiter(key_func=_client_address, default_limits=[], headers_enabled=True,
                          in_memory_fallback_enabled=True, swallow_errors=True)


# C0 controls but tab, line feed and carriage return; DEL; lone UTF-16 surrogates. No name, title
# or note needs them, PostgreSQL refuses NUL (SQLite stored it), and a lone surrogate cannot be
# encoded as UTF-8 at all. Emoji and CJK are untouched.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
CONTROL_CHARACTER_MESSAGE = "Control characters (such as NUL) are not allowed."


def control_character_paths(value, path: str = "", exempt=frozenset()) -> list[str]:
    """The paths (``issues.0.title``) of every string in ``value`` holding a control character;
    a key holding one is named as the path to it. Top-level keys in ``exempt`` are skipped."""
    if isinstance(value, str):
        return [path or "_body"] if CONTROL_CHARACTERS.search(value) else []
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if CONTROL_CHARACTERS.search(str(key)):
                found.append(where)
            elif path or key not in exempt:
                found += control_character_paths(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += control_character_paths(item, f"{path}.{i}" if path else str(i))
    return found


class BoundedJSONParser(FlaskParser):
    """webargs' parser with the boundary rules every operation shares.

    - A body nested deeper than the JSON decoder can follow is malformed JSON (400), not an
      internal error: ``json`` raises RecursionError on it.
    - An operation that takes a JSON body requires one: no body is 422 (``_body``), a body of
      another type 415 naming ``application/json`` (webargs read both as "no fields").
    - Control characters in any string of the body or the query string are 422 naming the
      field, on both databases alike. A schema lists fields exempt from that in
      ``CONTROL_CHARACTERS_ALLOWED`` (log-in: a NUL in a username is just a wrong username).
    """

    def _raw_load_json(self, req):
        try:
            return super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise  # webargs answers it
        except (RecursionError, ValueError) as exc:
            # Nested too deeply, or an integer longer than Python converts (4,300 digits):
            # json raises these instead of JSONDecodeError, and they were a 500.
            error = json.JSONDecodeError(str(exc), "", 0)
            return self._handle_invalid_json_error(error, req)

    def _load_location_data(self, *, schema, req, location):
        if location == "json":
            _require_json_body(req)
        data = super()._load_location_data(schema=schema, req=req, location=location)
        if location == "json":
            if data is missing:
                raise ValidationError({"_body": ["A JSON body is required."]})
            bad = control_character_paths(
                data, exempt=frozenset(getattr(schema, "CONTROL_CHARACTERS_ALLOWED", ())))
        elif location == "query":
            bad = [key for key, value in req.args.items(multi=True)
                   if CONTROL_CHARACTERS.search(key) or CONTROL_CHARACTERS.search(value)]
        else:
            bad = []
        if bad:
            raise ValidationError({path: [CONTROL_CHARACTER_MESSAGE] for path in bad})
        return data


def _require_json_body(req) -> None:
    has_body = bool(req.content_length) or "chunked" in req.headers.get("Transfer-Encoding", "")
    if not has_body:
        raise ValidationError({"_body": ["A JSON body is required."]})
    if not is_json_request(req):
        raise Problem(415, f"This operation takes a body of type application/json, not "
                      f"{req.mimetype or 'one without a type'}.", slug="unsupported-media-type")


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint parsing request bodies with ``BoundedJSONParser``."""

    ARGUMENTS_PARSER = BoundedJSONParser()
