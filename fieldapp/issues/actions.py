"""The closed loop: one handler per action of ``lifecycle.ACTIONS``, and ``act`` that checks who
may take it from where, runs its handler and records the step."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app

from fieldapp import clock, scope
from fieldapp.auth.principal import Principal
from fieldapp.errors import Problem
from fieldapp.extensions import db
from fieldapp.issues import lifecycle as lc
from fieldapp.issues.service import (
    add_event,
    calendar,
    parties_of,
    start_resolution,
    unit_chain,
)
from fieldapp.issues.workdays import CalendarGap
from models import GOOD_RATINGS, Department, Issue, OrgUnit


@dataclass
class Step:
    """One action under way: what its handler reads, and may change before the event is
    written (``text`` public, ``internal`` staff-only, ``extra`` the event's data; a rating
    that reopens the issue turns ``action`` and ``rule`` into a reopen)."""

    issue: Issue
    data: dict
    principal: Principal
    action: str
    rule: lc.Action
    allowed: list[str]
    role: str
    at: datetime
    before: str
    text: str | None
    internal: str | None
    extra: dict = field(default_factory=dict)


HANDLERS: dict[str, Callable[[Step], None]] = {}


def handles(action: str):
    """Register the decorated function as the handler of ``action``."""
    def register(handler):
        HANDLERS[action] = handler
        return handler
    return register


def _may_dispatch_to(issue: Issue, department: Department) -> bool:
    """A department of the issue's unit, of a unit above it (a county issue may go to a city
    bureau) or of a unit inside it (a park's office). Never a neighbouring unit's, even for an
    admin or a city manager who can see both: county B's bureau cannot act in county A."""
    if department.org_unit_id in unit_chain(issue.org_unit_id):
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
    start_resolution(issue, at, role)
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
    step = Step(issue, data, principal, action, rule, allowed, role, at=clock.now(),
                before=issue.state, text=data.get("text"), internal=data.get("internal_text"))
    HANDLERS[action](step)
    if step.rule.to_state is not None:
        issue.state = step.rule.to_state
    add_event(issue, step.action, step.before, step.role, principal.user_id,
              public_text=step.text, internal_text=step.internal, at=step.at, **step.extra)
    db.session.commit()
    return issue


# --- the handlers, in the order of lifecycle.ACTIONS --------------------------------------------

@handles("accept")
def _accept(s: Step) -> None:
    """Dispatch takes the issue on: the response clock stops, the resolution clock starts."""
    s.issue.accepted_at, s.issue.overdue = s.at, False
    start_resolution(s.issue, s.at, s.role)


@handles("reject")
def _reject(s: Step) -> None:
    """Not ours to handle (不予受理): ends here, with the reason."""
    _required(s.data, "text")
    s.issue.closed_at = s.at


@handles("merge")
def _merge(s: Step) -> None:
    """Fold into another open issue in scope (the same outage reported twice)."""
    _required(s.data, "into_id")
    master = db.session.scalar(scope.scoped(Issue, s.principal).where(
        Issue.id == s.data["into_id"]))
    if master is None or master.id == s.issue.id or master.state not in lc.OPEN_STATES:
        raise Problem.invalid("into_id", "Merge into another open issue in your scope.")
    s.issue.merged_into_id, s.issue.closed_at = master.id, s.at
    s.extra["into"] = master.tracking_no
    s.text = s.text or f"与诉求 {master.tracking_no} 合并办理"


@handles("dispatch")
def _dispatch(s: Step) -> None:
    """Send to a department of the issue's unit, above it or inside it."""
    _required(s.data, "department_id")
    department = db.session.get(Department, s.data["department_id"])
    if department is None or not _may_dispatch_to(s.issue, department):
        raise Problem.invalid("department_id", "Dispatch to a department of the issue's unit, "
                                               "of a unit above it or of a unit inside it.")
    s.issue.department_id = department.id


@handles("return")
def _return(s: Step) -> None:
    """The department hands it back to dispatch (退单), saying why (staff-only)."""
    _required(s.data, "text")
    s.internal, s.text = _joined(f"退单：{s.text}", s.internal), None
    s.issue.department_id = None


@handles("sign")
def _sign(s: Step) -> None:
    """The department takes the issue on: the change of state is all."""


@handles("request_suspension")
def _request_suspension(s: Step) -> None:
    """The department asks dispatch to pause the clock (staff-only text)."""
    _required(s.data, "text")
    s.internal, s.text = _joined(s.text, s.internal), None


@handles("suspend")
def _suspend(s: Step) -> None:
    """Dispatch pauses the resolution clock."""
    _required(s.data, "text")
    s.issue.suspended_at = s.at


@handles("resume")
def _resume(s: Step) -> None:
    """The clock runs again; the paused working time moves the deadline back."""
    issue, at = s.issue, s.at
    if issue.resolve_due_at is not None and issue.suspended_at is not None:
        try:
            paused = calendar().working_seconds(issue.suspended_at, at)
            issue.resolve_due_at = calendar().add_working_seconds(issue.resolve_due_at, paused)
        except CalendarGap as gap:
            # The job derives it from the events once an admin enters the year.
            issue.resolve_due_at = None
            add_event(issue, "deadline_pending", issue.state, "system", None, at=at,
                      internal_text=str(gap), deadline="resolution")
    issue.suspended_at = None
    # The pushed-back deadline may lie ahead again; the job flags it anew if it passes.
    if issue.resolve_due_at is not None and issue.resolve_due_at > at:
        issue.overdue = False


@handles("resolve")
def _resolve(s: Step) -> None:
    """The department's reply and result code; the firm may now rate it."""
    _required(s.data, "reply", "result_code")
    s.issue.reply, s.issue.result_code, s.issue.resolved_at = s.data["reply"], s.data[
        "result_code"], s.at
    s.text = s.data["reply"]


@handles("rate")
def _rate(s: Step) -> None:
    """The firm rates the resolution: good closes it, bad opens a call-back and, inside the
    window, sends it back to be handled again."""
    issue, at = s.issue, s.at
    if issue.resolution_rated:
        raise Problem(409, "This resolution has been rated already.", slug="already-rated",
                      allowed_actions=[a for a in s.allowed if a != "rate"])
    _required(s.data, "rating")
    good = s.data["rating"] in GOOD_RATINGS
    # Asked before anything changes: the window may be unknowable (409 calendar-gap).
    rework = not good and _reopen_window_open(issue, at)
    issue.rating, issue.rating_comment, issue.rated_at = s.data["rating"], s.data.get(
        "comment"), at
    issue.callback_due = not good
    if good and issue.state == "resolved":
        issue.state, issue.closed_at = "closed", at
    s.text = s.data.get("comment")
    s.extra["rating"] = s.data["rating"]
    if rework:
        # A bad rating inside the window sends the issue back to be handled again.
        add_event(issue, "rate", s.before, s.role, s.principal.user_id, public_text=s.text,
                  at=at, **s.extra)
        s.before, s.role, s.text, s.extra = issue.state, "system", "评价不满意，重新办理", {}
        s.rule = _reopen(issue, s.rule, at, s.role)
        s.action = "reopen"


@handles("confirm")
def _confirm(s: Step) -> None:
    """The firm confirms the resolution without rating it."""
    s.issue.closed_at = s.at


@handles("reopen")
def _reopen_action(s: Step) -> None:
    """Back to the department within the reopen window, with a new deadline."""
    _required(s.data, "text")
    if not _reopen_window_open(s.issue, s.at):
        raise Problem(409, "The window for reopening this issue has closed.",
                      slug="reopen-window-closed", allowed_actions=[
                          a for a in s.allowed if a != "reopen"])
    s.rule = _reopen(s.issue, s.rule, s.at, s.role)


@handles("close")
def _close(s: Step) -> None:
    """Dispatch closes a resolved issue."""
    s.issue.closed_at = s.at


@handles("callback")
def _callback(s: Step) -> None:
    """Dispatch has called the firm back after a bad rating (staff-only text)."""
    _required(s.data, "text")
    s.internal, s.text = _joined(s.text, s.internal), None
    s.issue.callback_due = False


@handles("supervise")
def _supervise(s: Step) -> None:
    """Raise the supervision level (督办); it never goes down."""
    _required(s.data, "level")
    if s.data["level"] < s.issue.supervision_level:
        raise Problem.invalid("level", f"Supervision is at level {s.issue.supervision_level} "
                                       "already; it is only raised.")
    s.issue.supervision_level = s.data["level"]
    s.extra["level"] = s.data["level"]


assert HANDLERS.keys() == lc.ACTIONS.keys(), "every action of the lifecycle needs a handler"
