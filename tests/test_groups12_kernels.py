"""The armed groups' loop of turns with fewer stops and less glue (issue 18, twelfth pass).

``ArmedGroups._fix_early`` takes the phase's first appraisal's terms (``_phase_fixed``) before
the first batch, where :func:`sim.agents.turn_kernels.group_turns` used to stop for them and
resume. The references: the same phase with the loop stopping for them (the form before), and the
terms taken afresh after the phase (nothing in the phase moves them).
"""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest
from test_turn2_kernels import _snapshot, _value

from conftest import frozen_small


@pytest.fixture(scope="module")
def frozen():
    return frozen_small(weeks=6, seed=12)


def _case(frozen, seed):
    """A model whose groups appraise often, with kidnappings, punishments and attacks set by ``seed``."""
    m = pickle.loads(frozen)
    rng = np.random.default_rng(seed)
    groups = m.armed_groups
    groups.p = dataclasses.replace(
        groups.p,
        kidnap_rate_other=float(rng.choice([0.0, 0.5, 2.0])),
        kidnap_rate_jihadist=float(rng.choice([0.0, 0.5, 2.0])),
        civilian_attack_rate=float(rng.choice([0.0, 0.3, 1.0])),
        attack_rate=float(rng.choice([0.0, 0.3, 1.0])),
        appraise_weeks=int(rng.choice([0, 1, 2, 3])),
        leave_share=float(rng.choice([groups.p.leave_share, 0.6, 0.99])),
        enter_share=float(rng.choice([groups.p.enter_share, 0.0])),
    )
    m.week_index += seed % 3
    for i, g in enumerate(g for g in groups.groups if g.fighters > 0):
        g.arms = float(rng.choice([0.0, 0.5, 1.0, 3.0])) * g.fighters
        if seed % 4 == 1 and i % 3 == 0:
            g.fighters = np.float64(g.fighters)
    if seed % 3 == 0:  # a local peace deal (M11)
        live = [g.index for g in groups.groups if g.fighters > 0]
        m.levers.deals = [frozenset(int(i) for i in rng.choice(live, size=min(3, len(live)), replace=False))]
    m.rng = np.random.default_rng(seed + 1200)
    return m


def _terms(t):
    return [_value(x) for x in (t.rents, t.absent, t.licit, t.state, t.community_region)]


def test_the_terms_taken_early_give_the_phase_the_loop_gave_stopping_for_them(frozen):
    """40 phases, three weeks each: the same model (values, types, ledger, generator) with and without it."""
    from sim.agents import armed_group
    from sim.agents import turn_kernels as k
    from sim.agents.armed_group import ArmedGroups

    proxy, kernel, fix_early = armed_group.turn_kernels, k.group_turns, ArmedGroups._fix_early
    calls = {"early": 0, "stopping": 0, "resumed": 0, "taken": 0}

    def counting(key):
        def watch(*args):
            calls[key] += 1
            calls["resumed"] += args[-1] >= 0
            return kernel(*args)

        return watch

    def taking(self, due):
        empty = self.__dict__.get("_fixed") == {}
        fix_early(self, due)
        calls["taken"] += empty and bool(self._fixed)

    for seed in range(40):
        ref, new = _case(frozen, seed), _case(frozen, seed)
        for week in range(3):
            proxy.group_turns = counting("stopping")
            ArmedGroups._fix_early = lambda self, due: None
            try:
                ref.armed_groups.step()
            finally:
                proxy.group_turns, ArmedGroups._fix_early = kernel, fix_early
            proxy.group_turns = counting("early")
            ArmedGroups._fix_early = taking
            try:
                new.armed_groups.step()
            finally:
                proxy.group_turns, ArmedGroups._fix_early = kernel, fix_early
            assert new.rng.bit_generator.state == ref.rng.bit_generator.state, (seed, week)
            assert _snapshot(new) == _snapshot(ref), (seed, week)
            assert [g.regions for g in new.armed_groups.groups] == [g.regions for g in ref.armed_groups.groups]
            assert _value(new.ledger.turnover) == _value(ref.ledger.turnover), (seed, week)
            for m in (ref, new):
                m.armed_groups.end_week()
    assert calls["taken"] and calls["resumed"], calls
    assert calls["early"] < calls["stopping"], calls  # fewer compiled calls: no stop for the terms


def test_the_terms_taken_early_are_those_taken_afresh_after_the_phase(frozen):
    """20 phases: the terms taken early equal ``_phase_fixed`` outside the phase, and follow a change of rents."""
    from sim.agents.armed_group import ArmedGroups

    seen = []
    phase_fixed = ArmedGroups._phase_fixed

    def keep(self):
        terms = phase_fixed(self)
        seen.append(terms)
        return terms

    def terms_taken(groups):
        """The terms the phase took, in order, with ``_phase_fixed`` watched."""
        seen.clear()
        ArmedGroups._phase_fixed = keep
        try:
            groups.step()
        finally:
            ArmedGroups._phase_fixed = phase_fixed
        return list(seen)

    for seed in range(20):
        m = _case(frozen, seed)
        groups = m.armed_groups
        groups.p = dataclasses.replace(groups.p, appraise_weeks=1)
        taken = terms_taken(groups)
        assert taken, seed
        first = _terms(taken[0])
        assert first == _terms(groups._phase_fixed()), seed
        # A change of an input between phases (end_week moves the rents) is taken in the next phase.
        groups.rent_week += 1000.0
        groups.end_week()
        taken = terms_taken(groups)
        assert _terms(taken[0]) == _terms(groups._phase_fixed()), seed
        assert _terms(taken[0])[0] != first[0], seed


def test_the_groups_state_is_the_array_of_tuples():
    """3,000 random lists of groups: the same float64 rows as the list of tuples it replaced (NaN, -0.0, types)."""
    from types import SimpleNamespace

    from sim.agents.armed_group import _group_state

    rng = np.random.default_rng(12)
    specials = [np.nan, -0.0, 0.0, np.inf, 1e-300, 5e-324, 1e308]
    kinds = [float, np.float64, np.float32, int, np.int64]

    def value():
        x = float(rng.choice(specials)) if rng.random() < 0.2 else float(rng.normal(0.0, 1e3))
        kind = kinds[int(rng.integers(len(kinds)))]
        if kind in (int, np.int64):
            return kind(round(x)) if np.isfinite(x) and abs(x) < 1e15 else float(x)
        return kind(x)

    for _ in range(3000):
        groups = [
            SimpleNamespace(fighters=value(), funds=value(), revenue_ema=value(), arms=value())
            for _ in range(int(rng.integers(1, 30)))
        ]
        ref = np.array([(g.fighters, g.funds, g.revenue_ema, g.arms) for g in groups], dtype=np.float64)
        new = _group_state(groups)
        assert new.dtype == ref.dtype and new.shape == ref.shape and new.flags.c_contiguous
        assert new.tobytes() == ref.tobytes()
