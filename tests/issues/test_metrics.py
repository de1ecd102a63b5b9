"""Issue metrics (诉求统计): the written formulas, and who may read them, on both databases."""


import pytest

from tests.issues.scene import at


def test_metrics_follow_their_written_formulas(scene, client):
    s = scene
    # Issue 1: accepted on time, resolved on time in 2 working days, rated satisfied.
    one = s.raise_()
    s.clock[0] = at("2026-02-24", 9)
    for action, user, body in (("accept", "a_manager", {}),
                               ("dispatch", "a_manager", {"department_id": s.land.id}),
                               ("sign", "handler", {})):
        s.do(one, action, user, **body)
    s.clock[0] = at("2026-02-26", 9)    # Tue 24 09:00 → Thu 26 09:00: 2 working days
    s.do(one, "resolve", "handler", reply="好", result_code="solved")
    s.do(one, "rate", "firm1", rating="satisfied")
    # Issue 2 (raised 24 Feb, accepted 3 Mar, after its response deadline of 26 Feb),
    # resolved 4 working days later, rated dissatisfied and reopened.
    s.clock[0] = at("2026-02-24", 9)
    two = s.raise_(category="power")
    s.clock[0] = at("2026-03-03", 9)
    for action, user, body in (("accept", "a_manager", {}),
                               ("dispatch", "a_manager", {"department_id": s.power.id}),
                               ("sign", "power_handler", {})):
        s.do(two, action, user, **body)
    s.clock[0] = at("2026-03-09", 9)    # Tue 3 → Mon 9 Mar: 4 working days
    s.do(two, "resolve", "power_handler", reply="好", result_code="solved")
    s.do(two, "rate", "firm1", rating="dissatisfied")   # inside the window: reopened
    # Issue 3: rejected the same day; issue 4: never answered.
    three, _four = s.raise_(), s.raise_()
    s.do(three, "reject", "a_manager", text="重复提交")
    resp = client.get("/api/v1/stats/issues", query_string={"period": "2026-Q1",
                                                            "group_by": "category"},
                      headers=s.h("a_manager"))
    body = resp.get_json()
    t = body["total"]
    assert (t["submitted"], t["accepted"], t["resolved"], t["responded"]) == (4, 2, 1, 3)
    # Two was reopened, so only one carries a resolution now.
    assert t["resolution_rate"] == 0.5 and t["on_time_resolution_rate"] == 1.0
    assert t["on_time_response_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert t["rated"] == 2 and t["satisfaction_rate"] == 0.5
    assert t["avg_handling_days"] == 2.0 and t["p90_handling_days"] == 2.0
    assert t["reopen_rate"] == 0.5 and t["overdue"] == 0
    rows = {r["group"]: r for r in body["rows"]}
    assert rows["power"]["submitted"] == 1 and rows["land"]["submitted"] == 3
    assert rows["power"]["label"] == "用电"
    by_dept = client.get("/api/v1/stats/issues", query_string={
        "period": "2026-Q1", "format": "csv"}, headers=s.h("a_manager"))
    text = by_dept.get_data(as_text=True)
    assert text.startswith("\ufeff分组 Group,诉求数 Submitted") and "自然资源局" in text
    assert client.get("/api/v1/stats/issues", query_string={"period": "2026-Q1"},
                      headers=s.h("firm1")).status_code == 403


def test_issue_metrics_are_for_admins_and_managers(scene):
    s = scene
    s.raise_()
    for user, status in (("admin", 200), ("a_manager", 200), ("c1", 403), ("handler", 403),
                         ("firm1", 403)):
        s.get("/api/v1/stats/issues?period=2026-Q1", user, status=status)
