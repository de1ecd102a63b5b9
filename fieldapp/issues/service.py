"""Issues (诉求): raising them, the closed loop of actions, deadlines, and the firm's timeline.

Decisions (the README repeats them):

- **Tracking number**: ``{ISSUE_TRACKING_PREFIX}-{year}-{n:06d}``, ``n`` counting from 1 each
  year (Asia/Shanghai), from a counter row updated atomically.
- **Response deadline** runs from submission to acceptance (or rejection/merge); the
  **resolution deadline** from acceptance (or the latest reopen) to resolution. Both come from
  the category's SLA in working days (an urgent issue in a category with hour limits: working
  hours). A deadline the calendar cannot compute (a year without data) is stored as unknown,
  with an internal event naming the missing year, and ``flask issues tick`` fills it in once an
  admin enters the year, whatever state the issue has reached by then; the resolution deadline
  it fills is derived from the events (the last accept or reopen, plus the suspensions since).
- **Suspension**: the working time between suspension and resumption is added to the
  resolution deadline.
- **Dispatch** goes to a department of the issue's unit, of a unit above it or of a unit
  inside it; never to a neighbouring unit's, whoever dispatches.
- **Merge** goes into another open issue. Issues of different firms may be merged (several
  firms in one park report the same outage); the follower's firm then sees the master's steps
  as labels, departments, times and the deadline, never the master's texts.
- **Overdue**: the running deadline has passed (response while submitted, resolution while
  accepted, dispatched or in progress). The tick sets the flag and supervision level 1; level 2
  follows ``ISSUE_SUPERVISE_AFTER_DAYS`` working days later. Accepting or reopening clears it.
- **Ratings**: good (非常满意, 满意) closes a resolved issue; a bad one opens a call-back task
  (``callback_due``) and, within ``ISSUE_REOPEN_WINDOW_DAYS`` working days of the resolution,
  reopens the issue. The firm may also reopen within that window without rating. When the
  calendar lacks a year the window reaches into, the window stays open until its earliest
  possible end, and after that the answer is a 409 ``calendar-gap`` until an admin enters the
  year. The latest rating is kept (each resolution may be rated once:
  ``Issue.resolution_rated``). Resolved issues whose resolution is unrated close after
  ``ISSUE_AUTO_CLOSE_DAYS`` working days.
"""

import logging
from datetime import datetime

from flask import current_app, g
from sqlalchemy import select
from sqlalchemy import text as sql_text
from sqlalchemy.orm.exc import StaleDataError

from fieldapp import clock, scope
from fieldapp.auth.principal import Principal
from fieldapp.errors import Problem
from fieldapp.extensions import db
from fieldapp.issues import checkcode
from fieldapp.issues import lifecycle as lc
from fieldapp.issues.workdays import CalendarGap, WorkCalendar
from models import (
    GOOD_RATINGS,
    CalendarDay,
    CalendarYear,
    Department,
    Firm,
    Issue,
    IssueCategory,
    IssueCounter,
    IssueEvent,
    OrgUnit,
    department_categories,
    dialect,
)
from models.issue import DEADLINE_UNKNOWN

STAFF_SOURCES = ("manager", "hotline", "letter", "symposium")
# States in which a resolution clock has started (an accept or a reopen lies behind them).
RESOLUTION_STATES = (*lc.WORKING_STATES, "suspended", "resolved", "closed")


def calendar() -> WorkCalendar:
    """China's calendar with the admins' days, loaded once per request."""
    if "work_calendar" not in g:
        g.work_calendar = WorkCalendar(
            {d.day: d.workday for d in db.session.scalars(select(CalendarDay))},
            set(db.session.scalars(select(CalendarYear.year))))
    return g.work_calendar


def _deadline(start: datetime, days: int, hours: int | None) -> tuple[datetime | None, str | None]:
    """The deadline, or None and the reason when the calendar has no data for it."""
    try:
        if hours:
            return calendar().deadline_in_hours(start, hours), None
        return calendar().deadline_in_days(start, days), None
    except CalendarGap as gap:
        return None, str(gap)


def _next_tracking_no(at: datetime) -> str:
    year = at.astimezone(clock.LOCAL_TZ).year
    table = IssueCounter.__table__
    stmt = dialect.upsert(db.session.connection(), table, ["year"], {"last": table.c.last + 1})
    n = db.session.execute(stmt.values(year=year, last=1).returning(table.c.last)).scalar_one()
    return f"{current_app.config['ISSUE_TRACKING_PREFIX']}-{year}-{n:06d}"


