"""Regional cooperation: border control coordinated with the neighbours (000; 001; FACTS M8).

Interdiction at some of Mali's crossings displaces flows to the others and to routes through
the neighbours (M8). With cooperation, control is coordinated across the borders of the targeted
neighbours (default: all of them): their border towns and hubs on the routes, and every
Malian crossing to them, inspect ``1 + intensity`` times as often and field joint units that
seize illicit cargo with extra odds ``joint_seizure × intensity``, so the cheap detours close
too (000: "avoiding the displacement effect"). Livelihood goods are left to the national
border-control policy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.levers import either
from sim.names import PLACE_KINDS
from sim.paramspec import param
from sim.policies.base import Policy, PolicyConfig, crossings_to


@dataclass
class RegionalCooperationConfig(PolicyConfig):
    """Regional cooperation settings."""

    joint_seizure: float = param(
        0.05,
        doc="seizure odds of joint units at a coordinated border place, per unit of intensity",
        assumption=(0.01, 0.15),
        low=0,
        high=1,
    )
    cost_usd_per_place: float = param(
        10_000.0,
        doc="weekly cost of coordinated inspections at one place, per unit of intensity",
        assumption=(2_000.0, 30_000.0),
        low=0,
        unit="USD",
    )


class RegionalCooperation(Policy):
    """Coordinated inspections and joint units on both sides of the targeted borders."""

    name = "regional_cooperation"
    target_kinds = ("countries",)

    def __init__(self, model, config: RegionalCooperationConfig, key: str):
        super().__init__(model, config, key)
        neighbours = sorted({c for c in model.world.country if c != "Mali"})
        self.places = self.places_on_borders(model.world, sorted({t.name for t in self.resolved()}) or neighbours)
        livelihood = np.array([g.livelihood for g in model.world.goods])
        self.seize = np.where(livelihood, 0.0, min(1.0, config.joint_seizure * config.intensity))

    @classmethod
    def selection(cls, world, target) -> set[int]:
        """A country's places on the route network and its crossings into Mali."""
        return set(cls.places_on_borders(world, [target.name]).tolist())

    @staticmethod
    def places_on_borders(world, countries: list[str]) -> np.ndarray:
        """Towns, crossings and markets abroad in ``countries`` (not 'Outside'), and their crossings."""
        kinds = np.isin(world.kind, [PLACE_KINDS.index(k) for k in ("town", "crossing", "market")])
        abroad = ~world.in_mali & kinds & np.isin(np.array(world.country), countries)
        abroad &= np.array([r != "Outside" for r in world.region])
        crossings = np.concatenate([crossings_to(world, c) for c in countries]) if countries else np.array([], int)
        return np.union1d(np.flatnonzero(abroad), crossings).astype(np.int64)

    def apply(self, levers) -> None:
        """Coordinated inspections and joint units at the places on the targeted borders."""
        levers.inspection[self.places] *= 1.0 + self.cfg.intensity
        levers.raid_seize[self.places] = either(levers.raid_seize[self.places], self.seize[None, :])
        levers.cost += self.cfg.cost_usd_per_place * self.cfg.intensity * len(self.places)
