"""A sweep's overall progress on one line, and a closing summary with the next command.

Hydra runs a sweep's jobs in worker processes (joblib, Ray, SLURM) that know nothing of each
other, so no worker can say how far the sweep is. :class:`SweepProgress`, a Hydra callback in
the launching process, watches the sweep directory instead: each run writes ``summary.json``
when it finishes and ``error.txt`` when it fails (:mod:`sim.sweep`), so counting them gives
runs done of the total, failures and an ETA, redrawn on one terminal line. While it draws,
the workers keep their own per-run bars and lines off the terminal (:data:`QUIET_ENV`). When
the sweep ends it prints one summary and the command that reports on it.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

QUIET_ENV = "SAHEL_SIM_SWEEP_QUIET"  # set while the progress line is drawn: workers print nothing per run
INTERVAL = 0.5  # seconds between redraws


def count_runs(runs_dir: Path) -> tuple[int, int]:
    """(finished, failed) runs under ``runs_dir``: directories with ``summary.json``, with ``error.txt``."""
    done = failed = 0
    try:
        entries = list(os.scandir(runs_dir))
    except OSError:
        return 0, 0
    for entry in entries:
        if not entry.is_dir():
            continue
        if os.path.exists(os.path.join(entry.path, "summary.json")):
            done += 1
        elif os.path.exists(os.path.join(entry.path, "error.txt")):
            failed += 1
    return done, failed


def clock(seconds: float) -> str:
    """A duration as ``1h02m``, ``3m05s`` or ``12s``."""
    s = round(seconds)
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


def line(done: int, failed: int, total: int | None, started_with: int, elapsed: float) -> str:
    """The progress line: runs done of the total, failures, elapsed time and ETA."""
    new = done - started_with
    of = f" of {total}" if total else ""
    pct = f" ({100 * done / total:.0f}%)" if total else ""
    text = f"sweep: {done}{of} runs done{pct}, {failed} failed, {clock(elapsed)}"
    if total and new > 0 and done < total:
        eta = elapsed / new * (total - done - failed)
        text += f", ETA {clock(max(eta, 0.0))}"
    return text


def planned_runs(config: DictConfig) -> int | None:
    """Runs the sweep will make: its jobs (the sweeper's product of values) times the seeds per job."""
    from experiments.aggregate import planned_jobs

    data = OmegaConf.to_container(config, resolve=False)
    jobs, swept = planned_jobs(data)
    if jobs is None or "seeds" in swept:
        return None
    return jobs * int(config.get("seeds", 1) or 1)


class SweepProgress(Callback):
    """Hydra callback: one progress line for the whole sweep while it runs, a summary when it ends."""

    def __init__(self) -> None:
        self._stop: threading.Event | None = None
        self._thread: threading.Thread | None = None
        self._root: Path | None = None
        self._total: int | None = None
        self._started = 0.0
        self._before = 0
        self._draw = False

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Count what is already done, then redraw the line until the sweep ends."""
        self._root = Path(config.hydra.sweep.dir)
        try:
            self._total = planned_runs(config)
        except Exception:  # an unusual sweeper: progress without a total
            self._total = None
        self._before = count_runs(self._root / "runs")[0]
        self._started = time.monotonic()
        self._draw = sys.stderr.isatty()
        if self._draw:
            os.environ[QUIET_ENV] = "1"
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._loop, name="sweep-progress", daemon=True)
            self._thread.start()

    def __getstate__(self) -> dict:
        """Launchers pickle the callbacks to send them to their workers: the drawing thread stays here."""
        return {**self.__dict__, "_stop": None, "_thread": None}

    def _loop(self) -> None:
        while not self._stop.wait(INTERVAL):
            self._redraw()

    def _redraw(self) -> None:
        done, failed = count_runs(self._root / "runs")
        text = line(done, failed, self._total, self._before, time.monotonic() - self._started)
        sys.stderr.write("\r\033[K" + text)
        sys.stderr.flush()

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Stop the line and print the sweep's summary with the command that reports on it."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=2)
            self._redraw()
            sys.stderr.write("\n")
            os.environ.pop(QUIET_ENV, None)
        done, failed = count_runs(self._root / "runs")
        elapsed = clock(time.monotonic() - self._started)
        print(
            f"sweep finished in {elapsed}: {done} runs done ({done - self._before} new, {self._before} already done), "
            f"{failed} failed -> {self._root}"
        )
        if failed:
            print(
                "failed runs left error.txt; the same command redoes them. "
                f"Details: python -m experiments.aggregate {self._root}"
            )
        print(f"next: python -m experiments.report {self._root}")
