"""The overdue list (待走访) and its count: every definition edge, on both databases, through
the API; the count from the slot totals against the list and the probe."""

from datetime import date

from fieldapp.extensions import db
from models import ServiceTeam
from tests.stats.scene import OVERDUE, at, principal_of, set_today


def test_overdue_lists_who_has_not_been_visited_longest_first(client, scene, as_):
    never = scene.firm()
    long_ago = scene.firm()
    fresh = scene.firm()
    scene.assign("c1", never)
    scene.assign("c1", long_ago)
    scene.assign("c2", fresh)
    scene.visit("c1", long_ago, at("2026-08-15"))
    scene.visit("c2", fresh, at("2026-10-20"))
    resp = client.get(OVERDUE, query_string={"as_of": "2026-10-25"}, headers=as_("a_manager"))
    items = resp.get_json()["items"]
    assert [i["target_id"] for i in items] == [never.id, long_ago.id]
    assert items[0]["days_since_last_visit"] is None
    assert items[1]["days_since_last_visit"] == (date(2026, 10, 25) - date(2026, 8, 15)).days
    assert (items[1]["slot_start"], items[1]["slot_end"]) == ("2026-10-01", "2026-10-31")
    mine = client.get(OVERDUE, query_string={"as_of": "2026-10-25"}, headers=as_("c2"))
    assert mine.get_json()["items"] == []
    assert client.get(OVERDUE, query_string={"as_of": "2026-10-25"},
                      headers=as_("b_manager")).get_json()["items"] == []
    csv_resp = client.get(OVERDUE, query_string={"as_of": "2026-10-25", "format": "csv"},
                          headers=as_("a_manager"))
    assert csv_resp.get_data(as_text=True).count("\n") == 3


def test_overdue_narrows_to_one_service_team(client, scene, as_):
    team = ServiceTeam(name="要素保障服务团", org_unit_id=scene.world.city.id)
    db.session.add(team)
    db.session.flush()
    scene.users["c1"].service_team_id = team.id
    db.session.commit()
    mine, theirs = scene.firm(), scene.firm()
    scene.assign("c1", mine)
    scene.assign("c2", theirs)
    query = {"as_of": "2026-10-25", "team_id": team.id}
    items = client.get(OVERDUE, query_string=query, headers=as_("a_manager")).get_json()["items"]
    assert [i["target_id"] for i in items] == [mine.id]
    everyone = client.get(OVERDUE, query_string={"as_of": "2026-10-25"},
                          headers=as_("a_manager")).get_json()["items"]
    assert {i["target_id"] for i in everyone} == {mine.id, theirs.id}
    csv_resp = client.get(OVERDUE, query_string={**query, "format": "csv"},
                          headers=as_("a_manager"))
    assert csv_resp.get_data(as_text=True).count("\n") == 2


def test_overdue_as_of_a_past_day_reads_the_record_as_it_stood_then(client, scene, as_):
    """Visits after ``as_of`` did not exist then, and a firm closed later was still open."""
    visited_later = scene.firm()
    closed_later = scene.firm()
    scene.assign("c1", visited_later)
    scene.assign("c1", closed_later)
    scene.visit("c1", visited_later, at("2026-10-05"))
    scene.visit("c1", visited_later, at("2026-11-05"))
    closed_later.status, closed_later.closed_at = "closed", at("2026-11-10")
    db.session.commit()
    resp = client.get(OVERDUE, query_string={"as_of": "2026-10-25"}, headers=as_("a_manager"))
    assert [i["target_id"] for i in resp.get_json()["items"]] == [closed_later.id]
    resp = client.get(OVERDUE, query_string={"as_of": "2026-11-20"}, headers=as_("a_manager"))
    assert resp.get_json()["items"] == []      # met in November, and the other one closed
    resp = client.get(OVERDUE, query_string={"as_of": "2026-09-20"}, headers=as_("a_manager"))
    items = {i["target_id"]: i for i in resp.get_json()["items"]}
    assert items[visited_later.id]["last_visit_at"] is None
    assert items[visited_later.id]["days_since_last_visit"] is None


def test_overdue_as_of_a_past_day_takes_the_stage_the_project_was_in_then(client, scene, as_):
    project = scene.project(("landed", "2026-10-02"), ("construction", "2026-11-10"))
    scene.assign("butler", project, cadence="per_stage")
    scene.visit("butler", project, at("2026-10-05"))   # meets "landed"

    def overdue_on(day):
        resp = client.get(OVERDUE, query_string={"as_of": day}, headers=as_("a_manager"))
        assert resp.status_code == 200, resp.get_json()
        return [(i["target_id"], i["slot_start"]) for i in resp.get_json()["items"]]

    assert overdue_on("2026-10-25") == []            # "landed", visited on 5 October
    assert overdue_on("2026-09-20") == []            # before its first stage: nothing due
    # In "construction" since 10 November with no visit since.
    assert overdue_on("2026-11-20") == [(project.id, "2026-11-10")]


