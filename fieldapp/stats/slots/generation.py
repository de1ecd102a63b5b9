"""Which slots exist: writing the rows each assignment owes (calendar slots up to the horizon,
stage slots of projects), regenerating an assignment's, and ``rebuild`` / ``extend``."""

from collections import defaultdict
from datetime import date, datetime, timedelta
from itertools import chain

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.engine import Connection

from fieldapp.assignments.periods import slots_overlapping
from fieldapp.clock import local_date
from fieldapp.stats.slots.recount import (
    ASSIGNMENTS,
    HORIZON_LOCK,
    SLOTS,
    TOTALS,
    add_totals,
    lock_key,
    lock_targets,
    recount,
    totals_of,
)
from models import Firm, ProjectStageChange, SlotHorizon, dialect
from models.bulk import insert_rows

CALENDAR = ("weekly", "monthly", "quarterly")
CHUNK = 20_000


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


def refresh_assignments(conn: Connection, ids) -> None:
    """Regenerate and recount every slot of the assignments ``ids``."""
    ids = sorted(set(ids))
    if not ids:
        return
    rows = conn.execute(select(ASSIGNMENTS).where(ASSIGNMENTS.c.id.in_(ids))).all()
    lock_targets(conn, {lock_key("firm", a.firm_id) if a.firm_id
                        else lock_key("project", a.project_id) for a in rows})
    mine = SLOTS.c.assignment_id.in_(ids)
    before = totals_of(conn, mine)
    conn.execute(delete(SLOTS).where(mine))
    if _write(conn, rows, None, horizon(conn)):
        recount(conn, mine, fresh=True)
    add_totals(conn, before, totals_of(conn, mine))


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
    if dialect.is_postgresql(conn):
        dialect.transaction_lock(conn, HORIZON_LOCK, 0)
    else:
        conn.execute(update(SlotHorizon).where(SlotHorizon.id == 1).values(
            through=SlotHorizon.through))


def rebuild(conn: Connection, through: date) -> int:
    """Write every slot afresh, calendar slots up to ``through``; the number of rows."""
    _lock_horizon(conn)
    existed = horizon(conn) is not None
    dialect.truncate(conn, SLOTS)
    written = 0
    for rows in _calendar_chunks(conn, None, through):
        written += _write(conn, rows, None, through)
    written += _write(conn, conn.execute(select(ASSIGNMENTS).where(
        ASSIGNMENTS.c.cadence == "per_stage")).all(), None, None)
    recount(conn, SLOTS.c.id.is_not(None), fresh=True)
    conn.execute(delete(TOTALS))
    add_totals(conn, {}, totals_of(conn, SLOTS.c.id.is_not(None)))
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
    add_totals(conn, {}, totals_of(conn, new))
    _set_horizon(conn, through, True)
    return written
