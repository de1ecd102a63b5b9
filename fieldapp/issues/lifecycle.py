"""The issue state machine: which party may take which action from which state. Pure data.

Parties are relative to one issue (``fieldapp.issues.service.parties_of``):

- ``dispatcher``: an admin, or a manager whose subtree holds the issue;
- ``handler``: staff of the department the issue is dispatched to now;
- ``firm``: a user of the firm the issue concerns.

``ACTIONS[name] = (parties, from_states, to_state)``; ``to_state`` None keeps the state. Each
action's handler (what it changes besides the state) is in ``issues.actions``. An
action the caller's parties may never take is 403; one they may take, but not from the issue's
state, is 409, and both answers list what the caller may do now.
"""

from dataclasses import dataclass

DISPATCHER, HANDLER, FIRM = "dispatcher", "handler", "firm"
OPEN_STATES = ("submitted", "accepted", "dispatched", "in_progress", "suspended")
WORKING_STATES = ("accepted", "dispatched", "in_progress")


@dataclass(frozen=True)
class Action:
    parties: frozenset[str]
    from_states: frozenset[str]
    to_state: str | None


def _a(parties, states, to):
    return Action(frozenset(parties), frozenset(states), to)


ACTIONS: dict[str, Action] = {
    "accept": _a({DISPATCHER}, {"submitted"}, "accepted"),
    "reject": _a({DISPATCHER}, {"submitted"}, "rejected"),
    "merge": _a({DISPATCHER}, {"submitted", "accepted"}, "merged"),
    "dispatch": _a({DISPATCHER}, {"accepted"}, "dispatched"),
    "return": _a({HANDLER}, {"dispatched"}, "accepted"),
    "sign": _a({HANDLER}, {"dispatched"}, "in_progress"),
    "request_suspension": _a({HANDLER}, {"in_progress"}, None),
    "suspend": _a({DISPATCHER}, {"in_progress"}, "suspended"),
    "resume": _a({DISPATCHER, HANDLER}, {"suspended"}, "in_progress"),
    "resolve": _a({HANDLER}, {"in_progress"}, "resolved"),
    "rate": _a({FIRM}, {"resolved", "closed"}, None),
    "confirm": _a({FIRM}, {"resolved"}, "closed"),
    "reopen": _a({FIRM, DISPATCHER}, {"resolved", "closed"}, "in_progress"),
    "close": _a({DISPATCHER}, {"resolved"}, "closed"),
    "callback": _a({DISPATCHER}, {"resolved", "closed"}, None),
    "supervise": _a({DISPATCHER}, {"accepted", "dispatched", "in_progress", "suspended"}, None),
}


def allowed(parties: set[str], state: str) -> list[str]:
    """The actions these parties may take from ``state``."""
    return sorted(name for name, a in ACTIONS.items()
                  if a.parties & parties and state in a.from_states)


def may_ever(parties: set[str], action: str) -> bool:
    """True when one of ``parties`` may take ``action`` from some state."""
    return bool(ACTIONS[action].parties & parties)


# Firm-facing words (the parcel-tracking page).
STATE_LABELS = {
    "submitted": "已提交", "accepted": "已受理", "dispatched": "已转办", "in_progress": "办理中",
    "suspended": "暂停办理", "resolved": "已办结，待评价", "closed": "已完结",
    "rejected": "不予受理", "merged": "已合并办理",
}
ACTION_LABELS = {
    "submit": "已提交", "accept": "已受理", "reject": "不予受理", "merge": "已合并办理",
    "dispatch": "已转办至{department}", "return": "正在重新分派",
    "sign": "{department}已签收，办理中",
    "suspend": "暂停办理", "resume": "恢复办理", "resolve": "已办结", "rate": "已评价",
    "confirm": "已确认办结", "reopen": "重新办理", "close": "已完结", "callback": "已回访",
    "supervise": "已督办", "overdue": "已超期，正在督办", "auto_close": "逾期未评价，自动办结",
}
NEXT_STEPS = {
    "submitted": "等待受理", "accepted": "等待转办至承办部门",
    "dispatched": "等待{department}签收", "in_progress": "{department}办理中",
    "suspended": "暂停办理，恢复后继续计时", "resolved": "请对办理结果进行评价",
    "closed": "已完结；如不满意，可在期限内申请重办", "rejected": "已结束",
    "merged": "与同类诉求合并办理，进展见合并后的诉求",
}
# Events the firm never sees (staff-only steps).
INTERNAL_ACTIONS = frozenset({"request_suspension", "deadline_pending"})
