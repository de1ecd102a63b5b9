"""``/projects``: key projects (重点项目), their departments and lifecycle stages."""

from flask.views import MethodView

from fieldapp import scope
from fieldapp.auth.principal import current_principal, login_required
from fieldapp.extensions import Blueprint
from fieldapp.pagination import PageArgs, page_of, paginate
from fieldapp.projects.schemas import (
    ProjectCreate,
    ProjectDetailOut,
    ProjectOut,
    ProjectQuery,
    ProjectUpdate,
    StageMove,
)
from fieldapp.projects.service import create_project, move_stage, project_query, update_project
from fieldapp.sites.routes import register_site_routes
from models import Project

blp = Blueprint("projects", __name__, url_prefix="/api/v1", description="Key projects")


class ProjectListQuery(ProjectQuery, PageArgs):
    """Filters and paging."""


@blp.route("/projects")
class Projects(MethodView):
    """The projects the caller may see."""

    decorators = [login_required()]

    @blp.arguments(ProjectListQuery, location="query")
    @blp.response(200, page_of(ProjectOut))
    def get(self, args):
        """List projects in scope (managers: their subtree; butlers: assigned today)."""
        return paginate(project_query(current_principal(), args), args, order_by=[Project.id])

    @blp.arguments(ProjectCreate)
    @blp.response(201, ProjectDetailOut)
    def post(self, data):
        """Register a project (admins; managers inside their unit).

        ``owner_firm_id`` and every ``department_ids`` entry must be visible to the caller.
        The first stage-history entry records the stage the project was registered at.
        """
        return create_project(current_principal(), data)


@blp.route("/projects/<int:project_id>")
class ProjectItem(MethodView):
    """One project."""

    decorators = [login_required()]

    @blp.response(200, ProjectDetailOut)
    def get(self, project_id):
        """A project in scope with its departments, sites and stage history, else 404."""
        return scope.get_visible(Project, project_id, current_principal())

    @blp.arguments(ProjectUpdate)
    @blp.response(200, ProjectDetailOut)
    def patch(self, data, project_id):
        """Change name, owner firm, unit, description or departments (admins; managers)."""
        return update_project(current_principal(), project_id, data)


@blp.route("/projects/<int:project_id>/stage")
class ProjectStage(MethodView):
    """The project's lifecycle stage."""

    decorators = [login_required()]

    @blp.arguments(StageMove)
    @blp.response(200, ProjectDetailOut)
    def post(self, data, project_id):
        """Move the project to another stage: signed, landed, construction, completed, operating.

        - The butler assigned to the project today moves it **one step forward** only: each
          stage is one visit slot of a per-stage assignment, so none may be skipped silently.
        - Admins and managers whose subtree holds the project may move it to **any other
          stage**: skipping forward (catching up with a project registered late) or back (a
          correction, which needs a ``note`` saying why, else 422).
        - Anything else a caller may not do is 409 with ``allowed_stages`` for that caller
          (empty for a butler at ``operating``); moving to the current stage is 409 too.
        - Every move appends to ``stage_history`` (who, when, from, to, note) and sets
          ``stage_entered_at``, which starts the next per-stage visit slot.
        """
        return move_stage(current_principal(), project_id, data["to_stage"], data.get("note"))
register_site_routes(blp, "project")
