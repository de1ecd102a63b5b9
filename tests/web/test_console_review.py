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
