"""End to end in a real headless Chromium (Debian's package, driven by Playwright).

One server for all the tests (``python -m simviz`` on a free localhost port, front-end files
from the npm registry, Solara's CDN pointed at a closed port so nothing can come from the
internet), one browser. The tests: Step (latency written to
``test-artifacts/browser/step_times.json``), map and charts follow, sliders show their values,
a click on a place shows its story, the week scrubber, CSV and PNG export; ten Resets with the
charts intact after each; three tabs playing at once (at most 10 weeks a second) for half a minute
beside a process that keeps a core busy, without an error, each paused; screenshots at 1366x768
and 1920x1080 without clipping; the sweep page; the map's zoom, pan and region borders; a package
of a policy search's front opened from the sweep page, run to its end with the saved run's totals.
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
PLAY_SECONDS = 30  # long enough for both checks to see the weeks advance; halved from 60 for CI time


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


@pytest.fixture(scope="module")
def search_dir(tmp_path_factory):
    """A tiny policy search made by the command line: border control's levers and targets, two packages, 4 weeks."""
    root = tmp_path_factory.mktemp("browser_search")
    args = ["--policies", "border_control", "--generations", "1", "--population", "2"]
    args += ["--scenarios", "1", "--seeds", "1", "--steps", "4"]
    proc = subprocess.run(
        [sys.executable, "-m", "experiments.search", str(root / "search"), *args],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return root / "search"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(playwright_api, sweep_dir, search_dir, tmp_path_factory):
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
    # The sweep page opens only sweeps under its roots (simviz/guard.py): the test's sweep is one.
    cmd = [sys.executable, "-m", "simviz", "--port", str(port), "--no-assets", "--root", str(sweep_dir)]
    cmd += ["--root", str(search_dir)]
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


def new_page(browser, base_url: str, outside: list[str], width: int = 1600, height: int = 1200):
    """A new tab in a fresh context (its own cookies: its own Solara session)."""
    context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
    prefix = base_url + "/"

    def route(r):
        if r.request.url.startswith(prefix) or r.request.url == base_url:
            return r.continue_()
        outside.append(r.request.url)
        return r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.console = []  # console errors and warnings of the page (Vega's "Infinite extent", say)
    page.on("console", lambda m: page.console.append(m.text) if m.type in ("error", "warning") else None)
    return page


def open_scenario(page, base: str, query: str = "") -> None:
    page.goto(base + "/" + query)
    page.wait_for_selector(".sahel-step")
    page.wait_for_selector(".sahel-map svg .mark-shape path")  # country outlines drawn


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


def wait_charts_drawn(page) -> None:
    """Every chart has drawn marks for the weeks run (not its 'no week yet' note)."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('.sahel-chart .sahel-vega')].length === 6 && "
        "[...document.querySelectorAll('.sahel-chart .sahel-vega')].every("
        "  el => el.dataset.empty === 'false' && el.querySelector('svg .mark-line path, svg .mark-area path'))"
    )


def no_error_on(page) -> None:
    # textContent needs no layout: cheap on a page that is busy drawing
    body = page.evaluate("() => document.body.textContent")
    assert "Too many renders" not in body and "Traceback" not in body, body[:2000]
    assert page.locator(".sahel-error").count() == 0, page.inner_text(".sahel-error")


def page_problems(page) -> list[str]:
    return [m for m in page.console if "Infinite extent" in m or "sahel-vega" in m]


def test_scenario_page_step_sliders_detail_and_export(browser, server):
    base, _log = server
    outside: list[str] = []
    page = new_page(browser, base, outside)
    open_scenario(page, base)
    assert page.inner_text(".sahel-week").startswith("Week 0 of 520")
    assert "MALI" in page.inner_text(".sahel-map")
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
    print(f"\nStep to week label: median {median * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")
    wait_charts_drawn(page)
    page.wait_for_function(
        "() => Number(document.querySelector('.sahel-chart-flows .sahel-vega')?.dataset.updates) >= 5"
    )
    assert updates(page, ".sahel-map") >= STEPS, "the map took each week's data"
    time.sleep(0.5)
    assert shot(page, "02_map_week10.png", ".sahel-map") != map_before, "the map looks the same after ten weeks"
    assert median < 5.0, f"stepping is not responsive: median {median:.2f} s"

    # --- the week scrubber: the map of an earlier week
    scrubber = page.locator(".sahel-scrubber .v-slider").first
    box = scrubber.bounding_box()
    page.mouse.click(box["x"] + 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => document.querySelector('.sahel-map-title').innerText.includes('scrubbed back')")
    assert page.inner_text(".sahel-map-title").startswith("Week 1 ("), page.inner_text(".sahel-map-title")

    # --- every slider shows its value (a policy on shows its intensity and start week)
    page.click(".sahel-policy-border_control label")
    page.wait_for_selector(".sahel-pending")
    page.wait_for_function("() => document.querySelectorAll('.sahel-slider').length >= 3")
    labels = page.locator(".sahel-slider label").all_inner_texts()
    assert len(labels) >= 3, labels
    for text in labels:
        assert any(ch.isdigit() for ch in text) or "as fast as it runs" in text, f"slider without its value: {text}"
    assert any(t.startswith("intensity: 1.0") for t in labels), labels
    assert any(t.startswith("start week: 1 (") for t in labels), labels

    # --- a bad seed says why and is not used
    page.fill(".sahel-seed input", "-5")
    page.wait_for_selector(".sahel-seed-error")
    assert "non-negative integer" in page.inner_text(".sahel-seed-error")
    page.fill(".sahel-seed input", "3")
    page.wait_for_function("() => !document.querySelector('.sahel-seed-error')")
    page.click(".sahel-policy-border_control label")  # back off; the seed 3 stays pending

    # --- click a place on the map: its story over the weeks run
    place = page.locator('.sahel-map svg .mark-symbol path[aria-label*="; place: Gao;"]').first
    place.click(force=True)
    page.wait_for_selector(".sahel-detail-place")
    detail = page.inner_text(".sahel-detail")
    assert detail.startswith("Gao (") and "State presence" in detail and "Held by" in detail, detail

    # --- export: the weekly table as CSV, a chart as PNG
    with page.expect_download() as download:
        page.click(".sahel-csv button, .sahel-csv .v-btn")
    csv = Path(download.value.path()).read_text()
    header, *rows = csv.strip().splitlines()
    assert header.startswith("week,date,") and "fatalities" in header and "value." in header, header[:200]
    assert len(rows) == STEPS and rows[-1].startswith(f"{STEPS},"), rows[-1][:80]
    with page.expect_download() as download:
        page.click(".sahel-chart-fatalities .sahel-export-png")
    png = Path(download.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width > 400 and height > 200, (width, height)
    (ARTIFACTS / "export_fatalities.png").write_bytes(png)
    assert "python -m sim scenario=default seed=0" in page.inner_text(".sahel-command")
    no_error_on(page)
    assert not page_problems(page), page_problems(page)
    page.context.close()
    assert not outside, f"the page asked for files outside the server: {outside[:5]}"


def test_ten_resets_keep_the_charts(browser, server):
    base, _log = server
    page = new_page(browser, base, [])
    open_scenario(page, base, "?scenario=small&seed=2")
    assert page.inner_text(".sahel-week").startswith("Week 0 of 104")
    for i in range(10):
        page.click(".sahel-step")
        wait_week(page, 1)
        wait_charts_drawn(page)
        page.click(".sahel-reset")
        wait_week(page, 0)
        # week 0: each chart shows its note, never a broken frame or a page millions of pixels tall
        page.wait_for_function(
            "() => [...document.querySelectorAll('.sahel-chart .sahel-vega')].every(el => el.dataset.empty === 'true')"
        )
        assert page.locator(".sahel-chart").count() == 6
        height = page.evaluate("() => document.querySelector('.sahel-main').scrollHeight")
        assert height < 5000, f"reset {i + 1}: the main panel is {height} px tall"
        assert not page_problems(page), f"reset {i + 1}: {page_problems(page)}"
    page.click(".sahel-step")
    wait_week(page, 1)
    wait_charts_drawn(page)
    no_error_on(page)
    page.context.close()


def test_screenshots_show_map_and_charts_unclipped(browser, server):
    base, _log = server
    page = new_page(browser, base, [], 1366, 768)
    open_scenario(page, base)
    for week in (1, 2):
        page.click(".sahel-step")
        wait_week(page, week)
    wait_charts_drawn(page)
    for width, height in ((1366, 768), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_function(
            "w => { const s = document.querySelector('.sahel-map svg'); const p = s.closest('.sahel-map');"
            " return s && Math.abs(p.getBoundingClientRect().width - w) >= 0; }",
            arg=width,
        )
        time.sleep(1.5)  # the map and charts refit to their boxes after a resize
        main = page.evaluate("() => document.querySelector('.sahel-main').getBoundingClientRect().right")
        for selector in [".sahel-map", *[f".sahel-chart-{c}" for c in ("flows", "fatalities", "force_protection")]]:
            svg, box = page.evaluate(
                "s => [document.querySelector(s + ' svg').getBoundingClientRect().right,"
                " document.querySelector(s).parentElement.getBoundingClientRect().right]",
                selector,
            )
            assert svg <= min(main, width) + 1, f"{selector} clipped at {width}px: {svg} > {main}"
            assert svg <= box + 2, f"{selector} wider than its box at {width}px: {svg} > {box}"
        map_width = page.evaluate("() => document.querySelector('.sahel-map svg').getBoundingClientRect().width")
        assert map_width > 0.45 * (width - 300), f"the map does not use the window: {map_width} px at {width}"
        shot(page, f"scenario_{width}x{height}.png")
        page.evaluate("() => document.querySelector('.sahel-charts').scrollIntoView()")
        time.sleep(0.3)
        shot(page, f"scenario_{width}x{height}_charts.png")
        page.evaluate("() => document.querySelector('.sahel-main').scrollIntoView()")
    no_error_on(page)
    page.context.close()


def test_three_tabs_play_half_a_minute_on_a_busy_machine(browser, server):
    base, log = server
    pages = []
    busy = None
    try:
        opened = time.monotonic()
        for _ in range(3):  # opened together: 625 weeks of history, half a minute never reaches the end
            page = new_page(browser, base, [], 1366, 768)
            page.goto(base + "/?scenario=history", wait_until="commit")
            pages.append(page)
        for page in pages:
            page.wait_for_selector(".sahel-map svg .mark-shape path")
        print(f"\nthree tabs open after {time.monotonic() - opened:.0f} s")
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])  # one core kept busy while they play
        for page in pages:
            # 10 weeks a second at most: a fast machine must not reach week 625 within the half minute
            track = page.locator(".sahel-speed .v-slider__track-container").bounding_box()
            page.mouse.click(track["x"] + track["width"] * 3 / 5, track["y"] + track["height"] / 2)
            page.wait_for_function(
                "() => /Play speed: (5|10) weeks\\/s/.test(document.querySelector('.sahel-speed').textContent)"
            )
            page.click(".sahel-play")
        started = time.monotonic()
        weeks_seen = [[] for _ in pages]
        for at in (PLAY_SECONDS / 2, PLAY_SECONDS):  # checks are slow on busy pages: two of them
            time.sleep(max(0.0, at - (time.monotonic() - started)))
            for page, seen in zip(pages, weeks_seen, strict=True):
                no_error_on(page)
                seen.append(week_of(page))
        for page in pages:
            page.click(".sahel-play", force=True)  # Pause (the page keeps redrawing: no wait for it to settle)
        for page in pages:
            page.wait_for_selector(".sahel-step:not([disabled])")
        time.sleep(0.5)  # the last view on its way to the page
        paused = [week_of(p) for p in pages]
        print(f"paused {time.monotonic() - started:.0f} s after Play")
        time.sleep(1.5)
        assert [week_of(p) for p in pages] == paused, "weeks went on after Pause"
        print(f"\nthree tabs, {PLAY_SECONDS} s of Play beside a busy core: weeks {paused}")
        for page, seen in zip(pages, weeks_seen, strict=True):
            assert seen[-1] > seen[0] >= 0 and paused[pages.index(page)] >= 10, seen
            no_error_on(page)
            assert not page_problems(page), page_problems(page)
        shot(pages[0], "07_three_tabs_paused.png")
    finally:
        if busy is not None:
            busy.terminate()
            busy.wait()
        for page in pages:
            page.context.close()
    server_log = log.read_text()
    assert "Too many renders" not in server_log
    assert "Traceback" not in server_log, server_log[-3000:]


def test_sweep_page(browser, server, sweep_dir):
    base, log = server
    outside: list[str] = []
    page = new_page(browser, base, outside)
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
    page.context.close()
    server_log = log.read_text()
    assert "Could not load URL" not in server_log, "a front-end file was not in the offline cache"
    assert "Traceback" not in server_log, server_log[-3000:]
    assert not outside, f"the page asked for files outside the server: {outside[:5]}"


def _place(page, name: str) -> tuple[float, float]:
    box = page.locator(f'.sahel-map svg .mark-symbol path[aria-label*="; place: {name};"]').first.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _settled(page, name: str) -> tuple[float, float]:
    """A place's position once the map stopped moving."""
    last = None
    for _ in range(40):
        time.sleep(0.15)
        now = _place(page, name)
        if now == last:
            return now
        last = now
    return last


def test_map_zooms_pans_and_shows_region_borders(browser, server):
    base, _log = server
    page = new_page(browser, base, [])
    open_scenario(page, base, "?scenario=small")
    # Mali's regions: Natural Earth's admin-1 lines, drawn dashed under the routes
    assert page.locator('.sahel-map svg .mark-shape path[aria-label*="between Mali"]').count() == 1
    bamako, gao = _settled(page, "Bamako"), _settled(page, "Gao")
    spread = gao[0] - bamako[0]
    assert spread > 50, (bamako, gao)

    # the wheel zooms about the pointer: Bamako stays under it, Gao moves away
    page.mouse.move(*bamako)
    for _ in range(4):
        page.mouse.wheel(0, -120)
        time.sleep(0.1)
    zoomed_bamako, zoomed_gao = _settled(page, "Bamako"), _settled(page, "Gao")
    ratio = (zoomed_gao[0] - zoomed_bamako[0]) / spread
    assert 1.8 < ratio < 3.2, ratio  # four steps of 1.0016**120 = 1.21: 2.15
    assert abs(zoomed_bamako[0] - bamako[0]) < 4 and abs(zoomed_bamako[1] - bamako[1]) < 4

    # a drag pans by as much as the pointer moved
    start = (zoomed_bamako[0] + 30, zoomed_bamako[1] + 20)
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0] + 80, start[1] + 40, steps=6)
    page.mouse.up()
    panned = _settled(page, "Bamako")
    assert abs(panned[0] - zoomed_bamako[0] - 80) < 3 and abs(panned[1] - zoomed_bamako[1] - 40) < 3, panned
    shot(page, "map_zoomed.png", ".sahel-map")

    # the buttons zoom too, and "whole map" comes back to where it started
    page.click(".sahel-map .sahel-zoom-in")
    _settled(page, "Bamako")
    page.click(".sahel-map .sahel-zoom-reset")
    back = _settled(page, "Bamako")
    assert abs(back[0] - bamako[0]) < 1.5 and abs(back[1] - bamako[1]) < 1.5, (back, bamako)
    # the map keeps its zoom while weeks go by (a swap of data, not a new view)
    page.mouse.move(*back)
    page.mouse.wheel(0, -240)
    zoomed = _settled(page, "Gao")
    page.click(".sahel-step")
    wait_week(page, 1)
    assert abs(_settled(page, "Gao")[0] - zoomed[0]) < 1.5
    no_error_on(page)
    page.context.close()


