"""Project stage moves: who may move, one step or any, corrections, history and 409s."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from fieldapp import clock
from fieldapp.extensions import db
from models import AuditEvent, Project, ProjectStageChange
from tests.test_projects import Registry


@pytest.fixture
def reg(world):
    """The registry scene."""
    return Registry(world)


def _move(client, headers, project, to_stage, note=None):
    body = {"to_stage": to_stage} if note is None else {"to_stage": to_stage, "note": note}
    return client.post(f"/api/v1/projects/{project.id}/stage", json=body, headers=headers)


def test_the_assigned_butler_moves_one_step_forward_and_history_records_it(client, reg, as_):
    resp = _move(client, as_("butler"), reg.project_a, "landed", "土地已摘牌")
    assert resp.status_code == 200, resp.get_json()
    got = resp.get_json()
    assert got["stage"] == "landed"
    [entry] = got["stage_history"]
    assert entry["from_stage"] == "signed" and entry["to_stage"] == "landed"
    assert entry["moved_by_id"] == reg.users["butler"].id and entry["note"] == "土地已摘牌"
    assert got["stage_entered_at"] == entry["moved_at"]


def test_a_butler_may_not_skip_a_stage_and_is_told_what_is_allowed(client, reg, as_):
    resp = _move(client, as_("butler"), reg.project_a, "construction")
    assert resp.status_code == 409
    body = resp.get_json()
    assert body["allowed_stages"] == ["landed"] and body["current_stage"] == "signed"
    assert db.session.scalars(select(ProjectStageChange)).all() == []


def test_a_butler_may_not_move_back(client, reg, as_):
    _move(client, as_("butler"), reg.project_a, "landed")
    resp = _move(client, as_("butler"), reg.project_a, "signed", "oops")
    assert resp.status_code == 409 and resp.get_json()["allowed_stages"] == ["construction"]


def test_a_butler_at_the_last_stage_may_move_nowhere(client, reg, as_):
    reg.project_a.stage = "operating"
    db.session.commit()
    resp = _move(client, as_("butler"), reg.project_a, "completed", "x")
    assert resp.status_code == 409 and resp.get_json()["allowed_stages"] == []


def test_moving_to_the_current_stage_is_409(client, reg, as_):
    resp = _move(client, as_("a_manager"), reg.project_a, "signed")
    assert resp.status_code == 409
    assert "signed" not in resp.get_json()["allowed_stages"]


def test_a_manager_may_skip_forward(client, reg, as_):
    resp = _move(client, as_("a_manager"), reg.project_a, "completed")
    assert resp.status_code == 200 and resp.get_json()["stage"] == "completed"


def test_a_manager_may_correct_backwards_with_a_note(client, reg, as_):
    resp = _move(client, as_("city_manager"), reg.project_b, "landed", "录入错误")
    assert resp.status_code == 200
    assert resp.get_json()["stage_history"][-1]["from_stage"] == "construction"


@pytest.mark.parametrize("note", [None, "", "   "])
def test_a_backward_move_without_a_note_is_422(client, reg, as_, note):
    resp = _move(client, as_("admin"), reg.project_b, "signed", note)
    assert resp.status_code == 422 and "note" in resp.get_json()["errors"]
    db.session.expire_all()
    assert db.session.get(Project, reg.project_b.id).stage == "construction"


@pytest.mark.parametrize("body, field", [
    ({}, "to_stage"), ({"to_stage": "built"}, "to_stage"), ({"to_stage": 3}, "to_stage"),
    ({"to_stage": "landed", "note": "x" * 501}, "note"),
])
def test_bad_stage_bodies_are_422(client, reg, as_, body, field):
    resp = client.post(f"/api/v1/projects/{reg.project_a.id}/stage", json=body,
                       headers=as_("admin"))
    assert resp.status_code == 422 and field in resp.get_json()["errors"]


@pytest.mark.parametrize("who, project, status", [
    ("admin", "project_b", 200),
    ("city_manager", "project_a", 200),
    ("a_manager", "project_park", 200),
    ("a_manager", "project_b", 404),
    ("b_manager", "project_a", 404),
    ("park_manager", "project_a", 404),
    ("butler", "project_a", 200),
    ("butler2", "project_a", 404),     # not assigned: cannot even see it
    ("commissioner", "project_a", 404),
    ("handler", "project_a", 404),
    ("firm", "project_a", 403),        # sees its own firm's project, may not move it
])
def test_who_may_move_a_stage(client, reg, as_, who, project, status):
    target = getattr(reg, project)
    to = {"signed": "landed", "construction": "completed"}[target.stage]
    assert _move(client, as_(who), target, to).status_code == status


def test_a_butler_whose_assignment_ended_may_no_longer_move_it(client, reg, as_):
    reg.butler_assignment.ends_on = clock.today() - timedelta(days=1)
    reg.butler_assignment.starts_on = clock.today() - timedelta(days=2)
    db.session.commit()
    assert _move(client, as_("butler"), reg.project_a, "landed").status_code == 404


def test_a_walk_through_every_stage_keeps_the_full_history_in_order(client, reg, as_):
    for stage in ("landed", "construction", "completed", "operating"):
        assert _move(client, as_("butler"), reg.project_a, stage).status_code == 200
    got = client.get(f"/api/v1/projects/{reg.project_a.id}", headers=as_("butler")).get_json()
    assert [(h["from_stage"], h["to_stage"]) for h in got["stage_history"]] == [
        ("signed", "landed"), ("landed", "construction"), ("construction", "completed"),
        ("completed", "operating")]
    times = [h["moved_at"] for h in got["stage_history"]]
    assert times == sorted(times) and got["stage_entered_at"] == times[-1]


def test_a_stage_move_is_audited_on_the_project(client, reg, as_):
    _move(client, as_("butler"), reg.project_a, "landed")
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity == "projects", AuditEvent.action == "update")).one()
    assert event.before["stage"] == "signed" and event.after["stage"] == "landed"
    assert event.actor_id == reg.users["butler"].id
