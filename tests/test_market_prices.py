"""The livelihood prices, every good's cells at once (issue 18, seventh pass), against the update good by good.

The plain form is ``Market.update_prices`` as it was before: each good's sinks, its own arithmetic,
and ``set_price_multiplier`` counting a good in the version when its prices moved. The weeks below
move all, some or none of the prices.
"""

from __future__ import annotations

import copy

import numpy as np

from sim.model import SahelModel
from sim.params import ScenarioConfig


def _update_prices_plain(market):
    market.delivered_ema = 0.8 * market.delivered_ema + 0.2 * market.delivered_last
    for g, sinks, demand in market._demand_cells():
        ratio = np.maximum(market.delivered_ema[g, sinks], 1e-9) / demand
        mult = market.price_multiplier[g].copy()
        mult[sinks] = np.round(np.clip(ratio ** (-market.elasticity), 0.5, 2.0), 2)
        market.set_price_multiplier(int(g), mult)


def test_prices_of_all_goods_at_once_are_the_good_by_good_ones():
    model = SahelModel(ScenarioConfig(supply_scale=0.1, burn_in_weeks=1), seed=4)
    market = model.market
    assert len(market._demand_cells()) >= 2, "the scenario has several livelihood goods with demand"
    fast, plain = copy.deepcopy(market), copy.deepcopy(market)
    rng = np.random.default_rng(8)
    demand = market.demand
    weeks = [rng.random(demand.shape) * 3 * demand for _ in range(4)]  # every price moves
    weeks += [demand.copy()] * 30  # prices settle at 1.0, then stay: no good moves
    first = demand.copy()
    first[market._demand_cells()[0][0]] *= 4.0  # one good glutted, the others settled
    weeks += [first] * 3 + [np.zeros_like(demand)]  # then nothing delivered anywhere (the floor)
    versions = []
    for last in weeks:
        fast.delivered_last = plain.delivered_last = last
        fast.update_prices()
        _update_prices_plain(plain)
        assert fast.price_multiplier.tobytes() == plain.price_multiplier.tobytes()
        assert fast.delivered_ema.tobytes() == plain.delivered_ema.tobytes()
        assert fast.version == plain.version
        versions.append(fast.version)
    steps = np.diff(versions)
    assert steps.max() >= 2 and 0 in steps and 1 in steps  # all, none and one good moved in some weeks
    assert "_flat" not in fast.__getstate__()
