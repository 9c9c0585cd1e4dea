"""Traffickers: crews that buy at sources, choose routes, run checkpoints and sell at sinks.

Three kinds of crew (002 §II; 000; FACTS M4): *local*, community-embedded traders with small
loads who avoid risk; *transnational* networks with large loads; and *mercenary* operators
who accept risk. The higher a good's profit per trip, the more of its entrants are
mercenary (M4). Crews learn the seizure risk of each place from their own encounters and
from their network's, and choose among candidate routes by expected profit: transport,
tolls, bribes and perceived risk of seizure (NarcoLogic-style adaptive route choice), so
interdiction at one place displaces flows to others (M8).

Each crew is a Mesa agent (:class:`Trafficker`), but its state lives in the columns of
:class:`Crews`, and the weekly phase runs over all crews at once with numpy: this is what
keeps a week of thousands of crews cheap. Crews act in an order drawn from the model's
generator wherever order matters (who buys first at a source).
"""

from __future__ import annotations

import enum
import typing
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.enforcement import Encounters

if TYPE_CHECKING:
    from sim.model import SahelModel


class Kind(enum.IntEnum):
    """Kinds of crew (002 §II; 000)."""

    LOCAL = 0
    TRANSNATIONAL = 1
    MERCENARY = 2


class State(enum.IntEnum):
    """Where a crew is in its trip cycle."""

    IDLE = 0  # at home, may buy and depart
    MOVING = 1  # carrying cargo along a route
    RETURNING = 2  # travelling home empty


class Trafficker(mesa.Agent):
    """A trafficking crew: a Mesa agent whose state is one row of :class:`Crews`.

    The crews act together in :meth:`Crews.step`; the attributes here read the row, for the
    browser view, data collection and tests.
    """

    def __init__(self, model: SahelModel, slot: int):
        super().__init__(model)
        self.slot = slot

    @property
    def _crews(self) -> Crews:
        return self.model.crews

    @property
    def kind(self) -> Kind:
        """Kind of crew."""
        return Kind(int(self._crews.kind[self.slot]))

    @property
    def state(self) -> State:
        """Trip state."""
        return State(int(self._crews.state[self.slot]))

    @property
    def good(self) -> str:
        """Id of the good the crew trades."""
        return self.model.world.goods[int(self._crews.good[self.slot])].id

    @property
    def home(self) -> str:
        """Place id of the source the crew buys at."""
        return self.model.world.place_ids[int(self._crews.home[self.slot])]

    @property
    def cash(self) -> float:
        """Cash held, in US dollars."""
        return float(self._crews.cash[self.slot])

    @property
    def cargo(self) -> int:
        """Units carried."""
        return int(self._crews.cargo[self.slot])

    @property
    def location(self) -> str:
        """Place id of the last place reached."""
        return self.model.world.place_ids[self._crews.last_place(self.slot)]


