"""Issues (诉求): the closed loop, working-day deadlines, the firm's timeline and its privacy,
ratings and the scheduled job, on both databases, through the API."""

import random
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, select, update

from fieldapp import clock
from fieldapp.demo_registry import make_uscc
from fieldapp.extensions import db
from fieldapp.issues import lifecycle, service
from models import Department, Firm, Issue, IssueEvent, department_categories
from models.database import engine_options

ISSUES = "/api/v1/issues"
CST = ZoneInfo("Asia/Shanghai")
# Staff with names and ids nothing else in a response could contain, so that a test can tell
# whether any of them reaches the firm (username: display name, id).
STAFF = {"admin": ("管理员周衡", 73101), "a_manager": ("受理员张立新", 73102),
         "b_manager": ("泾阳刘敏", 73103), "handler": ("办事员陈静怡", 73104),
         "power_handler": ("电力王建国", 73105), "c1": ("专员赵晓东", 73106)}


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=CST)


def end_of(day: str) -> datetime:
    return at(day, 0) + timedelta(days=1)


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Scene:
    def __init__(self, world, client, login, monkeypatch):
        self.client, self._login, self.tokens = client, login, {}
        self.clock = [at("2026-02-13", 16)]
        monkeypatch.setattr(clock, "now", lambda: self.clock[0])
        rng = random.Random(5)
        w = world
        self.firms = []
        for unit, name in ((w.county_a, "秦川机械"), (w.county_a, "园区电子"),
                           (w.county_b, "泾阳食品")):
            firm = Firm(uscc=make_uscc(rng, "610402"), name=name, org_unit_id=unit.id)
            db.session.add(firm)
            self.firms.append(firm)
        self.power = Department(name="供电公司", org_unit_id=w.county_a.id)
        self.land = Department(name="自然资源局", org_unit_id=w.city.id)
        self.b_dept = Department(name="泾阳住建局", org_unit_id=w.county_b.id)
        db.session.add_all([self.power, self.land, self.b_dept])
        db.session.flush()
        db.session.execute(department_categories.insert(), [
            {"department_id": self.power.id, "category": "power"},
            {"department_id": self.land.id, "category": "land"},
            {"department_id": self.land.id, "category": "power"}])
        db.session.commit()
        for name, roles, unit, extra in (
                ("admin", ["admin"], w.city, {}), ("a_manager", ["manager"], w.county_a, {}),
                ("b_manager", ["manager"], w.county_b, {}),
                ("handler", ["handler"], w.county_a, {"department_id": self.land.id}),
                ("power_handler", ["handler"], w.county_a, {"department_id": self.power.id}),
                ("c1", ["commissioner"], w.county_a, {}),
                ("firm1", ["firm"], w.county_a, {"firm_id": self.firms[0].id}),
                ("firm2", ["firm"], w.county_a, {"firm_id": self.firms[1].id})):
            display_name, user_id = STAFF.get(name, (None, None))
            user = w.user(name, roles, unit, **extra, **({"id": user_id} if user_id else {}))
            if display_name:
                user.display_name = display_name
                db.session.commit()

    def h(self, user):
        if user not in self.tokens:
            self.tokens[user] = self._login(user)
        return self.tokens[user]

    def raise_(self, user="firm1", firm=0, category="land", **extra):
        resp = self.client.post(ISSUES, json={"firm_id": self.firms[firm].id,
                                              "category": category, "title": "厂房用地手续",
                                              "description": "用地审批迟迟未批", **extra},
                                headers=self.h(user))
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()

    def do(self, issue, action, user, status=200, **body):
        resp = self.client.post(f"{ISSUES}/{issue['id']}/actions",
                                json={"action": action, **body}, headers=self.h(user))
        assert resp.status_code == status, resp.get_json()
        return resp.get_json()

    def get(self, path, user, status=200):
        resp = self.client.get(path, headers=self.h(user))
        assert resp.status_code == status, resp.get_json()
        return resp.get_json()

    def handle(self, issue, department="land", handler="handler", reply="已办理"):
        """Accept, dispatch, sign and resolve."""
        self.do(issue, "accept", "a_manager")
        self.do(issue, "dispatch", "a_manager", department_id=getattr(self, department).id)
        self.do(issue, "sign", handler)
        self.do(issue, "resolve", handler, reply=reply, result_code="solved")

    def open311_key(self, user="a_manager"):
        """An Open311 client key acting as ``user``."""
        out = self.client.application.test_cli_runner().invoke(
            args=["open311", "add-client", "12345热线", "--user", user])
        assert out.exit_code == 0, out.output
        return out.output.strip()

    def declare(self, year):
        """An admin declares the year's arrangement entered (its days: Monday–Friday)."""
        resp = self.client.put(f"/api/v1/calendar/years/{year}", json={},
                               headers=self.h("admin"))
        assert resp.status_code == 200, resp.get_json()


@pytest.fixture
def scene(world, client, login, monkeypatch):
    return Scene(world, client, login, monkeypatch)


def test_the_closed_loop_with_deadlines_across_the_2026_spring_festival(scene):
    s = scene
    issue = s.raise_()
    assert issue["tracking_no"] == "XY-2026-000001"
    assert issue["state"] == "submitted" and issue["state_label"] == "已提交"
    assert issue["next_step"] == "等待受理"
    # Land: response in 2 working days from Fri 13 Feb: Sat 14 (调休), then Tue 24 Feb.
    assert when(issue["deadline"]) == end_of("2026-02-24")
    assert s.raise_()["tracking_no"] == "XY-2026-000002"

    s.clock[0] = at("2026-02-24", 9)
    staff = s.do(issue, "accept", "a_manager")
    # Resolution: 20 working days from Tue 24 Feb, Sat 28 Feb (调休) among them → Mon 23 Mar.
    assert when(staff["resolve_due_at"]) == end_of("2026-03-23")
    assert staff["suggested_department_ids"] == [s.land.id]
    assert staff["allowed_actions"] == ["dispatch", "merge", "supervise"]
    s.do(issue, "dispatch", "a_manager", department_id=s.land.id)
    s.do(issue, "sign", "handler")
    s.clock[0] = at("2026-03-10")
    s.do(issue, "resolve", "handler", reply="已办理用地预审，请按通知领取批复",
         result_code="solved")
    view = s.get(f"/api/v1/track/{issue['tracking_no']}", "firm1")
    assert view["state_label"] == "已办结，待评价" and view["next_step"] == "请对办理结果进行评价"
    assert [e["label"] for e in view["events"]] == [
        "已提交", "已受理", "已转办至自然资源局", "自然资源局已签收，办理中", "已办结"]
    assert view["events"][-1]["text"] == "已办理用地预审，请按通知领取批复"
    rated = s.do(issue, "rate", "firm1", rating="satisfied", comment="很及时")
    assert rated["state"] == "closed"
    assert s.get(f"{ISSUES}/{issue['id']}", "a_manager")["callback_due"] is False


