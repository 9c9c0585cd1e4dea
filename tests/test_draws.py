"""``sim.draws.choice_cdf`` gives the draws ``Generator.choice`` makes, bit for bit (issue 18)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.draws import choice_cdf


def test_the_draws_are_what_generator_choice_draws():
    """The same index as ``rng.choice(k, p=p)``, one uniform searched from the right; the stream goes on the same."""
    for seed in range(500):
        r = np.random.default_rng(seed)
        k = int(r.integers(1, 30))
        weights = r.random(k) * (r.random(k) > 0.3)
        weights[r.integers(k)] += 0.1
        p = weights / weights.sum()
        plain, fast = np.random.default_rng(seed + 1000), np.random.default_rng(seed + 1000)
        cdf = choice_cdf(p)
        for _ in range(3):  # the sums taken once serve several draws, as the forces' raids take them
            assert int(plain.choice(k, p=p)) == int(cdf.searchsorted(fast.random(), side="right"))
        assert plain.random() == fast.random()


def test_a_zero_total_raises_as_choice_does():
    with pytest.raises(ValueError, match="sum to 1"):
        choice_cdf(np.zeros(3))
