"""The command line: outputs of a run, and clean errors for bad overrides."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from conftest import cli, run_small

REQUIRED = ["delivered_value_usd", "seized_value_usd", "route_entropy", "n_agents_initial", "n_traffickers_final"]
META = ["seed", "steps", "version", "wall_seconds", "git_revision"]


def test_run_writes_the_contracted_outputs(tmp_path):
    out = tmp_path / "run"
    proc = cli("scenario=small", "seed=3", f"hydra.run.dir={out}")
    assert proc.returncode == 0, proc.stderr
    assert {"config.yaml", "summary.json", "timeseries.parquet"} <= {p.name for p in out.iterdir()}
    summary = json.loads((out / "summary.json").read_text())
    for key in REQUIRED + META:
        assert key in summary, key
    from sim.world import load_world

    world = load_world()
    for g in world.goods:
        assert f"delivered.{g.id}" in summary and f"seized.{g.id}" in summary
    for p in world.places_of_kind("crossing"):
        assert f"flow_through.{world.place_ids[p]}" in summary
    assert summary["seed"] == 3 and summary["steps"] == 104
    ts = pq.read_table(out / "timeseries.parquet").to_pandas()
    assert len(ts) == 104 and ts["week"].tolist() == list(range(1, 105))
    assert ts["delivered_value_usd"].sum() == pytest.approx(summary["delivered_value_usd"])


def test_command_line_and_python_give_the_same_bytes(tmp_path):
    """Same configuration and seed: identical outputs whoever launched the run."""
    out_cli = tmp_path / "cli"
    proc = cli("scenario=small", "seed=5", f"hydra.run.dir={out_cli}")
    assert proc.returncode == 0, proc.stderr
    out_py = tmp_path / "py"
    run_small(5, outdir=out_py)
    for name in ("timeseries.parquet", "config.yaml"):
        assert (out_cli / name).read_bytes() == (out_py / name).read_bytes(), name
    a, b = (json.loads((d / "summary.json").read_text()) for d in (out_cli, out_py))
    a.pop("wall_seconds"), b.pop("wall_seconds")
    assert a == b


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("nonsense=1", "nonsense"),
        ("+scenario.nonsense=1", "scenario.nonsense"),
        ("seed=abc", "seed"),
        ("scenario.supply_scale=-1", "scenario.supply_scale"),
        ("scenario=nowhere", "scenario"),
        ("+scenario.checkpoints.pressure_multiplier.atlantis=2", "scenario.checkpoints.pressure_multiplier.atlantis"),
    ],
)
def test_bad_override_gives_one_line_and_exit_code_2(tmp_path, override, key):
    proc = cli(override, f"hydra.run.dir={tmp_path}")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"error: {key}")
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "summary.json").exists()


def test_bad_value_in_a_sweep_stops_before_any_job(tmp_path):
    proc = cli("-m", "scenario=small", "seed=1,2", "scenario.supply_scale=0.1,-3", f"hydra.sweep.dir={tmp_path}")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: scenario.supply_scale")
    assert not list(tmp_path.glob("*/summary.json"))