ROLES = {"dispatcher", "handler", "firm", "visitor", "system"}
IDENTITY_KEYS = {"actor_id", "created_by_id", "user_id", "internal_text", "username",
                 "display_name"}


def staff_traces(body, internal_texts=()) -> list[str]:
    """Where in a response body a staff member (display name, username, id) or an internal
    text shows: a list of paths, empty when there is none."""
    names = [name for name, _ in STAFF.values()]
    ids = {user_id for _, user_id in STAFF.values()}
    found = []

    def walk(node, path, key=None):
        if isinstance(node, dict):
            found.extend(f"{path}.{k}" for k in node if k in IDENTITY_KEYS)
            for k, v in node.items():
                walk(v, f"{path}.{k}", k)
        elif isinstance(node, list):
            for n, v in enumerate(node):
                walk(v, f"{path}[{n}]", key)
        elif isinstance(node, str):
            if key == "actor_role":   # the part played, which may share a word with a username
                assert node in ROLES, (path, node)
            elif node in STAFF or any(t in node for t in (*names, *internal_texts)):
                found.append(f"{path}={node}")
        elif isinstance(node, int) and not isinstance(node, bool) and node in ids:
            found.append(f"{path}={node}")

    walk(body, "$")
    return found


def test_nothing_firm_facing_shows_staff_identities_or_internal_texts(scene, app):
    s = scene
    issue = s.raise_()
    by_phone = s.raise_("a_manager", source="hotline")   # raised by staff, merged into issue
    internal = ["领导批示：优先办理", "内部编号 PX-17", "规划调整（内部）", "督办单 DB-9",
                "企业负责人另提用电问题", "已与供电公司电话沟通"]
    s.do(issue, "accept", "a_manager", internal_text=internal[0])
    s.do(by_phone, "merge", "a_manager", into_id=issue["id"], internal_text=internal[5])
    s.do(issue, "dispatch", "a_manager", department_id=s.power.id)
    s.do(issue, "return", "power_handler", text=f"不属于供电公司职责，{internal[1]}",
         internal_text=internal[5])
    s.do(issue, "dispatch", "a_manager", department_id=s.land.id)
    s.do(issue, "sign", "handler")
    s.do(issue, "request_suspension", "handler", text=f"需等待{internal[2]}")
    s.do(issue, "suspend", "a_manager", text="等待企业补充材料")
    s.do(issue, "resume", "handler")
    s.do(issue, "supervise", "admin", level=1, internal_text=internal[3])
    s.do(issue, "resolve", "handler", reply="已办理用地预审", result_code="solved")
    rated = s.do(issue, "rate", "firm1", rating="dissatisfied", comment="还没拿到批复")
    s.do(issue, "resolve", "handler", reply="批复已寄出", result_code="solved")
    s.do(issue, "callback", "a_manager", text="电话回访", internal_text=internal[4])
    staff = s.get(f"{ISSUES}/{issue['id']}", "a_manager")
    assert staff_traces(staff, internal)   # the check finds what is there
    assert "退单：不属于供电公司职责，内部编号 PX-17" in str(staff["events"])

    key = s.open311_key()
    app.config["OPEN311_PUBLIC_READS"] = True
    numbers = f"{issue['tracking_no']},{by_phone['tracking_no']}"
    views = {"list": s.get(ISSUES, "firm1"), "rated": rated}
    for one in (issue, by_phone):
        views |= {f"track {one['id']}": s.get(f"/api/v1/track/{one['tracking_no']}", "firm1"),
                  f"timeline {one['id']}": s.get(f"{ISSUES}/{one['id']}/timeline", "firm1"),
                  f"detail {one['id']}": s.get(f"{ISSUES}/{one['id']}", "firm1")}
    for name, query in (("open311 full", {"api_key": key}), ("open311 keyless", {})):
        views[name] = s.client.get("/open311/v2/requests.json", query_string={
            **query, "service_request_id": numbers}).get_json()
        assert len(views[name]) == 2
    for name, view in views.items():
        assert staff_traces(view, internal) == [], name
    view = views[f"track {issue['id']}"]
    assert "正在重新分派" in [e["label"] for e in view["events"]]
    assert view["department"] == "自然资源局"
    # Another firm's number reads as 404, as does a made-up one.
    s.get(f"/api/v1/track/{issue['tracking_no']}", "firm2", status=404)
    s.get(f"{ISSUES}/{issue['id']}", "firm2", status=404)
    s.get("/api/v1/track/XY-2026-999999", "firm1", status=404)
    # The department it was returned from no longer sees it; others never did.
    s.get(f"{ISSUES}/{issue['id']}", "power_handler", status=404)
    s.get(f"{ISSUES}/{issue['id']}", "b_manager", status=404)


