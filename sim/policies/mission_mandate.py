"""The mission's mandate: its strength and the weight of organized crime (002 §III; 003; 004; F12, F21).

Sets MINUSMA's military strength and the weight of organized crime among its tasks. A task
works only if it is one of the mission's few main tasks (F21: one of the 2-3 main ones of 40-60):
a weight that ranks it there makes the mission's organized-crime effort count. That effort has
no arrest powers and no border role of its own (003): it raises the capacity of Malian police and
judges and shares information with them (``sim/agents/force.py``), so it seizes only where Malian
officials work and only as far as they choose to seize rather than take a bribe.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.paramspec import param
from sim.policies.base import Policy, PolicyConfig


@dataclass
class MissionMandateConfig(PolicyConfig):
    """Mandate settings."""

    strength: float = param(11_200.0, doc="military personnel", source="F12 (002 §II)", low=0, unit="personnel")
    oc_weight: float = param(
        0.4,
        doc="weight of organized crime among the mission's tasks (main task above about 0.2)",
        source="F21 (002 §III)",
        low=0,
    )
    cost_usd_per_soldier: float = param(
        1_000.0,
        doc="weekly cost per soldier above the default strength",
        assumption=(500.0, 2_000.0),
        low=0,
        unit="USD",
    )


class MissionMandate(Policy):
    """The mission's strength and organized-crime weight."""

    name = "mission_mandate"

    def apply(self, levers) -> None:
        """Set the mission's strength and its organized-crime weight (scaled by intensity)."""
        cfg = self.cfg
        self.set_mandate(levers)
        extra = max(0.0, cfg.strength - self.model.params.forces.mission_strength)
        levers.cost += cfg.cost_usd_per_soldier * extra

    def set_mandate(self, levers) -> None:
        """The mandate alone (no cost): intelligence, applied earlier in the week, reads it (M13)."""
        levers.mission_strength = self.cfg.strength
        levers.mission_oc_weight = self.cfg.oc_weight * self.cfg.intensity
