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


# A sweep whose arms share one tree of pasts (experiment=history_counterfactuals, in small): from
# June 2021, the history as it happened over 33 and 38 weeks, without Wagner (December 2021,
# week 28), with livelihoods from August 2021 (week 9), without ECOWAS's border closure (January
# 2022, week 31) over 38 weeks. Points: each arm's departure and the end of the 33-week runs.
TREE = ["2021-08-02", "2021-12-15", "2022-01-09", 34]
SMALL_HISTORY = {**HISTORY, "supply_scale": 0.1}
ARMS = {
    "factual": ({}, 33, 34),
    "factual_long": ({}, 38, 34),
    "livelihoods": ({"policy": {"livelihoods": {"enabled": True, "start": "2021-08-02"}}}, 33, 9),
    "no_wagner": ({"timeline_skip": ["wagner"]}, 33, 28),
    "no_closure": ({"timeline_skip": ["ecowas_closure"]}, 38, 31),
}


def _arm(name: str, seeds: int, branch_from) -> RunConfig:
    extra, steps, _ = ARMS[name]
    policy = extra.get("policy", {})
    scenario = {**SMALL_HISTORY, **{k: v for k, v in extra.items() if k != "policy"}}
    return _config(scenario, steps, seed=5, seeds=seeds, branch_from=branch_from, policy=policy)


class _Count:
    """Counts the models built and the weeks simulated by every run and past (sim.run)."""

    def __init__(self, monkeypatch):
        import sim.run

        self.models, self.weeks = 0, 0
        build, advance = sim.run.start_model, sim.run.advance

        def counted_build(config):
            self.models += 1
            return build(config)

        def counted_advance(state, config, **kw):
            self.weeks += config.weeks - state.model.steps
            return advance(state, config, **kw)

        monkeypatch.setattr(sim.run, "start_model", counted_build)
        monkeypatch.setattr(sim.run, "advance", counted_advance)


def test_a_tree_of_pasts_gives_every_arm_its_straight_bytes_and_computes_the_trunk_once(tmp_path, monkeypatch):
    for name, (_, _, departure) in ARMS.items():
        assert states.departure_week(_arm(name, 1, TREE)) == departure, name
    count = _Count(monkeypatch)
    shared = {name: run_block(_arm(name, 2, TREE), tmp_path / "shared") for name in ARMS}
    # two seeds: one model each, and the factual trunk (38 weeks) once, then each arm's own weeks
    assert count.models == 2
    own = {"factual": 0, "factual_long": 38 - 33, "livelihoods": 33 - 8, "no_wagner": 33 - 27, "no_closure": 38 - 30}
    assert count.weeks == 2 * (33 + sum(own.values()))
    singles = [s for name in ARMS for s in single_runs(_arm(name, 2, TREE))]
    assert states.simulated_weeks(singles) == count.weeks + 2 * SMALL_HISTORY["burn_in_weeks"]
    assert len(list((tmp_path / "shared" / "states").glob("*.state"))) == 2 * 4  # the four points of the trunk
    for name, report in shared.items():
        assert len(report.done) == 2 and not report.failed, name
        config = _arm(name, 1, None)  # seed 5 straight
        run(config, tmp_path / "straight" / name)
        same_outputs(tmp_path / "straight" / name, tmp_path / "shared" / "runs" / run_key(config))
    assert count.weeks == 2 * (33 + sum(own.values())) + 33 * 3 + 38 * 2


def test_a_list_of_points_departs_each_run_at_the_latest_it_shares():
    from sim.errors import ConfigError

    # a run whose own change comes before every point keeps the earliest (its own past, shared with its variants)
    early = _config(SMALL_HISTORY, 33, policy={"ddr": {"enabled": True, "start": "2021-07-05"}}, branch_from=TREE)
    assert states.departure_week(early) == 9
    # points after the run's end are other runs'; a single point must be inside the run
    assert states.branch_points(_config(SMALL_HISTORY, 20, branch_from=TREE)) == [9]
    assert states.departure_week(_config(SMALL_HISTORY, 20, branch_from=TREE)) == 9
    with pytest.raises(ConfigError, match="branch_from"):
        states.departure_week(_config(SMALL_HISTORY, 5, branch_from=TREE))
    with pytest.raises(ConfigError, match="branch_from"):
        _config(SMALL_HISTORY, 33, branch_from=["2021-08-02", "August"])


def test_the_shared_history_sweep_runs_the_presets_arms():
    """experiment=history_counterfactuals: each arm is a preset's variant (same run key), departing where it differs."""
    from simcli.compose import compose, sweep_overrides

    presets = ("history_no_wagner", "history_oc_priority", "history_sanctions_continue")
    variants = {run_key(compose(o)) for p in presets for o in sweep_overrides(p)}
    arms = {o[-1].split("=")[1]: compose(o) for o in sweep_overrides("history_counterfactuals")}
    assert {run_key(c) for c in arms.values()} <= variants
    assert len(variants - {run_key(c) for c in arms.values()}) == 1  # oc_priority's mandate off: the factual run
    departs = {name: states.departure_week(c) for name, c in arms.items()}
    assert departs == {
        **{"factual_to_2025": 626, "factual": 626},
        **{"oc_priority": 79, "no_wagner": 520, "sanctions_continue": 609},
    }
    singles = [s for c in arms.values() for s in single_runs(c)]
    assert states.simulated_weeks(singles) == 10 * (26 + 729 + (625 - 78) + (625 - 519) + (729 - 608))
