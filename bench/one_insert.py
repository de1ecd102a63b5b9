"""The ceiling for any design on this machine: a minimal Flask endpoint doing one spatial INSERT
per request through a connection pool (``gunicorn -w 2 bench.one_insert:app``).

``ONE_INSERT_DATABASE_URL`` names the database (PostGIS, or a SpatiaLite file); the table
``bench_one_insert`` is created if missing. ``POST /insert`` stores a row with a point and
returns its id; ``GET /healthz`` answers for the start-up probe.
"""

import os
import random

from flask import Flask, jsonify
from sqlalchemy import create_engine, text

from models.database import engine_options, is_sqlite, prepare_engine

app = Flask(__name__)
URL = os.environ["ONE_INSERT_DATABASE_URL"]
if is_sqlite(URL):
    engine = create_engine(URL, **engine_options(URL))
    prepare_engine(engine)  # SpatiaLite and the same pragmas as fieldapp's connections
    DDL = ("CREATE TABLE IF NOT EXISTS bench_one_insert (id INTEGER PRIMARY KEY, "
           "at TEXT DEFAULT CURRENT_TIMESTAMP, point BLOB)")
    INSERT = text("INSERT INTO bench_one_insert (point) VALUES "
                  "(MakePoint(:lon, :lat, 4326)) RETURNING id")
else:
    engine = create_engine(URL, pool_size=5, pool_pre_ping=False)
    DDL = ("CREATE TABLE IF NOT EXISTS bench_one_insert (id bigserial PRIMARY KEY, "
           "at timestamptz DEFAULT now(), point geometry(Point, 4326))")
    INSERT = text("INSERT INTO bench_one_insert (point) VALUES "
                  "(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) RETURNING id")
with engine.begin() as conn:
    if not is_sqlite(URL):
        # Both workers import this at once, and two concurrent CREATE … IF NOT EXISTS can
        # collide on the sequence (DuplicateTable): one at a time.
        conn.execute(text("SELECT pg_advisory_xact_lock(8765)"))
    conn.execute(text(DDL))


@app.post("/insert")
def insert():
    """One INSERT … RETURNING in its own transaction."""
    with engine.begin() as conn:
        new_id = conn.execute(INSERT, {"lon": 108.7 + random.random() / 10,
                                       "lat": 34.3 + random.random() / 10}).scalar()
    return jsonify(id=new_id), 201


@app.get("/healthz")
def healthz():
    """Up."""
    return "ok"
