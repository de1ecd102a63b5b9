"""The stored visit slots stay exactly what a rebuild from scratch would write, whatever order
assignments, firm closings, stage moves, visits and reviews arrive in; both databases."""

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import select

from fieldapp.demo.registry import make_uscc
from fieldapp.extensions import db
from fieldapp.stats import slots
from models import (
    Assignment,
    Firm,
    Project,
    ProjectStageChange,
    Site,
    Visit,
    VisitSlot,
    VisitSlotTotal,
)

CST = ZoneInfo("Asia/Shanghai")
POINT = from_shape(Point(108.71, 34.33), srid=4326)


def snapshot() -> list[tuple]:
    """The slots and their per-unit, per-day, per-cadence totals (rows that went to zero
    aside)."""
    db.session.expire_all()
    totals = sorted(db.session.execute(select(
        VisitSlotTotal.org_unit_id, VisitSlotTotal.due_on, VisitSlotTotal.cadence,
        VisitSlotTotal.due,
        VisitSlotTotal.met, VisitSlotTotal.pending).where(VisitSlotTotal.due != 0)).all())
    return totals + sorted(db.session.execute(select(
        VisitSlot.assignment_id, VisitSlot.user_id, VisitSlot.org_unit_id, VisitSlot.firm_id,
        VisitSlot.project_id, VisitSlot.cadence, VisitSlot.first_day, VisitSlot.last_day,
        VisitSlot.due_on, VisitSlot.starts_at, VisitSlot.ends_at, VisitSlot.countable,
        VisitSlot.pending, VisitSlot.last_visit_at)).all(), key=repr)


def rebuilt() -> list[tuple]:
    conn = db.session.connection()
    slots.rebuild(conn, slots.horizon(conn))
    db.session.commit()
    return snapshot()


class Ops:
    """Random writes through the ORM, the way services and reviewers make them."""

    def __init__(self, world, seed):
        self.rng = random.Random(seed)
        self.world = world
        self.users = [world.user(f"u{seed}_{i}", ["commissioner", "butler"], world.county_a)
                      for i in range(3)]
        self.firms, self.projects, self.assignments, self.visits = [], [], [], []
        self.stage_changes = []
        self.n = 0

    def day(self) -> date:
        return date(2026, 1, 1) + timedelta(days=self.rng.randrange(0, 450))

    def moment(self) -> datetime:
        d = self.day()
        return datetime(d.year, d.month, d.day, self.rng.randrange(24), tzinfo=CST)

    def new_firm(self):
        self.n += 1
        firm = Firm(uscc=make_uscc(self.rng, "610402"), name=f"企业{self.n}",
                    org_unit_id=self.rng.choice([self.world.county_a, self.world.park_a]).id)
        db.session.add(firm)
        db.session.flush()
        db.session.add(Site(firm_id=firm.id, name="厂区", radius_m=150.0, version=1,
                            point=POINT))
        self.firms.append(firm)

    def new_project(self):
        self.n += 1
        project = Project(name=f"项目{self.n}", org_unit_id=self.world.county_a.id,
                          stage="signed", stage_entered_at=self.moment())
        db.session.add(project)
        db.session.flush()
        db.session.add(Site(project_id=project.id, name="工地", radius_m=300.0, version=1,
                            point=POINT))
        change = ProjectStageChange(project_id=project.id, to_stage="signed",
                                    moved_at=project.stage_entered_at)
        db.session.add(change)
        self.stage_changes.append(change)
        self.projects.append(project)

    def assign(self):
        start = self.day()
        end = start + timedelta(days=self.rng.randrange(0, 200)) if self.rng.random() < .4 \
            else None
        if self.projects and self.rng.random() < .3:
            target = {"project_id": self.rng.choice(self.projects).id}
            cadence = self.rng.choice(["per_stage", "monthly"])
        elif self.firms:
            target = {"firm_id": self.rng.choice(self.firms).id}
            cadence = self.rng.choice(["weekly", "monthly", "quarterly"])
        else:
            return
        a = Assignment(user_id=self.rng.choice(self.users).id, cadence=cadence,
                       org_unit_id=self.world.county_a.id, starts_on=start, ends_on=end,
                       **target)
        db.session.add(a)
        self.assignments.append(a)

    def end(self):
        if self.assignments:
            a = self.rng.choice(self.assignments)
            a.ends_on = a.starts_on + timedelta(days=self.rng.randrange(0, 120))

    def move(self):
        if self.assignments:
            a = self.rng.choice(self.assignments)
            a.org_unit_id = self.rng.choice([self.world.county_a, self.world.park_a]).id
            a.user_id = self.rng.choice(self.users).id

    def close(self):
        if self.firms:
            f = self.rng.choice(self.firms)
            f.closed_at = None if f.closed_at else self.moment()
            f.status = "closed" if f.closed_at else "active"

    def stage(self):
        if self.projects:
            p = self.rng.choice(self.projects)
            change = ProjectStageChange(project_id=p.id, to_stage="landed",
                                        moved_at=self.moment())
            db.session.add(change)
            self.stage_changes.append(change)

    def correct_stage(self):
        """A stage move entered with the wrong date is corrected, or struck out."""
        if self.stage_changes:
            change = self.rng.choice(self.stage_changes)
            if self.rng.random() < .5:
                change.moved_at = self.moment()
            else:
                self.stage_changes.remove(change)
                db.session.flush()
                db.session.delete(change)

    def delete_assignment(self):
        """An assignment entered by mistake is deleted outright (its slots go with it)."""
        if self.assignments:
            a = self.assignments.pop(self.rng.randrange(len(self.assignments)))
            db.session.flush()
            db.session.delete(a)

    def visit(self):
        kinds = [("firm_id", t) for t in self.firms] + [("project_id", t) for t in self.projects]
        if not kinds:
            return
        kind, target = self.rng.choice(kinds)
        self.n += 1
        when = self.moment()
        status = self.rng.choice(["accepted", "needs_review", "approved", "rejected"])
        v = Visit(client_id=f"s-{self.n}", content_hash="x" * 64,
                  user_id=self.rng.choice(self.users).id, site_id=target.sites[0].id
                  if target.sites else db.session.scalar(select(Site.id).where(
                      getattr(Site, kind) == target.id)),
                  site_version=1, org_unit_id=target.org_unit_id, captured_at=when,
                  received_at=when, raw_position={}, crs="wgs84", source="gps", point=POINT,
                  distance_m=5.0, radius_m=150.0, measured_to="point", verdict="verified",
                  flags=[], rule_version="t", status=status, **{kind: target.id})
        db.session.add(v)
        self.visits.append(v)

    def review(self):
        if self.visits:
            v = self.rng.choice(self.visits)
            v.status = self.rng.choice(["approved", "rejected", "needs_review"])

    def delete_visit(self):
        if self.visits:
            v = self.visits.pop(self.rng.randrange(len(self.visits)))
            db.session.flush()
            db.session.delete(v)

    def step(self):
        op = self.rng.choices(
            [self.new_firm, self.new_project, self.assign, self.end, self.move, self.close,
             self.stage, self.visit, self.review, self.delete_visit, self.correct_stage,
             self.delete_assignment],
            weights=[2, 1, 3, 1, 1, 1, 2, 8, 3, 1, 2, 1])[0]
        op()
        if self.rng.random() < .5:
            db.session.commit()


