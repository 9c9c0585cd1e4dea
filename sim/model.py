"""SahelModel: the world, its agents and the fixed weekly order of phases (DESIGN §2)."""

from __future__ import annotations

import copy
import datetime as dt

import mesa
import numpy as np
from mesa.discrete_space import Network

from sim.agents.armed_group import ArmedGroups
from sim.agents.community import Communities
from sim.agents.force import Forces
from sim.agents.gold import GoldSites
from sim.agents.official import Officials
from sim.agents.trafficker import Crews, State, Trafficker
from sim.checks import check_config, load_actors
from sim.collection import Collector
from sim.enforcement import Checkpoints, Encounters, NoBanditry, StandInRoadblocks
from sim.knowledge import Knowledge
from sim.lazy import lazy_module, load_kernels
from sim.ledger import Ledger
from sim.levers import Levers
from sim.market import Market
from sim.neighbours import Neighbours
from sim.outcomes import Outcome as OutcomeSpec
from sim.outcomes import build_registry
from sim.params import ScenarioConfig, validate
from sim.policies import POLICIES, PolicySet
from sim.stats import Stats, accumulate
from sim.territory import Territory
from sim.timeline import Timeline, load_timeline
from sim.world import build_routes, load_world

bookkeeping_kernels = lazy_module("sim.bookkeeping_kernels")

# The encounter counters, in the order of the rows of ``_ENCOUNTER_KINDS``: which of the 32
# combinations of five kinds (bits: staffed 1, bribed 2, jihadist-protected 4, livelihood goods 8,
# livelihood goods seized 16) each counter counts. Every encounter counts in ``enc_total``.
ENCOUNTER_COUNTS = ("enc_total", "enc_staffed", "enc_bribed", "enc_jihadist", "enc_livelihood", "enc_livelihood_seized")
_ENCOUNTER_KINDS = np.array([[1.0] * 32] + [[float(code >> bit & 1) for code in range(32)] for bit in (0, 1, 2, 3, 4)])
_NO_BLOCS = np.zeros(0, dtype=np.int64)  # no armed groups: no crew is protected by a jihadist bloc


