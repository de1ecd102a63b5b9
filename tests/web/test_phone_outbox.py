"""The outbox: no visit is ever lost — offline, after a reload, through a 503, without a
service worker — and none is stored twice. Each story counts the rows the server stored."""

import hashlib
import itertools
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import Firm, Visit, VisitPhoto
from tests.web.browser import assert_accessible, shot
from tests.web.phone import (
    at,
    file_visit,
    jpeg_with_exif,
    log_in,
    offset,
    open_app,
    targets_of,
    visit_count,
    visit_rows,
)


def outbox_items(page, state=None):
    selector = "#outbox-list .outbox-item" + (f"[data-state='{state}']" if state else "")
    return page.locator(selector)


def wait_for_service_worker(page):
    # Polled with evaluate: wait_for_function compiles a string, which the page's CSP forbids.
    for _ in range(100):
        if page.evaluate("() => Boolean(navigator.serviceWorker?.controller)"):
            return
        page.wait_for_timeout(100)
    raise AssertionError("the service worker never took control")


def to_outbox(page):
    page.locator("[data-tab='outbox']").click()
    page.locator("#outbox-status").wait_for()


def test_three_visits_filed_offline_survive_a_reload_and_are_stored_once_when_back_online(
        page, context, live_server):
    targets = targets_of(live_server, "commissioner")[:3]
    at(context, targets[0].lat, targets[0].lon)
    log_in(page)
    wait_for_service_worker(page)  # the shell is cached: the app opens offline
    before = visit_count(live_server, "commissioner")
    context.set_offline(True)
    for target in targets:
        at(context, *offset(target.lat, target.lon, 180, 15))
        file_visit(page, target, wait_preview=False, notes=f"离线走访 {target.name}")
        page.locator("#verdict").filter(has_text="当前离线").wait_for()
    assert page.locator("#outbox-count").inner_text() == "3"
    page.reload()
    to_outbox(page)
    assert outbox_items(page, "queued").count() == 3
    assert page.locator("#offline-flag").is_visible()
    # Storage: the warning not to clear the browser's data, and whether persist() was granted.
    assert "请勿清除浏览器数据" in page.locator("main").inner_text()
    expect(page.locator("#storage")).not_to_be_empty()
    shot(page, "phone-outbox-offline")
    assert_accessible(page, context="on the outbox")
    assert visit_count(live_server, "commissioner") == before
    posts = []
    page.on("request", lambda r: posts.append(r.url.split("/api/v1")[-1])
            if r.method == "POST" and "/api/v1/visits" in r.url else None)
    context.set_offline(False)  # the "online" event sends them, as one batch
    expect(outbox_items(page, "stored")).to_have_count(3)
    expect(page.locator("#outbox-count")).to_be_hidden()
    assert posts == ["/visits/batch"]
    rows = visit_rows(live_server, "commissioner")
    assert len(rows) == before + 3
    new = rows[-3:]
    assert sorted(v.notes for v in new) == sorted(f"离线走访 {t.name}" for t in targets)
    assert all(v.offline for v in new)
    assert {v.firm_id or v.project_id for v in new} == {t.id for t in targets}
    shot(page, "phone-outbox-sent")


def test_a_503_and_a_lost_answer_then_success_store_the_visit_once(page, context, live_server):
    target = targets_of(live_server, "commissioner")[3]
    at(context, *offset(target.lat, target.lon, 90, 10))
    log_in(page)
    before = visit_count(live_server, "commissioner")
    attempts = []

    def flaky(route):
        attempts.append(route.request.method)
        if len(attempts) == 1:
            route.fulfill(status=503, content_type="application/problem+json",
                          body='{"status": 503, "detail": "maintenance"}')
        elif len(attempts) == 2:
            route.fetch()  # the server stores it, but the answer never reaches the phone
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/v1/visits", flaky)
    file_visit(page, target)
    to_outbox(page)
    item = outbox_items(page).first
    item.filter(has_text="上次发送未成功").wait_for()
    assert item.get_attribute("data-state") == "queued"
    page.locator("#send-now").click()  # the answer is lost: still queued
    expect(page.locator("#send-now")).to_be_enabled()
    assert visit_count(live_server, "commissioner") == before + 1
    page.locator("#send-now").click()  # the same client_id again: the stored visit answers
    outbox_items(page, "stored").wait_for()
    assert len(attempts) == 3
    assert visit_count(live_server, "commissioner") == before + 1


