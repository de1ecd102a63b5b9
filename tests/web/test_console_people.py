"""Assignments and users in the console, in a real browser: what the page does is what the
server stores, and a county manager sees and offers only the county."""

import urllib.error
from datetime import timedelta

import pytest
from sqlalchemy import select

from fieldapp.clock import today
from models import Assignment, Firm, OrgUnit, Project, User
from tests.web.browser import assert_accessible, shot
from tests.web.console_support import (
    COUNTY_MANAGER,
    Api,
    desk_page,  # noqa: F401  (the desk fixture)
    log_in,
    seed_county_manager,
)

MANAGER = ("manager", "fieldapp-manager")


def seed(app):
    """The county manager can log in."""
    seed_county_manager(app)


def _unassigned_commissioner(session, firm_id):
    """An active commissioner who never held this firm."""
    held = set(session.scalars(select(Assignment.user_id).where(Assignment.firm_id == firm_id)))
    for user in session.scalars(select(User).where(User.is_active).order_by(User.id)):
        if "commissioner" in user.roles and user.id not in held:
            return user
    raise AssertionError("every commissioner holds this firm")


def test_assign_then_end_an_assignment_and_reassign_another(desk, live_server):
    api = Api(live_server.url, *MANAGER)
    firm = api.get("/firms", page_size=1)["items"][0]
    with live_server.db() as session:
        person = _unassigned_commissioner(session, firm["id"])
        person_id, person_name = person.id, person.display_name
    day = today()
    log_in(desk, live_server.url, f"assignments?firm_id={firm['id']}", *MANAGER)
    desk.locator("#assign-table table, #assign-table .notice").first.wait_for()
    assert firm["name"] in desk.locator("#f-firm").inner_text()
    assert desk.locator("#a-target").input_value() == str(firm["id"])
    desk.select_option("#a-user", str(person_id))
    desk.select_option("#a-cadence", "weekly")
    desk.click("#assign-form button[type=submit]")
    desk.get_by_text(f"已指派：{person_name} 负责 {firm['name']}").wait_for()
    with live_server.db() as session:
        made = session.scalars(select(Assignment).where(
            Assignment.firm_id == firm["id"], Assignment.user_id == person_id)).one()
        assert (made.cadence, made.starts_on, made.ends_on) == ("weekly", day, None)
        made_id = made.id
    row = desk.locator(f'#assignments tr[data-assignment="{made_id}"]')
    row.wait_for()
    assert "进行中" in row.inner_text()
    shot(desk, "console-assignments")
    assert_accessible(desk, context="assignments")

    # The same person again on overlapping dates: the API's 409, nothing stored.
    desk.click("#assign-form button[type=submit]")
    desk.locator("#assign-errors li").filter(has_text=f"assignment {made_id}").wait_for()

    row.locator("button[data-action=end]").click()
    desk.fill("#end-on", day.isoformat())
    desk.fill("#end-reason", "人员调整")
    desk.click("#action-form button[type=submit]")
    desk.get_by_text("包抓已结束").wait_for()
    with live_server.db() as session:
        ended = session.get(Assignment, made_id)
        assert (ended.ends_on, ended.end_reason) == (day, "人员调整")
    row.locator("button[data-action=end]").wait_for()  # ends today: still in force
    assert desk.locator("#assign-action").is_hidden()

    # Reassign it to another commissioner from tomorrow: the API ends the old one today.
    with live_server.db() as session:
        other_id = _unassigned_commissioner(session, firm["id"]).id
    row.locator("button[data-action=reassign]").click()
    desk.select_option("#re-user", str(other_id))
    desk.fill("#re-starts", (day + timedelta(days=1)).isoformat())
    desk.click("#action-form button[type=submit]")
    desk.get_by_text("已转交给").wait_for()
    with live_server.db() as session:
        old = session.get(Assignment, made_id)
        new = session.get(Assignment, old.replaced_by_id)
        assert old.ends_on == day and old.end_reason == "reassigned"
        assert (new.user_id, new.firm_id, new.starts_on, new.cadence) == (
            other_id, firm["id"], day + timedelta(days=1), "weekly")
    desk.locator(f'#assignments tr[data-assignment="{made_id}"]').filter(
        has_text="已转交").wait_for()
    assert desk.locator(
        f'#assignments tr[data-assignment="{made_id}"] button').count() == 0
    assert desk.console_errors == []


