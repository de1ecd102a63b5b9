"""The visitor's e-credential (电子亮证): issuing, checking (expired, tampered, revoked, another
firm), and the firm's confirmation of a visit as second evidence beside GPS, on both
databases."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from conftest import GATE, offset
from sqlalchemy import func, select

from fieldapp import clock
from fieldapp.credentials import service, tokens
from fieldapp.extensions import db
from models import FirmConfirmation, User, Visit
from tests.test_visits import body

ME = "/api/v1/me/credential"
VERIFY = "/api/v1/credentials/verify"
CONFIRM = "/api/v1/credentials/confirm"


@pytest.fixture
def scene(scene, world):
    """The shared scene, with a firm user for a firm in each county."""
    scene.users["firm1"] = world.user("firm1", ["firm"], world.county_a, firm_id=scene.firm.id)
    scene.users["firm_b"] = world.user("firm_b", ["firm"], world.county_b,
                                       firm_id=scene.b_firm.id)
    return scene


def credential(client, as_, user="commissioner"):
    resp = client.post(ME, headers=as_(user))
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_a_commissioner_gets_a_short_lived_signed_credential_with_qr_and_short_code(
        client, scene, as_, app):
    cred = credential(client, as_)
    assert cred["url"].endswith(f"/verify/{cred['token']}")
    assert cred["qr_svg"].startswith("data:image/svg+xml")
    assert cred["short_code"].startswith(f"{scene.users['commissioner'].id}-")
    expires = datetime.fromisoformat(cred["expires_at"])
    left = (expires - datetime.now(UTC)).total_seconds()
    assert app.config["CREDENTIAL_TTL"] - 1 <= left <= app.config["CREDENTIAL_TTL"] + 60
    issued = datetime.fromisoformat(cred["issued_at"])    # the server's clock, for the phone
    assert abs((datetime.now(UTC) - issued).total_seconds()) < 5
    assert 0 <= (expires - issued).total_seconds() - app.config["CREDENTIAL_TTL"] < 60
    assert cred["holder"]["name"] == "Commissioner" and cred["holder"]["roles"] == [
        "commissioner"] and cred["holder"]["role_labels"] == ["企业服务专员"]
    assert client.post(ME, headers=as_("a_manager")).status_code == 403
    assert client.post(ME, headers=as_("firm1")).status_code == 403


def test_anyone_checks_it_by_qr_or_short_code_and_the_firm_learns_if_assigned(
        client, scene, as_):
    cred = credential(client, as_)
    for sent in ({"token": cred["token"]}, {"short_code": cred["short_code"].lower()}):
        got = client.post(VERIFY, json=sent).get_json()
        assert got["valid"] is True and got["holder"]["name"] == "Commissioner"
        assert got["assignment"] == {"checked": False, "firm_name": None, "assigned": None}
    mine = client.post(VERIFY, json={"token": cred["token"], "uscc": scene.firm.uscc.lower()})
    assert mine.get_json()["assignment"] == {"checked": True, "firm_name": "秦川机械",
                                             "assigned": True}
    theirs = client.post(VERIFY, json={"token": cred["token"], "uscc": scene.b_firm.uscc})
    assert theirs.get_json()["assignment"]["assigned"] is False
    # A logged-in firm user is checked against their own firm, whatever USCC is sent.
    as_firm = client.post(VERIFY, json={"token": cred["token"], "uscc": scene.b_firm.uscc},
                          headers=as_("firm1")).get_json()
    assert as_firm["assignment"]["assigned"] is True and as_firm["may_confirm"] is True
    as_b = client.post(VERIFY, json={"token": cred["token"]}, headers=as_("firm_b")).get_json()
    assert as_b["assignment"]["assigned"] is False and as_b["may_confirm"] is False
    assert client.post(VERIFY, json={}).status_code == 422


def test_expired_tampered_and_revoked_credentials_are_refused(client, scene, as_, monkeypatch):
    cred = credential(client, as_)
    uid, exp, mac = cred["token"].split(".")
    forged = [f"{uid}.{int(exp) + 3600}.{mac}",                 # a longer life
              f"{scene.users['other'].id}.{exp}.{mac}",         # someone else's id
              f"{uid}.{exp}.{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}"]
    for token in forged:
        assert client.post(VERIFY, json={"token": token}).get_json() == {
            "valid": False, "reason": "tampered"}
    short_forged = f"{scene.users['other'].id}-{cred['short_code'].split('-')[1]}"
    assert client.post(VERIFY, json={"short_code": short_forged}).get_json()["reason"] == \
        "tampered"
    assert client.post(VERIFY, json={"token": "junk<script>"}).get_json()["reason"] == \
        "malformed"
    # An access token is no credential: other key, other format.
    access = as_("commissioner")["Authorization"].split()[1]
    assert client.post(VERIFY, json={"token": access[:80]}).get_json()["valid"] is False
    later = datetime.now(UTC) + timedelta(seconds=400)
    monkeypatch.setattr(clock, "now", lambda: later)
    for sent in ({"token": cred["token"]}, {"short_code": cred["short_code"]}):
        assert client.post(VERIFY, json=sent).get_json() == {"valid": False,
                                                             "reason": "expired"}
    monkeypatch.undo()
    db.session.get(User, scene.users["commissioner"].id).is_active = False
    db.session.commit()
    assert client.post(VERIFY, json={"token": cred["token"]}).get_json() == {
        "valid": False, "reason": "revoked"}


def test_the_signing_key_is_not_the_access_token_key(app):
    key = service.key()
    assert key != app.config["SECRET_KEY"].encode()
    app.config["CREDENTIAL_KEY"] = "a separate credential key"
    cred = tokens.issue(7, datetime.now(UTC), 300, service.key())
    with pytest.raises(tokens.CredentialRefused):
        tokens.read_token(cred.token, datetime.now(UTC), key)


def test_refused_checks_are_limited_per_address(client, scene, as_, app):
    app.config["CREDENTIAL_FAILURES_PER_ADDRESS"] = "2 per 10 minutes"
    cred = credential(client, as_)
    for _ in range(2):
        assert client.post(VERIFY, json={"short_code": "1-222222"}).status_code == 200
    assert client.post(VERIFY, json={"token": cred["token"]}).status_code == 429


def file_visit(client, as_, firm, where=GATE, **extra):
    resp = client.post("/api/v1/visits", json=body(firm, where, **extra),
                       headers=as_("commissioner"))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_the_firm_confirms_the_visit_and_it_shows_beside_gps_in_review_and_in_the_rate(
        client, scene, as_):
    far = file_visit(client, as_, scene.firm, offset(*GATE, 0, 2000))   # out of range
    assert far["status"] == "needs_review" and far["verification"]["firm_confirmation"] is None
    review = {"decision": "approve", "reason_code": "firm_confirmed"}
    refused = client.post(f"/api/v1/visits/{far['id']}/review", json=review,
                          headers=as_("a_manager"))
    assert refused.status_code == 422 and "reason_code" in refused.get_json()["errors"]

    cred = credential(client, as_)
    resp = client.post(CONFIRM, json={"token": cred["token"], "rating": "very_satisfied"},
                       headers=as_("firm1"))
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["visit_id"] == far["id"]
    again = client.post(CONFIRM, json={"short_code": cred["short_code"]}, headers=as_("firm1"))
    assert again.status_code == 200 and again.get_json()["id"] == resp.get_json()["id"]
    seen = client.get(f"/api/v1/visits/{far['id']}", headers=as_("a_manager")).get_json()
    v = seen["verification"]
    assert v["verdict"] == "out_of_range"            # GPS evidence untouched
    assert v["firm_confirmation"]["confirmed"] is True
    assert v["firm_confirmation"]["rating"] == "very_satisfied"

    approved = client.post(f"/api/v1/visits/{far['id']}/review", json=review,
                           headers=as_("a_manager"))
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    month = datetime.now(UTC).astimezone(service.clock.LOCAL_TZ).strftime("%Y-%m")
    report = client.get("/api/v1/stats/visit-rate", query_string={
        "period": month, "group_by": "user"}, headers=as_("a_manager")).get_json()
    row = next(r for r in report["rows"] if r["label"] == "Commissioner")
    assert (row["visits"], row["firm_confirmed"], row["firm_confirmed_share"]) == (1, 1, 1.0)
    assert report["total"]["firm_confirmed"] == 1
    exported = client.get("/api/v1/stats/visit-rate", query_string={
        "period": month, "group_by": "user", "format": "csv"}, headers=as_("a_manager"))
    table = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    mine = next(r for r in table if r["分组 Group"] == "Commissioner")
    assert float(mine["企业确认占比 Firm-confirmed share"]) == 1.0


def test_a_confirmation_given_first_waits_for_the_visit_and_another_firm_cannot_use_it(
        client, scene, as_):
    cred = credential(client, as_)
    refused = client.post(CONFIRM, json={"token": cred["token"]}, headers=as_("firm_b"))
    assert refused.status_code == 409 and refused.get_json()["type"].endswith("not-assigned")
    assert client.post(CONFIRM, json={"token": cred["token"]},
                       headers=as_("commissioner")).status_code == 403
    first = client.post(CONFIRM, json={"token": cred["token"]}, headers=as_("firm1"))
    assert first.status_code == 201 and first.get_json()["visit_id"] is None
    visit = file_visit(client, as_, scene.firm)
    assert visit["verification"]["firm_confirmation"]["confirmed"] is True
    stored = db.session.scalar(select(FirmConfirmation))
    assert stored.visit_id == visit["id"] and stored.confirmed_by_id == scene.users["firm1"].id
    # A GPS confirmation never changes: the visit stays as GPS judged it.
    assert db.session.get(Visit, visit["id"]).verdict == "verified"


def test_a_credential_replayed_while_valid_is_answered_with_the_one_confirmation(
        client, scene, as_):
    cred = credential(client, as_)
    first = client.post(CONFIRM, json={"token": cred["token"], "rating": "satisfied"},
                        headers=as_("firm1"))
    assert first.status_code == 201
    again = client.post(CONFIRM, json={"short_code": cred["short_code"],
                                       "rating": "very_dissatisfied"}, headers=as_("firm1"))
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["rating"] == "satisfied"     # the first answer stands
    assert db.session.scalar(select(func.count()).select_from(FirmConfirmation)) == 1


def test_a_replayed_expired_forged_or_revoked_credential_confirms_nothing(
        client, scene, as_, app, monkeypatch):
    cred = credential(client, as_)
    file_visit(client, as_, scene.firm)
    later = datetime.now(UTC) + timedelta(seconds=app.config["CREDENTIAL_TTL"] + 60)
    monkeypatch.setattr(clock, "now", lambda: later)
    for sent in ({"token": cred["token"]}, {"short_code": cred["short_code"]}):
        resp = client.post(CONFIRM, json=sent, headers=as_("firm1"))
        assert resp.status_code == 422 and resp.get_json()["reason"] == "expired"
        assert resp.get_json()["type"].endswith("credential-expired")
    monkeypatch.undo()
    uid, exp, mac = cred["token"].split(".")
    forged = client.post(CONFIRM, json={"token": f"{uid}.{int(exp) + 3600}.{mac}"},
                         headers=as_("firm1"))
    assert forged.status_code == 422 and forged.get_json()["reason"] == "tampered"
    db.session.get(User, scene.users["commissioner"].id).is_active = False
    db.session.commit()
    revoked = client.post(CONFIRM, json={"token": cred["token"]}, headers=as_("firm1"))
    assert revoked.status_code == 422 and revoked.get_json()["reason"] == "revoked"
    assert db.session.scalar(select(func.count()).select_from(FirmConfirmation)) == 0


def test_firm_confirmed_does_not_outweigh_flags_about_doctored_evidence(client, scene, as_):
    mocked = file_visit(client, as_, scene.firm, offset(*GATE, 0, 2000))
    db.session.get(Visit, mocked["id"]).flags = ["mock_location"]
    db.session.commit()
    cred = credential(client, as_)
    client.post(CONFIRM, json={"token": cred["token"]}, headers=as_("firm1"))
    resp = client.post(f"/api/v1/visits/{mocked['id']}/review", json={
        "decision": "approve", "reason_code": "firm_confirmed"}, headers=as_("a_manager"))
    assert resp.status_code == 422 and "mock_location" in str(resp.get_json()["errors"])
    reject = client.post(f"/api/v1/visits/{mocked['id']}/review", json={
        "decision": "reject", "reason_code": "firm_confirmed"}, headers=as_("a_manager"))
    assert reject.status_code == 422


def test_an_issue_raised_on_a_visit_comes_back_with_its_check_code_for_the_firm(
        client, scene, as_):
    from fieldapp.issues.checkcode import check_code

    visit = file_visit(client, as_, scene.firm, issues=[{"category": "power",
                                                         "title": "二期用电容量不足"}])
    raised = visit["issues"][0]
    assert raised["check_code"] == check_code(raised["tracking_no"])
    tracked = client.post("/api/v1/track", json={"tracking_no": raised["tracking_no"],
                                                  "check_code": raised["check_code"]})
    assert tracked.status_code == 200 and tracked.get_json()["title"] == "二期用电容量不足"


def test_an_offline_batch_answers_each_visits_issues_with_their_check_codes(
        client, scene, as_):
    from fieldapp.issues.checkcode import check_code
    from models import Issue

    with_issue = body(scene.firm, issues=[{"category": "power", "title": "变压器跳闸"}])
    plain = body(scene.firm)
    sent = {"visits": [with_issue, plain]}
    first = client.post("/api/v1/visits/batch", json=sent, headers=as_("commissioner"))
    assert first.status_code == 200, first.get_json()
    results = first.get_json()["results"]
    assert [r["result"] for r in results] == ["created", "created"]
    stored = db.session.scalar(select(Issue).where(Issue.visit_id == results[0]["id"]))
    assert (stored.title, stored.source, stored.firm_id) == ("变压器跳闸", "visit",
                                                             scene.firm.id)
    assert results[0]["issues"] == [{
        "id": stored.id, "tracking_no": stored.tracking_no,
        "check_code": check_code(stored.tracking_no), "category": "power",
        "title": "变压器跳闸", "description": None, "state": "submitted"}]
    assert results[1]["issues"] == []
    # The phone sends the batch again after a lost answer: the same codes, no second issue.
    again = client.post("/api/v1/visits/batch", json=sent, headers=as_("commissioner"))
    replay = again.get_json()["results"][0]
    assert replay["result"] == "duplicate" and replay["issues"] == results[0]["issues"]
    assert db.session.scalar(select(func.count()).select_from(Issue).where(
        Issue.visit_id == results[0]["id"])) == 1
