"""Fixtures: every database test runs on real SQLite+SpatiaLite and real PostgreSQL+PostGIS.

- The schema is built from the Alembic migrations once per backend per run.
- SQLite: each test gets its own copy of the migrated template file.
- PostgreSQL: a throwaway database (``fieldapp_test_<pid>``) is created on the server named by
  ``FIELDAPP_TEST_POSTGRES_URL`` (default: the local server, user postgres) and dropped at the
  end; tables are truncated before each test.
- A backend that cannot be reached is a test **error**, never a skip. Choose backends with
  ``--backend sqlite`` / ``--backend postgresql`` (repeatable); the default is both.
"""

import importlib
import os
import shutil
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from fieldapp import create_app, migrate
from fieldapp.auth.passwords import hash_password
from fieldapp.extensions import db
from models import Base, OrgUnit, User
from models.database import engine_options, prepare_engine

BACKENDS = ("sqlite", "postgresql")
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PASSWORD = "correct-horse-battery"


def pytest_addoption(parser):
    parser.addoption("--backend", action="append", choices=BACKENDS,
                     help="database backend(s) to run against (default: both)")


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("backend") or list(BACKENDS)
        metafunc.parametrize("backend", chosen, scope="session")


def _engine(url: str):
    engine = create_engine(url, **engine_options(url))
    prepare_engine(engine)
    return engine


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A SpatiaLite file migrated to head, copied for each test."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    engine = _engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh PostGIS database for this run, migrated to head, dropped afterwards."""
    admin_url = make_url(os.environ.get("FIELDAPP_TEST_POSTGRES_URL", DEFAULT_PG))
    name = f"fieldapp_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        pytest.fail(f"PostgreSQL backend unavailable at {admin_url.render_as_string()}: {exc}. "
                    "Run the test command from the README, which sets it up.", pytrace=False)
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    engine = _engine(url)
    try:
        migrate.upgrade(engine)
    except Exception as exc:
        pytest.fail(f"cannot migrate the PostgreSQL test database (is PostGIS installed?): {exc}",
                    pytrace=False)
    finally:
        engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(url: str) -> None:
    """Empty every table, then put back the reference rows the migrations write (as on a
    fresh install), so each test starts as a new database would."""
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    categories = importlib.import_module("migrations.versions.0006_issue_lifecycle").CATEGORIES
    engine = _engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(text(
            "INSERT INTO issue_categories (code, name, response_days, resolve_days, "
            "response_hours, resolve_hours) VALUES (:c, :n, :rd, :sd, :rh, :sh)"),
            [{"c": c, "n": n, "rd": rd, "sd": sd, "rh": rh, "sh": sh}
             for c, n, rd, sd, rh, sh in categories])
    engine.dispose()


@pytest.fixture
def database_url(backend, request, tmp_path):
    """A clean, migrated database of the given backend for one test."""
    if backend == "sqlite":
        path = tmp_path / "fieldapp.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    _truncate_all(url)
    return url


@pytest.fixture
def app_config(database_url, tmp_path):
    """Settings for the test app; tests may change them before asking for ``app``."""
    return {"DATABASE_URL": database_url, "SECRET_KEY": "test-secret-" + "x" * 32,
            "REDIS_URL": "", "TESTING": True}


@pytest.fixture
def app(app_config):
    """A fieldapp bound to the test database, with an app context pushed."""
    application = create_app(app_config)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """Flask's test client."""
    return app.test_client()


@pytest.fixture(scope="session")
def password_hash():
    """One Argon2 hash of PASSWORD, shared: hashing per user would slow every test."""
    return hash_password(PASSWORD)


class World:
    """A small org tree with people in it, built through the models.

    city ─┬─ county_a ── park_a
          └─ county_b
    """

    def __init__(self, password_hash):
        self._hash = password_hash
        self.city = self.unit("city", "C", "city", None)
        self.county_a = self.unit("county A", "CA", "county", self.city)
        self.county_b = self.unit("county B", "CB", "county", self.city)
        self.park_a = self.unit("park A", "PA", "park", self.county_a)

    def unit(self, name, code, kind, parent):
        """Add an org unit under ``parent``."""
        unit = OrgUnit(name=name, code=code, kind=kind, parent_id=parent.id if parent else None)
        db.session.add(unit)
        db.session.flush()
        unit.path = f"{parent.path if parent else '/'}{unit.id}/"
        db.session.commit()
        return unit

    def user(self, username, roles, unit, **fields):
        """Add a user whose password is PASSWORD."""
        user = User(username=username, display_name=username.title(), org_unit_id=unit.id,
                    password_hash=self._hash, **fields)
        user.roles = roles
        db.session.add(user)
        db.session.commit()
        return user


@pytest.fixture
def world(app, password_hash):
    """The org tree of ``World`` in the test database."""
    return World(password_hash)


@pytest.fixture
def login(client):
    """``login(username) -> headers`` with a bearer token for that user."""

    def _login(username, password=PASSWORD):
        resp = client.post("/api/v1/auth/token", json={"username": username,
                                                        "password": password})
        assert resp.status_code == 200, resp.get_json()
        return {"Authorization": f"Bearer {resp.get_json()['access_token']}"}

    return _login
