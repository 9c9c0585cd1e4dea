"""Armed groups: rents from the trade, violence over routes, recruitment and fragmentation.

Four kinds (002 Box B): signatory (the CMA and its members), pro-government (the Platform),
jihadist (AQIM, Ansar Eddine, Al-Mourabitoun/MUJAO, Katiba Macina in the JNIM bloc; ISGS) and
community self-defence. Each week a group:

- collects tolls at the places it holds and protection fees and profit shares from the crews
  its bloc protects (M1, M3; booked as encounters happen);
- kidnaps for ransom, with a trafficker brokering the ransom (M2, M21), and taxes the
  communities it holds, jihadists more than others (M2);
- rustles cattle from the herds of its regions (002 Box A, F11);
- pays its fighters, who desert when unpaid, and recruits from the communities of its
  regions, more where licit income has fallen (M9);
- contests the most lucrative node within reach held by a rival bloc, with odds set by
  relative strength (Tullock contest; M5);
- may split when one node brings most of its rents (rents shared badly; M5), switch to the
  bloc that would give it a larger share of rents (M5), and, when targeted by
  counter-terrorism, see a faction rebrand under a non-jihadist label (M6).

Groups are few, so they are ordinary Mesa agents stepped in an order drawn from the model's
generator; :class:`ArmedGroups` holds their shared per-place arrays and implements the
:class:`sim.enforcement.Roadblocks` interface the crews use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.enforcement import Encounters
from sim.names import PLACE_KINDS, REVENUE_SOURCES, GroupKind

if TYPE_CHECKING:
    from sim.ledger import Ledger
    from sim.model import SahelModel

MIN_FIGHTERS = 25  # a group below this dissolves
ROAMING_TAX = 0.3  # tax on communities a group roams among, relative to those it holds (assumption)
# Raiding opportunities (hostages, herds) grow less than in proportion to fighters: a group of
# REFERENCE_FIGHTERS uses them at the per-fighter rates, a group four times larger twice as much.
REFERENCE_FIGHTERS = 1000.0


def reach(fighters: float) -> float:
    """Fighters' effective reach for raiding: sqrt(REFERENCE_FIGHTERS x fighters) (assumption)."""
    return float(np.sqrt(REFERENCE_FIGHTERS * max(fighters, 0.0)))


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
        regions: Regions where it recruits, rustles and kidnaps.
    """

    def __init__(
        self, model, name: str, kind: GroupKind, bloc: int, fighters: float, funds: float, arms: float, regions
    ):
        super().__init__(model)
        self.name, self.kind, self.bloc = name, kind, bloc
        self.fighters, self.funds, self.arms = float(fighters), float(funds), float(arms)
        self.regions = tuple(regions)
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
        return np.flatnonzero(self.model.territory.holder == self.index)

    def step(self) -> None:
        """A group's week: ransoms, taxes, cattle, pay and recruits, then a possible attack."""
        groups = self.model.armed_groups
        groups.kidnap(self)
        groups.tax_communities(self)
        groups.rustle(self)
        groups.pay_and_recruit(self)
        groups.contest(self)


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
        self.version = 0
        self.events = dict.fromkeys(("clashes", "alliance_switches", "group_splits", "rebrands", "kidnappings"), 0)
        self.cattle_stolen = 0.0
        self.recruits = 0.0
        contestable = np.isin(world.kind, [PLACE_KINDS.index(k) for k in ("town", "crossing", "gold_site")])
        self.contestable = contestable & world.in_mali
        self.neighbours = [np.array(sorted(world.graph.neighbors(i)), dtype=np.int64) for i in range(world.n_places)]
        self.specs = {spec["id"]: spec for spec in specs}
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

    def add_group(self, name, kind, alliance, fighters, funds, arms, regions) -> ArmedGroup:
        """Create a group; its starting funds come from the state's account (looted or granted)."""
        group = ArmedGroup(self.model, name, kind, self.bloc_id(alliance), fighters, funds, arms, regions)
        group.revenue_ema = self.p.wage_usd * fighters / self.p.budget_share  # enough to keep its fighters
        group.index = len(self.groups)
        self.groups.append(group)
        self.model.ledger.pay("group_funds_in", "state", "armed_groups", float(funds))
        return group

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
        if any(a.index in deal and b.index in deal for deal in self.model.levers.deals):
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
        """Recompute the per-place toll and bloc arrays from who holds what."""
        holder = self.model.territory.holder
        blocs = np.append(self.effective_blocs(), -1)
        alliance = np.where(holder >= 0, blocs[holder], -1)
        toll = np.where(holder >= 0, self.p.toll_share, 0.0)
        # Kinds of group that stop selling protection (the threat of sanctions; M14).
        silent = np.array([int(g.kind) in self.model.levers.no_protection_kinds for g in self.groups] + [False])
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
        paid = enc.toll > 0
        if not paid.any():
            return
        holder = self.model.territory.holder[enc.place[paid]]
        amounts = np.bincount(holder, weights=enc.toll[paid], minlength=len(self.groups))
        np.add.at(self.rent_week, enc.place[paid], enc.toll[paid])
        for i in np.flatnonzero(amounts):
            self._earn(self.groups[i], "tolls", float(amounts[i]), "traffickers", ledger)

    def _bloc_members(self, bloc: int) -> list[tuple[ArmedGroup, int]]:
        holder = self.model.territory.holder
        counts = np.bincount(holder[holder >= 0], minlength=len(self.groups))
        blocs = self.effective_blocs()
        return [
            (g, int(counts[g.index]))
            for g in self.groups
            if blocs[g.index] == bloc and counts[g.index] > 0 and g.fighters > 0
        ]

    def _pay_bloc(self, bloc: np.ndarray, amount: np.ndarray, source: str, ledger: Ledger) -> None:
        """Split payments to blocs among their members by the places each holds."""
        for b in np.unique(bloc):
            total = float(amount[bloc == b].sum())
            members = self._bloc_members(int(b))
            if not members:
                # The bloc lost every place since the crew left: the payment goes to whoever
                # still answers for it locally, outside the groups' books.
                ledger.pay(f"group_{source}", "traffickers", "local_economy", total)
                continue
            weight = sum(n for _, n in members)
            for g, n in members:
                self._earn(g, source, total * n / weight, "traffickers", ledger)

    def protect(self, crews: np.ndarray, alliance: np.ndarray, fee: np.ndarray, ledger: Ledger) -> None:
        """Protection fees for high-value cargo, paid at departure (M1, M3)."""
        self._pay_bloc(alliance, fee, "protection", ledger)
        # Protection rents accrue to the places of the route's bloc: spread over its places.
        for b in np.unique(alliance):
            places = np.flatnonzero(self.alliance == b)
            if len(places):
                self.rent_week[places] += float(fee[alliance == b].sum()) / len(places)

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
        holder = self.model.territory.holder
        self._held_count = np.bincount(holder[holder >= 0], minlength=len(self.groups))
        order = self.model.rng.permutation(len(self.groups))
        for i in order:
            g = self.groups[i]
            if g.fighters > 0:
                g.step()
        self._fragment()
        self._dissolve()
        self.refresh()

    def end_week(self) -> None:
        """Fold this week's rents into the running averages used to pick targets."""
        self.rent = 0.9 * self.rent + 0.1 * self.rent_week * 52.0
        self.rent_week.fill(0.0)
        for g in self.groups:
            g.ct_pressure *= 0.95
            g.revenue_ema = 0.95 * g.revenue_ema + 0.05 * sum(g.revenue.values())

    def _region_places(self, group: ArmedGroup) -> np.ndarray:
        """Malian places in the group's regions (cached: regions do not change)."""
        cached = getattr(group, "_region_places", None)
        if cached is None:
            region = np.array(self.world.region)
            cached = group._region_places = np.flatnonzero(np.isin(region, group.regions) & self.world.in_mali)
        return cached

    def kidnap(self, group: ArmedGroup) -> None:
        """Kidnapping for ransom, brokered by a trafficker (M2, M21)."""
        p, model = self.p, self.model
        rate = p.kidnap_rate_jihadist if group.kind == GroupKind.JIHADIST else p.kidnap_rate_other
        n = model.rng.poisson(rate * reach(group.fighters) / 100.0)
        if n == 0:
            return
        self.events["kidnappings"] += n
        ransom = float(model.rng.exponential(p.ransom_usd, size=n).sum())
        places = self._region_places(group)
        if len(places):
            model.territory.violence[model.rng.choice(places, size=n)] += 1.0
        brokers = model.crews.alive_rows()
        kinds = model.crews.kind[brokers]
        brokers = brokers[kinds != 0]  # transnational or mercenary crews broker ransoms
        if len(brokers):
            broker = int(model.rng.choice(brokers))
            cut = p.broker_share * ransom
            model.ledger.pay("ransom_brokerage", "ransom_payers", "traffickers", cut)
            model.crews.cols["cash"][broker] += cut
            model.crews.make_broker(broker, model.week_index + p.broker_weeks)
            ransom -= cut
        self._earn(group, "kidnapping", ransom, "ransom_payers", model.ledger)

    def tax_communities(self, group: ArmedGroup) -> None:
        """Taxes on the communities it holds, and at a lower rate on those it roams among (M2)."""
        communities = self.model.communities
        if communities is None:
            return
        share = self.p.tax_share_jihadist if group.kind == GroupKind.JIHADIST else self.p.tax_share_other
        held = group.places
        region = self._region_places(group)
        roamed = region[self.model.territory.holder[region] != group.index]
        taken = communities.take_income(held, share, self.model.ledger)
        taken += communities.take_income(roamed, share * ROAMING_TAX, self.model.ledger)
        self._credit(group, "community_taxation", taken)

    def _credit(self, group: ArmedGroup, source: str, amount: float) -> None:
        """Money already booked to the armed_groups account by its payer."""
        group.funds += amount
        group.revenue[source] += amount

    def rustle(self, group: ArmedGroup) -> None:
        """Cattle rustling in the group's regions, sold on for part of the price (F11)."""
        communities = self.model.communities
        if communities is None:
            return
        per_fighter = self.p.rustle_jihadist if group.kind == GroupKind.JIHADIST else self.p.rustle_other
        head = self.model.rng.poisson(per_fighter * reach(group.fighters))
        if head == 0:
            return
        price = self.p.fence_share * self.model.market.value_source[self.world.good_index("cattle")]
        stolen, paid = communities.lose_cattle(self._region_places(group), head, price, self.model.ledger)
        self.cattle_stolen += stolen
        self._credit(group, "rustling", paid)

    def pay_and_recruit(self, group: ArmedGroup) -> None:
        """Pay fighters, then grow or shrink toward the size the group can keep (M3, M9).

        Recruits come more readily where licit income fell (M9); fighters desert when pay falls
        short.

        A group keeps as many fighters as ``budget_share`` of its recent revenue pays for: the
        more the trade and rackets bring in, the larger the group (M3's cycle).
        """
        p, model = self.p, self.model
        places = self._region_places(group)
        communities = model.communities
        # Fighters' reservation wage follows licit income at home: where it fell, the same
        # money keeps more fighters (M9).
        wage = p.wage_usd * (communities.licit_level(places) if communities is not None else 1.0)
        wages = wage * group.fighters
        paid = min(group.funds, wages)
        group.funds -= paid
        if communities is not None and len(places):
            communities.receive_wages(places, paid, model.ledger)
        else:
            model.ledger.pay("wages", "armed_groups", "local_economy", paid)
        spend = p.spend_rate * group.funds
        group.funds -= spend
        model.ledger.pay("group_spending", "armed_groups", "local_economy", spend)
        # Savings can carry fighters too: a group draws them down at its spending rate.
        target = p.budget_share * (group.revenue_ema + p.spend_rate * group.funds) / max(wage, 1e-9)
        unpaid = 1.0 - (paid / wages if wages > 0 else 1.0)
        excess = max(0.0, group.fighters - target) / max(group.fighters, 1.0)
        group.fighters -= group.fighters * p.desertion_rate * min(1.0, unpaid + excess)
        if communities is None or not len(places) or group.fighters >= target:
            return
        want = communities.recruits_available(places, p.recruit_rate, p.recruit_income_elasticity)
        n = min(float(model.rng.poisson(want)), 0.1 * (target - group.fighters))
        if n > 0:
            communities.send_recruits(places, n)
            group.fighters += n
            self.recruits += n

    # --- violence --------------------------------------------------------------------

    def _garrison(self, group: ArmedGroup | None, place: int) -> float:
        """Defending strength at a place (spread over the group's places; M5)."""
        if group is None:
            forces = self.model.forces
            return forces.garrison[place] * self.p.defence_advantage if forces is not None else 0.0
        n = max(1, int(self._held_count[group.index])) if group.index < len(self._held_count) else 1
        return min(group.strength / n, self.p.unit_size) * self.p.defence_advantage

    def contest(self, group: ArmedGroup) -> None:
        """Take or contest the most attractive node within reach (M5).

        Within reach are nodes next to the group's own and nodes in its regions. A node held by
        no group and without a state garrison is occupied without a fight. A node held by a
        hostile group (or, for jihadists, a state garrison) is contested: its attractiveness is
        its rent times the odds of winning; the group attacks with a chance that grows with
        that expected gain against the expected cost of the fighters it would lose.
        """
        p, model, territory = self.p, self.model, self.model.territory
        # The attack chance is at most attack_rate: draw first and skip the appraisal most weeks.
        u = model.rng.random()
        if u >= p.attack_rate:
            return
        own = group.places
        reach = set(self._region_places(group).tolist())
        for node in own:
            reach.update(self.neighbours[node].tolist())
        reach = np.array(sorted(reach - set(own.tolist())), dtype=np.int64)
        reach = reach[self.contestable[reach]]
        if not len(reach) or group.strength <= 0:
            return
        holders = territory.holder[reach]
        rivals = [self.groups[h] if h >= 0 else None for h in holders.tolist()]
        defence = np.array([self._garrison(r, int(n)) for r, n in zip(rivals, reach, strict=True)])
        open_ = (holders < 0) & (defence <= 0)
        hostile = np.array(
            [
                self.hostile(group, r) if r is not None else (d > 0 and group.kind == GroupKind.JIHADIST)
                for r, d in zip(rivals, defence, strict=True)
            ]
        )
        ok = open_ | hostile
        if not ok.any():
            return
        reach, defence, open_ = reach[ok], defence[ok], open_[ok]
        rivals = [r for r, k in zip(rivals, ok, strict=True) if k]
        committed = min(p.commit_share * group.strength, p.unit_size)
        gamma = p.contest_exponent
        win = np.where(open_, 1.0, committed**gamma / (committed**gamma + np.maximum(defence, 1e-9) ** gamma))
        gain = win * (self.rent[reach] + 1.0)
        cost = np.where(open_, 0.0, p.clash_loss * committed * (1 - win) * p.wage_usd * 52.0)
        best = int(np.argmax(gain - cost))
        appeal = gain[best] / max(gain[best] + cost[best], 1e-12)  # nothing committed: no appeal, not NaN
        if u >= p.attack_rate * appeal:
            return
        if open_[best]:
            territory.holder[int(reach[best])] = group.index
            return
        self._clash(group, rivals[best], int(reach[best]), float(win[best]), committed, float(defence[best]))

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
        """Splits, alliance switches and rebranding (M5, M6)."""
        rng = self.model.rng
        for group in list(self.active):
            if len(self.groups) < self.p.max_groups:
                self._maybe_split(group, rng)
                self._maybe_rebrand(group, rng)
            self._maybe_switch(group, rng)

    def _maybe_split(self, group: ArmedGroup, rng) -> None:
        places = group.places
        if len(places) < 2:
            return
        rents = self.rent[places]
        total = rents.sum()
        if total <= 0:
            return
        top = rents.max() / total
        excess = (top - self.p.split_threshold) / max(1 - self.p.split_threshold, 1e-12)  # threshold 1: never
        if excess <= 0 or rng.random() >= self.p.split_rate * excess:
            return
        node = int(places[np.argmax(rents)])
        share = min(0.5, 1.5 / len(places))
        self._spin_off(group, f"{group.name} splinter", group.kind, None, share, [node])
        self.events["group_splits"] += 1

    def _spin_off(self, parent, name, kind, alliance, share, nodes) -> ArmedGroup:
        fighters, funds, arms = parent.fighters * share, parent.funds * share, parent.arms * share
        parent.fighters -= fighters
        parent.arms -= arms
        parent.funds -= funds
        child = ArmedGroup(self.model, name, kind, self.bloc_id(alliance), fighters, funds, arms, parent.regions)
        child.index = len(self.groups)
        self.groups.append(child)
        for node in nodes:
            self.model.territory.holder[node] = child.index
        return child

    def _maybe_rebrand(self, group: ArmedGroup, rng) -> None:
        """A faction of a targeted jihadist group reforms under a non-jihadist label (M6)."""
        if group.kind != GroupKind.JIHADIST or group.ct_pressure <= 0:
            return
        if rng.random() >= self.p.rebrand_rate * min(1.0, group.ct_pressure):
            return
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
        """Move to the bloc that promises a larger share of rents (003: for economic gain)."""
        if rng.random() >= self.p.switch_rate:
            return
        jihadist = group.kind == GroupKind.JIHADIST
        options = sorted(
            {g.bloc for g in self.active if (g.kind == GroupKind.JIHADIST) == jihadist and g.bloc != group.bloc}
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
