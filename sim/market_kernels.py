"""The week's supply into the sources' stocks, compiled (issue 18, "state10").

Why compiled: after its draws, :meth:`sim.market.Market.supply` was seven numpy calls on a few
dozen (good, source) pairs (the room left under each cap, the units taken, the stocks, the
ledger's count of units supplied), each paying numpy's fixed cost. Here they are one loop with
the same whole-number arithmetic, so the same numbers. The mechanism and its source are those of
:mod:`sim.market` (producers stop at ``stock_cap_weeks`` of supply unsold).
"""

from __future__ import annotations

import numpy as np

from sim.compiled import kernel


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