def _event(issue: Issue, action: str, from_state: str | None, actor_role: str,
           actor_id: int | None, *, public_text: str | None = None,
           internal_text: str | None = None, public: bool = True,
           at: datetime | None = None, **data) -> IssueEvent:
    # ``at``: the moment the action took effect, so that a deadline derived from the events
    # later (``_resolution_deadline``) starts exactly where the live one did.
    event = IssueEvent(at=at or clock.now(), action=action, from_state=from_state,
                       to_state=issue.state, public=public and action not in lc.INTERNAL_ACTIONS,
                       actor_id=actor_id, actor_role=actor_role,
                       department_id=issue.department_id,
                       public_text=public_text, internal_text=internal_text, data=data)
    issue.events.append(event)
    return event


def new_issue(*, firm_id: int, org_unit_id: int, category: str, title: str,
              description: str | None, source: str, actor_role: str, actor_id: int | None,
              visit_id: int | None = None, urgent: bool = False, lat: float | None = None,
              lon: float | None = None, address: str | None = None,
              attachments: list | None = None) -> Issue:
    """A submitted issue with its tracking number, response deadline and first event."""
    cat = db.session.get(IssueCategory, category)
    if cat is None:
        raise Problem.invalid("category", "Unknown category.")
    at = clock.now()
    issue = Issue(tracking_no=_next_tracking_no(at), firm_id=firm_id, org_unit_id=org_unit_id,
                  category=category, title=title, description=description, source=source,
                  visit_id=visit_id, urgent=urgent, lat=lat, lon=lon, address=address,
                  attachments=list(attachments or []), state="submitted",
                  created_by_id=actor_id, created_at=at, events=[])
    issue.response_due_at, gap = _deadline(at, cat.response_days,
                                           cat.response_hours if urgent else None)
    _event(issue, "submit", None, actor_role, actor_id, public_text=title)
    if gap:
        _event(issue, "deadline_pending", "submitted", "system", None, internal_text=gap,
               deadline="response")
    db.session.add(issue)
    return issue


def create_issue(principal: Principal, data: dict) -> Issue:
    """``POST /issues``: managers for firms in their subtree (letters, hotline, symposiums),
    commissioners and butlers for firms assigned to them, a firm user for their own firm."""
    if principal.has("admin", "manager", "commissioner", "butler"):
        role = "dispatcher" if principal.has("admin", "manager") else "visitor"
        source = data.get("source") or "manager"
        if source not in STAFF_SOURCES:
            raise Problem.invalid("source", f"Staff raise issues from {', '.join(STAFF_SOURCES)}.")
    elif principal.has("firm"):
        role, source = "firm", "firm"
        if data.get("source") not in (None, "firm"):
            raise Problem.invalid("source", "A firm raises its own issues (source firm).")
    else:
        raise scope.forbidden("Your role does not raise issues.")
    firm = db.session.scalar(scope.scoped(Firm, principal).where(Firm.id == data["firm_id"]))
    if firm is None:
        raise Problem.invalid("firm_id", "No such firm in your scope.")
    issue = new_issue(firm_id=firm.id, org_unit_id=firm.org_unit_id, category=data["category"],
                      title=data["title"], description=data.get("description"), source=source,
                      actor_role=role, actor_id=principal.user_id,
                      urgent=data.get("urgent", False), lat=data.get("lat"),
                      lon=data.get("lon"), address=data.get("address"),
                      attachments=data.get("attachments"))
    db.session.commit()
    return issue


# --- actions -----------------------------------------------------------------------------------

def parties_of(principal: Principal, issue: Issue) -> set[str]:
    """The parts the caller plays for this issue (``lifecycle`` module docstring)."""
    parties = set()
    if principal.has("admin"):
        parties.add(lc.DISPATCHER)
    elif principal.has("manager"):
        unit = db.session.get(OrgUnit, issue.org_unit_id)
        if unit.path.startswith(principal.org_path):
            parties.add(lc.DISPATCHER)
    if principal.has("handler") and principal.department_id is not None \
            and principal.department_id == issue.department_id:
        parties.add(lc.HANDLER)
    if principal.has("firm") and principal.firm_id == issue.firm_id:
        parties.add(lc.FIRM)
    return parties


def _unit_chain(unit_id: int) -> list[int]:
    """The unit and its parents, nearest first."""
    unit = db.session.get(OrgUnit, unit_id)
    return [int(x) for x in unit.path.strip("/").split("/")][::-1]


