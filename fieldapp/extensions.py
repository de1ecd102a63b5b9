"""Extension objects, created once and bound to the app in ``create_app``.

The flask-smorest ``Api`` keeps per-app state (its OpenAPI spec), so ``create_app`` makes one
per app from ``ProblemApi``.
"""

import json

import flask_smorest
from flask_limiter import Limiter
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from webargs.flaskparser import FlaskParser

from fieldapp.errors import problem_from_http_exception
from models import Base


class ProblemApi(Api):
    """flask-smorest's Api answering every HTTP error as RFC 9457 problem+json."""

    def handle_http_exception(self, error):
        """Render any HTTPException, including webargs' 422s, as a problem document."""
        return problem_from_http_exception(error)


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


class BoundedJSONParser(FlaskParser):
    """webargs' parser, but a body nested deeper than the JSON decoder can follow is malformed
    JSON (400), not an internal error: ``json`` raises RecursionError on it."""

    def _raw_load_json(self, req):
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            error = json.JSONDecodeError("nested too deeply", "", 0)
            return self._handle_invalid_json_error(error, req)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint parsing request bodies with ``BoundedJSONParser``."""

    ARGUMENTS_PARSER = BoundedJSONParser()
