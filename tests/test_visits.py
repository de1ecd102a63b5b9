"""Visits: filing with server-side verification, exactly-once storage, batches, review, scope."""

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from conftest import GATE, PARK, offset
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import func, select

from fieldapp import clock
from fieldapp.extensions import db
from geo import wgs84_to_bd09, wgs84_to_gcj02
from models import Assignment, AuditEvent, Issue, Site, Visit

VISITS = "/api/v1/visits"


def now():
    return datetime.now(UTC).replace(microsecond=0)


def body(firm, where=GATE, *, accuracy=10, crs="wgs84", source="gps", captured=None, **extra):
    lat, lon = where
    return {"client_id": str(uuid.uuid4()), "firm_id": firm.id,
            "captured_at": (captured or now()).isoformat(),
            "position": {"lat": lat, "lon": lon, "accuracy_m": accuracy, "crs": crs,
                         "source": source}, **extra}


def visits():
    return db.session.scalar(select(func.count()).select_from(Visit))


def problem_fields(resp, status=422):
    assert resp.status_code == status, resp.get_json()
    assert resp.mimetype == "application/problem+json"
    return set(resp.get_json().get("errors", {}))


# --- verdicts ------------------------------------------------------------------------------

def test_a_visit_at_the_gate_is_verified_and_accepted(client, scene, as_):
    sent = body(scene.firm, offset(*GATE, 90, 40), notes="谈了用电问题", purpose="routine")
    resp = client.post(VISITS, json=sent, headers=as_("commissioner"))
    assert resp.status_code == 201, resp.get_json()
    got = resp.get_json()
    v = got["verification"]
    assert (v["verdict"], v["status"], v["flags"]) == ("verified", "accepted", [])
    assert v["distance_m"] == pytest.approx(40, abs=0.5)
    assert v["radius_m"] == 150 and v["measured_to"] == "point" and v["site_version"] == 1
    assert v["accuracy_m"] > 10  # a 68% GPS radius rescaled to 95%
    assert got["position"] == sent["position"]  # the raw position exactly as sent
    assert got["countable"] is True and got["status"] == "accepted"
    stored = db.session.get(Visit, got["id"])
    assert stored.assignment_id is not None and stored.org_unit_id == scene.firm.org_unit_id
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity == "visits")) == 1


def test_far_away_is_stored_for_review_never_refused(client, scene, as_):
    resp = client.post(VISITS, json=body(scene.firm, offset(*GATE, 0, 5000)),
                       headers=as_("commissioner"))
    assert resp.status_code == 201
    v = resp.get_json()["verification"]
    assert (v["verdict"], v["status"]) == ("out_of_range", "needs_review")
    assert v["distance_m"] == pytest.approx(5000, rel=1e-3)


def test_a_coarse_fix_at_the_edge_is_inconclusive(client, scene, as_):
    resp = client.post(VISITS, json=body(scene.firm, offset(*GATE, 0, 140), accuracy=60),
                       headers=as_("commissioner"))
    v = resp.get_json()["verification"]
    assert (v["verdict"], v["status"]) == ("inconclusive", "needs_review")
    resp = client.post(VISITS, json=body(scene.firm, accuracy=None),
                       headers=as_("commissioner"))
    v = resp.get_json()["verification"]
    assert v["verdict"] == "inconclusive" and "accuracy_missing" in v["flags"]


def test_inside_a_boundary_is_distance_zero(client, scene, as_):
    inside = offset(*PARK, 45, 200)
    resp = client.post(VISITS, json=body(scene.park_firm, inside), headers=as_("commissioner"))
    v = resp.get_json()["verification"]
    assert (v["verdict"], v["distance_m"], v["measured_to"]) == ("verified", 0.0, "polygon")


@pytest.mark.parametrize("crs,convert", [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)])
def test_gcj02_and_bd09_positions_near_the_site_are_verified(client, scene, as_, crs, convert):
    resp = client.post(VISITS, json=body(scene.firm, convert(*offset(*GATE, 180, 30)), crs=crs),
                       headers=as_("commissioner"))
    v = resp.get_json()["verification"]
    assert v["verdict"] == "verified", v
    assert v["distance_m"] == pytest.approx(30, abs=0.5)
    assert v["position_wgs84"]["lat"] == pytest.approx(offset(*GATE, 180, 30)[0], abs=1e-6)


