"""``/assignments`` (包抓) and the phone's ``/me/assignments``."""

from flask.views import MethodView

from fieldapp import scope
from fieldapp.assignments.mine import my_assignments
from fieldapp.assignments.schemas import (
    AssignmentCreate,
    AssignmentEnd,
    AssignmentOut,
    AssignmentQuery,
    AssignmentReassign,
    MyAssignmentsOut,
    MyAssignmentsQuery,
    ReassignOut,
)
from fieldapp.assignments.service import (
    assignment_query,
    create_assignment,
    end_assignment,
    reassign,
)
from fieldapp.auth.principal import current_principal, login_required
from fieldapp.extensions import Blueprint
from fieldapp.pagination import PageArgs, page_of, paginate
from models import Assignment

blp = Blueprint("assignments", __name__, url_prefix="/api/v1",
                description="Assignments (包抓): who visits which firm or project, how often")


class AssignmentListQuery(AssignmentQuery, PageArgs):
    """Filters and paging."""


@blp.route("/assignments")
class Assignments(MethodView):
    """Assignments in the caller's scope."""

    decorators = [login_required()]

    @blp.arguments(AssignmentListQuery, location="query")
    @blp.response(200, page_of(AssignmentOut))
    def get(self, args):
        """List assignments: managers their subtree, commissioners and butlers their own."""
        return paginate(assignment_query(current_principal(), args), args,
                        order_by=[Assignment.starts_on.desc(), Assignment.id.desc()])

    @blp.arguments(AssignmentCreate)
    @blp.response(201, AssignmentOut)
    def post(self, data):
        """Make a user responsible for a firm or a project (admins; managers in scope).

        Firms go to commissioners, projects to butlers (a user may hold both roles); the user
        must be active and in scope, the firm active. ``per_stage`` is for projects only.
        ``starts_on`` defaults to today (Asia/Shanghai); ``ends_on`` is inclusive. The same
        user may not hold overlapping assignments of one target (409).
        """
        return create_assignment(current_principal(), data)


@blp.route("/assignments/<int:assignment_id>")
class AssignmentItem(MethodView):
    """One assignment."""

    decorators = [login_required()]

    @blp.response(200, AssignmentOut)
    def get(self, assignment_id):
        """An assignment in scope, else 404."""
        return scope.get_visible(Assignment, assignment_id, current_principal())


@blp.route("/assignments/<int:assignment_id>/end")
class AssignmentEndView(MethodView):
    """Ending an assignment."""

    decorators = [login_required()]

    @blp.arguments(AssignmentEnd)
    @blp.response(200, AssignmentOut)
    def post(self, data, assignment_id):
        """Set the last day (inclusive, may be past or future) and the reason.

        ``ends_on`` must not precede ``starts_on`` (422). An end already set may only move
        earlier (409: create a new assignment to extend); a reassigned assignment is final (409).
        """
        return end_assignment(current_principal(), assignment_id, data["ends_on"],
                              data.get("reason"))


@blp.route("/assignments/<int:assignment_id>/reassign")
class AssignmentReassignView(MethodView):
    """Handing an assignment to someone else."""

    decorators = [login_required()]

    @blp.arguments(AssignmentReassign)
    @blp.response(201, ReassignOut)
    def post(self, data, assignment_id):
        """End this assignment on ``starts_on − 1`` and open one for ``user_id`` from ``starts_on``.

        One transaction; the old row links to the new one (``replaced_by_id``). ``starts_on``
        must be after the old start (422); an assignment that ended before ``starts_on − 1`` or
        was already reassigned is 409. The new one keeps the cadence unless given, and the old
        planned end unless ``ends_on`` is given. The same user may take it over (a cadence change
        that keeps history).
        """
        return reassign(current_principal(), assignment_id, data)


@blp.route("/me/assignments")
class MyAssignments(MethodView):
    """The caller's own assignments, for the phone."""

    decorators = [login_required()]

    @blp.arguments(MyAssignmentsQuery, location="query")
    @blp.response(200, MyAssignmentsOut)
    def get(self, args):
        """My firms and projects today, with site points, current slot and whether it is due.

        - Assignments in force today (Asia/Shanghai); firms closed are left out.
        - ``current_slot``: the ISO week (Mon–Sun), calendar month or quarter containing today,
          or for ``per_stage`` the project's current stage since ``stage_entered_at``.
        - ``last_visit_at``: the last countable visit (verified and accepted, or approved on
          review); ``due_this_period`` is true when there is none inside the current slot.
        - ``near=LAT,LON`` (``crs`` wgs84/gcj02/bd09) sorts by ``distance_m`` to the nearest
          active site (0 inside a site's boundary; rows without sites last). Without it: due
          first, then by name. A malformed ``near`` or unknown ``crs`` is 422 naming it.
        """
        return my_assignments(current_principal(), args.get("near"), args["crs"])
