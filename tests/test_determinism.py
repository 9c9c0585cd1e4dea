"""Same configuration and seed give the same bytes; different seeds differ."""

from __future__ import annotations

import json

from conftest import run_small


def read(d):
    summary = json.loads((d / "summary.json").read_text())
    summary.pop("wall_seconds")
    return (d / "timeseries.parquet").read_bytes(), summary


def test_same_seed_same_bytes(tmp_path):
    run_small(11, outdir=tmp_path / "a")
    run_small(11, outdir=tmp_path / "b")
    assert read(tmp_path / "a") == read(tmp_path / "b")


def test_different_seeds_differ(tmp_path):
    run_small(11, outdir=tmp_path / "a")
    run_small(12, outdir=tmp_path / "b")
    (ts_a, s_a), (ts_b, s_b) = read(tmp_path / "a"), read(tmp_path / "b")
    assert ts_a != ts_b
    assert s_a["delivered_value_usd"] != s_b["delivered_value_usd"]


def test_a_model_in_between_does_not_change_a_run(tmp_path):
    """No hidden global state: an unrelated run in between leaves a run's outputs unchanged."""
    run_small(4, outdir=tmp_path / "a")
    run_small(99, steps=30)
    run_small(4, outdir=tmp_path / "b")
    assert read(tmp_path / "a") == read(tmp_path / "b")
