"""HTTP routes for issues (being built: see the open issue)."""

from flask_smorest import Blueprint

blp = Blueprint("issues", __name__, url_prefix="/api/v1")
