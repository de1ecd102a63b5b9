"""Writes an AuditEvent for every insert, update and delete of an ``Audited`` model.

Hooked on the session's flush, so no service can forget it: changes are collected before the
flush (while attribute history still exists) and written after it (when new rows have ids), in
the same transaction as the change itself.
"""

from datetime import date, datetime
from decimal import Decimal

from flask import g, has_request_context
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from models import Audited, AuditEvent, utcnow
from models.bulk import insert_rows

_PENDING = "fieldapp_audit_pending"
REDACTED = "<redacted>"


def _jsonable(value):
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "desc") and hasattr(value, "srid"):  # a GeoAlchemy2 element
        from geoalchemy2.shape import to_shape

        return to_shape(value).wkt
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def _columns(obj):
    return inspect(obj).mapper.column_attrs


def _links(obj):
    """Many-to-many collections (an association table, no model of their own to audit)."""
    return [r for r in inspect(obj).mapper.relationships if r.secondary is not None]


def _link_ids(items) -> list:
    return sorted(inspect(o).mapper.primary_key_from_instance(o)[0] for o in items)


def _snapshot(obj) -> dict:
    redact = obj.__audit_redact__
    snap = {a.key: REDACTED if a.key in redact else _jsonable(getattr(obj, a.key))
            for a in _columns(obj)}
    for rel in _links(obj):
        snap[rel.key] = _link_ids(getattr(obj, rel.key))
    return snap


def _changes(obj) -> tuple[dict, dict]:
    state, redact = inspect(obj), obj.__audit_redact__
    before, after = {}, {}
    for attr in _columns(obj):
        hist = state.attrs[attr.key].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if old == new:
            continue
        before[attr.key] = REDACTED if attr.key in redact else _jsonable(old)
        after[attr.key] = REDACTED if attr.key in redact else _jsonable(new)
    # Rows of an association table (a project's departments) are no Audited model: record
    # the change as the owner's update, with the full id lists before and after.
    for rel in _links(obj):
        hist = state.attrs[rel.key].history
        if not (hist.added or hist.deleted):
            continue
        old = _link_ids([*hist.unchanged, *hist.deleted])
        new = _link_ids([*hist.unchanged, *hist.added])
        if old != new:
            before[rel.key], after[rel.key] = old, new
    return before, after


def _entity_id(obj) -> str:
    # Not ``inspect(obj).identity``: during after_flush a new row has its primary key but no
    # identity key yet, so every create would be recorded with an empty entity_id.
    return ",".join(str(v) for v in inspect(obj).mapper.primary_key_from_instance(obj))


def _before_flush(session: Session, _ctx, _instances) -> None:
    # A fresh list per flush: a flush that failed (IntegrityError) never reached _after_flush,
    # and its events must not be written by the next flush on the same session.
    pending = session.info[_PENDING] = []
    for obj in session.new:
        if isinstance(obj, Audited):
            pending.append(("create", obj, None, None))
    for obj in session.dirty:
        if isinstance(obj, Audited) and session.is_modified(obj):
            before, after = _changes(obj)
            if after:
                pending.append(("update", obj, before, after))
    for obj in session.deleted:
        if isinstance(obj, Audited):
            pending.append(("delete", obj, _snapshot(obj), None))


def _after_flush(session: Session, _ctx) -> None:
    pending = session.info.pop(_PENDING, [])
    if not pending:
        return
    actor = g.get("principal") if has_request_context() else None
    request_id = g.get("request_id") if has_request_context() else None
    rows = []
    for action, obj, before, after in pending:
        if action == "create":
            after = _snapshot(obj)
        rows.append({
            "action": action,
            "entity": obj.__tablename__,
            "entity_id": _entity_id(obj),
            "org_unit_id": obj.audit_org_unit_id(),
            "before": before,
            "after": after,
            "actor_id": actor.user_id if actor else None,
            "request_id": request_id,
        })
    now = utcnow()
    for row in rows:
        row["at"] = now
    session.connection().execute(insert(AuditEvent), rows)


def install(session_factory) -> None:
    """Attach the recorder to a session factory once (apps share Flask-SQLAlchemy's session)."""
    if not event.contains(session_factory, "before_flush", _before_flush):
        event.listen(session_factory, "before_flush", _before_flush)
        event.listen(session_factory, "after_flush", _after_flush)


def record_bulk_creates(connection, entity: str, rows: list[tuple[str, dict, int | None]]) -> None:
    """Audit rows a bulk path inserted without the ORM: one ``create`` event per row, as a flush
    would have written (``rows``: entity id, the row's columns, its org unit)."""
    if not rows:
        return
    actor = g.get("principal") if has_request_context() else None
    request_id = g.get("request_id") if has_request_context() else None
    now = utcnow()
    insert_rows(connection, AuditEvent.__table__, [{
        "action": "create", "entity": entity, "entity_id": entity_id,
        "org_unit_id": org_unit_id, "before": None,
        "after": {k: _jsonable(v) for k, v in after.items()},
        "actor_id": actor.user_id if actor else None, "request_id": request_id, "at": now,
    } for entity_id, after, org_unit_id in rows])
