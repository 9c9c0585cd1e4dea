"""A kidnapping's draws, a contest's and a punishment's choices in one compiled call each (issue 18, sixteenth pass).

:func:`sim.agents.turn_kernels.kidnap_draws` replaced the numpy glue of ``ArmedGroups.kidnap``
(the ransoms, the places hit, the broker drawn by his ties),
:func:`sim.agents.turn_kernels.contest_target` that of ``ArmedGroups.contest`` after its
candidates (the odds, gains and costs, the best node and its appeal), and
:func:`sim.agents.turn_kernels.punish_target` that of ``ArmedGroups.punish`` (the enemies' kin,
the scores, the community that sides most; whole punishments are checked against the form
before the eleventh pass in ``tests/test_groups11_kernels.py``). The references are the
methods as they were, kept here with numpy's own ``Generator.choice`` where they called
``sim.draws``' copies of it; each case runs both on copies of one model and compares the model
afterwards (the generator's state included) bit for bit.
"""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest
from test_groups11_kernels import _case, _reference_candidates, assert_same_model, compiled_candidates
from test_turn2_kernels import _snapshot

from conftest import frozen_small


@pytest.fixture(scope="module")
def frozen():
    return frozen_small(weeks=6, seed=11)


def broker_ties(groups, group, rows):
    """Ties of crews to a group (0-3): protection bought from its bloc, home in its regions, shared identity.

    ``ArmedGroups.broker_ties`` before the sixteenth pass (M21; 002 §III), now inside
    :func:`turn_kernels.kidnap_draws`.
    """
    crews, model = groups.model.crews, groups.model
    homes = crews.home[rows]
    ties = (crews.bloc[rows] == group.bloc).astype(np.int64)
    ties += groups._in_regions(group.regions)[groups.place_region[homes]].astype(np.int64)
    if model.communities is not None:
        ties += (model.communities.identity_at(homes) == group.identity).astype(np.int64)
    return ties


def _reference_kidnap(self, group, n):
    """``ArmedGroups.kidnap`` before the sixteenth pass, ``n`` hostages drawn."""
    from sim import libm

    p, model = self.p, self.model
    if n == 0:
        return
    self.events["kidnappings"] += n
    ransom = float(model.rng.exponential(p.ransom_usd, size=n).sum())
    places = self._region_places(group)
    if len(places):
        model.territory.violence[model.rng.choice(places, size=n)] += 1.0
    brokers = model.crews.alive_rows()
    kinds = model.crews.kind[brokers]
    brokers = brokers[kinds != 0]
    if len(brokers):
        ties = broker_ties(self, group, brokers)
        weights = libm.power(p.broker_tie_odds, ties)
        with np.errstate(invalid="ignore"):  # weights summing to zero: choice raises on the NaN
            k = int(model.rng.choice(len(brokers), p=weights / weights.sum()))
        broker = int(brokers[k])
        self.events["ransoms_brokered"] += 1
        self.events["brokers_tied"] += int(ties[k] > 0)
        self.events["brokers_tied_by_chance"] += np.count_nonzero(ties) / len(ties)
        cut = p.broker_share * ransom
        model.ledger.pay("ransom_brokerage", "ransom_payers", "traffickers", cut)
        model.crews.cols["cash"][broker] += cut
        if model.crews.make_broker(broker, model.week_index + p.broker_weeks, hostages=n):
            self.events["brokers_spared"] += 1
        ransom -= cut
    self._earn(group, "kidnapping", ransom, "ransom_payers", model.ledger)


def _kidnap_case(frozen, seed):
    """A model whose crews' kinds, blocs and homes, the groups' regions and the tie odds vary with ``seed``."""
    m = pickle.loads(frozen)
    rng = np.random.default_rng(seed)
    crews, groups = m.crews, m.armed_groups
    rows = crews.alive_rows()
    crews.kind[rows] = rng.choice([0, 0, 1, 2], size=len(rows))
    if seed % 5 == 4:
        crews.kind[rows] = 0  # no crew to broker
    crews.bloc[rows] = rng.choice([-1, *sorted({g.bloc for g in groups.groups})], size=len(rows))
    crews.home[rows] = rng.choice(m.world.n_places, size=len(rows))  # homes abroad and without a community too
    odds = float(rng.choice([5.0, 1.0, 2.5, 0.0]))
    groups.p = dataclasses.replace(groups.p, broker_tie_odds=odds, ransom_usd=float(rng.choice([1e5, 3e6])))
    if seed % 4 == 3:
        groups.groups[seed % len(groups.groups)].regions = ()  # no places to take hostages in
    if seed % 6 == 5:
        m.communities = None
    if seed % 8 == 7:  # every broker tied to the first group, at odds 0: weights summing to zero
        crews.bloc[rows] = groups.groups[0].bloc
        groups.p = dataclasses.replace(groups.p, broker_tie_odds=0.0)
    m.rng = np.random.default_rng(seed + 3)
    return m