def test_a_firm_out_of_the_county_reads_as_not_found_on_the_assignments_page(desk, live_server):
    county = Api(live_server.url, *COUNTY_MANAGER)
    visible = {f["id"] for f in county.get("/firms", page_size=200)["items"]}
    with live_server.db() as session:
        outside = session.scalar(select(Firm.id).where(Firm.id.not_in(visible)).limit(1))
    log_in(desk, live_server.url, f"assignments?firm_id={outside}", *COUNTY_MANAGER)
    desk.locator("#page-error").get_by_text("未找到").wait_for()
    assert desk.locator("#assign-table table").count() == 0


def test_a_project_s_butlers_are_reached_from_the_registry_and_one_is_assigned(
        desk, live_server):
    api = Api(live_server.url, *MANAGER)
    project = api.get("/projects", page_size=20)["items"][0]
    held = api.get("/assignments", project_id=project["id"], page_size=200)["items"]
    with live_server.db() as session:
        butlers = session.scalars(select(User).where(User.is_active).order_by(User.id)).all()
        butlers = {u.id for u in butlers if "butler" in u.roles}
        holders = {a.user_id for a in session.scalars(
            select(Assignment).where(Assignment.project_id == project["id"]))}
    person_id = min(butlers - holders)
    day = today()
    log_in(desk, live_server.url, "registry", *MANAGER)
    row = desk.locator(f'#projects tr[data-project="{project["id"]}"]')
    row.get_by_role("link", name=f"包抓：{project['name']}").click()
    desk.wait_for_url(f"**/console/assignments?project_id={project['id']}")
    desk.locator("#assign-table table, #assign-table .notice").first.wait_for()
    # The API's own filter: the rows are the project's assignments, ended ones included.
    assert project["name"] in desk.locator("#f-firm").inner_text()
    shown = {int(i) for i in desk.locator("#assignments tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.assignment)")}
    assert shown == {a["id"] for a in held}
    # The form is the project's: only butlers are offered.
    assert desk.input_value("#a-kind") == "project"
    assert desk.locator("#a-target option").all_inner_texts() == [project["name"]]
    offered = {int(v) for v in desk.locator("#a-user option").evaluate_all(
        "options => options.map(o => o.value)")}
    assert offered == butlers
    desk.select_option("#a-user", str(person_id))
    desk.select_option("#a-cadence", "per_stage")
    desk.click("#assign-form button[type=submit]")
    desk.locator("#assign-errors li.ok").filter(has_text=project["name"]).wait_for()
    with live_server.db() as session:
        made = session.scalars(select(Assignment).where(
            Assignment.project_id == project["id"], Assignment.user_id == person_id)).one()
        assert (made.firm_id, made.cadence, made.starts_on, made.ends_on) == (
            None, "per_stage", day, None)
        made_id = made.id
    desk.locator(f'#assignments tr[data-assignment="{made_id}"]').filter(
        has_text="进行中").wait_for()
    assert desk.locator("#assignments tbody tr").count() == len(held) + 1
    shot(desk, "console-assignments-project")
    assert_accessible(desk, context="assignments of a project")
    assert desk.console_errors == []


def test_a_project_out_of_the_county_reads_as_not_found_on_the_assignments_page(
        desk, live_server):
    county = Api(live_server.url, *COUNTY_MANAGER)
    visible = {p["id"] for p in county.get("/projects", page_size=200)["items"]}
    with live_server.db() as session:
        outside = session.scalar(select(Project.id).where(Project.id.not_in(visible)).limit(1))
    assert outside is not None
    log_in(desk, live_server.url, f"assignments?project_id={outside}", *COUNTY_MANAGER)
    desk.locator("#page-error").get_by_text("未找到").wait_for()
    assert desk.locator("#assign-table table").count() == 0


def _county(session):
    manager = session.scalar(select(User).where(User.username == COUNTY_MANAGER[0]))
    unit = session.get(OrgUnit, manager.org_unit_id)
    return unit, set(session.scalars(select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path))))


