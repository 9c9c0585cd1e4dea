"""The candidates of a group's contest in one compiled call (issue 18, eleventh pass).

:func:`sim.agents.turn_kernels.contest_candidates` replaced the Python form of
``ArmedGroups.contest``'s reach (a set of the regions' places and the neighbours of the nodes the
group holds), ``_garrison`` per node and ``hostile`` per holder. The reference: that form, kept
here, on model cases with garrisons, cleared ground, deals, NaN and missing arms, no forces; and
whole contests (the model, its events and its generator) against the method as it was.
"""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest
from test_turn2_kernels import _snapshot

from conftest import frozen_small


@pytest.fixture(scope="module")
def frozen():
    return frozen_small(weeks=6, seed=11)


def assert_same_model(new, ref, seed, snapshot=_snapshot):
    """Two models after the same steps: the generator's state, snapshot, holders, violence, feuds, grudges, events."""
    assert new.rng.bit_generator.state == ref.rng.bit_generator.state, seed
    assert snapshot(new) == snapshot(ref), seed
    np.testing.assert_array_equal(new.territory.holder, ref.territory.holder, str(seed))
    assert new.territory.violence.tobytes() == ref.territory.violence.tobytes(), seed
    assert new.armed_groups.feud.tobytes() == ref.armed_groups.feud.tobytes(), seed
    assert new.armed_groups.grudge.tobytes() == ref.armed_groups.grudge.tobytes(), seed
    assert new.armed_groups.events == ref.armed_groups.events, seed


def compiled_candidates(groups, group):
    """The candidates ``ArmedGroups.contest`` weighs, as :func:`turn_kernels.contest_target` takes them."""
    from sim.agents import turn_kernels

    return turn_kernels.contest_candidates(*groups._contest_args(group))


def _reference_candidates(groups, group):
    """``contest``'s candidates before the eleventh pass: reach, defence, open, rivals (``None``: the state)."""
    from sim.agents.armed_group import GroupKind

    territory = groups.model.territory
    own = group.places
    reach = set(groups._region_places(group).tolist())
    for node in own.tolist():
        reach.update(groups.neighbours[node].tolist())
    reach = np.array(sorted(reach.difference(own.tolist())), dtype=np.int64)
    reach = reach[groups.contestable[reach]]
    holders = territory.holder[reach]
    rivals = [groups.groups[h] if h >= 0 else None for h in holders.tolist()]
    defence = np.array([groups._garrison(r, int(n)) for r, n in zip(rivals, reach, strict=True)])
    open_ = (holders < 0) & (defence <= 0)
    hostile = np.array(
        [
            groups.hostile(group, r) if r is not None else (d > 0 and group.kind == GroupKind.JIHADIST)
            for r, d in zip(rivals, defence, strict=True)
        ],
        dtype=bool,
    )
    ok = open_ | hostile
    return reach[ok], defence[ok], open_[ok], [r for r, k in zip(rivals, ok.tolist(), strict=True) if k]


