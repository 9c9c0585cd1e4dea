"""Measure the scenario page in Debian's Chromium: Step latency and Play speed (not a test).

Usage: ``python tests/measure_browser.py [--repo DIR] [--steps 20] [--play 20] [--busy]``.
Starts ``python -m simviz`` from ``--repo`` (so an older checkout can be measured with the same
script), opens one tab at 1600x1000, clicks Step ``--steps`` times and times each click to the
new week label, then plays for ``--play`` seconds at one week per update and counts the weeks.
``--busy`` keeps one process spinning meanwhile (the load the issue saw). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_browser import CHROMIUM, CHROMIUM_ARGS, _free_port


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--play", type=float, default=20.0)
    parser.add_argument("--busy", action="store_true")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": args.repo,
        "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/",
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "simviz", "--port", str(port), "--no-assets"],
        cwd=args.repo,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if args.busy else None
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(url)
            page.wait_for_selector(".sahel-map svg")
            week = lambda: int(page.inner_text(".sahel-week").split()[1])  # noqa: E731
            times = []
            for w in range(1, args.steps + 1):
                started = time.perf_counter()
                page.click(".sahel-step")
                page.wait_for_function(
                    "w => document.querySelector('.sahel-week').innerText.startsWith('Week ' + w + ' ')", arg=w
                )
                times.append(time.perf_counter() - started)
            first = week()
            started = time.perf_counter()
            page.click(".sahel-play")
            time.sleep(args.play)
            last = week()
            elapsed = time.perf_counter() - started
            page.click(".sahel-play")
            errors = page.locator("text=Too many renders").count()
            browser.close()
        print(
            json.dumps(
                {
                    "repo": args.repo,
                    "busy": args.busy,
                    "step_median_s": round(statistics.median(times), 3),
                    "step_max_s": round(max(times), 3),
                    "play_weeks_per_s": round((last - first) / elapsed, 2),
                    "render_storm_errors": errors,
                }
            )
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
        if busy is not None:
            busy.terminate()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
