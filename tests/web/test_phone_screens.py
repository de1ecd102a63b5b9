"""The phone app's screens, as a commissioner and a butler use them (asserting what the server
stored as well as what the page shows)."""

import pytest
from playwright.sync_api import expect

from tests.web.browser import assert_accessible, shot
from tests.web.phone import (
    at,
    file_visit,
    log_in,
    offset,
    open_app,
    targets_of,
    visit_count,
    visit_rows,
)


def test_wrong_password_then_lock_out_are_explained_in_chinese(page, live_server):
    open_app(page, "#/login")
    page.get_by_role("heading", name="账号登录").wait_for()
    shot(page, "phone-login")
    assert_accessible(page, context="on the log-in screen")
    for _ in range(5):
        page.get_by_label("用户名").fill("handler")  # an account no other test here uses
        page.get_by_label("密码").fill("wrong-password")
        page.get_by_role("button", name="登录").click()
        page.get_by_role("alert").filter(has_text="用户名或密码不正确").wait_for()
    page.get_by_label("密码").fill("fieldapp-handler")
    page.get_by_role("button", name="登录").click()
    alert = page.get_by_role("alert").filter(has_text="尝试次数过多")
    alert.wait_for()
    assert "分钟后再试" in alert.inner_text()
    assert page.console_errors == [] or all("429" in e or "401" in e
                                            for e in page.console_errors)


