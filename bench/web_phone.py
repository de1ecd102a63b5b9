"""The phone app's first load on slow 3G and the time from "submit" to the stored verdict.

Serves fieldapp (SpatiaLite in a temp file, migrated, demo data) on a free port in this process
(werkzeug, threaded), and drives Debian's chromium with Playwright:

1. First load of /app/ by a logged-in commissioner with an empty cache and no service worker,
   the network throttled through the DevTools protocol to Chrome's "Slow 3G" preset (400 kbit/s
   down and up, 2 s round trip): bytes on the wire (as served: fieldapp does not compress;
   the gzip figure is what a compressing proxy in front would send) and the time from the
   navigation to the list of firms on screen.
2. On loopback, unthrottled: the time from tapping "提交走访" to the stored verdict on screen
   (outbox write in IndexedDB, POST /visits, the result screen), median and worst of N.

Run: .venv/bin/python bench/web_phone.py [--visits N] [--profile slow3g|fast3g]
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright
from sqlalchemy import create_engine
from werkzeug.serving import make_server

from fieldapp import create_app, migrate
from fieldapp.demo import load_demo
from fieldapp.extensions import db
from models.database import engine_options, prepare_engine

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-dev-shm-usage"]
# Chrome DevTools' presets (bytes/s, ms).
PROFILES = {
    "slow3g": {"download": 500 * 1000 / 8 * 0.8, "upload": 500 * 1000 / 8 * 0.8,
               "latency": 400 * 5},
    "fast3g": {"download": 1.6 * 1000 * 1000 / 8 * 0.9, "upload": 750 * 1000 / 8 * 0.9,
               "latency": 150 * 3.75},
}


def serve(tmp: Path):
    url = f"sqlite:///{tmp / 'bench.db'}"
    engine = create_engine(url, **engine_options(url))
    prepare_engine(engine)
    migrate.upgrade(engine)
    engine.dispose()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 40, "REDIS_URL": "",
                      "PHOTO_DIR": str(tmp / "photos"), "LOG_LEVEL": "WARNING",
                      "LOGIN_FAILURES_PER_ADDRESS": "1000 per minute"})
    with app.app_context():
        load_demo()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def logged_in_context(browser, base, service_workers="block"):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", is_mobile=True,
                                  service_workers=service_workers,
                                  permissions=["geolocation"],
                                  geolocation={"latitude": 34.33, "longitude": 108.71,
                                               "accuracy": 8})
    resp = context.request.post(f"{base}/api/v1/auth/session",
                                data={"username": "commissioner",
                                      "password": "fieldapp-commissioner"},
                                headers={"X-Fieldapp-CSRF": "1", "Origin": base})
    assert resp.ok, resp.text()
    return context


def first_load(browser, base, profile):
    context = logged_in_context(browser, base)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": profile["latency"],
        "downloadThroughput": profile["download"], "uploadThroughput": profile["upload"]})
    wire = {"bytes": 0, "requests": 0}

    def finished(event):
        wire["bytes"] += event["encodedDataLength"]
        wire["requests"] += 1

    cdp.on("Network.loadingFinished", finished)
    bodies = []
    page.on("response", lambda r: bodies.append(r))
    t0 = time.perf_counter()
    page.goto(f"{base}/app/#/firms")
    page.locator("#firm-list .firm-row").first.wait_for(timeout=120_000)
    shown = time.perf_counter() - t0
    page.wait_for_load_state("networkidle")
    plain = gzipped = 0
    names = []
    for response in bodies:
        try:
            body = response.body()
        except Exception:
            continue
        plain += len(body)
        gzipped += len(gzip.compress(body, 6))
        names.append((len(body), response.url.replace(base, "")))
    context.close()
    return shown, wire, plain, gzipped, sorted(names, reverse=True)


def throttle(context, page, profile):
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": profile["latency"],
        "downloadThroughput": profile["download"], "uploadThroughput": profile["upload"]})
    return cdp


def repeat_load(browser, base, profile):
    """Opening the app again: the shell from the service worker, the list from IndexedDB."""
    context = logged_in_context(browser, base, service_workers="allow")
    page = context.new_page()
    page.goto(f"{base}/app/#/firms")
    page.locator("#firm-list .firm-row").first.wait_for()
    for _ in range(100):
        if page.evaluate("() => Boolean(navigator.serviceWorker.controller)"):
            break
        page.wait_for_timeout(100)
    page.close()
    page = context.new_page()
    throttle(context, page, profile)
    t0 = time.perf_counter()
    page.goto(f"{base}/app/#/firms")
    page.locator("#firm-list .firm-row").first.wait_for(timeout=120_000)
    shown = time.perf_counter() - t0
    context.close()
    return shown


def submit_times(browser, base, visits):
    context = logged_in_context(browser, base)
    page = context.new_page()
    page.goto(f"{base}/app/#/firms")
    rows = page.locator("#firm-list .firm-row")
    rows.first.wait_for()
    targets = [r.get_attribute("href").split("/")[-2:] for r in rows.all()]
    times = []
    for i in range(visits):
        kind, target_id = targets[i % len(targets)]
        page.goto(f"{base}/app/#/file/{kind}/{target_id}")
        page.locator("#expected").wait_for()
        t0 = time.perf_counter()
        page.locator("#submit").click()
        page.locator("#verdict-status").wait_for()
        times.append((time.perf_counter() - t0) * 1000)
    context.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=15)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="slow3g")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fieldapp-bench-web-"))
    server, base = serve(tmp)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            shown, wire, plain, gzipped, names = first_load(browser, base,
                                                            PROFILES[args.profile])
            print(f"first load of /app/ on {args.profile}: list shown after {shown:.2f} s")
            print(f"  {wire['requests']} requests, {wire['bytes'] / 1024:.1f} KiB on the wire "
                  f"(uncompressed), {gzipped / 1024:.1f} KiB if gzipped "
                  f"({plain / 1024:.1f} KiB of bodies)")
            for size, url in names[:6]:
                print(f"    {size / 1024:7.1f} KiB  {url}")
            again = repeat_load(browser, base, PROFILES[args.profile])
            print(f"opening the app again on {args.profile} (service worker, cached list): "
                  f"list shown after {again:.2f} s")
            times = submit_times(browser, base, args.visits)
            times.sort()
            print(f"submit → stored verdict on loopback, {len(times)} visits: median "
                  f"{statistics.median(times):.0f} ms, p90 {times[int(len(times) * 0.9) - 1]:.0f}"
                  f" ms, worst {times[-1]:.0f} ms")
            browser.close()
    finally:
        server.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