def test_suspended_working_time_is_added_to_the_deadline(scene):
    s = scene
    s.clock[0] = at("2026-09-21", 9)
    issue = s.raise_()
    s.do(issue, "accept", "a_manager")
    s.do(issue, "dispatch", "a_manager", department_id=s.land.id)
    s.do(issue, "sign", "handler")
    before = s.get(f"{ISSUES}/{issue['id']}", "a_manager")["resolve_due_at"]
    s.clock[0] = at("2026-09-24", 12)
    s.do(issue, "suspend", "a_manager", text="等待企业补充材料")
    assert s.get(f"/api/v1/track/{issue['tracking_no']}", "firm1")["events"][-1]["text"] == \
        "等待企业补充材料"
    s.clock[0] = at("2026-10-09", 12)
    after = s.do(issue, "resume", "handler")["resolve_due_at"]
    # Thu 24 Sep 12:00 → Fri 9 Oct 12:00 holds 5 working days (Mid-Autumn, National Day off).
    moved = service.calendar().working_days(datetime.fromisoformat(before),
                                            datetime.fromisoformat(after))
    assert moved == pytest.approx(5)


def test_a_bad_rating_opens_a_call_back_and_the_firm_may_reopen_in_the_window(scene):
    s = scene
    issue = s.raise_()
    for action, user, body in (("accept", "a_manager", {}),
                               ("dispatch", "a_manager", {"department_id": s.land.id}),
                               ("sign", "handler", {}),
                               ("resolve", "handler", {"reply": "已答复", "result_code":
                                                       "explained"})):
        s.do(issue, action, user, **body)
    got = s.do(issue, "rate", "firm1", rating="dissatisfied", comment="没解决")
    # Inside the window a bad rating sends it back to the department at once.
    assert got["state"] == "in_progress"
    assert [e["label"] for e in got["events"]][-2:] == ["已评价", "重新办理"]
    staff = s.get(f"{ISSUES}/{issue['id']}", "a_manager")
    assert staff["callback_due"] is True and staff["reopen_count"] == 1
    assert staff["rating"] == "dissatisfied"
    s.do(issue, "rate", "firm1", status=409, rating="satisfied")  # not resolved now
    s.do(issue, "callback", "a_manager", status=409, text="x")  # only once resolved
    s.clock[0] += timedelta(days=1)
    s.do(issue, "resolve", "handler", reply="已再次协调", result_code="solved")
    s.do(issue, "callback", "a_manager", text="电话回访：企业认为答复不具体")
    assert s.get(f"{ISSUES}/{issue['id']}", "a_manager")["callback_due"] is False
    again = s.do(issue, "rate", "firm1", rating="satisfied")
    assert again["state"] == "closed"
    s.do(issue, "rate", "firm1", status=409, rating="satisfied")  # this resolution is rated
    reopened = s.do(issue, "reopen", "firm1", text="请再次协调")
    assert reopened["state"] == "in_progress"
    assert s.get(f"{ISSUES}/{issue['id']}", "a_manager")["reopen_count"] == 2
    s.do(issue, "resolve", "handler", reply="已协调解决", result_code="solved")
    s.clock[0] = at("2026-04-30")  # well past 15 working days after the resolution
    late = s.do(issue, "reopen", "firm1", status=409, text="还是不行")
    assert late["type"].endswith("reopen-window-closed")
    assert "reopen" not in late["allowed_actions"]


def test_merged_issues_show_the_masters_progress(scene):
    s = scene
    master, follower = s.raise_(), s.raise_(firm=0)
    s.do(master, "accept", "a_manager")
    s.do(follower, "merge", "a_manager", into_id=master["id"])
    s.do(master, "dispatch", "a_manager", department_id=s.land.id)
    view = s.get(f"/api/v1/track/{follower['tracking_no']}", "firm1")
    assert view["state"] == "merged" and view["followed_state"] == "dispatched"
    assert view["department"] == "自然资源局"
    labels = [e["label"] for e in view["events"]]
    assert f"已合并至诉求 {master['tracking_no']}" in labels
    assert "已转办至自然资源局" in labels
    bad = s.do(follower, "merge", "a_manager", status=409, into_id=master["id"])
    assert bad["allowed_actions"] == []
    s.do(s.raise_(), "merge", "a_manager", status=422, into_id=follower["id"])
    # The same firm's master: its texts are the firm's own business.
    s.do(master, "sign", "handler")
    s.do(master, "resolve", "handler", reply="已协调办理用地预审", result_code="solved")
    view = s.get(f"/api/v1/track/{follower['tracking_no']}", "firm1")
    assert view["events"][-1]["text"] == "已协调办理用地预审"


def test_a_follower_of_another_firms_master_sees_its_steps_but_none_of_its_words(scene):
    """Several firms in one park report one outage (a 12345 practice): merged across firms,
    each firm follows the master's progress, but the master's title, replies, reasons and the
    other firm's rating comment stay with that firm."""
    s = scene
    master = s.raise_("firm2", firm=1, title="园区电子 M-TITLE", category="power")
    follower = s.raise_(category="power")
    s.do(master, "accept", "a_manager")
    s.do(follower, "merge", "a_manager", into_id=master["id"])
    s.do(master, "dispatch", "a_manager", department_id=s.power.id, text="M-DISPATCH")
    s.do(master, "sign", "power_handler")
    s.do(master, "suspend", "a_manager", text="M-SUSPEND-REASON")
    s.do(master, "resume", "power_handler")
    s.do(master, "resolve", "power_handler", reply="M-REPLY", result_code="solved")
    s.do(master, "rate", "firm2", rating="very_dissatisfied", comment="M-COMMENT")  # reopens
    s.get(f"{ISSUES}/{master['id']}", "firm1", status=404)
    key = s.open311_key()
    s.client.application.config["OPEN311_PUBLIC_READS"] = True
    views = [s.get(f"/api/v1/track/{follower['tracking_no']}", "firm1"),
             s.get(f"{ISSUES}/{follower['id']}", "firm1"),
             s.get(f"{ISSUES}/{follower['id']}/timeline", "firm1"),
             *(s.client.get(f"/open311/v2/requests/{follower['tracking_no']}.json",
                            query_string=q).get_json() for q in ({"api_key": key}, {}))]
    for view in views:
        assert "M-" not in str(view), view
    track = views[0]
    steps = [e for e in track["events"] if e.get("tracking_no") == master["tracking_no"]]
    assert [e["label"] for e in steps] == [
        "已提交", "已受理", "已转办至供电公司", "供电公司已签收，办理中", "暂停办理", "恢复办理",
        "已办结", "已评价", "重新办理"]
    assert {e["text"] for e in steps} == {None}
    staff = s.get(f"{ISSUES}/{master['id']}", "a_manager")
    assert track["followed_state"] == "in_progress" and track["department"] == "供电公司"
    assert when(track["deadline"]) == when(staff["resolve_due_at"])
    # The master's own firm reads its words as before.
    own = str(s.get(f"/api/v1/track/{master['tracking_no']}", "firm2"))
    assert all(t in own for t in ("M-TITLE", "M-REPLY", "M-COMMENT", "M-SUSPEND-REASON"))


