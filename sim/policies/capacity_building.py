"""Capacity building: skills and equipment for police and justice (002 §III; FACTS M12).

Officials' capacity (detection, courts, the evidence anti-corruption cases find) rises by
``capacity_gain × intensity`` in the targeted regions (default: all of Mali). It acts on the
institutions, and what it does depends on who works in them (M12): better-trained officials who
are for sale detect more and are bought off more; cases find more evidence, which a complicit
chain still blocks without will at the top (:mod:`sim.agents.official`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.paramspec import param
from sim.policies.base import Policy, PolicyConfig


@dataclass
class CapacityBuildingConfig(PolicyConfig):
    """Capacity-building settings."""

    capacity_gain: float = param(
        0.3, doc="rise in officials' capacity per unit of intensity", assumption=(0.1, 0.5), low=0, high=1
    )
    cost_usd_per_week: float = param(
        100_000.0, doc="weekly cost per unit of intensity", assumption=(20_000.0, 300_000.0), low=0, unit="USD"
    )


class CapacityBuilding(Policy):
    """More capable police and courts."""

    name = "capacity_building"
    target_kinds = ("places", "regions")

    def __init__(self, model, config: CapacityBuildingConfig, key: str):
        super().__init__(model, config, key)
        self.places = self.target_places(np.flatnonzero(model.world.in_mali))

    def apply(self, levers) -> None:
        """Raise capacity where targeted."""
        levers.capacity[self.places] += self.cfg.capacity_gain * self.cfg.intensity
        levers.cost += self.cfg.cost_usd_per_week * self.cfg.intensity
