"""The ``fieldapp`` command: Flask's CLI plus database and demo-data commands."""

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

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


def register_commands(app) -> None:
    """Add fieldapp's commands to the app's CLI."""
    app.cli.add_command(db_group)
    app.cli.add_command(demo)
