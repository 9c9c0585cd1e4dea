"""Gold formalization: legal licensing and export made cheap (002 Box D; FACTS M10, M22, M23).

A share of artisanal gold (``max_share × intensity``) is sold through official channels instead
of smuggled: it leaves the illicit supply at Malian gold sites (the miners are paid all the same)
and no longer pays protection to armed groups. The labyrinthine licensing process favours those
who can pay bribes (M23): the share actually formalized falls with the bribe rate at the
checkpoints. Formal mines give ex-combatants work (002 Box D: CMA-linked groups around Kidal left
armed conflict for gold mining; M10).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.levers import either
from sim.paramspec import param
from sim.policies.base import Policy, PolicyConfig


@dataclass
class GoldFormalizationConfig(PolicyConfig):
    """Gold formalization settings."""

    max_share: float = param(
        0.5,
        doc="share of artisanal gold formalized at intensity 1 with no corruption",
        assumption=(0.2, 0.8),
        low=0,
        high=1,
    )
    jobs: float = param(
        0.3,
        doc="share of ex-combatants' needs for work met per unit of intensity (M10)",
        assumption=(0.1, 0.6),
        low=0,
        high=1,
    )
    cost_usd_per_week: float = param(
        100_000.0,
        doc="weekly cost of licensing offices and buyers per unit of intensity",
        assumption=(20_000.0, 300_000.0),
        low=0,
        unit="USD",
    )


class GoldFormalization(Policy):
    """Official channels for artisanal gold."""

    name = "gold_formalization"

    def apply(self, levers) -> None:
        """Set the formal share (net of corruption's friction) and the jobs it creates."""
        cfg, model = self.cfg, self.model
        friction = model.bribe_rate_recent()
        levers.formal_gold = min(1.0, cfg.max_share * cfg.intensity * (1.0 - friction))
        levers.jobs = either(levers.jobs, min(1.0, cfg.jobs * cfg.intensity))
        levers.cost += cfg.cost_usd_per_week * cfg.intensity
