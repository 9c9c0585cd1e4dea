"""The compiled mission war (sim.agents.war_kernels) against the plain form it replaced, bit for bit.

The plain form below is ``MissionWar.step`` as it was before the kernel (issue 18, fifth pass):
region by region, group by group, target by target, one Poisson draw each, each attack's draws at
once. Two copies of a small model after its burn-in are driven week by week, one through the model's
``MissionWar.step`` (the kernel) and one through the plain form, with the same random changes each
week (fighters, kits, posture, rates, offensive action): every result, the groups, the ledger and
the generator's state must be equal.
"""

from __future__ import annotations

import dataclasses
import functools
import pickle

import numpy as np
import pytest

from conftest import small_config
from sim.agents.force import ForceKind
from sim.agents.mission_war import TARGETS
from sim.compiled import kernel
from sim.kernel_rng import generator, handles
from sim.model import SahelModel
from sim.names import GroupKind


@kernel
def _mixed_draws(addresses, bounds, lam):
    rng = generator(addresses)
    out = np.empty((bounds.size, 3))
    for i in range(bounds.size):
        out[i, 0] = rng.integers(0, bounds[i])
        out[i, 1] = rng.random()
        out[i, 2] = rng.poisson(lam[i])
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_generator_rebuilt_from_its_handles_draws_numpys_stream(seed):
    """sim.kernel_rng: 5,000 integers (bounds 1 to 40), uniforms and Poissons (means 0 to 30) drawn
    in a kernel equal numpy's; the generator's state after is the same (integers, uniforms next)."""
    setup = np.random.default_rng(50 + seed)
    bounds, lam = setup.integers(1, 40, 5000), setup.uniform(0.0, 30.0, 5000)
    bounds[::5], lam[::3] = 1, 0.0
    compiled, plain = np.random.default_rng(seed), np.random.default_rng(seed)
    got = _mixed_draws(handles(compiled), bounds, lam)
    want = np.array(
        [(plain.integers(int(b)), plain.random(), plain.poisson(x)) for b, x in zip(bounds, lam, strict=True)]
    )
    assert np.array_equal(got, want)
    assert compiled.integers(7) == plain.integers(7) and compiled.random() == plain.random()
    assert repr(compiled.bit_generator.state) == repr(plain.bit_generator.state)


def test_handles_are_read_again_for_another_generator():
    """Each generator gets its own handles (a restored state too), kept while it is among the last few read."""
    from sim import kernel_rng

    a, b = np.random.default_rng(1), pickle.loads(pickle.dumps(np.random.default_rng(1)))
    assert handles(a) is handles(a)
    assert handles(b)[0] != handles(a)[0]  # the state's address: each generator's own
    assert handles(b) is handles(b) and handles(a) is handles(a)  # alternating: both kept (the sixteenth pass)
    _mixed_draws(handles(b), np.array([5]), np.array([1.0]))  # draws from b, not from a
    assert repr(a.bit_generator.state) == repr(np.random.default_rng(1).bit_generator.state)
    assert repr(b.bit_generator.state) != repr(a.bit_generator.state)
    others = [np.random.default_rng(i) for i in range(kernel_rng.KEPT + 3)]
    for other in others:
        handles(other)
    assert len(kernel_rng._kept) == kernel_rng.KEPT  # never more kept
    assert all(kept is not a and kept is not b for kept, _ in kernel_rng._kept)  # the oldest dropped
    assert handles(others[-1]) is handles(others[-1])


def _appraise(war, group, provoked):
    p, model = war.p, war.model
    fighter_value = model.params.armed_groups.wage_usd * 52.0
    success = p.attack_success * war.exposure()
    value = (p.jihadist_attack_value_usd if group.kind == GroupKind.JIHADIST else 0.0) + provoked
    has_kit = war.kits.get(group.unique_id, 0.0) >= 1.0
    out = {}
    for target in TARGETS:
        ied = has_kit and target != "base"
        loot = p.convoy_loot_usd if target == "convoy" else 0.0
        losses = 0.0 if ied else (p.base_assault_losses if target == "base" else p.ambush_losses)
        out[target] = (success * (value + loot), losses * fighter_value, ied)
    return out