def _edges(scene):
    """The cases both overdue counts are compared on: a service team (``c2``'s); monthly,
    weekly and quarterly firms met in October (the weekly on Tuesday 20th, so on Monday 19th
    it is met only later; the quarterly on 1 October likewise); a firm closing on 10 November
    (overdue before, gone after; its month runs but its slot row does not); and a firm
    reassigned on 15 October, whose first holder's visit still meets the month for the
    second."""
    team = ServiceTeam(name="企业服务专班", org_unit_id=scene.world.county_a.id)
    db.session.add(team)
    db.session.flush()
    scene.users["c2"].service_team_id = team.id
    db.session.commit()
    monthly, weekly, quarterly = scene.firm(), scene.firm(), scene.firm()
    scene.assign("c1", monthly)
    scene.assign("c1", weekly, cadence="weekly")
    scene.assign("c2", quarterly, cadence="quarterly")
    scene.visit("c1", monthly, at("2026-10-05"))
    scene.visit("c1", weekly, at("2026-10-20"))
    scene.visit("c2", quarterly, at("2026-10-02"))
    closed = scene.firm()
    scene.assign("c1", closed)
    closed.status, closed.closed_at = "closed", at("2026-11-10")
    db.session.commit()
    handed = scene.firm()
    scene.assign("c1", handed, ends="2026-10-14")
    scene.assign("c2", handed, starts="2026-10-15")
    scene.visit("c1", handed, at("2026-10-08"))
    return team, monthly, weekly, quarterly, closed, handed


def test_overdue_count_equals_the_length_of_the_list_on_every_edge(client, scene, as_):
    """``count=true`` counts in SQL what the list decides row by row: the same figure for each
    caller, unit, team and day, over the cases the list handles."""
    team, monthly, weekly, _, closed, handed = _edges(scene)
    # Visited in the month before its assignment started (the slot is the calendar month).
    early = scene.firm()
    scene.assign("c2", early, starts="2026-11-20")
    scene.visit("c2", early, at("2026-11-03"))
    # Only visits not (yet) countable: pending review, rejected.
    waiting = scene.firm()
    scene.assign("c1", waiting)
    scene.visit("c1", waiting, at("2026-10-10"), status="needs_review")
    scene.visit("c1", waiting, at("2026-11-10"), status="rejected")
    # County B, out of county A's managers' scope.
    scene.assign("cb", scene.firm(unit=scene.world.county_b))
    # Per stage: met in "landed", not in "construction"; a project with no stage entered yet.
    project = scene.project(("landed", "2026-10-02"), ("construction", "2026-11-10"))
    scene.assign("butler", project, cadence="per_stage")
    scene.visit("butler", project, at("2026-10-05"))
    later = scene.project(("landed", "2026-11-25"))
    scene.assign("butler", later, cadence="per_stage")

    def both(user, **query):
        got = client.get(OVERDUE, query_string=query, headers=as_(user)).get_json()["items"]
        resp = client.get(OVERDUE, query_string={**query, "count": "true"}, headers=as_(user))
        assert resp.status_code == 200, resp.get_json()
        body = resp.get_json()
        assert set(body) == {"as_of", "count"}
        assert body["count"] == len(got), (user, query, got)
        return {(i["target_kind"], i["target_id"]) for i in got}

    seen = set()
    for day in ("2026-09-20", "2026-10-06", "2026-10-25", "2026-11-05", "2026-11-20",
                "2026-11-30", "2026-12-02"):
        for user, extra in (("admin", {}), ("admin", {"org_unit_id": scene.world.county_b.id}),
                            ("a_manager", {}), ("a_manager", {"team_id": team.id}),
                            ("b_manager", {}), ("c1", {}), ("c2", {}), ("butler", {})):
            seen |= both(user, as_of=day, **extra)
    assert seen  # the comparisons above saw overdue rows, not only empty lists
    # What the list says on two days (the count follows it above).
    assert both("a_manager", as_of="2026-10-25") == {("firm", closed.id), ("firm", waiting.id)}
    assert both("a_manager", as_of="2026-11-20") == {
        ("firm", monthly.id), ("firm", weekly.id), ("firm", handed.id), ("firm", waiting.id),
        ("project", project.id)}
    assert client.get(OVERDUE, query_string={"count": "true", "format": "csv"},
                      headers=as_("admin")).status_code == 422