def test_my_firms_are_listed_nearest_first_with_their_due_state(page, context, live_server):
    targets = targets_of(live_server, "commissioner")
    # A site without a boundary: the distance is to its point (inside a boundary it is 0).
    near = [t for t in targets if not t.boundary][len(targets) // 3]
    at(context, *offset(near.lat, near.lon, 45, 60))
    log_in(page)
    rows = page.locator("#firm-list .firm-row")
    assert rows.count() == len(targets)
    assert rows.first.get_attribute("data-target") == near.key
    distances = [row.locator(".distance").inner_text() for row in rows.all()]
    assert distances[0] == "60 米"
    assert rows.first.locator(".badge").first.inner_text() in {
        "本期已走访", "待审核", "本期待走访", "逾期未访"}
    shot(page, "phone-firms")
    assert_accessible(page, context="on the list")
    page.get_by_label("按企业或项目名称搜索").fill(near.name[:4])
    assert all(near.name[:4] in r.inner_text() for r in rows.all())


def test_a_verified_visit_at_the_site_is_accepted_and_stored(page, context, live_server):
    target = targets_of(live_server, "commissioner")[0]
    at(context, *offset(target.lat, target.lon, 90, 20))
    log_in(page)
    before = visit_count(live_server, "commissioner")
    page.locator(f"[data-target='{target.key}']").click()
    page.locator("#target-map .leaflet-interactive").first.wait_for()
    page.locator("#my-visits h2").wait_for()
    expect(page.locator("#open-issues")).not_to_contain_text("正在加载")
    with live_server.db() as session:  # the firm's open issues, as the server holds them
        from sqlalchemy import select

        from models import Issue

        open_issues = session.scalars(select(Issue.title).where(
            Issue.firm_id == target.id,
            Issue.state.not_in(["resolved", "closed", "rejected", "merged"]))).all()
    assert sorted(page.locator("#open-issues .issue-line > div:first-child").all_inner_texts()
                  ) == sorted(open_issues)
    shot(page, "phone-target")
    assert_accessible(page, context="on a firm")
    page.locator("#file-visit").click()
    page.locator("#expected").filter(has_text="核验通过").wait_for()
    assert "精度 8 米" in page.locator("#accuracy").inner_text()
    shot(page, "phone-file")
    assert_accessible(page, context="on the filing screen")
    page.get_by_label("走访情况").fill("了解企业用电需求")
    page.locator("#submit").click()
    page.locator("#verdict-status").filter(has_text="已通过").wait_for()
    assert "计入本期走访率" in page.locator("#verdict").inner_text()
    # The result ends the filing begun at my firms: that tab is marked, as on the filing
    # screens, and the back button returns there.
    expect(page.locator("#tabbar [aria-current='page']")).to_have_attribute("data-tab", "firms")
    assert page.locator("#tabbar [aria-current]").count() == 1
    shot(page, "phone-result-accepted")
    assert_accessible(page, context="on the result")
    rows = visit_rows(live_server, "commissioner")
    assert len(rows) == before + 1
    stored = rows[-1]
    assert (stored.status, stored.verdict, stored.notes) == ("accepted", "verified",
                                                            "了解企业用电需求")
    assert stored.source == "browser" and stored.accuracy_m == pytest.approx(8)
    assert stored.distance_m == pytest.approx(20, abs=1) or target.boundary


def test_an_issue_raised_on_a_visit_shows_its_number_and_check_code_to_hand_to_the_firm(
        page, context, live_server):
    from sqlalchemy import select

    from fieldapp.issues.checkcode import check_code
    from models import Issue

    target = next(t for t in targets_of(live_server, "commissioner") if t.kind == "firm")
    at(context, *offset(target.lat, target.lon, 180, 15))
    log_in(page)
    page.goto(f"{page.base}/app/#/file/firm/{target.id}")
    page.locator("#submit:not([disabled])").wait_for()
    page.locator("#add-issue").click()
    page.get_by_label("类别").select_option("power")
    page.get_by_label("诉求内容").fill("二期厂房用电容量不足")
    page.locator("#submit").click()
    line = page.locator("#raised-issues .issue-line")
    line.wait_for()
    number = line.locator(".raised-no").inner_text()
    code = line.locator(".raised-code").inner_text()
    assert "请把受理编号和查询码交给企业" in page.locator("#raised-issues").inner_text()
    shot(page, "phone-result-issue-code")
    assert_accessible(page, context="on the result with an issue")
    visit = visit_rows(live_server, "commissioner")[-1]
    with live_server.db() as session:
        stored = session.scalar(select(Issue).where(Issue.tracking_no == number))
        assert (stored.visit_id, stored.firm_id, stored.title, stored.source) == (
            visit.id, target.id, "二期厂房用电容量不足", "visit")
    with live_server.app.app_context():
        assert code == check_code(number)
    # The firm follows it at /track with what the visitor handed over.
    page.goto(f"{page.base}/track#no={number}&code={code}")
    page.locator(".step-current .step-label").get_by_text("已提交", exact=True).wait_for()
    # Expected failed load only: /track asks whether a firm user is logged in (401).
    assert [e for e in page.console_errors if "status of 401" not in e] == []


def test_from_400_metres_away_the_visit_needs_review_and_says_why(page, context, live_server):
    target = next(t for t in targets_of(live_server, "commissioner") if not t.boundary)
    at(context, *offset(target.lat, target.lon, 0, 400))
    log_in(page)
    before = visit_count(live_server, "commissioner")
    file_visit(page, target)
    page.locator("#verdict-status").filter(has_text="待审核").wait_for()
    text = page.locator("#verdict").inner_text()
    assert "超出范围" in text and "将由管理人员审核" in text
    assert "400 米" in text
    shot(page, "phone-result-review")
    rows = visit_rows(live_server, "commissioner")
    assert len(rows) == before + 1
    assert (rows[-1].verdict, rows[-1].status) == ("out_of_range", "needs_review")
    assert rows[-1].distance_m == pytest.approx(400, abs=2)


def test_my_visits_show_verdicts_and_a_reviewers_reason(page, context, live_server):
    from fieldapp.extensions import db
    from models import User, Visit, VisitReview

    target = targets_of(live_server, "commissioner")[1]
    at(context, *offset(target.lat, target.lon, 0, 3000))
    log_in(page)
    file_visit(page, target, wait_preview=False)
    page.locator("#verdict-status").wait_for()
    with live_server.db() as session:
        visit = session.scalars(select_last_visit(Visit)).first()
        manager = session.scalar(db.select(User).where(User.username == "admin"))
        visit.reviews.append(VisitReview(decision="reject", reason_code="not_visited",
                                         note="定位在三公里外", reviewer_id=manager.id))
        visit.status = "rejected"
        session.commit()
        visit_id = visit.id
    page.locator("[data-tab='visits']").click()
    card = page.locator(f"[data-visit='{visit_id}']")
    card.wait_for()
    assert "审核退回" in card.inner_text() and "未实际走访" in card.inner_text()
    assert "定位在三公里外" in card.inner_text()
    shot(page, "phone-visits")
    assert_accessible(page, context="on my visits")


def select_last_visit(model):
    from sqlalchemy import select

    return select(model).order_by(model.id.desc()).limit(1)


def test_a_butler_records_the_next_project_stage_on_the_spot(page, context, live_server):
    from models import Project

    project = next(t for t in targets_of(live_server, "butler") if t.kind == "project")
    with live_server.db() as session:
        before = session.get(Project, project.id).stage
    at(context, project.lat, project.lon)
    log_in(page, "butler")
    page.locator(f"[data-target='{project.key}']").click()
    page.locator("#stage-next").click()
    page.locator("#stage-confirm").click()
    page.locator("#stage .notice-ok").wait_for()
    shot(page, "phone-project-stage")
    assert_accessible(page, context="on a project")
    from models import PROJECT_STAGES

    with live_server.db() as session:
        assert session.get(Project, project.id).stage == PROJECT_STAGES[
            PROJECT_STAGES.index(before) + 1]


def test_an_issue_raised_on_the_spot_is_stored_with_the_visit_and_its_category(
        page, context, live_server):
    from sqlalchemy import select

    from models import Issue

    target = next(t for t in targets_of(live_server, "commissioner") if t.kind == "firm")
    at(context, target.lat, target.lon)
    log_in(page)
    page.goto(f"{page.base}/app/#/file/{target.kind}/{target.id}")
    page.locator("#expected").wait_for()
    page.get_by_role("button", name="添加诉求").click()
    picker = page.get_by_label("类别")
    options = picker.locator("option")
    assert options.count() >= 2  # the categories from /issue-categories
    category = options.nth(1).get_attribute("value")
    picker.select_option(category)
    page.get_by_label("诉求内容").fill("厂区门口道路破损，货车进出困难")
    page.locator("#submit").click()
    page.locator("#verdict-status").wait_for()
    visit = visit_rows(live_server, "commissioner")[-1]
    with live_server.db() as session:
        [issue] = session.scalars(select(Issue).where(Issue.visit_id == visit.id)).all()
        assert (issue.firm_id, issue.category, issue.title, issue.source) == (
            target.id, category, "厂区门口道路破损，货车进出困难", "visit")


def test_a_coarse_position_is_shown_waiting_and_an_inconclusive_visit_goes_to_review(
        page, context, live_server):
    target = next(t for t in targets_of(live_server, "commissioner") if not t.boundary)
    # Inside the radius, but the error circle crosses it: neither in nor out.
    at(context, *offset(target.lat, target.lon, 270, target.radius_m - 50), accuracy=150)
    log_in(page)
    page.goto(f"{page.base}/app/#/file/{target.kind}/{target.id}")
    accuracy = page.locator("#accuracy")
    expect(accuracy).to_contain_text("精度 150 米")
    expect(accuracy).to_contain_text("等待定位精度 ≤ 30 米")
    page.locator("#expected").filter(has_text="预计：需要审核").wait_for()
    assert "无法确定" in page.locator("#expected").inner_text()
    before = visit_count(live_server, "commissioner")
    page.locator("#submit").click()
    page.locator("#verdict-status").filter(has_text="待审核").wait_for()
    assert "定位精度不足，无法判断您是否在核验范围内" in page.locator("#verdict").inner_text()
    rows = visit_rows(live_server, "commissioner")
    assert len(rows) == before + 1
    assert (rows[-1].verdict, rows[-1].status) == ("inconclusive", "needs_review")
    assert rows[-1].accuracy_m == pytest.approx(150)


def test_offline_the_list_is_drawn_from_the_phone_and_says_when_it_was_saved(
        page, context, live_server):
    from tests.web.test_phone_outbox import wait_for_service_worker

    targets = targets_of(live_server, "commissioner")
    at(context, targets[0].lat, targets[0].lon)
    log_in(page)
    wait_for_service_worker(page)
    context.set_offline(True)
    page.reload()
    rows = page.locator("#firm-list .firm-row")
    page.get_by_role("status").filter(has_text="当前无法连接服务器，显示的是").wait_for()
    assert sorted(r.get_attribute("data-target") for r in rows.all()) == sorted(
        t.key for t in targets)
    assert page.locator("#offline-flag").is_visible()
    shot(page, "phone-firms-offline")
    assert_accessible(page, context="on the list offline")


def test_no_token_is_kept_where_a_script_could_read_it(page, context, live_server):
    from sqlalchemy import func, select

    from models import AuthSession, User

    log_in(page)
    page.locator("[data-tab='outbox']").click()  # every screen reached once is cached
    page.locator("#outbox-status").wait_for()
    kept = page.evaluate("""async () => {
        const { cached } = await import("/app/static/store.js");
        const saved = [];
        for (const key of ["me", "assignments", "categories"]) saved.push(await cached(key));
        return { local: { ...localStorage }, session: { ...sessionStorage },
                 cookie: document.cookie, saved: JSON.stringify(saved) };
    }""")
    assert kept["local"] == {} and kept["session"] == {}
    assert kept["cookie"] == ""  # the refresh cookie is HttpOnly
    assert "token" not in kept["saved"].lower() and "eyJ" not in kept["saved"]
    with live_server.db() as session:  # the server holds the page's session
        user_id = session.scalar(select(User.id).where(User.username == "commissioner"))
        assert session.scalar(select(func.count()).select_from(AuthSession).where(
            AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))) >= 1


