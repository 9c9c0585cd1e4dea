"""The week's supply into the sources' stocks, compiled (issue 18, "state10").

Why compiled: after its draws, :meth:`sim.market.Market.supply` was seven numpy calls on a few
dozen (good, source) pairs (the room left under each cap, the units taken, the stocks, the
ledger's count of units supplied), each paying numpy's fixed cost. Here they are one loop with
the same whole-number arithmetic, so the same numbers. The mechanism and its source are those of
:mod:`sim.market` (producers stop at ``stock_cap_weeks`` of supply unsold).
"""

from __future__ import annotations

import math

import numpy as np

from sim.compiled import kernel
from sim.kernel_rng import generator

# numpy's largest Poisson mean (``numpy.random._common.POISSON_LAM_MAX``): beyond it ``poisson`` raises.
POISSON_LAM_MAX = float(np.iinfo(np.int64).max - np.sqrt(np.iinfo(np.int64).max) * 10)
# What :func:`supply_week` found wrong with the Poisson means, as numpy's ``poisson`` says it.
LAM_OK, LAM_TOO_LARGE, LAM_NEGATIVE = 0, 1, 2


@kernel
def deliver(drawn, stock, cap, group_good, supplied):
    """Units each (good, source) pair delivers this week: what was drawn, up to the room under its cap.

    Whole units, so the sums are exact in any order (``np.minimum(drawn, np.maximum(cap - stock,
    0))`` pair by pair).

    Args:
        drawn: Units drawn for each pair this week.
        stock: Units in stock at each pair; the delivered units are added in place.
        cap: The most each pair holds.
        group_good: The good of each pair.
        supplied: Units supplied of each good so far (the ledger's count), added to in place.

    Returns:
        The units delivered by each pair.
    """
    delivered = np.empty_like(drawn)
    for i in range(drawn.size):
        room = cap[i] - stock[i]
        room = room if room > 0 else 0
        units = drawn[i] if drawn[i] < room else room
        delivered[i] = units
        stock[i] += units
        supplied[group_good[i]] += units
    return delivered


@kernel
def supply_week(rng_handles, mean_supply, sigma, multiplier, formal_p, formal_sel, stock, cap, group_good, supplied):
    """This week's supply at each (good, source) pair: the draws, the formal gold sales, the deliveries.

    What :meth:`sim.market.Market.supply` did with numpy, with the same draws in the same order
    from the model's generator (:mod:`sim.kernel_rng`, issue 18, sixteenth pass): with ``sigma``
    > 0 one normal draw each (mean ``-sigma**2 / 2``, so the factor's mean is one) and its ``exp``
    (the C library's); one Poisson draw each of ``mean_supply * factor * multiplier``; with
    ``formal_p`` >= 0, one binomial draw of ``formal_p`` for each pair of ``formal_sel`` (in pair
    order), taken off what the pair supplies; then :func:`deliver`. The Poisson means are checked
    first, as numpy's ``poisson`` checks them: one out of range and nothing is drawn from them,
    nor delivered.

    Returns:
        The units delivered by each pair, the formal sales of each pair of ``formal_sel`` (empty
        without them), and ``LAM_OK``, or ``LAM_TOO_LARGE`` (NaN too) or ``LAM_NEGATIVE``.
    """
    rng = generator(rng_handles)
    n = mean_supply.size
    lam = np.empty(n)
    if sigma > 0:
        loc = -0.5 * sigma * sigma
        for i in range(n):
            lam[i] = rng.normal(loc, sigma)
        for i in range(n):
            lam[i] = mean_supply[i] * math.exp(lam[i]) * multiplier[i]
    else:
        for i in range(n):
            lam[i] = mean_supply[i] * 1.0 * multiplier[i]
    drawn = np.zeros(n, dtype=np.int64)
    for i in range(n):
        if not lam[i] <= POISSON_LAM_MAX:  # NaN too, as numpy's check finds it
            return drawn, drawn[:0], LAM_TOO_LARGE
    for i in range(n):
        if not lam[i] >= 0.0:
            return drawn, drawn[:0], LAM_NEGATIVE
    for i in range(n):
        drawn[i] = rng.poisson(lam[i])
    formal = np.zeros(0, dtype=np.int64)
    if formal_p >= 0.0:
        formal = np.zeros(np.count_nonzero(formal_sel), dtype=np.int64)
        j = 0
        for i in range(n):
            if formal_sel[i]:
                formal[j] = rng.binomial(drawn[i], formal_p)
                drawn[i] -= formal[j]
                j += 1
    return deliver(drawn, stock, cap, group_good, supplied), formal, LAM_OK
