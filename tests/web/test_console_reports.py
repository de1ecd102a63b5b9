"""The console's overview and visit-rate pages in a real browser, against the API's figures."""

import csv
import io
from pathlib import Path

from tests.web.browser import assert_accessible, shot
from tests.web.console_support import (
    COUNTY_MANAGER,
    Api,
    desk_page,  # noqa: F401  (the desk fixture)
    log_in,
    percent,
    seed_county_manager,
)

MANAGER = ("manager", "fieldapp-manager")


def seed(app):
    seed_county_manager(app)


def _figure(page, key) -> str:
    return page.locator(f'[data-figure="{key}"] .value').inner_text()


def _month(api):
    return api.get("/stats/visit-rate/trend", **{"from": "2026-12", "to": "2026-12"})


def _this_month(page) -> str:
    return page.evaluate("() => new Intl.DateTimeFormat('en-CA', {timeZone: 'Asia/Shanghai'})"
                         ".format(new Date()).slice(0, 7)")


def _assert_overview_matches_api(page, api):
    month = _this_month(page)
    report = api.get("/stats/visit-rate", period=month)
    queue = api.get("/visits", status="needs_review", page_size=1)
    overdue = api.get("/stats/overdue")
    issues = api.get("/stats/issues", period=month)["total"]
    late = api.get("/issues", overdue="true", page_size=1)
    page.locator('[data-figure="visit_rate"]').wait_for()
    assert _figure(page, "visit_rate") == percent(report["total"]["rate"])
    assert _figure(page, "due") == str(report["total"]["due"])
    # Last month's rate comes from the trend; it is last month's report's total.
    year, mon = map(int, month.split("-"))
    before = f"{year - (mon == 1)}-{(mon - 2) % 12 + 1:02d}"
    previous = api.get("/stats/visit-rate", period=before)["total"]["rate"]
    sub = page.locator('[data-figure="visit_rate"] .sub').inner_text()
    assert percent(previous) in sub, (sub, previous)
    assert _figure(page, "review_queue") == str(queue["total"])
    assert _figure(page, "overdue") == str(len(overdue["items"]))
    assert _figure(page, "submitted") == str(issues["submitted"])
    for key in ("resolution_rate", "on_time_response_rate", "on_time_resolution_rate",
                "satisfaction_rate"):
        assert _figure(page, key) == percent(issues[key]), key
    assert _figure(page, "issues_overdue") == str(late["total"])
    units = page.locator("#unit-table tbody tr td:first-child").all_inner_texts()
    assert units == [r["label"] for r in report["rows"]]
    return report


def test_city_overview_figures_equal_the_api_for_the_city(desk, live_server):
    log_in(desk, live_server.url, "", *MANAGER)
    report = _assert_overview_matches_api(desk, Api(live_server.url, *MANAGER))
    assert "三原县" in desk.locator("#unit-table").inner_text()
    assert report["total"]["due"] > 0
    desk.locator("#trend-chart canvas").wait_for()
    shot(desk, "console-overview")
    assert_accessible(desk, context="overview")
    assert desk.console_errors == []


def test_a_county_manager_sees_only_the_county(desk, live_server):
    log_in(desk, live_server.url, "", *COUNTY_MANAGER)
    county = _assert_overview_matches_api(desk, Api(live_server.url, *COUNTY_MANAGER))
    city = Api(live_server.url, *MANAGER).get("/stats/visit-rate", period=_this_month(desk))
    assert county["total"]["due"] < city["total"]["due"]
    text = desk.locator("#main").inner_text()
    assert "泾阳县" not in text and "咸阳高新技术产业开发区" not in text
    assert "三原县" in desk.locator("#whoami").inner_text()


