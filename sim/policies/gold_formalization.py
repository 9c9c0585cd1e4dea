"""Gold formalization: legal licensing and export made easier (002 Box D; FACTS M10, M22, M23).

The policy changes what miners and officials weigh, not how much gold is formal: it cuts the
licence fee (``fee_cut × intensity``), simplifies the file (``file_help × intensity`` added to a
miner's weekly odds of completing it) and opens official buyers who pay the world price instead
of the site price (``formal_premium``: goods.yaml, gold sells at sites for ~85% of the world
price). Who is licensed, and so how much gold is sold formally, is then the miners' and the
administrators' doing (:mod:`sim.agents.gold`): a venal administrator still withholds the
licence from those who cannot pay him (M23). Formal mines give ex-combatants work (002 Box D:
CMA-linked groups around Kidal left armed conflict for gold mining; M10).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.levers import either
from sim.paramspec import param
from sim.policies.base import Policy, PolicyConfig


@dataclass
class GoldFormalizationConfig(PolicyConfig):
    """Gold formalization settings."""

    fee_cut: float = param(
        0.8, doc="share of the licence fee waived at intensity 1", assumption=(0.3, 1.0), low=0, high=1
    )
    file_help: float = param(
        0.05,
        doc="rise in a miner's weekly odds of completing the licence file at intensity 1 (002 Box D)",
        assumption=(0.01, 0.2),
        low=0,
        high=1,
    )
    formal_premium: float = param(
        0.14,
        doc="price gain of selling to an official buyer, share of the site price",
        source="goods.yaml: gold sells at sites for ~85% of the world price (57,000 / 50,000 - 1)",
        low=0,
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
    """Cheaper, simpler licences and official buyers for gold."""

    name = "gold_formalization"

    def apply(self, levers) -> None:
        """Cut the fee, help with the file, open official buyers; jobs for ex-combatants."""
        cfg = self.cfg
        levers.licence_cost *= max(0.0, 1.0 - cfg.fee_cut * cfg.intensity)
        levers.licence_help += cfg.file_help * cfg.intensity
        levers.formal_premium = max(levers.formal_premium, cfg.formal_premium * min(1.0, cfg.intensity))
        levers.jobs = either(levers.jobs, min(1.0, cfg.jobs * cfg.intensity))
        levers.cost += cfg.cost_usd_per_week * cfg.intensity
