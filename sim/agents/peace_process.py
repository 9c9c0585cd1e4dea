"""Peace processes the groups choose: join, stay, cheat, defect or spoil (000; 002 §III; FACTS M11, M18).

A process offers its eligible groups terms (:class:`Terms`): an allowance per fighter (positions
and payments of the process; 000: "political accommodation of key actors"), a truce among its
members (002 §III: the Anéfis deals "reduce competition and conflict surrounding drug
trafficking"), and either a pooling of the members' rents (Anéfis: rivals share the routes'
rents as one bloc) or, when accommodation is *conditional*, the members' disengagement from
illicit activities (000: accommodation "contingent upon their disengagement from illicit
activities"). Every ``review_weeks`` (staggered by group) each eligible group compares, in
US dollars a year:

- **in**: the allowance, plus the rents it keeps inside (its own when the deal neither pools nor
  conditions; its share of the pool; nothing when it must leave the trade);
- **out**: its own rents (tolls and protection at its places, :attr:`ArmedGroups.rent`), less the
  share the members could take from it in a contest (Tullock odds of their strength in its
  regions against its own; 002 §II: rents go to whoever holds the route).

It joins (or stays) when in beats out, and otherwise refuses (or defects). Under conditional
accommodation a group joins only to leave the trade (it is admitted as it disengages); a member
may later *cheat*, returning to the trade while taking the allowance, when its rents
exceed the allowance it expects to lose: the allowance times the chance the state knows its part
in the trade (``model.knowledge.group_trade_known``, issue 15 item 4; a fallback when absent).
Cheats are caught with that chance at each review, expelled and barred for a while.

Groups outside the process that share a region with its members, those left out and those who
refused, may *spoil* it (000: "spoilers"; 001: actors "that can spoil" a transition): each week,
with chance ``spoil_rate`` times the members' share of strength in its regions (what the
coalition threatens), a spoiler attacks the richest place a member holds in its regions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.agents.armed_group import ArmedGroup, ArmedGroups
    from sim.levers import Levers
    from sim.model import SahelModel


@dataclass(frozen=True)
class Terms:
    """What a process offers and asks.

    Attributes:
        allowance_usd_per_fighter_week: Payments and positions per member fighter a week.
        pooled: Members share their rents as one bloc (Anéfis; M11).
        conditional: Members must leave the trade: they stop selling protection and taking tolls (000; M18).
        review_weeks: Weeks between a group's decisions.
        spoil_rate: Weekly chance of a spoiler attack when the members dominate the spoiler's regions.
        trade_known: Chance the state knows a group's part in the trade when ``model.knowledge`` is absent.
        barred_weeks: Weeks a cheat caught stays out.
    """

    allowance_usd_per_fighter_week: float
    pooled: bool
    conditional: bool
    review_weeks: int
    spoil_rate: float
    trade_known: float
    barred_weeks: int


class PeaceProcess:
    """Membership of one process, decided by the groups.

    Args:
        model: The model.
        terms: The offer.
        eligible: Whether a group is offered membership.
    """

    def __init__(self, model: SahelModel, terms: Terms, eligible: Callable[[ArmedGroup], bool]):
        self.model, self.terms, self.eligible = model, terms, eligible
        self.members: set[int] = set()
        self.cheating: set[int] = set()
        self.refused: set[int] = set()
        self.barred_until: dict[int, int] = {}
        self.entry: dict[int, tuple[float, float]] = {}  # rents and the market's rents when a member disengaged
        self.joined = self.defections = self.refusals = self.spoiler_attacks = self.cheats_caught = 0
        self.allowances_usd = 0.0

    # --- what a group weighs ----------------------------------------------------------------

    @property
    def groups(self) -> ArmedGroups:
        """The model's armed groups."""
        return self.model.armed_groups

    def _market(self, group: ArmedGroup) -> float:
        """Yearly rents collected at places held by the other groups still in the trade."""
        groups = self.groups
        holder = self.model.territory.holder
        out = np.array([self._disengaged(g.index) or g is group for g in groups.groups] + [True])
        return float(groups.rent[~out[holder]].sum())

    def _disengaged(self, index: int) -> bool:
        return self.terms.conditional and index in self.members and index not in self.cheating

    def rents(self, group: ArmedGroup) -> float:
        """Yearly illicit rents a group earns, or would earn outside (USD).

        A group out of the trade collects nothing at its places; what it gives up is what it
        earned when it left, moved with the rents of the groups still in the trade.
        """
        if self._disengaged(group.index) and group.index in self.entry:
            rents, market = self.entry[group.index]
            return rents * self._market(group) / market if market > 0 else rents
        return float(self.groups.rent[group.places].sum())

    def threat(self, group: ArmedGroup) -> float:
        """Members' share of strength in the group's regions, against its own (Tullock odds)."""
        regions = set(group.regions)
        rivals = 0.0
        for i in self.members:
            g = self.groups.groups[i]
            if g is not group and g.bloc != group.bloc and g.fighters > 0 and regions.intersection(g.regions):
                rivals += g.strength / max(len(g.regions), 1)
        own = max(group.strength, 0.0)
        return rivals / (own + rivals) if rivals > 0 else 0.0

    def allowance(self, group: ArmedGroup) -> float:
        """Yearly allowance a member receives (USD)."""
        return self.terms.allowance_usd_per_fighter_week * group.fighters * 52.0

    def value_in(self, group: ArmedGroup) -> float:
        """Yearly value of membership: allowance and the rents kept inside (USD)."""
        if self.terms.conditional:
            kept = 0.0
        elif self.terms.pooled:
            kept = self._pool_share(group)
        else:
            kept = self.rents(group)
        return self.allowance(group) + kept

    def _pool_share(self, group: ArmedGroup) -> float:
        """The group's share of the members' pooled rents, by places held (as in ``_pay_bloc``)."""
        holder = self.model.territory.holder
        pool = self.members | {group.index}
        inside = np.isin(holder, sorted(pool))
        held = int((holder == group.index).sum())
        return float(self.groups.rent[inside].sum()) * held / max(1, int(inside.sum()))

    def value_out(self, group: ArmedGroup) -> float:
        """Yearly value outside: its rents, less what the members could take from it (USD)."""
        return self.rents(group) * (1.0 - self.threat(group))

    def known(self, group: ArmedGroup) -> float:
        """How far the state knows the group's part in the trade (issue 15 item 4), or the fallback."""
        knowledge = getattr(self.model, "knowledge", None)
        if knowledge is None:
            return self.terms.trade_known
        return float(knowledge.group_trade_known(group.index))

    def would_cheat(self, group: ArmedGroup) -> bool:
        """A member keeps its rents when they exceed the allowance it expects to lose if caught."""
        return self.terms.conditional and self.rents(group) > self.known(group) * self.allowance(group)

    def wants_in(self, group: ArmedGroup) -> bool:
        """Whether membership beats staying out.

        Joining means disengaging (the process admits a group as it leaves the trade, 000); a
        member may then return to the trade in secret, so for a member cheating counts where it
        pays more than honesty.
        """
        inside = self.value_in(group)
        if group.index in self.members and self.would_cheat(group):
            inside = max(inside, self.allowance(group) * (1.0 - self.known(group)) + self.rents(group))
        return inside > self.value_out(group)

    # --- the week -----------------------------------------------------------------------------

    def week(self, levers: Levers) -> None:
        """Decisions due this week, spoilers' attacks, allowances, and the truce and disengagement levers."""
        groups, model = self.groups, self.model
        self.members = {i for i in self.members if groups.groups[i].fighters > 0}
        for g in groups.active:
            if (model.week_index + g.index) % max(1, self.terms.review_weeks) == 0:
                self.decide(g)
        self.spoil(levers)
        for i in sorted(self.members):
            g = groups.groups[i]
            amount = self.allowance(g) / 52.0
            if amount > 0:
                model.ledger.pay("peace_allowance", "donors", "armed_groups", amount)
                g.funds += amount
                self.allowances_usd += amount
        if len(self.members) >= 2:
            levers.deals.append(frozenset(self.members))
        if self.terms.conditional:
            levers.disengaged |= self.members - self.cheating
        groups.refresh()  # the truce and disengagement act from this week (refresh bumps nothing if unchanged)

    def decide(self, group: ArmedGroup) -> None:
        """One group's decision: join, stay, cheat, defect or refuse; cheats may be caught first."""
        i, model = group.index, self.model
        if not self.eligible(group):  # e.g. it switched to a bloc the offer does not name
            self.members.discard(i)
            self.cheating.discard(i)
            return
        if self.barred_until.get(i, -1) > model.week_index:
            return
        if i in self.cheating and model.rng.random() < self.known(group):
            self.members.discard(i)
            self.cheating.discard(i)
            self.barred_until[i] = model.week_index + self.terms.barred_weeks
            self.cheats_caught += 1
            return
        want = self.wants_in(group)
        if i in self.members and not want:
            self.members.discard(i)
            self.cheating.discard(i)
            self.defections += 1
        elif i not in self.members and want:
            self.entry[i] = (self.rents(group), self._market(group))  # what it gives up, read before it leaves
            self.members.add(i)
            self.refused.discard(i)
            self.joined += 1
        elif i not in self.members:
            if i not in self.refused:
                self.refusals += 1
            self.refused.add(i)
        if i in self.members:
            if self.would_cheat(group):
                self.cheating.add(i)
            elif i in self.cheating:
                self.entry[i] = (self.rents(group), self._market(group))  # read while still in the trade
                self.cheating.discard(i)

    def spoilers(self) -> list[ArmedGroup]:
        """Active groups outside the process sharing a region with a member (left out or refusing)."""
        if len(self.members) < 2:
            return []
        regions = set()
        for i in self.members:
            regions.update(self.groups.groups[i].regions)
        return [g for g in self.groups.active if g.index not in self.members and regions.intersection(g.regions)]

    def spoil(self, levers: Levers | None = None) -> None:
        """Spoilers attack the richest place a member holds in their regions (000; 001).

        Spoilers that fight the state also strike the mission that backs the process: they add
        ``spoil_rate`` x threat expected attacks on it at their places (the retaliation channel
        of the war on the mission, M20; 004: peacekeepers exposed to "criminal spoilers").
        """
        groups, model = self.groups, self.model
        p = groups.p
        holder = model.territory.holder
        for g in self.spoilers():
            threat = self.threat(g)
            if threat <= 0:
                continue
            if levers is not None and groups.hostile(g, None) and len(g.places):
                levers.retaliation[g.places] += self.terms.spoil_rate * threat / len(g.places)
            if model.rng.random() >= self.terms.spoil_rate * threat:
                continue
            places = groups._region_places(g)
            held = holder[places]
            targets = places[np.isin(held, sorted(self.members))]
            if not len(targets) or g.strength <= 0:
                continue
            place = int(targets[np.argmax(groups.rent[targets])])
            defender = groups.groups[int(holder[place])]
            committed = min(p.commit_share * g.strength, p.unit_size)
            defence = groups._garrison(defender, place)
            gamma = p.contest_exponent
            strength = float(committed) ** gamma  # Python's float power: the C library's pow on every CPU
            win = strength / (strength + float(max(defence, 1e-9)) ** gamma)
            groups._clash(g, defender, place, float(win), committed, defence)
            self.spoiler_attacks += 1