def test_todays_overdue_count_from_the_slot_totals_equals_the_list_on_every_edge(
        client, scene, as_, monkeypatch):
    """A manager's or admin's count of today is read from the slot totals (``count_from_slots``)
    and corrected for what the totals cannot know; on every edge it is the length of the list,
    and on every day (today or past) the same as the count by probe."""
    from fieldapp.stats import overdue as overdue_module

    team, _, weekly, quarterly, closed, handed = _edges(scene)
    # Starting within the running month: its slot row is there before it is in force.
    early, unvisited_later = scene.firm(), scene.firm()
    scene.assign("c2", early, starts="2026-11-20")
    scene.visit("c2", early, at("2026-11-03"))
    scene.assign("c1", unvisited_later, starts="2026-11-25")
    # Weekly, ending on a Wednesday; quarterly, ending mid-quarter.
    scene.assign("c1", scene.firm(), cadence="weekly", ends="2026-11-18")
    scene.assign("c2", scene.firm(), cadence="quarterly", ends="2026-11-05")
    waiting = scene.firm()
    scene.assign("c1", waiting)
    scene.visit("c1", waiting, at("2026-10-10"), status="needs_review")
    scene.visit("c1", waiting, at("2026-11-10"), status="rejected")
    scene.assign("cb", scene.firm(unit=scene.world.county_b))
    # Per stage: met in "landed", not in "construction"; one taken over mid-stage; a project
    # with no stage before 25 November; a project visited monthly (a calendar slot by project).
    project = scene.project(("landed", "2026-10-02"), ("construction", "2026-11-10"))
    scene.assign("butler", project, cadence="per_stage", ends="2026-11-14")
    scene.assign("c1", project, cadence="per_stage", starts="2026-11-15")
    scene.visit("butler", project, at("2026-10-05"))
    later = scene.project(("landed", "2026-11-25"))
    scene.assign("butler", later, cadence="per_stage")
    monthly_project = scene.project(("landed", "2026-09-01"))
    scene.assign("butler", monthly_project)
    scene.visit("butler", monthly_project, at("2026-11-12"))

    probes = []
    real_probe = overdue_module.count_by_probe
    monkeypatch.setattr(overdue_module, "count_by_probe",
                        lambda *a, **k: probes.append(a) or real_probe(*a, **k))
    callers = (("admin", {}), ("admin", {"org_unit_id": scene.world.county_b.id}),
               ("a_manager", {}), ("a_manager", {"team_id": team.id}), ("b_manager", {}),
               ("c1", {}), ("butler", {}))
    days = [date.fromisoformat(d) for d in (
        "2026-09-20", "2026-10-01", "2026-10-06", "2026-10-19", "2026-10-25", "2026-11-05",
        "2026-11-16", "2026-11-20", "2026-11-30", "2026-12-02", "2026-12-30")]
    listed = {}
    for today in days:
        set_today(monkeypatch, today)
        for user, query in callers:
            probes.clear()
            got = client.get(OVERDUE, query_string=query, headers=as_(user)).get_json()
            resp = client.get(OVERDUE, query_string={**query, "count": "true"},
                              headers=as_(user))
            assert resp.status_code == 200, resp.get_json()
            assert resp.get_json()["count"] == len(got["items"]), (today, user, query, got)
            fast = user != "c1" and user != "butler" and "team_id" not in query
            assert (probes == []) == fast, (today, user, query)
            listed[today, user, str(query)] = {(i["target_kind"], i["target_id"])
                                              for i in got["items"]}
        # Any day up to today, from the totals as from the probe (the API uses the totals
        # for today only, where their corrections are fewest).
        for user in ("admin", "a_manager", "b_manager"):
            principal = principal_of(scene.users[user])
            for day in days[:days.index(today) + 1]:
                assert overdue_module.count_from_slots(principal, day) == \
                    real_probe(principal, day), (today, user, day)
    # The edges were there to be counted: each correction decided a row on some day.
    a = ("a_manager", "{}")
    assert ("firm", quarterly.id) in listed[date(2026, 10, 1), *a]    # met only later
    assert ("firm", weekly.id) in listed[date(2026, 10, 19), *a]      # met only later
    assert ("firm", unvisited_later.id) not in listed[date(2026, 11, 20), *a]  # not yet
    assert ("firm", closed.id) in listed[date(2026, 11, 5), *a]       # closes this month
    assert ("firm", handed.id) in listed[date(2026, 10, 6), *a]       # ends before its slot
    assert ("project", project.id) in listed[date(2026, 11, 16), *a]  # taken over mid-stage
    assert ("project", monthly_project.id) in listed[date(2026, 11, 5), *a]
    assert ("project", monthly_project.id) not in listed[date(2026, 11, 16), *a]