def _attack(war, group, target, ied, success, lethality, bases):
    p, model = war.p, war.model
    rng = model.rng
    war.attacks += 1
    if ied:
        war.ied_attacks += 1
        war.kits[group.unique_id] -= 1.0
    if rng.random() < success:
        war.deaths += float(rng.poisson(lethality * (p.ied_lethality if ied else 1.0)))
    if not ied:
        losses = p.base_assault_losses if target == "base" else p.ambush_losses
        dead = min(group.fighters, float(rng.poisson(losses)))
        if dead:
            group.fighters -= dead
            place = bases[int(rng.integers(len(bases)))]
            model.stats.events["combatant_deaths"] += dead
            model.stats.week["deaths"][place] += dead


def plain_step(war, mission, regions, retaliation):
    """``MissionWar.step`` before the kernel, line for line (the reference)."""
    p, model = war.p, war.model
    rng, groups = model.rng, model.armed_groups
    war.attacks = war.ied_attacks = war.deaths = 0.0
    if groups is None:
        return 0.0
    offer = war.opportunities()
    lethality = p.deaths_per_attack * war.exposure()
    success = p.attack_success * war.exposure()
    bases = {r: [int(b) for b in mission.bases if war.region[b] == r] for r in regions.tolist()}
    members = {r: [] for r in regions.tolist()}
    for g in groups.groups:
        for r in dict.fromkeys(g.regions):
            if r in members:
                members[r].append(g)
    for region in regions.tolist():
        provoked_attacks = float(retaliation[np.flatnonzero(war.region == region)].sum())
        local = [g for g in members[region] if g.fighters > 0]
        for g in local:
            scale = p.attack_rate * (g.fighters / max(1, len(g.regions))) / 100.0
            plan = [(t, *v) for t, v in _appraise(war, g, 0.0).items() if not v[0] <= v[1]]
            for target, gain, cost, ied in plan:
                rate = scale * offer[target] * gain / (gain + cost)
                n = int(rng.poisson(rate)) if rate > 0 else 0
                for _ in range(n):
                    _attack(war, g, target, ied, success, lethality, bases[region])
        if provoked_attacks > 0 and local:
            for _ in range(int(rng.poisson(provoked_attacks))):
                g = local[int(rng.integers(len(local)))]
                plan = _appraise(war, g, p.jihadist_attack_value_usd)
                target = max(TARGETS, key=lambda t: plan[t][0] - plan[t][1])
                _attack(war, g, target, plan[target][2], success, lethality, bases[region])
    war._posture()
    return war.deaths


@functools.cache
def _built(seed: int) -> bytes:
    return pickle.dumps(SahelModel(small_config(seed).scenario, seed=seed))


def _state(m: SahelModel) -> tuple:
    """Everything the war's week reads or writes, bits and types."""
    war = m.forces.war
    groups = [(g.unique_id, repr(g.fighters), type(g.fighters)) for g in m.armed_groups.groups]
    kits = sorted((k, repr(v), type(v)) for k, v in war.kits.items())
    scalars = (war.attacks, war.ied_attacks, war.deaths, war.force_protection, war.caveats, war.losses)
    ledger = (repr(m.stats.events["combatant_deaths"]), m.stats.week["deaths"].tobytes())
    return groups, kits, tuple(map(repr, scalars)), ledger, repr(m.rng.bit_generator.state)


