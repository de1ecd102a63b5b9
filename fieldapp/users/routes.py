"""``/users``."""

from flask.views import MethodView

from fieldapp import scope
from fieldapp.auth.principal import current_principal, login_required
from fieldapp.extensions import Blueprint
from fieldapp.pagination import PageArgs, page_of, paginate
from fieldapp.schemas import UserOut
from fieldapp.users.schemas import UserCreate, UserQuery, UserUpdate
from fieldapp.users.service import create_user, update_user, user_query
from models import User

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Users and roles")


class UserListQuery(UserQuery, PageArgs):
    """Filters and paging."""


@blp.route("")
class Users(MethodView):
    """Users in the caller's scope."""

    decorators = [login_required()]

    @blp.arguments(UserListQuery, location="query")
    @blp.response(200, page_of(UserOut))
    def get(self, args):
        """List users in scope."""
        return paginate(user_query(current_principal(), args), args, order_by=[User.id])

    @blp.arguments(UserCreate)
    @blp.response(201, UserOut)
    def post(self, data):
        """Create a user (admins; managers inside their unit, without the admin role).

        The password is one-time: the user must change it at their first log-in. A firm user
        (企业用户, role ``firm`` only) is created with ``firm_id`` and no ``org_unit_id``: they
        get their firm's unit. The firm must exist, be active and be in the caller's scope
        (managers: their subtree), else 422 on ``firm_id``; ``firm`` without ``firm_id``, or a
        ``firm_id`` with staff roles, is a 422 too.
        """
        return create_user(current_principal(), data)


@blp.route("/<int:user_id>")
class UserItem(MethodView):
    """One user."""

    decorators = [login_required()]

    @blp.response(200, UserOut)
    def get(self, user_id):
        """A user in scope, else 404."""
        return scope.get_visible(User, user_id, current_principal())

    @blp.arguments(UserUpdate)
    @blp.response(200, UserOut)
    def patch(self, data, user_id):
        """Change a user's name, roles, unit, team, department, firm, phone, password or status.

        ``firm_id`` moves a firm user to another firm in scope (their unit follows it). Roles
        and firm are checked together whenever either is sent: role ``firm`` alone if and only
        if a ``firm_id`` (422 naming the field otherwise).
        """
        return update_user(current_principal(), user_id, data)
