"""Demo registry: ~200 firms with valid USCCs and sites around Xianyang, projects, assignments.

Called by ``fieldapp.demo.load_demo`` after the org tree and staff exist. Deterministic for a
given ``random.Random``. Sites are written with their first geometry version, as the sites
service would.
"""

import random
from datetime import date

from geoalchemy2.shape import from_shape
from shapely.geometry import Point, box

from fieldapp.extensions import db
from fieldapp.firms import uscc
from models import (
    FIRM_TAGS,
    PROJECT_STAGES,
    Assignment,
    Department,
    Firm,
    OrgUnit,
    Project,
    ProjectStageChange,
    Site,
    SiteVersion,
    User,
)

FIRM_COUNT = 200
ASSIGNMENTS_START = date(2026, 1, 1)

# (org unit code, administrative division code for the USCC, centre lat, centre lon)
_PLACES = [
    ("610400", "610402", 34.3296, 108.7093),      # 秦都区 / 渭城区, the city proper
    ("610422", "610422", 34.6132, 108.9404),      # 三原县
    ("610423", "610423", 34.5279, 108.8427),      # 泾阳县
    ("610400-HTZ", "610404", 34.3020, 108.6360),  # 高新区
]
_WORDS = "秦汉渭泾原兴华泰丰盛鑫源达通宏远恒瑞祥和嘉利新康宁安博德"
_INDUSTRIES = [("装备制造", "机械"), ("新材料", "材料"), ("电子信息", "电子"),
               ("食品加工", "食品"), ("医药", "药业"), ("纺织服装", "纺织"),
               ("能源化工", "能源"), ("现代物流", "物流")]
_PROJECT_NAMES = ["智能装备产业园", "新能源电池材料项目", "冷链物流中心", "生物医药研发基地",
                  "半导体封装测试项目", "绿色建材生产线", "数据中心二期", "食品精深加工项目"]


def make_uscc(rng: random.Random, division: str) -> str:
    """A well-formed code: 9 (market regulator) 1 (enterprise), division, org code, check."""
    body = "91" + division + "".join(rng.choice(uscc.ALPHABET[:10]) for _ in range(8))
    body += rng.choice(uscc.ALPHABET)
    return body + uscc.check_character(body)


def _site(owner: dict, name: str, lat: float, lon: float, radius: float, with_boundary: bool):
    point = Point(lon, lat)
    # About 150 m × 110 m around the gate: a typical factory compound.
    boundary = box(lon - 0.0008, lat - 0.0005, lon + 0.0008, lat + 0.0005) if with_boundary \
        else None
    geom = {"point": from_shape(point, srid=4326),
            "boundary": from_shape(boundary, srid=4326) if boundary is not None else None}
    site = Site(name=name, radius_m=radius, version=1, **geom, **owner)
    db.session.add(site)
    db.session.flush()
    db.session.add(SiteVersion(site_id=site.id, version=1, radius_m=radius, **geom))
    return site


def load_registry(rng: random.Random, units: dict[str, OrgUnit]) -> None:
    """Firms, sites, projects and assignments; the demo ``firm`` user gets the first firm."""
    firms, owner_points = [], {}
    for i in range(FIRM_COUNT):
        code, division, lat0, lon0 = _PLACES[i % len(_PLACES)]
        industry, short = rng.choice(_INDUSTRIES)
        name = f"咸阳{rng.choice(_WORDS)}{rng.choice(_WORDS)}{short}有限公司"
        firm = Firm(uscc=make_uscc(rng, division), name=f"{name[:-4]}{i + 1:03d}有限公司",
                    address=f"{units[code].name}工业路{rng.randint(1, 300)}号",
                    industry=industry, org_unit_id=units[code].id,
                    contacts=[{"name": "联系人", "phone": f"1390910{i:04d}", "role": "办公室"}])
        firm.tags = rng.sample(FIRM_TAGS, rng.randint(0, 2))
        db.session.add(firm)
        db.session.flush()
        lat = lat0 + rng.uniform(-0.04, 0.04)
        lon = lon0 + rng.uniform(-0.05, 0.05)
        _site({"firm_id": firm.id}, "厂区大门", lat, lon, 200.0, with_boundary=i % 5 == 0)
        owner_points[firm.id] = (lat, lon)
        if i % 10 == 3:  # a few firms have a second plant
            _site({"firm_id": firm.id}, "二厂", lat + 0.01, lon + 0.012, 300.0, False)
        firms.append(firm)

    departments = db.session.scalars(db.select(Department).order_by(Department.id)).all()
    projects = []
    for i, pname in enumerate(_PROJECT_NAMES):
        owner = firms[10 + i * 7]
        stage = PROJECT_STAGES[i % len(PROJECT_STAGES)]
        project = Project(name=f"{owner.name[:-4]}{pname}", owner_firm_id=owner.id,
                          org_unit_id=owner.org_unit_id, stage=stage,
                          departments=rng.sample(departments, 2))
        db.session.add(project)
        db.session.flush()
        db.session.add(ProjectStageChange(project_id=project.id, from_stage=None,
                                          to_stage=stage, note="demo"))
        # The project's land lies next to its owner's plant.
        lat, lon = owner_points[owner.id]
        _site({"project_id": project.id}, "项目现场", lat + 0.006, lon - 0.006, 300.0,
              with_boundary=True)
        projects.append(project)

    users = {u.username: u for u in db.session.scalars(db.select(User))}
    users["firm"].firm_id = firms[0].id

    def assign(user, *, firm=None, project=None, cadence="monthly"):
        target = firm or project
        db.session.add(Assignment(user_id=user.id, firm_id=firm.id if firm else None,
                                  project_id=project.id if project else None,
                                  org_unit_id=target.org_unit_id, cadence=cadence,
                                  starts_on=ASSIGNMENTS_START))

    # The demo commissioner looks after 15 firms (the demo firm among them); the other
    # commissioners share the rest, ten each, some weekly (key firms), most monthly.
    for firm in firms[:15]:
        assign(users["commissioner"], firm=firm)
    others = sorted((u for u in users.values() if u.username.startswith("commissioner")
                     and u.username != "commissioner"), key=lambda u: u.id)
    for n, firm in enumerate(firms[15:15 + 10 * len(others)]):
        assign(others[n // 10], firm=firm, cadence="weekly" if "key" in firm.tags else "monthly")
    butlers = sorted((u for u in users.values() if u.username.startswith("butler")),
                     key=lambda u: u.id)
    for n, project in enumerate(projects):
        assign(butlers[n % len(butlers)], project=project, cadence="per_stage")
