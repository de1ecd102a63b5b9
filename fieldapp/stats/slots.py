"""Keeping ``visit_slots`` in step with what decides them.

The definitions live in ``fieldapp.stats.visit_rate``; this module writes them down as rows:

- **Which slots exist** depends on the assignment (dates, cadence, holder, unit), on the firm's
  closing day and on the project's stage history. Any change to those regenerates the slots of
  the assignments concerned (``refresh_assignments``).
- **What a slot holds** (countable and pending visits, the last countable visit) depends on the
  target's visits. A visit filed, reviewed, superseded or deleted recounts the slots of its
  target that contain its capture time (``recount``), from the visits table itself, so a count
  can never drift from the visits it summarises.
- **How far ahead**: calendar slots are written up to ``slot_horizon.through`` (the end of a
  quarter). A report for a later period first moves the horizon on; the cron job
  ``flask slots extend`` does it ahead of time so no report waits.

Both kinds of change are picked up from the ORM session at flush (``after_flush``), so every
write path, present and future, keeps the rows right without remembering to. Writes that bypass
the ORM (bulk COPY imports) call ``rebuild`` afterwards. On PostgreSQL a transaction-scoped
advisory lock per target orders a visit's recount against a concurrent regeneration of the same
target's slots, so neither can miss the other's committed rows.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta
from functools import cache
from itertools import chain

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    case,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from fieldapp.assignments.periods import local_date, slots_overlapping
from models import (
    COUNTABLE_STATUSES,
    Assignment,
    Firm,
    ProjectStageChange,
    SlotHorizon,
    Visit,
    VisitSlot,
    VisitSlotTotal,
)
from models.bulk import insert_rows

CALENDAR = ("weekly", "monthly", "quarterly")
SLOTS = VisitSlot.__table__
TOTALS = VisitSlotTotal.__table__
VISITS = Visit.__table__
ASSIGNMENTS = Assignment.__table__
CHUNK = 20_000
# Advisory-lock key spaces (the two-integer form), so the kinds never collide.
_HORIZON_LOCK, _FIRM_LOCKS, _PROJECT_LOCKS = 0x5107_0000, 0x5107_0001, 0x5107_0002


def quarter_end(day: date) -> date:
    """The last day of the quarter holding ``day``."""
    month = 3 * ((day.month - 1) // 3) + 3
    nxt = date(day.year + month // 12, month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def slot_rows(a, closed_on: date | None, stage_moments: list[datetime],
              after: date | None, through: date | None) -> list[dict]:
    """The slot rows assignment ``a`` owes: calendar slots whose last day lies in
    ``(after, through]`` (none without ``through``), or every stage slot for ``per_stage``."""
    base = {"assignment_id": a.id, "user_id": a.user_id, "org_unit_id": a.org_unit_id,
            "firm_id": a.firm_id, "project_id": a.project_id, "cadence": a.cadence,
            "countable": 0, "pending": 0, "last_visit_at": None}

    def covers(day: date) -> bool:
        return a.starts_on <= day and (a.ends_on is None or a.ends_on >= day)

    rows = []
    if a.cadence in CALENDAR:
        if through is None:
            return rows
        first = a.starts_on if after is None else max(a.starts_on, after + timedelta(days=1))
        last = through if a.ends_on is None else min(through, a.ends_on)
        for s in slots_overlapping(a.cadence, first, last):
            end = s.end
            if end > last or not covers(end) or (after is not None and end <= after):
                continue
            if closed_on is not None and closed_on <= end:
                continue
            rows.append({**base, "first_day": s.start, "last_day": end, "due_on": end,
                         "starts_at": s.starts_at, "ends_at": s.ends_at})
        return rows
    for i, moment in enumerate(stage_moments):
        day = local_date(moment)
        if not covers(day):
            continue
        nxt = stage_moments[i + 1] if i + 1 < len(stage_moments) else None
        rows.append({**base, "first_day": day, "due_on": day, "starts_at": moment,
                     "ends_at": nxt,
                     "last_day": None if nxt is None else local_date(nxt - timedelta(
                         microseconds=1))})
    return rows


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


def _totals_statement(condition):
    met = SLOTS.c.countable > 0
    pending = (SLOTS.c.countable == 0) & (SLOTS.c.pending > 0)
    return select(SLOTS.c.org_unit_id, SLOTS.c.due_on, func.count(),
                  func.sum(case((met, 1), else_=0)), func.sum(case((pending, 1), else_=0))
                  ).where(condition).group_by(SLOTS.c.org_unit_id, SLOTS.c.due_on)


def _totals(conn: Connection, condition, params: dict | None = None) -> dict:
    """``{(org_unit_id, due_on): (due, met, pending)}`` of the slots ``condition`` selects
    (``condition`` may be a prebuilt statement, run with ``params``)."""
    statement = condition if params is not None else _totals_statement(condition)
    return {(r[0], r[1]): (r[2], r[3], r[4]) for r in conn.execute(statement, params)}


def _add_totals(conn: Connection, before: dict, after: dict) -> None:
    """Add ``after − before`` to ``visit_slot_totals``."""
    rows = []
    for key in before.keys() | after.keys():
        old, new = before.get(key, (0, 0, 0)), after.get(key, (0, 0, 0))
        delta = [n - o for n, o in zip(new, old, strict=True)]
        if any(delta):
            rows.append({"org_unit_id": key[0], "due_on": key[1], "due": delta[0],
                         "met": delta[1], "pending": delta[2]})
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(TOTALS)
    conn.execute(stmt.on_conflict_do_update(
        index_elements=[TOTALS.c.org_unit_id, TOTALS.c.due_on],
        set_={name: TOTALS.c[name] + stmt.excluded[name] for name in ("due", "met", "pending")}),
        rows)


def horizon(conn: Connection) -> date | None:
    """The day up to which calendar slots are written (None: never written)."""
    return conn.scalar(select(SlotHorizon.through).where(SlotHorizon.id == 1))


def _closed_on(conn: Connection, firm_ids) -> dict[int, date]:
    if not firm_ids:
        return {}
    return {fid: local_date(at) for fid, at in conn.execute(
        select(Firm.id, Firm.closed_at).where(Firm.id.in_(list(firm_ids)),
                                              Firm.closed_at.is_not(None)))}


def _stage_moments(conn: Connection, project_ids) -> dict[int, list[datetime]]:
    moments = defaultdict(list)
    if project_ids:
        for pid, at in conn.execute(
                select(ProjectStageChange.project_id, ProjectStageChange.moved_at)
                .where(ProjectStageChange.project_id.in_(list(project_ids)))
                .order_by(ProjectStageChange.moved_at, ProjectStageChange.id)):
            moments[pid].append(at)
    return moments


def _write(conn: Connection, assignments, after: date | None, through: date | None) -> int:
    closed = _closed_on(conn, {a.firm_id for a in assignments if a.firm_id is not None})
    stages = _stage_moments(conn, {a.project_id for a in assignments
                                   if a.cadence == "per_stage"})
    rows = list(chain.from_iterable(
        slot_rows(a, closed.get(a.firm_id), stages.get(a.project_id, []), after, through)
        for a in assignments))
    if len(rows) > 1000:
        insert_rows(conn, SLOTS, rows)
    elif rows:
        conn.execute(insert(SLOTS), rows)
    return len(rows)


_LOCK = select(func.pg_advisory_xact_lock(bindparam("space", type_=Integer),
                                          bindparam("key", type_=Integer)))


def _lock_targets(conn: Connection, keys) -> None:
    if conn.dialect.name != "postgresql":
        return
    for space, key in sorted(keys):
        conn.execute(_LOCK, {"space": space, "key": key})


def _key(kind: str, target_id: int) -> tuple[int, int]:
    """An advisory-lock key of its own space per kind (the horizon has the third)."""
    return (_FIRM_LOCKS if kind == "firm" else _PROJECT_LOCKS), target_id


def refresh_assignments(conn: Connection, ids) -> None:
    """Regenerate and recount every slot of the assignments ``ids``."""
    ids = sorted(set(ids))
    if not ids:
        return
    rows = conn.execute(select(ASSIGNMENTS).where(ASSIGNMENTS.c.id.in_(ids))).all()
    _lock_targets(conn, {_key("firm", a.firm_id) if a.firm_id else _key("project", a.project_id)
                         for a in rows})
    mine = SLOTS.c.assignment_id.in_(ids)
    before = _totals(conn, mine)
    conn.execute(delete(SLOTS).where(mine))
    if _write(conn, rows, None, horizon(conn)):
        recount(conn, mine, fresh=True)
    _add_totals(conn, before, _totals(conn, mine))


@cache
def _point_statements(kind: str) -> tuple:
    """The totals query and the recount of the slots of one target holding one moment, built
    once with bound parameters: every visit filed runs them, and building SQLAlchemy
    expressions afresh each time cost more than running them."""
    column = SLOTS.c.firm_id if kind == "firm" else SLOTS.c.project_id
    moment = bindparam("moment", type_=SLOTS.c.starts_at.type)
    holding = and_(column == bindparam("target"), SLOTS.c.starts_at <= moment,
                   or_(SLOTS.c.ends_at.is_(None), SLOTS.c.ends_at > moment))
    return _totals_statement(holding), _recount_statements(holding, kinds=(kind,))


def recount_at(conn: Connection, touched) -> None:
    """Recount the slots containing each ``(kind, target_id, moment)`` visited."""
    _lock_targets(conn, {_key(kind, target) for kind, target, _ in touched})
    for kind, target, moment in touched:
        totals, recounts = _point_statements(kind)
        params = {"target": target, "moment": moment}
        before = _totals(conn, totals, params)
        for statement in recounts:
            conn.execute(statement, params)
        _add_totals(conn, before, _totals(conn, totals, params))


def _calendar_chunks(conn: Connection, after: date | None, through: date):
    last_id = 0
    while True:
        stmt = select(ASSIGNMENTS).where(
            ASSIGNMENTS.c.id > last_id, ASSIGNMENTS.c.starts_on <= through,
            ASSIGNMENTS.c.cadence.in_(CALENDAR)).order_by(ASSIGNMENTS.c.id).limit(CHUNK)
        if after is not None:
            stmt = stmt.where(or_(ASSIGNMENTS.c.ends_on.is_(None), ASSIGNMENTS.c.ends_on > after))
        rows = conn.execute(stmt).all()
        if not rows:
            return
        yield rows
        last_id = rows[-1].id


def _set_horizon(conn: Connection, through: date, existed: bool) -> None:
    if existed:
        conn.execute(update(SlotHorizon).where(SlotHorizon.id == 1).values(through=through))
    else:
        conn.execute(insert(SlotHorizon).values(id=1, through=through))


def _lock_horizon(conn: Connection) -> None:
    """Serialise whoever moves the horizon, so the one who waited reads the horizon the other
    wrote and does not write the same slots again. PostgreSQL: an advisory lock. SQLite: its one
    write lock, which the driver takes only at the first write of a transaction (a read before
    it holds nothing), so write first — an update that changes nothing — waiting the busy
    timeout for a concurrent extension to commit."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(_HORIZON_LOCK, 0)))
    else:
        conn.execute(update(SlotHorizon).where(SlotHorizon.id == 1).values(
            through=SlotHorizon.through))