def _may_dispatch_to(issue: Issue, department: Department) -> bool:
    """A department of the issue's unit, of a unit above it (a county issue may go to a city
    bureau) or of a unit inside it (a park's office). Never a neighbouring unit's, even for an
    admin or a city manager who can see both: county B's bureau cannot act in county A."""
    if department.org_unit_id in _unit_chain(issue.org_unit_id):
        return True
    unit = db.session.get(OrgUnit, department.org_unit_id)
    return unit.path.startswith(db.session.get(OrgUnit, issue.org_unit_id).path)


def _joined(*texts: str | None) -> str | None:
    """Texts of one step kept together (the action's own note and the caller's internal
    text), one per line."""
    return "\n".join(t for t in texts if t) or None


def _required(data: dict, *names: str) -> None:
    missing = {n: ["Required for this action."] for n in names if data.get(n) in (None, "")}
    if missing:
        raise Problem.invalid(errors=missing)


def _category(issue: Issue) -> IssueCategory:
    return db.session.get(IssueCategory, issue.category)


def _start_resolution(issue: Issue, at: datetime, role: str) -> None:
    cat = _category(issue)
    issue.resolve_due_at, gap = _deadline(at, cat.resolve_days,
                                          cat.resolve_hours if issue.urgent else None)
    if gap:
        _event(issue, "deadline_pending", issue.state, "system", None, internal_text=gap,
               deadline="resolution")


