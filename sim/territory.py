"""Who holds each place, how present the state is there, and how violent it has been.

Shared state read by every actor: armed groups change who holds a place, forces and
officials make the state present, and every killing or robbery adds to a place's
insecurity (a running average), which communities answer by arming themselves (M16).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.lazy import lazy_module

if TYPE_CHECKING:
    from sim.params import ScenarioConfig
    from sim.world.network import World

kernels = lazy_module("sim.territory_kernels")  # the week's arithmetic, compiled (issue 18, "state12")

NORTH_PRESENCE = 0.5  # 002 §II: in the north "there has never been strong State presence"
HELD_PRESENCE = 0.2  # the state's reach where an armed group holds the place


class Territory:
    """Per-place holders, state presence and insecurity.

    Args:
        world: The world.
        north_regions: Regions of the north (weaker state presence).
        scenario: Scenario parameters.
    """

    def __init__(self, world: World, north_regions: list[str], scenario: ScenarioConfig):
        self.world = world
        self.holder = np.full(world.n_places, -1, dtype=np.int64)
        self.north = np.isin(np.array(world.region), north_regions)
        self.base_presence = np.where(world.in_mali, np.where(self.north, NORTH_PRESENCE, 1.0), 0.0)
        self.support = np.zeros(world.n_places)  # added by forces supporting the state
        self.presence = self.base_presence.copy()
        self.violence = np.zeros(world.n_places)  # deaths and robberies this week
        self.abuses = np.zeros(world.n_places)  # civilians killed by state or allied forces this week
        self.insecurity = np.zeros(world.n_places)  # running average of violence per 10,000 people
        self.abuse_rate = np.zeros(world.n_places)  # running average of abuses per 10,000 people
        self.clashes = np.zeros(world.n_places)  # clashes since the start
        self.hostile_to_state = np.zeros(world.n_places, dtype=bool)
        self.cleared = np.zeros(world.n_places)  # weeks the state still holds ground it cleared (M6)
        self.decay = 0.9

    def update_presence(self, services: np.ndarray | None = None) -> None:
        """State presence: base by region, low where a group hostile to the state holds the place.

        Forces' support and policies' services (``services``) add to it. One compiled pass
        (:func:`sim.territory_kernels.presence`, issue 18 "state12"); the numpy form it replaced
        is ``tests/test_state12_kernels.py``'s reference.
        """
        services = services if services is not None else np.zeros(len(self.support))  # x + 0.0 either way
        self.presence = kernels.presence(
            self.holder,
            self.hostile_to_state,
            self.base_presence,
            self.support,
            services,
            self.world.in_mali,
            HELD_PRESENCE,
        )

    def end_week(self, population: np.ndarray) -> None:
        """Fold this week's violence into insecurity and start a new week.

        One compiled pass (:func:`sim.territory_kernels.fold_violence`, issue 18 "state12"), the
        arithmetic of the numpy form (``tests/test_state12_kernels.py``) in its order.
        """
        population = np.asarray(population, dtype=float)
        self.insecurity, self.abuse_rate = kernels.fold_violence(
            self.insecurity,
            self.abuse_rate,
            self.violence,
            self.abuses,
            population,
            self.cleared,
            self.decay,
            1 - self.decay,
        )
