"""The eleventh pass's kept values (issue 18, docs/performance-log.md "state11") against the values taken afresh.

Each value the officials, the forces and the mission war now keep between weeks is compared bit
for bit with the value computed again after each of several weeks, and a change of its inputs
must be seen.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from sim.agents import war_kernels


def _same(a, b) -> bool:
    """Equal bits: the same values, NaN where NaN, the same sign of every zero."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


@pytest.fixture(scope="module")
def model():
    from sim.model import SahelModel
    from sim.params import ScenarioConfig

    m = SahelModel(ScenarioConfig(supply_scale=0.1, burn_in_weeks=2), seed=7)
    m.run_for(3)
    return m


def test_kept_duty_posts_are_the_posts_read_afresh(model):
    """The posts of the officials on duty, kept from the build, are those read again after each week."""
    m = copy.deepcopy(model)
    off = m.officials
    for _ in range(3):
        m.step()
        assert _same(off.duty_posts, off.post[off.duty])


def test_kept_mission_tasks_equal_tasks_taken_afresh(model):
    """The mission's task weights, cutoff and total, kept, are those taken again; a new lever is seen."""
    from sim.agents.force import OTHER_TASK_WEIGHTS

    m = copy.deepcopy(model)
    forces, levers = m.forces, m.levers

    def fresh():
        weights = forces._task_weights(levers)
        return weights, forces._main_task_cutoff(weights), sum(weights.values()) + sum(OTHER_TASK_WEIGHTS)

    for _ in range(2):
        m.step()
        assert forces._tasks(levers) == fresh()
    levers.mission_oc_weight = 0.95
    assert forces._tasks(levers) == fresh()
    assert forces._tasks(levers)[0]["oc"] == 0.95


def test_kept_war_terms_equal_terms_taken_afresh(model):
    """The mission war's terms, kept while force protection stays, are those taken again; a new posture is seen."""
    m = copy.deepcopy(model)
    war = m.forces.war
    p = war.p

    def fresh():
        exposure = war.exposure()
        fighter_value = m.params.armed_groups.wage_usd * 52.0
        return war_kernels.terms(p, p.attack_success * exposure, p.deaths_per_attack * exposure, fighter_value)

    for _ in range(3):
        m.step()
        assert _same(war._terms(), fresh())
    before = war._terms().copy()
    war.force_protection = min(1.0, war.force_protection + 0.25)
    assert _same(war._terms(), fresh())
    assert not _same(war._terms(), before)


def test_trade_shares_equal_the_expression_they_replaced(model):
    """The groups' trade shares (the sum skipped without revenue or fighters) are the former expression's bits."""
    from sim.knowledge import TRADE_SOURCES

    m = copy.deepcopy(model)
    knowledge, groups = m.knowledge, m.armed_groups.groups
    groups[0].revenue = {}  # no revenue at all
    groups[1].fighters = 0.0  # revenue but no fighters
    for _ in range(2):
        knowledge._group_inputs()
        for g in groups:
            total = sum(g.revenue.values())
            trade = sum(g.revenue.get(s, 0.0) for s in TRADE_SOURCES)
            expected = trade / total if total > 0 and g.fighters > 0 else 0.0
            assert _same(knowledge.trade_share[g.index], np.float64(expected))
        m.step()
    assert (knowledge.trade_share > 0).any()


def test_the_neighbours_rates_abroad_are_copied_when_they_move(model):
    """The officials' rates abroad are the neighbours' after every week, whether or not they were copied again."""
    m = copy.deepcopy(model)
    off = m.officials
    abroad, rates, nb = off._abroad, off.rates, off.neighbours

    def matches():
        return (
            _same(rates.seize[abroad], nb.rates.seize[abroad])
            and _same(rates.settle[abroad], nb.rates.settle[abroad])
            and _same(rates.closed, nb.rates.closed)
        )

    for _ in range(2):
        m.step()
        assert matches()
    before = rates.seize[abroad].copy()
    m.levers.inspection[abroad] = 3.0  # the neighbours inspect harder: their rates move
    off.update()
    assert matches()
    assert not _same(rates.seize[abroad], before)


@pytest.mark.parametrize("values", [[], [0.0, -0.0], [0.0, np.nan], [0.0, 1e-300], [-2.0]])
def test_the_glue_without_numpys_wrappers_reads_the_same(values):
    """``count_nonzero`` is ``any``, ``nonzero()[0]`` is ``flatnonzero`` on a row (zeros of both signs, NaN)."""
    row = np.array(values, dtype=np.float64)
    assert bool(np.count_nonzero(row)) == bool(row.any())
    assert _same(row.nonzero()[0], np.flatnonzero(row))
