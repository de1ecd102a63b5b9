"""The scheduled job (``flask issues tick``): fills deadlines the calendar can now compute,
flags overdue issues and raises supervision, closes resolved issues left unrated."""

import logging
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy import text as sql_text
from sqlalchemy.orm.exc import StaleDataError

from fieldapp import clock
from fieldapp.extensions import db
from fieldapp.issues import lifecycle as lc
from fieldapp.issues.service import add_event, calendar, category_of, deadline_from
from fieldapp.issues.workdays import CalendarGap
from models import Issue
from models.issue import DEADLINE_UNKNOWN

# States in which a resolution clock has started (an accept or a reopen lies behind them).
RESOLUTION_STATES = (*lc.WORKING_STATES, "suspended", "resolved", "closed")


def resolution_deadline(issue: Issue) -> datetime | None:
    """The resolution deadline as the events tell it: from when the running clock started (the
    last accept or reopen), pushed back by the working time of each suspension since then that
    has ended (a running one is added on resumption). None while the calendar lacks a day."""
    starts = [n for n, e in enumerate(issue.events) if e.action in ("accept", "reopen")]
    if not starts:
        return None
    since = issue.events[starts[-1]:]
    cat = category_of(issue)
    due, _ = deadline_from(since[0].at, cat.resolve_days,
                           cat.resolve_hours if issue.urgent else None)
    suspended = None
    try:
        for e in since:
            if e.action == "suspend":
                suspended = e.at
            elif e.action == "resume" and suspended is not None and due is not None:
                due = calendar().add_working_seconds(
                    due, calendar().working_seconds(suspended, e.at))
                suspended = None
    except CalendarGap:
        return None
    return due


TICK_BATCH = 200
log = logging.getLogger(__name__)


def tick(at: datetime | None = None, *, batch: int = TICK_BATCH) -> dict:
    """Fill deadlines the calendar can now compute, flag overdue issues and raise supervision,
    close resolved issues whose resolution is unrated; each flag and closure is an event.
    Returns what changed.

    Batches of ``batch`` issues, one transaction each, so row locks are held briefly. If
    someone acts on an issue of a batch between the job reading and writing it, the version
    check refuses the write and the batch is done again on fresh rows; a batch refused three
    times waits for the next run (logged)."""
    at = at or clock.now()
    # Open issues, and any whose deadline is still unknown: an issue may have been accepted,
    # resolved or closed while its year was missing, and the metrics need its deadlines too.
    # Two queries, each on its own index (one OR across them would read every issue ever).
    ids = set(db.session.scalars(select(Issue.id).where(
        Issue.state.in_(("submitted", *lc.WORKING_STATES, "resolved")))))
    ids.update(db.session.scalars(select(Issue.id).where(sql_text(DEADLINE_UNKNOWN))))
    ids = sorted(ids)
    counts = {"deadlines": 0, "overdue": 0, "supervised": 0, "auto_closed": 0}
    for i in range(0, len(ids), batch):
        chunk = ids[i:i + batch]
        for _ in range(3):
            try:
                done = _tick(chunk, at)
                break
            except StaleDataError:
                db.session.rollback()
        else:
            log.warning("issues %s..%s changed under the job three times; next run", chunk[0],
                        chunk[-1])
            continue
        for key, n in done.items():
            counts[key] += n
    return counts


def _tick(ids: list[int], at: datetime) -> dict:
    cfg = current_app.config
    cal = calendar()
    counts = {"deadlines": 0, "overdue": 0, "supervised": 0, "auto_closed": 0}
    for issue in db.session.scalars(select(Issue).where(Issue.id.in_(ids))
                                    .execution_options(populate_existing=True)):
        cat = category_of(issue)
        if issue.response_due_at is None:
            issue.response_due_at, _ = deadline_from(issue.created_at, cat.response_days,
                                                 cat.response_hours if issue.urgent else None)
            counts["deadlines"] += issue.response_due_at is not None
        if issue.state in RESOLUTION_STATES and issue.resolve_due_at is None:
            issue.resolve_due_at = resolution_deadline(issue)
            counts["deadlines"] += issue.resolve_due_at is not None
        due = issue.response_due_at if issue.state == "submitted" else (
            issue.resolve_due_at if issue.state in lc.WORKING_STATES else None)
        if due is not None and due < at:
            if not issue.overdue:
                issue.overdue = True
                add_event(issue, "overdue", issue.state, "system", None, due=due.isoformat())
                counts["overdue"] += 1
            try:
                late = cal.working_days(due, at)
            except CalendarGap:
                late = 0
            level = 2 if late >= cfg["ISSUE_SUPERVISE_AFTER_DAYS"] else 1
            if level > issue.supervision_level:
                issue.supervision_level = level
                add_event(issue, "supervise", issue.state, "system", None, level=level)
                counts["supervised"] += 1
        if issue.state == "resolved" and not issue.resolution_rated:
            try:
                limit = cal.deadline_in_days(issue.resolved_at, cfg["ISSUE_AUTO_CLOSE_DAYS"])
            except CalendarGap:
                continue
            if at >= limit:
                issue.state, issue.closed_at = "closed", at
                add_event(issue, "auto_close", "resolved", "system", None)
                counts["auto_closed"] += 1
    db.session.commit()
    return counts

