"""HTTP routes for projects (being built: see the open issue)."""

from flask_smorest import Blueprint

blp = Blueprint("projects", __name__, url_prefix="/api/v1")
