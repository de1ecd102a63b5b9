"""A visit the server refuses stays in the outbox with the reason in the phone's words; the
commissioner fixes the refused fields and sends it again — stored exactly once, as fixed — or
discards it after saying so twice."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from models import Firm
from tests.web.browser import assert_accessible, shot
from tests.web.phone import at, file_visit, log_in, targets_of, visit_count, visit_rows
from tests.web.test_phone_outbox import outbox_items, to_outbox


def close(live_server, target):
    """A manager closes the firm as of 2025 (after the phone cached its list): visits to it
    are refused with a 422 naming ``firm_id``."""
    with live_server.db() as session:
        firm = session.get(Firm, target.id)
        firm.status, firm.closed_at = "closed", datetime.now(UTC).replace(year=2025)
        session.commit()


@pytest.fixture
def closed_firm(live_server):
    """The commissioner's first firm, reopened after the test."""
    target = next(t for t in targets_of(live_server, "commissioner") if t.kind == "firm")
    yield target
    with live_server.db() as session:
        firm = session.get(Firm, target.id)
        firm.status, firm.closed_at = "active", None
        session.commit()


# Sending in the background redraws the outbox on every change (``fieldapp:outbox``); an open
# confirmation must survive that with its focus, or the question vanishes under the thumb.
REDRAW = """async () => {
    window.dispatchEvent(new CustomEvent("fieldapp:outbox"));
    await new Promise((resolve) => setTimeout(resolve, 300));
}"""


def test_a_refused_visit_fixed_on_the_phone_is_stored_once_as_fixed(page, context, live_server,
                                                                    closed_firm):
    other = next(t for t in targets_of(live_server, "commissioner")
                 if t.kind == "firm" and t.id != closed_firm.id)
    at(context, other.lat, other.lon)
    log_in(page)
    close(live_server, closed_firm)
    before = visit_count(live_server, "commissioner")
    file_visit(page, closed_firm, wait_preview=False, notes="初稿")
    reason = page.locator("#reject-reason")
    reason.wait_for()
    # The code and the field in the phone's words; the server's English beneath its heading.
    assert "以下内容未通过服务器检查" in reason.inner_text()
    assert "服务器的说明（原文）" in reason.inner_text()
    refused = reason.locator("[data-field='firm_id']")
    assert refused.inner_text().startswith("企业：") and "closed" in refused.inner_text()
    assert visit_count(live_server, "commissioner") == before

    page.get_by_role("link", name="修改后重新发送").click()
    page.locator("#fix-form").wait_for()
    expect(page.get_by_label("走访对象")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("走访情况")).to_have_value("初稿")
    assert_accessible(page, context="fixing a refused visit")
    shot(page, "phone-outbox-fix")
    page.get_by_label("走访对象").select_option(label=other.name)
    page.get_by_label("走访目的").select_option(label="诉求跟进")
    page.get_by_label("走访情况").fill("在园区见到了对方负责人")

    # The first re-send reaches the server but its answer is lost: sent again, still one row.
    lost = []

    def lose_first_answer(route):
        if route.request.method == "POST" and not lost:
            lost.append(route.fetch())
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/v1/visits", lose_first_answer)
    page.get_by_role("button", name="重新发送").click()
    page.wait_for_url("**#/result/*")
    to_outbox(page)
    expect(outbox_items(page, "queued")).to_contain_text("上次发送未成功")
    assert lost and lost[0].status == 201   # the server stored it; the phone did not hear
    page.get_by_role("button", name="立即发送").click()
    expect(outbox_items(page, "stored")).to_have_count(1)
    rows = visit_rows(live_server, "commissioner")
    assert len(rows) == before + 1
    visit = rows[-1]
    assert (visit.firm_id, visit.purpose, visit.notes, visit.offline) == (
        other.id, "issue_followup", "在园区见到了对方负责人", True)
    assert "在园区见到了对方负责人" not in [v.notes for v in rows[:-1]]
    expected = ("status of 401", "status of 422", "net::ERR_CONNECTION_RESET", "Failed to fetch")
    assert [e for e in page.console_errors if not any(x in e for x in expected)] == []


def test_a_refused_visit_is_discarded_only_after_a_confirmation(page, context, live_server,
                                                                closed_firm):
    at(context, closed_firm.lat, closed_firm.lon)
    log_in(page)
    close(live_server, closed_firm)
    before = visit_count(live_server, "commissioner")
    file_visit(page, closed_firm, wait_preview=False, notes="要删除的走访")
    page.locator("#reject-reason").wait_for()
    to_outbox(page)
    item = outbox_items(page, "rejected")
    expect(item).to_have_count(1)
    item.get_by_role("button", name="删除").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("确定删除这条走访吗？")
    assert_accessible(page, context="discard confirmation")
    dialog.get_by_role("button", name="取消").click()
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    expect(outbox_items(page, "rejected")).to_have_count(1)     # still there

    item.get_by_role("button", name="删除").click()
    page.evaluate(REDRAW)
    expect(page.get_by_role("alertdialog").get_by_role("button", name="确定删除")).to_be_focused()
    page.get_by_role("alertdialog").get_by_role("button", name="确定删除").click()
    page.locator("#outbox-list .empty").wait_for()
    page.reload()
    to_outbox(page)
    expect(outbox_items(page)).to_have_count(0)
    assert visit_count(live_server, "commissioner") == before


def test_a_refused_visit_is_discarded_from_its_fix_screen_inside_its_card(page, context,
                                                                          live_server,
                                                                          closed_firm):
    at(context, closed_firm.lat, closed_firm.lon)
    log_in(page)
    close(live_server, closed_firm)
    before = visit_count(live_server, "commissioner")
    file_visit(page, closed_firm, wait_preview=False, notes="在修改页删除")
    page.locator("#reject-reason").wait_for()
    to_outbox(page)
    outbox_items(page, "rejected").get_by_role("link", name="修改后重新发送").click()
    page.locator("#fix-form").wait_for()
    # The link sits in the refused visit's own card (its name, its refusal), not under the form.
    card = page.locator("section.card", has=page.get_by_role("heading", name=closed_firm.name))
    card.get_by_role("button", name="删除").click()
    dialog = card.get_by_role("alertdialog")
    expect(dialog).to_contain_text("确定删除这条走访吗？")
    assert page.locator("#fix-form").get_by_role("button", name="删除").count() == 0
    assert_accessible(page, context="discard confirmation on the fix screen")
    shot(page, "phone-outbox-fix-discard")
    dialog.get_by_role("button", name="取消").click()
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    expect(card.get_by_role("button", name="删除")).to_have_count(1)   # put back, still there

    card.get_by_role("button", name="删除").click()
    page.evaluate(REDRAW)
    expect(card.get_by_role("alertdialog").get_by_role("button", name="确定删除")).to_be_focused()
    card.get_by_role("alertdialog").get_by_role("button", name="确定删除").click()
    page.locator("#outbox-list .empty").wait_for()
    page.reload()
    to_outbox(page)
    expect(outbox_items(page)).to_have_count(0)
    assert visit_count(live_server, "commissioner") == before
