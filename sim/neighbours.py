"""Mali's neighbours as enforcement actors: their border posts and inland checkpoints.

Interdiction in one place displaces flows to others (000; 001; FACTS M8), so what a crew
meets beyond Mali's borders decides where the trade runs. Each neighbouring state of
``neighbours.yaml`` holds the checkpoints at its places on the network: its first posts across
Mali's borders (its places linked to a Malian place, and its crossings) at its ``border``
pressure, its other towns and hubs at its ``inland`` pressure. What they detect scales with the
state's ``capacity`` (as officials' capacity does in Mali; ``officials.detect_base`` is the
chance at capacity and pressure 1); its ``complicity`` is the share of detections bought off
and the odds of a routine payment (000: corruption; 002 §II: Libya's border controls collapsed
after 2011). Terminal markets (region ``Outside``) hold no checkpoint: the sale ends the trip.

:class:`Neighbours` implements :class:`sim.enforcement.Enforcement` for the places abroad; the
Malian enforcement (stand-in checkpoints or officials) takes its rates there, so policies that
raise inspections abroad (regional cooperation) act through these states' own capacity and
complicity. A state may close its border with Mali (the ECOWAS closure of January-June 2022;
002 Box C, FACTS F27; ``close_borders`` in a timeline): then no consignment crosses the links
between it and Mali, and crews plan around them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import yaml

from sim.enforcement import Encounters, Outcome, Rates, detection_odds
from sim.errors import DataError
from sim.world.network import TERMINAL_REGIONS
from sim.world.tables import DATA_DIR, PLACE_KINDS, GoodParam, provenance_param, read_text

if TYPE_CHECKING:
    from sim.ledger import Ledger
    from sim.levers import Levers
    from sim.params import ScenarioConfig
    from sim.world.network import World

NEIGHBOUR_PARAMS = ("border", "inland", "capacity", "complicity")
OTHER = "other"  # the row for countries without their own


@dataclass(frozen=True)
class Neighbour:
    """A row of neighbours.yaml: one state's enforcement."""

    country: str
    params: dict[str, GoodParam]

    def value(self, name: str) -> float:
        """A parameter's value."""
        return self.params[name].value


@functools.lru_cache(maxsize=8)
def load_neighbours(data_dir: str = "") -> dict[str, Neighbour]:
    """The neighbours table of a data directory (the packaged one if it has none).

    Raises:
        DataError: naming the file and the entry.
    """
    path = (Path(data_dir) if data_dir else DATA_DIR) / "neighbours.yaml"
    if not path.exists():
        path = DATA_DIR / "neighbours.yaml"
    data = yaml.safe_load(read_text(path))
    if not isinstance(data, dict) or OTHER not in data:
        raise DataError(str(path), None, f"expected a mapping of countries with an {OTHER!r} row")
    out = {}
    for country, entry in data.items():
        if not isinstance(entry, dict) or any(k not in entry for k in NEIGHBOUR_PARAMS):
            raise DataError(str(path), None, f"{country} needs {', '.join(NEIGHBOUR_PARAMS)}")
        params = {k: provenance_param(path, str(country), k, entry[k], None) for k in NEIGHBOUR_PARAMS}
        for k in ("capacity", "complicity"):
            if params[k].value > 1:
                raise DataError(str(path), None, f"{country}.{k} must be between 0 and 1")
        out[str(country)] = Neighbour(str(country), params)
    return out


def border_places(world: World) -> np.ndarray:
    """Places abroad that are a first post across Mali's borders: crossings, or linked to Mali."""
    out = np.zeros(world.n_places, dtype=bool)
    for u, v in zip(world.edge_u.tolist(), world.edge_v.tolist(), strict=True):
        if world.in_mali[u] != world.in_mali[v]:
            out[v if world.in_mali[u] else u] = True
    out |= ~world.in_mali & (world.kind == PLACE_KINDS.index("crossing"))
    out &= np.array([r not in TERMINAL_REGIONS for r in world.region])
    return out


def closing_links(world: World, countries: list[str]) -> np.ndarray:
    """The links a closure of these countries' borders with Mali cuts: from a Malian place into them."""
    inside = np.isin(np.array(world.country), countries)
    u, v = world.edge_u, world.edge_v
    return (world.in_mali[u] & inside[v]) | (world.in_mali[v] & inside[u])


