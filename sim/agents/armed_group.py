"""Armed groups: rents, territory, recruitment, violence against civilians and fragmentation.

Four kinds (002 Box B): signatory (the CMA and its members), pro-government (the Platform),
jihadist (AQIM, Ansar Eddine, Al-Mourabitoun/MUJAO, Katiba Macina in the JNIM bloc; ISGS) and
community self-defence. Each group carries a communal identity (:mod:`sim.identity`). Each week
a group:

- collects tolls at the places it holds and protection fees and profit shares from the crews
  its bloc protects (M1, M3; booked as encounters happen);
- kidnaps for ransom, with a trafficker brokering the ransom (M2, M21), and taxes the
  communities it holds, jihadists more than others (M2);
- rustles cattle, mostly from communities of other identities (002 Box A, F11; 002 §II:
  rustling feeds "inter-communal conflicts");
- pays its fighters, who desert when unpaid and leave for licit work when it pays better than
  at the start (002 Box D: CMA-linked groups around Kidal left for artisanal gold mining); it
  recruits from the pools of its regions, above all from its own identity, more where licit
  income fell and grievance is high (M9), less from communities it has harmed;
- punishes communities that side with its enemies or the state, and takes reprisals on the
  identity whose groups harmed its own (002 §III, F15: attacks on civilians by jihadist and
  self-defence groups);
- contests the most lucrative node within reach held by a rival bloc, with odds set by
  relative strength (Tullock contest; M5);
- every few weeks appraises its regions by expected rents, taxes, herds and recruits against
  its enemies and the state there, leaves one that no longer pays and moves into a better
  neighbouring one (002 §III: the shift of the conflict to central Mali);
- may split when a commander would gain more by taking a lucrative node alone than his share
  inside the group (M5), switch to a bloc of its identity that would give it a larger share of
  rents and holds no feud with it (M5; 003), and, when targeted by counter-terrorism, see a
  faction rebrand under a non-jihadist label (M6).

Communities harmed by groups of another identity form self-defence militias (000: communities
"have taken up arms to protect themselves"; 002 §III).

Groups are few, so they are ordinary Mesa agents stepped in an order drawn from the model's
generator; :class:`ArmedGroups` holds their shared per-place arrays and implements the
:class:`sim.enforcement.Roadblocks` interface the crews use.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.enforcement import Encounters
from sim.identity import IDENTITIES, identity_index
from sim.lazy import lazy_module
from sim.names import PLACE_KINDS, REVENUE_SOURCES, GroupKind

kernel_rng = lazy_module("sim.kernel_rng")
turn_kernels = lazy_module("sim.agents.turn_kernels")

if TYPE_CHECKING:
    from sim.agents.community import GroupPhase, Zone
    from sim.ledger import Ledger
    from sim.model import SahelModel

MIN_FIGHTERS = 25  # a group below this dissolves
ROAMING_TAX = 0.3  # tax on communities a group roams among, relative to those it holds (assumption)
# Raiding opportunities (hostages, herds) grow less than in proportion to fighters: a group of
# REFERENCE_FIGHTERS uses them at the per-fighter rates, a group four times larger twice as much.
REFERENCE_FIGHTERS = 1000.0
EVENTS = (
    "clashes",
    "alliance_switches",
    "group_splits",
    "rebrands",
    "kidnappings",
    "civilian_attacks",
    "reprisals",
    "militias_formed",
    "regions_entered",
    "regions_left",
    "ransoms_brokered",
    "brokers_tied",
    "brokers_tied_by_chance",
    "brokers_spared",
)
FEUD_MEMORY = 0.99  # weekly persistence of a feud between two groups that clashed (about two years)
FEUD_BLOCKS = 0.5  # a feud above this keeps two groups out of one bloc (about 70 weeks after a clash)
GRUDGE_MEMORY = 0.98  # weekly persistence of harm one identity's groups did to another's communities
_EMPTY, _EMPTY_ROWS, _EMPTY_MASK = np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)


def reach(fighters: float) -> float:
    """Fighters' effective reach for raiding: sqrt(REFERENCE_FIGHTERS x fighters) (assumption)."""
    return math.sqrt(REFERENCE_FIGHTERS * max(fighters, 0.0))  # correctly rounded, as np.sqrt


def _group_state(groups: list[ArmedGroup]) -> np.ndarray:
    """Each group's fighters, funds, revenue average and arms as float64 rows: ``state`` of ``group_turns``.

    Read afresh for each batch after Python acted; one flat list is converted faster than a list
    of tuples (the same float64 values; issue 18, twelfth pass).
    """
    flat: list = []
    add = flat.extend
    for g in groups:
        add((g.fighters, g.funds, g.revenue_ema, g.arms))
    return np.array(flat, dtype=np.float64).reshape(len(groups), 4)


class _RegionTerms:
    """The terms of a region's value (:func:`turn_kernels.appraise`) no group changes while the groups act (issue 18).

    Rents at Malian places (place order), the state's absence, licit income and garrisons by
    region, the region of each community; and, computed on first use, each tax rate's yearly
    tax by region and each identity's kin factor: the same operations, in the same order, as
    the value of regions did for every call.
    """

    def __init__(self, groups: ArmedGroups, rents, absent, licit, state, community_region):
        self.groups = groups
        self.rents, self.absent, self.licit, self.state = rents, absent, licit, state
        self.community_region = community_region
        self._taxes: dict[float, np.ndarray] = {}
        self._kin: dict[int, np.ndarray] = {}
        self.kernel_args: tuple | None = None  # ArmedGroups._appraisal_terms, kept with these terms

    def tax(self, share: float) -> np.ndarray:
        """Yearly taxes by region at this share, where the state is absent."""
        tax = self._taxes.get(share)
        if tax is None:
            tax = self._taxes[share] = share * 52.0 * self.licit * self.absent
        return tax

    def kin_factor(self, identity: int) -> np.ndarray:
        """1 + kin_weight x the identity's share of each region's people (ones without communities)."""
        factor = self._kin.get(identity)
        if factor is None:
            groups = self.groups
            kin = groups._kin_share(identity) if groups.model.communities is not None else np.zeros(len(self.state))
            factor = self._kin[identity] = 1.0 + groups.p.kin_weight * kin
        return factor


class ArmedGroup(mesa.Agent):
    """An armed group: fighters, funds, arms, the places it holds and its bloc.

    Args:
        model: The model.
        name: Name of the group.
        kind: Kind of group.
        bloc: Index of its bloc (coalition), shared with its allies.
        fighters: Fighters.
        funds: Cash in US dollars (taken from the ledger's armed_groups account by the caller).
        arms: Rifles held.
        regions: Regions where it recruits, rustles and kidnaps; they change as it moves.
        identity: Index of its communal identity in :data:`sim.identity.IDENTITIES`.
    """

    def __init__(
        self,
        model,
        name: str,
        kind: GroupKind,
        bloc: int,
        fighters: float,
        funds: float,
        arms: float,
        regions,
        identity: int = 0,
    ):
        super().__init__(model)
        self.name, self.kind, self.bloc = name, kind, bloc
        self.fighters, self.funds, self.arms = float(fighters), float(funds), float(arms)
        self.regions = tuple(regions)
        self.identity = int(identity)
        self.ct_pressure = 0.0
        self.index = -1
        self.revenue = dict.fromkeys(REVENUE_SOURCES, 0.0)
        self.revenue_ema = 0.0  # weekly revenue, running average

    @property
    def strength(self) -> float:
        """Fighting strength: fighters, discounted when they lack arms."""
        armed = min(1.0, self.arms / self.fighters) if self.fighters > 0 else 0.0
        return self.fighters * armed**0.5

    @property
    def places(self) -> np.ndarray:
        """Node indices of the places the group holds."""
        return (self.model.territory.holder == self.index).nonzero()[0]  # flatnonzero without its wrapper

    @property
    def alliance(self) -> str:
        """Name of its bloc."""
        return self.model.armed_groups.bloc_names[self.bloc]

    def step(self) -> None:
        """A group's week: ransoms, taxes, cattle, pay and recruits, civilians, an attack, its regions."""
        self.model.armed_groups.turn(self)


