"""``statements_in_dump``: the SQL statements that run while an answer is dumped (an N+1 shows
as statements here; a list query that loads what its dump reads runs none)."""

import contextlib

import marshmallow
from sqlalchemy import event

from fieldapp.dumping import PlannedSchema
from fieldapp.extensions import db


@contextlib.contextmanager
def statements_in_dump(app, monkeypatch):
    """Collect, into the yielded list, every statement run on the app's engine inside a
    ``Schema.dump`` (marshmallow's or the planned one) while the block runs."""
    seen, depth = [], [0]

    def counted(dump):
        def counted_dump(self, *args, **kwargs):
            depth[0] += 1
            try:
                return dump(self, *args, **kwargs)
            finally:
                depth[0] -= 1
        return counted_dump

    def before(_conn, _cursor, statement, *_rest):
        if depth[0]:
            seen.append(statement)

    for schema in (marshmallow.Schema, PlannedSchema):
        monkeypatch.setattr(schema, "dump", counted(schema.dump))
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