@pytest.mark.parametrize("state,status", [
    ("resolved", 422), ("closed", 422), ("rejected", 422), ("merged", 422),
    ("suspended", 200), ("dispatched", 200)])
def test_only_an_open_issue_takes_followers(scene, state, status):
    s = scene
    master = s.raise_()
    steps = PATHS.get(state) or {"closed": [*PATHS["resolved"], ("confirm", "firm1")],
                                 "merged": [("merge", "a_manager")]}[state]
    into = s.raise_()
    for step, who in steps:
        body = {**PAYLOADS.get(step, {})}
        body |= {"department_id": s.land.id} if step == "dispatch" else {}
        body |= {"into_id": into["id"]} if step == "merge" else {}
        s.do(master, step, who, **body)
    got = s.do(s.raise_(), "merge", "a_manager", status=status, into_id=master["id"])
    if status == 422:
        assert "into_id" in got["errors"]


PAYLOADS = {
    "reject": {"text": "不属于受理范围"}, "merge": {}, "dispatch": {},
    "return": {"text": "非本部门职责"}, "request_suspension": {"text": "需外部审批"},
    "suspend": {"text": "等待材料"}, "resolve": {"reply": "已办结", "result_code": "solved"},
    "rate": {"rating": "very_satisfied"}, "reopen": {"text": "不满意"},
    "callback": {"text": "已回访"}, "supervise": {"level": 1},
}
PATHS = {  # how to reach each state
    "submitted": [],
    "accepted": [("accept", "a_manager")],
    "dispatched": [("accept", "a_manager"), ("dispatch", "a_manager")],
    "in_progress": [("accept", "a_manager"), ("dispatch", "a_manager"), ("sign", "handler")],
    "suspended": [("accept", "a_manager"), ("dispatch", "a_manager"), ("sign", "handler"),
                  ("suspend", "a_manager")],
    "resolved": [("accept", "a_manager"), ("dispatch", "a_manager"), ("sign", "handler"),
                 ("resolve", "handler")],
    "rejected": [("reject", "a_manager")],
}
USERS = {"dispatcher": "a_manager", "handler": "handler", "firm": "firm1"}


@pytest.mark.parametrize("state", sorted(PATHS))
def test_every_action_from_every_state_is_allowed_or_refused_with_the_allowed_list(scene,
                                                                                     state):
    s = scene
    other = s.raise_()
    for action in sorted(lifecycle.ACTIONS):
        for party, user in USERS.items():
            issue = s.raise_()
            for step, who in PATHS[state]:
                body = {**PAYLOADS.get(step, {})}
                if step == "dispatch":
                    body["department_id"] = s.land.id
                s.do(issue, step, who, **body)
            body = {**PAYLOADS.get(action, {})}
            if action == "dispatch":
                body["department_id"] = s.land.id
            if action == "merge":
                body["into_id"] = other["id"]
            rule = lifecycle.ACTIONS[action]
            # A handler only sees issues their department holds.
            visible = party != "handler" or state in ("dispatched", "in_progress", "suspended",
                                                      "resolved")
            resp = s.client.post(f"{ISSUES}/{issue['id']}/actions",
                                 json={"action": action, **body}, headers=s.h(user))
            if not visible:
                expected = 404
            elif party not in rule.parties:
                expected = 403
            elif state not in rule.from_states:
                expected = 409
            else:
                expected = 200
            assert resp.status_code == expected, (state, action, party, resp.get_json())
            if expected in (403, 409):
                allowed = resp.get_json()["allowed_actions"]
                assert action not in allowed or expected == 403
                assert allowed == lifecycle.allowed({party}, state)
                assert db.session.get(Issue, issue["id"]).state == state  # nothing changed
    assert lifecycle.allowed({"dispatcher"}, "submitted") == ["accept", "merge", "reject"]
    assert lifecycle.allowed({"firm"}, "in_progress") == []


@pytest.mark.parametrize("action,body,field", [
    ("reject", {}, "text"), ("dispatch", {}, "department_id"), ("merge", {}, "into_id"),
    ("supervise", {}, "level"), ("supervise", {"level": 3}, "level"),
    ("accept", {"department_id": "x"}, "department_id"), ("fly", {}, "action"),
])
def test_action_bodies_name_the_bad_field(scene, action, body, field):
    issue = scene.raise_()
    if action in ("dispatch", "supervise"):
        scene.do(issue, "accept", "a_manager")
    got = scene.do(issue, action, "a_manager", status=422, **body)
    assert field in got["errors"]


def test_people_acting_at_once_take_turns(scene, app):
    """A double-tapped button or two dispatchers at once: one transition, the rest are 409s."""
    s = scene
    issue = s.raise_()
    headers = s.h("a_manager")
    barrier = threading.Barrier(4)
    statuses = []

    def accept():
        with app.test_client() as c:
            barrier.wait()
            resp = c.post(f"{ISSUES}/{issue['id']}/actions", json={"action": "accept"},
                          headers=headers)
            statuses.append(resp.status_code)

    threads = [threading.Thread(target=accept) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409, 409, 409], statuses
    db.session.expire_all()
    actions = db.session.scalars(select(IssueEvent.action)
                                 .where(IssueEvent.issue_id == issue["id"])).all()
    assert sorted(actions) == ["accept", "submit"]
    assert db.session.get(Issue, issue["id"]).state == "accepted"