def rebuild(conn: Connection, through: date) -> int:
    """Write every slot afresh, calendar slots up to ``through``; the number of rows."""
    _lock_horizon(conn)
    existed = horizon(conn) is not None
    if conn.dialect.name == "postgresql":
        conn.execute(text("TRUNCATE visit_slots"))  # no dead rows left behind
    else:
        conn.execute(delete(SLOTS))
    written = 0
    for rows in _calendar_chunks(conn, None, through):
        written += _write(conn, rows, None, through)
    written += _write(conn, conn.execute(select(ASSIGNMENTS).where(
        ASSIGNMENTS.c.cadence == "per_stage")).all(), None, None)
    recount(conn, SLOTS.c.id.is_not(None), fresh=True)
    conn.execute(delete(TOTALS))
    _add_totals(conn, {}, _totals(conn, SLOTS.c.id.is_not(None)))
    _set_horizon(conn, through, existed)
    return written


def extend(conn: Connection, day: date) -> int:
    """Make sure calendar slots exist through ``day`` (moved on to the end of its quarter);
    the number of rows written. The first call after the table was created rebuilds it."""
    _lock_horizon(conn)
    current = horizon(conn)
    if current is not None and current >= day:
        return 0
    through = quarter_end(day)
    if current is None:
        return rebuild(conn, through)
    written = 0
    for rows in _calendar_chunks(conn, current, through):
        written += _write(conn, rows, current, through)
    new = and_(SLOTS.c.due_on > current, SLOTS.c.cadence.in_(CALENDAR))
    recount(conn, new, fresh=True)
    _add_totals(conn, {}, _totals(conn, new))
    _set_horizon(conn, through, True)
    return written


