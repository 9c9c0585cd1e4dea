"""Gold: artisanal claims, semi-industrial operators, licences, seizures and auctions (002 Box D, §III).

Each Malian gold site is worked by artisanal miners, grouped into ``artisanal_claims`` claims,
and by ``operators_per_site`` semi-industrial operators (often foreign) with capital and
machines, who mine ``operator_share`` of the site's gold (002 Box D: "much of Mali's gold is
extracted through artisanal mining"). Each week, in this order:

- **Control.** A site held by an armed group (territory's ``holder``) is out of the state's
  reach: no licence, no raid (002 Box D; F9). Once Wagner / Africa Corps is in the country (late
  2021), the top pays it in mining concessions: with odds ``wagner_concessions_per_year`` / 52
  a week it hands Wagner the operator's share of the richest state-held site Wagner does not
  yet work (002 §III: "some of Mali's gold mines have come under the control of the Wagner
  Group ... remunerated in the form of mining licenses"; M24).
- **Licences** (M23). An unlicensed claim or operator applies when the raids it expects over
  ``horizon_weeks`` (and an official buyer's better price, where there is one) are worth more
  than the licence and the ``royalty_share`` of its gold a licensed miner pays the state. The
  licence is the regional administrator's to give: the "labyrinthine" file is completed with
  odds ``admin_capacity`` (artisanal claims far less than operators; formalization simplifies
  it), and a venal administrator (his take odds on ``licence_bribe_usd``) withholds it until the
  bribe is paid, or waives the file for it ("pay bribes to get around them"). Who can pay is who
  gets licensed.
- **Raids and auctions** (M22). The police at a state-held site raid an unlicensed operator
  with odds ``raid_rate`` x capacity x presence; an official open to a bribe of the operator's
  weekly profit lets it be. Seized machines stop the operator's share of the site's gold and go
  to public auction after ``auction_weeks``. The operator bids what mining is worth to him (his
  weekly profit over ``horizon_weeks``), outsiders what used machines are worth
  (``resale_share`` of their cost); the higher bid wins at the lower bid (an English auction),
  so the same operator buys them back and resumes "as if nothing happened".

Licensed production is sold through official channels (the model's ``formal_gold`` lever).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.agents.official import Role
from sim.lazy import lazy_module

gold_kernels = lazy_module("sim.agents.gold_kernels")

if TYPE_CHECKING:
    from sim.model import SahelModel


class GoldSites:
    """Claims and operators at Malian gold sites (flat arrays, one row per claim or operator).

    Args:
        model: The model (officials must be on).
    """

    def __init__(self, model: SahelModel):
        self.model = model
        self.p = p = model.params.gold
        market, world = model.market, model.world
        gold = market.gold
        self.groups = np.flatnonzero((market.group_good == gold) & market.group_in_mali) if gold >= 0 else np.array([])
        self.sites = market.group_source[self.groups].astype(np.int64)
        weekly = market.mean_supply[self.groups] * (market.value_source[gold] if gold >= 0 else 0.0)
        rows_site, rows_share, rows_op = [], [], []
        for k, _ in enumerate(self.sites):
            artisanal = (1.0 - p.operator_share) if p.operators_per_site else 1.0
            for _ in range(p.artisanal_claims):
                rows_site.append(k)
                rows_share.append(artisanal / p.artisanal_claims)
                rows_op.append(False)
            for _ in range(p.operators_per_site):
                rows_site.append(k)
                rows_share.append(p.operator_share / p.operators_per_site)
                rows_op.append(True)
        self.site = np.array(rows_site, dtype=np.int64)  # index into self.sites
        self.share = np.array(rows_share, dtype=float)  # share of the site's gold
        self.operator = np.array(rows_op, dtype=bool)
        self.profit = self.share * weekly[self.site] if len(self.site) else np.zeros(0)  # weekly value mined, USD
        n = len(self.site)
        self.licensed = np.zeros(n, dtype=bool)
        self.wagner = np.zeros(n, dtype=bool)
        self._wagner_sites = 0  # sites with a Wagner concession, counted when one is given
        self.seized_until = np.full(n, -1, dtype=np.int64)  # auction week of seized machines, -1 if none
        self.output = np.ones(n)  # share of its gold a row still mines (machines lost at auction: by hand)
        self.admin = self._administrators(world)
        self.events = dict.fromkeys(("licences", "equipment_seized", "auctions", "bought_back", "concessions"), 0)
        self.n_sites = len(self.sites)

    def _administrators(self, world) -> np.ndarray:
        """The administrator of each site's regional capital, who gives licences (002 Box D)."""
        off = self.model.officials
        admins = np.flatnonzero((off.role == Role.ADMINISTRATOR) & off.alive)
        out = np.full(len(self.sites), -1, dtype=np.int64)
        for k, s in enumerate(self.sites):
            here = [a for a in admins if world.region[off.post[a]] == world.region[s]]
            capital = [a for a in here if world.names[off.post[a]] == world.region[s]]
            pick = capital or here or list(admins)
            out[k] = pick[0] if pick else -1
        return out

    # --- the week ---------------------------------------------------------------------

    def step(self) -> None:
        """Control, licences, raids and auctions; then set the share of gold sold formally."""
        self.events = dict.fromkeys(self.events, 0)
        if not len(self.site):
            return
        self._concessions()
        held = self._held()
        self._auctions()
        self._licences(held)
        self._raids(held)
        self._set_levers(held)
        self._royalties(held)

    def _held(self) -> np.ndarray:
        """Rows at sites an armed group holds (out of the state's reach)."""
        return self.model.territory.holder[self.sites][self.site] >= 0

    def _wagner_present(self) -> bool:
        forces = self.model.forces
        if forces is None:
            return False
        from sim.agents.force import ForceKind

        return bool(forces.of_kind(ForceKind.WAGNER))

    def _concessions(self) -> None:
        """The top pays Wagner in mining concessions once it is in the country (002 §III; M24)."""
        if not self._wagner_present():
            return
        if self.model.rng.random() >= self.p.wagner_concessions_per_year / 52.0:
            return
        held = self._held()
        free = self.operator & ~self.wagner & ~held
        if not free.any():
            return
        rows = np.flatnonzero(free)
        take = rows[np.argmax(self.profit[rows])]
        self.wagner[take], self.licensed[take], self.seized_until[take] = True, False, -1
        self._wagner_sites = self._count_wagner_sites()
        self.events["concessions"] += 1

    def _police_odds(self, rows: np.ndarray) -> np.ndarray:
        """Weekly odds police raid an unlicensed claim or operator at a state-held site (compiled: police_odds)."""
        model = self.model
        return gold_kernels.police_odds(
            rows, self.site, self.sites, model.officials.p.capacity, model.levers.capacity, self.p.raid_rate,
            model.territory.presence,
        )  # fmt: skip

    def _licences(self, held: np.ndarray) -> None:
        """Unlicensed claims and operators apply when it pays; the administrator decides (M23).

        What a licence is worth over the horizon: raids avoided and the official buyer's price,
        less royalties. Unlicensed operators risk raids (machines and the gold lost until the
        auction); every licensed miner can sell to an official buyer where one exists
        (``levers.formal_premium``: gold formalization) and pays ``royalty_share`` of his gold to
        the state (M22, M23). Who applies is one compiled call (:func:`gold_kernels.licence_applicants`).
        """
        p, model = self.p, self.model
        off, rng, levers = model.officials, model.rng, model.levers
        rows = np.flatnonzero(~self.licensed & ~self.wagner & ~held)
        if not len(rows):
            return
        fee = p.licence_fee_usd * levers.licence_cost
        rows, cash, value = gold_kernels.licence_applicants(
            rows, self.operator, self.profit, self.site, self.sites, off.p.capacity, levers.capacity, p.raid_rate,
            model.territory.presence, p.equipment_usd, p.auction_weeks, levers.formal_premium - p.royalty_share,
            p.horizon_weeks, fee, p.operator_capital_usd, p.artisanal_cash_usd,
        )  # fmt: skip
        if not len(rows):
            return
        admin = self.admin[self.site[rows]]
        bribe = np.full(len(rows), p.licence_bribe_usd)
        venal = rng.random(len(rows)) < off.take_odds(admin, bribe[:, None])[:, 0]
        can_pay = (cash >= fee + bribe) & (self.model.officials.alive[admin])
        pays = venal & can_pay & (value > fee + bribe)
        skill = np.where(self.operator[rows], p.operator_admin_capacity, p.artisanal_admin_capacity)
        filed = rng.random(len(rows)) < np.clip(skill + levers.licence_help, 0.0, 1.0)
        granted = np.where(venal, pays, filed)
        got = rows[granted]
        if not len(got):
            return
        self.licensed[got] = True
        model.ledger.pay("licence_fees", "investors", "state", float(fee * len(got)))
        paid = granted & pays
        if paid.any():
            off._pay_chain(admin[paid], bribe[paid], model.ledger, payer="investors")
        self.events["licences"] += len(got)

    def _raids(self, held: np.ndarray) -> None:
        """Police raid unlicensed operators and seize their machines, unless bought off (M22)."""
        p, model = self.p, self.model
        off, rng = model.officials, model.rng
        rows = np.flatnonzero(self.operator & ~self.licensed & ~self.wagner & ~held & (self.seized_until < 0))
        if not len(rows):
            return
        rows = rows[rng.random(len(rows)) < self._police_odds(rows)]
        if not len(rows):
            return
        places = self.sites[self.site[rows]]
        staffed = off.duty_count[places] > 0
        rows, places = rows[staffed], places[staffed]
        if not len(rows):
            return
        who = off._on_duty(places)
        bribe = off.p.bribe_share * self.profit[rows]
        takes = rng.random(len(rows)) < off.take_odds(who, bribe[:, None])[:, 0]
        if takes.any():
            off._pay_chain(who[takes], bribe[takes], model.ledger, payer="investors")
        seized = rows[~takes]
        self.seized_until[seized] = model.week_index + p.auction_weeks
        np.add.at(off.cols["seizures"], who[~takes], 1)
        self.events["equipment_seized"] += len(seized)

    def _auctions(self) -> None:
        """Seized machines go to public auction; the highest bidder wins at the second bid (M22)."""
        p, model = self.p, self.model
        due = np.flatnonzero((self.seized_until >= 0) & (self.seized_until <= model.week_index))
        if not len(due):
            return
        own = np.minimum(p.operator_capital_usd, self.profit[due] * p.horizon_weeks)
        outside = np.full(len(due), p.resale_share * p.equipment_usd)
        back = own >= outside
        price = np.minimum(own, outside)
        model.ledger.pay("auctions", "investors", "state", float(price.sum()))
        self.seized_until[due] = -1
        lost = due[~back]
        if len(lost):  # an outsider takes the machines away: the operator's share is mined by hand
            self.operator[lost] = False
            self.output[lost] = p.artisanal_productivity
            self.profit[lost] *= p.artisanal_productivity
        self.events["auctions"] += len(due)
        self.events["bought_back"] += int(back.sum())

    def _royalties(self, held: np.ndarray) -> None:
        """Licensed miners pay royalties on the gold they mine this week."""
        working = self.licensed & (self.seized_until < 0) & ~held
        due = float((self.profit * self.output)[working].sum()) * self.p.royalty_share
        self.model.ledger.pay("royalties", "investors", "state", due)

    def _set_levers(self, held: np.ndarray) -> None:
        """Licensed gold is sold formally; seized machines stop their share of the site's gold."""
        levers = self.model.levers
        working = self.seized_until < 0
        site_gold = self.model.market.mean_supply[self.groups][self.site]
        formal = (self.licensed & working & ~held) * self.share * self.output * site_gold
        levers.formal_gold = either_share(levers.formal_gold, float(formal.sum() / max(site_gold.sum(), 1e-9)))
        idle = np.bincount(self.site, weights=self.share * (1.0 - self.output * working), minlength=self.n_sites)
        levers.supply[self.groups] *= 1.0 - idle

    # --- what it shows ----------------------------------------------------------------

    def share_licensed(self, operators: bool) -> float:
        """Share of claims (or operators) holding a licence."""
        sel = self.operator == operators
        n = np.count_nonzero(sel)
        # Counts divided, as np.mean of the booleans divides their exact sum: the same float, faster.
        return float(np.count_nonzero(self.licensed & sel) / n) if n else 0.0

    def sites_wagner(self) -> int:
        """Gold sites where Wagner / Africa Corps works a concession (M24).

        Counted when a concession is given (the only change to ``wagner``), not each week.
        """
        count = self.__dict__.get("_wagner_sites")  # absent in states saved before it was kept
        return self._count_wagner_sites() if count is None else count

    def _count_wagner_sites(self) -> int:
        return len(np.unique(self.site[self.wagner]))

    def share_held(self) -> float:
        """Share of Malian gold mined at sites armed groups hold."""
        if not len(self.site):
            return 0.0
        gold = self.model.market.mean_supply[self.groups]
        held = self.model.territory.holder[self.sites] >= 0
        return float(gold[held].sum() / max(gold.sum(), 1e-9))


def either_share(a: float, b: float) -> float:
    """Combine two shares of the same gold sold formally as independent chances."""
    return 1.0 - (1.0 - a) * (1.0 - b)


__all__ = ["GoldSites"]
