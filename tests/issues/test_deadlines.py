"""Issues (诉求): working-day deadlines, suspensions, calendar gaps, the reopen window and the
scheduled job (overdue, supervision, auto-close), on both databases."""

import contextlib
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, event, update

from fieldapp.extensions import db
from fieldapp.issues import job, service
from models import Issue
from models.database import engine_options
from tests.issues.scene import ISSUES, at, end_of, when


def test_suspended_working_time_is_added_to_the_deadline(scene):
    s = scene
    s.clock[0] = at("2026-09-21", 9)
    issue = s.raise_()
    s.do(issue, "accept", "a_manager")
    s.do(issue, "dispatch", "a_manager", department_id=s.land.id)
    s.do(issue, "sign", "handler")
    before = s.get(f"{ISSUES}/{issue['id']}", "a_manager")["resolve_due_at"]
    s.clock[0] = at("2026-09-24", 12)
    s.do(issue, "suspend", "a_manager", text="等待企业补充材料")
    assert s.get(f"/api/v1/track/{issue['tracking_no']}", "firm1")["events"][-1]["text"] == \
        "等待企业补充材料"
    s.clock[0] = at("2026-10-09", 12)
    after = s.do(issue, "resume", "handler")["resolve_due_at"]
    # Thu 24 Sep 12:00 → Fri 9 Oct 12:00 holds 5 working days (Mid-Autumn, National Day off).
    moved = service.calendar().working_days(datetime.fromisoformat(before),
                                            datetime.fromisoformat(after))
    assert moved == pytest.approx(5)


def test_the_job_flags_overdue_raises_supervision_and_closes_unrated(scene, app):
    s = scene
    late = s.raise_()
    s.do(late, "accept", "a_manager")       # due end of Mon 23 Mar 2026 (see above)
    done = s.raise_()
    s.handle(done, reply="好")
    s.clock[0] = at("2026-03-24")
    assert job.tick(s.clock[0]) == {"deadlines": 0, "overdue": 1, "supervised": 1,
                                        "auto_closed": 1}
    assert job.tick(s.clock[0])["overdue"] == 0   # once only
    issue = db.session.get(Issue, late["id"])
    assert (issue.overdue, issue.supervision_level) == (True, 1)
    s.clock[0] = at("2026-04-01")                      # 6 working days late
    assert job.tick(s.clock[0])["supervised"] == 1
    db.session.expire_all()
    assert db.session.get(Issue, late["id"]).supervision_level == 2
    assert s.get(f"{ISSUES}?supervised=true&overdue=true", "a_manager")["total"] == 1
    view = s.get(f"/api/v1/track/{done['tracking_no']}", "firm1")
    assert view["state"] == "closed" and view["events"][-1]["label"] == "逾期未评价，自动办结"
    out = app.test_cli_runner().invoke(args=["issues", "tick"])
    assert out.exit_code == 0 and "overdue=0" in out.output


@contextlib.contextmanager
def on_read(issue_id: int, action):
    """Run ``action()`` each time this thread's session reads the issue's row (SQLAlchemy's
    ``load`` and ``refresh`` events): between the job reading an issue and writing it."""
    me = threading.current_thread()

    def hook(target, *_):
        if target.id == issue_id and threading.current_thread() is me:
            action()

    event.listen(Issue, "load", hook)
    event.listen(Issue, "refresh", hook)
    try:
        yield
    finally:
        event.remove(Issue, "load", hook)
        event.remove(Issue, "refresh", hook)


def test_a_rating_given_while_the_job_runs_is_kept_and_not_auto_closed(scene):
    """The job reads, the firm rates, the job writes: the version check makes the job start
    over on fresh rows instead of writing 逾期未评价 over the firm's rating."""
    s = scene
    done = s.raise_()
    s.handle(done, reply="好")
    s.clock[0] = at("2026-04-01")
    reads = []

    def rate_meanwhile():
        reads.append(True)
        if len(reads) == 1:   # the job has read the issue; the firm rates it now, on its own
            # connection (a thread of its own gets its own app context)
            firm = threading.Thread(target=s.do, args=(done, "rate", "firm1"),
                                    kwargs={"rating": "satisfied"})
            firm.start()
            firm.join()

    with on_read(done["id"], rate_meanwhile):
        assert job.tick(s.clock[0])["auto_closed"] == 0
    assert len(reads) == 2   # the first pass's write was refused; the second found it closed
    db.session.expire_all()
    issue = db.session.get(Issue, done["id"])
    assert (issue.state, issue.rating) == ("closed", "satisfied")
    actions = [e.action for e in issue.events]
    assert "rate" in actions and "auto_close" not in actions