# --- keeping step with the ORM session ---------------------------------------------------------

_ASSIGNMENT_TERMS = ("user_id", "org_unit_id", "firm_id", "project_id", "cadence", "starts_on",
                     "ends_on")
_VISIT_TERMS = ("status", "captured_at", "firm_id", "project_id")


def _values(obj, name: str) -> list:
    history = sa_inspect(obj).attrs[name].history
    return [v for v in chain(history.added, history.unchanged, history.deleted)]


def _changed(obj, names) -> bool:
    state = sa_inspect(obj)
    return any(state.attrs[n].history.has_changes() for n in names)


def _visit_points(visit: Visit) -> set:
    points = set()
    for moment in _values(visit, "captured_at"):
        for fid in _values(visit, "firm_id"):
            if fid is not None:
                points.add(("firm", fid, moment))
        for pid in _values(visit, "project_id"):
            if pid is not None:
                points.add(("project", pid, moment))
    return points


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context, _instances) -> None:
    # A deleted assignment's slots go with it (ON DELETE CASCADE), after which nothing could
    # say what to take off the totals: take them off, and the slots away, while they are here.
    gone = sorted(obj.id for obj in session.deleted
                  if isinstance(obj, Assignment) and obj.id is not None)
    if not gone:
        return
    conn = session.connection()
    mine = SLOTS.c.assignment_id.in_(gone)
    before = _totals(conn, mine)
    conn.execute(delete(SLOTS).where(mine))
    _add_totals(conn, before, {})


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    assignments, firms, projects, touched = set(), set(), set(), set()
    for obj in chain(session.new, session.dirty, session.deleted):
        dirty = obj in session.dirty
        if isinstance(obj, Visit):
            if not dirty or _changed(obj, _VISIT_TERMS):
                touched |= _visit_points(obj)
        elif isinstance(obj, Assignment):
            if obj not in session.deleted and (not dirty or _changed(obj, _ASSIGNMENT_TERMS)):
                assignments.add(obj.id)
        elif isinstance(obj, Firm):
            if dirty and _changed(obj, ("closed_at",)):
                firms.add(obj.id)
        elif isinstance(obj, ProjectStageChange):  # entered, corrected or struck out
            projects.update(p for p in _values(obj, "project_id") if p is not None)
    if not (assignments or firms or projects or touched):
        return
    conn = session.connection()
    if firms:
        assignments |= set(conn.scalars(select(ASSIGNMENTS.c.id).where(
            ASSIGNMENTS.c.firm_id.in_(firms))))
    if projects:
        assignments |= set(conn.scalars(select(ASSIGNMENTS.c.id).where(
            ASSIGNMENTS.c.project_id.in_(projects), ASSIGNMENTS.c.cadence == "per_stage")))
    refresh_assignments(conn, assignments)
    if touched:
        recount_at(conn, touched)
