"""Targeted sanctions: listing on the evidence available (002 §III, Box C; 004; FACTS M14, F19).

Every ``review_weeks`` the Panel of Experts lists ``per_review`` individuals (F19: the first
three in December 2018), chosen on the evidence the model makes available: crews that officials
have recorded (seizures and bribes after detection), ranked by the value they moved. The Panel's
reach is limited: it sees the top of the trade only as far as intelligence is acted on (M13);
otherwise it lists among the mid-level operators it happens to have evidence on. A listing
freezes ``freeze_share`` of the crew's cash (asset freeze) and makes its crossings of borders
riskier (travel ban). The threat of listing makes signatory groups stop selling protection for
``threat_weeks`` (reputation; M14). Designating mid-level traffickers has little effect on
traffic or violence (M14): that is what this policy should show, not assume.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.names import GroupKind
from sim.paramspec import param
from sim.policies.base import Policy, PolicyConfig


@dataclass
class SanctionsConfig(PolicyConfig):
    """Sanctions settings."""

    review_weeks: int = param(26, doc="weeks between listings", assumption=(13, 52), low=1, unit="weeks")
    per_review: int = param(
        3, doc="individuals listed at each review", source="F19 (002 §III): three listed in Dec 2018", low=0
    )
    freeze_share: float = param(0.8, doc="share of a listed crew's cash frozen", assumption=(0.3, 1.0), low=0, high=1)
    travel_ban: float = param(
        2.0,
        doc="extra detection odds of a listed crew at a border crossing (multiplier minus 1)",
        assumption=(0.5, 5.0),
        low=0,
    )
    threat_weeks: int = param(
        52,
        doc="weeks signatory groups stop selling protection after the regime starts (M14)",
        assumption=(0, 104),
        low=0,
    )
    cost_usd_per_week: float = param(
        20_000.0,
        doc="weekly cost of the regime and its Panel of Experts",
        assumption=(5_000.0, 50_000.0),
        low=0,
        unit="USD",
    )


class Sanctions(Policy):
    """Listings, asset freezes, travel bans and the threat effect on signatories."""

    name = "sanctions"

    def __init__(self, model, config: SanctionsConfig, key: str):
        super().__init__(model, config, key)
        self.listed: list[int] = []
        self.listed_top = 0

    def apply(self, levers) -> None:
        """Threat effect, and a review every ``review_weeks``."""
        cfg, model = self.cfg, self.model
        week = model.steps - self.first
        if week < cfg.threat_weeks * cfg.intensity:
            levers.no_protection_kinds.add(int(GroupKind.SIGNATORY))
        levers.cost += cfg.cost_usd_per_week
        if week % cfg.review_weeks == 0:
            self._review(levers)

    def _review(self, levers) -> None:
        crews, rng = self.model.crews, self.model.rng
        evidence = crews.cols["evidence"]
        alive = crews.alive_rows()
        known = alive[(evidence[alive] > 0) & ~crews.cols["listed"][alive]]
        n = min(round(self.cfg.per_review * self.cfg.intensity), len(known))
        if n == 0:
            return
        ranked = known[np.argsort(evidence[known])[::-1]]
        top = ranked[: max(1, len(ranked) // 10)]
        picks = []
        for _ in range(n):
            pool = top if rng.random() < levers.intelligence else ranked
            pool = pool[~np.isin(pool, picks)]
            if not len(pool):
                break
            pick = int(rng.choice(pool))
            picks.append(pick)
            self.listed_top += int(pick in top)
        crews.sanction(np.array(picks, dtype=np.int64), self.cfg.freeze_share, self.cfg.travel_ban)
        self.listed += picks