def test_a_county_manager_sees_only_the_county_s_users_and_firms(desk, live_server):
    county = Api(live_server.url, *COUNTY_MANAGER)
    with live_server.db() as session:
        unit, subtree = _county(session)
        users = session.scalars(select(User).where(User.org_unit_id.in_(subtree),
                                                   User.is_active).order_by(User.id)).all()
        expected_users = [u.id for u in users]
        firms = session.scalars(select(Firm.id).where(Firm.org_unit_id.in_(subtree),
                                                      Firm.status == "active")).all()
        me = next(u.id for u in users if u.username == COUNTY_MANAGER[0])
    log_in(desk, live_server.url, "users", *COUNTY_MANAGER)
    desk.locator("#users tbody tr").first.wait_for()
    shown = [int(i) for i in desk.locator("#users tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.user)")]
    assert shown == expected_users[:20]
    assert shown == [u["id"] for u in county.get("/users", is_active="true", page_size=20)["items"]]
    assert f"共 {len(expected_users)} 条" in desk.locator("#user-pager").inner_text()
    units = set(desk.locator("#users tbody td:nth-child(4)").all_inner_texts())
    assert units <= {unit.name}
    # A manager is never offered the admin role, nor actions on their own account.
    assert desk.locator("#nu-role-admin").count() == 0
    assert desk.locator("#nu-role-manager").count() == 1
    assert desk.locator(f'#users tr[data-user="{me}"] button').count() == 0
    assert [o for o in desk.locator("#nu-unit option").all_inner_texts()] == [unit.name]

    desk.goto(f"{live_server.url}/console/registry")
    desk.locator("#firms tbody tr").first.wait_for()
    assert f"共 {len(firms)} 条" in desk.locator("#firm-pager").inner_text()
    assert set(desk.locator("#firms tbody td:nth-child(3)").all_inner_texts()) == {unit.name}
    assert desk.console_errors == []


def test_a_manager_creates_a_user_with_a_one_time_password_and_deactivates_them(
        desk, live_server):
    with live_server.db() as session:
        unit, _ = _county(session)
        unit_id, unit_name = unit.id, unit.name
    log_in(desk, live_server.url, "users", *MANAGER)
    desk.locator("#users tbody tr").first.wait_for()
    desk.fill("#nu-username", "zhuanyuan.wang")
    desk.fill("#nu-name", "王新专员")
    desk.select_option("#nu-unit", str(unit_id))
    desk.check("#nu-role-commissioner")
    desk.locator("#nu-team").wait_for()
    desk.fill("#nu-phone", "13800000000")
    password = desk.input_value("#nu-password")
    assert len(password) == 12
    desk.click("#new-user button[type=submit]")
    desk.locator("#new-user-done").get_by_text(password).wait_for()
    with live_server.db() as session:
        user = session.scalar(select(User).where(User.username == "zhuanyuan.wang"))
        assert (user.display_name, user.org_unit_id, sorted(user.roles), user.phone) == (
            "王新专员", unit_id, ["commissioner"], "13800000000")
        assert user.is_active and user.password_must_change
        user_id = user.id
    # The one-time password is the one shown: it logs in (and must then be changed).
    token = Api(live_server.url, "zhuanyuan.wang", password).token
    assert token

    desk.fill("#u-q", "zhuanyuan")
    desk.click("#user-filter button[type=submit]")
    row = desk.locator(f'#users tr[data-user="{user_id}"]')
    row.wait_for()
    assert unit_name in row.inner_text() and "待改密" in row.inner_text()
    shot(desk, "console-users")
    assert_accessible(desk, context="users")

    # A new one-time password: the one the page shows replaces the first.
    row.locator("button[data-action=password]").click()
    text = desk.locator("#user-action-text").inner_text()
    desk.click("#user-action-confirm")
    desk.get_by_text("已为 王新专员 设置一次性密码").wait_for()
    second = desk.locator("#user-status").inner_text().split("：")[1].split("（")[0]
    assert second in text and second != password
    assert Api(live_server.url, "zhuanyuan.wang", second).token
    with pytest.raises(urllib.error.HTTPError) as refused:
        Api(live_server.url, "zhuanyuan.wang", password)
    assert refused.value.code == 401

    row.locator("button[data-action=deactivate]").click()
    desk.click("#user-action-confirm")
    desk.get_by_text("已停用 王新专员").wait_for()
    with live_server.db() as session:
        assert session.get(User, user_id).is_active is False
    desk.select_option("#u-active", "false")
    desk.click("#user-filter button[type=submit]")
    row.locator("button[data-action=activate]").wait_for()
    assert desk.console_errors == []


def test_on_a_tablet_the_registry_assignments_and_users_fit_the_width(desk, live_server):
    desk.set_viewport_size({"width": 820, "height": 1180})
    firm = Api(live_server.url, *MANAGER).get("/firms", page_size=1)["items"][0]
    log_in(desk, live_server.url, "users", *MANAGER)
    desk.locator("#users").wait_for()
    for path, ready in ((f"registry?firm={firm['id']}", "#versions"),
                        ("assignments", "#assignments"), ("users", "#users")):
        desk.goto(f"{live_server.url}/console/{path}")
        desk.locator(ready).wait_for()
        fits = "() => document.documentElement.scrollWidth <= window.innerWidth"
        assert desk.evaluate(fits), path
    assert desk.console_errors == []


