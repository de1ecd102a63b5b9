"""fieldapp: visit verification and issue tracking for business-service staff."""

import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from fieldapp import config
from fieldapp.extensions import ProblemApi, db, limiter


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings, database, API blueprints, error handlers, CLI."""
    from fieldapp.jsonprovider import OrjsonProvider

    app = Flask(__name__, instance_relative_config=True)
    app.json = OrjsonProvider(app)
    app.json.ensure_ascii = False  # firm names and labels are Chinese: send them as UTF-8
    settings = config.load(app.instance_path, test_config)
    app.config.update(settings)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=settings["DATABASE_URL"],
        MAX_CONTENT_LENGTH=settings["MAX_BODY_BYTES"],
        JSON_SORT_KEYS=False,
        API_TITLE="fieldapp API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        # /api/docs is served by fieldapp.web from the vendored Swagger UI (no CDN).
        RATELIMIT_STORAGE_URI=settings["REDIS_URL"] or "memory://",
        RATELIMIT_HEADERS_ENABLED=True,
    )
    from models.database import engine_options

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(settings["DATABASE_URL"])
    logging.basicConfig(level=settings["LOG_LEVEL"])
    # Alembic lists every plugin it loads at INFO; the migration steps themselves stay visible.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if settings["TRUSTED_PROXIES"]:
        n = settings["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    _init_database(app)
    _init_http(app)

    from fieldapp.cli import register_commands

    register_commands(app)
    if app.config["ENV"] == "production":
        from fieldapp.startup import refuse_unsafe_production

        refuse_unsafe_production(app)
    return app


def _init_database(app: Flask) -> None:
    from fieldapp.audit import recorder
    from fieldapp.stats import slots
    from models.database import prepare_engine, spatial_version

    db.init_app(app)
    # What every flush writes besides the rows themselves: the audit trail and the visit-rate
    # slot counts, in the same transaction.
    recorder.install(db.session)
    slots.install(db.session)
    with app.app_context():
        prepare_engine(db.engine)
        if db.engine.dialect.name == "sqlite":
            # Fail at start-up, with the package to install, rather than on the first request.
            with db.engine.connect() as conn:
                spatial_version(conn)


def _init_http(app: Flask) -> None:
    from fieldapp import health, requestid
    from fieldapp.assignments.routes import blp as assignments_blp
    from fieldapp.audit.routes import blp as audit_blp
    from fieldapp.auth.routes import blp as auth_blp
    from fieldapp.credentials.routes import blp as credentials_blp
    from fieldapp.errors import register_error_handlers
    from fieldapp.fields import IdConverter
    from fieldapp.firms.import_routes import blp as firm_import_blp
    from fieldapp.firms.routes import blp as firms_blp
    from fieldapp.issues.admin_routes import blp as issue_admin_blp
    from fieldapp.issues.routes import blp as issues_blp
    from fieldapp.open311.routes import blp as open311_blp
    from fieldapp.orgunits.routes import blp as org_blp
    from fieldapp.projects.routes import blp as projects_blp
    from fieldapp.stats.routes import blp as stats_blp
    from fieldapp.users.routes import blp as users_blp
    from fieldapp.visits.routes import blp as visits_blp

    app.url_map.converters["int"] = IdConverter  # before any route is added
    app.before_request(requestid.assign_request_id)
    app.after_request(requestid.echo_request_id)
    limiter.init_app(app)
    api = ProblemApi(app)
    api.register_converter(IdConverter, lambda _converter: {"type": "integer", "minimum": 0})
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    for blp in (auth_blp, org_blp, users_blp, audit_blp, firm_import_blp, firms_blp, projects_blp,
                assignments_blp, visits_blp, issues_blp, issue_admin_blp, stats_blp,
                credentials_blp):
        api.register_blueprint(blp)
    from fieldapp.apidoc import document_errors

    document_errors(api, app)
    app.register_blueprint(health.blp)
    app.register_blueprint(open311_blp)
    register_error_handlers(app, db)
    _init_web(app)


def _init_web(app: Flask) -> None:
    from fieldapp.web import init_web
    from fieldapp.web.console import blp as console_blp
    from fieldapp.web.firm import blp as firm_pages

    init_web(app)
    app.register_blueprint(console_blp)
    app.register_blueprint(firm_pages)
