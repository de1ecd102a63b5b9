"""``/departments`` and ``/issue-categories``: who handles what, and in how many working days."""

from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy import delete, insert, select

from fieldapp import scope
from fieldapp.auth.principal import current_principal, login_required
from fieldapp.errors import Problem
from fieldapp.extensions import Blueprint, db
from fieldapp.fields import Id
from models import Department, IssueCategory, OrgUnit, department_categories

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


def _categories_of(department_id: int) -> list[str]:
    return sorted(db.session.scalars(select(department_categories.c.category).where(
        department_categories.c.department_id == department_id)))


def _out(department: Department) -> dict:
    return {"id": department.id, "name": department.name,
            "org_unit_id": department.org_unit_id,
            "categories": _categories_of(department.id)}


def _set_categories(department_id: int, codes: list[str]) -> None:
    known = set(db.session.scalars(select(IssueCategory.code)))
    unknown = sorted(set(codes) - known)
    if unknown:
        raise Problem.invalid("categories", f"Unknown categories: {', '.join(unknown)}.")
    db.session.execute(delete(department_categories).where(
        department_categories.c.department_id == department_id))
    if codes:
        db.session.execute(insert(department_categories), [
            {"department_id": department_id, "category": c} for c in sorted(set(codes))])


@blp.route("/issue-categories")
class Categories(MethodView):
    """Issue categories."""

    decorators = [login_required()]

    @blp.response(200, CategoryOut(many=True))
    def get(self):
        """Every category with its response and resolution limits (working days; hours
        apply to urgent issues where set)."""
        return db.session.scalars(select(IssueCategory).order_by(IssueCategory.code)).all()


@blp.route("/issue-categories/<string(maxlength=32):code>")
class CategoryItem(MethodView):
    """One category."""

    decorators = [login_required("admin")]

    @blp.arguments(CategoryPatch)
    @blp.response(200, CategoryOut)
    def patch(self, data, code):
        """Change a category's name or service level (admins). Issues keep the deadlines
        they already have."""
        category = db.session.get(IssueCategory, code)
        if category is None:
            raise Problem(404, f"No category {code}.", slug="not-found")
        for name, value in data.items():
            setattr(category, name, value)
        db.session.commit()
        return category


@blp.route("/departments")
class Departments(MethodView):
    """Departments that handle issues."""

    decorators = [login_required()]

    @blp.response(200, DepartmentOut(many=True))
    def get(self):
        """Departments in scope with their categories."""
        principal = current_principal()
        return [_out(d) for d in db.session.scalars(scope.scoped(Department, principal)
                                                    .order_by(Department.id))]

    @blp.arguments(DepartmentIn)
    @blp.response(201, DepartmentOut)
    def post(self, data):
        """Add a department to a unit (admins; managers inside their subtree)."""
        unit = db.session.get(OrgUnit, data["org_unit_id"])
        if unit is None:
            raise Problem.invalid("org_unit_id", "No such org unit.")
        scope.require_registry_admin(current_principal(), unit)
        department = Department(name=data["name"], org_unit_id=unit.id)
        db.session.add(department)
        db.session.flush()
        _set_categories(department.id, data["categories"])
        db.session.commit()
        return _out(department)


@blp.route("/departments/<int:department_id>/categories")
class DepartmentCategories(MethodView):
    """What a department handles (the routing suggestion)."""

    decorators = [login_required()]

    @blp.arguments(CategoriesIn)
    @blp.response(200, DepartmentOut)
    def put(self, data, department_id):
        """Replace the categories a department handles (admins; managers in scope)."""
        principal = current_principal()
        department = scope.get_visible(Department, department_id, principal)
        scope.require_registry_admin(principal, db.session.get(OrgUnit,
                                                               department.org_unit_id))
        _set_categories(department.id, data["categories"])
        db.session.commit()
        return _out(department)