def test_kidnaps_are_the_numpy_form(frozen):
    """40 cases, every group kidnaps 1 to 12 hostages: the same model, generator and events, or the same error."""
    seen = {"brokered": 0, "tied": 0, "unbrokered": 0, "raised": 0, "no_communities": 0}
    for seed in range(40):
        models, errors = [], []
        for reference in (True, False):
            m = _kidnap_case(frozen, seed)
            groups = m.armed_groups
            before = dict(groups.events)
            try:
                for i, group in enumerate(groups.groups):
                    n = (1, 2, 3, 8, 9, 12)[(i + seed) % 6]
                    if reference:
                        _reference_kidnap(groups, group, n)
                    else:
                        groups.kidnap(group, n)
            except ValueError as error:
                errors.append(type(error))
            models.append(m)
        ref, new = models
        assert len(errors) in (0, 2), seed  # both raise (weights summing to zero) or neither
        seen["raised"] += len(errors) == 2
        assert_same_model(new, ref, seed, snapshot=_snapshot_without_communities)
        events = {k: v - before[k] for k, v in new.armed_groups.events.items()}
        seen["brokered"] += events["ransoms_brokered"]
        seen["tied"] += events["brokers_tied"]
        seen["unbrokered"] += events["kidnappings"] > 0 and events["ransoms_brokered"] == 0
        seen["no_communities"] += new.communities is None
    assert all(seen.values()), seen


def _snapshot_without_communities(m):
    """:func:`_snapshot`, for a model that may have no communities."""
    if m.communities is not None:
        return _snapshot(m)
    communities, m.communities = m.communities, type("Empty", (), {"cols": {}})()
    try:
        return _snapshot(m)
    finally:
        m.communities = communities


def _reference_target(self, group, candidates=compiled_candidates):
    """``ArmedGroups.contest``'s choice before the sixteenth pass: the odds in numpy after the compiled candidates.

    Returns its node, odds, defence, openness, holder and appeal (numpy's types), or ``None``
    where it returned before (nothing within reach, no strength).
    """
    from sim import libm

    p = self.p
    reach, defence, open_, holders = candidates(self, group)
    if not len(reach) or group.strength <= 0:
        return None
    committed = min(p.commit_share * group.strength, p.unit_size)
    gamma = p.contest_exponent
    strength = float(committed) ** gamma
    win = np.where(open_, 1.0, strength / (strength + libm.power(np.maximum(defence, 1e-9), gamma)))
    gain = win * (self.rent[reach] + 1.0)
    cost = np.where(open_, 0.0, p.clash_loss * committed * (1 - win) * p.wage_usd * 52.0)
    best = int(np.argmax(gain - cost))
    appeal = gain[best] / max(gain[best] + cost[best], 1e-12)
    return committed, reach[best], win[best], defence[best], open_[best], holders[best], appeal


def _reference_contest(self, group, u=None, candidates=compiled_candidates):
    """``ArmedGroups.contest`` before the sixteenth pass (with the Python candidates: before the eleventh)."""
    p, model, territory = self.p, self.model, self.model.territory
    if u is None:
        u = model.rng.random()
    if u >= p.attack_rate:
        return
    found = _reference_target(self, group, candidates)
    if found is None:
        return
    committed, node, win, defence, open_, holder, appeal = found
    if u >= p.attack_rate * appeal:
        return
    if open_:
        territory.holder[int(node)] = group.index
        return
    rival = self.groups[int(holder)] if holder >= 0 else None
    self._clash(group, rival, int(node), float(win), committed, float(defence))


def _contest_model(frozen, seed):
    """A model of :func:`test_groups11_kernels._case` with the contest's exponent, losses, units and rents varied."""
    m = _case(frozen, seed)
    groups = m.armed_groups
    rng = np.random.default_rng(seed)
    gamma = float((1.0, 0.5, 2.0, 0.0, 1.7, 0.3)[seed % 6])
    groups.p = dataclasses.replace(
        groups.p, attack_rate=1.0, contest_exponent=gamma, clash_loss=float(rng.choice([0.2, 0.0, 2.0]))
    )
    if seed % 3 == 1:  # units large enough that the committed fighters are a share of the group's
        groups.p = dataclasses.replace(groups.p, unit_size=1e6)
    groups.rent[:] = rng.choice([0.0, 10.0, 5e4, 1e9], size=len(groups.rent))
    if seed % 10 == 7:
        groups.rent[rng.integers(len(groups.rent))] = np.nan
    m.rng = np.random.default_rng(seed + 7)
    return m