def _resolution_deadline(issue: Issue) -> datetime | None:
    """The resolution deadline as the events tell it: from when the running clock started (the
    last accept or reopen), pushed back by the working time of each suspension since then that
    has ended (a running one is added on resumption). None while the calendar lacks a day."""
    starts = [n for n, e in enumerate(issue.events) if e.action in ("accept", "reopen")]
    if not starts:
        return None
    since = issue.events[starts[-1]:]
    cat = _category(issue)
    due, _ = _deadline(since[0].at, cat.resolve_days,
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


def _reopen_window_open(issue: Issue, at: datetime) -> bool:
    """Whether ``at`` lies within the reopen window after the resolution. Where the calendar
    lacks a year the window reaches into, the window is open until its earliest possible end;
    after that nobody can tell, and guessing either way would be wrong: 409 until an admin
    enters the year."""
    days = current_app.config["ISSUE_REOPEN_WINDOW_DAYS"]
    try:
        return at <= calendar().deadline_in_days(issue.resolved_at, days)
    except CalendarGap as gap:
        if at <= calendar().earliest_deadline_in_days(issue.resolved_at, days):
            return True
        raise Problem(409, f"Cannot tell whether the reopen window is still open: {gap}.",
                      slug="calendar-gap") from None


def _reopen(issue: Issue, rule: lc.Action, at: datetime, role: str) -> lc.Action:
    """Send a resolved or closed issue back to its department (or to dispatch when it has
    none) with a new resolution deadline; the rule with the state it goes to."""
    issue.reopen_count += 1
    issue.resolved_at = issue.closed_at = None
    issue.overdue = False
    _start_resolution(issue, at, role)
    to_state = "in_progress" if issue.department_id is not None else "accepted"
    return lc.Action(rule.parties, rule.from_states, to_state)


def act(principal: Principal, issue_id: int, data: dict) -> Issue:
    """Apply one action (``POST /issues/{id}/actions``)."""
    # On PostgreSQL the row stays locked until commit: two people acting at once take turns and
    # the second sees the state the first left (a double dispatch becomes a 409). On SQLite the
    # read comes before the write transaction; there the version check turns the second write
    # into a StaleDataError, also a 409.
    issue = db.session.scalar(scope.scoped(Issue, principal).where(Issue.id == issue_id)
                              .with_for_update(of=Issue))
    if issue is None:
        raise scope.not_found(Issue, issue_id)
    action = data["action"]
    parties = parties_of(principal, issue)
    rule = lc.ACTIONS[action]
    allowed = lc.allowed(parties, issue.state)
    if not lc.may_ever(parties, action):
        raise Problem(403, f"You may not {action} this issue.", slug="forbidden",
                      allowed_actions=allowed)
    if issue.state not in rule.from_states:
        raise Problem(409, f"An issue that is {issue.state} cannot be {action}ed here; "
                           f"allowed now: {', '.join(allowed) or 'none'}.",
                      slug="illegal-transition", state=issue.state, allowed_actions=allowed)
    role = next(p for p in (lc.DISPATCHER, lc.HANDLER, lc.FIRM)
                if p in parties and p in rule.parties)
    at = clock.now()
    before = issue.state
    text, internal = data.get("text"), data.get("internal_text")
    extra: dict = {}
    if action == "accept":
        issue.accepted_at, issue.overdue = at, False
        _start_resolution(issue, at, role)
    elif action == "reject":
        _required(data, "text")
        issue.closed_at = at
    elif action == "merge":
        _required(data, "into_id")
        master = db.session.scalar(scope.scoped(Issue, principal).where(
            Issue.id == data["into_id"]))
        if master is None or master.id == issue.id or master.state not in lc.OPEN_STATES:
            raise Problem.invalid("into_id", "Merge into another open issue in your scope.")
        issue.merged_into_id, issue.closed_at = master.id, at
        extra["into"] = master.tracking_no
        text = text or f"与诉求 {master.tracking_no} 合并办理"
    elif action == "dispatch":
        _required(data, "department_id")
        department = db.session.get(Department, data["department_id"])
        if department is None or not _may_dispatch_to(issue, department):
            raise Problem.invalid("department_id", "Dispatch to a department of the issue's unit, "
                                            "of a unit above it or of a unit inside it.")
        issue.department_id = department.id
    elif action == "return":
        _required(data, "text")
        internal, text = _joined(f"退单：{text}", internal), None
        issue.department_id = None
    elif action == "request_suspension":
        _required(data, "text")
        internal, text = _joined(text, internal), None
    elif action == "suspend":
        _required(data, "text")
        issue.suspended_at = at
    elif action == "resume":
        if issue.resolve_due_at is not None and issue.suspended_at is not None:
            try:
                paused = calendar().working_seconds(issue.suspended_at, at)
                issue.resolve_due_at = calendar().add_working_seconds(issue.resolve_due_at,
                                                                      paused)
            except CalendarGap as gap:
                # The job derives it from the events once an admin enters the year.
                issue.resolve_due_at = None
                _event(issue, "deadline_pending", issue.state, "system", None, at=at,
                       internal_text=str(gap), deadline="resolution")
        issue.suspended_at = None
        # The pushed-back deadline may lie ahead again; the job flags it anew if it passes.
        if issue.resolve_due_at is not None and issue.resolve_due_at > at:
            issue.overdue = False
    elif action == "resolve":
        _required(data, "reply", "result_code")
        issue.reply, issue.result_code, issue.resolved_at = data["reply"], data[
            "result_code"], at
        text = data["reply"]
    elif action == "rate":
        if issue.resolution_rated:
            raise Problem(409, "This resolution has been rated already.", slug="already-rated",
                          allowed_actions=[a for a in allowed if a != "rate"])
        _required(data, "rating")
        good = data["rating"] in GOOD_RATINGS
        # Asked before anything changes: the window may be unknowable (409 calendar-gap).
        rework = not good and _reopen_window_open(issue, at)
        issue.rating, issue.rating_comment, issue.rated_at = data["rating"], data.get(
            "comment"), at
        issue.callback_due = not good
        if good and issue.state == "resolved":
            issue.state, issue.closed_at = "closed", at
        text = data.get("comment")
        extra["rating"] = data["rating"]
        if rework:
            # A bad rating inside the window sends the issue back to be handled again.
            _event(issue, "rate", before, role, principal.user_id, public_text=text, at=at,
                   **extra)
            before, role, text, extra = issue.state, "system", "评价不满意，重新办理", {}
            rule = _reopen(issue, rule, at, role)
            action = "reopen"
    elif action == "confirm":
        issue.closed_at = at
    elif action == "reopen":
        _required(data, "text")
        if not _reopen_window_open(issue, at):
            raise Problem(409, "The window for reopening this issue has closed.",
                          slug="reopen-window-closed", allowed_actions=[
                              a for a in allowed if a != "reopen"])
        rule = _reopen(issue, rule, at, role)
    elif action == "close":
        issue.closed_at = at
    elif action == "callback":
        _required(data, "text")
        internal, text = _joined(text, internal), None
        issue.callback_due = False
    elif action == "supervise":
        _required(data, "level")
        if data["level"] < issue.supervision_level:
            raise Problem.invalid("level", f"Supervision is at level {issue.supervision_level} "
                                    "already; it is only raised.")
        issue.supervision_level = data["level"]
        extra["level"] = data["level"]
    if rule.to_state is not None:
        issue.state = rule.to_state
    _event(issue, action, before, role, principal.user_id, public_text=text,
           internal_text=internal, at=at, **extra)
    db.session.commit()
    return issue


# --- the scheduled job -------------------------------------------------------------------------

TICK_BATCH = 200
log = logging.getLogger(__name__)


def tick(at: datetime | None = None) -> dict:
    """Fill deadlines the calendar can now compute, flag overdue issues and raise supervision,
    close resolved issues whose resolution is unrated; each flag and closure is an event.
    Returns what changed.

    Batches of ``TICK_BATCH`` issues, one transaction each, so row locks are held briefly. If
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
    for i in range(0, len(ids), TICK_BATCH):
        batch = ids[i:i + TICK_BATCH]
        for _ in range(3):
            try:
                done = _tick(batch, at)
                break
            except StaleDataError:
                db.session.rollback()
        else:
            log.warning("issues %s..%s changed under the job three times; next run", batch[0],
                        batch[-1])
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
        cat = _category(issue)
        if issue.response_due_at is None:
            issue.response_due_at, _ = _deadline(issue.created_at, cat.response_days,
                                                 cat.response_hours if issue.urgent else None)
            counts["deadlines"] += issue.response_due_at is not None
        if issue.state in RESOLUTION_STATES and issue.resolve_due_at is None:
            issue.resolve_due_at = _resolution_deadline(issue)
            counts["deadlines"] += issue.resolve_due_at is not None
        due = issue.response_due_at if issue.state == "submitted" else (
            issue.resolve_due_at if issue.state in lc.WORKING_STATES else None)
        if due is not None and due < at:
            if not issue.overdue:
                issue.overdue = True
                _event(issue, "overdue", issue.state, "system", None, due=due.isoformat())
                counts["overdue"] += 1
            try:
                late = cal.working_days(due, at)
            except CalendarGap:
                late = 0
            level = 2 if late >= cfg["ISSUE_SUPERVISE_AFTER_DAYS"] else 1
            if level > issue.supervision_level:
                issue.supervision_level = level
                _event(issue, "supervise", issue.state, "system", None, level=level)
                counts["supervised"] += 1
        if issue.state == "resolved" and not issue.resolution_rated:
            try:
                limit = cal.deadline_in_days(issue.resolved_at, cfg["ISSUE_AUTO_CLOSE_DAYS"])
            except CalendarGap:
                continue
            if at >= limit:
                issue.state, issue.closed_at = "closed", at
                _event(issue, "auto_close", "resolved", "system", None)
                counts["auto_closed"] += 1
    db.session.commit()
    return counts


# --- what the firm sees ------------------------------------------------------------------------

def _department_names(ids) -> dict[int, str]:
    ids = set(ids) - {None}
    return {i: n for i, n in db.session.execute(select(Department.id, Department.name).where(
        Department.id.in_(ids)))} if ids else {}


def _public_events(issue: Issue, names: dict, of: str | None = None,
                   texts: bool = True) -> list[dict]:
    """The firm-facing events; ``texts`` False leaves only labels (another firm's issue)."""
    out = []
    for e in issue.events:
        if not e.public:
            continue
        department = names.get(e.department_id)
        label = lc.ACTION_LABELS.get(e.action, e.action).format(department=department or "")
        if e.action == "merge" and e.data.get("into"):
            label = f"已合并至诉求 {e.data['into']}"
        out.append({"at": e.at, "action": e.action, "label": label, "state": e.to_state,
                    "state_label": lc.STATE_LABELS[e.to_state], "actor_role": e.actor_role,
                    "department": department, "text": e.public_text if texts else None,
                    **({"tracking_no": of} if of else {})})
    return out


def timeline(issue: Issue) -> dict:
    """The parcel-tracking view: public events with firm-facing labels, who holds the issue
    now, its deadline and what happens next. No staff identity, no internal text, and no text
    of a master issue that belongs to another firm."""
    master = db.session.get(Issue, issue.merged_into_id) if issue.merged_into_id else None
    names = _department_names([e.department_id for e in issue.events] + [issue.department_id] +
                              ([e.department_id for e in master.events] + [
                                  master.department_id] if master else []))
    events = _public_events(issue, names)
    shown = master or issue
    if master is not None:
        # A master of another firm (several firms reporting one outage) shows its steps, not
        # its words: its title, replies, reasons and rating comment are that firm's business.
        events += _public_events(master, names, of=master.tracking_no,
                                 texts=master.firm_id == issue.firm_id)
    events.sort(key=lambda e: e["at"])
    department = names.get(shown.department_id)
    deadline = shown.response_due_at if shown.state == "submitted" else (
        shown.resolve_due_at if shown.state in (*lc.WORKING_STATES, "suspended") else None)
    return {
        "tracking_no": issue.tracking_no, "title": issue.title,
        "category": issue.category, "category_name": _category(issue).name,
        "state": issue.state, "state_label": lc.STATE_LABELS[issue.state],
        "followed_state": shown.state, "followed_state_label": lc.STATE_LABELS[shown.state],
        "department": department, "deadline": deadline, "overdue": shown.overdue,
        "supervision_level": shown.supervision_level,
        "next_step": lc.NEXT_STEPS[shown.state].format(department=department or "承办部门"),
        "rating": issue.rating, "events": events, **outcome(issue),
    }


# How an issue ended, kept apart on the firm's page: fixed, or closed without a fix.
OUTCOME_LABELS = {"resolved": "已解决", "explained": "已答复说明",
                  "not_our_duty": "未解决：不属于受理范围", "rejected": "未解决：不予受理",
                  "merged": "已与其他诉求合并办理"}


def outcome(issue: Issue) -> dict:
    """``outcome``: None while open; ``resolved`` or ``explained`` (a reply the firm accepted
    or can rate) when handled; ``not_our_duty``, ``rejected`` or ``merged`` when it ended without
    a fix. ``fixed`` is True, False or None accordingly."""
    if issue.state == "rejected":
        code = "rejected"
    elif issue.state == "merged":
        code = "merged"
    elif issue.state in ("resolved", "closed") and issue.result_code:
        code = "resolved" if issue.result_code == "solved" else issue.result_code
    else:
        return {"outcome": None, "outcome_label": None, "fixed": None}
    return {"outcome": code, "outcome_label": OUTCOME_LABELS[code],
            "fixed": code in ("resolved", "explained")}


def track(principal: Principal, tracking_no: str) -> dict:
    """``GET /track/{tracking_no}``: the timeline of an issue the caller may see; any other
    number (another firm's included) reads as 404."""
    issue = db.session.scalar(scope.scoped(Issue, principal).where(
        Issue.tracking_no == tracking_no))
    if issue is None:
        raise Problem(404, f"No issue {tracking_no} here.", slug="not-found")
    return timeline(issue)


NO_MATCH = "No issue matches this tracking number and check code."


def track_public(tracking_no: str, code: str) -> dict:
    """``POST /track``: the timeline for whoever holds the number and its check code. A wrong
    number, a wrong code and a malformed one all get the same 404 (``NO_MATCH``), and the
    code is computed either way so the answer takes the same time."""
    number = tracking_no.strip().upper()
    issue = db.session.scalar(select(Issue).where(Issue.tracking_no == number))
    good = checkcode.matches(number, code)
    if issue is None or not good:
        raise Problem(404, NO_MATCH, slug="not-found")
    return timeline(issue)


def suggested_departments(issue: Issue) -> list[int]:
    """Departments handling the issue's category, nearest unit first (the issue's own unit,
    then its parents)."""
    chain = _unit_chain(issue.org_unit_id)
    rows = db.session.execute(select(Department.id, Department.org_unit_id).join(
        department_categories, department_categories.c.department_id == Department.id).where(
        department_categories.c.category == issue.category,
        Department.org_unit_id.in_(chain))).all()
    return [d for d, u in sorted(rows, key=lambda r: (chain.index(r[1]), r[0]))]


def issue_query(principal: Principal, filters: dict):
    """``GET /issues`` filters, in scope."""
    stmt = scope.scoped(Issue, principal)
    for name in ("state", "department_id", "category", "firm_id"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(Issue, name) == filters[name])
    if filters.get("org_unit_id") is not None:
        unit = db.session.get(OrgUnit, filters["org_unit_id"])
        if unit is None:
            raise Problem.invalid("org_unit_id", "No such org unit.")
        stmt = stmt.where(Issue.org_unit_id.in_(scope.unit_ids_under(unit.path)))
    if filters.get("overdue") is not None:
        stmt = stmt.where(Issue.overdue.is_(filters["overdue"]))
    if filters.get("supervised") is not None:
        stmt = stmt.where((Issue.supervision_level > 0) == filters["supervised"])
    if filters.get("period") is not None:
        period = filters["period"]
        stmt = stmt.where(Issue.created_at >= period.starts_at,
                          Issue.created_at < period.ends_at)
    return stmt
