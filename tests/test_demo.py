"""The demo data: deterministic, loaded once, one working log-in per role."""

import shutil

import pytest
from sqlalchemy import func, select

from fieldapp import create_app
from fieldapp.auth.passwords import DEMO_ACCOUNTS
from fieldapp.demo import load_demo
from fieldapp.extensions import db
from models import OrgUnit, User


def _people():
    return db.session.execute(select(User.username, User.display_name, User.roles_csv)
                              .order_by(User.username)).all()


def test_demo_builds_a_city_with_two_counties_and_a_park(app):
    assert load_demo(seed=7) is True
    units = dict(db.session.execute(select(OrgUnit.name, OrgUnit.kind)).all())
    assert units == {"咸阳市": "city", "三原县": "county", "泾阳县": "county",
                     "咸阳高新技术产业开发区": "park"}


def test_demo_loads_once_and_a_second_run_changes_nothing(app):
    assert load_demo(seed=7) is True
    before = db.session.scalar(select(func.count()).select_from(User))
    assert load_demo(seed=7) is False
    assert db.session.scalar(select(func.count()).select_from(User)) == before


@pytest.mark.parametrize("role", sorted(DEMO_ACCOUNTS))
def test_each_role_has_a_demo_log_in_with_its_documented_password(app, client, role):
    load_demo()
    resp = client.post("/api/v1/auth/token",
                       json={"username": role, "password": DEMO_ACCOUNTS[role]})
    assert resp.status_code == 200
    me = client.get("/api/v1/me",
                    headers={"Authorization": f"Bearer {resp.get_json()['access_token']}"})
    assert role in me.get_json()["roles"]


def _people_for_seed(template, path, seed):
    shutil.copy(template, path)
    other = create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "s" * 40})
    with other.app_context():
        load_demo(seed=seed)
        people = _people()
        db.engine.dispose()
    return people


def test_demo_is_deterministic_for_a_seed_and_varies_with_it(sqlite_template, tmp_path):
    first = _people_for_seed(sqlite_template, tmp_path / "a.db", 11)
    again = _people_for_seed(sqlite_template, tmp_path / "b.db", 11)
    other = _people_for_seed(sqlite_template, tmp_path / "c.db", 12)
    assert first == again
    assert first != other


def test_demo_registry_has_firms_with_valid_codes_and_versioned_sites_around_xianyang(app):
    from geoalchemy2.shape import to_shape

    from fieldapp.firms import uscc
    from models import Firm, Project, Site, SiteVersion

    load_demo()
    firms = db.session.scalars(select(Firm)).all()
    assert len(firms) == 200
    assert all(uscc.is_valid(f.uscc) and f.uscc_checksum_ok for f in firms)
    assert len({f.uscc for f in firms}) == 200
    sites = db.session.scalars(select(Site)).all()
    assert {s.firm_id for s in sites if s.firm_id} == {f.id for f in firms}
    for site in sites:
        p = to_shape(site.point)
        assert 34.2 < p.y < 34.7 and 108.5 < p.x < 109.0
        if site.boundary is not None:
            assert to_shape(site.boundary).distance(p) == 0  # the gate is inside the compound
    versions = db.session.scalar(select(func.count()).select_from(SiteVersion))
    assert versions == len(sites)
    assert db.session.scalar(select(func.count()).select_from(Project)) == 8


def test_demo_commissioner_and_firm_user_share_the_first_firm(app):
    from models import Assignment

    load_demo()
    commissioner = db.session.scalar(select(User).where(User.username == "commissioner"))
    firm_user = db.session.scalar(select(User).where(User.username == "firm"))
    mine = db.session.scalars(select(Assignment.firm_id)
                              .where(Assignment.user_id == commissioner.id)).all()
    assert len(mine) == 15
    assert firm_user.firm_id in mine


def test_demo_has_visits_both_accepted_and_waiting_for_review(app):
    from models import Issue, Visit

    load_demo(seed=7)
    visits = db.session.scalars(select(Visit)).all()
    statuses = {v.status for v in visits}
    assert len(visits) == 12 and {"accepted", "needs_review"} <= statuses
    assert {v.verdict for v in visits} >= {"verified", "out_of_range", "inconclusive"}
    assert any(v.crs == "gcj02" and v.verdict == "verified" for v in visits)
    assert db.session.scalar(select(func.count()).select_from(Issue).where(
        Issue.visit_id.is_not(None))) == 1  # one raised on a visit
