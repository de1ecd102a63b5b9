"""The review queue in a real browser: the evidence on the map, decisions, and their effect."""

import urllib.error

import pytest

from models import Visit
from tests.web.browser import assert_accessible, shot
from tests.web.console_support import (
    Api,
    desk_page,  # noqa: F401  (the desk fixture)
    log_in,
    percent,
)

MANAGER = ("manager", "fieldapp-manager")


def _queue(api):
    return api.get("/visits", status="needs_review", page_size=100)["items"]


def _rate_on_page(desk, base, period):
    desk.goto(f"{base}/console/visit-rate?period={period}")
    desk.locator("#report tfoot").wait_for()
    return desk.locator("#report tfoot td:nth-child(2)").inner_text()


def test_the_map_shows_the_site_and_the_fix_and_approving_moves_the_visit_rate(desk, live_server):
    api = Api(live_server.url, *MANAGER)
    far = next(v for v in _queue(api) if v["verification"]["verdict"] == "out_of_range")
    period = far["captured_at"][:7]
    before = api.get("/stats/visit-rate", period=period)["total"]
    log_in(desk, live_server.url, f"visit-rate?period={period}", *MANAGER)
    assert _rate_on_page(desk, live_server.url, period).startswith(percent(before["rate"]))

    desk.goto(f"{live_server.url}/console/review?visit={far['id']}")
    desk.locator(".ev-fix-point").wait_for()
    site = api.get(f"/firms/{far['firm_id']}/sites/{far['verification']['site_id']}")
    assert desk.locator("path.ev-site-point").count() == 1
    assert desk.locator("path.ev-site-radius").count() == 1
    assert desk.locator("path.ev-site-boundary").count() == (1 if site["boundary"] else 0)
    assert desk.locator("path.ev-fix-point").count() == 1
    assert desk.locator("path.ev-fix-accuracy").count() == 1
    assert "超出范围" in desk.locator("#ev-facts").inner_text()
    assert "整个精度圈都在核验范围之外" in desk.locator("#ev-flags").inner_text()
    assert desk.locator("#queue button[aria-current=true]").get_attribute(
        "data-visit") == str(far["id"])
    shot(desk, "console-review")
    assert_accessible(desk, context="review")

    # Keyboard: A approves with the chosen reason; the queue moves on.
    desk.select_option("#reason", "met_at_other_address")
    desk.locator("#ev-title").click()
    desk.keyboard.press("a")
    desk.wait_for_function(
        "id => !document.querySelector(`#queue button[data-visit='${id}']`)", arg=far["id"])
    with live_server.db() as session:
        visit = session.get(Visit, far["id"])
        assert visit.status == "approved"
        assert [(r.decision, r.reason_code) for r in visit.reviews] == [
            ("approve", "met_at_other_address")]
    after = api.get("/stats/visit-rate", period=period)["total"]
    assert after["met"] == before["met"] + 1
    assert _rate_on_page(desk, live_server.url, period).startswith(percent(after["rate"]))
    assert percent(after["rate"]) != percent(before["rate"])
    assert desk.console_errors == []


def test_a_rejection_needs_a_note_and_a_second_decision_needs_confirmation(desk, live_server):
    api = Api(live_server.url, *MANAGER)
    visit = _queue(api)[0]
    log_in(desk, live_server.url, f"review?visit={visit['id']}", *MANAGER)
    desk.locator(".ev-fix-point").wait_for()
    desk.select_option("#reason", "not_visited")
    desk.click("#reject")
    desk.get_by_text("驳回时必须填写说明。").wait_for()
    with live_server.db() as session:
        assert session.get(Visit, visit["id"]).status == "needs_review"
    desk.fill("#note", "企业称当天无人来访")
    desk.click("#reject")
    desk.wait_for_function(
        "id => !document.querySelector(`#queue button[data-visit='${id}']`)", arg=visit["id"])
    with live_server.db() as session:
        stored = session.get(Visit, visit["id"])
        assert stored.status == "rejected"
        assert stored.reviews[-1].note == "企业称当天无人来访"

    # Opening the decided visit again: approving needs the explicit confirmation.
    desk.goto(f"{live_server.url}/console/review?visit={visit['id']}")
    desk.locator("#supersede-box:not([hidden])").wait_for()
    desk.select_option("#reason", "verified_by_photo")
    desk.click("#approve")
    desk.get_by_text("请先勾选确认替代原决定").wait_for()
    with live_server.db() as session:
        assert len(session.get(Visit, visit["id"]).reviews) == 1
    desk.check("#supersede")
    desk.click("#approve")
    desk.get_by_text("已通过。").wait_for()
    with live_server.db() as session:
        reviews = session.get(Visit, visit["id"]).reviews
        assert [r.decision for r in reviews] == ["reject", "approve"]
        assert reviews[1].supersedes_id == reviews[0].id


