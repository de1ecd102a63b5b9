"""HTTP routes for assignments (being built: see the open issue)."""

from flask_smorest import Blueprint

blp = Blueprint("assignments", __name__, url_prefix="/api/v1")
