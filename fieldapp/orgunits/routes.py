"""``/org-units``."""

from flask.views import MethodView

from fieldapp import scope
from fieldapp.auth.principal import current_principal, login_required
from fieldapp.extensions import Blueprint
from fieldapp.orgunits.schemas import OrgUnitCreate, OrgUnitOut, OrgUnitQuery
from fieldapp.orgunits.service import create_org_unit, org_unit_query
from fieldapp.pagination import PageArgs, page_of, paginate
from models import OrgUnit

blp = Blueprint("org_units", __name__, url_prefix="/api/v1/org-units",
                description="The org-unit tree")


class OrgUnitListQuery(OrgUnitQuery, PageArgs):
    """Filters and paging."""


@blp.route("")
class OrgUnits(MethodView):
    """The org units the caller may see."""

    decorators = [login_required()]

    @blp.arguments(OrgUnitListQuery, location="query")
    @blp.response(200, page_of(OrgUnitOut))
    def get(self, args):
        """List org units in scope (managers: their subtree)."""
        stmt = org_unit_query(current_principal(), args)
        return paginate(stmt, args, order_by=[OrgUnit.path])

    @blp.arguments(OrgUnitCreate)
    @blp.response(201, OrgUnitOut)
    def post(self, data):
        """Create an org unit (admins anywhere, managers inside their unit)."""
        return create_org_unit(current_principal(), data)


@blp.route("/<int:unit_id>")
class OrgUnitItem(MethodView):
    """One org unit."""

    decorators = [login_required()]

    @blp.response(200, OrgUnitOut)
    def get(self, unit_id):
        """An org unit in scope, else 404."""
        return scope.get_visible(OrgUnit, unit_id, current_principal())