class Crews:
    """The columns of all crews, and their weekly phase.

    Args:
        model: The model (generators, world, routes, market, enforcement, ledger, stats).
    """

    COLUMNS: typing.ClassVar[dict[str, type]] = {
        "alive": bool,
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
    }

    def __init__(self, model: SahelModel):
        self.model = model
        self.p = model.params.traffickers
        world, routes = model.world, model.routes
        self.routes = routes
        self.n_places = world.n_places
        self.value_source = model.market.value_source
        self.value_sink = model.market.value_sink
        self.capacity_of = np.array([g.crew_capacity for g in world.goods])
        self.bulk = np.array([g.bulk_t for g in world.goods])
        self.livelihood = np.array([g.livelihood for g in world.goods])
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
        self.capacity_slots = 0
        self.cols: dict[str, np.ndarray] = {}
        self.own_risk = np.zeros((0, world.n_places + 1))
        self.agents: list[Trafficker | None] = []
        self.free: list[int] = []
        self._grow(1024)
        self._route_cost_version = -1
        self.return_ema = np.zeros(len(world.goods))
        self.profit_ema = np.zeros(len(world.goods))
        self.supportable = np.zeros(len(world.goods))

    # --- storage ---------------------------------------------------------------------------

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("cols", {})
        if name in cols:
            return cols[name]
        raise AttributeError(name)

    def _grow(self, new_size: int) -> None:
        old = self.capacity_slots
        for name, dtype in self.COLUMNS.items():
            col = np.zeros(new_size, dtype=dtype)
            if old:
                col[:old] = self.cols[name]
            self.cols[name] = col
        own = np.zeros((new_size, self.n_places + 1))
        own[:old] = self.own_risk
        self.own_risk = own
        self.agents.extend([None] * (new_size - old))
        # Reuse low slots first so the order of slots does not depend on history length.
        self.free = sorted(set(self.free) | set(range(old, new_size)), reverse=True)
        self.capacity_slots = new_size

    @property
    def n_alive(self) -> int:
        """Number of crews in the trade."""
        return int(self.alive.sum())

    def last_place(self, slot: int) -> int:
        """Node index of the last place a crew reached."""
        if self.state[slot] != State.MOVING:
            return int(self.home[slot])
        r = self.route[slot]
        reached = np.flatnonzero(self.routes.cum_weeks[r] <= self.progress[slot])
        return int(self.routes.nodes[r, reached[-1]])

    # --- route economics -------------------------------------------------------------------

    def _route_costs(self) -> None:
        """Per-unit transport cost and expected payments of every route; cached on rate changes."""
        rates = self.model.enforcement.rates
        if rates.version == self._route_cost_version:
            return
        routes, world = self.routes, self.model.world
        t = self.model.params.transport
        per_terrain = np.array([t.cost_paved, t.cost_laterite, t.cost_track, t.cost_desert, t.cost_river, t.cost_air])
        edge_cost = world.edge_km * per_terrain[world.edge_terrain] * self.model.edge_cost_multiplier
        self.transport_unit = (routes.edge_incidence @ edge_cost) * self.bulk[routes.good]
        g = routes.good[:, None]
        nodes = np.where(self.passed_nodes < world.n_places, self.passed_nodes, 0)
        live = self.passed_nodes < world.n_places
        self.value_at = self.value_source[g] + (self.value_sink - self.value_source)[g] * routes.km_frac
        pay_rate = (rates.bribe[nodes, g] + rates.toll[nodes, g]) * live
        self.pay_unit = (pay_rate * self.value_at).sum(axis=1)
        self.true_survival = np.prod(np.where(live, 1.0 - rates.seize[nodes, g], 1.0), axis=1)
        self._route_cost_version = rates.version

    def expected_trip(self, good: int) -> tuple[float, float, float]:
        """(profit per unit, cost per unit, weeks) of a good's best route under true risks."""
        self._route_costs()
        r = np.flatnonzero(self.routes.good == good)
        profit = (
            self.true_survival[r] * self.value_sink[good]
            - self.value_source[good]
            - self.transport_unit[r]
            - self.pay_unit[r]
        )
        best = r[np.argmax(profit)]
        cost = self.value_source[good] + self.transport_unit[best] + self.pay_unit[best]
        return float(profit.max()), float(cost), float(self.routes.weeks[best])

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
            mean_value = 0.5 * (self.value_source[g] + self.value_sink[g])
            self.return_ema[g] = unit_profit / cycle / mean_value - self.p.upkeep_share
            n = round(self.p.initial_crews_scale * self.supportable[g])
            self.enter(int(g), n)

    def enter(self, good: int, n: int) -> None:
        """Bring ``n`` new crews into a good's trade, with capital from investors."""
        if n <= 0:
            return
        rng, routes, p = self.model.rng, self.routes, self.p
        groups = np.flatnonzero(routes.group_good == good)
        share = self.model.market.mean_supply[groups]
        group = rng.choice(groups, size=n, p=share / share.sum())
        a = max(self.profit_ema[good], 0.0)
        p_merc = a / (a + p.mercenary_profit_usd)
        p_local = p.local_share_livelihood if self.livelihood[good] else p.local_share_other
        u = rng.random(n)
        kind = np.where(
            u < p_merc, Kind.MERCENARY, np.where(u < p_merc + (1 - p_merc) * p_local, Kind.LOCAL, Kind.TRANSNATIONAL)
        )
        net_pick = rng.integers(0, 1 << 30, size=n)
        while len(self.free) < n:
            self._grow(self.capacity_slots * 2)
        slots = np.array([self.free.pop() for _ in range(n)], dtype=np.int64)
        home = routes.group_source[group]
        network = np.where(
            kind == Kind.LOCAL,
            np.array([self.local_network[int(h)] for h in home]),
            np.where(
                kind == Kind.TRANSNATIONAL,
                self.first_transnational + net_pick % p.n_transnational_networks,
                self.first_mercenary + net_pick % p.n_mercenary_networks,
            ),
        )
        capacity = np.maximum(1, np.round(self.capacity_of[good] * self.kind_capacity[kind])).astype(np.int64)
        mean_value = 0.5 * (self.value_source[good] + self.value_sink[good])
        ref = capacity * mean_value
        cash = p.start_capital_trips * ref
        c = self.cols
        c["alive"][slots] = True
        c["kind"][slots] = kind
        c["good"][slots] = good
        c["group"][slots] = group
        c["home"][slots] = home
        c["network"][slots] = network
        c["cash"][slots] = cash
        c["cargo"][slots] = 0
        c["capacity"][slots] = capacity
        c["state"][slots] = State.IDLE
        c["route"][slots] = -1
        c["progress"][slots] = 0.0
        c["return_left"][slots] = 0.0
        c["idle_weeks"][slots] = 0
        c["outlay"][slots] = 0.0
        c["cargo_value_ref"][slots] = ref
        self.own_risk[slots] = self.network_risk[network]
        self.model.ledger.pay("capital_in", "investors", "traffickers", float(cash.sum()))
        for s in slots.tolist():
            self.agents[s] = Trafficker(self.model, s)
        self.model.stats.events["entered"] += n

    def leave(self, slots: np.ndarray) -> None:
        """Take crews out of the trade; their cash goes back to investors."""
        if len(slots) == 0:
            return
        self.model.ledger.pay("capital_out", "traffickers", "investors", float(self.cash[slots].sum()))
        self.cols["cash"][slots] = 0.0
        self.cols["alive"][slots] = False
        for s in slots.tolist():
            self.agents[s].remove()
            self.agents[s] = None
            self.free.append(s)
        self.free.sort(reverse=True)
        self.model.stats.events["exited"] += len(slots)

    # --- the weekly phase ------------------------------------------------------------------

    def step(self) -> None:
        """One week: crews come home, plan and depart, travel, pay upkeep, leave or enter."""
        self._route_costs()
        self._come_home()
        self._plan_and_depart()
        self._travel()
        self._pay_upkeep()
        self._exit()
        self._entry()

    def _come_home(self) -> None:
        back = np.flatnonzero(self.alive & (self.state == State.RETURNING))
        left = self.return_left[back] - 1.0
        self.cols["return_left"][back] = left
        self.cols["state"][back[left <= 0]] = State.IDLE

    def _plan_and_depart(self) -> None:
        """Idle crews queue at their source in random order; those in front of the queue plan.

        Only the crews whose place in the queue leaves them some of the source's stock choose a
        route and decide whether the trip pays; the others wait another week.
        """
        model, routes = self.model, self.routes
        rng, c = model.rng, self.cols
        idle = np.flatnonzero(self.alive & (self.state == State.IDLE))
        if len(idle) == 0:
            return
        group = self.group[idle]
        order = np.lexsort((rng.permutation(len(idle)), group))
        queue, grp = idle[order], group[order]
        start = np.searchsorted(grp, grp, side="left")
        cum = np.cumsum(self.capacity[queue])
        ahead = cum - self.capacity[queue] - np.where(start > 0, cum[start - 1], 0)
        front = ahead < model.market.stock[grp]
        c["idle_weeks"][queue[~front]] += 1
        queue, grp = queue[front], grp[front]
        if len(queue) == 0:
            return
        route, go = self._choose_routes(queue)
        g = self.good[queue]
        unit_cost = self.value_source[g] + self.transport_unit[route] + self.pay_unit[route]
        afford = np.floor(self.cash[queue] / np.maximum(unit_cost, 1e-9)).astype(np.int64)
        want = np.where(go, np.minimum(self.capacity[queue], afford), 0)
        start = np.searchsorted(grp, grp, side="left")
        cum = np.cumsum(want)
        before = cum - want - np.where(start > 0, cum[start - 1], 0)
        got = np.clip(model.market.stock[grp] - before, 0, want)
        go = got > 0
        dep, q, r = queue[go], got[go], route[go]
        c["idle_weeks"][queue[~go]] += 1
        if len(dep) == 0:
            return
        model.market.stock -= np.bincount(self.group[dep], weights=q, minlength=routes.n_groups).astype(np.int64)
        gd = self.good[dep]
        purchase = q * self.value_source[gd]
        transport = q * self.transport_unit[r]
        c["cash"][dep] -= purchase + transport
        c["outlay"][dep] = purchase + transport
        c["cargo"][dep] = q
        c["route"][dep] = r
        c["progress"][dep] = 0.0
        c["state"][dep] = State.MOVING
        c["idle_weeks"][dep] = 0
        model.ledger.pay("purchases", "traffickers", "producers", float(purchase.sum()))
        model.ledger.pay("transport", "traffickers", "transporters", float(transport.sum()))
        st = model.stats.week
        np.add.at(st["route_units"], r, q)
        np.add.at(st["departed"], gd, q)

    def _choose_routes(self, crews: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each crew's route (random utility, Gumbel noise) and whether its trip pays.

        Expected profit per unit on a route: the sink price times the perceived odds of getting
        through (raised to the crew's risk aversion), less the source price, transport and
        expected bribes and tolls. Perceived risk blends the crew's own experience with its
        network's.
        """
        p, routes = self.p, self.routes
        w = p.own_weight
        risk = w * self.own_risk[crews] + (1 - w) * self.network_risk[self.network[crews]]
        cand = routes.group_routes[self.group[crews]]
        valid = cand >= 0
        cand0 = np.where(valid, cand, 0)
        rows = np.arange(len(crews))
        at = risk[rows[:, None, None], self.passed_nodes[cand0]]
        log_survival = np.log1p(-np.minimum(at, 0.999999)).sum(axis=2)
        survival = np.exp(self.kind_risk_aversion[self.kind[crews]][:, None] * log_survival)
        g = self.good[crews]
        unit_profit = (
            survival * self.value_sink[g][:, None]
            - self.value_source[g][:, None]
            - self.transport_unit[cand0]
            - self.pay_unit[cand0]
        )
        unit_profit = np.where(valid, unit_profit, -np.inf)
        scale = p.choice_noise * (self.value_sink[g] - self.value_source[g])[:, None]
        pick = np.argmax(unit_profit + scale * self.model.rng.gumbel(size=unit_profit.shape), axis=1)
        return cand0[rows, pick], unit_profit[rows, pick] > 0

    def _travel(self) -> None:
        model, routes, p = self.model, self.routes, self.p
        rates, c = model.enforcement.rates, self.cols
        mov = np.flatnonzero(self.alive & (self.state == State.MOVING))
        if len(mov) == 0:
            return
        r, g, cargo = self.route[mov], self.good[mov], self.cargo[mov]
        old = self.progress[mov]
        new = old + 1.0
        cum = routes.cum_weeks[r]
        passed = (cum > old[:, None]) & (cum <= new[:, None])
        nodes = routes.nodes[r]
        safe_nodes = np.where(nodes >= 0, nodes, 0)
        gcol = g[:, None]
        hit = passed & (model.rng.random(passed.shape) < rates.seize[safe_nodes, gcol])
        width = passed.shape[1]
        seized_any = hit.any(axis=1)
        first = np.where(seized_any, np.argmax(hit, axis=1), width)
        pos = np.arange(width)[None, :]
        met = passed & (pos <= first[:, None])
        paying = passed & (pos < first[:, None])
        value = cargo[:, None] * self.value_at[r]
        bribe = np.where(paying, rates.bribe[safe_nodes, gcol] * value, 0.0)
        toll = np.where(paying, rates.toll[safe_nodes, gcol] * value, 0.0)
        due = bribe.sum(axis=1) + toll.sum(axis=1)
        cash = self.cash[mov]
        paid = np.minimum(cash, due)
        ratio = np.divide(paid, due, out=np.zeros_like(due), where=due > 0)[:, None]
        bribe *= ratio
        toll *= ratio
        c["cash"][mov] = cash - paid
        c["outlay"][mov] += paid
        # Encounters, for the enforcement side and for learning.
        ii, jj = np.nonzero(met)
        is_seized = jj == first[ii]
        enc = Encounters(
            place=nodes[ii, jj],
            good=g[ii],
            units=cargo[ii],
            value=value[ii, jj],
            seized=is_seized,
            bribe=bribe[ii, jj],
            toll=toll[ii, jj],
        )
        model.enforcement.settle(enc, model.ledger)
        self._learn(mov[ii], enc.place, is_seized)
        st = model.stats.week
        ok = ~is_seized
        np.add.at(st["place_units"], enc.place[ok], enc.units[ok])
        np.add.at(st["edge_units"], routes.edges[r[ii], jj], cargo[ii])
        # Seizures: cargo lost; the crew is arrested or heads home.
        s = np.flatnonzero(seized_any)
        if len(s):
            crews = mov[s]
            lost_value = value[s, first[s]]
            np.add.at(model.ledger.seized, g[s], cargo[s])
            np.add.at(st["seized"], g[s], cargo[s])
            np.add.at(st["seized_value"], g[s], lost_value)
            np.add.at(st["trip_profit"], g[s], -self.outlay[crews])
            np.add.at(st["trips"], g[s], 1)
            c["cargo"][crews] = 0
            c["state"][crews] = State.RETURNING
            c["return_left"][crews] = model.params.transport.return_time_factor * cum[s, first[s]]
            arrested = crews[model.rng.random(len(crews)) < p.arrest_probability]
            model.stats.events["arrested"] += len(arrested)
            self.leave(arrested)
        # Arrivals at the sink: sell.
        arrive = np.flatnonzero(~seized_any & (new >= routes.weeks[r]))
        if len(arrive):
            crews, ga = mov[arrive], g[arrive]
            revenue = cargo[arrive] * self.value_sink[ga]
            c["cash"][crews] += revenue
            model.ledger.pay("sales", "buyers", "traffickers", float(revenue.sum()))
            np.add.at(model.ledger.delivered, ga, cargo[arrive])
            np.add.at(st["delivered"], ga, cargo[arrive])
            np.add.at(st["delivered_value"], ga, revenue)
            np.add.at(st["trip_profit"], ga, revenue - self.outlay[crews])
            np.add.at(st["trips"], ga, 1)
            c["cargo"][crews] = 0
            c["state"][crews] = State.RETURNING
            c["return_left"][crews] = model.params.transport.return_time_factor * routes.weeks[r[arrive]]
        still = ~seized_any & (new < routes.weeks[r])
        c["progress"][mov[still]] = new[still]

    def _learn(self, crews: np.ndarray, places: np.ndarray, seized: np.ndarray) -> None:
        """Update perceived risk from this week's encounters (own and network)."""
        if len(crews) == 0:
            return
        p = self.p
        outcome = seized.astype(float)
        own = self.own_risk
        own[crews, places] += p.learning_rate_own * (outcome - own[crews, places])
        # Network memory: k encounters with s seizures at a place move the estimate by
        # 1-(1-eta)^k toward s/k, whatever order the members met it in.
        net = self.network[crews]
        n_net, width = self.network_risk.shape
        key = net * width + places
        count = np.bincount(key, minlength=n_net * width).reshape(n_net, width)
        hits = np.bincount(key, weights=outcome, minlength=n_net * width).reshape(n_net, width)
        seen = count > 0
        keep = (1.0 - p.learning_rate_network) ** count
        rate = np.divide(hits, count, out=np.zeros_like(hits), where=seen)
        self.network_risk[seen] = keep[seen] * self.network_risk[seen] + (1 - keep[seen]) * rate[seen]

    def _pay_upkeep(self) -> None:
        alive = np.flatnonzero(self.alive)
        due = self.p.upkeep_share * self.cargo_value_ref[alive]
        paid = np.minimum(self.cash[alive], due)
        self.cols["cash"][alive] -= paid
        self.model.ledger.pay("upkeep", "traffickers", "local_economy", float(paid.sum()))
        np.add.at(self.model.stats.week["upkeep"], self.good[alive], paid)

    def _exit(self) -> None:
        p = self.p
        idle = self.alive & (self.state == State.IDLE)
        broke = self.cash < p.exit_cash_share * self.cargo_value_ref
        bored = self.idle_weeks >= p.patience_weeks
        self.leave(np.flatnonzero(idle & (broke | bored)))

    def _entry(self) -> None:
        """New crews enter goods whose crews recently earned a return on their capital (M4).

        The entry rate grows with the recent return on the good's crews' capital and with the
        share of a week's supply left unbought at its sources.
        """
        st, p = self.model.stats.week, self.p
        n_goods = len(self.return_ema)
        alive = np.flatnonzero(self.alive)
        capital = np.bincount(self.good[alive], weights=self.cargo_value_ref[alive], minlength=n_goods)
        weekly_return = np.divide(st["trip_profit"] - st["upkeep"], capital, out=np.zeros(n_goods), where=capital > 0)
        mean_trip = np.divide(st["trip_profit"], st["trips"], out=self.profit_ema.copy(), where=st["trips"] > 0)
        traded = self.supportable > 0
        alpha = 0.1  # weight of this week in the running averages (about ten weeks' memory)
        self.return_ema[traded] += alpha * (weekly_return[traded] - self.return_ema[traded])
        self.profit_ema[traded] += alpha * (mean_trip[traded] - self.profit_ema[traded])
        # Entrants see goods left unbought at the sources: no glut, no room for newcomers.
        market = self.model.market
        left = np.bincount(market.group_good, weights=market.stock, minlength=n_goods)
        supply = np.bincount(market.group_good, weights=market.mean_supply, minlength=n_goods)
        room = np.minimum(1.0, np.divide(left, supply, out=np.zeros(n_goods), where=supply > 0))
        rate = p.entry_rate * self.supportable * np.maximum(self.return_ema * 52.0, 0.0) * room
        arrivals = self.model.rng.poisson(rate)
        for g in np.flatnonzero(arrivals):
            self.enter(int(g), int(arrivals[g]))
