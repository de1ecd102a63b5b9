"""HTTP routes for visits (being built: see the open issue)."""

from flask_smorest import Blueprint

blp = Blueprint("visits", __name__, url_prefix="/api/v1")
