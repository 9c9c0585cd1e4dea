"""The benchmark script runs (quick mode); it asserts nothing about times."""

from __future__ import annotations

from experiments import bench


def test_quick_benchmark_reports_a_ratio(capsys):
    assert bench.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "ratio" in out and "BoltzmannWealth" in out
