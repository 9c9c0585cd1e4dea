"""Save and branch: a run restored from a saved week gives the bytes of the run that never stopped."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from sim import state as states
from sim.params import RunConfig, from_dict
from sim.run import run
from sim.sweep import run_block, run_key, single_runs

FILES = ("timeseries.parquet", "edges.parquet", "route_flows.parquet")


def _config(scenario: dict, steps: int, seed: int = 3, **extra) -> RunConfig:
    return from_dict(RunConfig, {"seed": seed, "steps": steps, "scenario": scenario, **extra})


# The default scenario and the history, shortened: a later start and a short burn-in.
DEFAULT = {"name": "default", "supply_scale": 0.2, "burn_in_weeks": 4}
HISTORY = {
    "name": "history",
    "timeline": "history",
    "actors_file": "actors_history.yaml",
    "start_date": "2021-06-07",
    "supply_scale": 0.2,
    "burn_in_weeks": 4,
}


def same_outputs(a: Path, b: Path) -> None:
    """Every output file identical, and the summary apart from its wall time."""
    for name in FILES:
        if (a / name).exists() or (b / name).exists():
            assert (a / name).read_bytes() == (b / name).read_bytes(), name
    ca, cb = (yaml.safe_load((d / "config.yaml").read_text()) for d in (a, b))
    ca.pop("branch_from"), cb.pop("branch_from")  # how the run was computed, the only difference
    assert ca == cb
    sa, sb = (json.loads((d / "summary.json").read_text()) for d in (a, b))
    sa.pop("wall_seconds"), sb.pop("wall_seconds")
    assert sa == sb


@pytest.mark.parametrize("scenario", [DEFAULT, HISTORY], ids=["default", "history"])
def test_restored_run_gives_the_bytes_of_the_run_that_never_stopped(tmp_path, scenario):
    config = _config(scenario, 14, output={"route_flows": True})
    run(config, tmp_path / "straight")
    saved = states.save(states.run_to(config, 7), tmp_path / "week6.state")
    run(config, tmp_path / "restored", start=saved)
    same_outputs(tmp_path / "straight", tmp_path / "restored")


def test_counterfactual_branched_from_the_shared_past_is_the_straight_counterfactual(tmp_path):
    """History from June 2021: without Wagner (December 2021) and with livelihoods from then on."""
    depart = "2021-11-01"
    variants = [
        _config(HISTORY, 34),
        _config({**HISTORY, "timeline_skip": ["wagner"]}, 34),
        _config(HISTORY, 34, policy={"livelihoods": {"enabled": True, "start": "2021-11-15"}}),
    ]
    for i, config in enumerate(variants):
        run(config, tmp_path / f"straight{i}")
        branched = from_dict(RunConfig, {**_dict(config), "branch_from": depart})
        run(branched, tmp_path / f"branched{i}", state_cache=tmp_path / "states")
        same_outputs(tmp_path / f"straight{i}", tmp_path / f"branched{i}")
    # one common past for the three: they differ only from the departure date on
    assert len(list((tmp_path / "states").glob("*.state"))) == 1
    without_wagner = (tmp_path / "straight1" / "summary.json").read_bytes()
    assert (tmp_path / "straight0" / "summary.json").read_bytes() != without_wagner


def _dict(config: RunConfig) -> dict:
    from sim.params import to_dict

    return to_dict(config)


def test_a_policy_started_before_the_departure_is_part_of_the_common_past():
    base = _config(HISTORY, 30, policy={"ddr": {"enabled": True, "start": "2021-07-05"}}, branch_from="2021-11-01")
    late = _config(HISTORY, 30, policy={"ddr": {"enabled": True, "start": "2021-12-06"}}, branch_from="2021-11-01")
    week = states.departure_week(base)
    assert states.state_key(states.common_config(base, week)) != states.state_key(states.common_config(late, week))
    none = _config(HISTORY, 30, branch_from="2021-11-01")
    assert states.state_key(states.common_config(late, week)) == states.state_key(states.common_config(none, week))


def test_branch_from_outside_the_run_is_refused():
    from sim.errors import ConfigError

    with pytest.raises(ConfigError, match="branch_from"):
        states.departure_week(_config(HISTORY, 10, branch_from="2030-01-01"))


def test_a_sweep_block_shares_the_past_and_keeps_run_keys(tmp_path):
    config = _config({**HISTORY, "timeline_skip": ["wagner"]}, 30, seeds=2, branch_from="2021-11-01")
    plain = from_dict(RunConfig, {**_dict(config), "branch_from": None})
    assert [run_key(s) for s in single_runs(config)] == [run_key(s) for s in single_runs(plain)]
    report = run_block(config, tmp_path)
    assert len(report.done) == 2 and not report.failed
    assert len(list((tmp_path / "states").glob("*.state"))) == 2  # one per seed
    # a damaged cache entry is recomputed, not trusted
    entry = sorted((tmp_path / "states").glob("*.state"))[0]
    entry.write_bytes(b"not a state")
    for key in report.done:
        (tmp_path / "runs" / key / "summary.json").unlink()
    assert len(run_block(config, tmp_path).done) == 2
    assert states.load(entry).model.steps > 0


def test_a_lock_left_by_a_dead_job_is_taken_over(tmp_path):
    import socket
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    entry = tmp_path / "abc.state"
    (tmp_path / "abc.state.lock").write_text(f"{socket.gethostname()} {int(dead.stdout)}")
    with states._computing(entry, wait=60):
        assert (tmp_path / "abc.state.lock").read_text().endswith(str(os.getpid()))
    assert not (tmp_path / "abc.state.lock").exists()


def test_the_command_line_refuses_a_departure_outside_the_run():
    from conftest import cli

    done = cli("scenario=small", "steps=10", "branch_from=2030-01-01")
    assert done.returncode == 2
    assert "branch_from" in done.stderr and len(done.stderr.strip().splitlines()) == 1