def test_a_front_package_opens_in_the_scenario_page(browser, server, search_dir):
    from simviz.package import open_run, saved_summary
    from simviz.scenario_page import intensity_text

    base, log = server
    outside: list[str] = []
    page = new_page(browser, base, outside)
    page.goto(f"{base}/sweep?dir={search_dir}")
    link = page.locator(".sahel-front-links .sahel-open-package").first
    link.wait_for(timeout=90_000)
    front = json.loads((search_dir / "front.json").read_text())
    assert page.locator(".sahel-front-links .sahel-open-package").count() == len(front["front"])
    package, run = int(link.get_attribute("data-package")), int(link.get_attribute("data-run"))
    link.click()
    page.wait_for_selector(".sahel-package-title")
    page.wait_for_selector(".sahel-step")
    opened = open_run(search_dir, package, run)
    entry = front["front"][package]
    assert entry["describe"] in page.inner_text(".sahel-package-title")

    # the controls hold the package's levers, the rest is listed beside them and in the command
    for name, levers in entry["package"].items():
        box = page.locator(f".sahel-policy-{name} input[type=checkbox]")
        assert box.is_checked(), name
        labels = page.locator(f".sahel-policy-{name} .sahel-slider label").all_inner_texts()
        assert f"intensity: {intensity_text(levers['intensity'])}" in labels, labels
        assert any(t.startswith(f"start week: {levers['start']} (") for t in labels), labels
    extra = page.locator(".sahel-package-extra li").all_inner_texts()
    assert extra == list(opened.settings.extra) and "steps=4" in extra, extra
    command = page.inner_text(".sahel-command")
    assert all(e.replace("'", "") in command.replace("'", "") for e in extra), command
    assert page.locator(".sahel-pending").count() == 0, "opening a package left settings pending"
    assert page.inner_text(".sahel-week").startswith("Week 0 of 4 ")

    # run it to its end like any scenario: the totals are the saved run's
    for week in range(1, 5):
        page.click(".sahel-step")
        wait_week(page, week)
    page.wait_for_selector(".sahel-package-all")
    saved = saved_summary(opened.run_dir)
    verdicts = page.locator(".sahel-package-verdict").all_inner_texts()
    assert verdicts and set(verdicts) == {"identical"}, verdicts
    shown = page.locator(".sahel-package-page").all_inner_texts()
    stored = page.locator(".sahel-package-saved").all_inner_texts()
    assert shown == stored and stored == [f"{saved[n]:,.6g}" for n in front["objectives"]], (shown, stored)
    counts = page.inner_text(".sahel-package-all").split()
    assert counts[0] == counts[2] and int(counts[0]) > 100, counts
    shot(page, "package_opened.png")
    no_error_on(page)
    page.context.close()
    assert "Traceback" not in log.read_text()
    assert not outside, outside[:5]
