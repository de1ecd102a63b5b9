"""Issues (诉求): what a firm sees of its issues — no staff identity, no internal text, and none
of the words of another firm's issue it was merged into; on both databases."""



from tests.issues.scene import ISSUES, staff_traces, when


def test_nothing_firm_facing_shows_staff_identities_or_internal_texts(scene, app):
    s = scene
    issue = s.raise_()
    by_phone = s.raise_("a_manager", source="hotline")   # raised by staff, merged into issue
    internal = ["领导批示：优先办理", "内部编号 PX-17", "规划调整（内部）", "督办单 DB-9",
                "企业负责人另提用电问题", "已与供电公司电话沟通"]
    s.do(issue, "accept", "a_manager", internal_text=internal[0])
    s.do(by_phone, "merge", "a_manager", into_id=issue["id"], internal_text=internal[5])
    s.do(issue, "dispatch", "a_manager", department_id=s.power.id)
    s.do(issue, "return", "power_handler", text=f"不属于供电公司职责，{internal[1]}",
         internal_text=internal[5])
    s.do(issue, "dispatch", "a_manager", department_id=s.land.id)
    s.do(issue, "sign", "handler")
    s.do(issue, "request_suspension", "handler", text=f"需等待{internal[2]}")
    s.do(issue, "suspend", "a_manager", text="等待企业补充材料")
    s.do(issue, "resume", "handler")
    s.do(issue, "supervise", "admin", level=1, internal_text=internal[3])
    s.do(issue, "resolve", "handler", reply="已办理用地预审", result_code="solved")
    rated = s.do(issue, "rate", "firm1", rating="dissatisfied", comment="还没拿到批复")
    s.do(issue, "resolve", "handler", reply="批复已寄出", result_code="solved")
    s.do(issue, "callback", "a_manager", text="电话回访", internal_text=internal[4])
    staff = s.get(f"{ISSUES}/{issue['id']}", "a_manager")
    assert staff_traces(staff, internal)   # the check finds what is there
    assert "退单：不属于供电公司职责，内部编号 PX-17" in str(staff["events"])

    key = s.open311_key()
    app.config["OPEN311_PUBLIC_READS"] = True
    numbers = f"{issue['tracking_no']},{by_phone['tracking_no']}"
    views = {"list": s.get(ISSUES, "firm1"), "rated": rated}
    for one in (issue, by_phone):
        views |= {f"track {one['id']}": s.get(f"/api/v1/track/{one['tracking_no']}", "firm1"),
                  f"timeline {one['id']}": s.get(f"{ISSUES}/{one['id']}/timeline", "firm1"),
                  f"detail {one['id']}": s.get(f"{ISSUES}/{one['id']}", "firm1")}
    for name, query in (("open311 full", {"api_key": key}), ("open311 keyless", {})):
        views[name] = s.client.get("/open311/v2/requests.json", query_string={
            **query, "service_request_id": numbers}).get_json()
        assert len(views[name]) == 2
    for name, view in views.items():
        assert staff_traces(view, internal) == [], name
    view = views[f"track {issue['id']}"]
    assert "正在重新分派" in [e["label"] for e in view["events"]]
    assert view["department"] == "自然资源局"
    # Another firm's number reads as 404, as does a made-up one.
    s.get(f"/api/v1/track/{issue['tracking_no']}", "firm2", status=404)
    s.get(f"{ISSUES}/{issue['id']}", "firm2", status=404)
    s.get("/api/v1/track/XY-2026-999999", "firm1", status=404)
    # The department it was returned from no longer sees it; others never did.
    s.get(f"{ISSUES}/{issue['id']}", "power_handler", status=404)
    s.get(f"{ISSUES}/{issue['id']}", "b_manager", status=404)


def test_a_follower_of_another_firms_master_sees_its_steps_but_none_of_its_words(scene):
    """Several firms in one park report one outage (a 12345 practice): merged across firms,
    each firm follows the master's progress, but the master's title, replies, reasons and the
    other firm's rating comment stay with that firm."""
    s = scene
    master = s.raise_("firm2", firm=1, title="园区电子 M-TITLE", category="power")
    follower = s.raise_(category="power")
    s.do(master, "accept", "a_manager")
    s.do(follower, "merge", "a_manager", into_id=master["id"])
    s.do(master, "dispatch", "a_manager", department_id=s.power.id, text="M-DISPATCH")
    s.do(master, "sign", "power_handler")
    s.do(master, "suspend", "a_manager", text="M-SUSPEND-REASON")
    s.do(master, "resume", "power_handler")
    s.do(master, "resolve", "power_handler", reply="M-REPLY", result_code="solved")
    s.do(master, "rate", "firm2", rating="very_dissatisfied", comment="M-COMMENT")  # reopens
    s.get(f"{ISSUES}/{master['id']}", "firm1", status=404)
    key = s.open311_key()
    s.client.application.config["OPEN311_PUBLIC_READS"] = True
    views = [s.get(f"/api/v1/track/{follower['tracking_no']}", "firm1"),
             s.get(f"{ISSUES}/{follower['id']}", "firm1"),
             s.get(f"{ISSUES}/{follower['id']}/timeline", "firm1"),
             *(s.client.get(f"/open311/v2/requests/{follower['tracking_no']}.json",
                            query_string=q).get_json() for q in ({"api_key": key}, {}))]
    for view in views:
        assert "M-" not in str(view), view
    track = views[0]
    steps = [e for e in track["events"] if e.get("tracking_no") == master["tracking_no"]]
    assert [e["label"] for e in steps] == [
        "已提交", "已受理", "已转办至供电公司", "供电公司已签收，办理中", "暂停办理", "恢复办理",
        "已办结", "已评价", "重新办理"]
    assert {e["text"] for e in steps} == {None}
    staff = s.get(f"{ISSUES}/{master['id']}", "a_manager")
    assert track["followed_state"] == "in_progress" and track["department"] == "供电公司"
    assert when(track["deadline"]) == when(staff["resolve_due_at"])
    # The master's own firm reads its words as before.
    own = str(s.get(f"/api/v1/track/{master['tracking_no']}", "firm2"))
    assert all(t in own for t in ("M-TITLE", "M-REPLY", "M-COMMENT", "M-SUSPEND-REASON"))
