"""Many rows into one table, as fast as each database allows: COPY on PostgreSQL.

``insert_rows(conn, table, rows)`` takes plain dicts (geometry columns as WGS-84 shapely
objects, JSON columns as Python values) and writes them inside the caller's transaction:

- PostgreSQL: ``COPY … FROM STDIN`` through psycopg, ids taken from the table's sequence first
  when the caller needs them (``return_ids``); geometry travels as hex EWKB, JSON as text.
- SQLite: one executemany (``INSERT … RETURNING`` when ids are needed), geometry as WKB.

No ORM events fire: callers that bypass the ORM write their own audit events.
"""

import json

import shapely
from geoalchemy2 import Geometry
from geoalchemy2.shape import from_shape
from sqlalchemy import JSON, insert
from sqlalchemy.engine import Connection
from sqlalchemy.sql.schema import Table

from models import dialect


def _geometry_columns(table: Table) -> set[str]:
    return {c.name for c in table.columns if isinstance(c.type, Geometry)}


def _json_columns(table: Table) -> set[str]:
    return {c.name for c in table.columns if isinstance(c.type, JSON)}


def _ewkb(geom) -> str | None:
    if geom is None:
        return None
    return shapely.to_wkb(shapely.set_srid(geom, 4326), hex=True, include_srid=True)


def insert_rows(conn: Connection, table: Table, rows: list[dict], *,
                return_ids: bool = False) -> list[int] | None:
    """Insert ``rows`` (all with the same keys) into ``table``; their new ids if asked."""
    if not rows:
        return [] if return_ids else None
    if dialect.can_copy(conn):
        return _copy(conn, table, rows, return_ids)
    geoms = _geometry_columns(table)
    values = [{k: (from_shape(v, srid=4326) if k in geoms and v is not None else v)
               for k, v in row.items()} for row in rows]
    if not return_ids:
        conn.execute(insert(table), values)
        return None
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(conn.execute(stmt, values).scalars())


def _copy(conn: Connection, table: Table, rows: list[dict], return_ids: bool):
    columns = list(rows[0])
    geoms, jsons = _geometry_columns(table), _json_columns(table)
    converters = [(_ewkb if c in geoms else
                   (lambda v: None if v is None else json.dumps(v, ensure_ascii=False))
                   if c in jsons else None) for c in columns]
    copied = ([v if f is None else f(v) for v, f in zip([row[c] for c in columns], converters,
                                                         strict=True)] for row in rows)
    if not return_ids:
        dialect.copy_rows(conn, table, columns, copied)
        return None
    ids = dialect.reserve_ids(conn, table, len(rows))
    dialect.copy_rows(conn, table, ["id", *columns],
                      ([i, *values] for i, values in zip(ids, copied, strict=True)))
    return ids


def refresh_statistics(conn: Connection, tables: list[Table]) -> None:
    """Let PostgreSQL's planner see rows just bulk-loaded.

    Until autovacuum gets round to it the planner believes a freshly filled table is as small as
    it was, and picks sequential scans: a second 20,000-row import spent 18 s looking up USCCs
    that an index answers in milliseconds. SQLite's planner uses the indexes regardless.
    """
    dialect.analyze(conn, tables)
