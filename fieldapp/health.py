"""``/healthz`` (the process answers) and ``/readyz`` (database and spatial extension work)."""

from flask import Blueprint, jsonify

from fieldapp.errors import problem
from fieldapp.extensions import db
from models.database import spatial_version

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():
    """Liveness: no I/O, so it stays cheap for load balancers."""
    return jsonify(status="ok")


@blp.get("/readyz")
def readyz():
    """Readiness: one round trip that also proves the spatial extension is loaded."""
    try:
        with db.engine.connect() as conn:
            version = spatial_version(conn)
    except Exception as exc:  # any failure means "do not route traffic here"
        return problem(503, f"Not ready: {type(exc).__name__}.", slug="not-ready")
    return jsonify(status="ready", database=db.engine.dialect.name, spatial=version)
