"""The dispatch and department desks in a real browser: an issue from acceptance to resolution,
and what the firm then sees on its timeline."""

import json
import re

from sqlalchemy import select

from models import Department, Issue
from tests.web.browser import assert_accessible, shot, shown_deadline
from tests.web.console_support import (
    Api,
    desk_page,  # noqa: F401  (the desk fixture)
    log_in,
)

MANAGER = ("manager", "fieldapp-manager")
HANDLER = ("handler", "fieldapp-handler")
FIRM = ("firm", "fieldapp-firm")
TITLE = "技术工人招聘困难"  # the demo firm's own issue, waiting to be accepted


def _act(desk, issue_id, action, **fields):
    desk.locator(f'#issues tr[data-issue="{issue_id}"] button').click()
    # The panel reloads after each action: wait until it shows this issue, settled.
    desk.locator(f'#issue-detail[data-issue="{issue_id}"][aria-busy="false"]').wait_for()
    desk.locator(f'#issue-actions button[data-action="{action}"]').click()
    for name, value in fields.items():
        target = desk.locator(f"#act-{name}")
        if target.evaluate("e => e.tagName") == "SELECT":
            target.select_option(label=value) if name == "department_id" else \
                target.select_option(value)
        else:
            target.fill(value)
    desk.locator("#action-form button[type=submit]").click()
    desk.locator("#action-form").wait_for(state="detached")


def _tab(desk, name):
    desk.locator("#state-tabs").get_by_role("button", name=name, exact=True).click()


def test_dispatch_sign_for_and_resolve_then_the_firm_sees_it(desk, live_server):
    with live_server.db() as session:
        issue_id = session.scalar(select(Issue.id).where(Issue.title == TITLE))
        power = session.scalar(select(Department).where(Department.name == "国网咸阳供电公司"))
        power_id, power_name = power.id, power.name
    log_in(desk, live_server.url, "dispatch", *MANAGER)
    desk.locator(f'#issues tr[data-issue="{issue_id}"]').wait_for()
    _act(desk, issue_id, "accept", internal="企业诉求明确，受理")
    _tab(desk, "待转办")
    desk.locator(f'#issues tr[data-issue="{issue_id}"]').wait_for()
    _act(desk, issue_id, "dispatch", department_id=f"{power_name}",
         internal="请三个工作日内联系企业")
    with live_server.db() as session:
        stored = session.get(Issue, issue_id)
        assert (stored.state, stored.department_id) == ("dispatched", power_id)
    # The staff timeline shows the internal note.
    assert "请三个工作日内联系企业" in desk.locator("#issue-timeline").inner_text()
    shot(desk, "console-dispatch")
    assert_accessible(desk, context="dispatch desk")
    desk.click("#log-out")
    desk.wait_for_selector("#log-in:not([hidden])")

    log_in(desk, live_server.url, "desk", *HANDLER)
    desk.locator(f'#issues tr[data-issue="{issue_id}"]').wait_for()
    assert desk.locator("#issue-list").get_by_text("超期").count() == 0
    # What a handler may not do is not offered.
    desk.locator(f'#issues tr[data-issue="{issue_id}"] button').click()
    desk.locator('#issue-actions button[data-action="sign"]').wait_for()
    offered = desk.locator("#issue-actions button").evaluate_all(
        "bs => bs.map(b => b.dataset.action)")
    assert sorted(offered) == ["return", "sign"]
    _act(desk, issue_id, "sign")
    _tab(desk, "办理中")
    desk.locator(f'#issues tr[data-issue="{issue_id}"]').wait_for()
    _act(desk, issue_id, "resolve", reply="已对接咸阳职业技术学院，下周举办专场招聘会",
         result_code="solved", internal="人社局协办")
    with live_server.db() as session:
        stored = session.get(Issue, issue_id)
        assert (stored.state, stored.result_code) == ("resolved", "solved")
    shot(desk, "console-department-desk")
    assert_accessible(desk, context="department desk")

    timeline = Api(live_server.url, *FIRM).get(f"/issues/{issue_id}/timeline")
    assert timeline["state"] == "resolved"
    assert [e["state"] for e in timeline["events"]][-4:] == [
        "accepted", "dispatched", "in_progress", "resolved"]
    shown = json.dumps(timeline, ensure_ascii=False)
    assert "专场招聘会" in shown
    assert "人社局协办" not in shown and "请三个工作日内联系企业" not in shown
    assert desk.console_errors == []


def test_a_rejection_without_a_public_reason_is_refused_and_nothing_changes(desk, live_server):
    api = Api(live_server.url, *MANAGER)
    raised = api.post("/issues", {"firm_id": 1, "category": "power", "title": "厂区停电频繁",
                                  "source": "hotline"})
    log_in(desk, live_server.url, "dispatch", *MANAGER)
    desk.locator(f'#issues tr[data-issue="{raised["id"]}"] button').click()
    desk.locator('#issue-actions button[data-action="reject"]').click()
    desk.locator("#action-form button[type=submit]").click()
    desk.get_by_text("请检查：理由/说明（企业可见）").wait_for()
    with live_server.db() as session:
        assert session.get(Issue, raised["id"]).state == "submitted"


