"""A firm user in a browser: logs in, raises an issue with a photo and gets the tracking number
and check code at once, follows it, rates it — the server stores what the page says."""

import io

from PIL import Image
from sqlalchemy import select

from fieldapp.issues.checkcode import check_code
from models import Department, Issue, User
from tests.web.browser import assert_accessible, shot, shown_deadline
from tests.web.test_firm_track import Api


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 90, 160)).save(out, "JPEG")
    return out.getvalue()


def handle(api, live_server, issue_id):
    with live_server.db() as session:
        power = session.scalar(select(Department.id).where(Department.name == "国网咸阳供电公司"))
    issue = {"id": issue_id}
    api.act(issue, "manager", "accept")
    api.act(issue, "manager", "dispatch", department_id=power)
    api.act(issue, "handler", "sign")
    api.act(issue, "handler", "resolve", reply="已完成线路改造", result_code="solved")


def test_a_firm_raises_an_issue_with_a_photo_and_rates_its_resolution(page, live_server):
    api = Api(live_server.app)
    page.goto(f"{page.base}/firm/")
    page.get_by_label("用户名").fill("firm")
    page.get_by_label("密码").fill("fieldapp-firm")
    page.get_by_role("button", name="登录").click()
    page.locator(".issue-card").first.wait_for()     # the demo firm has issues already
    page.get_by_role("link", name="反映诉求").click()

    page.locator("#raise-form").wait_for()
    page.get_by_label("类别").select_option("power")
    page.get_by_label("诉求标题").fill("厂区变压器频繁跳闸")
    page.get_by_label("具体情况").fill("每周跳闸两到三次，影响生产")
    page.get_by_label("附件").set_input_files([
        {"name": "跳闸现场.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()},
        {"name": "说明.txt", "mimeType": "text/plain", "buffer": b"plain text, not allowed"}])
    page.get_by_role("button", name="提交诉求").click()
    page.locator("#raised-no").wait_for()
    number = page.locator("#raised-no").inner_text()
    code = page.locator("#raised-code").inner_text()
    assert "说明.txt" in page.locator(".raised .notice-warn").inner_text()
    assert_accessible(page, context="raised")
    shot(page, "firm-raised")
    with live_server.db() as session:
        stored = session.scalar(select(Issue).where(Issue.tracking_no == number))
        assert (stored.title, stored.source, stored.state) == ("厂区变压器频繁跳闸", "firm",
                                                               "submitted")
        assert [(a["name"], a["content_type"]) for a in stored.attachments] == [
            ("跳闸现场.jpg", "image/jpeg")]
        issue_id = stored.id
    with live_server.app.app_context():
        assert code == check_code(number)

    handle(api, live_server, issue_id)
    page.get_by_role("link", name="查看诉求").click()
    page.locator("#rate-form").wait_for()
    assert "已解决" in page.locator(".outcome").inner_text()
    assert "将安排回访" in page.locator("#rate-form").inner_text()   # says what a choice does
    assert page.locator(".file-link").inner_text() == "跳闸现场.jpg"
    assert_accessible(page, context="rate")
    shot(page, "firm-issue-rate")
    page.get_by_text("不满意", exact=True).click()
    page.get_by_label("意见建议（可不填）").fill("仍偶有跳闸")
    page.get_by_role("button", name="提交评价").click()
    page.locator(".step-current .step-label").get_by_text("重新办理").wait_for()
    with live_server.db() as session:
        stored = session.get(Issue, issue_id)
        assert (stored.rating, stored.rating_comment, stored.state, stored.callback_due) == (
            "dissatisfied", "仍偶有跳闸", "in_progress", True)

    api.act({"id": issue_id}, "handler", "resolve", reply="已更换变压器", result_code="solved")
    page.reload()
    page.locator("#rate-form").wait_for()
    page.get_by_text("非常满意", exact=True).click()
    page.get_by_role("button", name="提交评价").click()
    page.locator("#issue-rating").get_by_text("非常满意").wait_for()
    with live_server.db() as session:
        stored = session.get(Issue, issue_id)
        assert (stored.rating, stored.state) == ("very_satisfied", "closed")
    page.get_by_role("link", name="返回").click()
    card = page.locator(f".issue-card[data-tracking-no='{number}']")
    card.wait_for()
    assert "已完结" in card.inner_text()
    assert_accessible(page, context="list")
    shot(page, "firm-issues")
    # Expected failed loads only: no session cookie at first (401), the text file (415).
    expected = ("status of 401", "status of 415")
    assert [e for e in page.console_errors if not any(x in e for x in expected)] == []


def test_my_firms_issues_are_newest_first_with_deadline_and_the_overdue_flag(page, live_server):
    from datetime import timedelta

    from fieldapp import clock
    from fieldapp.issues.job import tick
    from models import User

    api = Api(live_server.app)
    with live_server.db() as session:
        firm_id = session.scalar(select(User.firm_id).where(User.username == "firm"))
    late = api.post("/issues", "firm", {"firm_id": firm_id, "category": "power",
                                         "title": "停电三天无人答复"})
    newest = api.post("/issues", "firm", {"firm_id": firm_id, "category": "power",
                                           "title": "新建厂房接电"})
    # The response deadline passes; the job (as cron runs it) flags the issue overdue.
    with live_server.db() as session:
        issue = session.get(Issue, late["id"])
        issue.response_due_at = clock.now() - timedelta(hours=1)
        session.commit()
    with live_server.app.app_context():
        tick()
    with live_server.db() as session:
        assert session.get(Issue, late["id"]).overdue is True
        expected = [no for no, in session.execute(select(Issue.tracking_no).where(
            Issue.firm_id == firm_id).order_by(Issue.created_at.desc(), Issue.id.desc()))]
    page.goto(f"{page.base}/firm/")
    page.get_by_label("用户名").fill("firm")
    page.get_by_label("密码").fill("fieldapp-firm")
    page.get_by_role("button", name="登录").click()
    cards = page.locator(".issue-card")
    cards.first.wait_for()
    shown = [c.get_attribute("data-tracking-no") for c in cards.all()]
    assert shown == expected and shown[0] == newest["tracking_no"]
    overdue = page.locator(f".issue-card[data-tracking-no='{late['tracking_no']}']")
    assert "已超期" in overdue.inner_text() and "时限" in overdue.inner_text()
    assert "已超期" not in page.locator(
        f".issue-card[data-tracking-no='{newest['tracking_no']}']").inner_text()
    assert_accessible(page, context="list with an overdue issue")
    shot(page, "firm-issues-overdue")


def test_a_deadline_ending_a_working_day_reads_as_that_day_on_the_list_the_issue_and_track(
        page, live_server, browser):
    from datetime import datetime, timedelta

    from fieldapp.clock import LOCAL_TZ, today

    api = Api(live_server.app)
    with live_server.db() as session:
        firm_id = session.scalar(select(User.firm_id).where(User.username == "firm"))
    day = api.post("/issues", "firm", {"firm_id": firm_id, "category": "power",
                                       "title": "接电时限核对"})
    hour = api.post("/issues", "firm", {"firm_id": firm_id, "category": "power",
                                        "title": "按小时计的时限"})
    # The API's rule: the end of the N-th working day, stored as 00:00 of the day after.
    due = datetime.fromisoformat(day["deadline"]).astimezone(LOCAL_TZ)
    assert (due.hour, due.minute, due.second) == (0, 0, 0) and due.date() > today()
    # A deadline at another time of day (as hour limits and suspensions give) shows as it is.
    odd = datetime(due.year, due.month, due.day, 15, 30, tzinfo=LOCAL_TZ)
    with live_server.db() as session:
        session.get(Issue, hour["id"]).response_due_at = odd
        session.commit()
    listed = {i["tracking_no"]: i for i in api.client.get(
        "/api/v1/issues?page_size=50", headers=api.h("firm")).get_json()["items"]}
    assert listed[day["tracking_no"]]["response_due_at"] == day["deadline"]
    hour_due = listed[hour["tracking_no"]]["response_due_at"]
    assert datetime.fromisoformat(hour_due) == odd
    day_text, hour_text = shown_deadline(day["deadline"]), shown_deadline(hour_due)
    assert day_text == f"{due - timedelta(days=1):%Y/%m/%d} 24:00 前"
    assert hour_text == f"{due:%Y/%m/%d} 15:30"

    page.goto(f"{page.base}/firm/")
    page.get_by_label("用户名").fill("firm")
    page.get_by_label("密码").fill("fieldapp-firm")
    page.get_by_role("button", name="登录").click()
    card = page.locator(f".issue-card[data-tracking-no='{day['tracking_no']}']")
    card.wait_for()
    assert f"时限 {day_text}" in card.inner_text()
    assert "00:00" not in card.inner_text()
    assert f"时限 {hour_text}" in page.locator(
        f".issue-card[data-tracking-no='{hour['tracking_no']}']").inner_text()
    shot(page, "firm-issues-deadline")
    card.click()
    page.locator(".deadline").wait_for()
    assert page.locator(".deadline").inner_text() == day_text
    shot(page, "firm-issue-deadline")

    # /track without an account, in a browser whose clock is in another zone: the same day.
    code = check_code_of(live_server, day["tracking_no"])
    elsewhere = browser.new_context(locale="zh-CN", timezone_id="America/Los_Angeles")
    try:
        other = elsewhere.new_page()
        other.goto(f"{page.base}/track#no={day['tracking_no']}&code={code}")
        other.locator(".deadline").wait_for()
        assert other.locator(".deadline").inner_text() == day_text
    finally:
        elsewhere.close()


def check_code_of(live_server, tracking_no):
    with live_server.app.app_context():
        return check_code(tracking_no)
