"""The web pages' shared foundation: layout, message catalogue, security headers, API docs.

Each set of pages is its own blueprint package beside this one (``web/phone/`` for the phone
app; the console and the firm pages follow the same pattern) and builds on what is here:

- ``templates/web/base.html``: the layout every page extends (blocks ``title``, ``head``,
  ``header``, ``content``, ``scripts``; ``catalogue_areas`` names the catalogue areas the page's
  scripts need, e.g. ``["common", "phone"]``).
- ``messages/<lang>/<area>.json``: the one message catalogue, one file per language and area;
  ``t("area.key")`` in templates, ``t("area.key")`` from ``/web/static/i18n.js`` in scripts.
- ``static/``: ``base.css`` (shared look), ``api.js`` (fetch wrapper for ``/api/v1``),
  ``session.js`` (log-in and token refresh), ``i18n.js`` and ``format.js`` (strings, dates in
  Asia/Shanghai, distances).
- ``security.py``: the Content-Security-Policy and the other headers on every HTML page.
"""

from flask import Blueprint, Flask, render_template

from fieldapp.web import basemap, i18n, security
from fieldapp.web.vendor import static_path

blp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
                static_url_path="/web/static")


@blp.route("/api/docs")
def api_docs():
    """Swagger UI from the vendored files (the flask-smorest page loads it from a CDN)."""
    return render_template("web/api_docs.html", swagger=static_path("swagger-ui-dist"))


def init_web(app: Flask) -> None:
    """Register the shared pieces; page blueprints are registered after this."""
    i18n.init_app(app)
    security.init_app(app)
    basemap.check_settings(app)
    app.jinja_env.globals["vendor"] = static_path
    app.jinja_env.globals["base_map"] = lambda: basemap.base_map(app.config)
    app.register_blueprint(blp)

    from fieldapp.web.phone import blp as phone_blp

    app.register_blueprint(phone_blp)