def _case(frozen, seed):
    """A small model with the holders, garrisons, cleared ground, arms and deals varied by ``seed``."""
    m = pickle.loads(frozen)
    rng = np.random.default_rng(seed)
    groups, territory = m.armed_groups, m.territory
    live = [g for g in groups.groups if g.fighters > 0]
    contestable = np.flatnonzero(groups.contestable)
    for node in rng.choice(contestable, size=len(contestable) // 3, replace=False).tolist():
        territory.holder[node] = int(rng.choice([-1, *[g.index for g in live]]))
    if m.forces is not None:
        m.forces.garrison[:] = rng.choice([0.0, 0.0, 5.0, 40.0, 1e-300, np.nan], size=len(m.forces.garrison))
    territory.cleared[:] = rng.choice([0.0, 0.0, 2.0], size=len(territory.cleared))
    for g in groups.groups:
        g.arms = float(rng.choice([0.0, g.arms, np.nan, rng.random() * g.fighters, 3.0 * g.fighters]))
        if seed % 4 == 1:
            g.fighters = np.float64(g.fighters)  # numpy scalars
    g = live[seed % len(live)]
    g.fighters = float(rng.choice([0.0, g.fighters, 1e-300]))
    if seed % 3 == 0:  # a local peace deal (M11)
        m.levers.deals = [frozenset(int(i) for i in rng.choice([g.index for g in live], size=3, replace=False))]
    if seed % 5 == 2:
        m.forces = None
    if seed % 2:  # a region named twice and one abroad
        h = groups.groups[seed % len(groups.groups)]
        h.regions = (*h.regions, h.regions[0], "Abroad") if h.regions else ("Abroad",)
    groups._held_count = np.bincount(territory.holder[territory.holder >= 0], minlength=len(groups.groups))
    if seed % 7 == 3:
        groups._held_count = groups._held_count[:-1]  # a group added since the count
    groups.p = dataclasses.replace(groups.p, unit_size=float(rng.choice([groups.p.unit_size, 1.0, 0.0])))
    return m


def test_the_compiled_candidates_are_the_python_form(frozen):
    """40 cases, every group: the same nodes, defences (bit for bit), openness and holders."""
    seen = {"open": 0, "state": 0, "group": 0, "empty": 0}
    for seed in range(40):
        m = _case(frozen, seed)
        groups = m.armed_groups
        for group in groups.groups:
            reach, defence, open_, holders = compiled_candidates(groups, group)
            ref_reach, ref_defence, ref_open, ref_rivals = _reference_candidates(groups, group)
            np.testing.assert_array_equal(reach, ref_reach, str(seed))
            assert reach.dtype == ref_reach.dtype and open_.dtype == ref_open.dtype
            assert defence.tobytes() == np.asarray(ref_defence, dtype=np.float64).tobytes(), seed
            np.testing.assert_array_equal(open_, ref_open, str(seed))
            assert [groups.groups[h] if h >= 0 else None for h in holders.tolist()] == ref_rivals, seed
            seen["empty"] += not len(reach)
            seen["open"] += int(open_.sum())
            seen["state"] += sum(r is None and not o for r, o in zip(ref_rivals, open_.tolist(), strict=True))
            seen["group"] += sum(r is not None for r in ref_rivals)
    assert all(seen.values()), seen


def _reference_punish(self, group, u=None):
    """``ArmedGroups.punish`` before the eleventh pass: the enemies' kin by ``hostile`` over ``active``."""
    from sim.agents.armed_group import IDENTITIES

    p, model = self.p, self.model
    communities = model.communities
    if communities is None or p.civilian_attack_rate <= 0:
        return
    if u is None:
        u = model.rng.random()
    if u >= p.civilian_attack_rate:
        return
    places, ident = self._outsiders(group)
    if not len(places):
        return
    state = self.hostile(group, None)
    side_state = communities.trust_at(places) if state else np.zeros(len(places))
    enemy_kin = np.zeros(len(IDENTITIES))
    regions = set(group.regions)
    for g in self.active:
        if g is not group and self.hostile(group, g) and regions.intersection(g.regions):
            enemy_kin[g.identity] = 1.0
    grudge = self.grudge[group.identity, ident]
    score = np.maximum.reduce([side_state, enemy_kin[ident], grudge / (1.0 + grudge)])
    best = int(np.argmax(score))
    if u >= p.civilian_attack_rate * score[best]:
        return
    place = int(places[best])
    deaths = float(model.rng.poisson(p.civilian_attack_deaths * model.civilian_shield(place)))
    displaced = deaths * p.displaced_per_death
    st = model.stats
    st.events["civilian_deaths"] += deaths
    st.week["civilian_deaths"][place] += deaths
    st.week["deaths"][place] += deaths
    st.week["displaced"][place] += displaced
    model.territory.violence[place] += deaths
    self.events["civilian_attacks"] += 1
    if grudge[best] > 0 and score[best] == grudge[best] / (1.0 + grudge[best]):
        self.events["reprisals"] += 1
    self.grudge[ident[best], group.identity] += 1.0
    rows = communities.row_of_place[np.array([place])]  # Communities.suffer, as it was
    np.add.at(communities.cols["threat"], rows[rows >= 0], np.array([1.0])[rows >= 0])


def test_punishments_are_the_python_form(frozen):
    """30 cases (deals, no fighters, numpy scalars, grudges), every group punishes: the same model and generator."""
    attacks = 0
    for seed in range(0, 60, 2):  # even seeds: no region named twice (a zone's places must be distinct)
        models = []
        for punish in (_reference_punish, None):
            m = _case(frozen, seed)
            groups = m.armed_groups
            groups.p = dataclasses.replace(groups.p, civilian_attack_rate=1.0)
            groups.grudge[:] = np.random.default_rng(seed).choice([0.0, 0.0, 0.5, 3.0], size=groups.grudge.shape)
            m.rng = np.random.default_rng(seed + 9)
            for group in groups.groups:
                if punish is None:
                    groups.punish(group)
                else:
                    punish(groups, group)
            models.append(m)
        ref, new = models
        assert_same_model(new, ref, seed)
        attacks += new.armed_groups.events["civilian_attacks"]
    assert attacks > 0
