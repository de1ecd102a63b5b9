"""``/departments`` and ``/issue-categories``: who handles what, and in how many working days."""

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from fieldapp.auth.principal import current_principal, login_required
from fieldapp.extensions import Blueprint
from fieldapp.fields import Id
from fieldapp.issues import departments

blp = Blueprint("issue_admin", __name__, url_prefix="/api/v1",
                description="Departments and issue categories: routing and service levels")


class CategoryOut(Schema):
    """A category and its service level."""

    code = fields.String()
    name = fields.String()
    response_days = fields.Integer()
    resolve_days = fields.Integer()
    response_hours = fields.Integer(allow_none=True)
    resolve_hours = fields.Integer(allow_none=True)


class CategoryPatch(Schema):
    """``PATCH /issue-categories/{code}``."""

    name = fields.String(validate=validate.Length(min=1, max=50))
    response_days = fields.Integer(strict=True, validate=validate.Range(1, 60))
    resolve_days = fields.Integer(strict=True, validate=validate.Range(1, 250))
    response_hours = fields.Integer(strict=True, allow_none=True,
                                    validate=validate.Range(1, 72))
    resolve_hours = fields.Integer(strict=True, allow_none=True,
                                   validate=validate.Range(1, 720))


class DepartmentIn(Schema):
    """``POST /departments``."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    org_unit_id = Id(required=True)
    categories = fields.List(fields.String(validate=validate.Length(max=32)),
                             load_default=list, validate=validate.Length(max=20))


class DepartmentOut(Schema):
    """A department and the categories it handles."""

    id = fields.Integer()
    name = fields.String()
    org_unit_id = fields.Integer()
    categories = fields.List(fields.String())


class CategoriesIn(Schema):
    """``PUT /departments/{id}/categories``."""

    categories = fields.List(fields.String(validate=validate.Length(max=32)), required=True,
                             validate=validate.Length(max=20))


@blp.route("/issue-categories")
class Categories(MethodView):
    """Issue categories."""

    decorators = [login_required()]

    @blp.response(200, CategoryOut(many=True))
    def get(self):
        """Every category with its response and resolution limits (working days; hours
        apply to urgent issues where set)."""
        return departments.categories()


@blp.route("/issue-categories/<string(maxlength=32):code>")
class CategoryItem(MethodView):
    """One category."""

    decorators = [login_required("admin")]

    @blp.arguments(CategoryPatch)
    @blp.response(200, CategoryOut)
    def patch(self, data, code):
        """Change a category's name or service level (admins). Issues keep the deadlines
        they already have."""
        return departments.update_category(code, data)


@blp.route("/departments")
class Departments(MethodView):
    """Departments that handle issues."""

    decorators = [login_required()]

    @blp.response(200, DepartmentOut(many=True))
    def get(self):
        """Departments in scope with their categories."""
        return departments.departments(current_principal())

    @blp.arguments(DepartmentIn)
    @blp.response(201, DepartmentOut)
    def post(self, data):
        """Add a department to a unit (admins; managers inside their subtree)."""
        return departments.create_department(current_principal(), data)


@blp.route("/departments/<int:department_id>/categories")
class DepartmentCategories(MethodView):
    """What a department handles (the routing suggestion)."""

    decorators = [login_required()]

    @blp.arguments(CategoriesIn)
    @blp.response(200, DepartmentOut)
    def put(self, data, department_id):
        """Replace the categories a department handles (admins; managers in scope)."""
        return departments.replace_categories(current_principal(), department_id,
                                              data["categories"])
