"""Issues (诉求): the closed loop of actions, who may take which from where, merging, raising
and listing, on both databases, through the API."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from fieldapp.extensions import db
from fieldapp.issues import lifecycle
from models import Department, Issue, IssueEvent
from tests.issues.scene import ISSUES, at, end_of, when


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
