"""The war on the mission and the mission's real powers (issue 14 item 6; issue 15 item 3).

Counterfactuals on the small scenario: the war is driven week by week on its own (the rest of
the model held still), so each test isolates one rule and stays cheap. Tolerances are stated in
each docstring; each test could fail if its rule were missing.
"""

from __future__ import annotations

import dataclasses
import functools
import pickle

import numpy as np
import pytest

from conftest import small_config
from sim.agents.force import ForceKind
from sim.agents.official import Role
from sim.model import SahelModel
from sim.names import GroupKind

SEEDS = range(3)


@functools.cache
def _built(seed: int, officials: bool) -> bytes:
    m = SahelModel(small_config(seed, actors={"officials": officials}).scenario, seed=seed)
    return pickle.dumps(m)


def build(seed: int = 0, officials: bool = True) -> SahelModel:
    """A fresh copy of a small-scenario model after its burn-in (each built once: building is slow)."""
    return pickle.loads(_built(seed, officials))


def wage_war(m: SahelModel, weeks: int, **forces) -> dict[str, float]:
    """Run only the war on the mission for ``weeks`` weeks with some force parameters changed."""
    war = m.forces.war
    war.p = dataclasses.replace(war.p, **forces)
    if war.p.ied_materials_per_rifle == 0:
        war.kits.clear()  # cut off from IED materials from the start, burn-in included
    mission = m.forces.of_kind(ForceKind.MISSION)[0]
    regions = m.forces._base_regions(mission)
    no_raids = np.zeros(m.world.n_places)
    attacks = deaths = ied = 0.0
    shares = []
    for _ in range(weeks):
        war.supply_kits()
        deaths += war.step(mission, regions, no_raids)
        attacks += war.attacks
        ied += war.ied_attacks
        shares.append(war.force_protection)
    return {"attacks": attacks, "deaths": deaths, "ied": ied, "fp": float(np.mean(shares[-52:]))}


def test_a_mission_that_loses_more_bunkers_and_loses_fewer_per_attack():
    """M19 ratchet: four times the attacks (over 3 seeds, 156 weeks, no IEDs) give a higher mean
    force-protection share in the last year (by at least 0.05) and fewer deaths per attack."""
    low, high = [], []
    for seed in SEEDS:
        low.append(wage_war(build(seed), 156, attack_rate=0.01, ied_materials_per_rifle=0.0))
        high.append(wage_war(build(seed), 156, attack_rate=0.04, ied_materials_per_rifle=0.0))
    fp_low, fp_high = np.mean([r["fp"] for r in low]), np.mean([r["fp"] for r in high])
    assert fp_high > fp_low + 0.05
    per_low = sum(r["deaths"] for r in low) / sum(r["attacks"] for r in low)
    per_high = sum(r["deaths"] for r in high) / sum(r["attacks"] for r in high)
    assert sum(r["attacks"] for r in low) > 20
    assert per_high < per_low


def test_groups_without_ied_materials_attack_less_lethally():
    """F8: with the posture held at its base (no ratchet, no caveats), groups cut off from IED
    materials use no IEDs and kill fewer peacekeepers per attack (3 seeds, 104 weeks)."""
    frozen = {"losses_to_bunker": 1e9, "caveat_per_death": 0.0}
    with_ied, without = [], []
    for seed in SEEDS:
        with_ied.append(wage_war(build(seed), 104, **frozen))
        without.append(wage_war(build(seed), 104, ied_materials_per_rifle=0.0, **frozen))
    assert sum(r["ied"] for r in without) == 0
    assert sum(r["ied"] for r in with_ied) > 10
    per = [sum(r["deaths"] for r in rs) / max(1.0, sum(r["attacks"] for r in rs)) for rs in (with_ied, without)]
    assert per[1] < per[0]


def test_attacks_are_chosen_by_payoff():
    """A group attacks a target only where the expected gain beats the fighters it expects to lose:
    without loot, a non-jihadist group has nothing to gain and leaves the mission alone; a jihadist
    group values an attack whatever the loot; an IED costs the attacker no fighters."""
    m = build(0)
    war = m.forces.war
    war.p = dataclasses.replace(war.p, convoy_loot_usd=0.0)
    groups = m.armed_groups.active
    other = next(g for g in groups if g.kind != GroupKind.JIHADIST)
    jihadist = next(g for g in groups if g.kind == GroupKind.JIHADIST)
    assert all(gain <= cost for gain, cost, _ in war.appraise(other, 0.0).values())
    assert any(gain > cost for gain, cost, _ in war.appraise(jihadist, 0.0).values())
    war.kits[jihadist.unique_id] = 5.0
    plan = war.appraise(jihadist, 0.0)
    assert plan["convoy"][2] and plan["convoy"][1] == 0.0 and not plan["base"][2]


def test_force_protection_lowers_the_tasks_effect():
    """M19: at 80% force protection the mission gives the state and Malian officials a quarter of the
    support it gives at 20% (asserted: under half)."""
    support = {}
    for fp in (0.2, 0.8):
        m = build(0)
        m.forces.war.force_protection = fp
        m.forces.war.step = lambda *a, **k: 0.0  # hold the posture: no attacks this week
        m.territory.support.fill(0.0)
        m.forces._mission()
        support[fp] = m.forces.oc_support.sum() + m.territory.support.sum()
    assert support[0.8] < 0.5 * support[0.2]


def _seize_rates(officials: bool, oc_weight: float) -> np.ndarray:
    m = build(0, officials)
    m.levers.mission_oc_weight = oc_weight
    m.forces.war.step = lambda *a, **k: 0.0  # the same posture in both arms
    m.pressure_multiplier.fill(1.0)
    m.territory.support.fill(0.0)
    m.forces._mission()
    m.enforcement.update()
    return m.enforcement.rates.seize.copy()


@pytest.mark.parametrize("officials", [True, False])
def test_the_oc_task_works_only_through_malian_officials(officials):
    """003: the mission cannot arrest or guard borders. Its organized-crime task raises the seizure
    odds at checkpoints in its regions only where Malian officials work; without officials the
    odds are the same whatever the task's weight."""
    minor, main = _seize_rates(officials, 0.0), _seize_rates(officials, 0.6)
    if officials:
        assert (main >= minor - 1e-12).all() and (main > minor + 1e-6).any()
    else:
        assert np.array_equal(main, minor)


def test_the_oc_task_strengthens_judges_in_the_mission_regions():
    """002 §III (specialized judicial unit): with organized crime a main task, judges in the mission's
    base regions gain capacity (their odds of convicting), judges elsewhere do not."""
    capacity = {}
    for weight in (0.0, 0.6):
        m = build(0)
        m.levers.mission_oc_weight = weight
        m.forces.war.step = lambda *a, **k: 0.0
        m.territory.support.fill(0.0)
        m.forces._mission()
        capacity[weight] = m.officials.capacity.copy()
    o = m.officials
    region = np.array(m.world.region)
    mission = m.forces.of_kind(ForceKind.MISSION)[0]
    judges = np.flatnonzero((o.role == Role.JUDGE) & o.alive)
    inside = np.isin(region[o.post[judges]], region[mission.bases])
    assert inside.any() and (~inside).any()
    gain = capacity[0.6][judges] - capacity[0.0][judges]
    assert (gain[inside] > 0).all()
    np.testing.assert_array_equal(gain[~inside], 0.0)
