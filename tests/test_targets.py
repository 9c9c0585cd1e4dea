"""Policy targets and settings that used to be silent no-ops (issue 21): each now works or is refused.

Targets resolve in one place (:mod:`sim.policies.targets`) for the pre-flight and the model, so a
name either selects what it says or stops the command with one line naming the key.
"""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from conftest import ROOT, cli
from sim.checks import group_names, load_actors
from sim.errors import ConfigError
from sim.model import SahelModel
from sim.params import RunConfig, ScenarioConfig, from_dict
from sim.policies import POLICIES, PolicySet
from sim.policies.targets import catalog, crossings_to, resolve
from sim.world import load_world
from simcli.app import preflight

DATA = ROOT / "sim" / "world" / "data"

WORLD = load_world()
CAT = catalog(WORLD, group_names(load_actors("")))
BORDER = POLICIES["border_control"].target_kinds


def border_places(targets: list[str]) -> np.ndarray:
    """The crossings a border-control policy built by the model acts on."""
    policy = from_dict(PolicySet, {"border_control": {"enabled": True, "targets": targets}})
    model = SahelModel(ScenarioConfig(supply_scale=0.05, burn_in_weeks=0), seed=1, policy=policy)
    return model.policies[0].places


@pytest.mark.parametrize("country", ["Algeria", "Niger", "Burkina Faso", "Senegal"])
def test_a_country_means_its_crossings_with_mali(country):
    """'Algeria' (also the name of a region of places abroad) selects the crossings between Mali and Algeria."""
    target = resolve(WORLD, CAT, country, BORDER, "k")
    assert target.kind == "countries"
    crossings = POLICIES["border_control"].selection(WORLD, target)
    assert crossings and crossings == set(crossings_to(WORLD, country).tolist())


def test_the_model_acts_where_the_preflight_resolved():
    """The same names in the model: lower case too, and a region's crossings, not its capital town."""
    algeria = sorted(crossings_to(WORLD, "Algeria").tolist())
    assert border_places(["Algeria"]).tolist() == algeria
    assert border_places(["algeria"]).tolist() == algeria
    assert border_places(["country:ALGERIA"]).tolist() == algeria
    kidal = border_places(["region:Kidal"])
    assert len(kidal) > 0 and WORLD.index["kidal"] not in kidal
    assert border_places(["place:Kidal"]).tolist() == [WORLD.index["kidal"]]


def test_a_name_that_is_a_place_and_a_region_is_refused_with_both_candidates():
    expected = r"targets\[0\]='Kidal': ambiguous target; allowed: one of place:kidal.*region:Kidal"
    with pytest.raises(ConfigError, match=expected):
        resolve(WORLD, CAT, "Kidal", BORDER, "policy.border_control.targets[0]")


def test_a_typo_gets_a_did_you_mean():
    with pytest.raises(ConfigError, match=r"unknown target \(did you mean Algeria\?\)"):
        resolve(WORLD, CAT, "Algria", BORDER, "k")


def test_a_duplicated_place_name_must_be_given_by_id(tmp_path):
    """Two places called the same: the name lists both ids; each id selects its own place."""
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    lines = (data / "places.csv").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.startswith(("kayes,", "nioro,")):
            fields = line.split(",")
            fields[1] = "Twin"
            lines[i] = ",".join(fields)
    (data / "places.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    world = load_world(str(data))
    cat = catalog(world, set())
    expected = r"ambiguous target; allowed: one of place:kayes \(Twin\), place:nioro \(Twin\)"
    with pytest.raises(ConfigError, match=expected):
        resolve(world, cat, "place:twin", ("places", "regions"), "k")
    assert resolve(world, cat, "place:nioro", ("places", "regions"), "k").places == (world.index["nioro"],)


@pytest.mark.parametrize(
    ("overrides", "key", "problem"),
    [
        (["policy=border_control", "policy.border_control.targets=[Kidal]"], "targets[0]", "ambiguous target"),
        (["policy=border_control", "policy.border_control.targets=[region:Bamako]"], "targets[0]", "selects nothing"),
        (["policy=regional_cooperation", "policy.regional_cooperation.targets=[Egypt]"], "targets[0]", "selects no"),
        (["policy=hub_raids", "policy.hub_raids.targets=[JNIM]"], "targets[0]", "not a target of this policy"),
        (["policy=ddr", "policy.ddr.targets=[country:Mali]"], "targets[0]", "not a target of this policy"),
        (["policy.ddr.intensity=5"], "policy.ddr.intensity", "policy ddr is not switched on"),
        (["policy=border_control", "policy.ddr.intensity=5"], "policy.ddr.intensity", "not switched on"),
        (["steps=10", "policy=ddr", "policy.ddr.start=11"], "policy.ddr.start", "starts after the run ends"),
        (["steps=10", "policy=ddr", "policy.ddr.start=2013-04-01"], "policy.ddr.start", "starts after the run ends"),
        (["steps=10", "scenario.start_date=9999-12-01"], "scenario.start_date", "after the year 9999"),
        (["-m", "policy=ddr,border_control", "policy.border_control.targets=[Gao]"], "targets[0]", "ambiguous"),
        (["-m", "seed=1,2", "scenario.name=run_${now:%H%M%S}"], "scenario.name", "changes with the clock"),
    ],
)
def test_silent_no_ops_are_refused_by_the_preflight(overrides, key, problem):
    with pytest.raises(ConfigError, match=re.escape(key) + ".*" + problem):
        preflight(["scenario=small", *overrides])


@pytest.mark.parametrize(
    "overrides",
    [
        ["policy=border_control", "policy.border_control.targets=[algeria]"],
        ["-m", "policy=none,ddr", "policy.ddr.intensity=5"],  # read by the runs with ddr
        ["policy=ddr", "policy.ddr.intensity=5", "policy.ddr.targets=[group:cma,signatory]"],
        ["steps=10", "policy=ddr", "policy.ddr.start=10"],
    ],
)
def test_what_is_meant_passes_the_preflight(overrides):
    preflight(["scenario=small", *overrides])


def test_start_date_at_the_limit_runs():
    config = from_dict(RunConfig, {"steps": 2, "scenario": {"start_date": "9999-06-01", "burn_in_weeks": 0}})
    model = SahelModel(config.scenario, seed=0)
    model.run_for(config.weeks)
    assert model.date.year == 9999


def test_an_ambiguous_target_in_a_sweep_starts_no_job(tmp_path):
    proc = cli(
        "-m", "scenario=small", "steps=2", "policy=border_control", "policy.border_control.targets=[Kidal]",
        "seed=1,2", f"hydra.sweep.dir={tmp_path}", timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "ambiguous target" in proc.stderr
    assert not (tmp_path / "runs").exists()
