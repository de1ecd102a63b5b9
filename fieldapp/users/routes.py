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
        """Create a user (admins; managers inside their unit, without the admin role)."""
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
        """Change a user's name, roles, unit, team, department, phone, password or status."""
        return update_user(current_principal(), user_id, data)
