"""Recounting slots from the visits table, and applying the change to ``visit_slot_totals``.

A slot's counts are always recomputed from the visits it holds (never incremented), so they
cannot drift from the visits they summarise. On PostgreSQL a transaction-scoped advisory lock
per target orders a visit's recount against a concurrent regeneration of the same target's
slots (``fieldapp.stats.slots.generation``), so neither can miss the other's committed rows.
"""

from functools import cache

from sqlalchemy import and_, bindparam, case, func, or_, select, text, update
from sqlalchemy.engine import Connection

from models import COUNTABLE_STATUSES, Assignment, Visit, VisitSlot, VisitSlotTotal, dialect

SLOTS = VisitSlot.__table__
TOTALS = VisitSlotTotal.__table__
VISITS = Visit.__table__
ASSIGNMENTS = Assignment.__table__
TOTAL_KEYS = ("org_unit_id", "due_on", "cadence")
KEY_COLUMNS = tuple(SLOTS.c[name] for name in TOTAL_KEYS)
# Advisory-lock key spaces (the two-integer form), so the kinds never collide.
HORIZON_LOCK, _FIRM_LOCKS, _PROJECT_LOCKS = 0x5107_0000, 0x5107_0001, 0x5107_0002


def _inside(kind: str):
    target = SLOTS.c.firm_id if kind == "firm" else SLOTS.c.project_id
    column = VISITS.c.firm_id if kind == "firm" else VISITS.c.project_id
    return and_(column == target, VISITS.c.captured_at >= SLOTS.c.starts_at,
                or_(SLOTS.c.ends_at.is_(None), VISITS.c.captured_at < SLOTS.c.ends_at))


def _recount_statements(condition, *, fresh: bool = False, kinds=("firm", "project")) -> list:
    statements = [] if fresh else [update(SLOTS).where(condition).values(
        countable=0, pending=0, last_visit_at=None)]
    for kind in kinds:
        countable = VISITS.c.status.in_(COUNTABLE_STATUSES)
        counts = select(
            SLOTS.c.id,
            func.sum(case((countable, 1), else_=0)).label("countable"),
            func.sum(case((VISITS.c.status == "needs_review", 1), else_=0)).label("pending"),
            func.max(case((countable, VISITS.c.captured_at))).label("last_visit_at"),
        ).select_from(SLOTS.join(VISITS, _inside(kind))).where(condition).group_by(
            SLOTS.c.id).correlate(None).subquery()
        statements.append(update(SLOTS).where(SLOTS.c.id == counts.c.id).values(
            countable=counts.c.countable, pending=counts.c.pending,
            last_visit_at=counts.c.last_visit_at))
    return statements


def recount(conn: Connection, condition, *, fresh: bool = False) -> None:
    """Recount, from the visits table, every slot that ``condition`` selects: one grouped join
    per target kind, so a rebuild of millions of slots is two statements, not a probe each.
    ``fresh``: the rows were just written with zero counts (only slots with visits change)."""
    for statement in _recount_statements(condition, fresh=fresh):
        conn.execute(statement)


def totals_statement(condition):
    met = SLOTS.c.countable > 0
    pending = (SLOTS.c.countable == 0) & (SLOTS.c.pending > 0)
    return select(*KEY_COLUMNS, func.count(),
                  func.sum(case((met, 1), else_=0)), func.sum(case((pending, 1), else_=0))
                  ).where(condition).group_by(*KEY_COLUMNS)


def totals_of(conn: Connection, condition, params: dict | None = None) -> dict:
    """``{(org_unit_id, due_on, cadence): (due, met, pending)}`` of the slots ``condition``
    selects (``condition`` may be a prebuilt statement, run with ``params``)."""
    statement = condition if params is not None else totals_statement(condition)
    return {tuple(r[:3]): tuple(r[3:]) for r in conn.execute(statement, params)}


def add_totals(conn: Connection, before: dict, after: dict) -> None:
    """Add ``after − before`` to ``visit_slot_totals``."""
    rows = []
    for key in before.keys() | after.keys():
        old, new = before.get(key, (0, 0, 0)), after.get(key, (0, 0, 0))
        delta = [n - o for n, o in zip(new, old, strict=True)]
        if any(delta):
            rows.append({**dict(zip(TOTAL_KEYS, key, strict=True)), "due": delta[0],
                         "met": delta[1], "pending": delta[2]})
    if not rows:
        return
    conn.execute(dialect.upsert(conn, TOTALS, list(TOTAL_KEYS), lambda excluded: {
        name: TOTALS.c[name] + excluded[name] for name in ("due", "met", "pending")}), rows)