def test_drill_down_from_a_unit_to_a_person_to_an_unmet_slot(desk, live_server):
    api = Api(live_server.url, *MANAGER)
    log_in(desk, live_server.url, "visit-rate?period=2026-11", *MANAGER)
    report = api.get("/stats/visit-rate", period="2026-11")
    desk.locator("#report").wait_for()
    labels = desk.locator("#report tbody tr td:first-child").all_inner_texts()
    assert sorted(labels) == sorted(r["label"] for r in report["rows"])
    shot(desk, "console-visit-rate")
    assert_accessible(desk, context="visit rate")
    # unit → its people
    desk.get_by_role("button", name="三原县").click()
    desk.locator("#crumbs").get_by_text("三原县").wait_for()
    county = next(r for r in report["rows"] if r["label"] == "三原县")
    people = api.get("/stats/visit-rate", period="2026-11", group_by="user",
                     org_unit_id=county["group"])
    desk.wait_for_function("n => document.querySelectorAll('#report tbody tr').length === n",
                           arg=len(people["rows"]))
    person = next(r for r in people["rows"] if r["due"] > r["met"])
    # person → their slots, unmet only
    desk.locator(f'#report tbody tr[data-group="{person["group"]}"] button').click()
    desk.locator("#slots").wait_for()
    desk.get_by_role("button", name="未走访").click()
    desk.wait_for_url("**state=unmet**")
    unmet = api.get("/stats/visit-rate/slots", period="2026-11", group_by="user",
                    group=person["group"], org_unit_id=county["group"], state="unmet")
    desk.wait_for_function("n => document.querySelectorAll('#slots tbody tr').length === n",
                           arg=len(unmet["items"]))
    firms = desk.locator("#slots tbody tr td:nth-child(2)").all_inner_texts()
    assert firms == [s["target_name"] for s in unmet["items"]]
    assert all(s["met"] is False for s in unmet["items"]) and unmet["items"]
    assert desk.locator("#slots tbody tr[data-state=met]").count() == 0
    shot(desk, "console-visit-rate-slots")
    desk.locator("#slots tbody tr").first.get_by_role("button").click()
    desk.locator("#slot-visits:not([hidden])").wait_for()
    assert desk.console_errors == []


def test_the_csv_downloaded_from_the_page_has_the_rows_on_screen(desk, live_server):
    log_in(desk, live_server.url, "visit-rate?period=2026-11&group_by=user", *MANAGER)
    desk.locator("#report").wait_for()
    on_screen = desk.locator("#report tbody tr td:first-child").all_inner_texts()
    with desk.expect_download() as info:
        desk.click("#download-csv")
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    labels = [r[0] for r in rows[1:-1]]  # header first, totals last
    assert sorted(labels) == sorted(on_screen) and labels
    assert rows[-1][0] == "合计 total"
    with desk.expect_download() as info:
        desk.click("#download-xlsx")
    assert info.value.suggested_filename.endswith(".xlsx")
    assert Path(info.value.path()).read_bytes()[:2] == b"PK"


