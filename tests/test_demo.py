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
