"""``sim.draws`` makes the draws ``Generator.choice`` makes, bit for bit (issue 18)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.draws import choose_index, choose_many


def test_the_draws_are_what_generator_choice_draws():
    """The same values as ``rng.choice(k, p=p)`` and ``rng.choice(a, size=n)``.

    And the stream goes on the same after each.
    """
    for seed in range(500):
        r = np.random.default_rng(seed)
        k, n = int(r.integers(1, 30)), int(r.integers(1, 40))
        weights = r.random(k) * (r.random(k) > 0.3)
        weights[r.integers(k)] += 0.1
        a, p = r.integers(0, 500, size=k), weights / weights.sum()
        plain, fast = np.random.default_rng(seed + 1000), np.random.default_rng(seed + 1000)
        assert int(plain.choice(k, p=p)) == choose_index(fast, p)
        assert np.array_equal(plain.choice(a, size=np.int64(n)), choose_many(fast, a, np.int64(n)))
        assert plain.random() == fast.random()


def test_a_zero_total_raises_as_choice_does():
    with pytest.raises(ValueError, match="sum to 1"):
        choose_index(np.random.default_rng(0), np.zeros(3))