def test_overdue_lists_never_visited_first_narrows_to_a_team_and_downloads_it(desk, live_server):
    api = Api(live_server.url, *MANAGER)
    log_in(desk, live_server.url, "overdue", *MANAGER)
    everyone = api.get("/stats/overdue")["items"]
    desk.wait_for_function("n => document.querySelectorAll('#overdue tbody tr').length === n",
                           arg=min(50, len(everyone)))
    shown = desk.locator("#overdue tbody tr td:nth-child(2)").all_inner_texts()
    assert shown == [r["target_name"] for r in everyone[:50]]  # 50 a page
    assert f"共 {len(everyone)} 条" in desk.locator(".pager").inner_text()
    assert everyone[0]["days_since_last_visit"] is None
    assert "从未走访" in desk.locator("#overdue tbody tr").first.inner_text()
    shot(desk, "console-overdue")
    assert_accessible(desk, context="overdue")

    team = desk.locator("#o-team option").nth(1)
    team_id, team_name = team.get_attribute("value"), team.inner_text()
    desk.select_option("#o-team", team_id)
    desk.click("#overdue-filter button[type=submit]")
    of_team = api.get("/stats/overdue", team_id=team_id)["items"]
    assert 0 < len(of_team) < len(everyone), team_name
    desk.wait_for_function("n => document.querySelectorAll('#overdue tbody tr').length === n",
                           arg=min(50, len(of_team)))
    with desk.expect_download() as info:
        desk.click("#overdue-csv")
    rows = list(csv.reader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == [r["target_name"] for r in of_team]
    assert desk.console_errors == []


def test_the_coverage_map_draws_every_due_firm_in_its_colour_with_a_card(desk, live_server):
    api = Api(live_server.url, *MANAGER)
    log_in(desk, live_server.url, "coverage", *MANAGER)
    desk.locator("#coverage-legend li").first.wait_for()
    desk.fill("#c-period", "2026-11")
    desk.click("#coverage-filter button[type=submit]")
    desk.get_by_text("2026-11").first.wait_for()
    features = [f for f in api.get("/stats/coverage.geojson", period="2026-11")["features"]
                if f["geometry"]]
    met = [f for f in features if f["properties"]["met"] >= f["properties"]["due"]]
    assert desk.locator("path.firm").count() == len(features)
    assert desk.locator("path.firm-met").count() == len(met) > 0
    assert desk.locator('#coverage-legend li[data-state="met"]').inner_text().endswith(
        f"：{len(met)}")
    shot(desk, "console-coverage")
    assert_accessible(desk, context="coverage map")
    desk.locator("path.firm-met").first.dispatch_event("click")
    desk.locator("#firm-card:not([hidden])").wait_for()
    name = desk.locator("#firm-card h2").inner_text()
    firm = next(f for f in met if f["properties"]["name"] == name)
    held = api.get("/assignments", firm_id=firm["id"])["items"]
    assert any(a["user"]["display_name"] in desk.locator("#firm-card").inner_text() for a in held)
    assert desk.console_errors == []


def test_a_scope_too_large_for_one_map_asks_for_a_unit_then_draws_it(desk, live_server):
    api = Api(live_server.url, *MANAGER)
    whole = api.get("/stats/coverage.geojson", period="2026-11")["features"]
    sizes = {u: len(api.get("/stats/coverage.geojson", period="2026-11", org_unit_id=u)["features"])
             for u in {f["properties"]["org_unit_id"] for f in whole}}
    unit, size = min(sizes.items(), key=lambda kv: kv[1])
    assert 0 < size < len(whole)
    live_server.app.config["COVERAGE_MAX_FIRMS"] = len(whole) - 1
    try:
        log_in(desk, live_server.url, "coverage", *MANAGER)
        desk.locator("#page-error:not([hidden])").wait_for()
        assert "选择下级单位" in desk.locator("#page-error").inner_text()
        assert desk.locator("path.firm").count() == 0
        desk.fill("#c-period", "2026-11")
        desk.select_option("#c-unit", str(unit))
        desk.click("#coverage-filter button[type=submit]")
        desk.locator("#coverage-legend li").first.wait_for()
        assert desk.locator("#page-error").is_hidden()
        assert desk.locator("path.firm").count() == size
    finally:
        live_server.app.config["COVERAGE_MAX_FIRMS"] = 100_000
    assert desk.console_errors == []


def test_on_a_tablet_the_pages_fit_the_width(desk, live_server):
    desk.set_viewport_size({"width": 820, "height": 1180})
    log_in(desk, live_server.url, "visit-rate?period=2026-11", *MANAGER)
    desk.locator("#report").wait_for()
    for path in ("", "visit-rate?period=2026-11", "overdue", "coverage"):
        desk.goto(f"{live_server.url}/console/{path}")
        desk.locator("#page:not([hidden])").wait_for()
        desk.wait_for_load_state("networkidle")
        fits = "() => document.documentElement.scrollWidth <= window.innerWidth"
        assert desk.evaluate(fits), path
    shot(desk, "console-tablet-coverage")