class ArmedGroups:
    """All armed groups, their per-place arrays, and the roadblock interface (M1).

    Args:
        model: The model.
        specs: Groups from actors.yaml.
    """

    def __init__(self, model: SahelModel, specs: list[dict]):
        self.model = model
        self.p = p = model.params.armed_groups
        world = model.world
        self.world = world
        self.groups: list[ArmedGroup] = []
        self.bloc_names: list[str] = []
        self.toll = np.zeros(world.n_places)
        self.alliance = np.full(world.n_places, -1, dtype=np.int64)
        self.protecting = self.alliance.copy()
        self.rent = np.zeros(world.n_places)  # tolls and protection collected at each place, running average
        self.rent_week = np.zeros(world.n_places)
        self._held_count = np.zeros(0)
        self._turn: GroupPhase | None = None  # the communities' terms fixed while the groups act
        self._economy_args: tuple[tuple, tuple, dict] | None = None  # the economy's arguments fixed while they act
        self.version = 0
        self.events = dict.fromkeys(EVENTS, 0)
        self.cattle_stolen = 0.0
        self.recruits = 0.0
        self.exits = 0.0
        contestable = np.isin(world.kind, [PLACE_KINDS.index(k) for k in ("town", "crossing", "gold_site")])
        self.contestable = contestable & world.in_mali
        self.neighbours = [np.array(sorted(world.graph.neighbors(i)), dtype=np.int64) for i in range(world.n_places)]
        # Regions of Mali, the region of each place (-1 abroad) and which regions touch (a road).
        region = np.asarray(world.region)
        self.region_names = sorted({r for r, m in zip(world.region, world.in_mali, strict=True) if m})
        self.place_region = np.array(
            [self.region_names.index(r) if m else -1 for r, m in zip(world.region, world.in_mali, strict=True)],
            dtype=np.int64,
        )
        n_regions = len(self.region_names)
        self.region_adjacent = np.eye(n_regions, dtype=bool)
        for a, b in world.graph.edges():
            ra, rb = self.place_region[a], self.place_region[b]
            if ra >= 0 and rb >= 0:
                self.region_adjacent[ra, rb] = self.region_adjacent[rb, ra] = True
        self._places_of = {}
        communities = model.communities
        self._region_people = (
            communities.region_sum("population", self.place_region, n_regions)
            if communities is not None
            else np.ones(n_regions)
        )
        self._region_of_name = {name: np.flatnonzero((region == name) & world.in_mali) for name in self.region_names}
        self.feud = np.zeros((0, 0))  # clashes remembered between pairs of groups (history; 003)
        self.grudge = np.zeros((len(IDENTITIES), len(IDENTITIES)))  # harm to identity a by b's groups
        self.specs = {spec["id"]: spec for spec in specs}
        self._holder_seen = model.territory.holder.copy()
        for spec in specs:
            dormant = not spec.get("active", True)  # a historical timeline activates it later
            scale = 0.0 if dormant else 1.0
            group = self.add_group(
                spec["name"],
                GroupKind[spec["kind"].upper()],
                spec.get("alliance"),
                spec["fighters"] * p.fighters_scale * scale,
                spec["funds_usd"] * p.funds_scale * scale,
                spec["fighters"] * p.fighters_scale * spec.get("arms", 1.0) * scale,
                spec["regions"],
                identity_index(spec.get("identity")),
            )
            group.gid = spec["id"]
            if not dormant:
                for pid in spec["holds"]:
                    model.territory.holder[world.index[pid]] = group.index
        self.refresh()

    def by_id(self, gid: str) -> ArmedGroup:
        """The group of an actors-table id."""
        for g in self.groups:
            if getattr(g, "gid", None) == gid:
                return g
        raise KeyError(gid)

    def activate(self, gid: str, holds: list[str] | None = None, fighters: float | None = None) -> ArmedGroup:
        """A dormant group takes the field with its table's fighters, funds and arms (timelines)."""
        spec, p, g = self.specs[gid], self.p, self.by_id(gid)
        n = (fighters if fighters is not None else spec["fighters"]) * p.fighters_scale
        funds = spec["funds_usd"] * p.funds_scale
        g.fighters, g.arms = n, n * spec.get("arms", 1.0)
        g.funds += funds
        g.revenue_ema = p.wage_usd * n / p.budget_share
        self.model.ledger.pay("group_funds_in", "state", "armed_groups", float(funds))
        for pid in holds if holds is not None else spec["holds"]:
            self.model.territory.holder[self.world.index[pid]] = g.index
        self.refresh()
        return g

    def split_off(self, from_id: str, into_id: str, share: float, holds: list[str]) -> ArmedGroup:
        """Part of a group forms another group of the table (ISGS from MUJAO in 2015)."""
        parent, child = self.by_id(from_id), self.by_id(into_id)
        n = parent.fighters * share
        for attr in ("fighters", "arms", "funds"):
            moved = getattr(parent, attr) * share
            setattr(parent, attr, getattr(parent, attr) - moved)
            setattr(child, attr, getattr(child, attr) + moved)
        child.revenue_ema = self.p.wage_usd * n / self.p.budget_share
        for pid in holds:
            self.model.territory.holder[self.world.index[pid]] = child.index
        self.refresh()
        return child

    # --- membership ---------------------------------------------------------------------

    def bloc_id(self, name: str | None) -> int:
        """Index of a named bloc; an unnamed one gets a fresh index of its own."""
        if name is not None and name in self.bloc_names:
            return self.bloc_names.index(name)
        self.bloc_names.append(name if name is not None else f"independent {len(self.bloc_names)}")
        return len(self.bloc_names) - 1

    def add_group(self, name, kind, alliance, fighters, funds, arms, regions, identity: int = 0) -> ArmedGroup:
        """Create a group; its starting funds come from the state's account (looted or granted)."""
        group = ArmedGroup(self.model, name, kind, self.bloc_id(alliance), fighters, funds, arms, regions, identity)
        group.revenue_ema = self.p.wage_usd * fighters / self.p.budget_share  # its revenue at the start
        self._append(group)
        self.model.ledger.pay("group_funds_in", "state", "armed_groups", float(funds))
        return group

    def _append(self, group: ArmedGroup) -> None:
        """Give a new group its index and a row of the feud matrix."""
        group.index = len(self.groups)
        self.groups.append(group)
        feud = np.zeros((len(self.groups), len(self.groups)))
        feud[:-1, :-1] = self.feud
        self.feud = feud

    @property
    def active(self) -> list[ArmedGroup]:
        """Groups still in the field."""
        return [g for g in self.groups if g.fighters > 0]

    def hostile(self, a: ArmedGroup, b: ArmedGroup | None) -> bool:
        """Whether ``a`` fights ``b`` (``None``: the state). Allies never fight (M5)."""
        if b is None:
            return a.kind == GroupKind.JIHADIST
        # Rival blocs compete for routes whatever their label (003; 002 §II), unless a local
        # peace deal binds them (M11).
        deals = self.model.levers.deals
        if deals and any(a.index in deal and b.index in deal for deal in deals):
            return False
        return a.bloc != b.bloc

    def effective_blocs(self) -> np.ndarray:
        """Bloc of each group for sharing rents: groups in a peace deal share one (M11)."""
        blocs = np.array([g.bloc for g in self.groups], dtype=np.int64)
        for deal in self.model.levers.deals:
            members = np.array(sorted(deal), dtype=np.int64)
            blocs[members] = blocs[members].min()
        return blocs

    def refresh(self) -> None:
        """Recompute the per-place toll and bloc arrays from who holds what.

        Skipped when nothing they are made of changed since the last call (who holds each place,
        the groups' blocs and kinds, the deals and levers, the toll): most weeks (issue 18).
        """
        holder, levers = self.model.territory.holder, self.model.levers
        key = (
            holder.tobytes(),
            [(g.bloc, g.kind) for g in self.groups],
            list(levers.deals),
            frozenset(levers.no_protection_groups),
            frozenset(levers.disengaged),
            self.p.toll_share,
        )
        if key == self.__dict__.get("_refreshed"):
            return
        self._refreshed = key
        blocs = np.append(self.effective_blocs(), -1)
        alliance = np.where(holder >= 0, blocs[holder], -1)
        toll = np.where(holder >= 0, self.p.toll_share, 0.0)
        # Groups that chose to stop selling protection (the threat of sanctions; M14).
        silent = np.array([g.index in self.model.levers.no_protection_groups for g in self.groups] + [False])
        # Groups accommodated on condition of leaving the trade sell no protection and take no tolls (000; M18).
        out = np.array([g.index in self.model.levers.disengaged for g in self.groups] + [False])
        toll = np.where(out[holder], 0.0, toll)
        silent |= out
        protecting = np.where(silent[holder] & (holder >= 0), -1, alliance)
        # The state is absent where any group but its Platform allies holds the place (002 §II).
        hostile = np.array([g.kind != GroupKind.PRO_GOVERNMENT for g in self.groups] + [False])
        self.model.territory.hostile_to_state = np.where(holder >= 0, hostile[holder], False)
        if not (
            np.array_equal(alliance, self.alliance)
            and np.array_equal(toll, self.toll)
            and np.array_equal(protecting, self.protecting)
        ):
            self.alliance, self.toll, self.protecting = alliance, toll, protecting
            self.version += 1

    # --- roadblock interface (called by the crews) ---------------------------------------

    def collect(self, enc: Encounters, ledger: Ledger) -> None:
        """Tolls of this week's encounters go to the groups holding the places (M1)."""
        holder, groups = self.model.territory.holder, self.groups
        amounts, held = turn_kernels.tolls(holder, enc.place, enc.toll, self.rent_week, len(groups))
        if not held:
            raise ValueError("ArmedGroups.collect: a toll was paid at a place no group holds")
        for i, amount in enumerate(amounts.tolist()):
            if amount:
                self._earn(groups[i], "tolls", amount, "traffickers", ledger)

    def _bloc_members(self) -> dict[int, list[tuple[ArmedGroup, int]]]:
        """Members of each bloc that hold places and have fighters, with the places each holds.

        Computed once per payment: paying changes funds only, not who holds what.
        """
        holder = self.model.territory.holder
        counts = np.bincount(holder[holder >= 0], minlength=len(self.groups)).tolist()
        blocs = self.effective_blocs().tolist()
        members: dict[int, list[tuple[ArmedGroup, int]]] = {}
        for g in self.groups:
            if counts[g.index] > 0 and g.fighters > 0:
                members.setdefault(blocs[g.index], []).append((g, counts[g.index]))
        return members

    def _pay_bloc(
        self, bloc: np.ndarray, amount: np.ndarray, source: str, ledger: Ledger
    ) -> tuple[np.ndarray, np.ndarray]:
        """Split payments to blocs among their members by the places each holds.

        Blocs are paid in ascending order (as ``np.unique`` listed them); returns them and their
        totals (:func:`turn_kernels.bloc_totals`).
        """
        blocs, totals = turn_kernels.bloc_totals(bloc, amount)
        by_bloc = self._bloc_members()
        for b, total in zip(blocs.tolist(), totals.tolist(), strict=True):
            members = by_bloc.get(b)
            if not members:
                # The bloc lost every place since the crew left: the payment goes to whoever
                # still answers for it locally, outside the groups' books.
                ledger.pay(f"group_{source}", "traffickers", "local_economy", total)
                continue
            weight = sum(n for _, n in members)
            for g, n in members:
                self._earn(g, source, total * n / weight, "traffickers", ledger)
        return blocs, totals

    def protect(self, crews: np.ndarray, alliance: np.ndarray, fee: np.ndarray, ledger: Ledger) -> None:
        """Protection fees for high-value cargo, paid at departure (M1, M3)."""
        blocs, totals = self._pay_bloc(alliance, fee, "protection", ledger)
        # Protection rents accrue to the places of the route's bloc: spread over its places.
        turn_kernels.spread_rents(self.alliance, blocs, totals, self.rent_week)

    def share_profit(self, alliance: np.ndarray, amount: np.ndarray, ledger: Ledger) -> None:
        """The protecting bloc's share of its crews' profits ("trafficking" revenue)."""
        self._pay_bloc(alliance, amount, "trafficking", ledger)

    def _earn(self, group: ArmedGroup, source: str, amount: float, payer: str, ledger: Ledger) -> None:
        if amount <= 0:
            return
        ledger.pay(f"group_{source}", payer, "armed_groups", amount)
        group.funds += amount
        group.revenue[source] += amount

    # --- the weekly phase --------------------------------------------------------------

    def jihadist_blocs(self) -> np.ndarray:
        """Blocs with a jihadist member (M17: crews they protect change attitudes)."""
        return np.array(sorted({g.bloc for g in self.groups if g.kind == GroupKind.JIHADIST}), dtype=np.int64)

    def step(self) -> None:
        """Every active group acts once, in an order drawn from the model's generator."""
        for g in self.groups:
            g.revenue = dict.fromkeys(REVENUE_SOURCES, 0.0)
        self.events = dict.fromkeys(self.events, 0)
        self.cattle_stolen = 0.0
        self.recruits = 0.0
        self.exits = 0.0
        holder = self.model.territory.holder
        self._held_count = np.bincount(holder[holder >= 0], minlength=len(self.groups))
        order = self.model.rng.permutation(len(self.groups))
        self._fixed = {}  # what no group changes this phase, computed once (see _phase_fixed)
        communities = self.model.communities
        if communities is not None:  # the communities' terms no group changes (GroupPhase)
            self._turn = communities.group_phase(self.p.recruit_income_elasticity)
        self._economy_args = self._gather_economy_args()
        try:
            # One group after another: each acts on what the groups before it left (the order of
            # events is the model's semantics; issue 18 keeps it).
            if communities is not None:
                self._turns(order)
            else:
                for i in order.tolist():
                    g = self.groups[i]
                    if g.fighters > 0:
                        g.step()
        finally:
            self._fixed = self._turn = self._economy_args = None
        self._fragment()
        self.form_militias()
        self._dissolve()
        self.refresh()

    def end_week(self) -> None:
        """Fold this week's rents into the running averages used to pick targets; memories fade."""
        self.rent = 0.9 * self.rent + 0.1 * self.rent_week * 52.0
        self.rent_week.fill(0.0)
        self.feud *= FEUD_MEMORY
        self.grudge *= GRUDGE_MEMORY
        holder = self.model.territory.holder
        changed = holder != self._holder_seen
        self.model.stats.week["control_changes"][changed] += 1.0
        self._holder_seen = holder.copy()
        for g in self.groups:
            g.ct_pressure *= 0.95
            g.revenue_ema = 0.95 * g.revenue_ema + 0.05 * sum(g.revenue.values())

    def _region_places(self, group: ArmedGroup) -> np.ndarray:
        """Malian places in the group's regions (cached by the set of regions, which may change)."""
        key = group.regions
        cached = self._places_of.get(key)
        if cached is None:
            parts = [self._region_of_name[r] for r in key if r in self._region_of_name]
            cached = np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
            self._places_of[key] = cached
        return cached

    def _zone(self, group: ArmedGroup) -> Zone:
        """The communities of the group's regions (cached by the set of regions, like its places)."""
        zones = self.__dict__.setdefault("_zones", {})
        zone = zones.get(group.regions)
        if zone is None:
            zone = zones[group.regions] = self.model.communities.zone(self._region_places(group))
        return zone

    def _kin(self, group: ArmedGroup) -> tuple[np.ndarray, np.ndarray, np.ndarray, Zone]:
        """Per community of the group's zone: recruiting and raiding weights, other identity; the zone of those.

        The recruiting weight is before grudges. All depend only on identities, which never change:
        cached by regions and identity.
        """
        key = (group.regions, group.identity)
        kin = self.__dict__.setdefault("_kin_cache", {})
        if key not in kin:
            zone = self._zone(group)
            same = zone.identity == group.identity
            recruit = np.where(same, 1.0, self.p.outsider_recruit)
            others = self.model.communities.zone(zone.places[~same])
            kin[key] = (recruit, np.where(same, self.p.kin_raid_share, 1.0), ~same, others)
        return kin[key]

    def _cattle(self) -> int:
        """Index of the good cattle (cached)."""
        cattle = self.__dict__.get("_cattle_good")
        if cattle is None:
            cattle = self._cattle_good = self.world.good_index("cattle")
        return cattle

    def _kin_weights(self, group: ArmedGroup) -> np.ndarray:
        """Weight of each community of its regions (:meth:`_zone`) for recruiting: kin 1, others ``outsider_recruit``.

        Communities a group's identity has harmed join it less (000; 002 §III).
        """
        return self._kin(group)[0] / (1.0 + self.grudge[:, group.identity][self._zone(group).identity])

    def kidnap(self, group: ArmedGroup, n: int | None = None) -> None:
        """Kidnapping for ransom, brokered by a trafficker (M2, M21); ``n`` hostages if already drawn.

        The ransoms, the places where hostages are taken and the broker are drawn in one compiled
        call (:func:`turn_kernels.kidnap_draws`, issue 18, sixteenth pass), as the numpy form
        drew them; the payments are booked here, in their order.
        """
        p, model = self.p, self.model
        if n is None:
            rate = p.kidnap_rate_jihadist if group.kind == GroupKind.JIHADIST else p.kidnap_rate_other
            n = model.rng.poisson(rate * reach(group.fighters) / 100.0)
        if n == 0:
            return
        self.events["kidnappings"] += n
        crews, communities = model.crews, model.communities
        # The group's contacts broker: odds rise with each tie (002 §III: "prominent drug
        # trafficking figures with links to armed groups often served as intermediaries").
        if communities is not None:
            at_home = (communities.row_of_place, communities.identity, IDENTITIES.index("other"), group.identity)
        else:
            at_home = (_EMPTY_ROWS, _EMPTY_ROWS, 0, 0)
        ransom, broker, tie, tied_share = turn_kernels.kidnap_draws(
            kernel_rng.handles(model.rng), int(n), p.ransom_usd, self._region_places(group), model.territory.violence,
            crews.cols["alive"], crews.kind, crews.home, crews.bloc, group.bloc, self._in_regions(group.regions),
            self.place_region, *at_home, p.broker_tie_odds,
        )  # fmt: skip
        if broker == -2:
            raise ValueError(f"probabilities do not sum to 1: the broker weights of {group.name}")
        if broker >= 0:  # transnational or mercenary crews broker ransoms
            self.events["ransoms_brokered"] += 1
            self.events["brokers_tied"] += int(tie > 0)
            # Were brokers drawn at random: the share of tied brokers (an exact count over the candidates;
            # a numpy float, as numpy's count over a Python count gave).
            self.events["brokers_tied_by_chance"] += np.float64(tied_share)
            cut = p.broker_share * ransom
            model.ledger.pay("ransom_brokerage", "ransom_payers", "traffickers", cut)
            crews.cols["cash"][broker] += cut
            if crews.make_broker(broker, model.week_index + p.broker_weeks, hostages=n):
                self.events["brokers_spared"] += 1
            ransom -= cut
        self._earn(group, "kidnapping", ransom, "ransom_payers", model.ledger)

    def _in_regions(self, regions: tuple[str, ...]) -> np.ndarray:
        """Whether each region index is among ``regions``, with a last entry (False) for -1, abroad (cached).

        A lookup instead of ``np.isin`` (issue 18); unknown region names raise as ``list.index`` does.
        """
        cache = self.__dict__.setdefault("_in_regions_of", {})
        found = cache.get(regions)
        if found is None:
            found = np.zeros(len(self.region_names) + 1, dtype=bool)
            found[[self.region_names.index(r) for r in regions]] = True
            cache[regions] = found
        return found

    def turn(self, group: ArmedGroup) -> None:
        """A group's week: kidnapping, its economy, punishment, an attack, its regions, in this order.

        The draws and the economy up to the attack run in :func:`turn_kernels.group_economy`,
        which stops where Python must act: hostages drawn (the kidnapping, then the economy on
        what it left), a punishment or an attack drawn below its rate (they go on from the draw).
        The ledger gets the kidnapping's payments, then the economy's, then the others', as before.
        """
        self._finish_turn(group, self._economy(group, True, True, True, turn_kernels.FROM_KIDNAP))

    def _finish_turn(self, group: ArmedGroup, out: np.ndarray) -> None:
        """The rest of a turn whose economy ran up to ``out``'s stage: hostages, punishment or attack, appraisal."""
        k = turn_kernels
        stage = out[k.STAGE]
        if stage == k.STAGE_KIDNAP:
            self.kidnap(group, int(out[k.HOSTAGES]))
            out = self._economy(group, True, True, True, k.FROM_ECONOMY)
            stage = out[k.STAGE]
        if stage == k.STAGE_PUNISH:
            self.punish(group, float(out[k.PUNISH_U]))
            self.contest(group)
        elif stage == k.STAGE_ATTACK:
            self.contest(group, float(out[k.ATTACK_U]))
        self.appraise_regions(group)

    def _turns(self, order: np.ndarray) -> None:
        """The groups' turns in ``order``, as :meth:`turn` for each, in few compiled calls (issue 18, seventh pass).

        :func:`turn_kernels.group_turns` runs the turns one after another up to the first group
        where Python must act (a kidnapping, a punishment or attack drawn below its rate); Python
        then books the economies of the groups it ran, in their order, and their appraisals
        (:meth:`_moved`), finishes that group's turn as :meth:`turn` does, and calls it again
        from the next group. The ledger gets the same payments in the same order, the generator
        the same draws. The appraisals run in the loop (tenth pass) once the phase's first one
        has taken the terms no group changes (:meth:`_phase_fixed`), which the loop stops for.
        """
        k, groups = turn_kernels, self.groups
        common, tail, _ = self._economy_args
        before, after = self._turn_terms()
        self._fix_early(before[3])
        hostile, fixed, terms, resume = self._hostility(), self.__dict__.get("_fixed"), None, -1
        outs = np.empty((len(order), k.OUT_SIZE))
        book, ids, n, pos, state = self._book, order.tolist(), len(order), 0, None
        booked_with_batch = (k.STAGE_APPRAISE, k.STAGE_PUNISH, k.STAGE_ATTACK)  # stopped with its economy booked
        touched, refused = np.zeros(4, dtype=np.bool_), np.zeros(1, dtype=np.int64)
        while pos < n:
            if state is None:  # read afresh after Python acted (a clash changes another group's fighters)
                state = _group_state(groups)
                regions = self._region_arrays()
            if resume < 0:  # the appraisals' terms, once the phase's first appraisal took them (_phase_fixed)
                terms = fixed.get("regions") if fixed else None
            appraisal = self._appraisal_terms(terms) if terms is not None else self._no_appraisal
            sums = self._ledger_sums(touched)
            stop = k.group_turns(
                common[0], order, pos, state, *before, outs, sums, touched, refused, *after, *tail, hostile, *regions,
                *appraisal[:-1], resume,
            )  # fmt: skip
            self._write_ledger_sums(sums, touched)
            stages = outs[pos : stop + 1, k.STAGE].tolist()
            stage = stages[-1] if stop < n else k.STAGE_DONE
            # The stopped group's economy was booked in the loop unless Python acts first (hostages, its whole turn).
            end = stop + 1 if stage in booked_with_batch else stop
            bad = refused[0] >= 0  # the stopped group is not booked: the old way raises pay's error for it
            for j in range(pos, stop if bad else end):
                stage_j = stages[j - pos]
                if stage_j != k.STAGE_SKIPPED:
                    if j != resume:  # a resumed group's economy was booked with the batch before
                        book(groups[ids[j]], outs[j], True, True, True)
                    if stage_j == k.STAGE_APPRAISED:
                        self._moved(groups[ids[j]], outs[j])
            resume = -1
            if bad:
                book(groups[ids[stop]], outs[stop], True, True)
                raise AssertionError("group_turns stopped at an amount Ledger.pay took")
            if stop == n:
                return
            if stage == k.STAGE_APPRAISE:  # the terms no group changes, taken now as appraise_regions takes them
                terms, resume, pos = self._phase_fixed(), stop, stop
                continue
            group, out = groups[ids[stop]], outs[stop]
            state = None
            if stage == k.STAGE_PYTHON:
                self.turn(group)
            else:
                self._finish_turn(group, out)
            pos = stop + 1

    def _fix_early(self, due: np.ndarray) -> None:
        """Take the phase's :meth:`_phase_fixed` terms before the first batch when an appraisal is due (twelfth pass).

        Nothing the groups do in their phase moves those terms (rents, the state's presence,
        garrisons, licit income), so taking them up front gives the same values as at the first
        appraisal, and :func:`turn_kernels.group_turns` no longer stops there (one compiled call
        and its Python less a week). With no appraisal due they are not needed: left to the loop.
        """
        fixed = self.__dict__.get("_fixed")
        if fixed is not None and not fixed and due.any():
            self._phase_fixed()

    def _moved(self, group: ArmedGroup, out: np.ndarray) -> None:
        """Book a group's appraisal made in :func:`turn_kernels.group_turns`: the region it left, the one it entered.

        Its regions change as :meth:`appraise_regions` changes them (the places it gave up were
        given up in the loop).
        """
        k, names = turn_kernels, self.region_names
        left, entered = int(out[k.LEFT]), int(out[k.ENTERED])
        if left >= 0:
            group.regions = tuple(r for r in group.regions if r != names[left])
            self.events["regions_left"] += 1
        if entered >= 0:
            group.regions = (*group.regions, names[entered])
            self.events["regions_entered"] += 1

    def _region_arrays(self, copy: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each group's Malian regions (:meth:`_current`) as rows padded with -1, their counts, its count of regions.

        The arguments ``current``, ``n_current`` and ``spread`` of :func:`turn_kernels.group_turns`
        and :func:`turn_kernels.enemy_strength`; kept while the groups' regions stay the same and
        copied for the loop, which changes them (issue 18, tenth pass).
        """
        key = tuple(g.regions for g in self.groups)
        kept = self.__dict__.get("_region_arrays_kept")
        if kept is None or kept[0] != key:
            currents = [self._current(regions) for regions in key]
            current = np.full((len(key), max(map(len, currents), default=0) + 1), -1, dtype=np.int64)
            for i, c in enumerate(currents):
                current[i, : len(c)] = c
            n_current = np.array([len(c) for c in currents], dtype=np.int64)
            spread = np.array([len(regions) for regions in key], dtype=np.int64)
            kept = self._region_arrays_kept = (key, current, n_current, spread)
        return (kept[1].copy(), kept[2].copy(), kept[3].copy()) if copy else kept[1:]

    def _hostility(self) -> np.ndarray:
        """Whether group ``a`` fights ``b`` (:meth:`hostile`), a matrix by index (kept while blocs and deals hold)."""
        deals = self.model.levers.deals
        key = (tuple(g.bloc for g in self.groups), tuple(deals))
        kept = self.__dict__.get("_hostility_kept")
        if kept is None or kept[0] != key:
            blocs = np.array(key[0], dtype=np.int64)
            hostile = blocs[:, None] != blocs[None, :]
            for deal in deals:  # a local peace deal binds its members (M11)
                members = [i for i in sorted(deal) if 0 <= i < len(blocs)]
                hostile[np.ix_(members, members)] = False
            kept = self._hostility_kept = (key, hostile)
        return kept[1]

    def _appraisal_terms(self, terms: _RegionTerms) -> tuple:
        """The appraisal's arguments of :func:`turn_kernels.group_turns` from ``mali`` on, then ``terms`` itself.

        Those :meth:`appraise_regions` passes, with one row per group where they depend on the
        group (kin, taxes, cattle, home); the rows that depend only on the groups' kinds and
        identities are kept while those stay the same.
        """
        if terms.kernel_args is not None:
            return terms.kernel_args
        p, groups = self.p, self.groups
        kept, turn_kept = self.__dict__.get("_appraisal_kept"), self.__dict__.get("_turn_kept")
        if kept is None or kept[0] is not turn_kept or turn_kept is None:  # kept with _turn_terms' (kinds, identities)
            other = np.array([g.kind != GroupKind.JIHADIST for g in groups], dtype=np.int64)
            per_fighter = np.array((p.rustle_jihadist, p.rustle_other))[other]
            n = len(self.region_names)
            kin = np.array([terms.kin_factor(g.identity) for g in groups], dtype=np.float64).reshape(len(groups), n)
            home = np.array([self._home(g.identity) for g in groups], dtype=np.float64).reshape(len(groups), n)
            kept = self._appraisal_kept = (turn_kept, other, per_fighter, kin, home)
        _, other, per_fighter, kin, home = kept
        tax = np.array((terms.tax(p.tax_share_jihadist), terms.tax(p.tax_share_other)))[other]  # by kind: 0 jihadist
        price = p.fence_share * self.model.market.value_source[self._cattle()]
        cattle = np.empty((len(groups), 2))
        cattle[:, 0], cattle[:, 1] = per_fighter, price
        mali, of_mali, _ = self._mali_regions()
        ptr, places = self._region_places_csr()
        found = (mali, of_mali, terms.rents, terms.state, kin, tax, cattle, terms.community_region, home)
        terms.kernel_args = (*found, self.region_adjacent, ptr, places, terms)
        return terms.kernel_args

    @property
    def _no_appraisal(self) -> tuple:
        """:meth:`_appraisal_terms` where no appraisal is due: empty arrays of the same kinds (cached)."""
        found = self.__dict__.get("_no_appraisal_args")
        if found is None:
            e2 = np.zeros((0, 0))
            found = self._no_appraisal_args = (
                _EMPTY_ROWS, _EMPTY_ROWS, _EMPTY, _EMPTY, e2, e2, e2, _EMPTY_ROWS, e2,
                np.zeros((0, 0), dtype=self.region_adjacent.dtype), _EMPTY_ROWS, _EMPTY_ROWS, None,
            )  # fmt: skip
        return found

    def _ledger_sums(self, touched: np.ndarray) -> np.ndarray:
        """The ledger's running sums the groups' economies add to, for :func:`turn_kernels.book_out` (issue 18, pass 8).

        In the slots of ``turn_kernels.BOOK_ACCOUNTS``, ``B_TURNOVER`` and ``BOOK_FLOWS``; a flow
        without an entry yet reads 0.0, as the ledger's ``defaultdict`` starts it. Clears ``touched``.
        """
        ledger = self.model.ledger
        balances, get = ledger.balances, ledger.week_flows.get
        touched[:] = False
        return np.array((
            balances["communities"], balances["armed_groups"], balances["local_economy"], ledger.turnover,
            get("group_community_taxation", 0.0), get("group_rustling", 0.0), get("wages", 0.0),
            get("group_spending", 0.0),
        ))  # fmt: skip

    def _write_ledger_sums(self, sums: np.ndarray, touched: np.ndarray) -> None:
        """Write back :meth:`_ledger_sums` as Python floats (as ``Ledger.pay`` keeps them); a flow only if paid."""
        ledger = self.model.ledger
        balances, flows = ledger.balances, ledger.week_flows
        communities, groups, local, ledger.turnover, taxation, rustling, wages, spending = sums.tolist()
        balances["communities"], balances["armed_groups"], balances["local_economy"] = communities, groups, local
        tax_in, rustled, waged, spent = touched.tolist()
        if tax_in:
            flows["group_community_taxation"] = taxation
        if rustled:
            flows["group_rustling"] = rustling
        if waged:
            flows["wages"] = wages
        if spent:
            flows["group_spending"] = spending

    def _turn_terms(self) -> tuple[tuple, tuple]:
        """The arguments of :func:`turn_kernels.group_turns` from ``terms`` to ``gates``, and ``params`` to the zones'.

        All but ``due`` (whether each group's appraisal is due this week: :meth:`appraise_regions`'
        first gates) and the live columns are kept while the parameters and every group's
        regions, identity and kind stay the same (:meth:`_gather_turn_terms`).
        """
        p, groups = self.p, self.groups
        key = tuple((g.regions, g.identity, g.kind) for g in groups)
        kept = self.__dict__.get("_turn_kept")
        if kept is None or kept[0] is not p or kept[1] != key:
            kept = self._turn_kept = (p, key, *self._gather_turn_terms())
        _, _, index, appraising, before, zones = kept
        weeks = p.appraise_weeks
        if weeks > 0:
            due = ((self.model.week_index + index) % weeks == 0) & appraising
        else:
            due = np.zeros(len(groups), dtype=np.bool_)
        common = self._economy_args[0]
        return (*before[:3], due, *before[3:]), (zones[0], *common[8:11], *zones[1:])

    def _gather_turn_terms(self) -> tuple:
        """What :meth:`_turn_terms` keeps: indices, who may appraise, and the terms by group and zone.

        By group: tax shares and rustling rate (by kind), identity, whether Python runs its whole
        turn (a zone with no people, where :meth:`_economy` raises), its regions in Mali (counted
        as :meth:`appraise_regions` counts them), the draws' gates; the economy's parameters with
        the cattle's price (constant); the zones and kin weights of all groups in one run of
        arrays (zones and kin weights never change for the same regions and identity).
        """
        p, model, groups, k = self.p, self.model, self.groups, turn_kernels
        parts = [(self._zone(g), self._kin(g)) for g in groups]
        ptr = np.zeros(len(groups) + 1, dtype=np.int64)
        ptr[1:] = np.cumsum([len(zone) for zone, _ in parts])

        def joined(values, dtype):
            return np.concatenate([np.asarray(v, dtype=dtype) for v in values]) if values else np.zeros(0, dtype)

        terms = np.array(
            [
                (p.tax_share_jihadist, p.tax_share_jihadist * ROAMING_TAX, p.rustle_jihadist)
                if g.kind == GroupKind.JIHADIST
                else (p.tax_share_other, p.tax_share_other * ROAMING_TAX, p.rustle_other)
                for g in groups
            ],
            dtype=np.float64,
        ).reshape(len(groups), 3)
        before = (
            terms,
            np.array([g.identity for g in groups], dtype=np.int64),
            np.array([len(zone) > 0 and zone.people == 0.0 for zone, _ in parts], dtype=np.bool_),
            np.array([sum(r in self.region_names for r in g.regions) for g in groups], dtype=np.int64),
            np.array([self._gates(g, k.FROM_KIDNAP) for g in groups], dtype=np.float64).reshape(len(groups), 5),
        )
        params = np.empty(k.P_SIZE)
        params[: k.P_BUDGET] = (p.wage_usd, p.spend_rate, p.exit_rate, p.exit_elasticity, p.desertion_rate)
        params[k.P_BUDGET], params[k.P_RECRUIT] = p.budget_share, p.recruit_rate
        params[k.P_PRICE] = p.fence_share * model.market.value_source[self._cattle()]
        params[k.P_UNIT_SIZE] = p.unit_size
        params[k.P_HALF], params[k.P_LEAVE], params[k.P_ENTER] = 0.5, p.leave_share, p.enter_share  # the appraisal's
        zones = (
            params,
            ptr,
            joined([zone.rows for zone, _ in parts], np.int64),
            joined([zone.places for zone, _ in parts], np.int64),
            joined([zone.population for zone, _ in parts], np.float64),
            np.array([zone.people for zone, _ in parts], dtype=np.float64),
            joined([zone.identity for zone, _ in parts], np.int64),
            joined([kin[1] for _, kin in parts], np.float64),
            joined([kin[2] for _, kin in parts], np.bool_),
            joined([kin[0] for _, kin in parts], np.float64),
        )
        index = np.array([g.index for g in groups], dtype=np.int64)
        appraising = np.array([g.kind != GroupKind.SELF_DEFENCE for g in groups], dtype=np.bool_)
        return index, appraising, before, zones

    def economy(self, group: ArmedGroup) -> None:
        """Taxes, cattle rustling, then pay and recruits: one compiled call (:mod:`sim.agents.turn_kernels`)."""
        self._economy(group, True, True, True)

    def tax_communities(self, group: ArmedGroup) -> None:
        """Taxes on the communities it holds, and at a lower rate on those it roams among (M2)."""
        self._economy(group, True, False, False)

    def rustle(self, group: ArmedGroup) -> None:
        """Cattle rustling in the group's regions, sold on for part of the price (F11).

        Raids fall mostly on communities of other identities (``kin_raid_share`` on its own):
        rustling is part of raid and reprisal between communities (002 Box A; 002 §II).
        """
        self._economy(group, False, True, False)

    def pay_and_recruit(self, group: ArmedGroup) -> None:
        """Pay fighters; the unpaid desert, some leave for licit work, recruits come from the pools.

        No refill to what revenue pays for (the old rule cancelled DDR; issue 14): recruits come
        at the pace the pools give them, while revenue covers their pay (M9). Fighters leave at
        ``exit_rate`` a week, faster where the communities of its regions earn more than at the
        start (licit work, transit services, artisanal gold; 002 Box D, M10).
        """
        self._economy(group, False, False, True)

    def _economy(self, group: ArmedGroup, tax: bool, rustle: bool, pay: bool, start: float | None = None) -> np.ndarray:
        """The selected steps of a group's economy in :func:`turn_kernels.group_economy`, then their books.

        The kernel changes the communities' columns, the grudges and the week's cattle stolen in
        place and makes the draws; the payments are booked here in the order the steps made
        them: taxes on held then roamed communities (M2), the rustled herds' price (F11), wages
        (M9), spending. The arguments no group changes are gathered once a phase (issue 18).
        From ``start`` (:func:`turn_kernels.group_economy`) it also makes a turn's other draws;
        it returns the kernel's ``out`` (nothing booked when it stopped before the economy).
        """
        if start is None:  # read here, not as a default: turn_kernels loads at first use (sim.lazy)
            start = turn_kernels.ECONOMY_ONLY
        p, model = self.p, self.model
        communities = model.communities
        jihadist = group.kind == GroupKind.JIHADIST
        share = p.tax_share_jihadist if jihadist else p.tax_share_other
        per_fighter = p.rustle_jihadist if jihadist else p.rustle_other
        out = np.empty(turn_kernels.OUT_SIZE)
        common, tail, _ = self._economy_args or self._gather_economy_args()
        gates = self._gates(group, start)
        if communities is not None:
            zone = self._zone(group)
            if len(zone) and zone.people == 0.0 and pay:
                raise ZeroDivisionError("licit_level: the communities at these places have no people")
            recruit, raid, outsider, _ = self._kin(group)
            price = p.fence_share * model.market.value_source[self._cattle()]
            turn_kernels.group_economy(
                common[0], gates, out, tax, rustle, pay, True,
                group.index, group.identity, group.fighters, group.funds, group.revenue_ema,
                share, share * ROAMING_TAX, per_fighter, price, *common[1:],
                zone.rows, zone.places, zone.population, zone.people, zone.identity, raid, outsider, recruit, *tail,
            )  # fmt: skip
        else:
            turn_kernels.group_economy(
                common[0], gates, out, tax, rustle, pay, False, group.index, group.identity,
                group.fighters, group.funds, group.revenue_ema,
                share, share * ROAMING_TAX, per_fighter, 0.0, *common[1:],
                _EMPTY_ROWS, _EMPTY_ROWS, _EMPTY, 0.0, _EMPTY_ROWS, _EMPTY, _EMPTY_MASK, _EMPTY, *tail,
            )  # fmt: skip
        if out[turn_kernels.STAGE] != turn_kernels.STAGE_KIDNAP:
            self._book(group, out, tax and communities is not None, pay)
        return out

    def _gates(self, group: ArmedGroup, start: float) -> np.ndarray:
        """The ``gates`` of :func:`turn_kernels.group_economy`: where it starts, the rates of the turn's draws.

        One array per kind of group and start, kept for the phase with the economy's arguments.
        """
        jihadist = group.kind == GroupKind.JIHADIST
        kept = self._economy_args
        if kept is not None:
            found = kept[2].get((jihadist, start))
            if found is not None:
                return found
        p, k = self.p, turn_kernels
        gates = np.empty(5)
        gates[k.G_FROM], gates[k.G_REFERENCE] = start, REFERENCE_FIGHTERS
        gates[k.G_KIDNAP_RATE] = p.kidnap_rate_jihadist if jihadist else p.kidnap_rate_other
        # punish draws nothing without communities or a rate (as ArmedGroups.punish)
        punishes = self.model.communities is not None and p.civilian_attack_rate > 0
        gates[k.G_PUNISH_RATE] = p.civilian_attack_rate if punishes else -1.0
        gates[k.G_ATTACK_RATE] = p.attack_rate
        if kept is not None:
            kept[2][jihadist, start] = gates
        return gates

    def _gather_economy_args(self) -> tuple[tuple, tuple, dict]:
        """The arguments of :func:`turn_kernels.group_economy` no group changes: before the zone's, after, the gates.

        Kept for the phase by :meth:`step` (arrays changed in place stay the same objects);
        gathered afresh for each call outside it.
        """
        p, model = self.p, self.model
        communities = model.communities
        common = (
            kernel_rng.handles(model.rng),
            p.wage_usd, p.spend_rate, p.exit_rate, p.exit_elasticity, p.desertion_rate, p.budget_share,
            p.recruit_rate, model.territory.holder,
        )  # fmt: skip
        if communities is None:
            tail = (self.grudge, *(_EMPTY,) * 10, False, _EMPTY, _EMPTY, _EMPTY)
            return (*common, _EMPTY_ROWS, _EMPTY_ROWS), tail, {}
        places = self.__dict__.get("_community_places")
        if places is None:  # communities never move
            places = self._community_places = communities.place[communities.rows]
        fixed = self._turn or communities.group_phase(p.recruit_income_elasticity)
        cols = communities.cols
        tail = (
            self.grudge, cols["cash"], cols["inflow"], cols["licit"], cols["herd"], cols["threat"], cols["pool"],
            model.stats.week["cattle_stolen"],
            fixed.licit, fixed.income_now, fixed.income_ref if fixed.income_ref is not None else _EMPTY,
            fixed.income_ref is not None, fixed.jobs, fixed.push, fixed.pull,
        )  # fmt: skip
        return (*common, communities.rows, places), tail, {}

    def _book(self, group: ArmedGroup, out: np.ndarray, taxed: bool, paid: bool, paid_in: bool = False) -> None:
        """Book what :func:`turn_kernels.group_economy` returned, in the order its steps made it.

        With ``paid_in`` the ledger's payments were made already (in :func:`turn_kernels.group_turns`): only the
        group and the phase's counters are updated.

        The numpy form's scalars were numpy floats or Python floats depending on which operand
        ``min``/``max`` returned (the cattle price is a numpy float); later code (the running
        averages, the summaries) treats the two differently, so each result keeps the type it had.
        """
        k, ledger, f64 = turn_kernels, self.model.ledger, np.float64
        o = out.tolist()  # Python floats, read faster than numpy scalars; np.float64 where the numpy form had one
        np_funds = type(group.funds) is not float
        np_fighters = type(group.fighters) is not float
        if taxed:
            if o[k.HELD_ANY] and not paid_in:
                ledger.pay("group_community_taxation", "communities", "armed_groups", o[k.TAX_HELD])
            if o[k.ROAMED_ANY] and not paid_in:
                ledger.pay("group_community_taxation", "communities", "armed_groups", o[k.TAX_ROAMED])
            group.revenue["community_taxation"] += o[k.TAXED]
        if o[k.RUSTLED]:
            priced = bool(o[k.RUSTLE_PAID_PRICED])
            value = f64(o[k.RUSTLE_PAID]) if priced else o[k.RUSTLE_PAID]
            if value > 0 and not paid_in:
                ledger.pay("group_rustling", "communities", "armed_groups", value)
            self.cattle_stolen += o[k.STOLEN]
            group.revenue["rustling"] += value
            np_funds |= priced
        if paid:
            np_paid = np_funds if not o[k.WAGES_CHOSEN] else np_fighters
            np_funds |= np_paid
            if not paid_in:
                if o[k.ZONE_ANY]:
                    ledger.pay("wages", "armed_groups", "communities", o[k.WAGES_BOOKED])
                else:
                    ledger.pay("wages", "armed_groups", "local_economy", o[k.WAGES])
                ledger.pay("group_spending", "armed_groups", "local_economy", o[k.SPEND])
            np_unpaid = (np_paid or np_fighters) and bool(o[k.WAGES_POSITIVE])
            np_gone = np_fighters or (np_unpaid and bool(o[k.LEAVE_BELOW_ONE]))
            self.exits += f64(o[k.GONE]) if np_gone else o[k.GONE]
            np_fighters |= np_gone
            if o[k.RECRUITS] > 0:
                np_recruits = (type(group.revenue_ema) is not float or np_fighters) and bool(o[k.RECRUITS_AFFORDABLE])
                self.recruits += f64(o[k.RECRUITS]) if np_recruits else o[k.RECRUITS]
                np_fighters |= np_recruits
            group.fighters = f64(o[k.FIGHTERS]) if np_fighters else o[k.FIGHTERS]
        group.funds = f64(o[k.FUNDS]) if np_funds else o[k.FUNDS]

    def punish(self, group: ArmedGroup, u: float | None = None) -> None:
        """Violence against civilians as a choice: punishment and reprisal (002 §III; F15).

        A group weighs, for each community of another identity in its regions, how far it sides
        with the group's enemies: trust in the state (for groups that fight the state), kin of a
        hostile group active in its regions, and the harm that identity's groups did to the
        group's own people (reprisal). It attacks the community that sides most, with a weekly
        chance ``civilian_attack_rate`` times that score; the attack kills civilians (fewer where
        the mission shields them), displaces people and takes part of the herds.
        """
        p, model = self.p, self.model
        communities = model.communities
        if communities is None or p.civilian_attack_rate <= 0:
            return
        if u is None:  # else drawn by the turn's kernel (ArmedGroups.turn)
            u = model.rng.random()
        if u >= p.civilian_attack_rate:
            return
        places, ident = self._outsiders(group)
        if not len(places):
            return
        best, score, grudge = self._punish_target(group, places, ident)
        if u >= p.civilian_attack_rate * score:
            return
        place = int(places[best])
        deaths = float(model.rng.poisson(p.civilian_attack_deaths * model.civilian_shield(place)))
        displaced = deaths * p.displaced_per_death
        st = model.stats
        st.events["civilian_deaths"] += deaths
        st.week["civilian_deaths"][place] += deaths
        st.week["deaths"][place] += deaths
        st.week["displaced"][place] += displaced
        model.territory.violence[place] += deaths
        self.events["civilian_attacks"] += 1
        if grudge > 0 and score == grudge / (1.0 + grudge):
            self.events["reprisals"] += 1
        self.grudge[ident[best], group.identity] += 1.0
        communities.suffer_at(place, 1.0)

    def _punish_target(self, group: ArmedGroup, places: np.ndarray, ident: np.ndarray) -> tuple[int, float, float]:
        """The community of ``places`` that sides most with the group's enemies: its position, score and grudge.

        One compiled call (:func:`turn_kernels.punish_target`, issue 18, sixteenth pass): the
        scores :meth:`punish` weighs, for the groups as they stand now.
        """
        groups, regions, communities = self.groups, set(group.regions), self.model.communities
        return turn_kernels.punish_target(
            group.index, places, ident, self.hostile(group, None), communities.row_of_place, communities.trust,
            self._hostility()[group.index], np.array([g.fighters for g in groups], dtype=np.float64),
            np.array([g.identity for g in groups], dtype=np.int64),
            np.array([not regions.isdisjoint(g.regions) for g in groups], dtype=np.bool_),
            self.grudge[group.identity], len(IDENTITIES),
        )  # fmt: skip

    def _outsiders(self, group: ArmedGroup) -> tuple[np.ndarray, np.ndarray]:
        """Places and identities of the communities of other identities in the group's zone.

        Cached by the regions and the identity (the zone is; issue 18, pass 9); callers only read them.
        """
        cache = self.__dict__.setdefault("_outsiders_of", {})
        key = (group.regions, group.identity)
        found = cache.get(key)
        if found is None:
            zone = self._zone(group)
            outsider = zone.identity != group.identity
            found = cache[key] = (zone.places[outsider], zone.identity[outsider])
        return found

    def form_militias(self) -> None:
        """Communities harmed by groups of other identities take up arms (000; 002 §III).

        A community whose recent harm (``threat``) exceeds ``militia_threat``, with no
        self-defence group of its identity in its region, raises one with chance
        ``militia_rate`` a week: ``militia_share`` of its pool, armed from its own arms. Militias
        of one identity form one bloc.
        """
        p, model, communities = self.p, self.model, self.model.communities
        if communities is None or p.militia_rate <= 0:
            return
        rows = communities.threatened(p.militia_threat)
        if not len(rows):
            return
        # The identities and regions of the self-defence groups in the field, a militia raised below
        # included: the test "a self-defence group of its identity in its region" as a set (issue 18, pass 10).
        defended = {(g.identity, r) for g in self.active if g.kind == GroupKind.SELF_DEFENCE for r in g.regions}
        for row in rows.tolist():
            if len(self.groups) >= p.max_groups:
                return
            place = int(communities.place[row])
            ident = int(communities.identity[row])
            region = self.world.region[place]
            if (ident, region) in defended:
                continue
            if model.rng.random() >= p.militia_rate:
                continue
            fighters = p.militia_share * float(communities.pool[row])
            arms = communities.give_arms(row, fighters)
            if fighters < MIN_FIGHTERS:
                continue
            communities.send_recruits(np.array([place]), fighters)
            name = f"{IDENTITIES[ident].capitalize()} self-defence ({self.world.names[place]})"
            group = self.add_group(
                name, GroupKind.SELF_DEFENCE, f"{IDENTITIES[ident]} militias", fighters, 0.0, arms, [region], ident
            )
            group.revenue_ema = 0.0
            defended.add((ident, region))  # it has fighters (at least MIN_FIGHTERS): it is in the field
            if model.territory.holder[place] < 0:
                model.territory.holder[place] = group.index
            self.events["militias_formed"] += 1

    # --- territory -------------------------------------------------------------------

    def _enemies(self, group: ArmedGroup) -> np.ndarray:
        """Strength of the group's enemies by region, each spread evenly over its regions (compiled: pass 10)."""
        state = np.zeros((len(self.groups), 4))
        state[:, turn_kernels.S_FIGHTERS] = [g.fighters for g in self.groups]
        state[:, turn_kernels.S_ARMS] = [g.arms for g in self.groups]
        current, n_current, spread = self._region_arrays(copy=False)
        hostile, n = self._hostility(), len(self.region_names)
        return turn_kernels.enemy_strength(group.index, state, hostile, current, n_current, spread, 0.5, n)

    def _phase_fixed(self) -> _RegionTerms:
        """Per place and region, what no group's action changes while the groups act.

        Rents at contestable places (``rent`` moves in :meth:`end_week`), the state's absence and
        garrisons by region (presence and garrisons move in the forces' phase) and the
        communities' licit income by region (set in their own phase). Computed once a phase
        during :meth:`step`, afresh otherwise.
        """
        fixed = self.__dict__.get("_fixed")
        if fixed:
            return fixed["regions"]
        model, n = self.model, len(self.region_names)
        mali, of_mali, places = self._mali_regions()
        rents = (self.rent * self.contestable)[mali]
        absent = licit = community_region = None
        if model.communities is not None:
            communities = model.communities
            absent = 1.0 - np.bincount(of_mali, weights=model.territory.presence[mali], minlength=n) / places
            licit = communities.region_sum("licit", self.place_region, n)
            community_region = self.place_region[communities.place[communities.rows]]
        forces = model.forces
        state = np.zeros(n) if forces is None else np.bincount(of_mali, weights=forces.garrison[mali], minlength=n)
        terms = _RegionTerms(self, rents, absent, licit, state, community_region)
        if fixed is not None:
            fixed["regions"] = terms
        return terms

    def _mali_regions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The places in Mali (indices), their regions, and the count of places by region (constant; cached)."""
        cached = self.__dict__.get("_mali_regions_cache")
        if cached is None:
            mali = np.flatnonzero(self.place_region >= 0)
            of_mali = self.place_region[mali]
            cached = self._mali_regions_cache = (mali, of_mali, np.bincount(of_mali, minlength=len(self.region_names)))
        return cached

    def _kin_share(self, identity: int) -> np.ndarray:
        """Share of each region's people of an identity (:meth:`Communities.kin_share`; constant, cached)."""
        shares = self.__dict__.setdefault("_kin_shares", {})
        if identity not in shares:
            shares[identity] = self.model.communities.kin_share(identity, self.place_region, len(self.region_names))
        return shares[identity]

    def _home(self, identity: int) -> np.ndarray:
        """People of an identity by region, the weight of a group's home (constant; cached)."""
        homes = self.__dict__.setdefault("_homes", {})
        home = homes.get(identity)
        if home is None:
            home = homes[identity] = self._kin_share(identity) * self._region_people
        return home

    def appraise_regions(self, group: ArmedGroup) -> None:
        """Leave a region that no longer pays; move into a better neighbouring one (002 §III).

        Every ``appraise_weeks`` weeks (staggered by group) a group compares the expected value
        of each of its regions (rents, taxes, herds and kin against enemies and the state; see
        :func:`turn_kernels.appraise`) with its best: it leaves the worst if it
        is below ``leave_share`` of the best, and gives up the places it holds there (to the
        state where it has garrisons, else free). It then moves into the best neighbouring
        region if that would be worth at least ``enter_share`` of its best, spreading its
        fighters no thinner than ``unit_size`` per region.
        """
        p, model = self.p, self.model
        if p.appraise_weeks <= 0 or (model.week_index + group.index) % p.appraise_weeks:
            return
        if group.kind == GroupKind.SELF_DEFENCE:
            return  # militias defend their own communities (000)
        names = self.region_names
        current = self._current(group.regions)
        if not len(current):
            return
        if len(current) == 1 and group.fighters / 2 < p.unit_size:
            return  # no region to leave, too few fighters to enter one: the values would go unused (issue 18)
        enemies = self._enemies(group)  # others' strength: unchanged by its leaving a region below
        fixed = self._phase_fixed()
        mali, of_mali, _ = self._mali_regions()
        communities = model.communities
        tax, cattle, community_region, rows, herd = _EMPTY, _EMPTY, _EMPTY_ROWS, _EMPTY_ROWS, _EMPTY
        if communities is not None:
            jihadist = group.kind == GroupKind.JIHADIST
            per_fighter = p.rustle_jihadist if jihadist else p.rustle_other
            price = p.fence_share * model.market.value_source[self._cattle()]
            tax = fixed.tax(p.tax_share_jihadist if jihadist else p.tax_share_other)
            cattle = np.array([per_fighter, price])
            community_region, rows, herd = fixed.community_region, communities.rows, communities.cols["herd"]
        # Its home, where most of its kin live, it never leaves (002 Box B: community-based groups).
        home = self._home(group.identity) if model.communities else _EMPTY
        ptr, places = self._region_places_csr()
        left, entered = turn_kernels.appraise(
            group.index, group.strength, group.fighters, current, enemies, model.territory.holder, mali, of_mali,
            fixed.rents, fixed.state, fixed.kin_factor(group.identity), tax, cattle, community_region, rows, herd,
            home, p.leave_share, p.enter_share, p.unit_size, self.region_adjacent, ptr, places,
        )  # fmt: skip
        if left >= 0:  # its places there were given up in the kernel
            group.regions = tuple(r for r in group.regions if r != names[left])
            self.events["regions_left"] += 1
        if entered >= 0:
            group.regions = (*group.regions, names[entered])
            self.events["regions_entered"] += 1

    def _current(self, regions: tuple[str, ...]) -> np.ndarray:
        """Positions in ``region_names`` of the Malian regions among ``regions``, in their order (cached; read only)."""
        currents = self.__dict__.setdefault("_current_of", {})
        current = currents.get(regions)
        if current is None:
            names = self.region_names
            current = currents[regions] = np.array([names.index(r) for r in regions if r in names], dtype=np.int64)
        return current

    def _region_places_csr(self) -> tuple[np.ndarray, np.ndarray]:
        """The Malian places of each region (``_region_of_name``, in region order) as offsets and indices (cached)."""
        cached = self.__dict__.get("_region_csr")
        if cached is None:
            parts = [self._region_of_name[name] for name in self.region_names]
            ptr = np.zeros(len(parts) + 1, dtype=np.int64)
            ptr[1:] = np.cumsum([len(x) for x in parts])
            cached = self._region_csr = (ptr, np.concatenate(parts).astype(np.int64))
        return cached

    # --- violence --------------------------------------------------------------------

    def _garrison(self, group: ArmedGroup | None, place: int) -> float:
        """Defending strength at a place (spread over the group's places; M5)."""
        if group is None:
            forces = self.model.forces
            garrison = forces.garrison[place] if forces is not None else 0.0
            # Ground the state cleared stays held while its troops remain (002 §III; M6).
            if self.model.territory.cleared[place] > 0:
                garrison = max(garrison, self.p.unit_size)
            return garrison * self.p.defence_advantage
        n = max(1, int(self._held_count[group.index])) if group.index < len(self._held_count) else 1
        return min(group.strength / n, self.p.unit_size) * self.p.defence_advantage

    def contest(self, group: ArmedGroup, u: float | None = None) -> None:
        """Take or contest the most attractive node within reach (M5).

        Within reach are nodes next to the group's own and nodes in its regions. A node held by
        no group and without a state garrison is occupied without a fight. A node held by a
        hostile group (or, for jihadists, a state garrison) is contested: its attractiveness is
        its rent times the odds of winning; the group attacks with a chance that grows with
        that expected gain against the expected cost of the fighters it would lose.
        """
        p, model, territory = self.p, self.model, self.model.territory
        # The attack chance is at most attack_rate: draw first and skip the appraisal most weeks.
        if u is None:  # else drawn by the turn's kernel (ArmedGroups.turn)
            u = model.rng.random()
        if u >= p.attack_rate:
            return
        found = self._contest_target(group)
        if found is None:
            return
        committed, node, win, defence, open_, holder, appeal = found
        if node < 0 or u >= p.attack_rate * appeal:
            return
        if open_:
            territory.holder[node] = group.index
            return
        rival = self.groups[holder] if holder >= 0 else None
        self._clash(group, rival, node, win, committed, defence)

    def _contest_target(self, group: ArmedGroup) -> tuple | None:
        """What :meth:`contest` weighs: fighters committed, the best node, its odds, defence, openness, holder, appeal.

        ``None`` for a group without strength; node -1 where no node is within reach. One
        compiled call (:func:`turn_kernels.contest_target`, issue 18, sixteenth pass): the
        candidates, then the odds the numpy form computed.
        """
        p = self.p
        strength = group.strength
        if strength <= 0:
            return None
        committed = min(p.commit_share * strength, p.unit_size)
        odds = (float(committed), float(p.contest_exponent), float(p.clash_loss), float(p.wage_usd))
        return committed, *turn_kernels.contest_target(*self._contest_args(group), self.rent, *odds)

    def _contest_args(self, group: ArmedGroup) -> tuple:
        """The arguments of :func:`turn_kernels.contest_candidates` for ``group``, read now.

        The candidates are the nodes within reach, open or hostile, with their defence, openness
        and holder: one compiled call (issue 18, eleventh pass) in place of the reach as a set,
        :meth:`_garrison` per node and :meth:`hostile` per holder.
        """
        p, model = self.p, self.model
        forces, groups = model.forces, self.groups
        fighters_arms = np.array([(g.fighters, g.arms) for g in groups], dtype=np.float64).reshape(len(groups), 2)
        region_ptr, region_places = self._region_places_csr()
        nb_ptr, nb_idx = self._neighbour_csr()
        return (
            group.index, model.territory.holder, region_ptr, region_places, self._current(group.regions), nb_ptr,
            nb_idx, self.contestable, forces.garrison if forces is not None else self._no_garrison(),
            model.territory.cleared, self._held_count, fighters_arms, self._hostility(),
            group.kind == GroupKind.JIHADIST, p.unit_size, p.defence_advantage, 0.5,
        )  # fmt: skip

    def _neighbour_csr(self) -> tuple[np.ndarray, np.ndarray]:
        """``neighbours`` as offsets and indices (the graph is fixed; cached)."""
        cached = self.__dict__.get("_neighbour_csr_cache")
        if cached is None:
            ptr = np.zeros(len(self.neighbours) + 1, dtype=np.int64)
            ptr[1:] = np.cumsum([len(n) for n in self.neighbours])
            idx = np.concatenate(self.neighbours) if self.neighbours else np.zeros(0, dtype=np.int64)
            cached = self._neighbour_csr_cache = (ptr, idx.astype(np.int64))
        return cached

    def _no_garrison(self) -> np.ndarray:
        """Zero garrisons by place, for a model without forces (cached)."""
        found = self.__dict__.get("_no_garrison_cache")
        if found is None:
            found = self._no_garrison_cache = np.zeros(len(self.neighbours))
        return found

    def _clash(
        self, attacker: ArmedGroup, defender: ArmedGroup | None, place: int, win: float, committed, defence
    ) -> None:
        p, model, territory = self.p, self.model, self.model.territory
        rng = model.rng
        won = rng.random() < win
        engaged_a = min(p.commit_share * attacker.fighters, p.unit_size)
        engaged_d = (
            min(defender.fighters / max(1, len(defender.places)), p.unit_size) if defender is not None else defence
        )
        loss_a = p.clash_loss * engaged_a * (1 / 3 if won else 1.0)
        loss_d = p.clash_loss * engaged_d * (1.0 if won else 1 / 3)
        dead_a, dead_d = float(rng.poisson(loss_a)), float(rng.poisson(loss_d))
        attacker.fighters = max(0.0, attacker.fighters - dead_a)
        if defender is not None:
            defender.fighters = max(0.0, defender.fighters - dead_d)
            captured = min(defender.arms, dead_d) if won else 0.0
            defender.arms -= captured
            attacker.arms += captured  # F7: arms taken on the battlefield
        elif model.forces is not None:
            model.forces.state_losses(place, dead_d)
        civilians = float(rng.poisson(p.civilian_deaths_per_clash * model.civilian_shield(place)))
        model.stats.events["combatant_deaths"] += dead_a + (dead_d if defender is not None else 0.0)
        model.stats.events["civilian_deaths"] += civilians
        model.stats.week["civilian_deaths"][place] += civilians
        counted_d = dead_d if defender is not None or model.forces is not None else 0.0
        model.stats.week["deaths"][place] += dead_a + counted_d + civilians
        territory.violence[place] += dead_a + dead_d + civilians
        territory.clashes[place] += 1
        self.events["clashes"] += 1
        if defender is not None:
            self.feud[attacker.index, defender.index] += 1.0
            self.feud[defender.index, attacker.index] += 1.0
        if won:
            territory.holder[place] = attacker.index

    def raid(self, group: ArmedGroup, place: int, kill_share: float, retake: float) -> float:
        """A counter-terrorism raid on a group's fighters at a place; returns fighters killed."""
        rng, territory = self.model.rng, self.model.territory
        local = min(group.fighters / max(1, len(group.places)), self.p.unit_size)
        killed = float(min(group.fighters, rng.poisson(kill_share * local)))
        group.fighters -= killed
        group.ct_pressure += killed / max(local, 1.0)
        if territory.holder[place] == group.index and rng.random() < retake:
            territory.holder[place] = -1
            territory.cleared[place] = self.p.clear_hold_weeks
        territory.violence[place] += killed
        self.model.stats.events["combatant_deaths"] += killed
        self.model.stats.week["deaths"][place] += killed
        return killed

    def demobilize(self, group: ArmedGroup, n: float) -> float:
        """Fighters who hand in their arms and leave (DDR); returns how many left."""
        n = min(n, group.fighters)
        group.fighters -= n
        group.arms = max(0.0, group.arms - n)
        return n

    def receive_arms(self, place: int, units: float) -> None:
        """Arms bought at a market by the groups of its region, by their fighters (F7)."""
        region = self.world.region[place]
        buyers = [g for g in self.active if region in g.regions]
        total = sum(g.fighters for g in buyers)
        for g in buyers:
            g.arms += units * g.fighters / total

    # --- fragmentation -------------------------------------------------------------------

    def _fragment(self) -> None:
        """Splits, alliance switches and rebranding (M5, M6).

        The draws are made in one compiled call (:func:`turn_kernels.fragment_draws`, issue 18,
        pass 10) up to the first split, rebrand or switch that comes up, which Python makes before
        calling it again: the same draws, in the same order, as the loop of :meth:`_maybe_split`,
        :meth:`_maybe_rebrand` and :meth:`_maybe_switch` over the active groups (most weeks no
        group moves). Places held by each group are counted once (a split moves places only from
        the group splitting to its new splinter, so each group's count holds until its turn).
        """
        k, p, rng, groups = turn_kernels, self.p, self.model.rng, self.groups
        holder = self.model.territory.holder
        held = np.bincount(holder[holder >= 0], minlength=len(groups))
        active = [g for g in groups if g.fighters > 0]  # listed once: a splinter made below is not drawn for
        index = np.array([g.index for g in active], dtype=np.int64)
        jihadist = np.array([g.kind == GroupKind.JIHADIST for g in groups], dtype=np.bool_)
        terms = np.array([(g.revenue_ema, g.ct_pressure) for g in groups], dtype=np.float64).reshape(len(groups), 2)
        handles, pos, stage = kernel_rng.handles(rng), 0, 0
        while True:
            pos, event = k.fragment_draws(
                handles, index, pos, stage, len(groups), p.max_groups, held, holder, self.rent, terms[:, 0], jihadist,
                terms[:, 1], p.split_rate, p.rebrand_rate, p.switch_rate,
            )  # fmt: skip
            if event == k.FRAGMENT_NONE:
                return
            group = active[pos]
            if event == k.FRAGMENT_SPLIT:
                self._split(group)
                stage = 1
            elif event == k.FRAGMENT_REBRAND:
                self._rebrand(group, rng)
                stage = 2
            else:
                self._switch(group)
                pos, stage = pos + 1, 0

    def _maybe_split(self, group: ArmedGroup, rng) -> None:
        """A commander splits off with a lucrative node when he gains more alone (M5; 003).

        His yearly gain alone is the node's rent; inside the group his share is the group's
        yearly revenue divided among the places it holds (one commander a place). The weekly
        chance is ``split_rate`` times his relative gain.
        """
        places = group.places
        if len(places) < 2:
            return
        rents = self.rent[places]
        alone = float(rents.max())
        inside = 52.0 * group.revenue_ema / len(places)
        gain = alone - inside
        if gain <= 0 or rng.random() >= self.p.split_rate * gain / alone:
            return
        self._split(group)

    def _split(self, group: ArmedGroup) -> None:
        """:meth:`_maybe_split` once its chance came up: the commander leaves with the place of the best rent."""
        places = group.places
        node = int(places[np.argmax(self.rent[places])])
        share = min(0.5, 1.5 / len(places))
        self._spin_off(group, f"{group.name} splinter", group.kind, None, share, [node])
        self.events["group_splits"] += 1

    def _spin_off(self, parent, name, kind, alliance, share, nodes) -> ArmedGroup:
        fighters, funds, arms = parent.fighters * share, parent.funds * share, parent.arms * share
        parent.fighters -= fighters
        parent.arms -= arms
        parent.funds -= funds
        child = ArmedGroup(
            self.model, name, kind, self.bloc_id(alliance), fighters, funds, arms, parent.regions, parent.identity
        )
        child.revenue_ema = parent.revenue_ema * share
        parent.revenue_ema -= child.revenue_ema
        self._append(child)
        for node in nodes:
            self.model.territory.holder[node] = child.index
        return child

    def _maybe_rebrand(self, group: ArmedGroup, rng) -> None:
        """A faction of a targeted jihadist group reforms under a non-jihadist label (M6)."""
        if group.kind != GroupKind.JIHADIST or group.ct_pressure <= 0:
            return
        if rng.random() >= self.p.rebrand_rate * min(1.0, group.ct_pressure):
            return
        self._rebrand(group, rng)

    def _rebrand(self, group: ArmedGroup, rng) -> None:
        """:meth:`_maybe_rebrand` once its chance came up: a faction leaves with one of its places, drawn."""
        places = group.places
        nodes = [int(places[rng.integers(len(places))])] if len(places) else []
        alliance = "CMA" if "CMA" in self.bloc_names else None
        self._spin_off(group, f"{group.name} (rebranded)", GroupKind.SIGNATORY, alliance, self.p.rebrand_share, nodes)
        group.ct_pressure = 0.0
        self.events["rebrands"] += 1

    def _bloc_value(self, group: ArmedGroup, bloc: int) -> float:
        """Rents a group could expect in a bloc: the bloc's rents shared by places held (M5)."""
        holder = self.model.territory.holder
        own = holder == group.index
        members = np.array([g.bloc == bloc and g is not group for g in self.groups] + [False])
        theirs = members[holder] & (holder >= 0)
        total = self.rent[own].sum() + self.rent[theirs].sum()
        return total * own.sum() / max(1, own.sum() + theirs.sum())

    def _maybe_switch(self, group: ArmedGroup, rng) -> None:
        """Move to the bloc that promises a larger share of rents (003: for economic gain).

        Only blocs with a member of the group's identity and none it has a feud with (a clash
        in the last year or so) are open to it: alliances follow kin and history (002 §II).
        """
        if rng.random() >= self.p.switch_rate:
            return
        self._switch(group)

    def _switch(self, group: ArmedGroup) -> None:
        """:meth:`_maybe_switch` once its weekly chance came up: the open blocs weighed, the best joined."""
        jihadist = group.kind == GroupKind.JIHADIST
        members: dict[int, list[ArmedGroup]] = {}
        for g in self.active:
            if g is not group:
                members.setdefault(g.bloc, []).append(g)
        options = sorted(
            b
            for b, gs in members.items()
            if b != group.bloc
            and all((g.kind == GroupKind.JIHADIST) == jihadist for g in gs)
            and any(g.identity == group.identity for g in gs)
            and all(self.feud[group.index, g.index] < FEUD_BLOCKS for g in gs)
        )
        if not options:
            return
        current = self._bloc_value(group, group.bloc)
        values = [self._bloc_value(group, b) for b in options]
        best = int(np.argmax(values))
        if values[best] > (1 + self.p.switch_gain) * current and values[best] > 0:
            group.bloc = options[best]
            self.events["alliance_switches"] += 1

    def _dissolve(self) -> None:
        """Groups that fall below a handful of fighters give up their places and funds."""
        territory, ledger = self.model.territory, self.model.ledger
        for g in self.groups:
            if 0 < g.fighters < MIN_FIGHTERS or (g.fighters == 0 and g.funds > 0):
                territory.holder[territory.holder == g.index] = -1
                ledger.pay("group_dissolved", "armed_groups", "state", g.funds)
                g.funds, g.fighters, g.arms = 0.0, 0.0, 0.0

    # --- views ---------------------------------------------------------------------------

    def held_by_kind_and_region(self) -> np.ndarray:
        """Places held, by kind of group (rows, GroupKind order) and region (columns), this week."""
        week = self.model.week_index
        if getattr(self, "_held_week", None) != week:
            holder = self.model.territory.holder
            held = (holder >= 0) & (self.place_region >= 0)
            kinds = np.array([int(g.kind) for g in self.groups], dtype=np.int64)
            table = np.zeros((len(GroupKind), len(self.region_names)))
            np.add.at(table, (kinds[holder[held]], self.place_region[held]), 1.0)
            self._held_week, self._held_table = week, table
        return self._held_table

    def total_funds(self) -> float:
        """Funds of all groups (the armed_groups account)."""
        return sum(g.funds for g in self.groups)

    def revenue_by_source(self) -> dict[str, float]:
        """This week's revenue of all groups, by source."""
        out = dict.fromkeys(REVENUE_SOURCES, 0.0)
        for g in self.groups:
            for k, v in g.revenue.items():
                out[k] += v
        return out
