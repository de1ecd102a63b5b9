"""The ``fieldapp`` command: Flask's CLI plus database and demo-data commands."""

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from fieldapp import clock
from fieldapp.extensions import db


def main() -> None:
    """Entry point of the ``fieldapp`` console script."""
    from fieldapp import create_app

    FlaskGroup(create_app=create_app, help="fieldapp server and administration.")()


@click.group("db")
def db_group() -> None:
    """Database schema commands."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Create or migrate the database schema."""
    from fieldapp import migrate

    migrate.upgrade(db.engine, revision)
    click.echo(f"database at {revision}: {db.engine.url.render_as_string(hide_password=True)}")


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Autogenerate a migration from model changes (run on an up-to-date database)."""
    from fieldapp import migrate

    migrate.revision(db.engine, message)


@db_group.command("check")
@with_appcontext
def db_check() -> None:
    """Exit 1 when the models and the migrated database disagree."""
    from fieldapp import migrate

    diff = migrate.differences(db.engine)
    for item in diff:
        click.echo(repr(item))
    if diff:
        raise SystemExit(1)
    click.echo("models and migrations agree")


@click.command("demo")
@click.option("--seed", default=20261122, show_default=True)
@with_appcontext
def demo(seed: int) -> None:
    """Load the deterministic demo data (once; running it again changes nothing)."""
    from fieldapp.demo import load_demo

    if current_app.config["ENV"] == "production":
        raise click.ClickException("demo data is not for production")
    created = load_demo(seed)
    click.echo("demo data loaded" if created else "demo data already present")


@click.group("firms")
def firms_group() -> None:
    """Firm registry commands."""


@firms_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--user", "username", required=True,
              help="import as this admin or manager (scope and audit trail are theirs)")
@click.option("--mode", type=click.Choice(["all_or_nothing", "valid_rows"]),
              default="all_or_nothing", show_default=True)
@click.option("--crs", default="wgs84", show_default=True,
              help="coordinate system of rows that name none")
@click.option("--org-unit-id", type=int, help="unit of rows that name none")
@click.option("--format", "kind", type=click.Choice(["csv", "geojson"]),
              help="default: from the file name (.csv, .geojson/.json)")
@with_appcontext
def firms_import(path, username, mode, crs, org_unit_id, kind) -> None:
    """Import firms from a CSV or GeoJSON file of any size (the HTTP endpoint's rules)."""
    import json

    from flask import g
    from sqlalchemy import select

    from fieldapp.auth.principal import Principal
    from fieldapp.errors import Problem
    from fieldapp.firms.importer import run_import
    from models import User

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active:
        raise click.ClickException(f"no active user {username!r}")
    kind = kind or ("geojson" if path.lower().endswith((".geojson", ".json")) else "csv")
    principal = Principal(
        user_id=user.id, username=user.username, roles=user.roles,
        org_unit_id=user.org_unit_id, org_path=user.org_unit.path,
        service_team_id=user.service_team_id, department_id=user.department_id,
        session_id="cli", firm_id=user.firm_id)
    with open(path, "rb") as handle:
        raw = handle.read()
    with current_app.test_request_context(f"/cli/firms/import?file={path}"):
        g.principal = principal  # the audit trail names the importer
        try:
            report = run_import(principal, raw, kind, mode, crs, org_unit_id)
        except Problem as exc:
            click.echo(json.dumps({"detail": exc.description, "errors": exc.errors,
                                   **exc.extra}, ensure_ascii=False, indent=1), err=True)
            raise SystemExit(1) from None
    for error in report["row_errors"]:
        click.echo(f"row {error['row']}: {error['field']}: {error['message']}", err=True)
    click.echo(" ".join(f"{k}={report[k]}" for k in
                        ("rows", "created", "updated", "unchanged", "failed", "encoding")))


@click.group("slots")
def slots_group() -> None:
    """Visit-slot rows behind the visit-rate reports."""


@slots_group.command("extend")
@click.option("--through", type=click.DateTime(["%Y-%m-%d"]),
              help="default: 92 days from today, moved on to the end of its quarter")
@with_appcontext
def slots_extend(through) -> None:
    """Write calendar slots ahead (cron: daily), so no report waits for them."""
    from datetime import timedelta

    from fieldapp.stats import slots

    day = through.date() if through else clock.today() + timedelta(days=92)
    written = slots.extend(db.session.connection(), day)
    db.session.commit()
    click.echo(f"slots written={written} through={slots.horizon(db.session.connection())}")


@slots_group.command("rebuild")
@with_appcontext
def slots_rebuild() -> None:
    """Rewrite every slot from the assignments and visits (after bulk writes that bypass the
    ORM, or to check that nothing drifted)."""
    from datetime import timedelta

    from fieldapp.stats import slots

    conn = db.session.connection()
    through = slots.horizon(conn) or slots.quarter_end(clock.today() + timedelta(days=92))
    written = slots.rebuild(conn, through)
    db.session.commit()
    click.echo(f"slots written={written} through={through}")


@click.group("issues")
def issues_group() -> None:
    """Issue (诉求) commands."""


@issues_group.command("tick")
@with_appcontext
def issues_tick() -> None:
    """Flag overdue issues, raise supervision, auto-close unrated ones, fill deadlines the
    calendar now knows (cron: every few minutes)."""
    from fieldapp.issues.job import tick

    counts = tick()
    click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))


@click.group("open311")
def open311_group() -> None:
    """Open311 GeoReport v2 client keys."""


@open311_group.command("add-client")
@click.argument("name")
@click.option("--user", "username", required=True,
              help="the client acts with this (admin or manager) user's scope")
@with_appcontext
def open311_add_client(name, username) -> None:
    """Create a client and print its api_key (shown once; only its hash is stored)."""
    import hashlib
    import secrets

    from sqlalchemy import select

    from models import Open311Client, User

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active:
        raise click.ClickException(f"no active user {username!r}")
    key = secrets.token_urlsafe(32)
    db.session.add(Open311Client(name=name, user_id=user.id,
                                 key_sha256=hashlib.sha256(key.encode()).hexdigest()))
    db.session.commit()
    click.echo(key)


def register_commands(app) -> None:
    """Add fieldapp's commands to the app's CLI."""
    app.cli.add_command(db_group)
    app.cli.add_command(demo)
    app.cli.add_command(firms_group)
    app.cli.add_command(slots_group)
    app.cli.add_command(issues_group)
    app.cli.add_command(open311_group)
