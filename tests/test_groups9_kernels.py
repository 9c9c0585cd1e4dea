"""The armed groups' Python glue of the ninth pass against the forms it replaced (issue 18).

``_fragment`` skips the calls that draw nothing and draws the switch's chance itself; the
reference calls the three methods for each active group. ``_enemies``, ``contest`` and ``punish``
keep their arithmetic; the whole-phase references of ``tests/test_groups7_kernels.py`` and the
golden baseline check those.
"""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest

from conftest import frozen_small


@pytest.fixture(scope="module")
def frozen():
    return frozen_small(weeks=6, seed=5)


def _case(frozen, seed):
    """A model whose splits, rebrands and switches (rates set by ``seed``) come up, NaN included."""
    m = pickle.loads(frozen)
    rng = np.random.default_rng(seed)
    groups = m.armed_groups
    groups.p = dataclasses.replace(
        groups.p,
        split_rate=float(rng.choice([0.0, 0.5, 50.0])),
        rebrand_rate=float(rng.choice([0.0, 0.5, 5.0])),
        switch_rate=float(rng.choice([0.0, 0.3, 1.0, np.nan])),
        switch_gain=float(rng.choice([groups.p.switch_gain, -1.0])),
        max_groups=int(rng.choice([groups.p.max_groups, len(groups.groups)])),
    )
    for g in groups.groups:
        g.ct_pressure = float(rng.choice([0.0, -0.0, 0.5, 2.0, np.nan]))
    if seed % 3 == 0:  # nodes worth far more alone than inside: commanders split off
        groups.rent = groups.rent + 1e7 * groups.contestable
    m.rng = np.random.default_rng(seed + 700)
    return m


def _reference_fragment(groups):
    """``_fragment`` as it was: each active group's split, rebrand and switch, each method drawing for itself."""
    rng, holder = groups.model.rng, groups.model.territory.holder
    held = np.bincount(holder[holder >= 0], minlength=len(groups.groups)).tolist()
    for group in list(groups.active):
        if len(groups.groups) < groups.p.max_groups:
            if held[group.index] >= 2:
                groups._maybe_split(group, rng)
            groups._maybe_rebrand(group, rng)
        groups._maybe_switch(group, rng)


def _state(m):
    groups = m.armed_groups
    rows = [(g.name, g.bloc, g.kind, g.fighters, g.funds, g.arms, g.ct_pressure, g.regions) for g in groups.groups]
    return rows, m.territory.holder.tolist(), dict(groups.events), m.rng.bit_generator.state


@pytest.mark.parametrize("seed", range(12))
def test_fragment_matches_the_method_calls(frozen, seed):
    new, old = _case(frozen, seed), _case(frozen, seed)
    new.armed_groups._fragment()
    _reference_fragment(old.armed_groups)
    got, want = _state(new), _state(old)
    assert repr(got) == repr(want)  # repr: NaN pressures compare equal, -0.0 differs from 0.0


def test_the_cases_exercise_every_branch(frozen):
    """Across the cases some group splits, rebrands and switches, and a NaN rate switches too."""
    seen = dict.fromkeys(("group_splits", "rebrands", "alliance_switches"), 0)
    for seed in range(12):
        m = _case(frozen, seed)
        m.armed_groups._fragment()
        for key in seen:
            seen[key] += m.armed_groups.events[key]
    assert all(seen.values()), seen