def test_staff_see_the_check_code_to_read_out_to_a_firm_that_phoned_in(desk, live_server):
    from fieldapp.issues.checkcode import check_code
    from models import User

    with live_server.db() as session:
        firm_id = session.scalar(select(User.firm_id).where(User.username == "firm"))
    raised = Api(live_server.url, *MANAGER).post("/issues", {
        "firm_id": firm_id, "category": "water", "title": "12345：厂区停水", "source": "hotline"})
    with live_server.db() as session:
        stored = session.get(Issue, raised["id"])
        assert (stored.source, stored.firm_id) == ("hotline", firm_id)
    with live_server.app.app_context():
        code = check_code(raised["tracking_no"])
    log_in(desk, live_server.url, "dispatch", *MANAGER)
    desk.locator(f'#issues tr[data-issue="{raised["id"]}"] button').click()
    desk.locator(f'#issue-detail[data-issue="{raised["id"]}"]').wait_for()
    assert desk.locator("#issue-check-code").inner_text() == code == raised["check_code"]
    assert "查询码" in desk.locator("#issue-detail .facts").inner_text()
    assert desk.console_errors == []


def _hours_left(api_value):
    from datetime import datetime

    from fieldapp import clock

    return int((datetime.fromisoformat(api_value) - clock.now()).total_seconds() // 3600)


def _assert_deadline_shown(desk, issue_id, api_value):
    """The row's countdown (its tooltip the deadline) and the panel's deadline, as the API's."""
    text = shown_deadline(api_value)
    countdown = desk.locator(f'#issues tr[data-issue="{issue_id}"] .countdown')
    assert countdown.get_attribute("title") == text
    # The countdown still counts calendar time to the API's instant ("剩余 1 天 4 小时").
    left = re.fullmatch(r"剩余 (\d+) 天 (\d+) 小时", countdown.inner_text())
    days, hours = int(left[1]), int(left[2])
    assert days * 24 + hours in {_hours_left(api_value), _hours_left(api_value) + 1}
    desk.locator(f'#issue-detail[data-issue="{issue_id}"][aria-busy="false"]').wait_for()
    assert desk.locator("#issue-deadline .deadline").inner_text() == text
    assert "00:00" not in desk.locator("#issue-deadline").inner_text()
    return text


def test_the_desks_show_a_deadline_ending_a_working_day_as_that_day(desk, live_server):
    from datetime import datetime, time

    from fieldapp.clock import LOCAL_TZ
    from models import User

    with live_server.db() as session:
        firm_id = session.scalar(select(User.firm_id).where(User.username == "firm"))
        power_id = session.scalar(select(Department.id).where(
            Department.name == "国网咸阳供电公司"))
    manager = Api(live_server.url, *MANAGER)
    raised = manager.post("/issues", {"firm_id": firm_id, "category": "power",
                                      "title": "12345：园区线路检修时限", "source": "hotline"})
    response_due = manager.get(f"/issues/{raised['id']}")["response_due_at"]
    assert datetime.fromisoformat(response_due).astimezone(LOCAL_TZ).time() == time(0)
    log_in(desk, live_server.url, "dispatch", *MANAGER)
    desk.locator(f'#issues tr[data-issue="{raised["id"]}"] button').click()
    _assert_deadline_shown(desk, raised["id"], response_due)
    shot(desk, "console-dispatch-deadline")

    # Accepted and dispatched: the department desk counts to the resolution deadline.
    manager.post(f"/issues/{raised['id']}/actions", {"action": "accept"})
    manager.post(f"/issues/{raised['id']}/actions", {"action": "dispatch",
                                                     "department_id": power_id})
    resolve_due = manager.get(f"/issues/{raised['id']}")["resolve_due_at"]
    desk.click("#log-out")
    desk.wait_for_selector("#log-in:not([hidden])")
    log_in(desk, live_server.url, "desk", *HANDLER)
    desk.locator(f'#issues tr[data-issue="{raised["id"]}"] button').click()
    _assert_deadline_shown(desk, raised["id"], resolve_due)
    shot(desk, "console-desk-deadline")
    with live_server.db() as session:
        stored = session.get(Issue, raised["id"])
        assert (stored.state, stored.department_id) == ("dispatched", power_id)
    assert desk.console_errors == []


def test_a_suspended_issue_shows_its_clock_stopped_not_counting_down(desk, live_server):
    with live_server.db() as session:
        power_id = session.scalar(select(Department.id).where(
            Department.name == "国网咸阳供电公司"))
    manager, handler = Api(live_server.url, *MANAGER), Api(live_server.url, *HANDLER)
    raised = manager.post("/issues", {"firm_id": 1, "category": "power",
                                      "title": "等待电网改造方案", "source": "hotline"})
    manager.post(f"/issues/{raised['id']}/actions", {"action": "accept"})
    manager.post(f"/issues/{raised['id']}/actions", {"action": "dispatch",
                                                     "department_id": power_id})
    handler.post(f"/issues/{raised['id']}/actions", {"action": "sign"})
    manager.post(f"/issues/{raised['id']}/actions", {"action": "suspend",
                                                     "text": "等待省公司批复改造方案"})
    stored = manager.get(f"/issues/{raised['id']}")
    assert stored["state"] == "suspended"
    log_in(desk, live_server.url, "dispatch", *MANAGER)
    _tab(desk, "已挂起")
    row = desk.locator(f'#issues tr[data-issue="{raised["id"]}"]')
    expect_text = "挂起中，时限暂停计算"
    row.get_by_text(expect_text).wait_for()
    assert row.locator(".countdown").count() == 0
    assert row.locator(".deadline").get_attribute("title") == shown_deadline(
        stored["resolve_due_at"])
    assert desk.console_errors == []
