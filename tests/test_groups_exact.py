"""The armed groups', forces' and communities' faster forms give the plain forms' numbers (issue 18).

Each test runs the fast form and a plain reference (the library call it stands in for, or the
lookup it keeps) on the same inputs and asserts bit-equal results and the same generator state.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import small_config
from sim.draws import choose_index, choose_many
from sim.model import SahelModel


@pytest.fixture(scope="module")
def model():
    m = SahelModel(small_config(2, burn_in_weeks=8).scenario, seed=2)
    for _ in range(10):
        m.step()
    return m


def test_choose_index_and_choose_many_draw_what_generator_choice_draws():
    """One index by weights and uniform picks with replacement: the same values, and the stream goes on the same."""
    for seed in range(500):
        r = np.random.default_rng(seed)
        k, n = int(r.integers(1, 30)), int(r.integers(1, 6))
        weights = r.random(k) * (r.random(k) > 0.3)
        weights[r.integers(k)] += 0.1
        p, a = weights / weights.sum(), r.integers(0, 500, size=k)
        plain, fast = np.random.default_rng(seed + 1000), np.random.default_rng(seed + 1000)
        assert int(plain.choice(k, p=p)) == choose_index(fast, p)
        assert np.array_equal(plain.choice(a, size=np.int64(n)), choose_many(fast, a, np.int64(n)))
        assert plain.random() == fast.random()
    with pytest.raises(ValueError, match="sum to 1"):
        choose_index(np.random.default_rng(0), np.zeros(3))


def _taxed_plainly(groups, group):
    """The rows a group taxes, looked up as tax_communities did before they were kept for the phase."""
    c = groups.model.communities
    holders = groups.model.territory.holder[c.place[c.rows]]
    zone = groups._zone(group)
    return c.rows[holders == group.index], zone.rows[holders[zone.rows] != group.index]


def test_taxed_rows_kept_for_the_phase_follow_places_that_change_hands(model):
    """The kept rows equal a fresh lookup, before and after a place changes hands mid-phase."""
    groups, holder = model.armed_groups, model.territory.holder
    groups._fixed = {}  # as during the groups' phase
    try:
        g = max(groups.active, key=lambda g: len(groups._zone(g)))
        for other in groups.active:
            for kept, plain in zip(groups._taxed_rows(other), _taxed_plainly(groups, other), strict=True):
                assert np.array_equal(kept, plain)
        # A place of g's regions that it does not hold changes hands to g (as a contest won does).
        place = int(next(p for p in groups._zone(g).places if holder[p] != g.index))
        before = groups._taxed_rows(g)
        holder[place] = g.index
        groups._holders_moved()
        after = groups._taxed_rows(g)
        row = int(model.communities.row_of_place[place])
        assert row in after[0] and row not in before[0] and row not in after[1]
        for kept, plain in zip(after, _taxed_plainly(groups, g), strict=True):
            assert np.array_equal(kept, plain)
    finally:
        groups._fixed = None
