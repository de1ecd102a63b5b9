"""Following an issue without an account: check codes, the public ``POST /track``, its neutral
answer and rate limit, and the resolved / closed-without-fix outcome, on both databases."""

import pytest

from fieldapp.issues.checkcode import ALPHABET, LENGTH, check_code, matches
from tests.issues.scene import ISSUES, Scene, staff_traces

TRACK = "/api/v1/track"


@pytest.fixture
def scene(world, client, login, monkeypatch):
    return Scene(world, client, login, monkeypatch)


def public(client, number, code):
    return client.post(TRACK, json={"tracking_no": number, "check_code": code})


def test_check_codes_are_short_keyed_and_forgiving(app):
    code = check_code("XY-2026-000001")
    assert len(code) == LENGTH and set(code) <= set(ALPHABET)
    assert code != check_code("XY-2026-000002")
    assert matches("XY-2026-000001", f" {code[:3].lower()}-{code[3:]} ")
    assert not matches("XY-2026-000001", code[::-1] if code[::-1] != code else "222222")
    app.config["ISSUE_CHECK_CODE_KEY"] = "another key"
    assert check_code("XY-2026-000001") != code   # keyed: not computable from the number


def test_the_code_comes_with_the_number_wherever_an_issue_is_raised(scene):
    s = scene
    by_firm = s.raise_()
    assert by_firm["check_code"] == check_code(by_firm["tracking_no"])
    by_hotline = s.raise_("a_manager", source="hotline")
    assert by_hotline["check_code"] == check_code(by_hotline["tracking_no"])
    # The firm finds the hotline issue's code in its own account (list and detail).
    listed = {i["tracking_no"]: i["check_code"] for i in s.get(ISSUES, "firm1")["items"]}
    assert listed[by_hotline["tracking_no"]] == by_hotline["check_code"]
    assert s.get(f"{ISSUES}/{by_hotline['id']}", "firm1")["check_code"] == \
        by_hotline["check_code"]
    # An Open311 client gets it in the answer to its POST and in keyed reads, never keyless.
    key = s.open311_key()
    created = s.client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "land", "description": "用地",
        "attribute[firm_uscc]": s.firms[0].uscc}).get_json()[0]
    assert created["check_code"] == check_code(created["service_request_id"])
    keyed = s.client.get(f"/open311/v2/requests/{created['service_request_id']}.json",
                         query_string={"api_key": key}).get_json()[0]
    assert keyed["check_code"] == created["check_code"]
    s.client.application.config["OPEN311_PUBLIC_READS"] = True
    keyless = s.client.get(f"/open311/v2/requests/{created['service_request_id']}.json"
                           ).get_json()[0]
    assert "check_code" not in keyless


def test_number_and_code_show_the_public_timeline_and_nothing_internal(scene):
    s = scene
    issue = s.raise_()
    internal = ["领导批示：优先办理", "内部编号 PX-17"]
    s.do(issue, "accept", "a_manager", internal_text=internal[0])
    s.do(issue, "dispatch", "a_manager", department_id=s.land.id, internal_text=internal[1])
    resp = public(s.client, issue["tracking_no"].lower(), issue["check_code"].lower())
    assert resp.status_code == 200, resp.get_json()
    view = resp.get_json()
    assert [e["label"] for e in view["events"]] == ["已提交", "已受理", "已转办至自然资源局"]
    assert view["department"] == "自然资源局" and view["deadline"]
    assert view["next_step"] == "等待自然资源局签收"
    assert view["outcome"] is None and view["fixed"] is None
    assert staff_traces(view, internal) == []
    assert "check_code" not in view and "id" not in view and "firm_id" not in view
    s.do(issue, "sign", "handler")
    s.do(issue, "resolve", "handler", reply="已办理", result_code="solved")
    view = public(s.client, issue["tracking_no"], issue["check_code"]).get_json()
    assert (view["outcome"], view["outcome_label"], view["fixed"]) == ("resolved", "已解决", True)


