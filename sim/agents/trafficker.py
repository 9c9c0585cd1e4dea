"""Traffickers: crews that buy at sources, choose routes, run checkpoints and sell at sinks.

Three kinds of crew (002 §II; 000; FACTS M4): *local*, community-embedded traders with small
loads who avoid risk; *transnational* networks with large loads; and *mercenary* operators
who accept risk. The higher a good's profit per trip, the more of its entrants are
mercenary (M4). Crews learn the risk of losing their cargo at each place from their own
encounters and from their network's, and choose among candidate routes by expected profit:
transport, tolls, bribes, protection and perceived risk (NarcoLogic-style adaptive route
choice), so interdiction at one place displaces flows to others (M8).

High-value goods need protection (M3): a crew carrying them buys it at departure from the
bloc of armed groups that holds most of the places on its route (M1), which spares it that
bloc's tolls and bandits' robbery, and shares its profit with the bloc. Crews that broker
ransoms are spared by officials for a while (M21).

Each crew is a Mesa agent (:class:`Trafficker`), but its state lives in the columns of
:class:`Crews`, and the weekly phase runs over all crews at once with numpy. Crews act in an
order drawn from the model's generator wherever order matters (who buys first at a source).
"""

from __future__ import annotations

import enum
import functools
import typing
from typing import TYPE_CHECKING

import numpy as np

from sim import libm
from sim.agents.table import AgentTable, TableAgent
from sim.draws import gumbel_uniforms
from sim.enforcement import Encounters
from sim.lazy import lazy_module
from sim.names import PLACE_KINDS, Kind

kernel_rng = lazy_module("sim.kernel_rng")
route_kernels = lazy_module("sim.agents.route_kernels")

if TYPE_CHECKING:
    from sim.model import SahelModel


class State(enum.IntEnum):
    """Where a crew is in its trip cycle."""

    IDLE = 0  # at home, may buy and depart
    MOVING = 1  # carrying cargo along a route
    RETURNING = 2  # travelling home empty
    DETAINED = 3  # arrested, awaiting a verdict


# The columns route_kernels.draw_entrants sets for new crews, in its arguments' order.
ENTRANT_COLUMNS = (
    "kind",
    "good",
    "group",
    "home",
    "network",
    "cash",
    "capacity",
    "state",
    "route",
    "bloc",
    "cargo_value_ref",
    "born",
    "own_risk",
)


class Trafficker(TableAgent):
    """A trafficking crew: a Mesa agent whose state is one row of :class:`Crews`."""

    @property
    def kind(self) -> Kind:
        """Kind of crew."""
        return Kind(int(self._get("kind")))

    @property
    def state(self) -> State:
        """Trip state."""
        return State(int(self._get("state")))

    @property
    def good(self) -> str:
        """Id of the good the crew trades."""
        return self.model.world.goods[int(self._get("good"))].id

    @property
    def home(self) -> str:
        """Place id of the source the crew buys at."""
        return self.model.world.place_ids[int(self._get("home"))]

    @property
    def cash(self) -> float:
        """Cash held, in US dollars."""
        return float(self._get("cash"))

    @property
    def cargo(self) -> int:
        """Units carried."""
        return int(self._get("cargo"))

    @property
    def location(self) -> str:
        """Place id of the last place reached."""
        return self.model.world.place_ids[self.table.last_place(self.slot)]


