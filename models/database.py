"""Engine set-up for the two supported databases: SQLite + SpatiaLite and PostgreSQL + PostGIS.

Everything that differs between them at connection level lives here; query-level differences
live in ``models.spatial``.
"""

import os

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, make_url

SPATIALITE_PACKAGE = "libsqlite3-mod-spatialite"
POSTGIS_PACKAGE = "postgresql-15-postgis-3"


class SpatialExtensionMissing(RuntimeError):
    """The database's spatial extension cannot be loaded; the message names what to install."""


def is_sqlite(url: str) -> bool:
    """True when the URL points at SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


def engine_options(url: str) -> dict:
    """Options for ``create_engine`` on this URL.

    This Python's built-in ``sqlite3`` cannot load extensions, so SQLite goes through
    ``pysqlite3`` (``pysqlite3-binary``), which can.

    PostgreSQL: no pre-ping, which cost a round trip on every checkout, i.e. every request.
    Connections are replaced after ``pool_recycle`` seconds (before the idle timeouts of
    firewalls and proxies cut them); one the server dropped anyway (a restart, a terminated
    backend) fails its request with a 503 and ``Retry-After`` (``fieldapp.errors``), and that
    disconnect invalidates every older connection of the pool, so the next request works.
    """
    if is_sqlite(url):
        import pysqlite3.dbapi2 as pysqlite3

        return {"module": pysqlite3, "connect_args": {"timeout": 30}}
    return {"pool_recycle": 1800, "pool_size": 10, "max_overflow": 10}


def _load_spatialite(dbapi_conn, _record) -> None:
    """Load mod_spatialite and set the pragmas fieldapp relies on, on every new connection."""
    path = os.environ.get("SPATIALITE_LIBRARY_PATH", "mod_spatialite")
    try:
        dbapi_conn.enable_load_extension(True)
        dbapi_conn.load_extension(path)
        dbapi_conn.enable_load_extension(False)
    except Exception as exc:  # the driver raises a bare OperationalError with the dlopen text
        raise SpatialExtensionMissing(
            f"cannot load SpatiaLite ({path}): {exc}. Install it with "
            f"'apt-get install {SPATIALITE_PACKAGE}' (Debian/Ubuntu), or set "
            "SPATIALITE_LIBRARY_PATH to the mod_spatialite library."
        ) from exc
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.close()


def prepare_engine(engine: Engine) -> None:
    """Attach the per-connection set-up this engine's database needs."""
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _load_spatialite)


def spatial_version(conn: Connection) -> str:
    """The spatial extension's version; raises SpatialExtensionMissing when it is absent."""
    if conn.dialect.name == "sqlite":
        return "spatialite " + conn.execute(text("SELECT spatialite_version()")).scalar_one()
    try:
        return "postgis " + conn.execute(text("SELECT postgis_lib_version()")).scalar_one()
    except Exception as exc:
        raise SpatialExtensionMissing(
            f"PostGIS is not available in this database: install '{POSTGIS_PACKAGE}' and run "
            "'CREATE EXTENSION postgis' (the migrations do this when the role may)."
        ) from exc
