"""Alternative livelihoods: raise licit income and services in chosen regions (000; FACTS M9, M10).

In the targeted regions (default: the north) licit income rises by ``income_gain × intensity``
and state services (presence) by ``service_gain × intensity``; the programme's jobs give
ex-combatants licit work (M10). No such project has been able to compete with trafficking
margins (M9): the gain is modest against the rents of the trade.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.levers import either
from sim.paramspec import param
from sim.policies.base import Policy, PolicyConfig


@dataclass
class LivelihoodsConfig(PolicyConfig):
    """Livelihood programme settings."""

    targets: list[str] = param(
        ["region:Timbuktu", "region:Gao", "region:Kidal", "region:Ménaka"],
        doc="regions or places of the programme",
        source="000: the north's livelihoods",
    )
    income_gain: float = param(0.2, doc="rise in licit income per unit of intensity", assumption=(0.05, 0.5), low=0)
    service_gain: float = param(
        0.1, doc="rise in state presence (services) per unit of intensity", assumption=(0.0, 0.3), low=0
    )
    jobs: float = param(
        0.3,
        doc="share of ex-combatants' needs for work met per unit of intensity (M10)",
        assumption=(0.1, 0.6),
        low=0,
        high=1,
    )
    cost_usd_per_person: float = param(
        0.5,
        doc="weekly cost per person in the targeted regions, per unit of intensity",
        assumption=(0.1, 2.0),
        low=0,
        unit="USD",
    )


class Livelihoods(Policy):
    """Licit income, services and jobs in the targeted regions."""

    name = "livelihoods"
    target_kinds = ("places", "regions")

    def __init__(self, model, config: LivelihoodsConfig, key: str):
        super().__init__(model, config, key)
        world = model.world
        self.places = self.target_places(np.flatnonzero(world.in_mali))
        self.people = 0.0
        if model.communities is not None:
            c = model.communities
            rows = c.row_of_place[self.places]
            self.people = float(c.population[rows[rows >= 0]].sum())

    def apply(self, levers) -> None:
        """Raise licit income and presence; provide jobs."""
        cfg = self.cfg
        levers.licit[self.places] *= 1.0 + cfg.income_gain * cfg.intensity
        levers.presence[self.places] += cfg.service_gain * cfg.intensity
        levers.jobs = either(levers.jobs, min(1.0, cfg.jobs * cfg.intensity))
        levers.cost += cfg.cost_usd_per_person * cfg.intensity * self.people
