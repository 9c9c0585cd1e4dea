"""Sweeps: the same bytes from every launcher, no lost or duplicated runs, failures on record."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, cli
from sim import sweep
from sim.params import RunConfig, from_dict
from simcli import CONFIG_DIR
from simcli.app import preflight

SWEEP = ["-m", "scenario=small", "steps=20", "seeds=2", "policy=none,ddr"]
FILES = ("config.yaml", "timeseries.parquet", "edges.parquet")


def outputs(sweep_dir: Path) -> dict[str, dict[str, bytes]]:
    runs = {}
    for run in sorted((sweep_dir / "runs").iterdir()):
        files = {name: (run / name).read_bytes() for name in FILES}
        summary = json.loads((run / "summary.json").read_text())
        summary.pop("wall_seconds")
        files["summary"] = json.dumps(summary, sort_keys=True).encode()
        runs[run.name] = files
    return runs


@pytest.fixture(scope="module")
def basic(tmp_path_factory):
    out = tmp_path_factory.mktemp("basic")
    proc = cli(*SWEEP, f"hydra.sweep.dir={out}")
    assert proc.returncode == 0, proc.stderr
    return outputs(out)


def test_basic_sweep_runs_every_seed_of_every_job(basic):
    assert len(basic) == 4  # two policies, two seeds each


# Where the cluster suite runs (CI), it proves ray_local's bytes too, beside a running Ray head
# (tests/test_clusters.py::test_ray_local_command_runs_beside_a_running_head): not run twice there.
RAY_LOCAL_IN_CLUSTER_SUITE = os.environ.get("SAHEL_REQUIRE_CLUSTERS") == "1"


@pytest.mark.parametrize(
    "launcher",
    [
        "joblib",
        pytest.param(
            "ray_local",
            marks=pytest.mark.skipif(RAY_LOCAL_IN_CLUSTER_SUITE, reason="tests/test_clusters.py checks ray_local"),
        ),
    ],
)
def test_launchers_give_the_same_bytes(tmp_path, basic, launcher):
    """Same configuration and seed: identical files whichever launcher ran the job (DESIGN §5)."""
    proc = cli(*SWEEP, f"hydra/launcher={launcher}", f"hydra.sweep.dir={tmp_path}", timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert outputs(tmp_path) == basic


def test_a_killed_sweep_resumes_without_losing_or_duplicating_runs(tmp_path):
    """SIGKILL a sweep once some runs have finished; the same command then completes it, skipping them."""
    args = [
        sys.executable,
        "-m",
        "sim",
        "-m",
        "scenario=small",
        "seeds=3",
        "policy=none,ddr",
        f"hydra.sweep.dir={tmp_path}",
    ]
    proc = subprocess.Popen(
        args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.time() + 120
    while time.time() < deadline and len(list(tmp_path.glob("runs/*/manifest.json"))) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {p.parent.name: p.stat().st_mtime_ns for p in tmp_path.glob("runs/*/manifest.json")}
    assert 2 <= len(finished) < 6, "the kill should land mid-sweep"
    again = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    runs = sorted((tmp_path / "runs").iterdir())
    assert len(runs) == 6 and all((r / "summary.json").exists() for r in runs)
    for key, mtime in finished.items():  # finished runs were skipped, not redone
        assert (tmp_path / "runs" / key / "manifest.json").stat().st_mtime_ns == mtime
    manifests = [json.loads(p.read_text()) for p in (tmp_path / "jobs").glob("*.json")]
    owned = [k for m in manifests for k in m["runs"]]
    assert sorted(owned) == sorted(r.name for r in runs) and len(set(owned)) == 6


def test_a_failing_run_is_recorded_and_the_block_goes_on(tmp_path, monkeypatch):
    config = from_dict(
        RunConfig, {"seed": 0, "seeds": 3, "steps": 5, "scenario": {"supply_scale": 0.05, "burn_in_weeks": 1}}
    )
    real = sweep.run

    def flaky(cfg, out):
        if cfg.seed == 1:
            raise RuntimeError("disk on fire")
        return real(cfg, out)

    monkeypatch.setattr(sweep, "run", flaky)
    report = sweep.run_block(config, tmp_path, job="0")
    assert len(report.done) == 2 and len(report.failed) == 1
    failed = tmp_path / "runs" / report.failed[0]
    assert "disk on fire" in (failed / "error.txt").read_text()
    assert (failed / "config.yaml").exists() and not (failed / "summary.json").exists()
    # Re-run with the fault gone: only the failed run is redone.
    monkeypatch.setattr(sweep, "run", real)
    again = sweep.run_block(config, tmp_path, job="0")
    assert again.done == report.failed and sorted(again.skipped) == sorted(report.done)
    assert not (failed / "error.txt").exists() and (failed / "summary.json").exists()


def test_run_keys_ignore_display_settings_only():
    a = from_dict(RunConfig, {"seed": 3})
    b = from_dict(RunConfig, {"seed": 3, "output": {"progress": False}})
    c = from_dict(RunConfig, {"seed": 4})
    assert sweep.run_key(a) == sweep.run_key(b) != sweep.run_key(c)


def test_every_experiment_preset_composes():
    """Each preset's sweep validates (the pre-flight composes every swept value) and names its question."""
    presets = sorted((CONFIG_DIR / "experiment").glob("*.yaml"))
    expected = ["policy_comparison", "border_control", "ddr_livelihoods", "ct_targeting", "sanctions"]
    assert {p.stem for p in presets} >= {*expected, "anti_corruption", "mission_priority"}
    for preset in presets:
        assert "# Question:" in preset.read_text(), preset
        preflight(["-m", f"experiment={preset.stem}"])
