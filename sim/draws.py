"""Draws that ``numpy.random.Generator.choice`` makes, without its per-call checks (issue 18).

``rng.choice(k, p=p)`` spends about half of its 8 µs (more under load) checking ``p`` (its
dtype, shape, sign and sum) before it draws uniform numbers and looks them up in the cumulative
sums. The armed groups' and the forces' week draw one index at a time, about 1,500 times a
default run: these functions make the same draws from the same generator calls, so a run's
numbers are unchanged. (The crews' entry draws each entering crew's source group inside
:func:`sim.agents.route_kernels.draw_entrants`, as ``rng.choice(groups, size=n, p=p)`` would;
``tests/test_route_kernels.py`` checks it against that call.)
``tests/test_draws.py`` checks them against ``Generator.choice``, bit for bit.
"""

from __future__ import annotations

import math

import numpy as np


def _cdf(p: np.ndarray) -> np.ndarray:
    """``choice``'s own steps: the cumulative sums, scaled by the last (searched from the right by the callers)."""
    cdf = np.cumsum(p)
    if not cdf[-1] > 0:
        raise ValueError(f"probabilities do not sum to 1: {p!r}")
    cdf /= cdf[-1]
    return cdf


def choose_index(rng: np.random.Generator, p: np.ndarray) -> int:
    """``int(rng.choice(len(p), p=p))``: the same index from the same uniform draw.

    ``p`` must be non-negative and sum to one (as ``choice`` requires); a total that is not
    positive raises, as ``choice`` would.
    """
    return int(_cdf(p).searchsorted(rng.random(), side="right"))


def choose_many(rng: np.random.Generator, a: np.ndarray, n: int) -> np.ndarray:
    """``rng.choice(a, size=n)`` (uniform, with replacement): the same values from the same draw."""
    return a[rng.integers(0, len(a), size=n, dtype=np.int64)]


def gumbel_uniforms(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """The uniforms ``rng.gumbel(size=shape)`` turns into its draws, from the same generator calls.

    numpy draws each standard Gumbel value as ``0 - log(-log(u))`` with ``u = 1 - random()``,
    drawing again while ``u`` is 1 (``random()`` gave exactly 0). So the ``u`` are the stream's
    uniforms with the zeros left out: drawn here in one call (and again for any left out), which
    leaves the generator where ``gumbel`` would. The logarithms are the caller's (a kernel).
    """
    count = math.prod(shape)  # an int, as int(np.prod(shape)), without numpy's array of the shape
    kept = rng.random(count)
    while np.count_nonzero(kept) < count:  # a zero about once in 2**53 draws
        kept = kept[kept != 0.0]
        kept = np.concatenate([kept, rng.random(count - kept.size)])
    return np.subtract(1.0, kept, out=kept).reshape(shape)  # in place: ``kept`` is this call's own
