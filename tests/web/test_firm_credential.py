"""The visitor's e-credential in a browser: the commissioner shows it, the firm scans the QR
(decoded from a screenshot), checks it, logs in and confirms the visit — which then shows on
the visit and in the visit-rate row. Expired, tampered and revoked credentials are refused."""

import io
import uuid
from datetime import UTC, datetime, timedelta

import zxingcpp
from geoalchemy2.shape import to_shape
from PIL import Image
from sqlalchemy import select

from fieldapp.credentials import service, tokens
from models import FirmConfirmation, Site, User
from tests.web.browser import assert_accessible, shot
from tests.web.test_firm_track import Api


def log_in(page, user):
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(f"fieldapp-{user}")
    page.get_by_role("button", name="登录").click()


def decode_qr(locator) -> str:
    image = Image.open(io.BytesIO(locator.screenshot())).convert("L")
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, "no QR code read from the screenshot"
    return found[0].text


def test_the_firm_scans_checks_and_confirms_and_the_visit_and_rate_show_it(
        context, live_server):
    api = Api(live_server.app)
    with live_server.db() as session:
        firm_user = session.scalar(select(User).where(User.username == "firm"))
        commissioner = session.scalar(select(User).where(User.username == "commissioner"))
        site = session.scalar(select(Site).where(Site.firm_id == firm_user.firm_id))
        gate = to_shape(site.point)
        firm_id, visitor_id = firm_user.firm_id, commissioner.id
    visit = api.post("/visits", "commissioner", {
        "client_id": str(uuid.uuid4()), "firm_id": firm_id,
        "captured_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "position": {"lat": gate.y + 0.03, "lon": gate.x, "accuracy_m": 15}})  # 3 km away
    assert visit["status"] == "needs_review"

    phone = context.new_page()
    phone.goto(f"{live_server.url}/app/credential")
    log_in(phone, "commissioner")
    phone.locator("#credential-qr").wait_for()
    short_code = phone.locator("#short-code").inner_text()
    assert short_code.startswith(f"{visitor_id}-")
    url = decode_qr(phone.locator("#credential-qr"))
    assert url.startswith(f"{live_server.url}/verify/")
    assert_accessible(phone, context="/app/credential")
    shot(phone, "credential-phone")

    firm_context = context.browser.new_context(**{**context_args(), "viewport": {
        "width": 390, "height": 844}})
    gate_page = firm_context.new_page()
    gate_page.goto(url)
    verdict = gate_page.locator(".verdict")
    verdict.wait_for()
    assert verdict.get_attribute("data-valid") == "true"
    assert commissioner.display_name in verdict.inner_text()
    gate_page.get_by_role("button", name="企业用户登录（可确认到访）").click()
    log_in(gate_page, "firm")
    gate_page.locator("#assigned[data-assigned=true]").wait_for()
    gate_page.get_by_label("对本次走访的评价（可不选）").select_option("very_satisfied")
    assert_accessible(gate_page, context="/verify signed in")
    shot(gate_page, "credential-verify-confirm")
    gate_page.get_by_role("button", name="确认此人今日到访").click()
    gate_page.locator("#confirmed").wait_for()
    shot(gate_page, "credential-confirmed")

    with live_server.db() as session:
        stored = session.scalar(select(FirmConfirmation).where(
            FirmConfirmation.firm_id == firm_id))
        assert (stored.visitor_id, stored.visit_id, stored.rating) == (
            visitor_id, visit["id"], "very_satisfied")
    seen = api.client.get(f"/api/v1/visits/{visit['id']}", headers=api.h("manager")).get_json()
    assert seen["verification"]["verdict"] == "out_of_range"
    assert seen["verification"]["firm_confirmation"]["confirmed"] is True
    approved = api.post(f"/visits/{visit['id']}/review", "manager",
                        {"decision": "approve", "reason_code": "firm_confirmed"})
    assert approved["status"] == "approved"
    month = datetime.now(UTC).astimezone(service.clock.LOCAL_TZ).strftime("%Y-%m")
    report = api.client.get("/api/v1/stats/visit-rate", query_string={
        "period": month, "group_by": "user"}, headers=api.h("manager")).get_json()
    row = next(r for r in report["rows"] if r["group"] == visitor_id)
    assert row["firm_confirmed"] == 1 and row["firm_confirmed_share"] > 0
    firm_context.close()


def context_args():
    return {"locale": "zh-CN", "timezone_id": "Asia/Shanghai", "is_mobile": True,
            "has_touch": True, "device_scale_factor": 2}


def test_expired_tampered_and_revoked_credentials_are_refused_plainly(page, live_server):
    with live_server.app.app_context():
        key = service.key()
        with live_server.db() as session:
            butler = session.scalar(select(User).where(User.username == "butler1"))
            commissioner = session.scalar(select(User).where(User.username == "commissioner2"))
            butler.is_active = False
            session.commit()
            butler_id, commissioner_id = butler.id, commissioner.id
    now = datetime.now(UTC)
    expired = tokens.issue(commissioner_id, now - timedelta(hours=1), 300, key).token
    good = tokens.issue(commissioner_id, now, 300, key)
    uid, exp, mac = good.token.split(".")
    tampered = f"{uid}.{int(exp) + 86400}.{mac}"
    revoked = tokens.issue(butler_id, now, 300, key).token
    for token, text in ((expired, "已过期"), (tampered, "伪造或篡改"), (revoked, "已不是在岗")):
        page.goto(f"{page.base}/verify/{token}")
        verdict = page.locator(".verdict")
        verdict.wait_for()
        assert verdict.get_attribute("data-valid") == "false"
        assert "证件无效" in verdict.inner_text() and text in verdict.inner_text()
    shot(page, "credential-refused")
    assert_accessible(page, context="/verify refused")
    # Typed: the short code, checked against a USCC typed by the firm.
    page.goto(f"{page.base}/verify")
    page.get_by_label("核验码（无法扫码时输入）").fill(good.short_code.lower())
    page.get_by_role("button", name="核验").click()
    page.locator(".verdict[data-valid=true]").wait_for()
    page.get_by_label("输入本企业统一社会信用代码，核对是否为本企业包抓人员").fill("91610402MA6XQ5Y0XN")
    page.locator(".uscc-form").get_by_role("button", name="核验").click()
    page.locator("#assigned").wait_for()
    assert page.locator("#assigned").get_attribute("data-assigned") == "false"
    shot(page, "credential-typed")
    assert page.console_errors == []
