"""Demo visits: two weeks of the demo commissioner's visits, through the real filing service.

Most are filed at the gate (accepted); a few far away or with a coarse fix (waiting in the
review queue), one in GCJ-02 as WeChat reports it, one raising an issue.
"""

import random
import uuid
from datetime import timedelta

from geoalchemy2.shape import to_shape
from sqlalchemy import select

from fieldapp import clock, scope
from fieldapp.auth.principal import Principal
from fieldapp.extensions import db
from fieldapp.visits.filing import file_visit
from geo import wgs84_to_gcj02
from models import Assignment, User, utcnow


def load_visits(rng: random.Random) -> int:
    """File the demo visits; returns how many were stored."""
    user = db.session.scalar(select(User).where(User.username == "commissioner"))
    principal = Principal(user_id=user.id, username=user.username, roles=user.roles,
                          org_unit_id=user.org_unit_id, org_path=user.org_unit.path,
                          service_team_id=user.service_team_id, department_id=None,
                          session_id="demo")
    assignments = db.session.scalars(select(Assignment).where(
        scope.assignments_on(user.id, clock.today()), Assignment.firm_id.is_not(None))
        .order_by(Assignment.id)).all()
    start = utcnow().replace(microsecond=0) - timedelta(days=14)
    stored = 0
    for i, assignment in enumerate(assignments[:12]):
        site = assignment.firm.active_sites[0]
        point = to_shape(site.point)
        lat, lon = point.y + rng.uniform(-3e-4, 3e-4), point.x + rng.uniform(-3e-4, 3e-4)
        accuracy, crs = rng.choice([8, 12, 20]), "wgs84"
        if i % 5 == 4:  # filed from somewhere else: out of range, to review
            lat += 0.03
        if i % 6 == 5:  # a cell-tower fix: too coarse to judge
            accuracy = 900
        if i == 2:
            (lat, lon), crs = wgs84_to_gcj02(lat, lon), "gcj02"
        issues = [{"category": "power", "title": "二期扩产用电容量不足",
                   "description": "需要增容 2000kVA"}] if i == 1 else []
        _, created = file_visit(principal, {
            "client_id": str(uuid.UUID(int=rng.getrandbits(128))),
            "firm_id": assignment.firm_id,
            "captured_at": start + timedelta(days=i, hours=rng.randint(1, 8)),
            "position": {"lat": lat, "lon": lon, "accuracy_m": accuracy, "crs": crs,
                         "source": "wechat"},
            "purpose": "routine", "notes": "走访了解生产经营情况", "offline": True,
            "issues": issues})
        stored += created
    return stored
