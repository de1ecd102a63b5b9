"""The registry page in a real browser: firms paged from the API, and an import whose bad row is
shown before anything is stored."""

import random

from sqlalchemy import func, select

from fieldapp.demo.registry import make_uscc
from models import Firm, OrgUnit
from tests.web.browser import assert_accessible, shot
from tests.web.console_support import (
    Api,
    desk_page,  # noqa: F401  (the desk fixture)
    log_in,
)

MANAGER = ("manager", "fieldapp-manager")


def test_an_import_with_a_bad_row_shows_the_row_and_stores_nothing_until_asked(
        desk, live_server, tmp_path):
    good = make_uscc(random.Random(77), "610402")
    csv_file = tmp_path / "firms.csv"
    csv_file.write_text("uscc,name,lat,lon\n"
                        f"{good},秦都精工机械有限公司,34.3301,108.7102\n"
                        "91610402MA6XQ5Y0XX,坏行示例有限公司,34.3302,108.7103\n",
                        encoding="utf-8")
    with live_server.db() as session:
        before = session.scalar(select(func.count()).select_from(Firm))
        city = session.scalar(select(OrgUnit.id).where(OrgUnit.code == "610400"))
    log_in(desk, live_server.url, "registry", *MANAGER)
    total = Api(live_server.url, *MANAGER).get("/firms", page_size=1)["total"]
    desk.get_by_text(f"共 {total} 条").wait_for()
    desk.set_input_files("#import-file", str(csv_file))
    desk.select_option("#import-unit", str(city))
    desk.click("#import-form button[type=submit]")
    desk.locator("#row-errors").wait_for()
    assert desk.locator("#row-errors tbody tr").count() == 1
    assert desk.locator('#row-errors tr[data-row="3"]').count() == 1
    assert "uscc" in desk.locator("#row-errors tbody").inner_text()
    assert "未保存任何数据" in desk.locator("#import-status").inner_text()
    with live_server.db() as session:
        assert session.scalar(select(func.count()).select_from(Firm)) == before
    shot(desk, "console-registry")
    assert_accessible(desk, context="registry")

    desk.click("#import-valid")
    desk.get_by_text("导入完成：新增 1").wait_for()
    with live_server.db() as session:
        assert session.scalar(select(func.count()).select_from(Firm)) == before + 1
        stored = session.scalar(select(Firm).where(Firm.uscc == good))
        assert (stored.name, stored.org_unit_id) == ("秦都精工机械有限公司", city)
    desk.fill("#firm-q", "秦都精工")
    desk.click("#firm-search button[type=submit]")
    desk.locator("#firms tbody tr").filter(has_text=good).wait_for()
    assert desk.locator("#firms tbody tr").count() == 1
    assert desk.console_errors == []


def test_a_new_firm_with_a_wrong_check_character_is_refused_then_registered(desk, live_server):
    good = make_uscc(random.Random(78), "610402")
    wrong = good[:-1] + ("X" if good[-1] != "X" else "Y")
    log_in(desk, live_server.url, "registry", *MANAGER)
    desk.locator("#firms").wait_for()
    desk.fill("#nf-uscc", wrong)
    desk.fill("#nf-name", "咸阳新登记科技有限公司")
    desk.fill("#nf-lat", "34.3401")
    desk.fill("#nf-lon", "108.7201")
    desk.click("#new-firm button[type=submit]")
    error = desk.locator('#new-firm-errors li[data-field="uscc"]')
    error.wait_for()
    assert error.inner_text().startswith("统一社会信用代码：wrong_check_character")
    with live_server.db() as session:
        assert session.scalar(select(Firm.id).where(Firm.name == "咸阳新登记科技有限公司")) is None
    desk.fill("#nf-uscc", good)
    desk.click("#new-firm button[type=submit]")
    desk.get_by_text("已登记：咸阳新登记科技有限公司").wait_for()
    with live_server.db() as session:
        firm = session.scalar(select(Firm).where(Firm.uscc == good))
        assert firm.name == "咸阳新登记科技有限公司" and len(firm.active_sites) == 1
        assert firm.active_sites[0].radius_m == 200
    desk.locator("#firms tbody tr").filter(has_text=good).wait_for()
    assert desk.console_errors == []