def lock_targets(conn: Connection, keys) -> None:
    """Take the targets' advisory locks (PostgreSQL), in one order so two writers never
    deadlock on them."""
    for space, key in sorted(keys):
        dialect.transaction_lock(conn, space, key)


def lock_key(kind: str, target_id: int) -> tuple[int, int]:
    """An advisory-lock key of its own space per kind (the horizon has the third)."""
    return (_FIRM_LOCKS if kind == "firm" else _PROJECT_LOCKS), target_id


@cache
def _point_statements(kind: str) -> tuple:
    """The totals query and the recount of the slots of one target holding one moment, built
    once with bound parameters: every visit filed runs them, and building SQLAlchemy
    expressions afresh each time cost more than running them."""
    column = SLOTS.c.firm_id if kind == "firm" else SLOTS.c.project_id
    moment = bindparam("moment", type_=SLOTS.c.starts_at.type)
    holding = and_(column == bindparam("target"), SLOTS.c.starts_at <= moment,
                   or_(SLOTS.c.ends_at.is_(None), SLOTS.c.ends_at > moment))
    return totals_statement(holding), _recount_statements(holding, kinds=(kind,))


@cache
def _point_recount_postgresql(kind: str):
    """The same recount and totals change as ``_point_statements`` in one PostgreSQL statement
    (data-modifying CTEs): the slots holding the moment with their old counts, their new
    counts from the visits, the update, and the change in met/pending added to the totals.
    Each visit filed runs it, and on PostgreSQL every statement is a round trip to the server:
    one instead of four or five."""
    column = "firm_id" if kind == "firm" else "project_id"
    countable = ", ".join(f"'{status}'" for status in COUNTABLE_STATUSES)
    return text(f"""
WITH holding AS (
    SELECT id, org_unit_id, due_on, cadence, countable AS old_countable, pending AS old_pending
    FROM visit_slots
    WHERE {column} = :target AND starts_at <= :moment
      AND (ends_at IS NULL OR ends_at > :moment)
), counts AS (
    SELECT h.id,
           count(v.id) FILTER (WHERE v.status IN ({countable})) AS countable,
           count(v.id) FILTER (WHERE v.status = 'needs_review') AS pending,
           max(v.captured_at) FILTER (WHERE v.status IN ({countable})) AS last_visit_at
    FROM holding h
    JOIN visit_slots s ON s.id = h.id
    LEFT JOIN visits v ON v.{column} = s.{column} AND v.captured_at >= s.starts_at
                      AND (s.ends_at IS NULL OR v.captured_at < s.ends_at)
    GROUP BY h.id
), changed AS (
    UPDATE visit_slots s
    SET countable = c.countable, pending = c.pending, last_visit_at = c.last_visit_at
    FROM counts c WHERE s.id = c.id
    RETURNING s.id
), delta AS (
    SELECT h.org_unit_id, h.due_on, h.cadence,
           sum((c.countable > 0)::int - (h.old_countable > 0)::int) AS met,
           sum((c.countable = 0 AND c.pending > 0)::int
               - (h.old_countable = 0 AND h.old_pending > 0)::int) AS pending
    FROM holding h JOIN counts c ON c.id = h.id
    WHERE h.id IN (SELECT id FROM changed)
    GROUP BY h.org_unit_id, h.due_on, h.cadence
)
INSERT INTO visit_slot_totals (org_unit_id, due_on, cadence, due, met, pending)
SELECT org_unit_id, due_on, cadence, 0, met, pending FROM delta WHERE met <> 0 OR pending <> 0
ON CONFLICT (org_unit_id, due_on, cadence) DO UPDATE
SET met = visit_slot_totals.met + excluded.met,
    pending = visit_slot_totals.pending + excluded.pending""")


def recount_at(conn: Connection, touched) -> None:
    """Recount the slots containing each ``(kind, target_id, moment)`` visited."""
    lock_targets(conn, {lock_key(kind, target) for kind, target, _ in touched})
    if dialect.is_postgresql(conn):
        for kind, target, moment in touched:
            conn.execute(_point_recount_postgresql(kind), {"target": target, "moment": moment})
        return
    for kind, target, moment in touched:
        totals, recounts = _point_statements(kind)
        params = {"target": target, "moment": moment}
        before = totals_of(conn, totals, params)
        for statement in recounts:
            conn.execute(statement, params)
        add_totals(conn, before, totals_of(conn, totals, params))

