"""Issues (诉求): raising them, their deadlines and who plays which part in them. The closed loop
of actions is ``issues.actions``, the scheduled job ``issues.job``, the firm's view
``issues.timeline``.

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

from datetime import datetime

from flask import current_app, g
from sqlalchemy import select

from fieldapp import clock, scope
from fieldapp.auth.principal import Principal
from fieldapp.errors import Problem
from fieldapp.extensions import db
from fieldapp.issues import lifecycle as lc
from fieldapp.issues.workdays import CalendarGap, WorkCalendar
from models import (
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

STAFF_SOURCES = ("manager", "hotline", "letter", "symposium")


def calendar() -> WorkCalendar:
    """China's calendar with the admins' days, loaded once per request."""
    if "work_calendar" not in g:
        g.work_calendar = WorkCalendar(
            {d.day: d.workday for d in db.session.scalars(select(CalendarDay))},
            set(db.session.scalars(select(CalendarYear.year))))
    return g.work_calendar


def deadline_from(start: datetime, days: int,
                  hours: int | None) -> tuple[datetime | None, str | None]:
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


def add_event(issue: Issue, action: str, from_state: str | None, actor_role: str,
              actor_id: int | None, *, public_text: str | None = None,
              internal_text: str | None = None, public: bool = True,
              at: datetime | None = None, **data) -> IssueEvent:
    """Append one step to the issue's history (internal actions never public)."""
    # ``at``: the moment the action took effect, so that a deadline derived from the events
    # later (``job.resolution_deadline``) starts exactly where the live one did.
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
    issue.response_due_at, gap = deadline_from(at, cat.response_days,
                                           cat.response_hours if urgent else None)
    add_event(issue, "submit", None, actor_role, actor_id, public_text=title)
    if gap:
        add_event(issue, "deadline_pending", "submitted", "system", None, internal_text=gap,
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




# --- parties and deadlines ----------------------------------------------------------------------

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


def unit_chain(unit_id: int) -> list[int]:
    """The unit and its parents, nearest first."""
    unit = db.session.get(OrgUnit, unit_id)
    return [int(x) for x in unit.path.strip("/").split("/")][::-1]


def category_of(issue: Issue) -> IssueCategory:
    """The issue's category row (its SLA)."""
    return db.session.get(IssueCategory, issue.category)


def start_resolution(issue: Issue, at: datetime, role: str) -> None:
    """Start the resolution clock at ``at`` (accept, reopen)."""
    cat = category_of(issue)
    issue.resolve_due_at, gap = deadline_from(at, cat.resolve_days,
                                          cat.resolve_hours if issue.urgent else None)
    if gap:
        add_event(issue, "deadline_pending", issue.state, "system", None, internal_text=gap,
               deadline="resolution")


def suggested_departments(issue: Issue) -> list[int]:
    """Departments handling the issue's category, nearest unit first (the issue's own unit,
    then its parents)."""
    chain = unit_chain(issue.org_unit_id)
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
