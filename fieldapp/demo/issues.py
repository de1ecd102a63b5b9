"""Demo issues: the departments' categories, and the issue raised on a demo visit taken through
acceptance, dispatch to the power company and sign-for, so the demo firm user has a live
timeline to track; plus one the firm raised itself, still waiting to be accepted."""

from sqlalchemy import insert, select

from fieldapp.auth.principal import Principal
from fieldapp.extensions import db
from fieldapp.issues.actions import act
from fieldapp.issues.service import create_issue
from models import Department, Issue, User, department_categories

_ROUTES = {"国网咸阳供电公司": ["power"], "咸阳市水务集团": ["water", "gas"],
           "咸阳市自然资源和规划局": ["land"], "咸阳市行政审批服务局": ["permits", "policy"],
           "咸阳市人力资源和社会保障局": ["hiring", "legal"]}


def _principal(username: str) -> Principal:
    user = db.session.scalar(select(User).where(User.username == username))
    return Principal(user_id=user.id, username=user.username, roles=user.roles,
                     org_unit_id=user.org_unit_id, org_path=user.org_unit.path,
                     service_team_id=user.service_team_id, department_id=user.department_id,
                     session_id="demo", firm_id=user.firm_id)


def load_issues() -> None:
    """Route the categories and move the demo issues along."""
    departments = {d.name: d for d in db.session.scalars(select(Department))}
    db.session.execute(insert(department_categories), [
        {"department_id": departments[name].id, "category": c}
        for name, codes in _ROUTES.items() for c in codes])
    db.session.commit()
    raised = db.session.scalars(select(Issue).order_by(Issue.id)).first()
    if raised is not None:
        manager, handler = _principal("manager"), _principal("handler")
        act(manager, raised.id, {"action": "accept"})
        act(manager, raised.id, {"action": "dispatch",
                                 "department_id": departments["国网咸阳供电公司"].id,
                                 "internal_text": "请供电公司三个工作日内联系企业"})
        act(handler, raised.id, {"action": "sign"})
    firm = _principal("firm")
    if firm.firm_id is not None:
        create_issue(firm, {"firm_id": firm.firm_id, "category": "hiring",
                            "title": "技术工人招聘困难",
                            "description": "数控岗位缺口 30 人，希望对接职业院校"})
