"""Draws that numpy's generator makes, in forms the model's week calls faster (issue 18).

``rng.choice(k, p=p)`` spends about half of its 8 µs (more under load) checking ``p`` (its
dtype, shape, sign and sum) before it draws a uniform number and looks it up in the cumulative
sums: :func:`choice_cdf` makes those sums once, and the forces' raids look up their targets in
them, draw by draw (``tests/test_draws.py`` checks the draws against ``Generator.choice``). The
crews' route choice draws Gumbel noise: :func:`gumbel_uniforms` makes the uniforms
``Generator.gumbel`` turns into its draws, with the same generator calls, and the kernel takes
their logarithms. (The groups' kidnappings draw their places and brokers inside a kernel since
the sixteenth pass: ``tests/test_groups16_kernels.py`` checks them against ``choice``.)
"""

from __future__ import annotations

import math

import numpy as np


def choice_cdf(p: np.ndarray) -> np.ndarray:
    """``choice``'s own steps: the cumulative sums, scaled by the last (searched from the right by the callers).

    ``p`` must be non-negative and sum to one (as ``choice`` requires); a total that is not
    positive raises, as ``choice`` would.
    """
    cdf = np.cumsum(p)
    if not cdf[-1] > 0:
        raise ValueError(f"probabilities do not sum to 1: {p!r}")
    cdf /= cdf[-1]
    return cdf


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
