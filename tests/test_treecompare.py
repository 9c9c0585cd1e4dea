"""The tool that compares checkouts (bytes and CPU), on this checkout and tiny runs."""

from pathlib import Path

import pytest

from experiments import treecompare

ROOT = Path(__file__).resolve().parent.parent
TINY = (("small", 3, 1),)


def test_hashes_cover_every_file_but_the_manifest_and_follow_the_seed():
    lines = treecompare.output_hashes(ROOT, TINY)
    files = [line.split()[1] for line in lines]
    assert "manifest.json" not in files and {"config.yaml", "summary.json", "timeseries.parquet"} <= set(files)
    assert treecompare.output_hashes(ROOT, TINY) == lines  # the same run, the same bytes (timings left out)
    other = treecompare.output_hashes(ROOT, (("small", 3, 2),))
    summary = [a != b for a, b in zip(lines, other, strict=True) if a.split()[1] == "summary.json"]
    assert summary == [True]


def test_cpu_alternates_trees_in_fresh_processes(capsys):
    assert treecompare.main(["cpu", str(ROOT), "--repeats", "1", "--steps", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{ROOT}: run ") and "ratio " in out and "medians of 1" in out


def test_cpu_refuses_what_is_not_a_checkout(tmp_path):
    with pytest.raises(SystemExit, match="not a checkout"):
        treecompare.main(["cpu", str(tmp_path)])


def test_cpu_warm_weeks_time_a_run_before_the_measured_one():
    """--warm-weeks: a short run goes first in the process and its CPU is reported apart."""
    warmed = treecompare.cpu_once(ROOT, 0, steps=2, warm=2)
    cold = treecompare.cpu_once(ROOT, 0, steps=2)
    assert warmed["warm"] > 0 and cold["warm"] == 0
    assert warmed["sahel"] < warmed["warm"]  # the first run pays the process's loads, the second does not