class Neighbours:
    """The checkpoints of Mali's neighbours, as per-place rates.

    Args:
        world: The world.
        params: Scenario parameters.
        rng: The model's generator (arrests).
        levers: The policy levers (inspections, joint units, closed borders), or None.
    """

    def __init__(self, world: World, params: ScenarioConfig, rng: np.random.Generator, levers: Levers | None = None):
        self.rng, self.levers = rng, levers
        table = load_neighbours(params.data_dir or "")
        n = world.n_places
        self.places = ~world.in_mali & np.array([r not in TERMINAL_REGIONS for r in world.region])
        border = border_places(world)
        values = {k: np.zeros(n) for k in NEIGHBOUR_PARAMS}
        for i in np.flatnonzero(self.places):
            row = table.get(world.country[i], table[OTHER])
            for k in NEIGHBOUR_PARAMS:
                values[k][i] = row.value(k)
        pressure = np.where(border, values["border"], values["inland"]) * self.places
        for pid, mult in params.checkpoints.pressure_multiplier.items():
            pressure[world.index[pid]] *= mult
        self.pressure = pressure
        self.capacity, self.complicity = values["capacity"], values["complicity"]
        self.detect = detection_odds(world, params, pressure * self.capacity, params.officials.detect_base)
        self.arrest_probability = params.traffickers.arrest_probability
        self.livelihood = np.array([g.livelihood for g in world.goods])
        staffed = pressure > 0
        self.rates = Rates(
            seize=np.zeros_like(self.detect),
            settle=np.zeros_like(self.detect),
            settle_share=np.where(staffed, params.officials.bribe_share, 0.0),
            routine=np.where(staffed, self.complicity, 0.0),
            routine_share=np.clip(params.checkpoints.bribe_share * pressure, 0.0, 1.0),
            staffed=staffed,
            closed=np.zeros(world.n_edges, dtype=bool),
        )
        self._levers_seen: bytes | None = None  # the levers' bytes the rates were computed from
        self.update()

    def update(self) -> None:
        """This week's rates: inspections and joint units from the levers; closed borders.

        The rates depend on the levers only (the states' own values are fixed), so they are
        recomputed only in weeks the levers differ from those last read (issue 18: most weeks no
        policy acts abroad).
        """
        key = b"" if self.levers is None else b"".join(a.tobytes() for a in self._lever_inputs())
        if key == self._levers_seen:  # the same bytes in: the same rates out
            return
        self._levers_seen = key
        detect = self.detect
        raid = 0.0
        closed = np.zeros_like(self.rates.closed)
        if self.levers is not None:
            detect = np.clip(detect * self.levers.inspection, 0.0, 1.0) * self.places[:, None]
            raid = self.levers.raid_seize * self.places[:, None]
            closed = self.levers.closed
        settle = detect * self.complicity[:, None]
        seize = detect - settle
        seize = seize + (1 - seize - settle) * raid
        rates = self.rates
        if not (
            np.array_equal(seize, rates.seize)
            and np.array_equal(settle, rates.settle)
            and np.array_equal(closed, rates.closed)
        ):
            rates.seize, rates.settle, rates.closed = seize, settle, closed.copy()
            rates.version += 1

    def __getstate__(self) -> dict:
        """Pickle without the levers last read (states keep their bytes; the first update recomputes)."""
        state = self.__dict__.copy()
        state.pop("_levers_seen", None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._levers_seen = None

    def _lever_inputs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The levers the rates are computed from."""
        return self.levers.inspection, self.levers.raid_seize, self.levers.closed

    def settle(self, enc: Encounters, ledger: Ledger) -> np.ndarray:
        """Bribes abroad leave the modelled economy; a seizure ends in arrest with a fixed chance."""
        ledger.pay("bribes", "traffickers", "local_economy", float(enc.bribe.sum()))
        seized = enc.outcome == Outcome.SEIZED
        return seized & (self.rng.random(len(seized)) < self.arrest_probability)


__all__ = ["Neighbour", "Neighbours", "border_places", "closing_links", "load_neighbours"]
