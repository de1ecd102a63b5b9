"""SQL that differs between SQLite and PostgreSQL, outside spatial SQL (``models.spatial``): one
function per operation, so another database would be this file's work.

- ``upsert``: ``INSERT … ON CONFLICT (…) DO UPDATE`` (both have it, each in its own dialect).
- ``transaction_lock``: PostgreSQL's transaction-scoped advisory lock; SQLite lets one writer
  in at a time anyway, so there it is nothing.
- ``truncate``: ``TRUNCATE`` on PostgreSQL (no dead rows left behind), ``DELETE`` on SQLite.
- ``seconds_between``: an expression, compiled per dialect (interval epoch vs ``julianday``).
- ``copy_rows`` / ``reserve_ids`` / ``analyze``: PostgreSQL's ``COPY … FROM STDIN``, ids taken
  from a sequence ahead of it, and refreshing the planner's statistics (``models.bulk``).
"""

from collections.abc import Callable, Iterable

from sqlalchemy import Float, Integer, bindparam, delete, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.schema import Table


def is_postgresql(bind) -> bool:
    """True for a PostgreSQL connection or engine (else SQLite)."""
    return bind.dialect.name == "postgresql"


def upsert(bind, table: Table, keys: Iterable[str], set_: dict | Callable):
    """``INSERT … ON CONFLICT (keys) DO UPDATE SET set_`` for ``bind``'s database; the caller adds
    values (or passes rows) and ``returning``. ``set_`` maps column names to new values; a
    callable gets the refused row (``excluded``) and returns that mapping."""
    stmt = (postgresql if is_postgresql(bind) else sqlite).insert(table)
    return stmt.on_conflict_do_update(index_elements=[table.c[k] for k in keys],
                                      set_=set_(stmt.excluded) if callable(set_) else set_)


_LOCK = select(func.pg_advisory_xact_lock(bindparam("space", type_=Integer),
                                          bindparam("key", type_=Integer)))


def transaction_lock(conn: Connection, space: int, key: int) -> None:
    """Wait for, then hold until the transaction ends, the lock named ``(space, key)``.

    PostgreSQL: an advisory lock, so writers of the same thing take turns. SQLite: nothing to
    do, its write lock already lets one transaction write at a time."""
    if is_postgresql(conn):
        conn.execute(_LOCK, {"space": space, "key": key})


def truncate(conn: Connection, table: Table) -> None:
    """Empty ``table`` inside the caller's transaction."""
    if is_postgresql(conn):
        conn.execute(text(f'TRUNCATE "{table.name}"'))  # no dead rows left behind
    else:
        conn.execute(delete(table))


class _SecondsBetween(FunctionElement):
    type = Float()
    inherit_cache = True
    name = "seconds_between"


def seconds_between(start, end):
    """Expression: seconds from the timestamp ``start`` to ``end`` (negative when earlier)."""
    return _SecondsBetween(start, end)


@compiles(_SecondsBetween)  # also how str(statement) shows it
@compiles(_SecondsBetween, "postgresql")
def _seconds_pg(el, compiler, **kw):
    start, end = list(el.clauses)
    return (f"EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - "
            f"{compiler.process(start, **kw)}))")


@compiles(_SecondsBetween, "sqlite")
def _seconds_sqlite(el, compiler, **kw):
    start, end = list(el.clauses)
    return (f"((julianday({compiler.process(end, **kw)}) - "
            f"julianday({compiler.process(start, **kw)})) * 86400.0)")


def can_copy(conn: Connection) -> bool:
    """True where ``copy_rows`` works (PostgreSQL); elsewhere insert with executemany."""
    return is_postgresql(conn)


def reserve_ids(conn: Connection, table: Table, n: int) -> list[int]:
    """``n`` new ids from ``table``'s id sequence (PostgreSQL), for rows copied in with them."""
    return list(conn.execute(text(
        "SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
        {"t": table.name, "n": n}).scalars())


def copy_rows(conn: Connection, table: Table, columns: list[str], rows: Iterable[list]) -> None:
    """``COPY table (columns) FROM STDIN`` through psycopg; each row a list of values in the
    order of ``columns``, already in a form COPY takes (geometry as hex EWKB, JSON as text)."""
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = conn.connection.driver_connection.cursor()
    try:
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


def analyze(conn: Connection, tables: list[Table]) -> None:
    """Let PostgreSQL's planner see rows just bulk-loaded (SQLite's planner uses the indexes
    regardless, so there it is nothing)."""
    if is_postgresql(conn):
        conn.execute(text("ANALYZE " + ", ".join(f'"{t.name}"' for t in tables)))
