"""What a crew meets at a place: seizure odds, bribes and tolls.

Traffickers see enforcement only through the :class:`Enforcement` interface: the rates
it publishes (used both for planning and for the draws of an encounter) and
:meth:`Enforcement.settle`, which books what was paid and seized at each encounter.
:class:`Checkpoints` is the stand-in of the core model: fixed pressure by kind of place
(000; 002 §II; FACTS M3, M15). Officials and armed groups take it over behind the same
interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from sim.world.tables import PLACE_KINDS

if TYPE_CHECKING:
    from sim.ledger import Ledger
    from sim.params import CheckpointParams
    from sim.world.network import World


@dataclass
class Rates:
    """Per (place, good) rates of an encounter.

    Attributes:
        seize: Probability that an encounter ends in seizure.
        bribe: Share of cargo value paid to officials when not seized.
        toll: Share of cargo value paid at roadblocks when not seized.
        version: Changes whenever any rate changes, so planners can cache route costs.
    """

    seize: np.ndarray
    bribe: np.ndarray
    toll: np.ndarray
    version: int = 0


@dataclass
class Encounters:
    """The encounters of one week, one entry each (flat arrays of equal length)."""

    place: np.ndarray
    good: np.ndarray
    units: np.ndarray
    value: np.ndarray
    seized: np.ndarray
    bribe: np.ndarray
    toll: np.ndarray


class Enforcement(Protocol):
    """What traffickers need from whoever holds the checkpoints and roadblocks."""

    rates: Rates

    def settle(self, encounters: Encounters, ledger: Ledger) -> None:
        """Book the bribes, tolls and seizures of this week's encounters."""


def checkpoint_pressure(world: World, params: CheckpointParams) -> np.ndarray:
    """Checkpoint pressure per place, by kind of place and country (assumptions)."""
    kind = world.kind
    pressure = np.zeros(world.n_places)
    in_mali = world.in_mali
    pressure[in_mali & (kind == PLACE_KINDS.index("crossing"))] = params.pressure_crossing
    pressure[in_mali & (kind == PLACE_KINDS.index("town"))] = params.pressure_town
    pressure[in_mali & (kind == PLACE_KINDS.index("gold_site"))] = params.pressure_gold_site
    abroad = ~in_mali & np.isin(kind, [PLACE_KINDS.index("town"), PLACE_KINDS.index("crossing")])
    pressure[abroad] = params.pressure_abroad
    for pid, mult in params.pressure_multiplier.items():
        pressure[world.index[pid]] *= mult
    return pressure


class Checkpoints:
    """Stand-in enforcement: fixed checkpoint pressure and roadblock tolls.

    Args:
        world: The world.
        goods: Indices of the goods traded.
        params: Checkpoint parameters.
    """

    def __init__(self, world: World, goods: np.ndarray, params: CheckpointParams):
        self.world, self.params = world, params
        self.pressure = checkpoint_pressure(world, params)
        detect = np.array([world.goods[g].detectability for g in goods])
        livelihood = np.array([world.goods[g].livelihood for g in goods])
        detect = detect * np.where(livelihood, params.livelihood_tolerance, 1.0)
        seize = np.clip(params.seizure_probability * self.pressure[:, None] * detect[None, :], 0.0, 1.0)
        bribe = np.clip(params.bribe_share * self.pressure, 0.0, 1.0)
        toll_place = np.isin(np.array(world.region), params.toll_regions)
        toll = np.where(toll_place, params.toll_share, 0.0)
        shape = seize.shape
        self.rates = Rates(
            seize=seize,
            bribe=np.broadcast_to(bribe[:, None], shape).copy(),
            toll=np.broadcast_to(toll[:, None], shape).copy(),
        )

    def settle(self, encounters: Encounters, ledger: Ledger) -> None:
        """Bribes go to the checkpoint holders, tolls to the armed groups at roadblocks."""
        ledger.pay("bribes", "traffickers", "officials", float(encounters.bribe.sum()))
        ledger.pay("tolls", "traffickers", "armed_groups", float(encounters.toll.sum()))