def test_a_handler_is_not_offered_the_review_queue(desk, live_server):
    log_in_without_page = desk.goto(f"{live_server.url}/console/review")
    assert log_in_without_page.ok
    desk.fill("#username", "handler")
    desk.fill("#password", "fieldapp-handler")
    desk.click("#log-in button[type=submit]")
    desk.locator("#page-error:not([hidden])").wait_for()
    assert "无权" in desk.locator("#page-error").inner_text()
    assert desk.locator("#page").is_hidden()
    nav = desk.locator("#console-nav li:not([hidden])").all_inner_texts()
    assert nav == ["部门办理"]
    # …and the API refuses it anyway.
    visit_id = _queue(Api(live_server.url, *MANAGER))[0]["id"]
    with pytest.raises(urllib.error.HTTPError) as refused:
        Api(live_server.url, "handler", "fieldapp-handler").post(
            f"/visits/{visit_id}/review", {"decision": "approve", "reason_code": "no_signal"})
    assert refused.value.code in (403, 404)
    with live_server.db() as session:
        assert session.get(Visit, visit_id).status == "needs_review"


def test_a_firm_confirmed_visit_shows_it_in_review_is_approved_for_it_and_counts_in_the_rate(
        desk, live_server):
    import uuid
    from datetime import UTC, datetime

    from geoalchemy2.shape import to_shape
    from sqlalchemy import select

    from models import FirmConfirmation, Site, User
    from tests.web.test_firm_track import Api as Client

    client = Client(live_server.app)
    with live_server.db() as session:
        firm_id = session.scalar(select(User.firm_id).where(User.username == "firm"))
        visitor_id = session.scalar(select(User.id).where(User.username == "commissioner"))
        gate = to_shape(session.scalar(select(Site).where(Site.firm_id == firm_id)).point)
    far = client.post("/visits", "commissioner", {
        "client_id": str(uuid.uuid4()), "firm_id": firm_id,
        "captured_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "position": {"lat": gate.y + 0.03, "lon": gate.x, "accuracy_m": 15}})  # 3 km away
    assert far["status"] == "needs_review"
    credential = client.post("/me/credential", "commissioner", {})
    client.post("/credentials/confirm", "firm", {"token": credential["token"],
                                                 "rating": "satisfied"})

    log_in(desk, live_server.url, f"review?visit={far['id']}", *MANAGER)
    desk.locator(".ev-fix-point").wait_for()
    facts = desk.locator("#ev-facts").inner_text()
    assert "超出范围" in facts and "企业已确认到访" in facts and "满意" in facts
    shot(desk, "console-review-firm-confirmed")
    desk.select_option("#reason", "firm_confirmed")
    desk.click("#approve")
    desk.wait_for_function(
        "id => !document.querySelector(`#queue button[data-visit='${id}']`)", arg=far["id"])
    with live_server.db() as session:
        visit = session.get(Visit, far["id"])
        assert visit.status == "approved" and visit.verdict == "out_of_range"
        assert [(r.decision, r.reason_code) for r in visit.reviews] == [
            ("approve", "firm_confirmed")]
        assert session.scalar(select(FirmConfirmation.visit_id).where(
            FirmConfirmation.visitor_id == visitor_id)) == far["id"]

    period = far["captured_at"][:7]
    row = next(r for r in Api(live_server.url, *MANAGER).get(
        "/stats/visit-rate", period=period, group_by="user")["rows"] if r["group"] == visitor_id)
    assert row["firm_confirmed"] >= 1
    desk.goto(f"{live_server.url}/console/visit-rate?period={period}&group_by=user")
    cells = desk.locator(f"#report tbody tr[data-group='{visitor_id}'] td")
    cells.first.wait_for()
    assert "企业确认占比" in desk.locator("#report thead").inner_text()
    assert cells.last.inner_text() == percent(row["firm_confirmed_share"])
    assert_accessible(desk, context="visit rate with the firm-confirmed share")
    assert desk.console_errors == []