def test_the_compiled_choice_is_the_numpy_odds(frozen):
    """60 cases, every group: the same fighters committed, node, odds, defence, openness, holder and appeal."""
    seen = {"open": 0, "contested": 0, "none": 0, "nan": 0, "a_share": 0}
    for seed in range(60):
        m = _contest_model(frozen, seed)
        groups = m.armed_groups
        for group in groups.groups:
            ref, found = _reference_target(groups, group), groups._contest_target(group)
            if ref is None:
                assert found is None or found[1] == -1, seed
                seen["none"] += 1
                continue
            committed, node, win, defence, open_, holder, appeal = found
            assert (node, open_, holder) == (int(ref[1]), bool(ref[4]), int(ref[5])), seed
            got = [float(x).hex() for x in (committed, win, defence, appeal)]
            assert got == [float(x).hex() for x in (ref[0], *ref[2:4], ref[6])], seed
            assert type(committed) is type(ref[0]), seed  # as min() returned it
            seen["open" if open_ else "contested"] += 1
            seen["nan"] += appeal != appeal
            seen["a_share"] += committed < groups.p.unit_size
    assert all(seen.values()), seen


def test_contests_are_the_numpy_odds(frozen):
    """60 cases over the contest exponents numpy treats apart (0, 0.5, 1, 2) and others: the same model."""
    seen = {"clashes": 0, "taken": 0}
    for seed in range(60):
        models = []
        for reference in (True, False):
            m = _contest_model(frozen, seed)
            groups = m.armed_groups
            holders_before = m.territory.holder.copy()
            for group in groups.groups:
                if reference:
                    _reference_contest(groups, group)
                else:
                    groups.contest(group)
            models.append(m)
        ref, new = models
        assert_same_model(new, ref, seed)
        seen["clashes"] += new.armed_groups.events["clashes"]
        seen["taken"] += int((new.territory.holder != holders_before).sum())
    assert all(seen.values()), seen


def _reference_punish_target(self, group, places, ident):
    """``ArmedGroups.punish``'s choice before the sixteenth pass: position, score and grudge (numpy's types)."""
    from sim.identity import IDENTITIES

    communities = self.model.communities
    side_state = communities.trust_at(places) if self.hostile(group, None) else np.zeros(len(places))
    enemy_kin = np.zeros(len(IDENTITIES))
    regions, hostile = set(group.regions), self._hostility()[group.index].tolist()
    for g in self.groups:
        if g.fighters > 0 and g is not group and hostile[g.index] and not regions.isdisjoint(g.regions):
            enemy_kin[g.identity] = 1.0
    grudge = self.grudge[group.identity, ident]
    with np.errstate(invalid="ignore"):  # an infinite grudge: inf / inf
        score = np.maximum.reduce([side_state, enemy_kin[ident], grudge / (1.0 + grudge)])
    best = int(np.argmax(score))
    return best, score[best], grudge[best]


def test_the_compiled_punishment_choice_is_the_numpy_form(frozen):
    """60 cases (deals, regions shared or not, grudges, trust, NaN): the same community, score and grudge."""
    seen = {"state": 0, "kin": 0, "grudge": 0, "nan": 0}
    for seed in range(0, 120, 2):  # even seeds: no region named twice (a zone's places must be distinct)
        m = _case(frozen, seed)
        groups = m.armed_groups
        rng = np.random.default_rng(seed)
        groups.grudge[:] = rng.choice([0.0, 0.0, 0.5, 3.0, np.inf], size=groups.grudge.shape)
        m.communities.cols["trust"][:] = rng.choice([0.1, 0.5, 0.9, np.nan], size=len(m.communities.cols["trust"]))
        for group in groups.groups:
            places, ident = groups._outsiders(group)
            if not len(places):
                continue
            ref = _reference_punish_target(groups, group, places, ident)
            best, score, grudge = groups._punish_target(group, places, ident)
            assert (best, float(score).hex(), float(grudge).hex()) == (ref[0], float(ref[1]).hex(), float(ref[2]).hex())
            seen["state"] += groups.hostile(group, None)
            seen["grudge"] += bool(grudge > 0)
            seen["nan"] += score != score
            seen["kin"] += bool(score == 1.0)
    assert all(seen.values()), seen


def _python_candidates(groups, group):
    """The candidates before the eleventh pass, as ``contest`` took them (holders by index)."""
    reach, defence, open_, rivals = _reference_candidates(groups, group)
    return reach, defence, open_, np.array([-1 if r is None else r.index for r in rivals], dtype=np.int64)


def test_contests_are_the_form_before_the_eleventh_pass(frozen):
    """30 cases, every group contests: the same model, events and generator as with the Python candidates
    (the reach as a set, the garrisons and hostility per node) and the odds in numpy."""
    clashes = 0
    for seed in range(30):
        models = []
        for reference in (True, False):
            m = _case(frozen, seed)
            m.armed_groups.p = dataclasses.replace(m.armed_groups.p, attack_rate=1.0)
            m.rng = np.random.default_rng(seed + 7)
            for group in m.armed_groups.groups:
                if reference:
                    _reference_contest(m.armed_groups, group, candidates=_python_candidates)
                else:
                    m.armed_groups.contest(group)
            models.append(m)
        ref, new = models
        assert_same_model(new, ref, seed)
        clashes += new.armed_groups.events["clashes"]
    assert clashes > 0
