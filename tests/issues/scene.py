"""The issue tests' scene: departments, staff and firms of two counties, a movable clock, and
helpers to raise, act on and read issues through the API; ``staff_traces`` finds staff identity
or internal text in a firm-facing body."""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fieldapp import clock
from fieldapp.demo.registry import make_uscc
from fieldapp.extensions import db
from models import Department, Firm, department_categories

ISSUES = "/api/v1/issues"
CST = ZoneInfo("Asia/Shanghai")
# Staff with names and ids nothing else in a response could contain, so that a test can tell
# whether any of them reaches the firm (username: display name, id).
STAFF = {"admin": ("管理员周衡", 73101), "a_manager": ("受理员张立新", 73102),
         "b_manager": ("泾阳刘敏", 73103), "handler": ("办事员陈静怡", 73104),
         "power_handler": ("电力王建国", 73105), "c1": ("专员赵晓东", 73106)}

def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=CST)


def end_of(day: str) -> datetime:
    return at(day, 0) + timedelta(days=1)


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Scene:
    def __init__(self, world, client, login, monkeypatch):
        self.client, self._login, self.tokens = client, login, {}
        self.clock = [at("2026-02-13", 16)]
        monkeypatch.setattr(clock, "now", lambda: self.clock[0])
        rng = random.Random(5)
        w = world
        self.firms = []
        for unit, name in ((w.county_a, "秦川机械"), (w.county_a, "园区电子"),
                           (w.county_b, "泾阳食品")):
            firm = Firm(uscc=make_uscc(rng, "610402"), name=name, org_unit_id=unit.id)
            db.session.add(firm)
            self.firms.append(firm)
        self.power = Department(name="供电公司", org_unit_id=w.county_a.id)
        self.land = Department(name="自然资源局", org_unit_id=w.city.id)
        self.b_dept = Department(name="泾阳住建局", org_unit_id=w.county_b.id)
        db.session.add_all([self.power, self.land, self.b_dept])
        db.session.flush()
        db.session.execute(department_categories.insert(), [
            {"department_id": self.power.id, "category": "power"},
            {"department_id": self.land.id, "category": "land"},
            {"department_id": self.land.id, "category": "power"}])
        db.session.commit()
        for name, roles, unit, extra in (
                ("admin", ["admin"], w.city, {}), ("a_manager", ["manager"], w.county_a, {}),
                ("b_manager", ["manager"], w.county_b, {}),
                ("handler", ["handler"], w.county_a, {"department_id": self.land.id}),
                ("power_handler", ["handler"], w.county_a, {"department_id": self.power.id}),
                ("c1", ["commissioner"], w.county_a, {}),
                ("firm1", ["firm"], w.county_a, {"firm_id": self.firms[0].id}),
                ("firm2", ["firm"], w.county_a, {"firm_id": self.firms[1].id})):
            display_name, user_id = STAFF.get(name, (None, None))
            user = w.user(name, roles, unit, **extra, **({"id": user_id} if user_id else {}))
            if display_name:
                user.display_name = display_name
                db.session.commit()

    def h(self, user):
        if user not in self.tokens:
            self.tokens[user] = self._login(user)
        return self.tokens[user]

    def raise_(self, user="firm1", firm=0, category="land", **extra):
        resp = self.client.post(ISSUES, json={"firm_id": self.firms[firm].id,
                                              "category": category, "title": "厂房用地手续",
                                              "description": "用地审批迟迟未批", **extra},
                                headers=self.h(user))
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()

    def do(self, issue, action, user, status=200, **body):
        resp = self.client.post(f"{ISSUES}/{issue['id']}/actions",
                                json={"action": action, **body}, headers=self.h(user))
        assert resp.status_code == status, resp.get_json()
        return resp.get_json()

    def get(self, path, user, status=200):
        resp = self.client.get(path, headers=self.h(user))
        assert resp.status_code == status, resp.get_json()
        return resp.get_json()

    def handle(self, issue, department="land", handler="handler", reply="已办理"):
        """Accept, dispatch, sign and resolve."""
        self.do(issue, "accept", "a_manager")
        self.do(issue, "dispatch", "a_manager", department_id=getattr(self, department).id)
        self.do(issue, "sign", handler)
        self.do(issue, "resolve", handler, reply=reply, result_code="solved")

    def open311_key(self, user="a_manager"):
        """An Open311 client key acting as ``user``."""
        out = self.client.application.test_cli_runner().invoke(
            args=["open311", "add-client", "12345热线", "--user", user])
        assert out.exit_code == 0, out.output
        return out.output.strip()

    def declare(self, year):
        """An admin declares the year's arrangement entered (its days: Monday–Friday)."""
        resp = self.client.put(f"/api/v1/calendar/years/{year}", json={},
                               headers=self.h("admin"))
        assert resp.status_code == 200, resp.get_json()


ROLES = {"dispatcher", "handler", "firm", "visitor", "system"}
IDENTITY_KEYS = {"actor_id", "created_by_id", "user_id", "internal_text", "username",
                 "display_name"}

def staff_traces(body, internal_texts=()) -> list[str]:
    """Where in a response body a staff member (display name, username, id) or an internal
    text shows: a list of paths, empty when there is none."""
    names = [name for name, _ in STAFF.values()]
    ids = {user_id for _, user_id in STAFF.values()}
    found = []

    def walk(node, path, key=None):
        if isinstance(node, dict):
            found.extend(f"{path}.{k}" for k in node if k in IDENTITY_KEYS)
            for k, v in node.items():
                walk(v, f"{path}.{k}", k)
        elif isinstance(node, list):
            for n, v in enumerate(node):
                walk(v, f"{path}[{n}]", key)
        elif isinstance(node, str):
            if key == "actor_role":   # the part played, which may share a word with a username
                assert node in ROLES, (path, node)
            elif node in STAFF or any(t in node for t in (*names, *internal_texts)):
                found.append(f"{path}={node}")
        elif isinstance(node, int) and not isinstance(node, bool) and node in ids:
            found.append(f"{path}={node}")

    walk(body, "$")
    return found
