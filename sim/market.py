"""Supply at sources and prices at both ends of each route.

Each week every (good, source) pair receives a supply drawn around its mean (goods.yaml,
scaled by the scenario). Producers stop delivering once a source holds
``stock_cap_weeks`` of supply unsold, so a glut does not pile up without bound.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.ledger import Ledger
    from sim.params import ScenarioConfig
    from sim.world.network import World
    from sim.world.routes import RouteSet


class Market:
    """Stocks at sources and the price of each good at source and sink.

    Args:
        world: The world.
        routes: Candidate routes (their groups are the (good, source) pairs).
        scenario: Scenario parameters.
    """

    def __init__(self, world: World, routes: RouteSet, scenario: ScenarioConfig):
        goods = [world.goods[g] for g in routes.group_good]
        self.mean_supply = (
            np.array(
                [
                    g.supply_per_week * g.sources[world.place_ids[s]]
                    for g, s in zip(goods, routes.group_source, strict=True)
                ]
            )
            * scenario.supply_scale
        )
        self.stock_cap = np.ceil(self.mean_supply * scenario.stock_cap_weeks).astype(np.int64)
        self.stock = np.zeros(routes.n_groups, dtype=np.int64)
        self.noise = scenario.supply_noise
        self.group_good = routes.group_good
        self.value_source = np.array([g.value_source_usd for g in world.goods])
        self.value_sink = np.array([g.value_sink_usd for g in world.goods])

    def supply(self, rng: np.random.Generator, ledger: Ledger) -> np.ndarray:
        """Deliver this week's supply into source stocks; return units per group."""
        sigma = self.noise
        factor = np.exp(rng.normal(-0.5 * sigma * sigma, sigma, size=self.mean_supply.shape)) if sigma > 0 else 1.0
        drawn = rng.poisson(self.mean_supply * factor)
        delivered = np.minimum(drawn, np.maximum(self.stock_cap - self.stock, 0))
        self.stock += delivered
        np.add.at(ledger.supplied, self.group_good, delivered)
        return delivered

    def held(self, n_goods: int) -> np.ndarray:
        """Units per good in stock at sources."""
        return np.bincount(self.group_good, weights=self.stock, minlength=n_goods).astype(np.int64)