def test_an_issue_that_keeps_changing_under_the_job_waits_and_the_rest_go_on(
        scene, app, caplog):
    """Batches commit apart: one issue changed under every attempt holds up only its batch."""
    s = scene
    busy, calm = s.raise_(), s.raise_()
    for issue in (busy, calm):
        s.handle(issue)
    s.clock[0] = at("2026-04-01")
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"],
                          **engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))

    def someone_edits():   # between the job's read and its write, every time
        with other.begin() as conn:
            conn.execute(update(Issue).where(Issue.id == busy["id"]).values(
                version=Issue.version + 1))

    with on_read(busy["id"], someone_edits), \
            caplog.at_level("WARNING", logger="fieldapp.issues.job"):
        assert job.tick(s.clock[0], batch=1)["auto_closed"] == 1
    other.dispose()
    assert "changed under the job three times" in caplog.text
    db.session.expire_all()
    assert db.session.get(Issue, busy["id"]).state == "resolved"   # next run
    assert db.session.get(Issue, calm["id"]).state == "closed"


def test_a_year_without_calendar_data_leaves_the_deadline_unknown_until_entered(scene):
    s = scene
    s.clock[0] = at("2027-03-01")
    issue = s.raise_()
    assert issue["deadline"] is None
    staff = s.get(f"{ISSUES}/{issue['id']}", "admin")
    pending = [e for e in staff["events"] if e["action"] == "deadline_pending"]
    assert pending and "2027" in pending[0]["internal_text"]
    assert "deadline_pending" not in str(s.get(f"/api/v1/track/{issue['tracking_no']}",
                                               "firm1"))
    resp = s.client.put("/api/v1/calendar/years/2027", json={"note": "国办发明电〔2026〕"},
                        headers=s.h("a_manager"))
    assert resp.status_code == 403
    for day, workday in (("2027-03-02", False),):
        resp = s.client.put(f"/api/v1/calendar/days/{day}", json={"workday": workday},
                            headers=s.h("admin"))
        assert resp.status_code == 200
    assert s.client.put("/api/v1/calendar/years/2027", json={},
                        headers=s.h("admin")).status_code == 200
    assert s.get("/api/v1/calendar?year=2027", "admin")["known"] is True
    with s.client.application.test_request_context():
        assert job.tick(s.clock[0])["deadlines"] == 1
    # 2 working days after Mon 1 Mar 2027, with Tue 2 Mar entered as a day off: Wed, Thu.
    db.session.expire_all()
    assert db.session.get(Issue, issue["id"]).response_due_at == end_of("2027-03-04")


def test_the_job_closes_a_re_resolved_issue_left_unrated(scene):
    """The bad rating that sent the issue back is kept, but it rated the earlier resolution;
    the new one, left unrated, closes like any other."""
    s = scene
    issue = s.raise_()
    s.handle(issue)
    s.do(issue, "rate", "firm1", rating="dissatisfied")   # inside the window: handled again
    s.clock[0] = at("2026-03-02")
    s.do(issue, "resolve", "handler", reply="已再次协调", result_code="solved")
    s.clock[0] = at("2026-04-30")
    assert job.tick(s.clock[0])["auto_closed"] == 1
    view = s.get(f"/api/v1/track/{issue['tracking_no']}", "firm1")
    assert view["state"] == "closed" and view["events"][-1]["label"] == "逾期未评价，自动办结"
    assert view["rating"] == "dissatisfied"


def test_deadlines_unknown_when_acted_on_are_filled_later_and_meanwhile_left_out_of_rates(
        scene):
    s = scene
    s.clock[0] = at("2027-03-01")       # 2027: no calendar data yet
    issue = s.raise_()
    s.handle(issue)                      # accepted and resolved the same day
    metrics = "/api/v1/stats/issues?period=2027-Q1"
    t = s.get(metrics, "admin")["total"]
    # Answered and resolved, but neither on time nor late while the deadlines are unknown.
    assert (t["responded"], t["resolved"]) == (1, 1)
    assert t["on_time_response_rate"] is None and t["on_time_resolution_rate"] is None
    s.declare(2027)
    assert job.tick(at("2027-03-02"))["deadlines"] == 2
    staff = s.get(f"{ISSUES}/{issue['id']}", "a_manager")
    # Response: 2 working days after Mon 1 Mar; resolution: 20 after it (Mar 2 … Mar 29).
    assert when(staff["response_due_at"]) == end_of("2027-03-03")
    assert when(staff["resolve_due_at"]) == end_of("2027-03-29")
    t = s.get(metrics, "admin")["total"]
    assert t["on_time_response_rate"] == 1.0 and t["on_time_resolution_rate"] == 1.0


