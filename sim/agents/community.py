"""Communities: the people of each Malian place, living on the same informal economy.

A community has a population, a livelihood mix (farming, herding, informal trade, selling
gold and cattle, work for crews and armed groups), income, food security, trust in the
state, tolerance of smuggling, arms, grievance and a pool of young men armed groups recruit
from (000; 002 §II). Each week:

- licit income moves with herds (cattle theft), the informal trade through the place (border
  control that is not crime-sensitive cuts it; M7) and insecurity; money from goods sold at
  Malian sources, crews' upkeep and fighters' pay adds to it, armed groups' taxes take from it;
- food security in the north follows informal imports of food and fuel (M7);
- trust in the state falls with the bribe rate at the region's checkpoints and abuses by
  state and allied forces, and rises with the state's presence (M15);
- tolerance of smuggling falls as more of the crews passing are protected by jihadist groups
  (M17);
- arms come in from the arms markets; insecurity makes arms dearer, which draws more arms
  (self-arming; M16); where arms are common and the state absent, bandits rob unprotected
  crews (M16);
- grievance follows poverty, hunger, abuses, distrust and the harm done to it by armed groups
  of another identity (its ``threat``, which also makes it raise a militia; 000, 002 §III); the
  recruitment pool refills.

Each community has one communal identity (:mod:`sim.identity`), the largest group at its place.

Communities are one row each of :class:`Communities` (a Mesa agent per row) and implement the
:class:`sim.enforcement.Banditry` interface.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.agents.table import AgentTable, TableAgent
from sim.identity import IDENTITIES, assign
from sim.lazy import lazy_module
from sim.world.tables import PLACE_KINDS

turn_kernels = lazy_module("sim.agents.turn_kernels")

if TYPE_CHECKING:
    from sim.ledger import Ledger
    from sim.model import SahelModel

FARM, HERD, TRADE = 0, 1, 2
SOUTH_TRADE_SHARE = 0.15  # informal trade in the south's licit income (assumption; 000)
SOUTH_IMPORT_DEPENDENCE = 0.05  # the south grows most of its food (assumption)
SPEND_SHARE = 0.5  # weekly share of a community's cash spent outside the modelled economy
POOL_REFILL = 0.01  # weekly refill of the recruitment pool toward its full size
MAX_ROBBERY = 0.3
_NOTHING = np.zeros(0)
SPIN_UP_RATE = 0.3  # speed of attitudes and running averages during the burn-in
EMA_WEIGHT = 0.1  # weight of a week in running averages (about ten weeks' memory)
FOOD_IMPORT_WEIGHT = 0.7  # food versus fuel in what the north imports (assumption)
THREAT_MEMORY = 0.95  # weekly persistence of a community's memory of attacks and raids (about 20 weeks)
INDICES = ("income", "food_security", "trust", "tolerance")  # what Communities.index measures


class Community(TableAgent):
    """The people of one place: a Mesa agent whose state is one row of :class:`Communities`."""

    @property
    def place(self) -> str:
        """Place id."""
        return self.model.world.place_ids[int(self._get("place"))]

    @property
    def population(self) -> float:
        """People."""
        return float(self._get("population"))

    @property
    def trust(self) -> float:
        """Trust in the state, 0 to 1."""
        return float(self._get("trust"))

    @property
    def food_security(self) -> float:
        """Food security, 0 to 1."""
        return float(self._get("food_security"))


@dataclass(frozen=True, slots=True)
class Zone:
    """The communities at a set of places, looked up once (communities never move; issue 18).

    An armed group acts on the communities of its regions several times a week; a zone spares it
    the place-to-row lookups and the constant sums each time. The methods of :class:`Communities`
    that take places take a zone too, with the same arithmetic.

    Attributes:
        places: Places that have a community, in the order given (distinct).
        rows: Their rows in :class:`Communities`.
        population: Their people (constant).
        people: ``population.sum()``.
        identity: Their identities (constant).
    """

    places: np.ndarray
    rows: np.ndarray
    population: np.ndarray
    people: float
    identity: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True, slots=True)
class GroupPhase:
    """Per community, the terms of the groups' arithmetic that the groups' phase never changes (issue 18).

    Licit income, this week's money income, grievance and transit work are set in the
    communities' own phase; while the armed groups act they change cash, herds, threat and pools
    only. Each array holds, for every community (by row), the elementwise terms of a zone's
    licit level, income level and recruits (:meth:`Communities.licit_level`; the compiled turn,
    :func:`sim.agents.turn_kernels.group_economy`, gathers its zone's terms and sums them: the
    same operations on the same values, in the same order).

    Attributes:
        licit: Licit index times population.
        income_now: Population times this week's income (licit and money income, at least 0).
        income_ref: Population times the reference income; ``None`` before references are fixed.
        jobs: Young men in trafficking jobs.
        push: 1 + elasticity x licit shortfall.
        pull: 0.5 + grievance.
    """

    licit: np.ndarray
    income_now: np.ndarray
    income_ref: np.ndarray | None
    jobs: np.ndarray
    push: np.ndarray
    pull: np.ndarray


class Communities(AgentTable):
    """All communities, the money and goods they exchange, and the robbery odds they create.

    Args:
        model: The model.
        population: Actors table section with region populations and the north's regions.
    """

    AGENT = Community
    COLUMNS: typing.ClassVar[dict[str, type]] = {
        "place": np.int64,
        "north": bool,
        "population": np.float64,
        "herd": np.float64,
        "herd0": np.float64,
        "cash": np.float64,
        "inflow": np.float64,
        "licit": np.float64,
        "licit_base": np.float64,
        "trade_ema": np.float64,
        "food_ema": np.float64,
        "fuel_ema": np.float64,
        "food_security": np.float64,
        "trust": np.float64,
        "tolerance": np.float64,
        "arms": np.float64,
        "grievance": np.float64,
        "pool": np.float64,
        "bribe_rate": np.float64,
        "predation": np.float64,  # share of livelihood cargo seized at the region's checkpoints (M7)
        "jihadist_share": np.float64,
        "transit_ema": np.float64,  # weekly income from services sold to consignments passing
        "identity": np.int64,  # index into sim.identity.IDENTITIES
        "threat": np.float64,  # attacks and raids by groups of another identity, running sum
    }

    def __init__(self, model: SahelModel, population: dict):
        super().__init__(model, size=64)
        self.p = p = model.params.communities
        world = model.world
        self.world = world
        places = np.flatnonzero(world.in_mali)
        rows = self.add(len(places))
        self.rows = rows
        c = self.cols
        c["place"][rows] = places
        assert np.array_equal(rows, np.arange(len(places))), "communities are created once, in rows 0..n-1"
        town = np.isin(world.kind[places], [PLACE_KINDS.index("town"), PLACE_KINDS.index("source")])
        weights = np.where(town, 3.0, 1.0)
        region = np.array(world.region)[places]
        pop = np.zeros(len(places))
        for name, total in population["regions"].items():
            sel = region == name
            if sel.any():
                pop[sel] = total * weights[sel] / weights[sel].sum()
        c["population"][rows] = pop
        north = np.isin(region, population["north"])
        c["north"][rows] = north
        self.row_of_place = np.full(world.n_places, -1, dtype=np.int64)
        self.row_of_place[places] = rows
        self.region_index = np.unique(region, return_inverse=True)[1]
        self.n_regions = int(self.region_index.max()) + 1
        income = np.where(north, p.income_north_usd, p.income_south_usd)
        c["licit_base"][rows] = income * pop
        c["herd0"][rows] = c["herd"][rows] = p.herd_per_capita * pop
        c["trust"][rows] = 0.5
        c["tolerance"][rows] = 0.8  # smuggling seen as legitimate (000; M17)
        c["food_security"][rows] = 1.0
        c["arms"][rows] = p.arms_per_capita * pop
        c["pool"][rows] = p.youth_share * pop
        c["identity"][rows] = assign(pop, region, population.get("identities", {}))
        self.shares = np.zeros((len(rows), 3))
        self.shares[:, HERD] = np.where(north, p.herding_share_north, p.herding_share_south)
        self.shares[:, TRADE] = np.where(north, p.trade_share_north, SOUTH_TRADE_SHARE)
        self.shares[:, FARM] = 1.0 - self.shares[:, HERD] - self.shares[:, TRADE]
        self.import_dependence = np.where(north, p.import_dependence_north, SOUTH_IMPORT_DEPENDENCE)
        self.livelihood_goods = np.array([g.livelihood for g in world.goods])
        self.food, self.fuel, self.arms_good = (self._good(x) for x in ("food", "fuel", "arms"))
        self.rob = np.zeros(world.n_places)
        self.version = 0
        self._place_region: np.ndarray | None = None  # region of each place, for per-region indices
        self.ref: dict[str, np.ndarray] | None = None
        self.income_ref_pending = False  # references fixed before any week ran: take incomes from week 1
        self.week_inflow = np.zeros(len(rows))
        self.trade_sum = np.zeros(len(rows))
        self.trade_weeks = 0
        self.import_need = [self._import_need(model, g) for g in (self.food, self.fuel)]
        self.arms_base_price = 1.0

    def _import_need(self, model: SahelModel, good: int) -> np.ndarray:
        """Weekly imports of a good each community gets in normal times (its share of the supply)."""
        need = np.zeros(len(self.rows))
        if good < 0:
            return need
        supply = model.market.mean_supply[model.market.group_good == good].sum()
        dependent = self.import_dependence > SOUTH_IMPORT_DEPENDENCE
        pop = np.where(dependent, self.population[self.rows], 0.0)
        return supply * pop / max(pop.sum(), 1.0)

    def _good(self, gid: str) -> int:
        try:
            return self.world.good_index(gid)
        except KeyError:
            return -1

    def zone(self, places: np.ndarray) -> Zone:
        """The communities at these distinct places (those abroad left out), for repeated use.

        Distinct, because a zone's methods add to its rows by fancy index, once per row.
        """
        rows = self.row_of_place[places]
        rows = rows[rows >= 0]
        if len(np.unique(rows)) != len(rows):
            raise ValueError("Communities.zone: places must be distinct")
        population = self.population[rows]
        return Zone(self.place[rows], rows, population, float(population.sum()), self.identity[rows])

    def _zone(self, at: np.ndarray | Zone) -> Zone:
        return at if isinstance(at, Zone) else self.zone(at)

    # --- money in and out (called by other actors) ----------------------------------------

    def _credit(self, places: np.ndarray, amounts: np.ndarray, category: str, payer: str, ledger: Ledger) -> None:
        """Amounts paid at places: to their communities, else abroad; one compiled call (turn_kernels.credit)."""
        cash, inflow = self.cols["cash"], self.cols["inflow"]
        abroad, inside, any_inside = turn_kernels.credit(self.row_of_place, places, amounts, cash, inflow)
        if abroad:
            ledger.pay(category, payer, "producers" if category == "sales" else "local_economy", abroad)
        if any_inside:
            ledger.pay(category, payer, "communities", inside)

    def receive_sales(self, places: np.ndarray, amounts: np.ndarray, ledger: Ledger) -> None:
        """Goods bought at Malian sources pay the miners and herders there."""
        self._credit(places, amounts, "sales", "traffickers", ledger)

    def receive_upkeep(self, places: np.ndarray, amounts: np.ndarray, ledger: Ledger) -> None:
        """Crews' weekly spending at home: work in trafficking."""
        self._credit(places, amounts, "upkeep", "traffickers", ledger)

    def receive_services(self, places: np.ndarray, amounts: np.ndarray, ledger: Ledger) -> None:
        """Drivers, guides, guards, fuel, food and lodging sold to consignments passing (000; 002 §II)."""
        self._credit(places, amounts, "services", "traffickers", ledger)

    def receive_transfer(self, places: np.ndarray, amount: float, ledger: Ledger) -> None:
        """Reintegration packages and other transfers from donors, by population."""
        rows = self.row_of_place[places]
        rows = rows[rows >= 0]
        pop = self.population[rows]
        if len(rows):
            self._credit(self.place[rows], amount * pop / pop.sum(), "transfers", "donors", ledger)

    def receive_formal_sales(self, places: np.ndarray, amounts: np.ndarray, ledger: Ledger) -> None:
        """Gold sold through official channels pays the miners too (002 Box D)."""
        self._credit(places, amounts, "formal_gold", "state", ledger)

    def trust_at(self, places: np.ndarray) -> np.ndarray:
        """Trust in the state of the communities at these places (0.5 where none)."""
        rows = self.row_of_place[places]
        return np.where(rows >= 0, self.trust[np.maximum(rows, 0)], 0.5)

    # --- identity, harm and militias (000; 002 §III) ---------------------------------------

    def identity_at(self, places: np.ndarray) -> np.ndarray:
        """Identity of the communities at these places (``other`` abroad)."""
        rows = self.row_of_place[places]
        return np.where(rows >= 0, self.identity[np.maximum(rows, 0)], IDENTITIES.index("other"))

    def suffer_at(self, place: int, harm: float) -> None:
        """An attack by a group of another identity adds ``harm`` to the threat of the community at ``place``.

        Nothing where no community lives. (One place at a time, as attacks come: the array form
        with ``np.add.at`` cost 10 µs a call; issue 18, sixteenth pass.)
        """
        row = self.row_of_place[place]
        if row >= 0:
            self.cols["threat"][row] += harm

    def threatened(self, threshold: float) -> np.ndarray:
        """Rows whose threat exceeds ``threshold``, most threatened first."""
        r = self.rows
        rows = r[self.threat[r] > threshold]
        return rows[np.lexsort((rows, -self.threat[rows]))]

    def give_arms(self, row: int, n: float) -> float:
        """Arms the community hands to a militia it raises (at most ``n``)."""
        given = min(n, float(self.arms[row]))
        self.cols["arms"][row] -= given
        return given

    def region_sum(self, column: str, place_region: np.ndarray, n: int) -> np.ndarray:
        """Sum of a column over the communities of each region (``place_region``: region of each place)."""
        r = self.rows
        return np.bincount(place_region[self.place[r]], weights=self.cols[column][r], minlength=n)

    def kin_share(self, identity: int, place_region: np.ndarray, n: int) -> np.ndarray:
        """Share of each region's people in communities of ``identity``."""
        r = self.rows
        reg = place_region[self.place[r]]
        pop = self.population[r]
        kin = np.bincount(reg, weights=pop * (self.identity[r] == identity), minlength=n)
        return kin / np.maximum(np.bincount(reg, weights=pop, minlength=n), 1e-12)

    def group_phase(self, elasticity: float) -> GroupPhase:
        """The terms of the groups' arithmetic fixed for their phase (see :class:`GroupPhase`).

        Args:
            elasticity: Armed groups' ``recruit_income_elasticity``.
        """
        ref, c = self.ref, self.cols
        licit, income_now, income_ref, jobs, push, pull = turn_kernels.group_phase_terms(
            self.rows, c["population"], c["licit"], self.week_inflow, ref is not None,
            ref["licit"] if ref is not None else _NOTHING, ref["income"] if ref is not None else _NOTHING,
            c["transit_ema"], self.p.transit_wage_usd, c["grievance"], elasticity,
        )  # fmt: skip
        return GroupPhase(licit, income_now, income_ref if ref is not None else None, jobs, push, pull)

    def trafficking_jobs(self, rows: np.ndarray) -> np.ndarray:
        """Young men working for the consignments passing (drivers, guides, guards): not free to be recruited."""
        return self.transit_ema[rows] / self.p.transit_wage_usd

    def send_recruits(self, at: np.ndarray | Zone, n: float) -> None:
        """Recruits leave the pools, by pool size."""
        rows = self._zone(at).rows
        pool = self.pool[rows]
        total = np.add.reduce(pool)  # what .sum() computes
        if total > 0:
            self.pool[rows] = pool - np.minimum(pool, n * pool / total)

    def receive_arms(self, place: int, units: float) -> None:
        """Arms bought by the community at an arms market (M16)."""
        row = self.row_of_place[place]
        if row >= 0:
            self.cols["arms"][row] += units

    # --- indices ----------------------------------------------------------------------

    def licit_index(self, rows: np.ndarray) -> np.ndarray:
        """Licit income relative to its start-of-run level."""
        if self.ref is None:
            return np.ones(len(rows))
        base = self.ref["licit"][rows]
        return np.divide(self.licit[rows], base, out=np.ones(len(rows)), where=base > 0)

    def licit_level(self, at: np.ndarray | Zone) -> float:
        """Population-weighted licit income index of the communities at these places."""
        z = self._zone(at)
        if not len(z.rows):
            return 1.0
        if z.people == 0.0:  # np.average's arithmetic (same bits), without its overhead
            raise ZeroDivisionError("licit_level: the communities at these places have no people")
        return float(np.multiply(self.licit_index(z.rows), z.population).sum() / z.people)

    def set_reference(self) -> None:
        """Fix the start-of-run levels the indices are measured against."""
        r = self.rows
        self.ref = {
            "licit": self.licit[r].copy(),
            "income": self.income(),
            "trade": self.trade_sum / max(self.trade_weeks, 1),  # mean over the burn-in
            "food": self.food_ema[r].copy(),
            "fuel": self.fuel_ema[r].copy(),
            "food_security": self.food_security[r].copy(),
            "trust": self.trust[r].copy(),
            "tolerance": self.tolerance[r].copy(),
        }
        # Without a burn-in no week has run yet and every income is 0, so the income indices
        # would divide by 0; they are measured against the first recorded week instead.
        self.income_ref_pending = not self.ref["income"].any()

    def income(self) -> np.ndarray:
        """Each community's income this week: licit income plus money income net of taxes, never below 0."""
        return np.maximum(self.licit[self.rows] + self.week_inflow, 0.0)

    def index(self, name: str, north_only: bool = False, region: str | None = None) -> float:
        """Population-weighted mean of a community variable over its start-of-run level.

        Args:
            name: ``income``, ``food_security``, ``trust`` or ``tolerance``.
            north_only: Only the north's communities.
            region: Only the communities of this region (1.0 if it has none).
        """
        r = self.rows
        pop = self.population[r] * (self.north[r] if north_only else 1.0)
        if region is not None:
            pop = pop * self._in_region(region)
            if not pop.any():
                return 1.0
        if name not in INDICES:
            raise KeyError(name)
        now = self.income() if name == "income" else self.cols[name][r]  # only the one asked for
        ref = self.ref[name] if self.ref is not None else now
        return float((pop * now).sum() / max((pop * ref).sum(), 1e-12))

    def _in_region(self, region: str) -> np.ndarray:
        """Which communities lie in a region (cached: communities and their places never change)."""
        masks = self.__dict__.setdefault("_region_masks", {})
        mask = masks.get(region)
        if mask is None:
            if self._place_region is None:
                self._place_region = np.asarray(self.model.world.region)
            mask = masks[region] = self._place_region[self.place[self.rows]] == region
        return mask

    def arms_per_capita(self) -> float:
        """Arms held by communities per person."""
        r = self.rows
        return float(self.arms[r].sum() / self.population[r].sum())

    # --- the weekly phase --------------------------------------------------------------

    @property
    def ema_weight(self) -> float:
        """Weight of this week in running averages: larger during the burn-in (spin-up)."""
        return SPIN_UP_RATE if self.ref is None else EMA_WEIGHT

    @property
    def adjust_rate(self) -> float:
        """Speed of attitudes: fast during the burn-in so the run starts near equilibrium."""
        return max(self.p.adjust_rate, SPIN_UP_RATE) if self.ref is None else self.p.adjust_rate

    def step(self) -> None:
        """Income, food, trust, tolerance, arms and grievance for the week just begun.

        All but arms run as one compiled call on the columns (:func:`turn_kernels.community_week`,
        where each part's sources are): income, food, trust and tolerance, then grievance, pools
        and spending. Arms (:meth:`_arms`) touch none of their columns, so they follow; the
        ledger gets licit income, then consumption, as before (issue 18).
        """
        model, c, r = self.model, self.cols, self.rows
        self.week_inflow = self.inflow[r].copy()
        c["inflow"][r] = 0.0
        if self.ref is None:
            self.trade_weeks += 1
        k = turn_kernels
        totals = self._week(k.INCOME | k.FOOD | k.TRUST | k.GRIEVANCE, r, self.place[r])
        model.ledger.pay("licit_income", "local_economy", "communities", float(totals[0]))
        if self.income_ref_pending:  # licit income and inflows are as they were after income
            self.ref["licit"], self.ref["income"] = self.licit[r].copy(), self.income()
            self.income_ref_pending = False
        self._arms(r, self.place[r])
        model.ledger.pay("consumption", "communities", "local_economy", float(totals[1]))

    def _week(self, parts: int, r: np.ndarray, places: np.ndarray) -> np.ndarray:
        """Run ``parts`` of :func:`turn_kernels.community_week` on rows ``r``; the ledger's two totals."""
        model, p, c, k = self.model, self.p, self.cols, turn_kernels
        territory, market, last = model.territory, model.market, model.stats.last
        terms = np.empty(k.TERMS_SIZE)
        terms[k.T_W], terms[k.T_ADJUST] = self.ema_weight, self.adjust_rate
        terms[k.T_HERD_REGROWTH], terms[k.T_LICIT_SHOCK] = p.herd_regrowth, p.licit_shock
        terms[k.T_PRESENCE_W], terms[k.T_BRIBE_W] = p.trust_presence_weight, p.trust_bribe_weight
        terms[k.T_SEIZURE_W], terms[k.T_ABUSE_W] = p.trust_seizure_weight, p.trust_abuse_weight
        terms[k.T_JIHADIST_W], terms[k.T_YOUTH] = p.tolerance_jihadist_weight, p.youth_share
        terms[k.T_FOOD_IMPORT], terms[k.T_THREAT_MEMORY] = FOOD_IMPORT_WEIGHT, THREAT_MEMORY
        terms[k.T_POOL_REFILL], terms[k.T_SPEND_SHARE] = POOL_REFILL, SPEND_SHARE
        terms[k.T_FOOD_TRADED], terms[k.T_FUEL_TRADED] = self.food >= 0, self.fuel >= 0
        none = self.__dict__.get("_no_delivery")
        if none is None:
            none = self._no_delivery = np.zeros(self.world.n_places)
        delivered = tuple(market.delivered_last[g] if g >= 0 else none for g in (self.food, self.fuel))
        pop, pop_region = self._region_population()
        ref = self.ref
        totals = np.zeros(2)
        k.community_week(
            parts, terms, totals, r, places, self.region_index, self.n_regions,
            tuple(c[name] for name in k.COMMUNITY_COLUMNS), self.shares, np.empty(len(r)), self.trade_sum,
            ref is not None, ref["trade"] if ref is not None else none, ref["licit"] if ref is not None else none,
            tuple(last[key] for key in k.LAST_KEYS),
            (territory.insecurity, territory.presence, territory.abuse_rate),
            (model.levers.licit, model.levers.trust), delivered, pop, pop_region,
            (self.import_need[0], self.import_need[1]), self.import_dependence,
        )  # fmt: skip
        return totals

    def _food(self, r: np.ndarray, places: np.ndarray) -> None:
        """Food security: local food (farming, herds) plus informal imports of food and fuel (M7)."""
        self._week(turn_kernels.FOOD, r, places)

    def _region_population(self) -> tuple[np.ndarray, np.ndarray]:
        """Each community's people and its region's (constant: population never changes; cached)."""
        found = self.__dict__.get("_region_population_cache")
        if found is None:
            pop = self.population[self.rows]
            by_region = np.bincount(self.region_index, weights=pop, minlength=self.n_regions)
            found = self._region_population_cache = (pop, by_region[self.region_index])
        return found

    def _trust_and_tolerance(self, r: np.ndarray, places: np.ndarray) -> None:
        """Trust in the state (M15) and tolerance of smuggling (M17) move toward their targets."""
        self._week(turn_kernels.TRUST, r, places)

    def _arms(self, r: np.ndarray, places: np.ndarray) -> None:
        """Arms from the markets, self-arming and banditry (M16) in one compiled call (turn_kernels.community_arms).

        The armed groups' part of each delivery goes to them place by place after it, as before
        (their arms are not the communities'; issue 18, tenth pass).
        """
        p, c, model = self.p, self.cols, self.model
        groups, arming = model.armed_groups, self.arms_good >= 0
        delivered = model.market.delivered_last[self.arms_good] if arming else _NOTHING
        counts = self.__dict__.get("_region_counts")
        if counts is None:  # communities never move: the count of each region's is fixed
            counts = self._region_counts = np.maximum(np.bincount(self.region_index, minlength=self.n_regions), 1)
        n = self.world.n_places
        mult, rob = (np.empty(n) if arming else _NOTHING), np.empty(n)
        territory, share = model.territory, p.community_arms_share
        changed = turn_kernels.community_arms(
            r, places, c["arms"], self.population, 1.0 - p.arms_decay, self.row_of_place, delivered, share, 1 - share,
            groups is not None, self.region_index, self.n_regions, territory.insecurity, counts, p.self_arming,
            territory.presence, p.banditry, MAX_ROBBERY, self.rob, mult, rob,
        )  # fmt: skip
        if arming:
            if groups is not None:
                for place in np.flatnonzero(delivered).tolist():
                    groups.receive_arms(place, float(delivered[place]) * (1 - share))
            model.market.set_price_multiplier(self.arms_good, mult)
        if changed:
            self.rob = rob
            self.version += 1

    def total_cash(self) -> float:
        """Cash held by all communities (the communities account)."""
        return float(self.cash[self.rows].sum())