def test_raising_checks_scope_and_fields(scene):
    s = scene
    resp = s.client.post(ISSUES, json={"firm_id": s.firms[1].id, "category": "land",
                                       "title": "x"}, headers=s.h("firm1"))
    assert resp.status_code == 422 and "firm_id" in resp.get_json()["errors"]
    resp = s.client.post(ISSUES, json={"firm_id": s.firms[2].id, "category": "land",
                                       "title": "x"}, headers=s.h("a_manager"))
    assert resp.status_code == 422 and "firm_id" in resp.get_json()["errors"]
    resp = s.client.post(ISSUES, json={"firm_id": s.firms[0].id, "category": "weather",
                                       "title": "x"}, headers=s.h("a_manager"))
    assert resp.status_code == 422 and "category" in resp.get_json()["errors"]
    resp = s.client.post(ISSUES, json={"firm_id": s.firms[0].id, "category": "land",
                                       "title": "", "lat": "NaN"}, headers=s.h("a_manager"))
    assert resp.status_code == 422 and {"title", "lat"} <= set(resp.get_json()["errors"])
    resp = s.client.post(ISSUES, json={"firm_id": s.firms[0].id, "category": "land",
                                       "title": "x"}, headers=s.h("handler"))
    assert resp.status_code == 403
    assert db.session.scalar(select(Issue.id)) is None  # nothing stored
    by_hotline = s.raise_("a_manager", source="hotline", urgent=True, category="power")
    staff = s.get(f"{ISSUES}/{by_hotline['id']}", "a_manager")
    # Urgent power: 4 working hours to respond, from Fri 13 Feb 16:00 → Sat 14 Feb 00:00 is
    # 8 h later; 4 hours run out at 20:00 the same day.
    assert when(staff["response_due_at"]) == at("2026-02-13", 20)


def test_lists_filter_in_scope(scene):
    s = scene
    one = s.raise_()
    s.raise_(firm=1, user="firm2")
    s.do(one, "accept", "a_manager")
    s.do(one, "dispatch", "a_manager", department_id=s.land.id)
    assert s.get(ISSUES, "a_manager")["total"] == 2
    assert s.get(f"{ISSUES}?state=dispatched", "a_manager")["total"] == 1
    assert s.get(f"{ISSUES}?department_id={s.land.id}", "a_manager")["total"] == 1
    assert s.get(ISSUES, "handler")["total"] == 1
    assert s.get(ISSUES, "firm2")["total"] == 1
    assert s.get(ISSUES, "b_manager")["total"] == 0
    assert s.get(f"{ISSUES}?period=2026-02&category=land", "admin")["total"] == 2
    assert s.get(f"{ISSUES}?period=2026-03", "admin")["total"] == 0


def test_staff_lists_and_views_name_the_firm_even_for_handlers(scene):
    s = scene
    one = s.raise_()
    s.do(one, "accept", "a_manager")
    s.do(one, "dispatch", "a_manager", department_id=s.land.id)
    listed = s.get(ISSUES, "handler")["items"]
    assert [(i["id"], i["firm_name"]) for i in listed] == [(one["id"], "秦川机械")]
    assert s.get(f"{ISSUES}/{one['id']}", "handler")["firm_name"] == "秦川机械"
    assert "firm_name" not in s.get(f"{ISSUES}/{one['id']}", "firm1")


def test_the_job_flags_overdue_raises_supervision_and_closes_unrated(scene, app):
    s = scene
    late = s.raise_()
    s.do(late, "accept", "a_manager")       # due end of Mon 23 Mar 2026 (see above)
    done = s.raise_()
    s.handle(done, reply="好")
    s.clock[0] = at("2026-03-24")
    assert service.tick(s.clock[0]) == {"deadlines": 0, "overdue": 1, "supervised": 1,
                                        "auto_closed": 1}
    assert service.tick(s.clock[0])["overdue"] == 0   # once only
    issue = db.session.get(Issue, late["id"])
    assert (issue.overdue, issue.supervision_level) == (True, 1)
    s.clock[0] = at("2026-04-01")                      # 6 working days late
    assert service.tick(s.clock[0])["supervised"] == 1
    db.session.expire_all()
    assert db.session.get(Issue, late["id"]).supervision_level == 2
    assert s.get(f"{ISSUES}?supervised=true&overdue=true", "a_manager")["total"] == 1
    view = s.get(f"/api/v1/track/{done['tracking_no']}", "firm1")
    assert view["state"] == "closed" and view["events"][-1]["label"] == "逾期未评价，自动办结"
    out = app.test_cli_runner().invoke(args=["issues", "tick"])
    assert out.exit_code == 0 and "overdue=0" in out.output


def test_a_rating_given_while_the_job_runs_is_kept_and_not_auto_closed(scene, monkeypatch):
    """The job reads, the firm rates, the job writes: the version check makes the job start
    over on fresh rows instead of writing 逾期未评价 over the firm's rating."""
    s = scene
    done = s.raise_()
    s.handle(done, reply="好")
    s.clock[0] = at("2026-04-01")
    category, job, passes, rated = service._category, service._tick, [], []

    def rate_meanwhile(issue):
        if not rated:   # the job has read the issue; the firm rates it now, on its own
            rated.append(True)   # connection (a thread of its own gets its own app context)
            firm = threading.Thread(target=s.do, args=(done, "rate", "firm1"),
                                    kwargs={"rating": "satisfied"})
            firm.start()
            firm.join()
        return category(issue)

    def counted(ids, when):
        passes.append(ids)
        return job(ids, when)

    monkeypatch.setattr(service, "_category", rate_meanwhile)
    monkeypatch.setattr(service, "_tick", counted)
    assert service.tick(s.clock[0])["auto_closed"] == 0
    assert len(passes) == 2   # the first pass's write was refused; the second found it closed
    db.session.expire_all()
    issue = db.session.get(Issue, done["id"])
    assert (issue.state, issue.rating) == ("closed", "satisfied")
    actions = [e.action for e in issue.events]
    assert "rate" in actions and "auto_close" not in actions


