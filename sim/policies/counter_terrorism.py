"""Counter-terrorism: more raids on armed groups, by label or on all in the trade (002 §III; M6).

Counter-terrorism forces grow by ``intensity`` times their strength. ``targeting`` says whom
they raid: jihadist-labelled groups only, as Serval did, which ousted them from territory but
left narco-traffickers in place and let some rebrand (M6), or all armed groups in the trade.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.paramspec import param
from sim.policies.base import Policy, PolicyConfig


@dataclass
class CounterTerrorismConfig(PolicyConfig):
    """Counter-terrorism settings."""

    targeting: str = param(
        "jihadist_only",
        doc="jihadist-labelled groups only, or all armed groups in the trade",
        source="002 §III (M6)",
        choices=("jihadist_only", "all_armed"),
    )
    cost_usd_per_week: float = param(
        2_000_000.0, doc="weekly cost per unit of intensity", assumption=(500_000.0, 5_000_000.0), low=0, unit="USD"
    )


class CounterTerrorism(Policy):
    """Stronger counter-terrorism forces with a chosen targeting rule."""

    name = "counter_terrorism"

    def apply(self, levers) -> None:
        """Scale counter-terrorism forces and set whom they target."""
        levers.ct_strength *= 1.0 + self.cfg.intensity
        levers.ct_targeting = self.cfg.targeting
        levers.cost += self.cfg.cost_usd_per_week * self.cfg.intensity
