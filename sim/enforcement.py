"""What a crew meets at a place: checkpoints, roadblocks and bandits.

Traffickers see the other actors only through three interfaces, each publishing per-place
rates that crews use both to plan (expected costs of a route) and to draw what happens at an
encounter, and each booking the outcome of the week's encounters:

- :class:`Enforcement` (checkpoints: seizure, bribes, arrests): the stand-in
  :class:`Checkpoints` of the core model, or officials (:mod:`sim.agents.official`);
- :class:`Roadblocks` (tolls and protection; M1): the stand-in :class:`StandInRoadblocks`,
  or armed groups (:mod:`sim.agents.armed_group`);
- :class:`Banditry` (robbery of unprotected crews; M16): none in the core, or communities'
  arms where the state is absent (:mod:`sim.agents.community`).

An encounter has one outcome (:class:`Outcome`), drawn from the rates: seized, bought off
after detection (``settled``), a routine payment, robbed, or clean.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from sim.world.tables import PLACE_KINDS

if TYPE_CHECKING:
    from sim.ledger import Ledger
    from sim.params import CheckpointParams, ScenarioConfig
    from sim.world.network import World


class Outcome(enum.IntEnum):
    """What happened at one encounter."""

    CLEAN = 0
    ROUTINE = 1  # a routine payment to a corrupt official
    SETTLED = 2  # detected, then bought off with a bribe
    SEIZED = 3
    ROBBED = 4


@dataclass
class Rates:
    """Per-place checkpoint rates (places x goods where noted).

    Attributes:
        seize: (places, goods) probability an encounter ends in seizure.
        settle: (places, goods) probability it is detected and bought off.
        settle_share: (places,) bribe that buys off a detection, as a share of cargo value.
        routine: (places,) probability a routine payment is demanded at an undetected encounter.
        routine_share: (places,) routine payment as a share of cargo value.
        staffed: (places,) whether officials or checkpoints work there (where bribe rates count).
        closed: (links,) links across a closed border: no consignment passes (002 Box C; FACTS F27).
        version: Changes whenever a rate changes, so planners can cache route costs.
    """

    seize: np.ndarray
    settle: np.ndarray
    settle_share: np.ndarray
    routine: np.ndarray
    routine_share: np.ndarray
    staffed: np.ndarray
    closed: np.ndarray
    version: int = 0


@dataclass
class Encounters:
    """The encounters of one week, one entry each (flat arrays of equal length)."""

    crew: np.ndarray
    place: np.ndarray
    good: np.ndarray
    units: np.ndarray
    value: np.ndarray
    outcome: np.ndarray
    bribe: np.ndarray
    toll: np.ndarray
    official: np.ndarray | None = None  # who decided each encounter in Mali (-1: no one), if officials are modelled


class Enforcement(Protocol):
    """Whoever holds the checkpoints."""

    rates: Rates

    def update(self) -> None:
        """Recompute the rates for this week."""

    def settle(self, enc: Encounters, ledger: Ledger) -> np.ndarray:
        """Book bribes and seizures; return which encounters end in an arrest."""


class Roadblocks(Protocol):
    """Whoever holds roadblocks and sells protection (M1)."""

    toll: np.ndarray  # (places,) toll share
    alliance: np.ndarray  # (places,) alliance of the holder, -1 if none
    protecting: np.ndarray  # (places,) alliance selling protection there, -1 if none
    version: int

    def collect(self, enc: Encounters, ledger: Ledger) -> None:
        """Book the tolls of this week's encounters."""

    def protect(self, crews: np.ndarray, alliance: np.ndarray, fee: np.ndarray, ledger: Ledger) -> None:
        """Book protection fees paid at departure to an alliance's groups."""

    def share_profit(self, alliance: np.ndarray, amount: np.ndarray, ledger: Ledger) -> None:
        """Book the share of protected crews' profits that goes to their protectors."""


class Banditry(Protocol):
    """Robbery odds of unprotected crews (M16)."""

    rob: np.ndarray  # (places,) probability
    version: int


def checkpoint_pressure(world: World, params: CheckpointParams) -> np.ndarray:
    """Checkpoint pressure per Malian place, by kind of place (assumptions); the neighbours hold their own."""
    kind = world.kind
    pressure = np.zeros(world.n_places)
    in_mali = world.in_mali
    pressure[in_mali & (kind == PLACE_KINDS.index("crossing"))] = params.pressure_crossing
    pressure[in_mali & (kind == PLACE_KINDS.index("town"))] = params.pressure_town
    pressure[in_mali & (kind == PLACE_KINDS.index("gold_site"))] = params.pressure_gold_site
    for pid, mult in params.pressure_multiplier.items():
        pressure[world.index[pid]] *= mult
    return pressure


def detectability(world: World, params: ScenarioConfig) -> np.ndarray:
    """How noticeable each good is at a checkpoint; livelihood goods are waved through more often (000)."""
    detect = np.array([g.detectability for g in world.goods])
    livelihood = np.array([g.livelihood for g in world.goods])
    return detect * np.where(livelihood, params.checkpoints.livelihood_tolerance, 1.0)


def detection_odds(
    world: World, params: ScenarioConfig, pressure: np.ndarray, base: float, detect: np.ndarray | None = None
) -> np.ndarray:
    """(places, goods) odds a checkpoint notices a cargo: base x pressure x detectability.

    ``detect`` is :func:`detectability`, for callers that keep it (officials' pressure moves weekly).
    """
    if detect is None:
        detect = detectability(world, params)
    return np.clip(base * pressure[:, None] * detect[None, :], 0.0, 1.0)


