"""End to end in a real headless Chromium (Debian's package, driven by Playwright).

One server (``python -m simviz`` on a free localhost port, front-end files from the npm
registry, Solara's CDN pointed at a closed port so nothing can come from the internet), one
browser. The scenario page is stepped (the median time from a click on Step to the new week
label is measured and written to ``test-artifacts/browser/step_times.json``), its map and a
chart must change, Play/Pause and a policy change with Reset behave, a second tab keeps its own
model, and the sweep page shows a small sweep's figures and a bad directory's message.
Screenshots go to ``test-artifacts/browser/``.

Without ``/usr/bin/chromium`` the test is skipped, unless ``SAHEL_REQUIRE_BROWSER=1`` (CI), where
it fails instead.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
REQUIRED = os.environ.get("SAHEL_REQUIRE_BROWSER") == "1"
STEPS = 10


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"SAHEL_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def playwright_api():
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is absent (Debian: apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    return sync_playwright


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    """A small sweep made by the command line, as a user would: 2 policies x 2 seeds, 20 weeks."""
    root = tmp_path_factory.mktemp("browser_sweep")
    args = ["-m", "scenario=small", "steps=20", "seeds=2", "policy=none,border_control", f"hydra.sweep.dir={root}"]
    proc = subprocess.run(
        [sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=root, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return root


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(playwright_api, sweep_dir, tmp_path_factory):
    """``python -m simviz`` on a free port; yields (base url, log path)."""
    from simviz import assets

    try:
        assets.ensure(quiet=True)
    except assets.AssetError as exc:
        pytest.fail(f"front-end files missing and not installable: {exc}")
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = {
        **os.environ,
        "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/",  # closed: any file not in the cache fails loudly
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        "PYTHONUNBUFFERED": "1",
    }
    cmd = [sys.executable, "-m", "simviz", "--port", str(port), "--no-assets"]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=sweep_dir, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert proc.poll() is None, f"server exited: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"server did not answer: {log.read_text()[-2000:]}"
            time.sleep(0.3)
        yield url, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser(playwright_api):
    with playwright_api() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def new_page(browser, base_url: str, outside: list[str]):
    """A new tab in a fresh context (its own cookies: its own Solara session)."""
    context = browser.new_context(viewport={"width": 1600, "height": 1500})
    prefix = base_url + "/"

    def route(r):
        if r.request.url.startswith(prefix) or r.request.url == base_url:
            return r.continue_()
        outside.append(r.request.url)
        return r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.set_default_timeout(60_000)
    return page


def week_of(page) -> int:
    text = page.inner_text(".sahel-week")
    assert text.startswith("Week "), text
    return int(text.split()[1])


def updates(page, selector: str) -> int:
    return int(page.get_attribute(f"{selector} .sahel-vega", "data-updates") or 0)


def shot(page, name: str, selector: str | None = None) -> bytes:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = page.locator(selector) if selector else page
    return target.screenshot(path=str(ARTIFACTS / name))


def wait_week(page, week: int) -> None:
    page.wait_for_function(
        "w => document.querySelector('.sahel-week').innerText.startsWith('Week ' + w + ' ')", arg=week
    )


def test_scenario_and_sweep_pages_in_chromium(browser, server, sweep_dir):
    base, log = server
    outside: list[str] = []
    page = new_page(browser, base, outside)

    # --- load: the map and the controls of the default scenario
    page.goto(base + "/")
    page.wait_for_selector(".sahel-step")
    page.wait_for_selector(".sahel-map svg .mark-shape path")  # country outlines drawn
    assert page.inner_text(".sahel-week").startswith("Week 0 of 520")
    assert "MALI" in page.inner_text(".sahel-map")
    shot(page, "01_scenario_week0.png")
    map_before = shot(page, "01_map_week0.png", ".sahel-map")

    # --- Step: time from click to the new week label, with the map and charts drawing
    times = []
    for week in range(1, STEPS + 1):
        started = time.perf_counter()
        page.click(".sahel-step")
        wait_week(page, week)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "step_times.json").write_text(
        json.dumps({"scenario": "default", "steps": STEPS, "seconds": times, "median": median}, indent=1) + "\n"
    )
    print(f"\nmedian time from Step to the week label: {median * 1000:.0f} ms over {STEPS} steps")
    page.wait_for_function(
        "() => Number(document.querySelector('.sahel-chart-flows .sahel-vega')?.dataset.updates) >= 10"
    )
    page.wait_for_selector(".sahel-chart-flows svg .mark-area path")
    assert page.inner_text(".sahel-week").startswith(f"Week {STEPS} of 520")
    assert updates(page, ".sahel-map") >= STEPS, "the map took each week's data"
    time.sleep(0.5)
    map_after = shot(page, "02_map_week10.png", ".sahel-map")
    assert map_after != map_before, "the map looks the same after ten weeks"
    chart_path = page.get_attribute(".sahel-chart-flows svg .mark-area path", "d")
    page.click(".sahel-step")
    wait_week(page, STEPS + 1)
    page.wait_for_function(
        "d => document.querySelector('.sahel-chart-flows svg .mark-area path').getAttribute('d') !== d", arg=chart_path
    )
    shot(page, "03_scenario_week11.png")
    assert median < 5.0, f"stepping is not responsive: median {median:.2f} s"

    # --- Play and Pause
    page.click(".sahel-play")
    page.wait_for_function("() => parseInt(document.querySelector('.sahel-week').innerText.split(' ')[1]) >= 14")
    page.click(".sahel-play")  # now Pause
    page.wait_for_selector(".sahel-step:not([disabled])")
    paused = week_of(page)
    time.sleep(1.0)
    assert week_of(page) == paused, "weeks went on after Pause"

    # --- a second tab has its own model
    other = new_page(browser, base, outside)
    other.goto(base + "/")
    other.wait_for_selector(".sahel-map svg .mark-shape path")
    assert week_of(other) == 0
    other.click(".sahel-step")
    wait_week(other, 1)
    assert week_of(page) == paused
    other.context.close()

    # --- a policy control, then Reset: week 0, the policy in the run
    page.click(".sahel-policy-border_control label")
    page.wait_for_selector(".sahel-pending")
    assert week_of(page) == paused  # nothing happens before Reset
    page.click(".sahel-reset")
    wait_week(page, 0)
    page.wait_for_function("() => !document.querySelector('.sahel-pending')")
    assert "border control (intensity 1, from week 1)" in page.inner_text(".sahel-run-info")
    page.click(".sahel-step")
    wait_week(page, 1)
    shot(page, "04_scenario_border_control.png")

    # --- the sweep page: a small sweep's figures, and a bad directory's message
    page.goto(f"{base}/sweep?dir={sweep_dir}")
    page.wait_for_selector(".sahel-figure-effects img", timeout=90_000)
    page.wait_for_selector(".sahel-figure-flow img")
    page.wait_for_selector(".sahel-figure-series img")
    assert "4 completed, 0 failed" in page.inner_text(".sahel-sweep-summary")
    page.set_viewport_size({"width": 1600, "height": 2300})  # the whole page: it scrolls inside
    time.sleep(0.5)
    shot(page, "05_sweep.png")
    page.goto(f"{base}/sweep?dir={sweep_dir}/no-such-sweep")
    page.wait_for_selector(".sahel-sweep-error")
    message = page.inner_text(".sahel-sweep-error")
    assert "no such directory" in message and "Traceback" not in page.inner_text("body")
    shot(page, "06_sweep_bad_dir.png")
    page.context.close()

    server_log = log.read_text()
    assert "Could not load URL" not in server_log, "a front-end file was not in the offline cache"
    assert "Traceback" not in server_log, server_log[-3000:]
    assert not outside, f"the page asked for files outside the server: {outside[:5]}"
