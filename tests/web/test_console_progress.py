"""Long work shows progress: a CSV export received over a slow line, and a file import sent
over one, each followed by the page's progress line (DevTools network throttling, no sleeps)."""

import random
import urllib.request

from sqlalchemy import func, select

from fieldapp.demo.registry import make_uscc
from models import Firm, OrgUnit
from tests.web.browser import assert_accessible
from tests.web.console_support import (
    Api,
    desk_page,  # noqa: F401  (the desk fixture)
    log_in,
)

MANAGER = ("manager", "fieldapp-manager")
# Every change of the progress line, as the user would have seen it: (label, value or None).
RECORD = """() => {
    window.progressSeen = [];
    const box = document.getElementById("progress");
    const bar = document.getElementById("progress-bar");
    const note = () => window.progressSeen.push({ hidden: box.hidden,
        label: document.getElementById("progress-label").textContent,
        value: bar.hasAttribute("value") ? bar.value : null });
    new MutationObserver(note).observe(box, { attributes: true, childList: true, subtree: true,
                                             characterData: true });
}"""


def _slow_line(page, bytes_per_s: int) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": bytes_per_s,
        "uploadThroughput": bytes_per_s})


def _seen(page) -> list[dict]:
    return page.evaluate("() => window.progressSeen")


def test_a_csv_export_shows_preparing_then_the_bytes_received_then_done(desk, live_server):
    log_in(desk, live_server.url, "overdue", *MANAGER)
    desk.locator("#overdue-table table").wait_for()
    as_of = desk.input_value("#o-as-of")
    api = Api(live_server.url, *MANAGER)
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/stats/overdue?format=csv&as_of={as_of}",
        headers={"Authorization": f"Bearer {api.token}"})
    with urllib.request.urlopen(request, timeout=60) as resp:
        size = int(resp.headers["Content-Length"])
        assert len(resp.read()) == size
    desk.evaluate(RECORD)
    _slow_line(desk, max(size // 6, 1000))  # some six seconds' worth of chunks
    with desk.expect_download() as download:
        desk.click("#overdue-csv")
    assert len(download.value.path().read_bytes()) == size
    seen = _seen(desk)
    assert seen[0]["label"] == "正在生成文件…" and seen[0]["value"] is None  # server at work
    moving = [s["value"] for s in seen if s["value"] is not None and 0 < s["value"] < 1]
    assert len(moving) >= 2 and moving == sorted(moving), seen
    assert any(s["label"].startswith("正在下载") and s["label"].endswith(f"/ {size / 1024:.1f} KB")
               for s in seen), seen
    assert seen[-1]["value"] == 1 and seen[-1]["label"].startswith("已下载")
    assert not seen[-1]["hidden"]
    assert_accessible(desk, context="overdue with the progress line")
    assert desk.console_errors == []


def test_an_import_shows_the_upload_then_checking_and_stores_nothing_on_a_bad_row(
        desk, live_server, tmp_path):
    rng = random.Random(5)
    rows = [f"{make_uscc(rng, '610402')},进度测试企业{i}有限公司,34.33{i % 100:02d},108.71"
            for i in range(3000)]
    rows.append("91610402MA6XQ5Y0XX,坏行示例有限公司,34.3302,108.7103")
    csv_file = tmp_path / "firms.csv"
    csv_file.write_text("uscc,name,lat,lon\n" + "\n".join(rows) + "\n", encoding="utf-8")
    size = csv_file.stat().st_size
    with live_server.db() as session:
        before = session.scalar(select(func.count()).select_from(Firm))
        city = session.scalar(select(OrgUnit.id).where(OrgUnit.code == "610400"))
    log_in(desk, live_server.url, "registry", *MANAGER)
    desk.locator("#import-unit option").nth(1).wait_for(state="attached")
    desk.evaluate(RECORD)
    desk.set_input_files("#import-file", str(csv_file))
    desk.select_option("#import-unit", str(city))
    _slow_line(desk, size // 5)
    desk.click("#import-form button[type=submit]")
    desk.locator("#row-errors").wait_for()
    seen = _seen(desk)
    uploading = [s for s in seen if s["label"].startswith("正在上传")]
    assert len(uploading) >= 2, seen
    assert all(0 <= s["value"] < 1 for s in uploading)
    assert [s["value"] for s in uploading] == sorted(s["value"] for s in uploading)
    checking = [i for i, s in enumerate(seen) if s["label"] == "已上传，正在逐行检查…"]
    assert checking and seen[checking[0]]["value"] is None
    assert seen.index(uploading[-1]) < checking[0]
    assert seen[-1]["hidden"]  # the answer came: the line goes, the result is shown
    assert "未保存任何数据" in desk.locator("#import-status").inner_text()
    with live_server.db() as session:
        assert session.scalar(select(func.count()).select_from(Firm)) == before
    assert desk.console_errors == []
