"""One experiment pipeline: studies run through sim.run and sim.sweep, read configs through Hydra."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from experiments import runner
from sim.params import RunConfig, from_dict

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENTS = ROOT / "experiments"
# The one exception: Mesa's own BoltzmannWealth, the benchmark's yardstick, is not our model.
ALLOWED = {("bench.py", "model.step()", "BoltzmannWealth")}


def _lines(pattern: str) -> list[tuple[str, int, str]]:
    out = []
    for path in sorted(EXPERIMENTS.glob("**/*.py")):
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(pattern, line):
                out.append((path.name, i, line.strip()))
    return out


def test_no_study_builds_or_steps_the_model_itself():
    """Only sim.run.run builds and steps a model; the evidence code goes through it."""
    text = (EXPERIMENTS / "bench.py").read_text(encoding="utf-8")
    boltzmann = text[text.index("def time_boltzmann") : text.index("def profile_default")]
    found = [
        (name, n, line)
        for name, n, line in _lines(r"\.step\(\)|\brun_for\(|SahelModel\(")
        if not (name == "bench.py" and line in boltzmann)
        and not (name == "treecompare.py" and line == "boltzmann.step()")  # its BoltzmannWealth, timed beside a run
    ]
    assert not found, f"model stepping outside sim.run: {found}"


def test_nothing_reads_agent_internals_or_parses_configs_by_hand():
    """Studies measure through registered outcomes and compose configs through simcli.compose."""
    internals = _lines(r"armed_groups\.groups|crews\.kind|\.cols\[")
    assert not internals, internals
    by_hand = [x for x in _lines(r"safe_load|CONFIG_DIR") if "goods.yaml" not in x[2]]
    assert not by_hand, by_hand


def _tiny(seed: int, **scenario) -> RunConfig:
    data = {"name": "tiny", "supply_scale": 0.05, "burn_in_weeks": 0, **scenario}
    return from_dict(RunConfig, {"seed": seed, "steps": 2, "scenario": data, "output": {"progress": False}})


def test_runner_skips_finished_runs_and_names_failures(tmp_path, monkeypatch):
    tasks = [("a", _tiny(0)), ("b", _tiny(1))]
    records = runner.run_tasks(tasks, tmp_path, progress=False)
    assert [(r.label, r.seed) for r in records] == [("a", 0), ("b", 1)]
    assert len(records[0].timeseries()) == 2 and "fatalities" in records[0].summary
    (records[1].directory / "summary.json").unlink()  # as a kill leaves it
    ran = []
    real = runner._block
    monkeypatch.setattr(runner, "_block", lambda label, c, root: ran.append(label) or real(label, c, root))
    again = runner.run_tasks(tasks, tmp_path, progress=False)
    assert ran == ["b"] and again[1].summary == records[1].summary | {"wall_seconds": again[1].summary["wall_seconds"]}

    def broken(config, outdir=None, **kw):
        raise RuntimeError("boom")

    monkeypatch.setattr("sim.sweep.run", broken)
    with pytest.raises(runner.RunsFailedError, match=r"1 of 3 runs failed: c seed=2 .*RuntimeError: boom"):
        runner.run_tasks([*tasks, ("c", _tiny(2))], tmp_path, progress=False)
    with pytest.raises(ValueError, match="seeds=1"):
        runner.run_tasks([("d", dataclasses.replace(_tiny(0), seeds=2))], tmp_path, progress=False)


def test_resuming_over_runs_of_other_code_warns(tmp_path, monkeypatch, capsys):
    """A run's key hashes its configuration, not the code: reusing runs of another revision is said aloud."""
    tasks = [("a", _tiny(0)), ("b", _tiny(1))]
    runner.run_tasks(tasks, tmp_path, progress=True)
    runner.run_tasks(tasks, tmp_path, progress=True)
    assert "other code" not in capsys.readouterr().err
    monkeypatch.setattr("sim.sweep.git_revision", lambda: "f" * 40)
    runner.run_tasks(tasks, tmp_path, progress=True)
    err = capsys.readouterr().err
    assert "warning: reusing 2 finished runs made by other code" in err and "ffffffffffff" in err


def test_contributor_steps_cannot_be_forgotten():
    """The checks docs/contributing.md names: each recipe's easily forgotten step fails here."""
    from dataclasses import fields

    from experiments import validate
    from sim.policies import POLICIES, PolicySet
    from sim.world import load_world
    from simcli import CONFIG_DIR
    from simcli.compose import compose

    goods = [g.id for g in load_world("").goods]
    # A good: the "without X" arms and the high-value list follow goods.yaml.
    assert list(validate.ALL_GOODS) == goods
    assert set(validate.HIGH_VALUE) <= set(goods)
    odd = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    # A policy: registered in POLICIES and PolicySet in the same order, with a config file that switches it on.
    assert list(POLICIES) == [f.name for f in fields(PolicySet)]
    for name in POLICIES:
        assert (CONFIG_DIR / "policy" / f"{name}.yaml").exists(), f"simcli/configs/policy/{name}.yaml missing"
    composed = compose([f"policy=[{','.join(POLICIES)}]"]).policy
    assert [name for name, _ in composed.active()] == list(POLICIES)
    for name in POLICIES:
        assert f"`{name}`" in odd or name.replace("_", " ") in odd.lower(), f"docs/ODD.md does not describe {name}"
    # A validation pattern: every arm an experiment compares exists; every id is tested or said not to be.
    for exp in validate.EXPERIMENTS:
        assert set(exp.arms) <= set(validate.ARMS), exp.id
    ids = [e.id for e in validate.EXPERIMENTS]
    assert len(ids) == len(set(ids))
