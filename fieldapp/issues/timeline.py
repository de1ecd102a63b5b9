"""What the firm sees of an issue: the parcel-tracking timeline (public steps in firm-facing
words, no staff identity, no internal text) and how it ended."""

from sqlalchemy import select

from fieldapp import scope
from fieldapp.auth.principal import Principal
from fieldapp.errors import Problem
from fieldapp.extensions import db
from fieldapp.issues import checkcode
from fieldapp.issues import lifecycle as lc
from fieldapp.issues.service import category_of
from models import Department, Issue


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
        "category": issue.category, "category_name": category_of(issue).name,
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
        raise Problem.not_found(f"No issue {tracking_no} here.")
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
        raise Problem.not_found(NO_MATCH)
    return timeline(issue)