def _perturb(m: SahelModel, draw: np.random.Generator, rate: float) -> np.ndarray:
    """The same random changes on each copy: fighters (some none), kits, posture, rates and offensive action."""
    war = m.forces.war
    for g in m.armed_groups.groups:
        roll = draw.random()
        if roll < 0.15:
            g.fighters = 0.0
        elif roll < 0.3:
            g.fighters = float(draw.integers(1, 4))  # few: attacks take the last fighters
        elif roll < 0.5:
            g.fighters = float(draw.uniform(0.0, 3000.0))
        war.kits[g.unique_id] = float(draw.choice([0.0, 0.5, 1.0, 2.0, draw.uniform(0.0, 6.0)]))
    if draw.random() < 0.2:  # a group moves: the kept listing of groups by region must follow
        g = m.armed_groups.groups[int(draw.integers(len(m.armed_groups.groups)))]
        names = sorted(set(war.region.tolist()))
        g.regions = tuple(names[i] for i in draw.integers(0, len(names), int(draw.integers(1, 4))))
    war.force_protection = float(draw.uniform(0.0, 0.9))
    war.caveats = float(draw.uniform(0.0, 0.5))
    scale = float(draw.choice([0.0, 1.0, 10.0, 50.0]))
    war.p = dataclasses.replace(war.p, attack_rate=rate * scale)
    retaliation = np.zeros(m.world.n_places)
    if draw.random() < 0.5:
        places = draw.integers(0, m.world.n_places, int(draw.integers(1, 30)))
        retaliation[places] = draw.uniform(0.0, 1.5, places.size)
    return retaliation


@pytest.mark.parametrize("seed", [0, 1])
def test_the_compiled_war_is_the_plain_form_bit_for_bit(seed):
    """120 weeks a seed of random fighters (none, few, many), kits (none, a fraction, several),
    groups' regions (some repeated), posture, rates (none to 50x) and offensive action: the
    kernel's week equals the plain form's in every result, group, kit, ledger entry and the
    generator's state, bits and types."""
    compiled, plain = pickle.loads(_built(seed)), pickle.loads(_built(seed))
    draws = [np.random.default_rng(1000 + seed), np.random.default_rng(1000 + seed)]
    attacks = fallen = ied = provoked_weeks = 0
    rate = compiled.forces.war.p.attack_rate
    for week in range(120):
        for m, draw in zip((compiled, plain), draws, strict=True):
            retaliation = _perturb(m, draw, rate)
            mission = m.forces.of_kind(ForceKind.MISSION)[0]
            regions = m.forces._base_regions(mission)
            step = m.forces.war.step if m is compiled else functools.partial(plain_step, m.forces.war)
            before = m.stats.events["combatant_deaths"]
            step(mission, regions, retaliation)
        assert _state(compiled) == _state(plain), week
        attacks += compiled.forces.war.attacks
        ied += compiled.forces.war.ied_attacks
        fallen += compiled.stats.events["combatant_deaths"] != before
        provoked_weeks += bool(retaliation.any())
    assert attacks > 500 and ied > 50 and fallen > 20 and provoked_weeks > 30  # every branch was taken


def test_a_week_without_groups_or_with_none_listed_draws_nothing():
    """No armed groups (None) or an empty list: no attack, no draw, the posture still moves."""
    m = pickle.loads(_built(0))
    mission = m.forces.of_kind(ForceKind.MISSION)[0]
    regions = m.forces._base_regions(mission)
    state = repr(m.rng.bit_generator.state)
    m.armed_groups.groups = []
    assert m.forces.war.step(mission, regions, np.ones(m.world.n_places)) == 0.0
    assert m.forces.war.attacks == 0.0 and repr(m.rng.bit_generator.state) == state
    m.armed_groups = None
    assert m.forces.war.step(mission, regions, np.ones(m.world.n_places)) == 0.0


def test_a_negative_mean_is_refused_as_numpy_refuses_it():
    """A negative lethality (parameters outside their checks) raises numpy's ValueError in the
    kernel too, where numba's own Poisson would return 0."""
    compiled, plain = pickle.loads(_built(0)), pickle.loads(_built(0))
    for m in (compiled, plain):
        war = m.forces.war
        war.p = dataclasses.replace(
            war.p, deaths_per_attack=-1.0, attack_rate=war.p.attack_rate * 50, attack_success=1.0
        )
        mission = m.forces.of_kind(ForceKind.MISSION)[0]
        step = war.step if m is compiled else functools.partial(plain_step, war)
        with pytest.raises(ValueError, match="lam < 0"):
            for _ in range(20):
                step(mission, m.forces._base_regions(mission), np.zeros(m.world.n_places))