class Checkpoints:
    """Stand-in enforcement in Mali: fixed checkpoint pressure; every checkpoint takes a routine bribe.

    Places abroad are the neighbours' (:class:`sim.neighbours.Neighbours`): their rates are
    copied in, and their encounters are settled by them.

    Args:
        world: The world.
        params: Scenario parameters.
        rng: The model's generator.
        levers: The policy levers, or None.
        neighbours: The neighbours' enforcement, or None for none abroad.
    """

    def __init__(self, world: World, params: ScenarioConfig, rng: np.random.Generator, levers=None, neighbours=None):
        cp = params.checkpoints
        self.rng, self.levers, self.neighbours = rng, levers, neighbours
        self.in_mali = world.in_mali
        self.pressure = checkpoint_pressure(world, cp)
        seize = detection_odds(world, params, self.pressure, cp.seizure_probability)
        self.base_seize = seize
        staffed = self.pressure > 0
        self.arrest_probability = params.traffickers.arrest_probability
        self.rates = Rates(
            seize=seize,
            settle=np.zeros_like(seize),
            settle_share=np.zeros(world.n_places),
            routine=staffed.astype(float),
            routine_share=np.clip(cp.bribe_share * self.pressure, 0.0, 1.0),
            staffed=staffed,
            closed=np.zeros(world.n_edges, dtype=bool),
        )
        self._version_abroad = -1
        if neighbours is not None:
            abroad = ~world.in_mali
            for name in ("settle_share", "routine", "routine_share", "staffed"):
                getattr(self.rates, name)[abroad] = getattr(neighbours.rates, name)[abroad]
        self.update()

    def update(self) -> None:
        """Fixed pressure, moved only by policies' extra inspections and raids; the neighbours' rates abroad."""
        rates, abroad = self.rates, ~self.in_mali
        changed = False
        if self.levers is not None:
            seize = np.clip(self.base_seize * self.levers.inspection, 0.0, 1.0)
            seize = seize + (1 - seize) * self.levers.raid_seize
            if not np.array_equal(seize[self.in_mali], rates.seize[self.in_mali]):
                rates.seize[self.in_mali] = seize[self.in_mali]
                changed = True
        nb = self.neighbours
        if nb is not None:
            nb.update()
            if nb.rates.version != self._version_abroad:
                rates.seize[abroad] = nb.rates.seize[abroad]
                rates.settle[abroad] = nb.rates.settle[abroad]
                rates.closed[:] = nb.rates.closed
                self._version_abroad = nb.rates.version
                changed = True
        if changed:
            rates.version += 1

    def settle(self, enc: Encounters, ledger: Ledger) -> np.ndarray:
        """Bribes in Mali go to the officials' account; a seizure ends in arrest with a fixed chance."""
        if self.neighbours is not None:
            return settle_split(self.in_mali, enc, ledger, self.neighbours, self.arrest_probability, self.rng)
        ledger.pay("bribes", "traffickers", "officials", float(enc.bribe.sum()))
        seized = enc.outcome == Outcome.SEIZED
        return seized & (self.rng.random(len(seized)) < self.arrest_probability)


def settle_split(in_mali, enc: Encounters, ledger: Ledger, neighbours, arrest_probability: float, rng) -> np.ndarray:
    """Settle the stand-in's encounters: those abroad by the neighbours, those in Mali here."""
    home = in_mali[enc.place]
    arrested = np.zeros(len(enc.place), dtype=bool)
    abroad = np.flatnonzero(~home)
    if len(abroad):
        arrested[abroad] = neighbours.settle(subset(enc, abroad), ledger)
    inside = np.flatnonzero(home)
    ledger.pay("bribes", "traffickers", "officials", float(enc.bribe[inside].sum()))
    seized = enc.outcome[inside] == Outcome.SEIZED
    arrested[inside] = seized & (rng.random(len(inside)) < arrest_probability)
    return arrested


def subset(enc: Encounters, rows: np.ndarray) -> Encounters:
    """The encounters at these rows."""
    fields = (getattr(enc, f) for f in Encounters.__dataclass_fields__)
    return Encounters(*(None if v is None else v[rows] for v in fields))


class StandInRoadblocks:
    """Stand-in roadblocks: a fixed toll in the regions armed groups hold (M1); no protection."""

    def __init__(self, world: World, params: CheckpointParams):
        held = np.isin(np.array(world.region), params.toll_regions)
        self.toll = np.where(held, params.toll_share, 0.0)
        self.alliance = np.full(world.n_places, -1, dtype=np.int64)
        self.protecting = self.alliance
        self.version = 0

    def collect(self, enc: Encounters, ledger: Ledger) -> None:
        """Tolls go to the armed groups' account."""
        ledger.pay("tolls", "traffickers", "armed_groups", float(enc.toll.sum()))

    def protect(self, crews: np.ndarray, alliance: np.ndarray, fee: np.ndarray, ledger: Ledger) -> None:
        """No one sells protection without armed groups."""

    def share_profit(self, alliance: np.ndarray, amount: np.ndarray, ledger: Ledger) -> None:
        """No protectors, no shares."""


class NoBanditry:
    """No robbery (core model)."""

    def __init__(self, world: World):
        self.rob = np.zeros(world.n_places)
        self.version = 0
