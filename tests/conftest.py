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
import random
import shutil
import uuid
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from geoalchemy2.shape import from_shape
from geographiclib.geodesic import Geodesic
from shapely.geometry import Point, box
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from fieldapp import clock, create_app, migrate
from fieldapp.demo.registry import make_uscc
from fieldapp.extensions import db, limiter
from models import Assignment, Base, Firm, OrgUnit, Site, SiteVersion, User
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
            # A throwaway database need not wait for the disk at each commit (the tests commit
            # a lot); what a commit makes visible, and when, is unchanged.
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
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


class _PostgresReset:
    """Puts a PostgreSQL test database back to its freshly migrated state, cheaply.

    TRUNCATE swaps the files of every table it names and of every table referencing them
    (nearly all here), ~0.3 s even when they are empty, and a test writes a handful of tables.
    So one round trip asks which tables hold rows, which owned sequences were used and whether
    the reference rows changed; only those are emptied (DELETE, with triggers — foreign keys and
    the append-only guard — off for that transaction, as every row of them goes), restarted and
    written back. A role that may not switch triggers off gets TRUNCATE. One engine serves the
    whole run.
    """

    def __init__(self, url: str):
        self.engine = _engine(url)
        self.tables = [t.name for t in Base.metadata.sorted_tables]
        self.categories = importlib.import_module(
            "migrations.versions.0006_issue_lifecycle").CATEGORIES
        with self.engine.begin() as conn:
            self.may_disable_triggers = conn.execute(text(
                "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar_one()
            self.sequences = conn.execute(text(
                "SELECT DISTINCT s.relname FROM pg_class s "
                "JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass "
                "AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') "
                "JOIN pg_class t ON t.oid = d.refobjid "
                "WHERE s.relkind = 'S' AND t.relname = ANY(:tables)"),
                {"tables": self.tables}).scalars().all()
        self._probe = text(
            "SELECT ARRAY[" + ", ".join(f'EXISTS (SELECT 1 FROM "{t}")' for t in self.tables)
            + "], ARRAY(SELECT sequencename::text FROM pg_sequences "
            "WHERE schemaname = current_schema() AND sequencename = ANY(:seqs) "
            "AND last_value IS NOT NULL), "
            "(SELECT md5(string_agg(c::text, ',' ORDER BY c.code)) FROM issue_categories c)")
        self.reference = None  # the reference rows' fingerprint on a fresh install

    def __call__(self, *, full: bool = False) -> None:
        with self.engine.begin() as conn:
            # A test that left a transaction open must fail loudly here, not hang the run.
            conn.execute(text("SET LOCAL lock_timeout = '20s'"))
            filled, used, fingerprint = conn.execute(
                self._probe, {"seqs": self.sequences}).one()
            categories_changed = full or fingerprint != self.reference
            dirty = [t for t, rows in zip(self.tables, filled, strict=True)
                     if rows and (t != "issue_categories" or categories_changed)]
            if categories_changed and "issue_categories" not in dirty:
                dirty.append("issue_categories")
            if full:
                dirty, used = self.tables, self.sequences
            if dirty and not full and self.may_disable_triggers:
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                for table in dirty:
                    conn.execute(text(f'DELETE FROM "{table}"'))
                conn.execute(text("SET LOCAL session_replication_role = DEFAULT"))
            elif dirty:
                names = ", ".join(f'"{t}"' for t in dirty)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            for sequence in used:
                conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
            if "issue_categories" in dirty:
                conn.execute(text(
                    "INSERT INTO issue_categories (code, name, response_days, resolve_days, "
                    "response_hours, resolve_hours) VALUES (:c, :n, :rd, :sd, :rh, :sh)"),
                    [{"c": c, "n": n, "rd": rd, "sd": sd, "rh": rh, "sh": sh}
                     for c, n, rd, sd, rh, sh in self.categories])
                if self.reference is None:
                    self.reference = conn.execute(text(
                        "SELECT md5(string_agg(c::text, ',' ORDER BY c.code)) "
                        "FROM issue_categories c")).scalar_one()


_POSTGRES_RESETS: dict[str, _PostgresReset] = {}


def _truncate_all(url: str) -> None:
    """Empty every table, then put back the reference rows the migrations write (as on a
    fresh install), so each test starts as a new database would."""
    if url not in _POSTGRES_RESETS:
        _POSTGRES_RESETS[url] = _PostgresReset(url)
        _POSTGRES_RESETS[url](full=True)
    else:
        _POSTGRES_RESETS[url]()


@pytest.fixture(scope="session")
def sqlite_live(sqlite_template, tmp_path_factory):
    """The one SpatiaLite file the tests' apps use (so one engine serves the run), with an open
    connection to the template that restores it."""
    import pysqlite3.dbapi2 as pysqlite3

    path = tmp_path_factory.mktemp("sqlite-live") / "fieldapp.db"
    shutil.copy(sqlite_template, path)
    template = pysqlite3.connect(sqlite_template)
    engine = _engine(f"sqlite:///{path}")
    yield path, template, engine
    engine.dispose()
    template.close()


def _restore_sqlite(template, engine) -> None:
    """Copy the migrated template into the live file page by page (SQLite's backup API): the
    file's connections stay open and see the fresh content, as a new copy of the template."""
    raw = engine.raw_connection()
    try:
        template.backup(raw.driver_connection)
    finally:
        raw.close()


@pytest.fixture
def database_url(backend, request):
    """A clean, migrated database of the given backend for one test."""
    if backend == "sqlite":
        path, template, engine = request.getfixturevalue("sqlite_live")
        _restore_sqlite(template, engine)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    _truncate_all(url)
    return url


def _default_config(database_url: str) -> dict:
    return {"DATABASE_URL": database_url, "SECRET_KEY": "test-secret-" + "x" * 32,
            "REDIS_URL": "", "TESTING": True}


@pytest.fixture
def app_config(database_url):
    """Settings for the test app; tests may change them before asking for ``app``."""
    return _default_config(database_url)


# Building an app costs ~0.3 s of CPU, most of it flask-smorest writing the OpenAPI document,
# so the app on the default settings is built once per backend and reused.
_SHARED_APPS: dict[str, tuple] = {}


@pytest.fixture
def app(app_config, database_url, request):
    """A fieldapp bound to the test database, with an app context pushed.

    On the default settings this is the run's shared app for that database, put back to its
    state just after ``create_app``: its settings restored and a fresh, empty rate-limit store
    (``limiter.init_app``, as ``create_app`` does). Changed settings, or a test marked
    ``own_app`` (one that adds routes), get an app of their own.
    """
    if (app_config != _default_config(database_url)
            or request.node.get_closest_marker("own_app")):
        application = create_app(app_config)
        with application.app_context():
            yield application
            db.session.remove()
            db.engine.dispose()
        return
    if database_url not in _SHARED_APPS:
        application = create_app(dict(app_config))
        _SHARED_APPS[database_url] = (application, dict(application.config))
    application, settings = _SHARED_APPS[database_url]
    application.config.clear()
    application.config.update(settings)
    limiter.init_app(application)
    with application.app_context():
        yield application
        db.session.remove()


@pytest.fixture
def client(app):
    """Flask's test client."""
    return app.test_client()


@pytest.fixture(scope="session")
def password_hash():
    """One Argon2id hash of PASSWORD, shared, made with the cheapest parameters: each log-in
    verifies it for real, but in milliseconds rather than the ~0.1 s of the production
    parameters (``hash_password``), which the password tests exercise."""
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


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


@pytest.fixture
def as_(login):
    """``as_(username) -> headers``, logging each user in once per test."""
    cache = {}

    def _headers(username):
        if username not in cache:
            cache[username] = login(username)
        return cache[username]

    return _headers


def assign_monthly(user, firm, days_ago, ends_on=None):
    """A monthly assignment of ``firm`` to ``user`` from ``days_ago`` days back."""
    db.session.add(Assignment(user_id=user.id, firm_id=firm.id, org_unit_id=firm.org_unit_id,
                              cadence="monthly",
                              starts_on=clock.today() - timedelta(days=days_ago),
                              ends_on=ends_on))
    db.session.commit()


GATE = (34.3300, 108.7100)  # the point site
PARK = (34.3500, 108.7500)  # centre of the boundary site
GEOD = Geodesic.WGS84


def offset(lat, lon, azimuth, metres):
    """The point ``metres`` from (lat, lon) towards ``azimuth`` (degrees), on the ellipsoid."""
    r = GEOD.Direct(lat, lon, azimuth, metres)
    return r["lat2"], r["lon2"]


class Scene:
    """Firms to visit in ``World``: one with a point site at GATE, one with a park boundary
    around PARK (both assigned to ``commissioner``), one in county B (assigned to
    ``b_commissioner``) and one nobody is assigned; staff by role in ``users``."""

    def __init__(self, world):
        w = self.world = world
        rng = random.Random(3)
        self.users = {n: w.user(n, r, u) for n, r, u in (
            ("admin", ["admin"], w.city), ("a_manager", ["manager"], w.county_a),
            ("b_manager", ["manager"], w.county_b),
            ("commissioner", ["commissioner"], w.county_a),
            ("other", ["commissioner"], w.county_a),
            ("b_commissioner", ["commissioner"], w.county_b))}
        self.firm = self._firm(rng, w.county_a, "秦川机械", GATE, boundary=False)
        self.park_firm = self._firm(rng, w.county_a, "园区电子", PARK, boundary=True)
        self.b_firm = self._firm(rng, w.county_b, "泾阳食品", (34.52, 108.84), boundary=False)
        self.unassigned = self._firm(rng, w.county_a, "未包抓", (34.40, 108.70), boundary=False)
        for firm in (self.firm, self.park_firm):
            self.assign("commissioner", firm)
        self.assign("b_commissioner", self.b_firm)

    def _firm(self, rng, unit, name, where, boundary):
        firm = Firm(uscc=make_uscc(rng, "610402"), name=name, org_unit_id=unit.id)
        db.session.add(firm)
        db.session.flush()
        lat, lon = where
        geom = {"point": from_shape(Point(lon, lat), srid=4326),
                "boundary": from_shape(box(lon - 0.002, lat - 0.002, lon + 0.002, lat + 0.002),
                                       srid=4326) if boundary else None}
        site = Site(firm_id=firm.id, name="厂区", radius_m=150.0, version=1, **geom)
        db.session.add(site)
        db.session.flush()
        db.session.add(SiteVersion(site_id=site.id, version=1, radius_m=150.0, **geom))
        db.session.commit()
        return firm

    def assign(self, username, firm, days_ago=10, ends_on=None):
        """Assign ``firm`` to a user of the scene from ``days_ago`` days back."""
        assign_monthly(self.users[username], firm, days_ago, ends_on)


@pytest.fixture
def scene(world):
    """The firms and staff of ``Scene`` (a test module may define its own ``scene``)."""
    return Scene(world)