def test_closed_without_a_fix_reads_apart_from_resolved(scene):
    s = scene
    rejected = s.raise_()
    s.do(rejected, "reject", "a_manager", text="不属于营商环境诉求")
    not_ours = s.raise_()
    s.do(not_ours, "accept", "a_manager")
    s.do(not_ours, "dispatch", "a_manager", department_id=s.land.id)
    s.do(not_ours, "sign", "handler")
    s.do(not_ours, "resolve", "handler", reply="请向法院起诉", result_code="not_our_duty")
    outcomes = {}
    for one in (rejected, not_ours):
        view = public(s.client, one["tracking_no"], one["check_code"]).get_json()
        outcomes[view["outcome"]] = (view["fixed"], view["outcome_label"])
    assert outcomes == {"rejected": (False, "未解决：不予受理"),
                        "not_our_duty": (False, "未解决：不属于受理范围")}


def test_wrong_code_unknown_number_and_junk_get_one_neutral_answer(scene):
    s = scene
    mine, theirs = s.raise_(), s.raise_("firm2", firm=1)
    answers = [public(s.client, mine["tracking_no"], theirs["check_code"]),
               public(s.client, "XY-2026-999999", mine["check_code"]),
               public(s.client, "' OR 1=1 --", "\x00abc")]
    assert {r.status_code for r in answers} == {404}
    assert len({r.get_json()["detail"] for r in answers}) == 1
    assert mine["tracking_no"] not in str([r.get_json() for r in answers])
    missing = s.client.post(TRACK, json={"tracking_no": mine["tracking_no"]})
    assert missing.status_code == 422 and "check_code" in missing.get_json()["errors"]


def test_failed_lookups_are_limited_per_address_then_even_the_right_code_waits(scene, app):
    s = scene
    app.config["TRACK_FAILURES_PER_ADDRESS"] = "3 per 10 minutes"
    issue = s.raise_()
    assert public(s.client, issue["tracking_no"], issue["check_code"]).status_code == 200
    for _ in range(3):
        assert public(s.client, issue["tracking_no"], "222222").status_code == 404
    # Successes do not count; failures do, and past the limit the address waits.
    blocked = public(s.client, issue["tracking_no"], issue["check_code"])
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    other = s.client.post(TRACK, json={"tracking_no": issue["tracking_no"],
                                       "check_code": issue["check_code"]},
                          environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 200


def jpeg_bytes(colour=(200, 30, 30)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(out, "JPEG")
    return out.getvalue()


def upload(client, issue, headers, data, name="现场.jpg"):
    import io

    return client.post(f"{ISSUES}/{issue['id']}/attachments", headers=headers,
                       data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_a_firm_attaches_photos_and_pdfs_judged_by_their_bytes(scene, app, tmp_path):
    s = scene
    app.config["PHOTO_DIR"] = str(tmp_path)
    issue = s.raise_()
    photo = jpeg_bytes()
    first = upload(s.client, issue, s.h("firm1"), photo, "配电房.txt")
    assert first.status_code == 201, first.get_json()
    stored = first.get_json()
    assert (stored["content_type"], stored["name"]) == ("image/jpeg", "配电房.txt")
    assert upload(s.client, issue, s.h("firm1"), photo).status_code == 200   # a replay
    pdf = upload(s.client, issue, s.h("firm1"), b"%PDF-1.4\n1 0 obj\n%%EOF\n", "批复.pdf")
    assert pdf.status_code == 201 and pdf.get_json()["content_type"] == "application/pdf"
    assert upload(s.client, issue, s.h("firm1"), b"MZ\x90\x00 not a photo",
                  "photo.jpg").status_code == 415
    broken = upload(s.client, issue, s.h("firm1"), b"\xff\xd8\xff\xe0 broken", "x.jpg")
    assert broken.status_code == 422 and "file" in broken.get_json()["errors"]
    app.config["PHOTO_MAX_BYTES"] = 100
    assert upload(s.client, issue, s.h("firm1"), jpeg_bytes((1, 2, 3))).status_code == 413
    assert upload(s.client, issue, s.h("firm2"), photo).status_code == 404   # another firm
    assert upload(s.client, issue, s.h("handler"), photo).status_code == 404
    got = s.client.get(stored["url"], headers=s.h("firm1"))
    assert got.status_code == 200 and got.data == photo and got.mimetype == "image/jpeg"
    assert s.client.get(stored["url"], headers=s.h("firm2")).status_code == 404
    view = s.get(f"{ISSUES}/{issue['id']}", "firm1")
    assert [a["content_type"] for a in view["attachments"]] == ["image/jpeg",
                                                                 "application/pdf"]