def test_a_manager_creates_a_firm_user_by_finding_the_firm_by_name(desk, live_server):
    api = Api(live_server.url, *MANAGER)
    firm = api.get("/firms", page_size=5)["items"][4]
    log_in(desk, live_server.url, "users", *MANAGER)
    desk.locator("#users tbody tr").first.wait_for()
    desk.fill("#nu-username", "qiye.zhang")
    desk.fill("#nu-name", "张经理")
    desk.check("#nu-role-commissioner")
    desk.check("#nu-role-firm")
    # A firm user has one role and the firm's unit: the staff fields go, the firm picker comes,
    # with one page of the firms in scope.
    assert not desk.is_checked("#nu-role-commissioner") and desk.is_disabled("#nu-role-manager")
    for staff_only in ("#nu-unit-field", "#nu-team-field", "#nu-dept-field"):
        assert desk.locator(staff_only).is_hidden(), staff_only
    desk.locator("#nu-firm-hint").get_by_text("列出前 20 家").wait_for()
    assert desk.locator("#nu-firm option").count() == 20
    desk.fill("#nu-firm-q", firm["name"][-9:])   # "005有限公司": Enter searches, not submits
    desk.press("#nu-firm-q", "Enter")
    desk.locator("#nu-firm-hint").get_by_text("共找到 1 家企业").wait_for()
    with live_server.db() as session:
        unit_name = session.get(OrgUnit, firm["org_unit_id"]).name
    assert desk.locator("#nu-firm option").all_inner_texts() == [
        f"{firm['name']}（属地：{unit_name}）"]
    assert desk.input_value("#nu-firm") == str(firm["id"])
    shot(desk, "console-users-firm-picker")
    password = desk.input_value("#nu-password")
    desk.click("#new-user button[type=submit]")
    desk.locator("#new-user-done").get_by_text(password).wait_for()
    with live_server.db() as session:
        user = session.scalar(select(User).where(User.username == "qiye.zhang"))
        assert (sorted(user.roles), user.firm_id, user.org_unit_id, user.display_name) == (
            ["firm"], firm["id"], firm["org_unit_id"], "张经理")
        assert (user.service_team_id, user.department_id) == (None, None)
        assert user.password_must_change
        user_id = user.id

    desk.fill("#u-q", "qiye.zhang")
    desk.click("#user-filter button[type=submit]")
    row = desk.locator(f'#users tr[data-user="{user_id}"]')
    row.wait_for()
    assert row.locator("td:nth-child(5) a").inner_text() == firm["name"]
    assert "企业用户" in row.inner_text() and "待改密" in row.inner_text()
    shot(desk, "console-users-firm")
    assert_accessible(desk, context="users with a firm user")
    # The one-time password shown logs in, as that firm's user.
    me = Api(live_server.url, "qiye.zhang", password).get("/me")
    assert (me["firm"]["id"], me["temporary_credentials"]) == (firm["id"], True)
    assert desk.console_errors == []


def test_a_county_managers_firm_picker_finds_only_the_countys_firms(desk, live_server):
    county = Api(live_server.url, *COUNTY_MANAGER)
    visible = {f["id"] for f in county.get("/firms", page_size=200)["items"]}
    with live_server.db() as session:
        outside = session.scalar(select(Firm).where(Firm.id.not_in(visible)).limit(1))
        outside_name = outside.name
    log_in(desk, live_server.url, "users", *COUNTY_MANAGER)
    desk.locator("#users tbody tr").first.wait_for()
    desk.check("#nu-role-firm")
    desk.locator("#nu-firm option").first.wait_for(state="attached")
    shown = {int(v) for v in desk.locator("#nu-firm option").evaluate_all(
        "options => options.map(o => o.value)")}
    assert shown and shown <= visible
    desk.fill("#nu-firm-q", outside_name)
    desk.click("#nu-firm-find")
    desk.locator("#nu-firm-hint").get_by_text("未找到企业").wait_for()
    assert desk.locator("#nu-firm option").count() == 0
    # Creating without a firm: the page asks for one and sends nothing.
    desk.fill("#nu-username", "qiye.none")
    desk.fill("#nu-name", "无企业")
    desk.click("#new-user button[type=submit]")
    desk.locator('#new-user-errors li[data-field="firm_id"]').wait_for()
    with live_server.db() as session:
        assert session.scalar(select(User).where(User.username == "qiye.none")) is None
    assert desk.console_errors == []