class SahelModel(mesa.Model):
    """The illicit economy of Mali and the Sahel, one week per step.

    Each week runs these phases in this order (DESIGN §2): supply arrives at sources;
    communities; armed groups; officials (checkpoint rates, verdicts); traffickers (come
    home, plan, buy, travel through checkpoints, roadblocks and bandits, sell, pay upkeep,
    leave or enter); forces; accounting. Within a phase agents act in an order drawn from
    ``model.rng``. Before week 1 the model runs ``burn_in_weeks`` unrecorded weeks so flows
    settle; indices are 1.0 at the end of the burn-in.

    Args:
        scenario: Scenario parameters (default: the default scenario).
        seed: Seed of ``model.rng`` and ``model.random``; all randomness flows from them.

    Example:
        >>> m = SahelModel(ScenarioConfig(supply_scale=0.05, burn_in_weeks=0), seed=1)
        >>> m.run_for(4)
    """

    def __init__(self, scenario: ScenarioConfig | None = None, seed: int = 0, policy: PolicySet | None = None):
        params = validate(scenario if scenario is not None else ScenarioConfig(), "scenario")
        policy = validate(policy if policy is not None else PolicySet(), "policy")
        load_kernels()  # numba and the compiled kernels, once a process builds a model (sim.lazy)
        super().__init__(rng=int(seed))
        self.seed = int(seed)
        self.week_index = 0  # weeks run, burn-in included: the actors' clock
        self.recording = False  # True once the burn-in is over
        self.params = params
        self.start_date = dt.date.fromisoformat(params.start_date)
        self.world = world = load_world(params.data_dir)
        actors = load_actors(params.data_dir or "", params.actors_file)
        self.target_catalog = check_config(params, policy)  # the names policies resolve their targets in
        self.routes = build_routes(world, self._goods_traded(), params.traffickers.route_candidates)
        self.space = Network(world.graph, layout=world.positions(), random=self.random)
        self.edge_cost_multiplier = self._edge_multipliers()
        self.pressure_multiplier = np.ones(world.n_places)
        self.levers = Levers(world.n_places, len(world.goods), self.routes.n_groups, world.n_edges)
        self.ledger = Ledger(len(world.goods))
        self.stats = Stats(len(world.goods), world.n_places, world.n_edges, self.routes.n_routes)
        self.market = Market(world, self.routes, params)
        self.market.set_demand(world, actors["population"]["regions"], params.price_elasticity)
        self.territory = Territory(world, actors["population"]["north"], params)
        on = params.actors
        self.communities = Communities(self, actors["population"]) if on.communities else None
        self.market.communities = self.communities
        self.armed_groups = ArmedGroups(self, actors["armed_groups"]) if on.armed_groups else None
        self.roadblocks = self.armed_groups or StandInRoadblocks(world, params.checkpoints)
        self.forces = Forces(self, actors["forces"]) if on.forces else None
        self.neighbours = Neighbours(world, params, self.rng, self.levers)
        self.officials = Officials(self) if on.officials else None
        self.enforcement = self.officials or Checkpoints(world, params, self.rng, self.levers, self.neighbours)
        self.gold = GoldSites(self) if self.officials is not None else None
        self.banditry = self.communities or NoBanditry(world)
        self.territory.update_presence()
        self.crews = Crews(self)
        self.crews.init_population()
        # Knowledge of people (crews, groups, officials) held by the mission, the state and the Panel (M13).
        self.knowledge = Knowledge(self) if self.officials is not None else None
        self.policies = [POLICIES[name](self, cfg, name) for name, cfg in policy.active()]
        entries = load_timeline(params.timeline, params.data_dir) if params.timeline else []
        self.timeline = Timeline(self, entries, params.timeline_skip) if params.timeline else None
        self.policy_config = policy
        self.phases = [
            ("policies", self._apply_policies),
            ("gold", self.gold.step if self.gold else None),
            ("supply", self._supply),
            ("communities", self.communities.step if self.communities else None),
            ("armed_groups", self.armed_groups.step if self.armed_groups else None),
            ("officials", self.enforcement.update),
            ("traffickers", self.crews.step),
            ("forces", self.forces.step if self.forces else None),
            ("knowledge", self.knowledge.update if self.knowledge else None),
            ("accounting", self._end_week),
        ]
        self.phases = [(n, f) for n, f in self.phases if f is not None]
        self._burn_in(params.burn_in_weeks)
        self.n_agents_initial = len(self.agents)
        self.outcomes: list[OutcomeSpec] = build_registry(self)
        self.datacollector = Collector(model_reporters={o.name: o.series for o in self.outcomes})

    def __getstate__(self) -> dict:
        """Pickle without the outcome functions (closures); they are rebuilt on load (sim/state.py)."""
        state = self.__dict__.copy()
        state["outcomes"] = None
        state.pop("_encounter_rows_kept", None)  # a view of the stats' buffers: found again after loading
        collector = state.get("datacollector")
        if collector is not None:
            collector = copy.copy(collector)
            collector.model_reporters = dict.fromkeys(collector.model_reporters)
            state["datacollector"] = collector
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        if "datacollector" in state:
            self.outcomes = build_registry(self)
            series = {o.name: o.series for o in self.outcomes}
            if list(series) != list(self.datacollector.model_reporters):
                raise ValueError("saved state's outcomes differ from this code's registry")
            self.datacollector.model_reporters = series

    def _burn_in(self, weeks: int) -> None:
        """Run unrecorded weeks so flows settle, then zero the counters and fix the references."""
        for _ in range(weeks):
            self._run_week()
        self.stats.new_week()
        self.stats.reset_totals()
        self.recording = True
        if self.communities is not None:
            self.communities.set_reference()
        self.burned_in = weeks

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

    # --- hooks used by the actors --------------------------------------------------------

    def pay_upkeep(self, homes: np.ndarray, amounts: np.ndarray) -> None:
        """Crews' weekly spending: in their home community if Malian, else abroad."""
        if self.communities is not None:
            self.communities.receive_upkeep(homes, amounts, self.ledger)
        else:
            self.ledger.pay("upkeep", "traffickers", "local_economy", float(amounts.sum()))

    def pay_services(self, places: np.ndarray, amounts: np.ndarray) -> None:
        """Local services bought by consignments passing: income of the community there, else abroad."""
        accumulate(self.stats.week["services"], places, amounts)
        if self.communities is not None:
            self.communities.receive_services(places, amounts, self.ledger)
        else:
            self.ledger.pay("services", "traffickers", "local_economy", float(amounts.sum()))

    def civilian_shield(self, place: int) -> float:
        """Multiplier on civilian deaths at a place: below 1 where the mission protects civilians."""
        return float(self.forces.shield[place]) if self.forces is not None else 1.0

    def record_encounters(self, enc: Encounters) -> None:
        """Per-place counts of this week's encounters, for communities and outcomes.

        The six counts (all, staffed, bribed, of jihadist-protected crews, of livelihood goods, of
        those seized) come from one count of (place, kinds of encounter) pairs: they are whole
        numbers, exact in any order of addition (``tests/test_bookkeeping_exact.py`` compares them with
        one count per counter).
        """
        st = self.stats.week
        jihadist = self.armed_groups.jihadist_blocs() if self.armed_groups is not None else _NO_BLOCS
        robbed = bookkeeping_kernels.record_encounters(
            enc.place,
            enc.good,
            enc.units,
            enc.value,
            enc.outcome,
            enc.crew,
            self.enforcement.rates.staffed,
            self.world.in_mali,
            self.crews.livelihood,
            self.crews.bloc,
            jihadist,
            _ENCOUNTER_KINDS,
            st["livelihood_units"],
            st["seized_value_at"],
            self.territory.violence,
            self._encounter_rows(st),
        )
        if robbed:
            self.stats.events["robberies"] += robbed

    def _encounter_rows(self, week: dict[str, np.ndarray]) -> np.ndarray:
        """The encounter counters as one view (``Stats.rows``), kept while the week's counters are the same arrays."""
        kept = self.__dict__.get("_encounter_rows_kept")
        if kept is None or kept[0] is not week["enc_total"]:
            kept = self._encounter_rows_kept = (week["enc_total"], self.stats.rows(ENCOUNTER_COUNTS))
        return kept[1]

    # --- the week ------------------------------------------------------------------------

    def _apply_policies(self) -> None:
        """Reset the levers and let the active policies set them (DESIGN §2: first in the week)."""
        self.levers.reset()
        if self.timeline is not None:
            self.timeline.apply(self.levers)
        for policy in self.policies:
            if policy.active:
                policy.apply(self.levers)
        if self.levers.cost:
            self.ledger.pay("policy_cost", "donors", "local_economy", self.levers.cost)

    def policy(self, name: str):
        """The active policy object of that name, or None."""
        return next((p for p in self.policies if p.name == name), None)

    def bribe_rate_recent(self) -> float:
        """Share of last week's checkpoint encounters in Mali settled by a bribe."""
        staffed = self.stats.last["enc_staffed"].sum()
        return float(self.stats.last["enc_bribed"].sum() / staffed) if staffed > 0 else 0.0

    def _supply(self) -> None:
        self.market.supply(self.rng, self.ledger, self.levers.formal_gold, self.levers.supply)
        self.market.update_prices()

    def _end_week(self) -> None:
        population = np.zeros(self.world.n_places)
        if self.communities is not None:
            c = self.communities
            population[c.place[c.rows]] = c.population[c.rows]
        self.territory.end_week(population)
        if self.armed_groups is not None:
            self.armed_groups.end_week()

    def _run_week(self) -> None:
        self.week_index += 1
        self.week_memo = None  # no memo while the week runs (outcomes read mid-week are computed afresh)
        self.stats.new_week()
        self.ledger.new_week()
        for _name, phase in self.phases:
            phase()
        self.week_memo = {}  # the week is over: outcomes may share work until the next one starts

    def step(self) -> None:
        """Run one week and record its outcomes."""
        self._run_week()
        self.datacollector.collect(self)

    def holdings(self) -> dict[str, float]:
        """Money held by each population of agents that has a ledger account."""
        crews = self.crews
        out = {"traffickers": float(crews.cash[crews.alive].sum())}
        if self.armed_groups is not None:
            out["armed_groups"] = self.armed_groups.total_funds()
        if self.officials is not None:
            out["officials"] = self.officials.total_wealth()
        if self.communities is not None:
            out["communities"] = self.communities.total_cash()
        return out

    def check_ledger(self) -> None:
        """Raise if goods or money do not balance (see :mod:`sim.ledger`)."""
        crews = self.crews
        moving = crews.alive & (crews.state == State.MOVING)
        in_transit = np.bincount(crews.good[moving], weights=crews.cargo[moving], minlength=len(self.world.goods))
        self.ledger.check(self.holdings(), in_transit.astype(np.int64), self.market.held(len(self.world.goods)))


__all__ = ["SahelModel"]
