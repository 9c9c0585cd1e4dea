"""The officials' odds of taking a bribe, compiled: the patrons' cover and the official's own weighing.

Why compiled (issue 18, docs/performance.md "war2"): :meth:`sim.agents.official.Officials.take_odds`
runs some 1,500 times a run (the weekly checkpoint rates, every week's encounters, the trials, the
gold sites), each time about thirty small numpy operations on a few dozen rows. Here the arithmetic
between the exponentials is two loops, in the order the numpy form computed it (elementwise, so
each value is the same float).

The exponentials stay in numpy: numba's ``exp`` (the C library's) and numpy's vectorized one differ
in the last bit for a few % of values. So a weighing is: :func:`patron_exponents` (kernel), numpy's
``exp``, :func:`own_exponents` (kernel), numpy's ``exp``, then ``1 / (1 + e)``. The mechanism and its
sources (002 §II, §III; M3, M15) are those of :mod:`sim.agents.official`: a patron weighs his cut of
a bribe as an official weighs the bribe; the cover is the mean of the patrons' odds up the chain;
the official weighs his gain against his integrity and the risk oversight leaves him.
"""

from __future__ import annotations

import numpy as np

from sim.compiled import kernel


@kernel
def patron_exponents(chain, rows, integrity, gain_terms, take_integrity, take_risk, risk):
    """``-x`` of each patron's logistic odds of taking his cut (levels x rows x gains).

    ``x = gain_term - take_integrity * integrity - take_risk * risk``, as the numpy form grouped it.
    A missing patron (-1) reads row 0, as the numpy form's ``np.maximum(up, 0)`` did; its odds are
    masked out by :func:`own_exponents`.

    Args:
        chain: Each official's patrons, level by level (levels x officials, -1 above the top).
        rows: The officials weighing.
        integrity: Every official's integrity.
        gain_terms: The patrons' gain terms (levels x rows x gains; ``Officials._gain_term``).
        take_integrity: Weight of integrity against a bribe (``officials.take_integrity``).
        take_risk: Weight of risk against a bribe (``officials.take_risk``).
        risk: The oversight risk at the top (a patron's risk).
    """
    levels, n, k = gain_terms.shape
    out = np.empty((levels, n, k))
    pull = take_risk * risk
    for level in range(levels):
        for i in range(n):
            boss = chain[level, rows[i]]
            held = take_integrity * integrity[boss if boss >= 0 else 0]
            for j in range(k):
                out[level, i, j] = -((gain_terms[level, i, j] - held) - pull)
    return out


@kernel
def own_exponents(
    patron_exp, chain, rows, depth, integrity, deterrence, own_terms, take_integrity, take_risk, oversight
):
    """``-x`` of each official's logistic odds of taking the bribe, and his patrons' cover (both rows x gains).

    The cover is the mean of the patrons' odds ``1 / (1 + exp(-x))`` up the chain (``patron_exp``
    holds numpy's ``exp(-x)``), added level by level as the chain is climbed and divided by the
    number of patrons (at least 1). The official's risk is ``oversight * (1 - cover)`` plus his
    deterrence, at most 1; ``x = gain_term - take_integrity * integrity - take_risk * risk``.

    Args:
        patron_exp: numpy's ``exp`` of :func:`patron_exponents` (levels x rows x gains; levels may be 0).
        chain: Each official's patrons, level by level (levels x officials, -1 above the top).
        rows: The officials weighing.
        depth: Every official's number of patrons, as floats.
        integrity: Every official's integrity.
        deterrence: Every official's perceived risk from colleagues removed.
        own_terms: The officials' own gain terms (rows x gains).
        take_integrity: Weight of integrity against a bribe (``officials.take_integrity``).
        take_risk: Weight of risk against a bribe (``officials.take_risk``).
        oversight: The oversight risk at the top.
    """
    levels = patron_exp.shape[0]
    n, k = own_terms.shape
    out, covers = np.empty((n, k)), np.empty((n, k))
    for i in range(n):
        row = rows[i]
        divisor = max(depth[row], 1.0)
        held = take_integrity * integrity[row]
        for j in range(k):
            cover = 0.0
            if levels:
                total = 1.0 / (1.0 + patron_exp[0, i, j]) if chain[0, row] >= 0 else 0.0
                for level in range(1, levels):
                    total = total + (1.0 / (1.0 + patron_exp[level, i, j]) if chain[level, row] >= 0 else 0.0)
                cover = total / divisor
            covers[i, j] = cover
            risk = oversight * (1.0 - cover) + deterrence[row]
            if risk > 1.0:  # np.minimum(risk, 1.0): a NaN stays NaN
                risk = 1.0
            out[i, j] = -((own_terms[i, j] - held) - take_risk * risk)
    return out, covers