def test_after_a_stage_move_the_project_shows_the_new_stage_as_owed_a_visit(
        page, context, live_server):
    import uuid
    from datetime import UTC, datetime

    from tests.web.test_firm_track import Api

    projects = [t for t in targets_of(live_server, "butler") if t.kind == "project"]
    project = projects[-1]  # not the one the test above moves, where there are two
    api = Api(live_server.app)
    # The butler has visited in this stage: the project is met for now.
    api.post("/visits", "butler", {
        "client_id": str(uuid.uuid4()), "project_id": project.id,
        "captured_at": datetime.now(UTC).isoformat(), "purpose": "project_stage",
        "position": {"lat": project.lat, "lon": project.lon, "accuracy_m": 8,
                     "crs": "wgs84", "source": "browser"}})
    at(context, project.lat, project.lon)
    log_in(page, "butler")
    page.locator(f"[data-target='{project.key}']").click()
    expect(page.locator("#due .badge")).to_have_text("本期已走访")
    page.locator("#stage-next").click()
    page.locator("#stage-confirm").click()
    page.locator("#stage .notice-ok").wait_for()
    # The move starts the new stage's slot: owed a visit, here and in the list.
    expect(page.locator("#due .badge")).to_have_text("本期待走访")
    rows = api.client.get("/api/v1/me/assignments", headers=api.h("butler")).get_json()["items"]
    [row] = [r for r in rows if r["target_kind"] == "project" and r["target_id"] == project.id]
    assert row["due_state"] == "due"
    page.get_by_role("button", name="返回").click()
    expect(page.locator(f"[data-target='{project.key}'] .badge").first).to_have_text("本期待走访")


def test_times_are_shown_in_china_time_on_a_phone_set_to_another_zone(browser, live_server):
    from zoneinfo import ZoneInfo

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                  timezone_id="Europe/London", is_mobile=True)
    try:
        page = context.new_page()
        page.base = live_server.url
        log_in(page)
        page.locator("[data-tab='visits']").click()
        visit = visit_rows(live_server, "commissioner")[0]  # a demo visit, stored in UTC
        card = page.locator(f"[data-visit='{visit.id}']")
        card.wait_for()
        captured = visit.captured_at
        if captured.tzinfo is None:  # SQLite hands back naive UTC
            from datetime import UTC

            captured = captured.replace(tzinfo=UTC)
        shown = captured.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y/%m/%d %H:%M")
        assert shown in card.inner_text()
    finally:
        context.close()