class Crews(AgentTable):
    """The columns of all crews, and their weekly phase.

    Args:
        model: The model (generators, world, routes, market, enforcement, ledger, stats).
    """

    AGENT = Trafficker
    # What route costs were last computed from (class defaults: states saved before these existed load).
    _transport_key: bytes | None = None
    _blocs_seen: tuple | None = None
    _closed_seen: np.ndarray | None = None
    COLUMNS: typing.ClassVar[dict[str, type]] = {
        "kind": np.int8,
        "good": np.int64,
        "group": np.int64,
        "home": np.int64,
        "network": np.int64,
        "cash": np.float64,
        "cargo": np.int64,
        "capacity": np.int64,
        "state": np.int8,
        "route": np.int64,
        "progress": np.float64,
        "return_left": np.float64,
        "idle_weeks": np.int64,
        "outlay": np.float64,
        "cargo_value_ref": np.float64,
        "bloc": np.int64,  # protecting bloc of the current trip, -1 if none
        "broker_until": np.int64,  # week until which officials spare the crew (M21)
        "evidence": np.float64,  # value of cargo officials have recorded it with (sanctions' evidence)
        "listed": bool,  # listed under targeted sanctions (M14)
        "travel_ban": np.float64,  # extra detection odds at border crossings when listed
        "born": np.int64,  # week of entry (knowledge of a freed row's old crew is not of the new one)
    }

    def __init__(self, model: SahelModel):
        world = model.world
        super().__init__(model, matrices={"own_risk": world.n_places + 1}, size=1024)
        self.p = model.params.traffickers
        routes = model.routes
        self.routes = routes
        self.n_places = world.n_places
        self.value_source = model.market.value_source
        self.capacity_of = np.array([g.crew_capacity for g in world.goods])
        self.bulk = np.array([g.bulk_t for g in world.goods])
        self.livelihood = np.array([g.livelihood for g in world.goods])
        density = model.market.value_sink / self.bulk
        # High-value goods need protection (M3); so do migrant convoys, whose routes are
        # "facilitated by payments to armed groups" (002 Box A): goods.yaml's ``protected``.
        protected = np.array([g.protected for g in world.goods])
        self.needs_protection = (density >= model.params.armed_groups.protection_value_per_t) | protected
        self.kind_capacity = np.array([self.p.capacity_local, self.p.capacity_transnational, self.p.capacity_mercenary])
        self.kind_risk_aversion = np.array(
            [self.p.risk_aversion_local, self.p.risk_aversion_transnational, self.p.risk_aversion_mercenary]
        )
        # Networks share risk information: one local network per source place, then the
        # transnational and mercenary networks.
        sources = np.unique(routes.group_source)
        self.local_network = {int(s): i for i, s in enumerate(sources)}
        self.first_transnational = len(sources)
        self.first_mercenary = self.first_transnational + self.p.n_transnational_networks
        n_networks = self.first_mercenary + self.p.n_mercenary_networks
        self.network_risk = np.full((n_networks, world.n_places + 1), self.p.prior_risk)
        self.network_risk[:, -1] = 0.0  # padding column: no risk
        # Places passed after departure, with padding mapped to the no-risk column.
        passed = routes.nodes.copy()
        passed[:, 0] = -1
        self.passed_nodes = np.where(passed >= 0, passed, world.n_places)
        self.live_positions = self.passed_nodes < world.n_places
        self.crossing = world.kind == PLACE_KINDS.index("crossing")
        self.safe_passed = np.where(self.live_positions, self.passed_nodes, 0)
        # Routes through northern Mali (the regions of Timbuktu, Gao, Kidal, Ménaka; 002 §II).
        north = np.append(model.territory.north, False)
        self.route_north = north[np.where(routes.nodes >= 0, routes.nodes, world.n_places)].any(axis=1)
        self._route_cost_version: tuple = ()
        self.return_ema = np.zeros(len(world.goods))
        self.profit_ema = np.zeros(len(world.goods))
        self.supportable = np.zeros(len(world.goods))

    def __getstate__(self) -> dict:
        """Pickled (a saved state) without the scratch buffers and kept tables, which are rebuilt on use."""
        state = self.__dict__.copy()
        state.pop("_incidence_csr", None)
        state.pop("_candidate_places", None)
        state.pop("_supply_by_good", None)
        state.pop("_prices_seen", None)
        state.pop("_edges_flat", None)
        state.pop("_keep_table", None)
        return state

    def _keep_of(self, n: int) -> np.ndarray:
        """``(1 - learning_rate_network) ** k`` for k from 0 to at least ``n``: what the network keeps of its risks.

        The values :func:`sim.libm.power` gives for ``np.arange(n + 1)``, each computed alone, so
        a longer table kept between weeks holds the same numbers (issue 18, fourteenth pass: the
        powers were computed afresh every week). The kernel reads only positions up to ``n``.
        """
        rate = self.p.learning_rate_network
        kept = self.__dict__.get("_keep_table")
        if kept is None or kept[0] != rate or len(kept[1]) <= n:
            size = max(n + 1, 2 * len(kept[1]) if kept is not None else 0)
            kept = self._keep_table = (rate, libm.power(1.0 - rate, np.arange(size)))
        return kept[1]

    @functools.cached_property
    def passed_good(self) -> np.ndarray:
        """Each place passed on each route, with the route's good, as a position in a (places x goods) table."""
        return self.safe_passed * len(self.model.world.goods) + self.routes.good[:, None]

    @functools.cached_property
    def groups_of_good(self) -> list[np.ndarray]:
        """The (good, source) groups of each good, in order."""
        return [np.flatnonzero(self.routes.group_good == g) for g in range(len(self.model.world.goods))]

    @functools.cached_property
    def _groups_by_good(self) -> tuple[np.ndarray, np.ndarray]:
        """``groups_of_good`` as one array: where each good's groups start (one more at the end), and the groups."""
        sizes = [len(g) for g in self.groups_of_good]
        return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64), np.concatenate(self.groups_of_good)

    @functools.cached_property
    def local_network_of(self) -> np.ndarray:
        """The local network of each place (-1 where no source is)."""
        table = np.full(self.n_places, -1, dtype=np.int64)
        table[list(self.local_network)] = list(self.local_network.values())
        return table

    def last_place(self, slot: int) -> int:
        """Node index of the last place a crew reached."""
        if self.cols["state"][slot] != State.MOVING:
            return int(self.cols["home"][slot])
        r = self.cols["route"][slot]
        reached = np.flatnonzero(self.routes.cum_weeks[r] <= self.cols["progress"][slot])
        return int(self.routes.nodes[r, reached[-1]])

    # --- route economics -------------------------------------------------------------------

    def _route_costs(self) -> None:
        """Per-unit costs of every route; recomputed only when a rate or price changed.

        Checkpoint rates and prices change every week; the parts that depend only on the armed
        groups' hold (which bloc protects a route, its tolls), on closed borders or on transport
        costs are recomputed only in the weeks their inputs changed (same numbers).
        """
        model = self.model
        rates, blocks, market = model.enforcement.rates, model.roadblocks, model.market
        version = (rates.version, blocks.version, market.version)
        if version == self._route_cost_version and "_seize_cells" in self.__dict__:
            return
        routes = self.routes
        transport_moved = self._transport_costs()
        prices_moved = self._sink_values(market)
        blocs_moved = self._protection_and_tolls(blocks)
        if prices_moved or blocs_moved:
            self.protection_unit = np.where(
                self.route_protected, model.params.armed_groups.protection_share * self.sink_value, 0.0
            )
        # Bribes, tolls and services at the places passed, summed over whole rows (zeros elsewhere)
        # so they round as they always have, and the candidates' pay (compiled:
        # sim.agents.route_kernels.route_pay).
        self.pay_unit, self.cand_pay = route_kernels.route_pay(
            self.live_positions,
            self.safe_passed,
            routes.good,
            rates.seize,
            rates.settle,
            rates.settle_share,
            rates.routine,
            rates.routine_share,
            self.route_toll,
            model.params.transport.services_share,
            self.value_at,
            self.protection_unit,
            self.cand_route,
        )
        self._seize_cells = rates.seize.copy()  # for true_survival, read only by the entry estimate
        # A closed border (002 Box C) shuts every route through it; crews plan around it.
        seen = self._closed_seen
        closed_moved = seen is None or rates.closed.tobytes() != seen.tobytes()  # same bytes: the same routes shut
        if closed_moved:
            self._closed_seen = rates.closed.copy()
            self.route_closed = (routes.edge_incidence @ rates.closed.astype(float)) > 0
        self._candidate_tables(prices_moved, transport_moved, closed_moved)
        self._route_cost_version = version

    @property
    def true_survival(self) -> np.ndarray:
        """Each route's odds of getting through at this week's seizure rates.

        Only :meth:`expected_trip` reads it (when the first crews are drawn), so it is computed on
        demand rather than every week: a product over whole rows (ones elsewhere), as it always was.
        """
        through = np.ones(self.live_positions.size)
        through[self.live_at] = 1.0 - self._seize_cells.ravel().take(self.live_good)
        return np.prod(through.reshape(self.live_positions.shape), axis=1)

    @functools.cached_property
    def live_at(self) -> np.ndarray:
        """Flat positions, in the (routes x positions) tables, of the places passed after departure."""
        return np.flatnonzero(self.live_positions)

    @functools.cached_property
    def live_good(self) -> np.ndarray:
        """(place, good) position in the rate tables of each place passed (as ``live_at``)."""
        return self.passed_good.ravel().take(self.live_at)

    def _sink_values(self, market) -> bool:
        """Sink price of each route and value carried at each of its positions; returns whether a price moved.

        Prices move at a few sinks in a week (livelihood goods against demand): only the routes
        whose sink price moved are recomputed, row by row (the same numbers). The market's version
        counts its price moves (its base prices are fixed), so an unchanged version means no price
        moved and nothing is looked up.
        """
        routes = self.routes
        if "value_at" in self.__dict__ and self.__dict__.get("_prices_seen") == market.version:
            return False
        self._prices_seen = market.version
        sink_value = market.sink_value(routes.good, routes.sink)
        # The rows whose sink price moved, or all the first time (compiled:
        # sim.agents.route_kernels.sink_values_moved).
        first = "value_at" not in self.__dict__
        if first:
            self.value_at = np.empty(routes.km_frac.shape)
        seen = sink_value if first else self.sink_value
        args = (self.value_source, routes.good, routes.km_frac, self.value_at)
        if not route_kernels.sink_values_moved(sink_value, seen, first, *args):
            return False
        self.sink_value = sink_value
        return True

    def _candidate_tables(self, prices_moved: bool, transport_moved: bool, closed_moved: bool) -> None:
        """Sink value, transport costs and openness of each group's candidate routes, where their inputs moved.

        Crews of a group choose among the same candidates: one row per group, gathered by row
        when they plan (the same numbers as gathering each crew's candidates). Each table is
        gathered again only when what it is read from changed (prices move most weeks, transport
        costs and closed borders seldom).
        """
        cand = self.cand_route
        if prices_moved:
            self.cand_sink = self.sink_value[cand]
        if transport_moved:
            self.cand_transport = self.transport_unit[cand]
        if closed_moved:
            self.cand_open = (self.routes.group_routes >= 0) & ~self.route_closed[cand]

    @functools.cached_property
    def cand_route(self) -> np.ndarray:
        """Each group's candidate routes, padding mapped to route 0 (closed to choice by ``cand_open``)."""
        return np.maximum(self.routes.group_routes, 0)

    def _transport_costs(self) -> bool:
        """Transport cost per unit of each route (terrain, distance, bulk); changes only with the edge multipliers.

        Returns whether it was recomputed.
        """
        model, world = self.model, self.model.world
        key = model.edge_cost_multiplier.tobytes()
        if key == self._transport_key:
            return False
        t = model.params.transport
        per_terrain = np.array([t.cost_paved, t.cost_laterite, t.cost_track, t.cost_desert, t.cost_river, t.cost_air])
        edge_cost = world.edge_km * per_terrain[world.edge_terrain] * model.edge_cost_multiplier
        self.transport_unit = (self.routes.edge_incidence @ edge_cost) * self.bulk[self.routes.good]
        self._transport_key = key
        return True

    def _protection_and_tolls(self, blocks) -> bool:
        """Which bloc protects each route (the one holding most of its places; M1, M3) and the tolls it pays.

        Recomputed only when the hold changed: the blocs' places, alliances or toll rates. Returns
        whether it was.
        """
        seen = (blocks.protecting, blocks.alliance, blocks.toll)
        known = self._blocs_seen is not None and "route_toll" in self.__dict__
        if known and all(a.tobytes() == b.tobytes() for a, b in zip(seen, self._blocs_seen, strict=True)):
            return False
        # Compiled: sim.agents.route_kernels.protection_and_tolls.
        self.route_protected, self.route_bloc, self.route_toll = route_kernels.protection_and_tolls(
            self.safe_passed,
            self.live_positions,
            blocks.protecting,
            blocks.alliance,
            blocks.toll,
            self.needs_protection,
            self.routes.good,
        )
        self._blocs_seen = tuple(a.copy() for a in seen)
        return True

    def expected_trip(self, good: int) -> tuple[float, float, float]:
        """(profit per unit, cost per unit, weeks) of a good's best route under true risks."""
        self._route_costs()
        r = np.flatnonzero(self.routes.good == good)
        vs = self.value_source[good]
        profit = self.true_survival[r] * self.sink_value[r] - vs - self.transport_unit[r] - self.pay_unit[r]
        profit = np.where(self.route_closed[r], -np.inf, profit)
        best = r[np.argmax(profit)]
        return (
            float(profit.max()),
            float(vs + self.transport_unit[best] + self.pay_unit[best]),
            float(self.routes.weeks[best]),
        )

    # --- entry and exit --------------------------------------------------------------------

    def init_population(self) -> None:
        """Seed each good with the crews its supply keeps busy (times the scenario's scale)."""
        market, routes = self.model.market, self.routes
        rf = self.model.params.transport.return_time_factor
        for g in np.unique(routes.group_good):
            unit_profit, _unit_cost, weeks = self.expected_trip(int(g))
            supply = market.mean_supply[routes.group_good == g].sum()
            cycle = 1.0 + np.ceil(weeks) + np.ceil(rf * weeks)
            self.supportable[g] = supply / self.capacity_of[g] * cycle
            self.profit_ema[g] = unit_profit * self.capacity_of[g]
            mean_value = 0.5 * (self.value_source[g] + market.value_sink[g])
            self.return_ema[g] = unit_profit / cycle / mean_value - self.p.upkeep_share
            self.enter(int(g), round(self.p.initial_crews_scale * self.supportable[g]))

    def enter(self, good: int, n: int) -> None:
        """Bring ``n`` new crews into a good's trade, with capital from investors."""
        self.enter_goods(np.array([good]), np.array([n]))

    def enter_goods(self, goods: np.ndarray, counts: np.ndarray) -> None:
        """Bring ``counts[i]`` new crews into the trade of ``goods[i]``, good after good.

        Each good's entrants draw their source, kind and network in turn (the generator's stream
        is that of entering one good after another); their rows, agents and columns are then set
        for all goods at once, in the same order.
        """
        keep = counts > 0
        self._enter_drawn(goods[keep].astype(np.int64), counts[keep].astype(np.int64))

    def _enter_drawn(self, goods: np.ndarray, counts: np.ndarray) -> None:
        """:meth:`enter_goods` for goods that all have entrants (``counts`` above zero; int64 arrays)."""
        if not len(goods):
            return
        model, p = self.model, self.p
        slots = self.add(int(counts.sum()))  # the table draws nothing: the entrants' draws follow, as ever
        capital = route_kernels.draw_entrants(
            kernel_rng.handles(model.rng),
            goods,
            counts,
            slots,
            *self._groups_by_good,
            model.market.mean_supply,
            self.profit_ema,
            np.array([p.mercenary_profit_usd, p.local_share_livelihood, p.local_share_other, p.start_capital_trips]),
            self.livelihood,
            self.routes.group_source,
            self.local_network_of,
            np.array(
                [self.first_transnational, p.n_transnational_networks, self.first_mercenary, p.n_mercenary_networks]
            ),
            self.capacity_of,
            self.kind_capacity,
            self.value_source,
            model.market.value_sink,
            self.network_risk,
            model.week_index,
            *(self.cols[name] for name in ENTRANT_COLUMNS),
        )
        for total in capital.tolist():  # one payment per good, as ever
            model.ledger.pay("capital_in", "investors", "traffickers", total)
        model.stats.events["entered"] += len(slots)

    def leave(self, slots: np.ndarray) -> None:
        """Take crews out of the trade; their cash goes back to investors."""
        if len(slots) == 0:
            return
        self.model.ledger.pay("capital_out", "traffickers", "investors", float(self.cash[slots].sum()))
        self.cols["cash"][slots] = 0.0
        self.remove(slots)
        self.model.stats.events["exited"] += len(slots)

    def release(self, slots: np.ndarray) -> None:
        """Detained crews set free go home and may trade again (impunity; M15)."""
        self.cols["state"][slots] = State.IDLE
        self.cols["idle_weeks"][slots] = 0

    def sanction(self, slots: np.ndarray, freeze_share: float, travel_ban: float) -> None:
        """List crews: freeze part of their cash, make border crossings riskier (M14)."""
        if not len(slots):
            return
        frozen = freeze_share * self.cash[slots]
        self.cols["cash"][slots] -= frozen
        self.model.ledger.pay("asset_freeze", "traffickers", "state", float(frozen.sum()))
        self.cols["listed"][slots] = True
        self.cols["travel_ban"][slots] = travel_ban
        self.model.stats.events["listed"] += len(slots)

    def make_broker(self, slot: int, until_week: int, hostages: int = 1) -> bool:
        """The state chooses whether officials spare a crew that brokered a ransom (M21); returns whether.

        It weighs the release of the hostages (``hostage_value_usd`` each) against enforcement:
        the crew's cash, what pursuing it could take, times the political will at the top (002
        §III: traffickers "were needed for other purposes").
        """
        p = self.model.params
        officials = self.model.officials
        will = officials.political_will if officials is not None else p.officials.political_will
        spare = p.armed_groups.hostage_value_usd * hostages > will * float(self.cash[slot])
        if spare:
            self.cols["broker_until"][slot] = until_week
        return spare

    # --- the weekly phase ------------------------------------------------------------------

    def step(self) -> None:
        """One week: crews come home, plan and depart, travel, pay upkeep, leave or enter."""
        self._route_costs()
        # Crews travelling home get a week closer; the idle crews plan (compiled:
        # sim.agents.route_kernels.come_home).
        c = self.cols
        idle = route_kernels.come_home(c["alive"], c["state"], c["return_left"], int(State.RETURNING), int(State.IDLE))
        self._plan_and_depart(idle)
        self._travel()
        self._pay_upkeep_and_exit()
        self._entry()

    def _plan_and_depart(self, idle: np.ndarray) -> None:
        """Idle crews (rows ``idle``) queue at their source in random order; those in front of the queue plan.

        Only the crews whose place in the queue leaves them some of the source's stock choose a
        route and decide whether the trip pays; the others wait another week.
        """
        model, rng, c = self.model, self.model.rng, self.cols
        if len(idle) == 0:
            return
        # By group, then in a random order within it; the crews in front of each source's queue
        # plan, the others wait (compiled: sim.agents.route_kernels.queue_front).
        shuffle = rng.permutation(len(idle))
        queue, grp = route_kernels.queue_front(
            idle, shuffle, c["group"], c["capacity"], model.market.stock, c["idle_weeks"]
        )
        if len(queue) == 0:
            return
        # Each crew's route (random utility: the perceived odds, then Gumbel noise drawn by numpy),
        # whether its trip pays, then the purchases in queue order, the departures and their
        # counts (compiled: sim.agents.route_kernels.choose_and_depart); then the payments, in the
        # order they were made.
        survival = self._route_odds(queue, grp)
        st = model.stats.week
        dep, r, purchase, fee, transport = route_kernels.choose_and_depart(
            survival,
            gumbel_uniforms(rng, survival.shape),
            self.p.choice_noise,
            model.market.value_sink,
            self.cand_route,
            self.cand_sink,
            self.cand_transport,
            self.cand_pay,
            self.cand_open,
            queue,
            grp,
            c["good"],
            c["cash"],
            c["capacity"],
            self.value_source,
            self.transport_unit,
            self.pay_unit,
            self.protection_unit,
            self.route_bloc,
            self.route_north,
            model.market.stock,
            c["outlay"],
            c["cargo"],
            c["route"],
            c["bloc"],
            c["progress"],
            c["state"],
            c["idle_weeks"],
            int(State.MOVING),
            st["route_units"],
            st["departed"],
            st["north_departed"],
        )
        if len(dep) == 0:
            return
        model.market.pay_producers(self.group[dep], purchase, model.ledger)
        model.ledger.pay("transport", "traffickers", "transporters", transport)
        protected = fee > 0
        if protected.any():
            model.roadblocks.protect(dep[protected], self.route_bloc[r[protected]], fee[protected], model.ledger)

    def _route_odds(self, crews: np.ndarray, group: np.ndarray) -> np.ndarray:
        """Each planning crew's perceived odds of getting through each of its group's candidate routes.

        Expected profit per unit on a route (:func:`sim.agents.route_kernels.choose_by_profit`,
        called by ``choose_and_depart``) is the sink price times these odds, less the source
        price, transport, protection and expected bribes and tolls. Perceived risk blends the
        crew's own experience with its network's, and the odds are raised to the crew's risk
        aversion. Compiled (:func:`sim.agents.route_kernels.route_survival`), crew by crew in the
        order given (``group``: the crews' groups).
        """
        return route_kernels.route_survival(
            crews,
            group,
            self.cols["kind"],
            self.kind_risk_aversion,
            self.cols["network"],
            self.own_risk,
            self.network_risk,
            self.p.own_weight,
            self.routes.group_routes,
            *self._incidence_csr,
            *self._candidate_places,
        )

    @functools.cached_property
    def _incidence_csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The route incidence's CSR arrays (row starts, places, weights) in the kernels' types."""
        inc = self.routes.node_incidence
        return inc.indptr.astype(np.int64), inc.indices.astype(np.int64), inc.data.astype(np.float64)

    @functools.cached_property
    def _candidate_places(self) -> tuple[np.ndarray, np.ndarray]:
        """Each group's candidate routes' places, each once (``route_kernels.candidate_places``; fixed)."""
        return route_kernels.candidate_places(self.routes.group_routes, *self._incidence_csr[:2])

    @functools.cached_property
    def _edges_flat(self) -> np.ndarray:
        """The routes' links, flat (one per route position, as the entries' ``on_route`` counts)."""
        return self.routes.edges.ravel()

    _no_one = np.zeros(0, dtype=np.int64)  # who decided, without officials: no one anywhere

    @functools.cached_property
    def _nowhere(self) -> np.ndarray:
        """Where officials are on duty without officials: nowhere."""
        return np.zeros(self.n_places, dtype=bool)

    @functools.cached_property
    def _supply_by_good(self) -> np.ndarray:
        """Mean weekly supply of each good over its sources (fixed: the market's ``mean_supply``)."""
        market = self.model.market
        return np.bincount(market.group_good, weights=market.mean_supply, minlength=len(self.return_ema))

    @functools.cached_property
    def safe_nodes(self) -> np.ndarray:
        """Each route's places, padding mapped to place 0 (never passed: its travel time is infinite)."""
        return np.maximum(self.routes.nodes, 0)

    @functools.cached_property
    def _step_bounds(self) -> np.ndarray:
        """For each route and week of a trip, the first position reached after that week began.

        A place is passed in week ``k`` of a trip (progress ``k`` to ``k + 1``) when its travel
        time from the source is in ``(k, k + 1]``, that is when its ceiling is ``k + 1``; travel
        times grow along a route, so the places of each week are consecutive positions.
        """
        cum = self.routes.cum_weeks
        week = np.ceil(cum) - 1.0  # the source -1 (never passed), padding inf
        last = int(week[np.isfinite(week)].max())
        return np.stack([(week < k).sum(axis=1) for k in range(last + 3)], axis=1)

    def _travel(self) -> None:
        """Moving crews pass this week's places: outcomes, payments, arrests, learning, arrivals.

        The work is done on the places passed (one entry per crew and position, in route order);
        the payments due are summed over each crew's whole route row, zeros included, so they
        round as they always have.
        """
        model, routes = self.model, self.routes
        enforcement = model.enforcement
        rates, blocks, c = enforcement.rates, model.roadblocks, self.cols
        officials = getattr(enforcement, "encounter_odds", None) is not None
        # The moving crews and each place they pass, in route order, with the value carried there
        # and the place's odds (compiled: sim.agents.route_kernels.places_passed); where officials
        # man a Malian checkpoint, the one on duty (drawn) and what he weighs, in the same call
        # (route_kernels.passed_and_on_duty; Officials.encounter_odds, M3).
        trip = (c["alive"], c["state"], int(State.MOVING), c["route"], c["good"], c["cargo"], c["progress"])
        tables = (self._step_bounds, self.safe_nodes, self.value_at, rates.seize, rates.settle, rates.routine)
        if officials:
            handles = kernel_rng.handles(model.rng)
            passed = route_kernels.passed_and_on_duty(
                handles, *trip, *tables, enforcement.staffed, *enforcement.encounter_roster()
            )
            who, ratios = passed[15:]
        else:
            passed = route_kernels.places_passed(*trip, *tables, self._nowhere)
        mov, r, g, cargo, old, pi, pj, on_route, place, value, good, seize, settle, routine, on_duty = passed[:15]
        if len(mov) == 0:
            return
        # Outcomes (brokers, travel bans, robbery, the draws), first losses, the dues paid out of
        # the crews' cash, the services bought and the encounters met for the books, compiled
        # (sim.agents.route_kernels.encounters_met; with officials, after their odds at the
        # staffed entries: route_kernels.officials_and_encounters).
        uniform = model.rng.random((len(mov), routes.cum_weeks.shape[1]))  # one draw per route position, as ever
        entries = (uniform, pi, pj, place, seize, settle, routine, value, mov, good, cargo, on_route)
        ways = (self._edges_flat, c["broker_until"], model.week_index, model.params.armed_groups.broker_shield)
        crossings = (c["travel_ban"], self.crossing, c["bloc"], model.banditry.rob, rates.settle_share)
        dues = (rates.routine_share, blocks.alliance, blocks.toll, model.params.transport.services_share)
        if officials:
            exponents = enforcement.encounter_exponents(who, ratios)
            odds = (exponents, who, on_duty, enforcement.detect_duty, enforcement.duty_pos, enforcement.honest)
            met = route_kernels.officials_and_encounters(
                *odds, *entries, *ways, *crossings, *dues, c["cash"], c["outlay"]
            )
        else:
            met = route_kernels.encounters_met(*entries, self._no_one, *ways, *crossings, *dues, c["cash"], c["outlay"])
        outcome, first, lost_at, bought_at, bought, *met_entries, edge = met
        if len(bought):
            model.pay_services(bought_at, bought)
        enc = Encounters(*met_entries[:-1], official=met_entries[-1] if officials else None)
        arrested = model.enforcement.settle(enc, model.ledger)
        blocks.collect(enc, model.ledger)
        model.record_encounters(enc)
        self._after_encounters(mov, r, g, cargo, old, pi, outcome, value, first, lost_at, enc, edge, arrested)

    def _after_encounters(self, mov, r, g, cargo, old, pi, outcome, value, first, lost_at, enc, edge, arrested) -> None:
        """Learning, lost cargoes, arrests and arrivals after the encounters were settled.

        Compiled (:func:`sim.agents.route_kernels.after_encounters`): the crews learn from the
        encounters (own and network; :func:`sim.libm.power` gives the network's weights) and the week's
        traffic is counted; crews that lost their cargo (``lost_at``: the encounters of ``pi``,
        ``outcome``, ``value`` at which crews of ``mov`` first lost it) count it and head home;
        those that reach their sink sell and share profit with their protectors. Then, in the
        order they were made before: the arrests (only of crews that lost their cargo, which the
        arrivals do not touch), the sales, the blocs' shares.
        """
        model, routes, c = self.model, self.routes, self.cols
        st, ledger = model.stats.week, model.ledger
        arrived, sales, blocs, shares = route_kernels.after_encounters(
            enc.crew,
            enc.place,
            enc.good,
            enc.units,
            enc.value,
            enc.outcome,
            edge,
            c["network"],
            self.livelihood,
            c["own_risk"],
            self.p.learning_rate_own,
            self.network_risk,
            self._keep_of(len(enc.crew)),
            st["place_units"],
            st["place_good_units"],
            st["illicit_value"],
            st["edge_units"],
            st["edge_good_units"],
            lost_at,
            pi,
            outcome,
            value,
            mov,
            r,
            g,
            cargo,
            old,
            first,
            routes.cum_weeks,
            routes.weeks,
            routes.sink,
            self.sink_value,
            model.params.armed_groups.trafficking_share,
            model.params.transport.return_time_factor,
            int(State.RETURNING),
            c["cash"],
            c["outlay"],
            c["cargo"],
            c["bloc"],
            c["state"],
            c["return_left"],
            c["progress"],
            ledger.seized,
            ledger.stolen,
            ledger.delivered,
            model.market.delivered_week,
            st["seized"],
            st["seized_value"],
            st["robbed"],
            st["delivered"],
            st["delivered_value"],
            st["trip_profit"],
            st["trips"],
        )
        if len(lost_at):
            taken = enc.crew[arrested]
            model.stats.events["arrested"] += len(taken)
            if len(taken) and getattr(model.enforcement, "holds_trials", False):
                c["state"][taken] = State.DETAINED
                model.enforcement.file_cases(taken, enc.place[arrested])
            elif len(taken):  # most weeks no one is arrested: filing or leaving nothing did nothing
                self.leave(taken)
        if not arrived:
            return
        ledger.pay("sales", "buyers", "traffickers", sales)
        if len(blocs):
            model.roadblocks.share_profit(blocs, shares, ledger)

    def _pay_upkeep_and_exit(self) -> None:
        """Crews pay their upkeep where they live; idle crews that are broke or tired of waiting leave.

        Compiled (:func:`sim.agents.route_kernels.upkeep_and_exit`); the upkeep is then spent in
        the crews' home communities, and the leavers' cash goes back to investors.
        """
        p, c = self.p, self.cols
        alive, paid, leaving = route_kernels.upkeep_and_exit(
            c["alive"],
            c["state"],
            int(State.IDLE),
            c["cash"],
            c["cargo_value_ref"],
            c["good"],
            c["idle_weeks"],
            p.upkeep_share,
            p.exit_cash_share,
            p.patience_weeks,
            self.model.stats.week["upkeep"],
        )
        self.model.pay_upkeep(self.home[alive], paid)
        self.leave(leaving)

    def _entry(self) -> None:
        """New crews enter goods whose crews recently earned a return on their capital (M4).

        The entry rate grows with the recent return on the good's crews' capital and with the
        share of a week's supply left unbought at its sources.
        """
        # The running return and profit per trip, the week's entry rates and the number of entrants
        # of each good, drawn from the model's generator (compiled:
        # sim.agents.route_kernels.entrants_by_good); entrants see goods left unbought at the
        # sources: no glut, no room for newcomers.
        st, c, market = self.model.stats.week, self.cols, self.model.market
        goods, counts = route_kernels.entrants_by_good(
            kernel_rng.handles(self.model.rng),
            c["alive"],
            c["good"],
            c["cargo_value_ref"],
            st["trip_profit"],
            st["upkeep"],
            st["trips"],
            self.supportable,
            self.return_ema,
            self.profit_ema,
            market.group_good,
            market.stock,
            self._supply_by_good,
            self.p.entry_rate,
        )
        self._enter_drawn(goods, counts)
