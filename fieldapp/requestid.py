"""``X-Request-ID``: echoed when the client sends a sane one, generated otherwise."""

import re
import uuid

from flask import g, request

# fullmatch, not match with "$": "$" also matches before a trailing newline, which would let
# "abc\n" through and break the response header.
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def assign_request_id() -> None:
    """Pick this request's id before any view runs."""
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _SANE.fullmatch(incoming) else uuid.uuid4().hex


def echo_request_id(response):
    """Put the id on every response, errors included."""
    response.headers["X-Request-ID"] = g.get("request_id") or uuid.uuid4().hex
    return response
