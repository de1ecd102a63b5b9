"""Steps of the phone-app stories, shared by the browser tests."""

from dataclasses import dataclass

from geoalchemy2.shape import to_shape
from geographiclib.geodesic import Geodesic
from sqlalchemy import func, select

from fieldapp import clock, scope
from models import Assignment, Firm, Project, Site, User, Visit

DEMO_PASSWORD = {"commissioner": "fieldapp-commissioner", "butler": "fieldapp-butler"}


@dataclass
class Target:
    kind: str
    id: int
    name: str
    lat: float
    lon: float
    radius_m: float
    boundary: bool

    @property
    def key(self):
        return f"{self.kind}-{self.id}"


def targets_of(live_server, username: str) -> list[Target]:
    """The user's assignments in force today with their first active site."""
    with live_server.db() as session:
        user = session.scalar(select(User).where(User.username == username))
        rows = session.scalars(select(Assignment).where(
            scope.assignments_on(user.id, clock.today())).order_by(Assignment.id)).all()
        found = []
        for a in rows:
            kind = "firm" if a.firm_id else "project"
            target = session.get(Firm if a.firm_id else Project, a.firm_id or a.project_id)
            if getattr(target, "status", "active") != "active":
                continue
            owner = Site.firm_id if a.firm_id else Site.project_id
            site = session.scalar(select(Site).where(owner == target.id, Site.is_active)
                                  .order_by(Site.id))
            if site is None:
                continue
            point = to_shape(site.point)
            found.append(Target(kind, target.id, target.name, point.y, point.x, site.radius_m,
                                site.boundary is not None))
        return found


def offset(lat, lon, azimuth, metres):
    r = Geodesic.WGS84.Direct(lat, lon, azimuth, metres)
    return r["lat2"], r["lon2"]


def visit_rows(live_server, username: str):
    with live_server.db() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
        return session.scalars(select(Visit).where(Visit.user_id == user_id)
                               .order_by(Visit.id)).all()


def visit_count(live_server, username: str) -> int:
    with live_server.db() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
        return session.scalar(select(func.count()).select_from(Visit)
                              .where(Visit.user_id == user_id))


def open_app(page, path: str = ""):
    page.goto(f"{page.base}/app/{path}")


def log_in(page, username="commissioner", password=None):
    open_app(page, "#/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password or DEMO_PASSWORD[username])
    page.get_by_role("button", name="登录").click()
    page.locator("#firm-list .firm-row").first.wait_for()


def at(context, lat, lon, accuracy=8):
    context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": accuracy})


def file_visit(page, target: Target, *, notes=None, wait_preview=True):
    """From anywhere in the app: open the target, file a visit, land on the result."""
    page.goto(f"{page.base}/app/#/file/{target.kind}/{target.id}")
    page.locator("#submit:not([disabled])").wait_for()
    if wait_preview:
        page.locator("#expected").wait_for()
    if notes:
        page.get_by_label("走访情况").fill(notes)
    page.locator("#submit").click()
    page.wait_for_url("**#/result/*")


def jpeg_with_exif(lat: float, lon: float, when) -> bytes:
    """A small JPEG whose EXIF holds the time (China time) and GPS position given."""
    from tests.test_visit_photos import jpeg

    return jpeg(taken=when, where=(lat, lon))
