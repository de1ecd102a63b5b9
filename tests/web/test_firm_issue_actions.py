"""A firm user's choices on a resolved issue (/firm/issues/{id}): confirm, rate, reopen — each
says on the page what it leads to, and the server stores exactly what the page promised."""

from datetime import timedelta

from sqlalchemy import select

from models import Issue, IssueEvent
from tests.web.browser import assert_accessible, shot
from tests.web.test_firm_issues import handle
from tests.web.test_firm_track import Api, raise_issue


def resolved_issue(live_server, title):
    api = Api(live_server.app)
    issue = raise_issue(api, live_server, title=title)
    handle(api, live_server, issue["id"])
    return issue["id"]


def open_as_firm(page, issue_id):
    page.goto(f"{page.base}/firm/issues/{issue_id}")
    page.get_by_label("用户名").fill("firm")
    page.get_by_label("密码").fill("fieldapp-firm")
    page.get_by_role("button", name="登录").click()
    page.locator("#issue-actions h2").wait_for()


def unexpected(errors, *allowed):
    """Console errors other than the expected failed loads: no session cookie at first (401)
    and the refusals a test provokes."""
    return [e for e in errors if not any(f"status of {s}" in e for s in (401, *allowed))]


def stored(live_server, issue_id):
    with live_server.db() as session:
        issue = session.get(Issue, issue_id)
        actions = session.scalars(select(IssueEvent.action).where(
            IssueEvent.issue_id == issue_id).order_by(IssueEvent.id)).all()
        return issue, actions


def test_confirming_closes_without_a_rating_and_a_reopen_sends_it_back(page, live_server):
    issue_id = resolved_issue(live_server, "园区路灯不亮")
    open_as_firm(page, issue_id)
    actions = page.locator("#issue-actions")
    # Each choice says what it leads to.
    assert "确认后诉求完结" in actions.inner_text()
    assert "诉求即告完结" in page.locator("#rate-form").inner_text()
    assert "将安排回访" in page.locator("#rate-form").inner_text()
    assert "退回承办部门重新办理" in page.locator("#reopen-form").inner_text()

    page.get_by_role("button", name="确认已解决，不再评价").click()
    page.locator(".issue-summary [data-state='closed']").wait_for()
    issue, events = stored(live_server, issue_id)
    assert (issue.state, issue.rating, issue.callback_due) == ("closed", None, False)
    assert events.count("confirm") == 1
    # Confirmed means "no rating": the page no longer asks for one, but reopening stays open.
    assert page.locator("#rate-form").count() == 0
    assert page.locator("#confirm-button").count() == 0

    page.get_by_label("仍未解决？说明原因申请重办").fill("路灯又坏了")
    page.get_by_role("button", name="申请重办").click()
    page.locator(".step-current .step-label").get_by_text("重新办理").wait_for()
    assert "路灯又坏了" in page.locator(".step-current").inner_text()
    issue, events = stored(live_server, issue_id)
    assert (issue.state, issue.reopen_count, issue.resolved_at) == ("in_progress", 1, None)
    assert events.count("reopen") == 1
    assert page.locator("#issue-actions section").count() == 0   # nothing for the firm now
    assert_accessible(page, context="reopened")
    assert unexpected(page.console_errors) == []


def test_a_reopen_without_a_reason_is_not_sent(page, live_server):
    issue_id = resolved_issue(live_server, "排污管道堵塞")
    open_as_firm(page, issue_id)
    page.get_by_role("button", name="申请重办").click()
    page.get_by_text("请说明申请重办的原因。").wait_for()
    issue, events = stored(live_server, issue_id)
    assert (issue.state, events.count("reopen")) == ("resolved", 0)


def test_a_double_tap_on_confirm_stores_one_confirmation(page, live_server):
    issue_id = resolved_issue(live_server, "燃气压力不足")
    open_as_firm(page, issue_id)
    page.locator("#confirm-button").dblclick()
    page.locator(".issue-summary [data-state='closed']").wait_for()
    issue, events = stored(live_server, issue_id)
    assert (issue.state, events.count("confirm")) == ("closed", 1)
    assert page.locator("#issue-actions [role=alert]:not([hidden])").count() == 0


def test_a_bad_rating_after_the_reopen_window_brings_a_call_back_only(page, live_server):
    issue_id = resolved_issue(live_server, "供水水压偏低")
    with live_server.db() as session:
        # Resolved two months ago: the 15-working-day reopen window has closed.
        issue = session.get(Issue, issue_id)
        issue.resolved_at -= timedelta(days=60)
        session.commit()
    open_as_firm(page, issue_id)
    page.get_by_text("不满意", exact=True).click()
    page.get_by_label("意见建议（可不填）").fill("水压仍低")
    page.get_by_role("button", name="提交评价").click()
    page.locator("#issue-rating").get_by_text("不满意").wait_for()
    issue, events = stored(live_server, issue_id)
    assert (issue.rating, issue.rating_comment, issue.state, issue.callback_due,
            issue.reopen_count) == ("dissatisfied", "水压仍低", "resolved", True, 0)
    assert events.count("rate") == 1
    # This resolution is rated: the page does not offer a second rating the server refuses.
    assert page.locator("#rate-form").count() == 0
    assert page.locator("#confirm-button").count() == 1

    page.get_by_label("仍未解决？说明原因申请重办").fill("水压仍低，影响生产")
    page.get_by_role("button", name="申请重办").click()
    page.get_by_text("已超过可申请重办的期限。").wait_for()
    issue, events = stored(live_server, issue_id)
    assert (issue.state, events.count("reopen")) == ("resolved", 0)
    assert_accessible(page, context="window closed")
    shot(page, "firm-issue-window-closed")
    assert unexpected(page.console_errors, 409) == []


def test_a_choice_made_meanwhile_elsewhere_is_said_in_chinese_and_the_page_catches_up(
        page, live_server):
    issue_id = resolved_issue(live_server, "厂区道路积水")
    open_as_firm(page, issue_id)
    # A colleague rates it on another phone while this page is open.
    Api(live_server.app).act({"id": issue_id}, "firm", "rate", rating="satisfied")
    page.get_by_role("button", name="确认已解决，不再评价").click()
    page.get_by_text("诉求状态刚刚发生了变化，页面已更新，请查看最新进度。").wait_for()
    page.locator(".issue-summary [data-state='closed']").wait_for()
    assert page.locator("#confirm-button").count() == 0
    issue, events = stored(live_server, issue_id)
    assert (issue.state, issue.rating, events.count("confirm")) == ("closed", "satisfied", 0)
    assert unexpected(page.console_errors, 409) == []
