"""Regional cooperation: border control coordinated with the neighbours (000; 001; FACTS M8).

Interdiction at Mali's crossings alone displaces flows to other crossings and routes through
the neighbours (M8). With cooperation the neighbours inspect too: checkpoints on the other side
of the targeted borders (default: every neighbour) and at the neighbours' hubs on the routes
inspect ``1 + intensity`` times as often, cutting the cheap detours (000: "avoiding the
displacement effect").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.paramspec import param
from sim.policies.base import Policy, PolicyConfig
from sim.world.tables import PLACE_KINDS


@dataclass
class RegionalCooperationConfig(PolicyConfig):
    """Regional cooperation settings."""

    cost_usd_per_place: float = param(
        10_000.0,
        doc="weekly cost of coordinated inspections at one place abroad, per unit of intensity",
        assumption=(2_000.0, 30_000.0),
        low=0,
        unit="USD",
    )


class RegionalCooperation(Policy):
    """Inspections on the neighbours' side of the border and at their hubs."""

    name = "regional_cooperation"

    def __init__(self, model, config: RegionalCooperationConfig, key: str):
        super().__init__(model, config, key)
        world = model.world
        countries = [t for t in config.targets if t in world.country] or sorted(
            {c for c in world.country if c != "Mali"}
        )
        kinds = np.isin(world.kind, [PLACE_KINDS.index(k) for k in ("town", "crossing", "market")])
        abroad = ~world.in_mali & kinds & np.isin(np.array(world.country), countries)
        abroad &= np.array([r != "Outside" for r in world.region])
        self.places = np.flatnonzero(abroad)

    def apply(self, levers) -> None:
        """Multiply inspections at the neighbours' border towns and hubs."""
        levers.inspection[self.places] *= 1.0 + self.cfg.intensity
        levers.cost += self.cfg.cost_usd_per_place * self.cfg.intensity * len(self.places)