def test_gcj02_sent_as_wgs84_lands_hundreds_of_metres_off(client, scene, as_):
    # The classic mistake: an Amap position declared as GPS. It is stored and reviewed.
    resp = client.post(VISITS, json=body(scene.firm, wgs84_to_gcj02(*GATE)),
                       headers=as_("commissioner"))
    v = resp.get_json()["verification"]
    assert v["distance_m"] > 300 and v["status"] == "needs_review"


def test_the_nearest_site_is_used_unless_one_is_named(client, scene, as_):
    far_site = Site(firm_id=scene.firm.id, name="二厂", radius_m=100.0, version=1,
                    point=from_shape(Point(108.80, 34.40), srid=4326))
    db.session.add(far_site)
    db.session.commit()
    resp = client.post(VISITS, json=body(scene.firm, (34.4001, 108.8001)),
                       headers=as_("commissioner"))
    assert resp.get_json()["verification"]["site_id"] == far_site.id
    resp = client.post(VISITS, json=body(scene.firm, (34.4001, 108.8001),
                                         site_id=scene.firm.sites[0].id),
                       headers=as_("commissioner"))
    assert resp.get_json()["verification"]["verdict"] == "out_of_range"
    other = scene.b_firm.sites[0].id
    resp = client.post(VISITS, json=body(scene.firm, site_id=other), headers=as_("commissioner"))
    assert problem_fields(resp) == {"site_id"}


# --- flags ---------------------------------------------------------------------------------

def test_mock_location_flag_true_and_false(client, scene, as_):
    sent = body(scene.firm)
    sent["position"]["mock"] = True
    v = client.post(VISITS, json=sent, headers=as_("commissioner")).get_json()["verification"]
    assert "mock_location" in v["flags"] and v["status"] == "needs_review"
    sent = body(scene.firm)
    sent["position"]["mock"] = False
    v = client.post(VISITS, json=sent, headers=as_("commissioner")).get_json()["verification"]
    assert v["flags"] == []


def test_impossible_travel_is_judged_in_capture_order_even_when_uploaded_late(client, scene,
                                                                             as_):
    t0 = now() - timedelta(hours=3)
    first = body(scene.firm, captured=t0)
    assert client.post(VISITS, json=first, headers=as_("commissioner")).status_code == 201
    # 60 km away 20 minutes later (180 km/h; 120 is the limit).
    far = offset(*GATE, 90, 60_000)
    db.session.add(Site(firm_id=scene.park_firm.id, name="远", radius_m=150.0, version=1,
                        point=from_shape(Point(far[1], far[0]), srid=4326)))
    db.session.commit()
    late = body(scene.park_firm, far, captured=t0 + timedelta(minutes=20), offline=True)
    v = client.post(VISITS, json=late, headers=as_("commissioner")).get_json()["verification"]
    assert "impossible_travel" in v["flags"]
    # Three hours later the same trip is plausible.
    ok = body(scene.park_firm, far, captured=t0 + timedelta(hours=3), offline=True)
    v = client.post(VISITS, json=ok, headers=as_("commissioner")).get_json()["verification"]
    assert "impossible_travel" not in v["flags"]


def test_identical_coordinates_on_another_day_are_a_repeated_fix(client, scene, as_):
    spot = (34.33001234, 108.71004321)
    client.post(VISITS, json=body(scene.firm, spot, captured=now() - timedelta(days=3),
                                  offline=True), headers=as_("commissioner"))
    v = client.post(VISITS, json=body(scene.firm, spot),
                    headers=as_("commissioner")).get_json()["verification"]
    assert "repeated_fix" in v["flags"]
    v = client.post(VISITS, json=body(scene.firm, offset(*spot, 0, 3)),
                    headers=as_("commissioner")).get_json()["verification"]
    assert "repeated_fix" not in v["flags"]


# --- exactly once ---------------------------------------------------------------------------

