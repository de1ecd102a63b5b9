"""models.dialect: upserts, transaction locks, truncation, seconds between timestamps and COPY,
on both databases."""

from datetime import UTC, datetime, timedelta

import pytest
from geoalchemy2 import Geometry
from shapely.geometry import Point
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, func, insert, select

from fieldapp.extensions import db
from models.base import UTCDateTime
from models.bulk import insert_rows
from models.dialect import is_postgresql, seconds_between, transaction_lock, truncate, upsert


@pytest.fixture
def counters(app):
    """A scratch table: a key, a count and two moments."""
    table = Table("test_counters", MetaData(),
                  Column("k", Integer, primary_key=True), Column("n", Integer, nullable=False),
                  Column("start", UTCDateTime()), Column("end", UTCDateTime()))
    table.metadata.create_all(db.engine)
    yield table
    table.metadata.drop_all(db.engine)


def _counts(table) -> dict[int, int]:
    with db.engine.connect() as conn:
        return dict(conn.execute(select(table.c.k, table.c.n)).all())


def test_upsert_inserts_a_new_key_then_updates_it_and_returns_the_row(counters):
    seen = []
    for _ in range(3):
        with db.engine.begin() as conn:
            stmt = upsert(conn, counters, ["k"], {"n": counters.c.n + 1})
            seen.append(conn.execute(stmt.values(k=7, n=1).returning(counters.c.n)).scalar_one())
    assert seen == [1, 2, 3]
    assert _counts(counters) == {7: 3}


def test_upsert_of_many_rows_adds_what_each_refused_row_brought(counters):
    with db.engine.begin() as conn:
        stmt = upsert(conn, counters, ["k"], lambda excluded: {"n": counters.c.n + excluded.n})
        conn.execute(stmt, [{"k": 1, "n": 5}, {"k": 2, "n": 1}])
        conn.execute(stmt, [{"k": 1, "n": 2}, {"k": 3, "n": 4}])
    assert _counts(counters) == {1: 7, 2: 1, 3: 4}


def test_truncate_empties_the_table_only_when_the_transaction_commits(counters):
    with db.engine.begin() as conn:
        conn.execute(insert(counters), [{"k": i, "n": i} for i in range(1, 6)])
    with db.engine.connect() as conn, conn.begin() as transaction:
        truncate(conn, counters)
        assert conn.scalar(select(func.count()).select_from(counters)) == 0
        transaction.rollback()
    assert len(_counts(counters)) == 5
    with db.engine.begin() as conn:
        truncate(conn, counters)
    assert _counts(counters) == {}


def test_a_transaction_lock_is_held_by_one_transaction_until_it_ends(counters):
    with db.engine.connect() as first, db.engine.connect() as second:
        with first.begin():
            transaction_lock(first, 5, 42)
            with second.begin():
                if is_postgresql(first):
                    assert second.scalar(select(func.pg_try_advisory_xact_lock(5, 42))) is False
                    assert second.scalar(select(func.pg_try_advisory_xact_lock(5, 43))) is True
                else:
                    # SQLite's own write lock orders writers; taking the "lock" holds nothing,
                    # so another connection still writes meanwhile.
                    second.execute(insert(counters).values(k=1, n=1))
        if is_postgresql(first):
            with second.begin():
                assert second.scalar(select(func.pg_try_advisory_xact_lock(5, 42))) is True


@pytest.mark.parametrize("gap", [timedelta(0), timedelta(seconds=1.5), timedelta(hours=24),
                                 timedelta(days=400, minutes=7), timedelta(hours=-3)])
def test_seconds_between_two_moments_in_the_database(counters, gap):
    start = datetime(2026, 12, 31, 23, 59, 30, tzinfo=UTC)
    with db.engine.begin() as conn:
        conn.execute(insert(counters).values(k=1, n=0, start=start, end=start + gap))
        got = conn.scalar(select(seconds_between(counters.c.start, counters.c.end)))
    assert got == pytest.approx(gap.total_seconds(), abs=1e-3)


def test_bulk_rows_keep_their_values_and_get_the_ids_returned(app):
    """``insert_rows``: COPY on PostgreSQL (ids reserved from the sequence), executemany on
    SQLite; geometry and JSON arrive as they were given, whatever order each row's keys are in."""
    table = Table("test_bulk", MetaData(), Column("id", Integer, primary_key=True),
                  Column("name", String(20)), Column("data", JSON),
                  Column("geom", Geometry("POINT", srid=4326, spatial_index=False)))
    table.metadata.create_all(db.engine)
    try:
        rows = [{"name": "甲", "data": {"a": [1, 2]}, "geom": Point(108.7, 34.3)},
                {"geom": None, "data": None, "name": "乙"}]
        with db.engine.begin() as conn:
            ids = insert_rows(conn, table, rows, return_ids=True)
            insert_rows(conn, table, [{"name": "丙", "data": [], "geom": Point(1, 2)}])
        with db.engine.connect() as conn:
            got = conn.execute(select(table.c.id, table.c.name, table.c.data,
                                      func.ST_X(table.c.geom)).order_by(table.c.id)).all()
        assert [r[0] for r in got[:2]] == ids and len(set(ids)) == 2
        assert [tuple(r[1:]) for r in got] == [("甲", {"a": [1, 2]}, 108.7), ("乙", None, None),
                                               ("丙", [], 1.0)]
    finally:
        table.metadata.drop_all(db.engine)