@pytest.mark.parametrize("seed", [1, 2, 4, 5])
def test_stored_slots_always_equal_a_rebuild(app, world, seed):
    slots.extend(db.session.connection(), date(2026, 12, 31))
    db.session.commit()
    ops = Ops(world, seed)
    for i in range(120):
        ops.step()
        if i == 60:  # a report for a later period moves the horizon on meanwhile
            slots.extend(db.session.connection(), date(2027, 2, 1))
        if i % 40 == 39:
            db.session.commit()
            kept = snapshot()
            assert kept == rebuilt()
    db.session.commit()
    kept = snapshot()
    assert any(len(row) > 6 and (row[11] or row[12]) for row in kept)  # visits fell in slots
    assert kept == rebuilt()


def test_the_horizon_moves_to_the_end_of_the_quarter_asked_about(app, world):
    user = world.user("c", ["commissioner"], world.county_a)
    firm = Firm(uscc=make_uscc(random.Random(1), "610402"), name="企业",
                org_unit_id=world.county_a.id)
    db.session.add(firm)
    db.session.flush()
    db.session.add(Assignment(user_id=user.id, firm_id=firm.id, org_unit_id=firm.org_unit_id,
                              cadence="monthly", starts_on=date(2026, 11, 15)))
    db.session.commit()
    conn = db.session.connection()
    assert slots.horizon(conn) is None
    assert db.session.scalar(select(VisitSlot.id)) is None  # nothing before the first report
    assert slots.extend(conn, date(2026, 11, 2)) == 2       # November and December
    assert slots.horizon(conn) == date(2026, 12, 31)
    assert slots.extend(conn, date(2026, 12, 31)) == 0
    assert slots.extend(conn, date(2027, 1, 1)) == 3
    assert slots.horizon(conn) == date(2027, 3, 31)
    db.session.commit()
    assert [r.due_on for r in db.session.scalars(
        select(VisitSlot).order_by(VisitSlot.due_on))] == [
        date(2026, 11, 30), date(2026, 12, 31), date(2027, 1, 31), date(2027, 2, 28),
        date(2027, 3, 31)]


def test_the_cron_commands_extend_and_rebuild(app, world):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["slots", "extend", "--through", "2027-05-01"])
    assert out.exit_code == 0, out.output
    assert "through=2027-06-30" in out.output
    out = runner.invoke(args=["slots", "rebuild"])
    assert out.exit_code == 0 and "through=2027-06-30" in out.output