def test_an_issue_that_keeps_changing_under_the_job_waits_and_the_rest_go_on(
        scene, monkeypatch, app, caplog):
    """Batches commit apart: one issue changed under every attempt holds up only its batch."""
    s = scene
    busy, calm = s.raise_(), s.raise_()
    for issue in (busy, calm):
        s.handle(issue)
    s.clock[0] = at("2026-04-01")
    monkeypatch.setattr(service, "TICK_BATCH", 1)
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"],
                          **engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))
    category = service._category

    def someone_edits(issue):
        if issue.id == busy["id"]:   # between the job's read and its write, every time
            with other.begin() as conn:
                conn.execute(update(Issue).where(Issue.id == busy["id"]).values(
                    version=Issue.version + 1))
        return category(issue)

    monkeypatch.setattr(service, "_category", someone_edits)
    with caplog.at_level("WARNING", logger="fieldapp.issues.service"):
        assert service.tick(s.clock[0])["auto_closed"] == 1
    other.dispose()
    assert "changed under the job three times" in caplog.text
    db.session.expire_all()
    assert db.session.get(Issue, busy["id"]).state == "resolved"   # next run
    assert db.session.get(Issue, calm["id"]).state == "closed"


def test_a_year_without_calendar_data_leaves_the_deadline_unknown_until_entered(scene):
    s = scene
    s.clock[0] = at("2027-03-01")
    issue = s.raise_()
    assert issue["deadline"] is None
    staff = s.get(f"{ISSUES}/{issue['id']}", "admin")
    pending = [e for e in staff["events"] if e["action"] == "deadline_pending"]
    assert pending and "2027" in pending[0]["internal_text"]
    assert "deadline_pending" not in str(s.get(f"/api/v1/track/{issue['tracking_no']}",
                                               "firm1"))
    resp = s.client.put("/api/v1/calendar/years/2027", json={"note": "国办发明电〔2026〕"},
                        headers=s.h("a_manager"))
    assert resp.status_code == 403
    for day, workday in (("2027-03-02", False),):
        resp = s.client.put(f"/api/v1/calendar/days/{day}", json={"workday": workday},
                            headers=s.h("admin"))
        assert resp.status_code == 200
    assert s.client.put("/api/v1/calendar/years/2027", json={},
                        headers=s.h("admin")).status_code == 200
    assert s.get("/api/v1/calendar?year=2027", "admin")["known"] is True
    with s.client.application.test_request_context():
        assert service.tick(s.clock[0])["deadlines"] == 1
    # 2 working days after Mon 1 Mar 2027, with Tue 2 Mar entered as a day off: Wed, Thu.
    db.session.expire_all()
    assert db.session.get(Issue, issue["id"]).response_due_at == end_of("2027-03-04")


def test_issues_raised_on_a_visit_get_tracking_numbers_and_a_first_event(scene):
    from fieldapp.issues.service import new_issue

    with scene.client.application.test_request_context():
        issue = new_issue(firm_id=scene.firms[0].id, org_unit_id=scene.firms[0].org_unit_id,
                          category="power", title="停电", description=None, source="visit",
                          actor_role="visitor", actor_id=None)
        db.session.commit()
    assert issue.tracking_no.startswith("XY-2026-")
    assert db.session.scalars(select(IssueEvent.action).where(
        IssueEvent.issue_id == issue.id)).all() == ["submit"]


