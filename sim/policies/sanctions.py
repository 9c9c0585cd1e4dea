"""Targeted sanctions: listings chosen from what the Panel knows, and the threat groups weigh (002 §III; M14).

Every ``review_weeks`` the Panel of Experts proposes and the Council lists ``per_review``
individuals (F19: the first three in December 2018): traffickers, armed-group leaders and
officials, "people sitting around the table" among them (002 §III). The Panel picks from its own
knowledge of people (:mod:`sim.knowledge`), fused with the mission's and the state's as far as the
intelligence policy fuses the silos, with odds in proportion to what it knows of each times the
yearly value the person moves or protects (a crew's cargo, the cargo a group's trade revenue
protects, the cargo an official's rents let through). A listing freezes
``freeze_share`` of the listed person's assets (a crew's cash, a group's funds, an official's
wealth); a listed crew's border crossings are riskier (travel ban). Knowledge that reaches
officials and patrons is used only if the top wants it used: the state must acknowledge "that
they are part of the problem" (002 §III), so an official proposed is listed with odds equal to
the political will. With no knowledge of anyone, the Panel lists among the crews that officials
have recorded evidence on, mid-level operators as likely as any (004; M14).

The threat of listing is a decision, not a rule (004: it "initially changed" signatories'
behaviour). Each week every armed group that is not already on terrorism lists weighs the
expected yearly cost of a listing, ``listing_odds`` x what the Panel knows of its part in the
trade x (the funds a freeze would take + ``reputation_weeks`` of its revenue: standing at the
peace table, partners), against a year of the protection rents it earns; it stops selling
protection while the cost outweighs the rents. Designating mid-level traffickers has little
effect on traffic or violence (M14): that is what this policy should show, not assume.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.knowledge import PANEL
from sim.names import GroupKind
from sim.paramspec import param
from sim.policies.base import Policy, PolicyConfig

KINDS = ("crews", "groups", "officials")
RENT_MEMORY = 0.9  # weekly persistence of a group's remembered protection rents (about ten weeks)


@dataclass
class SanctionsConfig(PolicyConfig):
    """Sanctions settings."""

    review_weeks: int = param(26, doc="weeks between listings", assumption=(13, 52), low=1, unit="weeks")
    per_review: int = param(
        3, doc="individuals listed at each review", source="F19 (002 §III): three listed in Dec 2018", low=0
    )
    freeze_share: float = param(
        0.8, doc="share of a listed person's assets frozen", assumption=(0.3, 1.0), low=0, high=1
    )
    travel_ban: float = param(
        2.0,
        doc="extra detection odds of a listed crew at a border crossing (multiplier minus 1)",
        assumption=(0.5, 5.0),
        low=0,
    )
    listing_odds: float = param(
        0.5,
        doc="yearly odds, as a group sees them, of being listed when the Panel fully knows its part in the trade",
        assumption=(0.1, 0.9),
        low=0,
        high=1,
    )
    reputation_weeks: float = param(
        26.0,
        doc="reputational cost of a listing to a group, in weeks of its revenue (standing at the peace table)",
        assumption=(4.0, 104.0),
        low=0,
        unit="weeks",
    )
    cost_usd_per_week: float = param(
        20_000.0,
        doc="weekly cost of the regime and its Panel of Experts",
        assumption=(5_000.0, 50_000.0),
        low=0,
        unit="USD",
    )


class Sanctions(Policy):
    """Listings from the Panel's knowledge, asset freezes, travel bans, and the threat groups weigh."""

    name = "sanctions"

    def __init__(self, model, config: SanctionsConfig, key: str):
        super().__init__(model, config, key)
        self.listed: list[int] = []  # crews' rows
        self.listed_groups: list[int] = []
        self.listed_officials: list[int] = []
        self.listed_top = 0  # listed crews from the top tenth by value moved
        self.rents = np.zeros(0)  # each group's weekly protection rents, remembered while it sells
        self.deterred = 0  # groups not selling protection this week for fear of a listing
        self.silent: set[int] = set()  # the groups that did not sell protection last week

    # --- the week ------------------------------------------------------------------------

    def apply(self, levers) -> None:
        """Groups weigh the threat; a review every ``review_weeks``."""
        cfg, model = self.cfg, self.model
        levers.cost += cfg.cost_usd_per_week
        if model.armed_groups is not None:
            silent = self.deterred_groups(levers)
            self.silent = set(silent.tolist())
            levers.no_protection_groups |= self.silent
            self.deterred = len(silent)
        if (model.steps - self.first) % cfg.review_weeks == 0:
            self._review(levers)

    def deterred_groups(self, levers) -> np.ndarray:
        """Indices of the groups whose expected cost of a listing outweighs their protection rents."""
        groups = self.model.armed_groups.groups
        n = len(groups)
        rents = np.zeros(n)
        rents[: len(self.rents)] = self.rents
        last = np.array([g.revenue.get("protection", 0.0) for g in groups])
        selling = np.array([g.index not in self.silent for g in groups])
        # A group remembers the rents it earns; while silent it weighs the rents it gave up.
        rents = np.where(selling & (last > 0), RENT_MEMORY * rents + (1 - RENT_MEMORY) * last, rents)
        self.rents = rents
        cost, exposed = self.expected_cost(levers)
        return np.flatnonzero(exposed & (cost > 52.0 * rents) & (rents > 0))

    def expected_cost(self, levers) -> tuple[np.ndarray, np.ndarray]:
        """Each group's expected yearly cost of a listing, and whether a listing threatens it at all."""
        model, cfg = self.model, self.cfg
        groups = model.armed_groups.groups
        known = self._panel_view(levers, "groups")
        funds = np.array([max(g.funds, 0.0) for g in groups])
        revenue = np.array([max(g.revenue_ema, 0.0) for g in groups])
        cost = cfg.listing_odds * cfg.intensity * known * (cfg.freeze_share * funds + cfg.reputation_weeks * revenue)
        exposed = np.array([g.kind != GroupKind.JIHADIST and g.fighters > 0 for g in groups], dtype=bool)
        return cost, exposed

    def _panel_view(self, levers, kind: str) -> np.ndarray:
        """What the Panel can act on about one kind of entity: its own silo, fused as far as the levers say."""
        knowledge = self.model.knowledge
        n = {
            "crews": self.model.crews.size,
            "groups": len(self.model.armed_groups.groups) if self.model.armed_groups is not None else 0,
            "officials": self.model.officials.size if self.model.officials is not None else 0,
        }[kind]
        out = np.zeros(n)
        if knowledge is not None:
            out = knowledge.view(knowledge.fitted(kind, n), PANEL, levers.fusion)[:n]
        return out

    # --- reviews -------------------------------------------------------------------------

    def candidates(self, levers) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every person the Panel could propose: kind (index in KINDS), row, and its odds weight.

        The weight is the Panel's knowledge of the person times the yearly value the person moves or
        protects: a crew's cargo (value per trip x trips a year); the cargo a group's trade revenue
        protects (that revenue over the protection fee's share of cargo value); the cargo an
        official's rents let through (his rents over the bribe's share of cargo value).
        """
        model = self.model
        crews = model.crews
        c = crews.cols
        kinds, rows, weights = [], [], []
        alive = np.flatnonzero(c["alive"] & ~c["listed"])
        if len(alive):
            route = c["route"][alive]
            weeks = np.where(route >= 0, crews.routes.weeks[np.maximum(route, 0)], 1.0)
            trips = 52.0 / ((1.0 + model.params.transport.return_time_factor) * np.maximum(weeks, 1.0))
            w = self._panel_view(levers, "crews")[alive] * c["cargo_value_ref"][alive] * trips
            kinds.append(np.zeros(len(alive), dtype=np.int64))
            rows.append(alive)
            weights.append(w)
        if model.armed_groups is not None:
            groups = model.armed_groups.groups
            idx = np.array(
                [g.index for g in groups if g.fighters > 0 and g.index not in self.listed_groups], dtype=np.int64
            )
            if len(idx):
                share = np.zeros(len(groups))  # groups formed since the last update: no record yet
                if model.knowledge is not None:
                    known_share = model.knowledge.trade_share[: len(groups)]
                    share[: len(known_share)] = known_share
                fee = model.params.armed_groups.protection_share
                kinds.append(np.ones(len(idx), dtype=np.int64))
                rows.append(idx)
                # The trade behind a group's protection rents (none when no fee is charged); a
                # vanishing fee can put it beyond floating point (inf: see _review), and an unknown
                # group's weight is then 0 x inf, NaN (never proposed: _review keeps weights > 0).
                with np.errstate(over="ignore", invalid="ignore"):
                    trade = np.array([52.0 * groups[i].revenue_ema * share[i] / fee if fee > 0 else 0.0 for i in idx])
                    weights.append(self._panel_view(levers, "groups")[idx] * trade)
        if model.officials is not None:
            o = model.officials
            idx = np.setdiff1d(o.alive_rows(), np.array(self.listed_officials, dtype=np.int64))
            kinds.append(np.full(len(idx), 2, dtype=np.int64))
            rows.append(idx)
            bribe_share = model.params.officials.bribe_share
            # The value an official lets through for his rents (none when no bribe is asked); a
            # vanishing share can put it beyond floating point (inf: see _review), and an unknown
            # official's weight is then 0 x inf, NaN (never proposed: _review keeps weights > 0).
            with np.errstate(over="ignore", invalid="ignore"):
                let_through = 52.0 * o.cols["rents"][idx] / bribe_share if bribe_share > 0 else np.zeros(len(idx))
                weights.append(self._panel_view(levers, "officials")[idx] * let_through)
        if not kinds:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(kinds), np.concatenate(rows), np.concatenate(weights)

    def _review(self, levers) -> None:
        model, rng, cfg = self.model, self.model.rng, self.cfg
        n = round(cfg.per_review * cfg.intensity)
        if n <= 0:
            return
        kinds, rows, weight = self.candidates(levers)
        known = np.flatnonzero(weight > 0)
        if len(known):
            odds = weight[known]
            beyond = np.isinf(odds)
            if beyond.any():  # a vanishing fee or bribe share: in the limit only these are proposed, alike
                known, odds = known[beyond], np.ones(int(beyond.sum()))
            pick = rng.choice(known, size=min(n, len(known)), replace=False, p=odds / odds.sum())
            chosen = [(int(kinds[i]), int(rows[i])) for i in pick]
        else:
            chosen = [(0, int(r)) for r in self._evidence_picks(n)]
        crews, groups, officials = [], [], []
        for kind, row in chosen:
            if kind == 0:
                crews.append(row)
            elif kind == 1:
                groups.append(row)
            elif rng.random() < model.officials.political_will:  # the top lets its own be listed
                officials.append(row)
        self._list_crews(np.array(crews, dtype=np.int64))
        for g in groups:
            self._list_group(g)
        for o in officials:
            self._list_official(o)

    def _evidence_picks(self, n: int) -> np.ndarray:
        """With no knowledge of people: crews that officials have recorded evidence on, at random."""
        c = self.model.crews.cols
        pool = np.flatnonzero(c["alive"] & (c["evidence"] > 0) & ~c["listed"])
        if not len(pool):
            return np.zeros(0, dtype=np.int64)
        return self.model.rng.choice(pool, size=min(n, len(pool)), replace=False)

    def _list_crews(self, rows: np.ndarray) -> None:
        if not len(rows):
            return
        crews = self.model.crews
        value = crews.cols["cargo_value_ref"]
        alive = crews.alive_rows()
        top = np.quantile(value[alive], 0.9) if len(alive) else np.inf
        self.listed_top += int((value[rows] >= top).sum())
        crews.sanction(rows, self.cfg.freeze_share, self.cfg.travel_ban)
        self.listed += rows.tolist()

    def _list_group(self, index: int) -> None:
        """A group leader listed: part of the group's funds frozen (002 §III)."""
        model = self.model
        g = model.armed_groups.groups[index]
        frozen = self.cfg.freeze_share * max(g.funds, 0.0)
        g.funds -= frozen
        model.ledger.pay("asset_freeze", "armed_groups", "state", float(frozen))
        self.listed_groups.append(index)

    def _list_official(self, row: int) -> None:
        """An official or patron listed: part of his wealth frozen (002 §III)."""
        model = self.model
        o = model.officials
        frozen = self.cfg.freeze_share * max(float(o.cols["wealth"][row]), 0.0)
        o.cols["wealth"][row] -= frozen
        model.ledger.pay("asset_freeze", "officials", "state", frozen)
        self.listed_officials.append(row)

    @property
    def n_listed_groups(self) -> int:
        """Armed-group leaders listed so far."""
        return len(self.listed_groups)

    @property
    def n_listed_officials(self) -> int:
        """Officials and patrons listed so far."""
        return len(self.listed_officials)
