"""The visit-rate tests' scene: firms, staff, assignments and visits built through the models, a
movable clock and the paths of the reports."""

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from geoalchemy2.shape import from_shape
from shapely.geometry import Point

from fieldapp import clock
from fieldapp.auth.principal import Principal
from fieldapp.demo.registry import make_uscc
from fieldapp.extensions import db
from models import (
    Assignment,
    Firm,
    OrgUnit,
    Project,
    ProjectStageChange,
    Site,
    Visit,
)

RATE = "/api/v1/stats/visit-rate"
OVERDUE = "/api/v1/stats/overdue"
CST = ZoneInfo("Asia/Shanghai")


def set_today(monkeypatch, day: date) -> None:
    """Move the clock to noon of ``day`` (Asia/Shanghai)."""
    monkeypatch.setattr(clock, "now", lambda: clock.local_midnight(day) + timedelta(hours=12))


def at(day: str, hour: int = 10) -> datetime:
    """A moment on a local (Asia/Shanghai) day."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=CST)


class Scene:
    def __init__(self, world):
        w = self.world = world
        self.rng = random.Random(9)
        self.users = {n: w.user(n, r, u) for n, r, u in (
            ("admin", ["admin"], w.city), ("a_manager", ["manager"], w.county_a),
            ("b_manager", ["manager"], w.county_b), ("c1", ["commissioner"], w.county_a),
            ("c2", ["commissioner"], w.county_a), ("cb", ["commissioner"], w.county_b),
            ("butler", ["butler"], w.county_a))}
        self.n = 0

    def firm(self, unit=None, tags=()):
        unit = unit or self.world.county_a
        self.n += 1
        firm = Firm(uscc=make_uscc(self.rng, "610402"), name=f"企业{self.n}",
                    org_unit_id=unit.id)
        firm.tags = list(tags)
        db.session.add(firm)
        db.session.flush()
        db.session.add(Site(firm_id=firm.id, name="厂区", radius_m=150.0, version=1,
                            point=from_shape(Point(108.71, 34.33), srid=4326)))
        db.session.commit()
        return firm

    def project(self, *moves):
        """A project in county A with a site, through the stages ``(stage, day)`` in order."""
        stage, day = moves[-1]
        project = Project(name="产业园", org_unit_id=self.world.county_a.id, stage=stage,
                          stage_entered_at=at(day))
        db.session.add(project)
        db.session.flush()
        db.session.add(Site(project_id=project.id, name="工地", radius_m=300.0, version=1,
                            point=from_shape(Point(108.71, 34.33), srid=4326)))
        before = None
        for stage, day in moves:
            db.session.add(ProjectStageChange(project_id=project.id, from_stage=before,
                                              to_stage=stage, moved_at=at(day)))
            before = stage
        db.session.commit()
        return project

    def assign(self, user, target, cadence="monthly", starts="2026-01-01", ends=None):
        kind = "firm_id" if isinstance(target, Firm) else "project_id"
        a = Assignment(user_id=self.users[user].id, org_unit_id=target.org_unit_id,
                       cadence=cadence, starts_on=date.fromisoformat(starts),
                       ends_on=date.fromisoformat(ends) if ends else None, **{kind: target.id})
        db.session.add(a)
        db.session.commit()
        return a

    def visit(self, user, target, when, status="accepted", flags=()):
        site = target.sites[0]
        kind = "firm_id" if isinstance(target, Firm) else "project_id"
        self.n += 1
        v = Visit(client_id=f"bench-{self.n:06d}", content_hash="x" * 64,
                  user_id=self.users[user].id, site_id=site.id, site_version=1,
                  org_unit_id=target.org_unit_id, captured_at=when,
                  received_at=when + timedelta(minutes=1), raw_position={}, crs="wgs84",
                  source="gps", point=from_shape(Point(108.71, 34.33), srid=4326),
                  distance_m=5.0, radius_m=150.0, measured_to="point",
                  verdict="verified" if status != "needs_review" else "out_of_range",
                  flags=list(flags), rule_version="t", status=status, **{kind: target.id})
        db.session.add(v)
        db.session.commit()
        return v


def totals(body):
    t = body["total"]
    return t["due"], t["met"], t["pending"]


def principal_of(user) -> Principal:
    """The caller ``user`` is, as the scope rules see it (what a request would resolve)."""
    return Principal(user_id=user.id, username=user.username, roles=frozenset(user.roles),
                     org_unit_id=user.org_unit_id,
                     org_path=db.session.get(OrgUnit, user.org_unit_id).path,
                     service_team_id=user.service_team_id, department_id=None, session_id="t")
