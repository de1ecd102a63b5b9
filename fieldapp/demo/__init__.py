"""Deterministic demo data around Xianyang (咸阳, lat 34.33, lon 108.71).

One city with two counties and a high-tech park, three service teams, five departments, and
staff of every role. The six demo log-ins (``DEMO_ACCOUNTS``) have fixed passwords; the other
staff exist for realistic lists and cannot log in (random passwords). Firms, sites, projects
and assignments come from ``registry``, visits from ``visits``, issues from ``issues``.
"""

import random
import secrets

from sqlalchemy import select

from fieldapp.auth.passwords import DEMO_ACCOUNTS, hash_password
from fieldapp.demo.issues import load_issues
from fieldapp.demo.registry import load_registry
from fieldapp.demo.visits import load_visits
from fieldapp.extensions import db
from models import Department, OrgUnit, ServiceTeam, User

CITY_CODE = "610400"

_UNITS = [  # (code, name, kind, parent code)
    (CITY_CODE, "咸阳市", "city", None),
    ("610422", "三原县", "county", CITY_CODE),
    ("610423", "泾阳县", "county", CITY_CODE),
    ("610400-HTZ", "咸阳高新技术产业开发区", "park", CITY_CODE),
]
_TEAMS = ["要素保障服务团", "审批服务服务团", "法治护航服务团"]
_DEPARTMENTS = ["国网咸阳供电公司", "咸阳市水务集团", "咸阳市自然资源和规划局",
                "咸阳市行政审批服务局", "咸阳市人力资源和社会保障局"]
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"


def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.randint(1, 2)))


def load_demo(seed: int = 20261122) -> bool:
    """Load the demo data once; returns False (and changes nothing) when it is already there."""
    if db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == CITY_CODE)) is not None:
        return False
    rng = random.Random(seed)
    # Staff without a demo log-in share one hash of a random secret nobody knows: Argon2 is
    # deliberately slow, and hashing thirty throw-away secrets would only slow the demo down.
    no_login = hash_password(secrets.token_urlsafe(24))
    units: dict[str, OrgUnit] = {}
    for code, name, kind, parent in _UNITS:
        unit = OrgUnit(code=code, name=name, kind=kind,
                       parent_id=units[parent].id if parent else None)
        db.session.add(unit)
        db.session.flush()
        unit.path = f"{units[parent].path if parent else '/'}{unit.id}/"
        units[code] = unit
    city = units[CITY_CODE]
    teams = [ServiceTeam(name=n, org_unit_id=city.id) for n in _TEAMS]
    departments = [Department(name=n, org_unit_id=city.id) for n in _DEPARTMENTS]
    db.session.add_all(teams + departments)
    db.session.flush()

    def add(username, roles, unit, *, password=None, team=None, department=None):
        user = User(username=username, display_name=_name(rng), org_unit_id=unit.id,
                    service_team_id=team.id if team else None,
                    department_id=department.id if department else None,
                    password_hash=hash_password(password) if password else no_login)
        user.roles = roles
        db.session.add(user)

    counties = [units["610422"], units["610423"], units["610400-HTZ"]]
    add("admin", ["admin"], city, password=DEMO_ACCOUNTS["admin"])
    add("manager", ["manager"], city, password=DEMO_ACCOUNTS["manager"])
    add("commissioner", ["commissioner"], city, password=DEMO_ACCOUNTS["commissioner"],
        team=teams[0])
    add("butler", ["butler"], units["610422"], password=DEMO_ACCOUNTS["butler"])
    add("handler", ["handler"], city, password=DEMO_ACCOUNTS["handler"],
        department=departments[0])
    add("firm", ["firm"], city, password=DEMO_ACCOUNTS["firm"])
    for i, unit in enumerate(counties, start=1):
        add(f"manager{i}", ["manager"], unit)
    for i in range(1, 13):
        add(f"commissioner{i}", ["commissioner"], rng.choice([city, *counties]),
            team=teams[i % len(teams)])
    for i in range(1, 7):
        add(f"butler{i}", ["butler"], rng.choice(counties))
    for i, dept in enumerate(departments, start=1):
        add(f"handler{i}", ["handler"], city, department=dept)
    db.session.flush()
    load_registry(rng, units)
    db.session.commit()
    load_visits(rng)
    load_issues()
    return True
