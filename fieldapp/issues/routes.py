"""HTTP routes for issues (being built: see the open issue)."""

from fieldapp.extensions import Blueprint

blp = Blueprint("issues", __name__, url_prefix="/api/v1")
