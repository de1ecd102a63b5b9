"""HTTP routes for firms (being built: see the open issue)."""

from flask_smorest import Blueprint

blp = Blueprint("firms", __name__, url_prefix="/api/v1")
