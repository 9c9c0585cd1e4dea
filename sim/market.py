"""Supply at sources, prices at sinks, and who is paid for goods.

Each week every (good, source) pair receives a supply drawn around its mean (goods.yaml,
scaled by the scenario). Producers stop delivering once a source holds
``stock_cap_weeks`` of supply unsold, so a glut does not pile up without bound. Payments for
goods bought at Malian sources go to the community there (miners, herders); elsewhere to
producers abroad. Prices at sinks can move by place (arms dearer where people arm
themselves; M16), tracked by a version counter so route costs are recomputed only then.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

from sim import libm
from sim.lazy import lazy_module

kernels = lazy_module("sim.market_kernels")
kernel_rng = lazy_module("sim.kernel_rng")

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
        self.group_source = routes.group_source
        self.value_source = np.array([g.value_source_usd for g in world.goods])
        self.value_sink = np.array([g.value_sink_usd for g in world.goods])
        # Prices differ by sink where goods.yaml says so (migrants pay less for a shorter leg).
        self.price_multiplier = np.ones((len(world.goods), world.n_places))
        for g, good in enumerate(world.goods):
            for pid, factor in good.sink_factors:
                self.price_multiplier[g, world.index[pid]] = factor.value
        self.delivered_week = np.zeros((len(world.goods), world.n_places))
        self.delivered_last = np.zeros_like(self.delivered_week)
        self.version = 0
        self.communities = None
        self.gold = next((i for i, g in enumerate(world.goods) if g.id == "gold"), -1)
        self.group_in_mali = world.in_mali[routes.group_source]
        self.formal_week = 0

    def set_demand(self, world: World, population: dict[str, float], elasticity: float) -> None:
        """Expected demand for livelihood goods at Malian markets: the supply shared by population.

        A market's price then falls when it gets more than its share and rises when it gets less,
        so food and fuel spread over the north's markets as people's needs do.
        """
        self.elasticity = elasticity
        self.demand = np.zeros_like(self.delivered_week)
        self._cells = self._flat = None
        self.delivered_ema = np.zeros_like(self.delivered_week)
        for g, good in enumerate(world.goods):
            sinks = [world.index[s] for s in good.sinks if world.in_mali[world.index[s]]]
            if not good.livelihood or len(sinks) < 2:
                continue
            pop = np.array([population.get(world.region[s], 0.0) for s in sinks])
            if pop.sum() <= 0:
                continue
            supply = self.mean_supply[self.group_good == g].sum()
            self.demand[g, sinks] = supply * pop / pop.sum()
            self.delivered_ema[g, sinks] = self.demand[g, sinks]

    def update_prices(self) -> None:
        """Move livelihood goods' prices at Malian markets with last weeks' deliveries against demand."""
        if getattr(self, "demand", None) is None:
            return
        self.delivered_ema = 0.8 * self.delivered_ema + 0.2 * self.delivered_last
        at, demand, starts = self._flat_cells()
        if not len(at):
            return
        # Every good's cells at once: each price is the same elementwise arithmetic as good by good.
        ratio = np.maximum(self.delivered_ema.take(at), 1e-9) / demand
        # The arrays' own methods: what np.round, np.clip and np.put call, without their wrappers.
        mult = libm.power(ratio, -self.elasticity).clip(0.5, 2.0).round(2)
        # A good whose prices moved counts once in the version (as set_price_multiplier counts it);
        # the multipliers are finite, so "any cell differs" is set_price_multiplier's array_equal.
        moved = np.logical_or.reduceat(self.price_multiplier.take(at) != mult, starts)
        self.price_multiplier.put(at, mult)  # unmoved cells get their own value back
        self.version += int(moved.sum())

    def _demand_cells(self) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """Each good with a demand, its sinks with one, and that demand (fixed by :meth:`set_demand`; kept)."""
        cells = self.__dict__.get("_cells")
        if cells is None:
            demand = self.demand
            cells = []
            for g in np.flatnonzero(demand.sum(axis=1) > 0).tolist():
                sinks = np.flatnonzero(demand[g] > 0)
                cells.append((g, sinks, demand[g, sinks]))
            self._cells = cells
        return cells

    def _flat_cells(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`_demand_cells` end to end: flat positions good by good, their demand, where each good starts."""
        flat = self.__dict__.get("_flat")
        if flat is None:
            cells, n_places = self._demand_cells(), self.demand.shape[1]
            at = [g * n_places + sinks for g, sinks, _demand in cells]
            sizes = [len(sinks) for _g, sinks, _demand in cells]
            flat = self._flat = (
                np.concatenate(at) if at else np.zeros(0, dtype=np.int64),
                np.concatenate([demand for _g, _sinks, demand in cells]) if cells else np.zeros(0),
                np.cumsum([0, *sizes[:-1]]).astype(np.int64),
            )
        return flat

    def __getstate__(self) -> dict:
        """Pickled (a saved state) without the kept demand cells and gold groups, which are rebuilt on use."""
        state = self.__dict__.copy()
        state.pop("_cells", None)
        state.pop("_flat", None)
        state.pop("_mali_gold", None)
        return state

    def sink_value(self, goods: np.ndarray, sinks: np.ndarray) -> np.ndarray:
        """Price per unit of each good at each sink."""
        return self.value_sink[goods] * self.price_multiplier[goods, sinks]

    def set_price_multiplier(self, good: int, multiplier: np.ndarray) -> None:
        """Move a good's sink prices by place; route costs follow."""
        if not np.array_equal(self.price_multiplier[good], multiplier):
            self.price_multiplier[good] = multiplier
            self.version += 1

    def supply(
        self, rng: np.random.Generator, ledger: Ledger, formal_gold: float = 0.0, multiplier: np.ndarray | float = 1.0
    ) -> np.ndarray:
        """Deliver this week's supply into source stocks; return units per group.

        With gold formalization, ``formal_gold`` of the gold mined at Malian sites is sold through
        official channels: the miners are paid by official buyers and it never enters the
        illicit supply (002 Box D).
        """
        self.delivered_last[:] = self.delivered_week
        self.delivered_week.fill(0.0)
        # The draws, the formal sales and the deliveries up to each stock's cap, in one compiled call
        # (issue 18, sixteenth pass; the deliveries touch only the stocks and the ledger's count).
        if not isinstance(multiplier, np.ndarray):
            multiplier = np.full(self.mean_supply.shape, float(multiplier))
        sel = self._mali_gold
        formal_p = min(1.0, formal_gold) if formal_gold > 0 and self.gold >= 0 else -1.0
        delivered, formal, lam = kernels.supply_week(
            kernel_rng.handles(rng), self.mean_supply, float(self.noise), multiplier, float(formal_p), sel,
            self.stock, self.stock_cap, self.group_good, ledger.supplied,
        )  # fmt: skip
        if lam == kernels.LAM_TOO_LARGE:
            raise ValueError("lam value too large")
        if lam == kernels.LAM_NEGATIVE:
            raise ValueError("lam < 0 or lam contains NaNs")
        self.formal_week = int(formal.sum())
        if self.communities is not None and self.formal_week:
            amounts = formal * self.value_source[self.gold]
            self.communities.receive_formal_sales(self.group_source[sel], amounts.astype(float), ledger)
        return delivered

    @functools.cached_property
    def _mali_gold(self) -> np.ndarray:
        """Which (good, source) groups are gold at Malian sources (fixed: the routes' groups do not change)."""
        return (self.group_good == self.gold) & self.group_in_mali

    def pay_producers(self, groups: np.ndarray, amounts: np.ndarray, ledger: Ledger) -> None:
        """Pay for goods bought: to the community at a Malian source, else to producers abroad."""
        if self.communities is None:
            ledger.pay("purchases", "traffickers", "producers", float(amounts.sum()))
            return
        self.communities.receive_sales(self.group_source[groups], amounts, ledger)

    def record_delivery(self, goods: np.ndarray, sinks: np.ndarray, units: np.ndarray) -> None:
        """Units delivered this week, by good and sink; communities read last week's (``delivered_last``)."""
        # Whole units: their sums are exact in any order, so one bincount does what np.add.at did.
        n_places = self.delivered_week.shape[1]
        self.delivered_week += np.bincount(
            goods * n_places + sinks, weights=units, minlength=self.delivered_week.size
        ).reshape(self.delivered_week.shape)

    def held(self, n_goods: int) -> np.ndarray:
        """Units per good in stock at sources."""
        return np.bincount(self.group_good, weights=self.stock, minlength=n_goods).astype(np.int64)
