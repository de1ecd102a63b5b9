"""The firm follows an issue at /track with its number and check code, no account: the whole
life of an issue, nothing internal in the page, one neutral answer, the rate limit."""

import pytest
from sqlalchemy import select

from models import Department, Issue, User
from tests.web.browser import assert_accessible, shot

INTERNAL = ["请供电公司优先处理（内部）", "领导批示 LD-42"]


class Api:
    """The API through Flask's test client on the live server's app (same database)."""

    def __init__(self, app):
        self.client, self.tokens = app.test_client(), {}

    def h(self, user):
        if user not in self.tokens:
            resp = self.client.post("/api/v1/auth/token", json={
                "username": user, "password": f"fieldapp-{user}"})
            self.tokens[user] = {"Authorization": f"Bearer {resp.get_json()['access_token']}"}
        return self.tokens[user]

    def post(self, path, user, body, status=(200, 201)):
        resp = self.client.post(f"/api/v1{path}", json=body, headers=self.h(user))
        assert resp.status_code in status, resp.get_json()
        return resp.get_json()

    def act(self, issue, user, action, **body):
        return self.post(f"/issues/{issue['id']}/actions", user, {"action": action, **body})


@pytest.fixture(scope="module")
def api(live_server):
    return Api(live_server.app)


def raise_issue(api, live_server, title="二期扩产用电容量不足"):
    with live_server.db() as session:
        firm_id = session.scalar(select(User.firm_id).where(User.username == "firm"))
    return api.post("/issues", "firm", {"firm_id": firm_id, "category": "power",
                                        "title": title, "description": "需增容 2000 kVA"})


def track(page, number, code):
    page.goto(f"{page.base}/track")
    page.get_by_label("受理编号").fill(number)
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="查询").click()


def staff_names(live_server):
    with live_server.db() as session:
        return [name for name, in session.execute(select(User.display_name).where(
            User.username != "firm"))]


def test_an_issue_followed_through_its_whole_life_shows_no_one_internal(page, live_server,
                                                                         api):
    issue = raise_issue(api, live_server)
    with live_server.db() as session:
        power = session.scalar(select(Department.id).where(Department.name == "国网咸阳供电公司"))
    names = staff_names(live_server)
    steps = [
        (None, "已提交"),
        (lambda: api.act(issue, "manager", "accept", internal_text=INTERNAL[0]), "已受理"),
        (lambda: api.act(issue, "manager", "dispatch", department_id=power,
                         internal_text=INTERNAL[1]), "已转办至国网咸阳供电公司"),
        (lambda: api.act(issue, "handler", "sign"), "国网咸阳供电公司已签收，办理中"),
        (lambda: api.act(issue, "handler", "resolve", reply="已完成增容改造",
                         result_code="solved"), "已办结"),
        (lambda: api.act(issue, "firm", "rate", rating="very_satisfied", comment="很及时"),
         "已评价"),
    ]
    page.goto(f"{page.base}/track#no={issue['tracking_no']}&code={issue['check_code']}")
    for n, (step, label) in enumerate(steps):
        if step:
            step()
            page.reload()
        page.locator(".step-current .step-label").get_by_text(label, exact=True).wait_for()
        assert page.locator(".step").count() == n + 1
        html = page.content()
        leaked = [text for text in INTERNAL + names if text in html]
        assert leaked == [], f"after {label}: {leaked}"
        if label == "已转办至国网咸阳供电公司":
            assert "国网咸阳供电公司" in page.locator(".facts").inner_text()
            assert page.locator(".deadline").inner_text() != "无"
            shot(page, "firm-track-dispatched")
    assert page.locator(".outcome").get_attribute("data-outcome") == "resolved"
    assert "办理结果： 已解决" in page.locator(".outcome").inner_text()
    assert page.locator(".step-text").get_by_text("已完成增容改造").count() == 1
    assert_accessible(page, context="/track resolved")
    shot(page, "firm-track-resolved")
    with live_server.db() as session:
        stored = session.scalar(select(Issue).where(Issue.tracking_no == issue["tracking_no"]))
        assert (stored.state, stored.rating) == ("closed", "very_satisfied")
    assert page.console_errors == []


def test_closed_without_a_fix_looks_unlike_resolved(page, live_server, api):
    issue = raise_issue(api, live_server, "希望减免房租")
    api.act(issue, "manager", "reject", text="不属于营商环境诉求，请联系房东")
    track(page, issue["tracking_no"], issue["check_code"])
    outcome = page.locator(".outcome")
    outcome.wait_for()
    assert outcome.get_attribute("data-outcome") == "rejected"
    assert "未解决" in outcome.inner_text() and "notice-warn" in outcome.get_attribute("class")
    shot(page, "firm-track-rejected")


def test_wrong_code_and_unknown_number_read_the_same_then_the_limit_holds(page, live_server,
                                                                         api):
    live_server.app.config["TRACK_FAILURES_PER_ADDRESS"] = "3 per 10 minutes"
    issue = raise_issue(api, live_server, "路灯不亮")
    answers = []
    for number, code in ((issue["tracking_no"], "ZZZZZZ"), ("XY-2026-999999",
                                                            issue["check_code"])):
        track(page, number, code)
        error = page.locator("#track-error")
        error.wait_for()
        answers.append(error.inner_text())
        assert page.locator(".issue-summary").count() == 0
    assert answers[0] == answers[1] == "未找到与该编号和查询码相符的诉求，请核对后重试。"
    assert_accessible(page, context="/track no match")
    shot(page, "firm-track-no-match")
    track(page, issue["tracking_no"], "ZZZZZ2")       # the third failure
    page.locator("#track-error").wait_for()
    track(page, issue["tracking_no"], issue["check_code"])  # right, but the address waits
    page.locator("#track-error").get_by_text("查询失败次数过多").wait_for()
    assert page.locator(".issue-summary").count() == 0
    live_server.app.config["TRACK_FAILURES_PER_ADDRESS"] = "20 per 10 minutes"
