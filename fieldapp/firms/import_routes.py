"""HTTP route for bulk firm import (being built: see the open issue)."""

from flask_smorest import Blueprint

blp = Blueprint("firm_import", __name__, url_prefix="/api/v1")
