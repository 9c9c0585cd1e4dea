"""Compiled kernels of the gold sites' week (issue 18, tenth pass; :mod:`sim.compiled`).

Which unlicensed claims and operators would apply for a licence (``GoldSites._licences``) and
the police's raid odds (``GoldSites._police_odds``), element by element in one call each: the
numpy forms' arithmetic, operation for operation (``np.clip`` as :func:`sim.compiled.clip01`).
``tests/test_groups10_kernels.py`` keeps the numpy forms and checks the kernels bit for bit.
"""

from __future__ import annotations

import numpy as np

from sim.compiled import clip01, kernel


@kernel
def police_odds(rows, site, sites, capacity, lever_capacity, raid_rate, presence):
    """Weekly odds police raid each unlicensed claim or operator of ``rows`` (M22).

    ``raid_rate`` x the officials' capacity at its site's place (``capacity`` plus the lever
    there, clipped to [0, 1]) x the state's presence there.
    """
    odds = np.empty(rows.size)
    for i in range(rows.size):
        place = sites[site[rows[i]]]
        odds[i] = raid_rate * clip01(capacity + lever_capacity[place]) * presence[place]
    return odds


@kernel
def licence_applicants(
    rows, operator, profit, site, sites, capacity, lever_capacity, raid_rate, presence, equipment, auction_weeks,
    premium, horizon, fee, capital, artisanal,
):  # fmt: skip
    """The rows of ``rows`` for whom a licence pays, their cash and the licence's value (M23).

    The value over ``horizon`` weeks: the raids an operator expects (:func:`police_odds`; claims
    are not raided) times what a raid costs (machines, ``equipment``, and ``auction_weeks`` of
    profit), plus the official buyer's better price less royalties (``premium``, of the profit).
    A row applies when that value exceeds the ``fee`` and its cash (``capital`` for an operator,
    ``artisanal`` for a claim) covers the fee. Rows stay in their order.
    """
    odds = police_odds(rows, site, sites, capacity, lever_capacity, raid_rate, presence)
    kept = np.empty(rows.size, dtype=np.int64)
    cash = np.empty(rows.size)
    value = np.empty(rows.size)
    n = 0
    for i in range(rows.size):
        r = rows[i]
        raids = odds[i] if operator[r] else 0.0
        gain = raids * (equipment + auction_weeks * profit[r]) + premium * profit[r]
        worth = horizon * gain
        money = capital if operator[r] else artisanal
        if worth > fee and money >= fee:
            kept[n], cash[n], value[n] = r, money, worth
            n += 1
    return kept[:n], cash[:n], value[:n]