def test_a_replay_returns_the_same_visit_and_a_changed_one_is_a_conflict(client, scene, as_):
    sent = body(scene.firm)
    first = client.post(VISITS, json=sent, headers=as_("commissioner"))
    again = client.post(VISITS, json=dict(reversed(list(sent.items()))),
                        headers=as_("commissioner"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    changed = {**sent, "notes": "另一次"}
    resp = client.post(VISITS, json=changed, headers=as_("commissioner"))
    assert resp.status_code == 409
    assert resp.get_json()["visit_id"] == first.get_json()["id"]
    assert visits() == 1
    # client_id is per person: another commissioner's phone may make the same id.
    scene.assign("other", scene.firm)
    assert client.post(VISITS, json=sent, headers=as_("other")).status_code == 201


def test_a_replay_is_answered_as_one_even_when_the_rules_would_refuse_the_visit_now(
        client, scene, as_):
    # The insert decides replays, so a resend reaching a rule that now refuses it (here the
    # assignment has ended) must still find the stored copy: 200, or 409 for other content.
    sent = body(scene.firm)
    first = client.post(VISITS, json=sent, headers=as_("commissioner"))
    assert first.status_code == 201
    for assignment in db.session.scalars(select(Assignment).where(
            Assignment.firm_id == scene.firm.id)):
        assignment.starts_on = clock.today() - timedelta(days=20)
        assignment.ends_on = clock.today() - timedelta(days=5)
    db.session.commit()
    again = client.post(VISITS, json=sent, headers=as_("commissioner"))
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    changed = client.post(VISITS, json={**sent, "notes": "另一次"}, headers=as_("commissioner"))
    assert changed.status_code == 409
    fresh = client.post(VISITS, json=body(scene.firm), headers=as_("commissioner"))
    assert fresh.status_code == 404  # no longer assigned, so no longer visible either
    assert visits() == 1


def test_racing_duplicates_end_as_one_row(app, scene, login):
    headers = login("commissioner")
    sent = body(scene.firm)
    barrier = threading.Barrier(4)
    statuses, ids = [], []

    def post():
        with app.test_client() as c:
            barrier.wait()
            resp = c.post(VISITS, json=sent, headers=headers)
            statuses.append(resp.status_code)
            ids.append((resp.get_json() or {}).get("id"))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 200, 200, 201], statuses
    assert len(set(ids)) == 1
    assert visits() == 1


def test_a_resend_differing_only_in_offline_is_a_replay_keeping_the_first_copy(client, scene,
                                                                              as_):
    # Decided (issue 14, item 9): offline says how the visit travelled, not what it is. A phone
    # that timed out online and queued the visit for its outbox resends it with offline=true.
    sent = body(scene.firm, offline=False)
    first = client.post(VISITS, json=sent, headers=as_("commissioner"))
    again = client.post(VISITS, json={**sent, "offline": True}, headers=as_("commissioner"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    batch = client.post(f"{VISITS}/batch", json={"visits": [sent]}, headers=as_("commissioner"))
    assert batch.get_json()["results"][0]["result"] == "duplicate"
    assert db.session.scalar(select(Visit.offline)) is False
    assert visits() == 1


def test_a_batch_item_with_a_control_character_is_refused_alone(client, scene, as_):
    good, bad = body(scene.firm), body(scene.firm, notes="a\u0000b")
    resp = client.post(f"{VISITS}/batch", json={"visits": [bad, good]},
                       headers=as_("commissioner"))
    assert resp.status_code == 200, resp.get_json()
    results = resp.get_json()["results"]
    assert [r["result"] for r in results] == ["invalid", "created"]
    assert "notes" in results[0]["errors"]
    assert visits() == 1


def race(app, headers, path, sent, copies=2):
    """Send ``copies`` identical requests at once, as a phone retrying after a timeout does."""
    barrier = threading.Barrier(copies)
    answers = []

    def post():
        with app.test_client() as c:
            barrier.wait()
            resp = c.post(path, json=sent, headers=headers)
            answers.append((resp.status_code, resp.get_json()))

    threads = [threading.Thread(target=post) for _ in range(copies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(answers, key=lambda a: a[0])


def test_a_racing_duplicate_raising_issues_answers_as_the_replay(app, scene, login):
    # Raising an issue reads its category, which flushed the visit's INSERT outside the guard
    # that turns a lost race into a replay: the loser answered 409 and the phone, believing
    # "409: make a new client_id", filed the visit twice.
    headers = login("commissioner")
    for _ in range(5):
        sent = body(scene.firm, issues=[{"category": "power", "title": "二期用电容量不足"}])
        answers = race(app, headers, VISITS, sent)
        assert [status for status, _ in answers] == [200, 201], answers
        assert answers[0][1]["id"] == answers[1][1]["id"]
    assert visits() == 5
    assert db.session.scalar(select(func.count()).select_from(Issue)) == 5


def test_a_racing_duplicate_batch_answers_per_item_as_replays(app, scene, login):
    headers = login("commissioner")
    for _ in range(3):
        items = [body(scene.firm, offset(*GATE, 90 * i, 20), captured=now() - timedelta(hours=i),
                      issues=[{"category": "power", "title": f"问题 {i}"}]) for i in range(3)]
        answers = race(app, headers, f"{VISITS}/batch", {"visits": items})
        assert [status for status, _ in answers] == [200, 200], answers
        ids = [[r["id"] for r in body_["results"]] for _, body_ in answers]
        assert ids[0] == ids[1]
        for _, answer in answers:
            assert {r["result"] for r in answer["results"]} <= {"created", "duplicate"}, answer
    assert visits() == 9
    assert db.session.scalar(select(func.count()).select_from(Issue)) == 9


# --- refusals ---------------------------------------------------------------------------------

@pytest.mark.parametrize("change,field", [
    ({"position": None}, "position"),
    ({"position": {"lat": 91, "lon": 108.7}}, "position.lat"),
    ({"position": {"lat": "x", "lon": 108.7}}, "position.lat"),
    ({"position": {"lat": 34.3, "lon": 108.7, "crs": "mars"}}, "position.crs"),
    ({"position": {"lat": 34.3, "lon": 108.7, "source": "psychic"}}, "position.source"),
    ({"position": {"lat": 34.3, "lon": 108.7, "accuracy_m": -1}}, "position.accuracy_m"),
    ({"captured_at": "2026-11-20T10:42:05"}, "captured_at"),
    ({"captured_at": "yesterday"}, "captured_at"),
    ({"client_id": "short"}, "client_id"),
    ({"client_id": "bad id with spaces"}, "client_id"),
    ({"firm_id": "12"}, "firm_id"),
    ({"project_id": 1}, "firm_id"),
    ({"purpose": "tea"}, "purpose"),
    ({"issues": [{"category": "power"}]}, "issues.0.title"),
    ({"issues": [{"category": "unicorns", "title": "x"}]}, "issues.0.category"),
])
def test_bad_input_is_a_422_naming_the_field_and_stores_nothing(client, scene, as_, change,
                                                               field):
    resp = client.post(VISITS, json={**body(scene.firm), **change}, headers=as_("commissioner"))
    assert field in problem_fields(resp)
    assert visits() == 0


def test_nan_and_capture_times_out_of_bounds_are_refused(client, scene, as_):
    raw = body(scene.firm)
    text = str(raw).replace("'", '"').replace('"lat": 34.33', '"lat": NaN').replace(
        "None", "null")
    resp = client.post(VISITS, data=text, content_type="application/json",
                       headers=as_("commissioner"))
    assert resp.status_code in (400, 422)
    future = body(scene.firm, captured=now() + timedelta(hours=1))
    assert problem_fields(client.post(VISITS, json=future,
                                      headers=as_("commissioner"))) == {"captured_at"}
    ancient = body(scene.firm, captured=now() - timedelta(days=40))
    assert problem_fields(client.post(VISITS, json=ancient,
                                      headers=as_("commissioner"))) == {"captured_at"}
    many = body(scene.firm, issues=[{"category": "power", "title": "x"}] * 11)
    assert problem_fields(client.post(VISITS, json=many, headers=as_("commissioner"))) == {
        "issues"}
    assert visits() == 0


def test_scope_and_assignment_rules(client, scene, as_):
    # Another county's firm: invisible, 404. A visible firm nobody assigned me: 403.
    resp = client.post(VISITS, json=body(scene.b_firm), headers=as_("commissioner"))
    assert resp.status_code == 404
    resp = client.post(VISITS, json=body(scene.firm), headers=as_("a_manager"))
    assert resp.status_code == 403
    resp = client.post(VISITS, json=body(scene.unassigned), headers=as_("a_manager"))
    assert resp.status_code == 403
    resp = client.post(VISITS, json={**body(scene.firm), "firm_id": 999_999},
                       headers=as_("commissioner"))
    assert resp.status_code == 404
    resp = client.post(VISITS, json={**body(scene.firm), "firm_id": 10**12},
                       headers=as_("commissioner"))
    assert problem_fields(resp) == {"firm_id"}  # no id is that large
    assert visits() == 0


def test_an_offline_visit_from_the_last_day_of_an_ended_assignment_is_accepted(client, scene,
                                                                              as_):
    scene.assign("other", scene.unassigned, days_ago=20, ends_on=clock.today() - timedelta(5))
    when = now() - timedelta(days=8)
    resp = client.post(VISITS, json=body(scene.unassigned, (34.40, 108.70), captured=when,
                                         offline=True), headers=as_("other"))
    assert resp.status_code == 201, resp.get_json()
    # Captured after the assignment ended: not theirs any more.
    resp = client.post(VISITS, json=body(scene.unassigned, (34.40, 108.70)),
                       headers=as_("other"))
    assert resp.status_code in (403, 404)


def test_a_closed_firm_takes_no_new_visits_but_an_earlier_offline_one_is_kept(client, scene,
                                                                             as_):
    before = now() - timedelta(hours=2)
    scene.firm.status, scene.firm.closed_at = "closed", now() - timedelta(hours=1)
    db.session.commit()
    assert problem_fields(client.post(VISITS, json=body(scene.firm),
                                      headers=as_("commissioner"))) == {"firm_id"}
    resp = client.post(VISITS, json=body(scene.firm, captured=before, offline=True),
                       headers=as_("commissioner"))
    assert resp.status_code == 201


def test_issues_raised_on_a_visit_are_stored_with_it(client, scene, as_):
    sent = body(scene.firm, issues=[
        {"category": "power", "title": "变压器容量不足", "description": "二期投产缺电"},
        {"category": "hiring", "title": "缺技术工人"}])
    resp = client.post(VISITS, json=sent, headers=as_("commissioner"))
    assert [i["title"] for i in resp.get_json()["issues"]] == ["变压器容量不足", "缺技术工人"]
    rows = db.session.scalars(select(Issue).order_by(Issue.id)).all()
    assert [(i.firm_id, i.visit_id, i.state) for i in rows] == [
        (scene.firm.id, resp.get_json()["id"], "submitted")] * 2


# --- batch -------------------------------------------------------------------------------------

def test_a_200_item_batch_with_mixed_items_and_a_safe_resend(client, scene, as_):
    start = now() - timedelta(days=2)
    items = [body(scene.firm, offset(*GATE, i % 360, 20), captured=start + timedelta(minutes=i))
             for i in range(195)]
    stored = body(scene.firm, captured=start - timedelta(hours=1))
    assert client.post(VISITS, json=stored, headers=as_("commissioner")).status_code == 201
    items += [
        stored,                                            # 195: already stored
        {**stored, "notes": "changed"},                    # 196: conflict
        {**body(scene.firm), "position": {"lat": 95}},     # 197: invalid
        body(scene.b_firm),                                # 198: not found (other county)
        "not an object",                                   # 199: invalid
    ]
    resp = client.post(f"{VISITS}/batch", json={"visits": items}, headers=as_("commissioner"))
    assert resp.status_code == 200, resp.get_json()
    results = resp.get_json()["results"]
    assert [r["index"] for r in results] == list(range(200))
    assert {r["result"] for r in results[:195]} == {"created"}
    assert [r["result"] for r in results[195:]] == [
        "duplicate", "conflict", "invalid", "not_found", "invalid"]
    assert "position.lat" in results[197]["errors"]
    assert resp.get_json()["counts"] == {"created": 195, "duplicate": 1, "conflict": 1,
                                         "invalid": 2, "not_found": 1}
    assert visits() == 196
    again = client.post(f"{VISITS}/batch", json={"visits": items}, headers=as_("commissioner"))
    assert again.get_json()["counts"]["duplicate"] == 196
    assert visits() == 196
    offline = db.session.scalar(select(Visit).where(Visit.client_id == items[0]["client_id"]))
    assert offline.offline is True


def test_a_batch_too_large_or_empty_is_refused(app, client, scene, as_):
    app.config["VISIT_BATCH_MAX"] = 3
    items = [body(scene.firm) for _ in range(4)]
    assert "visits" in problem_fields(client.post(f"{VISITS}/batch", json={"visits": items},
                                                  headers=as_("commissioner")))
    assert "visits" in problem_fields(client.post(f"{VISITS}/batch", json={"visits": []},
                                                  headers=as_("commissioner")))
    assert visits() == 0


# --- reading and review -----------------------------------------------------------------------

def test_the_review_queue_and_decisions(client, scene, as_):
    far = client.post(VISITS, json=body(scene.firm, offset(*GATE, 0, 3000),
                                        captured=now() - timedelta(hours=3)),
                      headers=as_("commissioner")).get_json()
    good = client.post(VISITS, json=body(scene.firm), headers=as_("commissioner")).get_json()
    assert good["status"] == "accepted"
    queue = client.get(VISITS, query_string={"status": "needs_review"},
                       headers=as_("a_manager")).get_json()
    assert [v["id"] for v in queue["items"]] == [far["id"]]
    assert client.get(VISITS, query_string={"status": "needs_review"},
                      headers=as_("b_manager")).get_json()["items"] == []
    url = f"{VISITS}/{far['id']}/review"
    decision = {"decision": "approve", "reason_code": "met_at_other_address",
                "note": "在园区管委会会议室座谈"}
    assert client.post(url, json=decision, headers=as_("commissioner")).status_code == 403
    assert client.post(url, json=decision, headers=as_("b_manager")).status_code == 404
    resp = client.post(url, json=decision, headers=as_("a_manager"))
    assert resp.status_code == 200
    assert (resp.get_json()["status"], resp.get_json()["countable"]) == ("approved", True)
    again = client.post(url, json={**decision, "decision": "reject",
                                   "reason_code": "not_visited"}, headers=as_("a_manager"))
    assert again.status_code == 409 and again.get_json()["current_decision"] == "approve"
    resp = client.post(url, json={"decision": "reject", "reason_code": "not_visited",
                                  "note": "企业称当天无人来访", "supersede": True},
                       headers=as_("admin"))
    got = resp.get_json()
    assert got["status"] == "rejected" and got["countable"] is False
    assert [r["decision"] for r in got["reviews"]] == ["approve", "reject"]
    assert got["reviews"][1]["supersedes_id"] == got["reviews"][0]["id"]
    # An accepted visit may be rejected after the fact too.
    resp = client.post(f"{VISITS}/{good['id']}/review", json={
        "decision": "reject", "reason_code": "duplicate", "note": "与前一条重复"},
        headers=as_("a_manager"))
    assert resp.get_json()["status"] == "rejected"
    bad = client.post(url, json={"decision": "maybe", "reason_code": "x"},
                      headers=as_("admin"))
    assert problem_fields(bad) == {"decision", "reason_code"}


def test_a_rejection_without_a_note_is_refused_and_changes_nothing(client, scene, as_):
    visit = client.post(VISITS, json=body(scene.firm, offset(*GATE, 0, 3000)),
                        headers=as_("commissioner")).get_json()
    assert visit["status"] == "needs_review"
    url = f"{VISITS}/{visit['id']}/review"
    for note in (None, "", "   "):
        decision = {"decision": "reject", "reason_code": "not_visited"}
        if note is not None:
            decision["note"] = note
        resp = client.post(url, json=decision, headers=as_("a_manager"))
        assert resp.status_code == 422 and problem_fields(resp) == {"note"}
    got = client.get(f"{VISITS}/{visit['id']}", headers=as_("a_manager")).get_json()
    assert (got["status"], got["reviews"]) == ("needs_review", [])
    approve = client.post(url, json={"decision": "approve", "reason_code": "no_signal"},
                          headers=as_("a_manager"))
    assert approve.status_code == 200  # approving needs no note


def test_filing_and_reviewing_through_the_api_move_the_visit_rate_at_once(client, scene, as_):
    month = clock.today().strftime("%Y-%m")
    rate = "/api/v1/stats/visit-rate"

    def firm_row():
        got = client.get(f"{rate}/slots", query_string={
            "period": month, "group_by": "user", "group": scene.users["commissioner"].id},
            headers=as_("a_manager")).get_json()["items"]
        return {(i["target_id"], i["met"], i["pending"]) for i in got}

    far = client.post(VISITS, json=body(scene.firm, offset(*GATE, 0, 5000)),
                      headers=as_("commissioner")).get_json()
    assert far["status"] == "needs_review"
    assert (scene.firm.id, False, True) in firm_row()
    client.post(f"{VISITS}/{far['id']}/review", json={
        "decision": "approve", "reason_code": "met_at_other_address"},
        headers=as_("a_manager"))
    assert (scene.firm.id, True, False) in firm_row()
    client.post(f"{VISITS}/{far['id']}/review", json={
        "decision": "reject", "reason_code": "not_visited", "note": "未到现场",
        "supersede": True},
        headers=as_("admin"))
    assert (scene.firm.id, False, False) in firm_row()
    # 5 km from the last fix a moment ago: an impossible trip, so it waits for review.
    park = client.post(VISITS, json=body(scene.park_firm, PARK),
                       headers=as_("commissioner")).get_json()
    assert park["status"] == "needs_review"
    assert (scene.park_firm.id, False, True) in firm_row()


def test_reading_visits_in_scope_with_filters(client, scene, as_):
    mine = client.post(VISITS, json=body(scene.firm), headers=as_("commissioner")).get_json()
    mocked = body(scene.firm)
    mocked["position"]["mock"] = True
    flagged = client.post(VISITS, json=mocked, headers=as_("commissioner")).get_json()
    theirs = client.post(VISITS, json=body(scene.b_firm, (34.52, 108.84)),
                         headers=as_("b_commissioner")).get_json()
    ids = lambda user, **q: [v["id"] for v in client.get(  # noqa: E731
        VISITS, query_string=q, headers=as_(user)).get_json()["items"]]
    assert sorted(ids("commissioner")) == sorted([mine["id"], flagged["id"]])
    assert ids("b_commissioner") == [theirs["id"]]
    assert ids("a_manager", flag="mock_location") == [flagged["id"]]
    assert ids("admin", org_unit_id=scene.world.county_b.id) == [theirs["id"]]
    assert ids("admin", verdict="verified", firm_id=scene.b_firm.id) == [theirs["id"]]
    assert client.get(f"{VISITS}/{theirs['id']}", headers=as_("commissioner")).status_code == 404
    assert client.get(f"{VISITS}/{mine['id']}", headers=as_("a_manager")).status_code == 200
    geo = client.get(f"{VISITS}.geojson", headers=as_("a_manager"))
    assert geo.mimetype == "application/geo+json"
    assert {f["properties"]["verdict"] for f in geo.get_json()["features"]} == {"verified"}


def test_the_phone_list_shows_the_last_countable_visit_and_what_is_due(client, scene, as_):
    def row(firm):
        items = client.get("/api/v1/me/assignments", headers=as_("commissioner")).get_json()
        return next(i for i in items["items"] if i["target_id"] == firm.id)

    assert row(scene.firm)["due_this_period"] is True
    far = client.post(VISITS, json=body(scene.firm, offset(*GATE, 0, 4000),
                                        captured=now() - timedelta(hours=4)),
                      headers=as_("commissioner")).get_json()
    assert row(scene.firm)["last_visit_at"] is None  # pending review does not count
    sent = body(scene.firm)
    visit = client.post(VISITS, json=sent, headers=as_("commissioner")).get_json()
    got = row(scene.firm)
    assert got["due_this_period"] is False
    assert datetime.fromisoformat(got["last_visit_at"]) == datetime.fromisoformat(
        sent["captured_at"])
    assert row(scene.park_firm)["due_this_period"] is True
    client.post(f"{VISITS}/{visit['id']}/review", json={"decision": "reject",
                                                        "reason_code": "not_visited",
                                                        "note": "未到现场"},
                headers=as_("a_manager"))
    assert row(scene.firm)["due_this_period"] is True
    client.post(f"{VISITS}/{far['id']}/review", json={"decision": "approve",
                                                      "reason_code": "no_signal"},
                headers=as_("a_manager"))
    assert row(scene.firm)["due_this_period"] is (
        clock.today().day == 1 and (now() - timedelta(hours=4)).astimezone(
            clock.LOCAL_TZ).day != 1)


def flags_of(client, as_, sent, user="commissioner"):
    resp = client.post(VISITS, json=sent, headers=as_(user))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["verification"]["flags"]


def test_implausible_accuracy_true_and_false(client, scene, as_):
    assert "accuracy_implausible" in flags_of(client, as_, body(scene.firm, accuracy=0))
    assert "accuracy_implausible" not in flags_of(client, as_, body(scene.firm, accuracy=5))


def test_a_coarse_fix_and_a_manual_position_cannot_verify(client, scene, as_):
    sent = body(scene.firm, accuracy=900)
    resp = client.post(VISITS, json=sent, headers=as_("commissioner")).get_json()
    assert resp["verification"]["verdict"] == "inconclusive"
    assert "accuracy_too_coarse" in resp["verification"]["flags"]
    manual = client.post(VISITS, json=body(scene.firm, source="manual"),
                         headers=as_("commissioner")).get_json()["verification"]
    assert manual["verdict"] == "inconclusive" and "manual_position" in manual["flags"]
    assert flags_of(client, as_, body(scene.firm, accuracy=8)) == []


def test_clock_skew_applies_to_online_filings_only(client, scene, as_):
    late = now() - timedelta(hours=2)
    assert "clock_skew" in flags_of(client, as_, body(scene.firm, captured=late))
    assert "clock_skew" not in flags_of(client, as_, body(scene.firm, captured=late,
                                                          offline=True))
    assert "clock_skew" not in flags_of(client, as_, body(scene.firm,
                                                          captured=now() - timedelta(1 / 1440)))


def test_a_stale_fix_true_and_false(client, scene, as_):
    stale = body(scene.firm)
    stale["position"]["fix_time"] = (now() - timedelta(minutes=30)).isoformat()
    assert "stale_fix" in flags_of(client, as_, stale)
    fresh = body(scene.firm)
    fresh["position"]["fix_time"] = (now() - timedelta(seconds=20)).isoformat()
    assert "stale_fix" not in flags_of(client, as_, fresh)


def test_visits_to_different_firms_from_one_spot_are_flagged(client, scene, as_):
    desk = offset(*PARK, 90, 100)  # inside the park firm's boundary
    db.session.add(Site(firm_id=scene.firm.id, name="园区办公", radius_m=150.0, version=1,
                        point=from_shape(Point(desk[1], desk[0]), srid=4326)))
    db.session.commit()
    start = now() - timedelta(hours=2)
    assert flags_of(client, as_, body(scene.park_firm, desk, captured=start,
                                      offline=True)) == []
    same_firm = flags_of(client, as_, body(scene.park_firm, offset(*desk, 0, 2),
                                           captured=start + timedelta(minutes=30), offline=True))
    assert "same_spot_other_firms" not in same_firm
    other_firm = flags_of(client, as_, body(scene.firm, offset(*desk, 0, 3),
                                            captured=start + timedelta(minutes=40), offline=True))
    assert "same_spot_other_firms" in other_firm