def test_the_job_fills_the_resolution_deadline_from_the_reopen_not_the_acceptance(scene):
    s = scene
    s.clock[0] = at("2026-12-01")
    issue = s.raise_()
    s.handle(issue)
    s.clock[0] = at("2026-12-10")
    s.do(issue, "reopen", "firm1", text="还是没有批复")   # 20 working days reach into 2027
    assert s.get(f"{ISSUES}/{issue['id']}", "a_manager")["resolve_due_at"] is None
    # Counted from the acceptance it would have passed on 29 Dec; it has not.
    assert job.tick(at("2026-12-31")) == {"deadlines": 0, "overdue": 0, "supervised": 0,
                                              "auto_closed": 0}
    s.declare(2027)
    assert job.tick(at("2026-12-31"))["deadlines"] == 1
    staff = s.get(f"{ISSUES}/{issue['id']}", "a_manager")
    # Thu 10 Dec 2026: 15 working days to 31 Dec, then Fri 1 Jan (declared year: Mon–Fri)
    # and Mon 4 – Thu 7 Jan 2027.
    assert when(staff["resolve_due_at"]) == end_of("2027-01-07")
    assert staff["overdue"] is False


def test_a_filled_resolution_deadline_counts_the_suspensions_since_its_clock_started(scene):
    s = scene
    s.clock[0] = at("2026-12-21")
    issue = s.raise_()
    s.do(issue, "accept", "a_manager")    # 20 working days reach into 2027: unknown
    s.do(issue, "dispatch", "a_manager", department_id=s.land.id)
    s.do(issue, "sign", "handler")
    s.clock[0] = at("2026-12-22")
    s.do(issue, "suspend", "a_manager", text="等待企业补充材料")
    s.clock[0] = at("2026-12-24")         # 2 working days suspended
    s.do(issue, "resume", "handler")
    s.declare(2027)
    assert job.tick(at("2026-12-24"))["deadlines"] == 1
    # Mon 21 Dec + 20 working days = end of Mon 18 Jan 2027; plus the 2 suspended: Wed 20 Jan.
    staff = s.get(f"{ISSUES}/{issue['id']}", "a_manager")
    assert when(staff["resolve_due_at"]) == end_of("2027-01-20")


def test_a_reopen_window_the_calendar_cannot_finish_stays_open_until_its_earliest_end(scene):
    s = scene
    s.clock[0] = at("2026-12-28")
    early, late = s.raise_(), s.raise_()
    s.handle(early)
    s.handle(late)
    # 15 working days from Mon 28 Dec: 29–31 Dec are known, then 2027 is not. However 2027
    # turns out, the window lasts at least 12 more days: to the end of Tue 12 Jan.
    s.clock[0] = at("2027-01-12", 23)
    assert s.do(early, "reopen", "firm1", text="仍未解决")["state"] == "in_progress"
    s.clock[0] = at("2027-01-13", 1)
    got = s.do(late, "reopen", "firm1", status=409, text="仍未解决")
    assert got["type"].endswith("calendar-gap") and "2027" in got["detail"]
    got = s.do(late, "rate", "firm1", status=409, rating="dissatisfied")
    assert got["type"].endswith("calendar-gap")
    assert s.get(f"{ISSUES}/{late['id']}", "a_manager")["rating"] is None  # nothing stored
    s.declare(2027)                       # Fri 1 Jan a working day: the window ends 15 Jan
    assert s.do(late, "reopen", "firm1", text="仍未解决")["state"] == "in_progress"
    s.clock[0] = at("2027-09-01")
    s.do(late, "resolve", "handler", reply="已协调", result_code="solved")
    s.clock[0] = at("2027-12-01")
    got = s.do(late, "reopen", "firm1", status=409, text="又出问题")
    assert got["type"].endswith("reopen-window-closed")


def test_resuming_clears_overdue_when_the_pushed_back_deadline_lies_ahead(scene):
    """The job's host runs a few minutes ahead of the app's: it flags the issue overdue just
    before the department suspends it, still inside the deadline by the app's clock. Once the
    suspended time is added back, the deadline lies ahead again."""
    s = scene
    s.clock[0] = at("2026-11-16", 9)
    issue = s.raise_(category="power")
    s.do(issue, "accept", "a_manager")    # 5 working days: due at the end of Mon 23 Nov
    s.do(issue, "dispatch", "a_manager", department_id=s.power.id)
    s.do(issue, "sign", "power_handler")
    assert job.tick(at("2026-11-24", 0) + timedelta(minutes=5))["overdue"] == 1
    s.clock[0] = at("2026-11-23", 23) + timedelta(minutes=55)
    s.do(issue, "suspend", "a_manager", text="等待企业补充材料")
    s.clock[0] = at("2026-11-25", 10)
    staff = s.do(issue, "resume", "power_handler")
    assert when(staff["resolve_due_at"]) == at("2026-11-25", 10) + timedelta(minutes=5)
    assert staff["overdue"] is False
    assert s.get(f"{ISSUES}?overdue=true", "a_manager")["total"] == 0