def test_a_photo_is_uploaded_with_its_original_bytes_after_the_visit(page, context,
                                                                      live_server):
    target = targets_of(live_server, "commissioner")[4]
    at(context, *offset(target.lat, target.lon, 0, 10))
    log_in(page)
    photo = jpeg_with_exif(*offset(target.lat, target.lon, 0, 12), datetime.now(UTC))
    page.goto(f"{page.base}/app/#/file/{target.kind}/{target.id}")
    page.locator("#expected").wait_for()
    page.locator("#photos").set_input_files(
        files=[{"name": "site.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    page.locator("#photo-list li").wait_for()
    page.locator("#submit").click()
    page.locator("#verdict").filter(has_text="照片已上传 1/1").wait_for()
    visit = visit_rows(live_server, "commissioner")[-1]
    with live_server.db() as session:
        [stored] = session.scalars(select(VisitPhoto).where(VisitPhoto.visit_id == visit.id))
        assert stored.sha256 == hashlib.sha256(photo).hexdigest()  # never re-encoded
        assert stored.exif_lat == pytest.approx(offset(target.lat, target.lon, 0, 12)[0],
                                                abs=1e-4)
        assert stored.flags == []
    assert not [f for f in visit.flags if f.startswith("photo_")]


def test_without_location_permission_the_page_says_what_to_do_and_files_nothing(
        browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", is_mobile=True)
    try:
        page = context.new_page()
        page.base = live_server.url
        target = targets_of(live_server, "commissioner")[0]
        log_in(page)
        before = visit_count(live_server, "commissioner")
        page.goto(f"{page.base}/app/#/file/{target.kind}/{target.id}")
        problem = page.locator("#position-problem")
        problem.filter(has_text="定位权限被拒绝").wait_for()
        assert "设置" in problem.inner_text() and "没有位置无法提交走访" in problem.inner_text()
        assert page.locator("#submit").is_disabled()
        shot(page, "phone-no-permission")
        assert_accessible(page, context="without a position")
        assert visit_count(live_server, "commissioner") == before
    finally:
        context.close()


def test_a_visit_the_server_refuses_stays_in_the_outbox_with_the_reason(page, context,
                                                                        live_server):
    target = next(t for t in targets_of(live_server, "commissioner") if t.kind == "firm")
    at(context, target.lat, target.lon)
    log_in(page)  # the list, with this firm, is cached on the phone
    with live_server.db() as session:
        firm = session.get(Firm, target.id)
        firm.status, firm.closed_at = "closed", datetime.now(UTC).replace(year=2025)
        session.commit()
    try:
        before = visit_count(live_server, "commissioner")
        file_visit(page, target, wait_preview=False)
        page.locator("#verdict").filter(has_text="服务器拒收了这次走访").wait_for()
        assert "closed" in page.locator("#reject-reason").inner_text()
        to_outbox(page)
        item = outbox_items(page, "rejected")
        assert item.count() == 1 and "closed" in item.inner_text()
        page.reload()
        to_outbox(page)
        assert outbox_items(page, "rejected").count() == 1  # kept until the user deletes it
        shot(page, "phone-outbox-rejected")
        assert visit_count(live_server, "commissioner") == before
        item.get_by_role("button", name="删除").click()
        page.get_by_role("alertdialog").get_by_role("button", name="确定删除").click()
        page.locator("#outbox-list .empty").wait_for()
    finally:
        with live_server.db() as session:
            firm = session.get(Firm, target.id)
            firm.status, firm.closed_at = "active", None
            session.commit()


def test_without_service_workers_as_in_ios_wechat_offline_visits_are_sent_on_the_next_load(
        browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", is_mobile=True,
                                  service_workers="block", permissions=["geolocation"])
    try:
        page = context.new_page()
        page.base = live_server.url
        targets = targets_of(live_server, "commissioner")[5:7]
        at(context, targets[0].lat, targets[0].lon)
        log_in(page)
        assert page.evaluate("navigator.serviceWorker?.controller ?? null") is None
        before = visit_count(live_server, "commissioner")
        context.set_offline(True)
        for target in targets:
            at(context, target.lat, target.lon)
            file_visit(page, target, wait_preview=False)
            page.locator("#verdict").filter(has_text="当前离线").wait_for()
        page.close()  # the user closes the browser while offline
        assert visit_count(live_server, "commissioner") == before
        context.set_offline(False)
        page = context.new_page()
        page.base = live_server.url
        open_app(page, "#/outbox")
        expect(outbox_items(page, "stored")).to_have_count(2)
        assert visit_count(live_server, "commissioner") == before + 2
    finally:
        context.close()


def _assert_apart(page, *selectors, gap=8):
    """Each element starts at least ``gap`` CSS pixels below the one before it."""
    for first, second in itertools.pairwise(selectors):
        above, below = (page.locator(s).bounding_box() for s in (first, second))
        assert below["y"] - (above["y"] + above["height"]) >= gap, (first, second)


def test_log_out_warns_while_visits_are_unsent_and_keeps_them(page, context, live_server):
    target = targets_of(live_server, "commissioner")[7]
    at(context, target.lat, target.lon)
    log_in(page)
    before = visit_count(live_server, "commissioner")
    context.set_offline(True)
    file_visit(page, target, wait_preview=False)
    page.locator("[data-tab='me']").click()
    _assert_apart(page, "#show-credential", "#logout", "#logout ~ p")
    page.locator("#logout").click()
    warning = page.locator("#logout-warning")
    warning.filter(has_text="还有 1 条走访没有发送").wait_for()
    _assert_apart(page, "#show-credential", "#logout-warning", "#logout", "#logout ~ p")
    shot(page, "phone-logout-warning")
    assert_accessible(page, context="on the log-out warning")
    page.locator("#logout-anyway").click()
    page.get_by_role("heading", name="账号登录").wait_for()
    context.set_offline(False)
    log_in(page)  # the same account: its outbox is sent
    expect(page.locator("#outbox-count")).to_be_hidden()
    assert visit_count(live_server, "commissioner") == before + 1


def test_a_visit_whose_client_id_the_server_holds_with_other_content_is_kept_as_a_conflict(
        page, context, live_server):
    from tests.web.test_firm_track import Api

    target = targets_of(live_server, "commissioner")[8]
    at(context, target.lat, target.lon)
    log_in(page)
    context.set_offline(True)
    file_visit(page, target, wait_preview=False, notes="手机上的记录")
    client_id = page.url.rsplit("/", 1)[-1]
    body = page.evaluate("""async (id) => {
        const store = await import("/app/static/store.js");
        return (await store.getItem(id)).body;
    }""", client_id)
    # Another copy of the app already filed this client_id with other notes.
    Api(live_server.app).post("/visits", "commissioner", {**body, "notes": "另一份记录"})
    context.set_offline(False)
    to_outbox(page)
    item = outbox_items(page, "conflict")
    expect(item).to_contain_text("服务器上已有同一编号、内容不同的走访")
    # Not on the server as filed here: counted in the badge and named in the status line.
    expect(page.locator("#outbox-count")).to_have_text("1")
    expect(page.locator("#outbox-status")).to_have_text("1 条未被接收，待处理")
    shot(page, "phone-outbox-conflict")
    assert_accessible(page, context="on a conflict in the outbox")
    with live_server.db() as session:
        [stored] = session.scalars(select(Visit).where(Visit.client_id == client_id)).all()
        assert stored.notes == "另一份记录"
    page.locator("[data-tab='me']").click()
    page.locator("#logout").click()  # log-out warns: the outbox holds a visit the server lacks
    page.locator("#logout-warning").filter(has_text="还有 1 条走访没有发送到服务器").wait_for()
