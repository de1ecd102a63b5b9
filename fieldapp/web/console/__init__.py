"""The console (管理后台) for managers, department handlers and admins, under ``/console/``.

Each page is one template shell plus one small JavaScript module in ``static/`` that calls
``/api/v1`` (the same approach as the phone app: the API is the one place where rules live, the
page only shows what the API answers and offers the actions it allows). The server side here
only serves the shells; which pages a role sees is decided from ``/api/v1/me`` in the browser,
and the API refuses whatever a role may not do anyway.
"""

from flask import Blueprint, abort, render_template

blp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
                static_folder="static", static_url_path="/static")

# page name → (URL path, title message key, roles that see it in the navigation)
PAGES = {
    "overview": ("", "console.nav_overview", ("admin", "manager")),
    "visit_rate": ("visit-rate", "console.nav_visit_rate", ("admin", "manager")),
    "review": ("review", "console.nav_review", ("admin", "manager")),
    "dispatch": ("dispatch", "console.nav_dispatch", ("admin", "manager")),
    "desk": ("desk", "console.nav_desk", ("handler",)),
    "overdue": ("overdue", "console.nav_overdue", ("admin", "manager")),
    "coverage": ("coverage", "console.nav_coverage", ("admin", "manager")),
    "registry": ("registry", "console.nav_registry", ("admin", "manager")),
    "assignments": ("assignments", "console.nav_assignments", ("admin", "manager")),
    "users": ("users", "console.nav_users", ("admin", "manager")),
}
_BY_PATH = {path: name for name, (path, _, _) in PAGES.items()}
# The dispatch desk and the department desk share one body; their modules fill it differently.
_BODY = {"dispatch": "issue_desk", "desk": "issue_desk"}


@blp.route("/", defaults={"path": ""})
@blp.route("/<path:path>")
def page(path: str):
    """The shell of one console page; its module does the rest through the API."""
    name = _BY_PATH.get(path.strip("/"))
    if name is None:
        abort(404)
    return render_template("console/page.html", page=name, body=_BODY.get(name, name),
                           pages=PAGES)
