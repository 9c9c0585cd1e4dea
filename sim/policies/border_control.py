"""Border control: more inspections at chosen crossings (000; 001; FACTS M7, M8).

Checkpoints at the targeted crossings (default: every crossing on Mali's borders) inspect
``1 + intensity`` times as often, and reinforced border units seize with extra odds
``border_seizure × intensity`` at each encounter with a good they target. Border control that
is not crime-sensitive treats food and fuel as contraband like any other cargo (no tolerance for
livelihood trade), which is what harms remote regions that live on that trade (000; M7).
``crime_sensitive`` exempts livelihood goods from the extra inspections.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.levers import either
from sim.paramspec import param
from sim.policies.base import Policy, PolicyConfig, mali_crossings


@dataclass
class BorderControlConfig(PolicyConfig):
    """Border control settings."""

    crime_sensitive: bool = param(
        False,
        doc="exempt livelihood goods (food, fuel, medicines, cattle, gold) from the extra inspections",
        source="000",
    )
    border_seizure: float = param(
        0.05,
        doc="seizure odds of the reinforced border units at a crossing, per unit of intensity",
        assumption=(0.01, 0.15),
        low=0,
        high=1,
    )
    cost_usd_per_crossing: float = param(
        20_000.0,
        doc="weekly cost of the extra inspections at one crossing, per unit of intensity",
        assumption=(5_000.0, 50_000.0),
        low=0,
        unit="USD",
    )


class BorderControl(Policy):
    """More inspections at crossings; crime-sensitive or not."""

    name = "border_control"
    target_kinds = ("places", "regions", "countries")
    crossings_only = True

    def __init__(self, model, config: BorderControlConfig, key: str):
        super().__init__(model, config, key)
        self.places = self.target_places(mali_crossings(model.world))
        livelihood = np.array([g.livelihood for g in model.world.goods])
        tolerance = model.params.checkpoints.livelihood_tolerance
        factor = np.full(len(livelihood), 1.0 + config.intensity)
        if config.crime_sensitive:
            factor[livelihood] = 1.0
        else:
            # Food and fuel lose their tolerance (M7), fully from intensity 1 on.
            factor[livelihood] /= float(max(tolerance, 1e-9)) ** min(1.0, config.intensity)  # the C library's pow
        self.factor = factor
        self.seize = np.where(
            livelihood & config.crime_sensitive, 0.0, min(1.0, config.border_seizure * config.intensity)
        )

    def apply(self, levers) -> None:
        """Multiply inspections at the targeted crossings."""
        levers.inspection[self.places] *= self.factor[None, :]
        now = levers.raid_seize[self.places]
        levers.raid_seize[self.places] = either(now, self.seize[None, :])
        levers.cost += self.cfg.cost_usd_per_crossing * self.cfg.intensity * len(self.places)
