"""Concurrent first reports for a period whose slots are not written yet: every one answers,
and the slots are written once; both databases, real threads on a real database file."""

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from fieldapp import scope
from fieldapp.extensions import db
from fieldapp.stats import slots
from models import VisitSlot
from tests.stats.scene import RATE, Scene

REPORTS = 4


def race(app, headers, period):
    """``REPORTS`` visit-rate requests for ``period`` released at the same instant."""
    barrier = threading.Barrier(REPORTS)
    answers = []

    def get():
        with app.test_client() as c:
            barrier.wait()
            resp = c.get(RATE, query_string={"period": period}, headers=headers)
            answers.append((resp.status_code, (resp.get_json() or {}).get("total")))

    threads = [threading.Thread(target=get) for _ in range(REPORTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def stored_slots() -> list[tuple]:
    db.session.expire_all()
    return sorted(db.session.execute(select(VisitSlot.assignment_id, VisitSlot.due_on)).all())


@pytest.mark.parametrize("written_before", [False, True], ids=["first-ever", "extension"])
def test_concurrent_first_reports_of_a_period_all_answer_and_write_slots_once(
        app, world, login, monkeypatch, written_before):
    monkeypatch.setattr(scope, "today", lambda: date(2027, 1, 15))
    scene = Scene(world)
    for _ in range(30):
        scene.assign("c1", scene.firm(), cadence="weekly", starts="2026-10-01")
    if written_before:
        slots.extend(db.session.connection(), date(2026, 10, 1))
        db.session.commit()
    headers = login("admin")
    answers = race(app, headers, "2027-02")
    assert [status for status, _ in answers] == [200] * REPORTS, answers
    assert len({repr(total) for _, total in answers}) == 1, answers
    kept = stored_slots()
    assert len(kept) == len(set(kept)), "a slot was written twice"
    conn = db.session.connection()
    assert slots.horizon(conn) == date(2027, 3, 31)
    slots.rebuild(conn, slots.horizon(conn))
    db.session.commit()
    assert kept == stored_slots()
    assert db.session.scalar(select(func.count()).select_from(VisitSlot)) == len(kept)
