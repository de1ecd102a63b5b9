"""Helpers for browser tests: screenshots, the axe-core accessibility check, and how pages
show an issue deadline."""

import json
import os
from datetime import datetime, timedelta
from pathlib import Path

from fieldapp.clock import LOCAL_TZ
from fieldapp.web.vendor import VENDOR_DIR, static_path

SCREENSHOTS = Path(os.environ.get("FIELDAPP_SCREENSHOT_DIR",
                                  Path(__file__).resolve().parent / "screenshots"))


def shown_deadline(api_value: str) -> str:
    """What a page must show for an issue deadline the API sends: one at local midnight is the
    end of the day before ("2026/12/04 24:00 前"), any other the moment ("2026/12/05 15:30")."""
    local = datetime.fromisoformat(api_value).astimezone(LOCAL_TZ)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        return f"{local - timedelta(days=1):%Y/%m/%d} 24:00 前"
    return f"{local:%Y/%m/%d %H:%M}"


def shot(page, name: str) -> Path:
    """Save a full-page screenshot as ``<name>.png``; returns its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


_AXE = None


def assert_accessible(page, *, context: str = "") -> None:
    """axe-core on the page as it is now: no serious or critical violation."""
    global _AXE
    if _AXE is None:
        _AXE = (VENDOR_DIR.parent / static_path("axe-core") / "axe.min.js").read_text()
    # Evaluated through the DevTools protocol, so the page's CSP does not block it.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_AXE)
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ["violations"]});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}));
    }""")
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    assert not bad, f"accessibility violations {context}:\n" + json.dumps(bad, indent=1,
                                                                          ensure_ascii=False)
