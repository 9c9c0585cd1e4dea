"""SahelModel: the world, its agents and the fixed weekly order of phases (DESIGN §2)."""

from __future__ import annotations

import datetime as dt

import mesa
import numpy as np
from mesa.discrete_space import Network

from sim.agents.trafficker import Crews, Trafficker
from sim.enforcement import Checkpoints, Enforcement
from sim.errors import ConfigError
from sim.ledger import Ledger
from sim.market import Market
from sim.outcomes import Outcome, build_registry
from sim.params import ScenarioConfig, validate
from sim.stats import Stats
from sim.world import World, build_routes, load_world


def check_scenario_refs(params: ScenarioConfig, world: World) -> None:
    """Reject names in the scenario that the world tables do not know.

    Raises:
        ConfigError: naming the key, e.g. an unknown good or place.
    """
    goods = [g.id for g in world.goods]
    for i, gid in enumerate(params.goods):
        if gid not in goods:
            raise ConfigError(f"scenario.goods[{i}]", gid, ", ".join(goods), "unknown good")
    for pid, value in params.checkpoints.pressure_multiplier.items():
        if pid not in world.index:
            raise ConfigError(
                f"scenario.checkpoints.pressure_multiplier.{pid}", value, "place ids of places.csv", "unknown place"
            )
    regions = sorted(set(world.region))
    for i, region in enumerate(params.checkpoints.toll_regions):
        if region not in regions:
            raise ConfigError(f"scenario.checkpoints.toll_regions[{i}]", region, ", ".join(regions), "unknown region")
    for key, value in params.transport.edge_cost_multiplier.items():
        a, _, b = key.partition("-")
        if (world.index.get(a, -1), world.index.get(b, -1)) not in world.edge_index:
            raise ConfigError(
                f"scenario.transport.edge_cost_multiplier.{key}",
                value,
                "'place-place' for a route in routes.csv",
                "unknown route",
            )


class SahelModel(mesa.Model):
    """The illicit economy of Mali and the Sahel, one week per step.

    Each week runs these phases in this order: supply arrives at sources; traffickers come
    home, plan, buy, travel through checkpoints and sell, pay upkeep, leave or enter;
    outcomes are recorded. Within a phase agents act in an order drawn from ``model.rng``.

    Args:
        scenario: Scenario parameters (default: the default scenario).
        seed: Seed of ``model.rng`` and ``model.random``; all randomness flows from them.

    Example:
        >>> m = SahelModel(ScenarioConfig(supply_scale=0.05), seed=1)
        >>> m.run_for(4)
    """

    def __init__(self, scenario: ScenarioConfig | None = None, seed: int = 0):
        params = validate(scenario if scenario is not None else ScenarioConfig(), "scenario")
        super().__init__(rng=int(seed))
        self.seed = int(seed)
        self.params = params
        self.start_date = dt.date.fromisoformat(params.start_date)
        self.world = world = load_world(params.data_dir)
        check_scenario_refs(params, world)
        goods = self._goods_traded()
        self.routes = build_routes(world, goods, params.traffickers.route_candidates)
        self.space = Network(world.graph, layout=world.positions(), random=self.random)
        self.edge_cost_multiplier = self._edge_multipliers()
        self.ledger = Ledger(len(world.goods))
        self.stats = Stats(len(world.goods), world.n_places, world.n_edges, self.routes.n_routes)
        self.market = Market(world, self.routes, params)
        self.enforcement: Enforcement = Checkpoints(world, np.arange(len(world.goods)), params.checkpoints)
        self.crews = Crews(self)
        self.crews.init_population()
        self.n_agents_initial = len(self.agents)
        self.outcomes: list[Outcome] = build_registry(self)
        self.datacollector = mesa.DataCollector(model_reporters={o.name: o.series for o in self.outcomes})
        self.phases = [("supply", self._supply), ("traffickers", self.crews.step)]

    def _goods_traded(self) -> tuple[int, ...]:
        names = [g.id for g in self.world.goods]
        if not self.params.goods:
            return tuple(range(len(names)))
        return tuple(sorted(names.index(g) for g in set(self.params.goods)))

    def _edge_multipliers(self) -> np.ndarray:
        mult = np.ones(self.world.n_edges)
        for key, value in self.params.transport.edge_cost_multiplier.items():
            a, _, b = key.partition("-")
            mult[self.world.edge_index[(self.world.index[a], self.world.index[b])]] *= value
        return mult

    @property
    def date(self) -> dt.date:
        """Calendar date at the end of the current week."""
        return self.start_date + dt.timedelta(weeks=self.steps)

    @property
    def traffickers(self) -> mesa.agent.AgentSet:
        """The trafficking crews as a Mesa AgentSet."""
        return self.agents_by_type.get(Trafficker, mesa.agent.AgentSet([], random=self.random))

    def _supply(self) -> None:
        self.market.supply(self.rng, self.ledger)

    def step(self) -> None:
        """Run one week."""
        self.stats.new_week()
        self.ledger.new_week()
        for _name, phase in self.phases:
            phase()
        self.datacollector.collect(self)

    def check_ledger(self) -> None:
        """Raise if goods or money do not balance (see :mod:`sim.ledger`)."""
        crews = self.crews
        alive = crews.alive
        moving = alive & (crews.state == 1)
        in_transit = np.bincount(crews.good[moving], weights=crews.cargo[moving], minlength=len(self.world.goods))
        self.ledger.check(
            crews_cash=float(crews.cash[alive].sum()),
            in_transit=in_transit.astype(np.int64),
            held=self.market.held(len(self.world.goods)),
        )