def test_metrics_follow_their_written_formulas(scene, client):
    s = scene
    # Issue 1: accepted on time, resolved on time in 2 working days, rated satisfied.
    one = s.raise_()
    s.clock[0] = at("2026-02-24", 9)
    for action, user, body in (("accept", "a_manager", {}),
                               ("dispatch", "a_manager", {"department_id": s.land.id}),
                               ("sign", "handler", {})):
        s.do(one, action, user, **body)
    s.clock[0] = at("2026-02-26", 9)    # Tue 24 09:00 → Thu 26 09:00: 2 working days
    s.do(one, "resolve", "handler", reply="好", result_code="solved")
    s.do(one, "rate", "firm1", rating="satisfied")
    # Issue 2 (raised 24 Feb, accepted 3 Mar, after its response deadline of 26 Feb),
    # resolved 4 working days later, rated dissatisfied and reopened.
    s.clock[0] = at("2026-02-24", 9)
    two = s.raise_(category="power")
    s.clock[0] = at("2026-03-03", 9)
    for action, user, body in (("accept", "a_manager", {}),
                               ("dispatch", "a_manager", {"department_id": s.power.id}),
                               ("sign", "power_handler", {})):
        s.do(two, action, user, **body)
    s.clock[0] = at("2026-03-09", 9)    # Tue 3 → Mon 9 Mar: 4 working days
    s.do(two, "resolve", "power_handler", reply="好", result_code="solved")
    s.do(two, "rate", "firm1", rating="dissatisfied")   # inside the window: reopened
    # Issue 3: rejected the same day; issue 4: never answered.
    three, _four = s.raise_(), s.raise_()
    s.do(three, "reject", "a_manager", text="重复提交")
    resp = client.get("/api/v1/stats/issues", query_string={"period": "2026-Q1",
                                                            "group_by": "category"},
                      headers=s.h("a_manager"))
    body = resp.get_json()
    t = body["total"]
    assert (t["submitted"], t["accepted"], t["resolved"], t["responded"]) == (4, 2, 1, 3)
    # Two was reopened, so only one carries a resolution now.
    assert t["resolution_rate"] == 0.5 and t["on_time_resolution_rate"] == 1.0
    assert t["on_time_response_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert t["rated"] == 2 and t["satisfaction_rate"] == 0.5
    assert t["avg_handling_days"] == 2.0 and t["p90_handling_days"] == 2.0
    assert t["reopen_rate"] == 0.5 and t["overdue"] == 0
    rows = {r["group"]: r for r in body["rows"]}
    assert rows["power"]["submitted"] == 1 and rows["land"]["submitted"] == 3
    assert rows["power"]["label"] == "用电"
    by_dept = client.get("/api/v1/stats/issues", query_string={
        "period": "2026-Q1", "format": "csv"}, headers=s.h("a_manager"))
    text = by_dept.get_data(as_text=True)
    assert text.startswith("\ufeff分组 Group,诉求数 Submitted") and "自然资源局" in text
    assert client.get("/api/v1/stats/issues", query_string={"period": "2026-Q1"},
                      headers=s.h("firm1")).status_code == 403


def test_departments_categories_and_service_levels(scene, world):
    s = scene
    c = s.client
    resp = c.post("/api/v1/departments", json={"name": "水务集团", "org_unit_id": world.county_a.id,
                                               "categories": ["water", "power"]},
                  headers=s.h("a_manager"))
    assert resp.status_code == 201 and resp.get_json()["categories"] == ["power", "water"]
    water = resp.get_json()["id"]
    bad = c.post("/api/v1/departments", json={"name": "x", "org_unit_id": world.county_b.id},
                 headers=s.h("a_manager"))
    assert bad.status_code == 403
    bad = c.put(f"/api/v1/departments/{water}/categories", json={"categories": ["weather"]},
                headers=s.h("a_manager"))
    assert bad.status_code == 422 and "categories" in bad.get_json()["errors"]
    assert c.put(f"/api/v1/departments/{water}/categories", json={"categories": ["water"]},
                 headers=s.h("a_manager")).get_json()["categories"] == ["water"]
    # Routing: a county issue about power suggests the county's power company first, then the
    # city bureau that also handles power.
    issue = s.raise_(category="power")
    assert s.get(f"{ISSUES}/{issue['id']}", "a_manager")["suggested_department_ids"] == [
        s.power.id, s.land.id]
    # Service levels: admins change them; new issues use them.
    assert c.patch("/api/v1/issue-categories/land", json={"response_days": 3},
                   headers=s.h("a_manager")).status_code == 403
    resp = c.patch("/api/v1/issue-categories/land", json={"response_days": 3, "name": "土地"},
                   headers=s.h("admin"))
    assert resp.status_code == 200 and resp.get_json()["response_days"] == 3
    later = s.raise_()
    assert when(later["deadline"]) == end_of("2026-02-25")  # Sat 14, Tue 24, Wed 25 Feb
    assert c.patch("/api/v1/issue-categories/land", json={"resolve_days": 0},
                   headers=s.h("admin")).status_code == 422
    cats = {x["code"]: x for x in c.get("/api/v1/issue-categories",
                                        headers=s.h("firm1")).get_json()}
    assert cats["land"]["name"] == "土地" and cats["power"]["response_hours"] == 4


def test_the_job_closes_a_re_resolved_issue_left_unrated(scene):
    """The bad rating that sent the issue back is kept, but it rated the earlier resolution;
    the new one, left unrated, closes like any other."""
    s = scene
    issue = s.raise_()
    s.handle(issue)
    s.do(issue, "rate", "firm1", rating="dissatisfied")   # inside the window: handled again
    s.clock[0] = at("2026-03-02")
    s.do(issue, "resolve", "handler", reply="已再次协调", result_code="solved")
    s.clock[0] = at("2026-04-30")
    assert service.tick(s.clock[0])["auto_closed"] == 1
    view = s.get(f"/api/v1/track/{issue['tracking_no']}", "firm1")
    assert view["state"] == "closed" and view["events"][-1]["label"] == "逾期未评价，自动办结"
    assert view["rating"] == "dissatisfied"


def test_deadlines_unknown_when_acted_on_are_filled_later_and_meanwhile_left_out_of_rates(
        scene):
    s = scene
    s.clock[0] = at("2027-03-01")       # 2027: no calendar data yet
    issue = s.raise_()
    s.handle(issue)                      # accepted and resolved the same day
    metrics = "/api/v1/stats/issues?period=2027-Q1"
    t = s.get(metrics, "admin")["total"]
    # Answered and resolved, but neither on time nor late while the deadlines are unknown.
    assert (t["responded"], t["resolved"]) == (1, 1)
    assert t["on_time_response_rate"] is None and t["on_time_resolution_rate"] is None
    s.declare(2027)
    assert service.tick(at("2027-03-02"))["deadlines"] == 2
    staff = s.get(f"{ISSUES}/{issue['id']}", "a_manager")
    # Response: 2 working days after Mon 1 Mar; resolution: 20 after it (Mar 2 … Mar 29).
    assert when(staff["response_due_at"]) == end_of("2027-03-03")
    assert when(staff["resolve_due_at"]) == end_of("2027-03-29")
    t = s.get(metrics, "admin")["total"]
    assert t["on_time_response_rate"] == 1.0 and t["on_time_resolution_rate"] == 1.0


def test_the_job_fills_the_resolution_deadline_from_the_reopen_not_the_acceptance(scene):
    s = scene
    s.clock[0] = at("2026-12-01")
    issue = s.raise_()
    s.handle(issue)
    s.clock[0] = at("2026-12-10")
    s.do(issue, "reopen", "firm1", text="还是没有批复")   # 20 working days reach into 2027
    assert s.get(f"{ISSUES}/{issue['id']}", "a_manager")["resolve_due_at"] is None
    # Counted from the acceptance it would have passed on 29 Dec; it has not.
    assert service.tick(at("2026-12-31")) == {"deadlines": 0, "overdue": 0, "supervised": 0,
                                              "auto_closed": 0}
    s.declare(2027)
    assert service.tick(at("2026-12-31"))["deadlines"] == 1
    staff = s.get(f"{ISSUES}/{issue['id']}", "a_manager")
    # Thu 10 Dec 2026: 15 working days to 31 Dec, then Fri 1 Jan (declared year: Mon–Fri)
    # and Mon 4 – Thu 7 Jan 2027.
    assert when(staff["resolve_due_at"]) == end_of("2027-01-07")
    assert staff["overdue"] is False


def test_a_filled_resolution_deadline_counts_the_suspensions_since_its_clock_started(scene):
    s = scene
    s.clock[0] = at("2026-12-21")
    issue = s.raise_()
    s.do(issue, "accept", "a_manager")    # 20 working days reach into 2027: unknown
    s.do(issue, "dispatch", "a_manager", department_id=s.land.id)
    s.do(issue, "sign", "handler")
    s.clock[0] = at("2026-12-22")
    s.do(issue, "suspend", "a_manager", text="等待企业补充材料")
    s.clock[0] = at("2026-12-24")         # 2 working days suspended
    s.do(issue, "resume", "handler")
    s.declare(2027)
    assert service.tick(at("2026-12-24"))["deadlines"] == 1
    # Mon 21 Dec + 20 working days = end of Mon 18 Jan 2027; plus the 2 suspended: Wed 20 Jan.
    staff = s.get(f"{ISSUES}/{issue['id']}", "a_manager")
    assert when(staff["resolve_due_at"]) == end_of("2027-01-20")


def test_a_reopen_window_the_calendar_cannot_finish_stays_open_until_its_earliest_end(scene):
    s = scene
    s.clock[0] = at("2026-12-28")
    early, late = s.raise_(), s.raise_()
    s.handle(early)
    s.handle(late)
    # 15 working days from Mon 28 Dec: 29–31 Dec are known, then 2027 is not. However 2027
    # turns out, the window lasts at least 12 more days: to the end of Tue 12 Jan.
    s.clock[0] = at("2027-01-12", 23)
    assert s.do(early, "reopen", "firm1", text="仍未解决")["state"] == "in_progress"
    s.clock[0] = at("2027-01-13", 1)
    got = s.do(late, "reopen", "firm1", status=409, text="仍未解决")
    assert got["type"].endswith("calendar-gap") and "2027" in got["detail"]
    got = s.do(late, "rate", "firm1", status=409, rating="dissatisfied")
    assert got["type"].endswith("calendar-gap")
    assert s.get(f"{ISSUES}/{late['id']}", "a_manager")["rating"] is None  # nothing stored
    s.declare(2027)                       # Fri 1 Jan a working day: the window ends 15 Jan
    assert s.do(late, "reopen", "firm1", text="仍未解决")["state"] == "in_progress"
    s.clock[0] = at("2027-09-01")
    s.do(late, "resolve", "handler", reply="已协调", result_code="solved")
    s.clock[0] = at("2027-12-01")
    got = s.do(late, "reopen", "firm1", status=409, text="又出问题")
    assert got["type"].endswith("reopen-window-closed")


def test_resuming_clears_overdue_when_the_pushed_back_deadline_lies_ahead(scene):
    """The job's host runs a few minutes ahead of the app's: it flags the issue overdue just
    before the department suspends it, still inside the deadline by the app's clock. Once the
    suspended time is added back, the deadline lies ahead again."""
    s = scene
    s.clock[0] = at("2026-11-16", 9)
    issue = s.raise_(category="power")
    s.do(issue, "accept", "a_manager")    # 5 working days: due at the end of Mon 23 Nov
    s.do(issue, "dispatch", "a_manager", department_id=s.power.id)
    s.do(issue, "sign", "power_handler")
    assert service.tick(at("2026-11-24", 0) + timedelta(minutes=5))["overdue"] == 1
    s.clock[0] = at("2026-11-23", 23) + timedelta(minutes=55)
    s.do(issue, "suspend", "a_manager", text="等待企业补充材料")
    s.clock[0] = at("2026-11-25", 10)
    staff = s.do(issue, "resume", "power_handler")
    assert when(staff["resolve_due_at"]) == at("2026-11-25", 10) + timedelta(minutes=5)
    assert staff["overdue"] is False
    assert s.get(f"{ISSUES}?overdue=true", "a_manager")["total"] == 0


def test_returns_suspension_requests_and_call_backs_keep_the_callers_internal_text(scene):
    s = scene
    issue = s.raise_()
    s.do(issue, "accept", "a_manager")
    s.do(issue, "dispatch", "a_manager", department_id=s.power.id)
    s.do(issue, "return", "power_handler", text="非本部门职责", internal_text="已电话告知受理员")
    s.do(issue, "dispatch", "a_manager", department_id=s.land.id)
    s.do(issue, "sign", "handler")
    s.do(issue, "request_suspension", "handler", text="需等待规划调整",
         internal_text="规划局预计下月答复")
    s.do(issue, "resolve", "handler", reply="已办理", result_code="solved")
    s.do(issue, "callback", "a_manager", text="电话回访，企业认可",
         internal_text="企业另提用电问题")
    events = s.get(f"{ISSUES}/{issue['id']}", "a_manager")["events"]
    internal = {e["action"]: e["internal_text"] for e in events}
    assert internal["return"] == "退单：非本部门职责\n已电话告知受理员"
    assert internal["request_suspension"] == "需等待规划调整\n规划局预计下月答复"
    assert internal["callback"] == "电话回访，企业认可\n企业另提用电问题"
    firm = str(s.get(f"/api/v1/track/{issue['tracking_no']}", "firm1"))
    assert not any(t in firm for t in ("告知受理员", "下月答复", "用电问题"))


def test_issue_metrics_are_for_admins_and_managers(scene):
    s = scene
    s.raise_()
    for user, status in (("admin", 200), ("a_manager", 200), ("c1", 403), ("handler", 403),
                         ("firm1", 403)):
        s.get("/api/v1/stats/issues?period=2026-Q1", user, status=status)


def test_dispatch_goes_to_the_issues_unit_above_or_inside_it_never_next_door(scene, world):
    s = scene
    park_office = Department(name="园区管委会", org_unit_id=world.park_a.id)
    db.session.add(park_office)
    db.session.commit()
    issue = s.raise_()
    s.do(issue, "accept", "a_manager")
    # County B's bureau cannot act in county A, whoever sends it there.
    for user in ("admin", "a_manager"):
        got = s.do(issue, "dispatch", user, status=422, department_id=s.b_dept.id)
        assert "department_id" in got["errors"]
    assert s.do(issue, "dispatch", "admin", department_id=park_office.id)["state"] == \
        "dispatched"
