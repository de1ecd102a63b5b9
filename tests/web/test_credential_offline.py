"""The e-credential at a gate with no signal: the screen opens from the phone app's service
worker, shows the last signed credential with its remaining time (and it verifies), and once it
has expired it takes the QR code and the short code away and says to refresh online."""

from playwright.sync_api import expect

from tests.web.browser import assert_accessible, shot
from tests.web.phone import log_in, open_app
from tests.web.test_firm_credential import decode_qr
from tests.web.test_firm_track import Api
from tests.web.test_phone_outbox import wait_for_service_worker


def verify(live_server, url):
    token = url.rsplit("/", 1)[-1]
    resp = Api(live_server.app).client.post("/api/v1/credentials/verify", json={"token": token})
    return resp.get_json()


def test_the_credential_works_offline_for_its_validity_and_never_past_it(page, context,
                                                                        live_server):
    page.clock.install()
    log_in(page)
    wait_for_service_worker(page)
    open_app(page, "#/me")
    page.get_by_role("link", name="出示电子亮证").click()
    page.locator("#credential-qr").wait_for()    # the credential page, not the app in its place
    short_code = page.locator("#short-code").inner_text()
    expect(page.locator("#remaining")).to_contain_text("剩余有效时间")

    context.set_offline(True)
    page.reload()                                 # opened again at the gate, no signal
    page.locator("#credential-qr").wait_for()
    assert page.locator("#short-code").inner_text() == short_code
    expect(page.locator("#credential-stale")).to_have_text("当前无法刷新，证件在有效期内仍可出示。")
    remaining = page.locator("#remaining").inner_text()
    assert remaining.startswith(("剩余有效时间 4:", "剩余有效时间 5:")), remaining
    url = decode_qr(page.locator("#credential-qr"))
    checked = verify(live_server, url)             # the firm checks it online: it is valid
    assert checked["valid"] is True and checked["holder"]["name"] == page.locator(
        "#holder-name").inner_text()
    assert_accessible(page, context="credential offline")
    shot(page, "credential-offline")

    page.clock.fast_forward("06:00")               # past its expiry, still offline
    expect(page.locator("#credential-stale")).to_have_text("此证件已过期，请联网刷新。")
    expect(page.locator("#credential-qr")).to_have_count(0)
    expect(page.locator("#short-code")).to_have_count(0)
    shot(page, "credential-expired-offline")

    # Back online: a fresh one at once. The page's clock is now six minutes ahead of the
    # server's; the remaining time is counted from the server's time all the same.
    context.set_offline(False)
    page.locator("#credential-qr").wait_for()
    expect(page.locator("#credential-stale")).to_be_hidden()
    remaining = page.locator("#remaining").inner_text()
    assert remaining.startswith(("剩余有效时间 4:", "剩余有效时间 5:")), remaining
    assert verify(live_server, decode_qr(page.locator("#credential-qr")))["valid"] is True

    # Logging out of the phone app takes the kept credential away with the session.
    open_app(page, "#/me")
    page.get_by_role("button", name="退出登录").click()
    page.locator("#username").wait_for()
    context.set_offline(True)
    page.goto(f"{page.base}/app/credential")
    page.get_by_role("button", name="登录").wait_for()
    expect(page.locator("#credential-qr")).to_have_count(0)
    expected = ("status of 401", "ERR_INTERNET_DISCONNECTED", "Failed to fetch")
    assert [e for e in page.console_errors if not any(x in e for x in expected)] == []
