"""Corrupt results are detected and redone (issue 21): the manifest of each run, resume, aggregate."""

from __future__ import annotations

import json

import pytest

from experiments.aggregate import aggregate
from experiments.aggregate import main as aggregate_main
from sim.integrity import MANIFEST, problems, verified, write_durable
from sim.params import RunConfig, from_dict
from sim.sweep import run_block, run_key, single_runs

TINY = {"name": "tiny", "supply_scale": 0.05, "burn_in_weeks": 0, "steps": 3}


@pytest.fixture(scope="module")
def config() -> RunConfig:
    return from_dict(RunConfig, {"seed": 1, "seeds": 4, "scenario": TINY, "output": {"progress": False}})


def _flip_last_byte(path):
    data = bytearray(path.read_bytes())
    data[-2] ^= 0x01
    path.write_bytes(bytes(data))


def test_corrupt_runs_are_named_by_aggregate_and_redone_by_resume(tmp_path, config, capsys):
    first = run_block(config, tmp_path, job="0")
    keys = [run_key(s) for s in single_runs(config)]
    assert first.done == keys and all(verified(tmp_path / "runs" / k) for k in keys)
    runs = tmp_path / "runs"
    (runs / keys[0] / "summary.json").write_bytes(b"")  # what a power cut could leave without fsync
    ts = runs / keys[1] / "timeseries.parquet"
    ts.write_bytes(ts.read_bytes()[: ts.stat().st_size // 2])  # a copy cut short
    _flip_last_byte(runs / keys[2] / "summary.json")  # same size, other bytes
    assert problems(runs / keys[0]) == ["summary.json has 0 bytes, expected " + _size(runs / keys[0])]
    assert "timeseries.parquet has" in problems(runs / keys[1])[0]
    assert problems(runs / keys[2]) == ["summary.json altered (checksum differs)"]

    report = aggregate(tmp_path, tmp_path / "agg", progress=False)
    assert sorted(k for k, _ in report.corrupt) == sorted(keys[:3])
    assert report.completed == [keys[3]] and (tmp_path / "agg" / "runs.parquet").exists()
    assert report.variants == {"default": 1}
    assert aggregate_main([str(tmp_path), "--out", str(tmp_path / "agg2")]) == 0
    out = capsys.readouterr().out
    assert all(f"corrupt: {k}" in out for k in keys[:3]) and "3 corrupt" in out

    again = run_block(config, tmp_path, job="0")
    assert sorted(again.done) == sorted(keys[:3]) and again.skipped == [keys[3]]
    assert "redoing" in capsys.readouterr().err
    fixed = aggregate(tmp_path, tmp_path / "agg", progress=False)
    assert fixed.corrupt == [] and sorted(fixed.completed) == sorted(keys)


def _size(run_dir) -> str:
    return str(json.loads((run_dir / MANIFEST).read_text())["files"]["summary.json"]["bytes"])


def test_a_run_from_before_manifests_is_read_with_care(tmp_path, config):
    """A summary without a manifest (older sweeps) counts if readable; an empty one is named, the rest aggregated."""
    run_block(config, tmp_path, job="0")
    keys = sorted(p.name for p in (tmp_path / "runs").iterdir())
    for key in keys:
        (tmp_path / "runs" / key / MANIFEST).unlink()
    (tmp_path / "runs" / keys[0] / "summary.json").write_bytes(b"")
    report = aggregate(tmp_path, progress=False)
    assert [k for k, _ in report.corrupt] == [keys[0]] and "unreadable" in report.corrupt[0][1]
    assert sorted(report.completed) == keys[1:]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "summary.json"
    target.write_text("old", encoding="utf-8")

    def fail(path):
        path.write_text("half", encoding="utf-8")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        write_durable(target, fail)
    assert target.read_text(encoding="utf-8") == "old" and [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_a_second_command_into_the_same_sweep_extends_it(tmp_path):
    """More seeds by a second command (its job numbers start again at 0): no record lost, no variant split."""
    for first_seed in (0, 2):  # two commands, each with two jobs of two seeds
        for job, policy in (("0", "none"), ("1", "ddr")):
            data = {"seed": first_seed, "seeds": 2, "scenario": TINY, "output": {"progress": False}}
            if policy == "ddr":
                data["policy"] = {"ddr": {"enabled": True}}
            overrides = [f"policy={policy}", "seeds=2"] + ([f"seed={first_seed}"] if first_seed else [])
            run_block(from_dict(RunConfig, data), tmp_path, job=job, overrides=overrides)
    assert len(list((tmp_path / "jobs").glob("*.json"))) == 4
    report = aggregate(tmp_path, progress=False)
    assert report.variants == {"policy=none": 4, "policy=ddr": 4}
    assert report.missing == 0 and len(report.completed) == 8


def test_aggregate_into_a_file_is_one_line(tmp_path, config, capsys):
    run_block(config, tmp_path / "sweep", job="0")
    (tmp_path / "a_file").write_text("x")
    capsys.readouterr()
    assert aggregate_main([str(tmp_path / "sweep"), "--out", str(tmp_path / "a_file")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {tmp_path / 'a_file'}")
