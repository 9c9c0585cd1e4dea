"""Intelligence fusion: better targeting, only where someone acts on it (001; 002 §III, §IV; FACTS M13).

JMAC, ASIFU and the Panel of Experts produced information that stayed in silos and was seldom
used (M13). This policy sets the quality of information (``intensity``, 0 to 1) that other
policies use to pick targets (hub raids, sanctions listings, counter-terrorism raids) and the
share that is acted on: by default only what the mission is positioned to act on, that is when
organized crime is one of its main tasks.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.paramspec import param
from sim.policies.base import Policy, PolicyConfig


@dataclass
class IntelligenceConfig(PolicyConfig):
    """Intelligence settings."""

    acted_on: str = param(
        "when_priority",
        doc="whether information is acted on: always, never, or when organized crime is a main task of the mission",
        source="002 §III (M13)",
        choices=("always", "never", "when_priority"),
    )
    cost_usd_per_week: float = param(
        50_000.0,
        doc="weekly cost of analysts and sources per unit of intensity",
        assumption=(10_000.0, 200_000.0),
        low=0,
        unit="USD",
    )


class Intelligence(Policy):
    """Information quality for the other policies, where acted on."""

    name = "intelligence"

    def apply(self, levers) -> None:
        """Set the quality of information acted on this week."""
        cfg, model = self.cfg, self.model
        acted = {
            "always": True,
            "never": False,
            "when_priority": model.forces is not None and model.forces.oc_is_main_task(levers),
        }[cfg.acted_on]
        if acted:
            levers.intelligence = max(levers.intelligence, min(1.0, cfg.intensity))
        levers.cost += cfg.cost_usd_per_week * cfg.intensity
