"""A sweep's overall progress on one terminal line, and its closing summary with the next command."""

from __future__ import annotations

import os
import select
import subprocess
import sys

from conftest import ROOT
from simcli.progress import QUIET_ENV, clock, count_runs, line


def test_line_says_runs_done_of_total_failures_and_eta():
    text = line(done=7, failed=1, total=30, started_with=2, elapsed=50.0)
    # 5 new runs in 50 s: 10 s each, 22 left -> 220 s.
    assert text == "sweep: 7 of 30 runs done (23%), 1 failed, 50s, ETA 3m40s"
    assert "ETA" not in line(done=30, failed=0, total=30, started_with=0, elapsed=9.0)
    assert line(done=3, failed=0, total=None, started_with=0, elapsed=1.0) == "sweep: 3 runs done, 0 failed, 1s"
    assert clock(3725) == "1h02m"


def test_count_runs_reads_summaries_and_errors(tmp_path):
    for key, name in (("a", "summary.json"), ("b", "error.txt"), ("c", None)):
        (tmp_path / key).mkdir()
        if name:
            (tmp_path / key / name).write_text("x")
    assert count_runs(tmp_path) == (1, 1)
    assert count_runs(tmp_path / "missing") == (0, 0)


def test_a_sweep_on_a_terminal_draws_one_line_and_ends_with_the_next_command(tmp_path):
    """A pseudo-terminal on stderr, as in a shell: one redrawn line, no per-run lines, then the summary."""
    master, slave = os.openpty()
    sweep = tmp_path / "sweep"
    args = ["-m", "scenario=small", "steps=3", "scenario.burn_in_weeks=0", "seed=1,2", f"hydra.sweep.dir={sweep}"]
    env = {k: v for k, v in os.environ.items() if k != QUIET_ENV}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=slave, text=True, env=env
    )
    os.close(slave)
    err = b""
    while True:
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the terminal closed: the command ended
                break
            if not chunk:
                break
            err += chunk
        elif proc.poll() is not None:
            break
    out, _ = proc.communicate(timeout=120)
    os.close(master)
    assert proc.returncode == 0, err.decode(errors="replace")
    text = err.decode(errors="replace")
    assert "sweep: 2 of 2 runs done (100%), 0 failed" in text
    assert "\r\x1b[K" in text  # redrawn in place
    assert "done in" not in text  # the workers' per-run lines stay off the terminal
    assert f"2 runs done (2 new, 0 already done), 0 failed -> {sweep}" in out
    assert f"next: python -m experiments.report {sweep}" in out
