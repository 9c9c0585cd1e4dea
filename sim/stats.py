"""Counters of what happened in the current week, and their running totals."""

from __future__ import annotations

import numpy as np


def accumulate(target: np.ndarray, index, weights=None) -> None:
    """``target[index] += weights`` where repeated indices add up: ``np.add.at``, with bincount's speed.

    Called some thirty times a week from everywhere, so it keeps its own cost small: array
    weights skip the scalar checks, and a 1-D target is added to without a reshaped view.

    Args:
        target: A contiguous array; a tuple ``index`` addresses a 2-D one.
        index: Positions (array), or a tuple of index arrays for a 2-D target.
        weights: Amounts to add (default 1 each).
    """
    flat = np.ravel_multi_index(index, target.shape) if isinstance(index, tuple) else np.asarray(index)
    if not flat.size:
        return
    scalar = weights is not None and not (type(weights) is np.ndarray and weights.ndim)  # arrays: no more checks
    if scalar and (type(weights) in _SCALARS or np.ndim(weights) == 0):
        # A count (weights of 1) is exact either way; bincount counts faster than it sums ones.
        weights = None if weights == 1 else np.full(flat.size, weights, dtype=float)
    added = np.bincount(flat, weights, target.size)
    if target.dtype.kind in "iu":
        added = added.astype(target.dtype, copy=False)
    if target.ndim == 1:
        target += added
    else:
        view = target.reshape(-1)
        view += added


_SCALARS = (float, int)

EVENTS = (
    "entered",
    "exited",
    "arrested",
    "combatant_deaths",
    "civilian_deaths",
    "state_deaths",
    "peacekeeper_deaths",
    "robberies",
    "listed",
    "relapses",
)


class Stats:
    """Flows of one week (``week_*``) and since the start of the run (``total_*``).

    Args:
        n_goods: Goods in the world.
        n_places: Places in the world.
        n_edges: Links in the world.
        n_routes: Candidate routes.
    """

    def __init__(self, n_goods: int, n_places: int, n_edges: int, n_routes: int):
        self.shapes = {
            "delivered": n_goods,
            "seized": n_goods,
            "delivered_value": n_goods,
            "seized_value": n_goods,
            "seized_value_at": n_places,  # value seized at each place (Mali's or its neighbours')
            "trip_profit": n_goods,
            "upkeep": n_goods,
            "trips": n_goods,
            "departed": n_goods,
            "place_units": n_places,
            "edge_units": n_edges,
            "route_units": n_routes,
            "robbed": n_goods,
            "livelihood_units": n_places,  # units of livelihood goods that passed or reached a place
            "illicit_value": n_places,  # value of other goods that passed a place (what intelligence tracks)
            "enc_total": n_places,  # encounters at each place
            "enc_staffed": n_places,  # encounters where officials or checkpoints work
            "enc_bribed": n_places,  # ... settled by a bribe (routine or after detection)
            "enc_jihadist": n_places,  # encounters of crews protected by a jihadist bloc
            "enc_livelihood": n_places,  # encounters of crews carrying livelihood goods
            "enc_livelihood_seized": n_places,  # ... that ended in seizure
            "services": n_places,  # local services paid by consignments passing each place (USD)
            "north_departed": n_goods,  # units leaving on routes through northern Mali
            "enc_none": 1,  # always zero: a denominator term for shares that need only one
        }
        self.shapes["edge_good_units"] = (n_edges, n_goods)  # units per link and good
        self.shapes["place_good_units"] = (n_places, n_goods)  # units that passed each place, by good
        self.shapes["cattle_stolen"] = n_places  # head rustled from the herds of each place
        self.shapes["civilian_deaths"] = n_places  # civilians killed at each place
        self.shapes["deaths"] = n_places  # fighters, civilians and soldiers killed at each place (not peacekeepers)
        self.shapes["displaced"] = n_places  # people displaced by attacks on civilians at each place
        self.shapes["control_changes"] = n_places  # weeks in which a place changed hands
        # Each of total, week and last is one flat buffer, and its counters are views into it: a
        # new week is three array operations instead of three per counter (same values).
        size = sum(int(np.prod(n)) for n in self.shapes.values())
        self._buffers = {"total": np.zeros(size), "week": np.zeros(size), "last": np.zeros(size)}
        self._views()
        self.events = dict.fromkeys(EVENTS, 0.0)
        self.events_total = dict.fromkeys(EVENTS, 0.0)

    def _views(self) -> None:
        """The counters (``total``, ``week``, ``last``) as views into the flat buffers."""
        self._offsets, at = {}, 0
        for k, n in self.shapes.items():
            self._offsets[k] = at
            at += int(np.prod(n))
        for name, buffer in self._buffers.items():
            views = {}
            for k, n in self.shapes.items():
                at = self._offsets[k]
                views[k] = buffer[at : at + int(np.prod(n))].reshape(n)
            setattr(self, name, views)

    def flat(self, kind: str = "week") -> np.ndarray:
        """The flat buffer behind every counter of ``kind`` (``week``, ``total`` or ``last``)."""
        return self._buffers[kind]

    def positions(self, key: str, index=None) -> np.ndarray:
        """Where a counter's entries (all of them, or those at ``index``) sit in the flat buffers.

        ``flat(kind)[positions(key, index)]`` equals ``kind[key][index]``: one gather can read
        many counters at once (the weekly collection of outcomes does).
        """
        shape = self.shapes[key]
        entries = self._offsets[key] + np.arange(int(np.prod(shape))).reshape(shape)
        return entries if index is None else entries[index]

    def rows(self, keys: tuple[str, ...], kind: str = "week") -> np.ndarray:
        """Counters of equal length that lie one after another in the buffers, as the rows of one view.

        ``rows(keys)[i]`` is ``week[keys[i]]`` (the same memory): one operation updates them all.
        """
        first, n = self._offsets[keys[0]], self.shapes[keys[0]]
        for i, key in enumerate(keys):
            if self.shapes[key] != n or self._offsets[key] != first + i * n:
                raise ValueError(f"counters {keys} do not lie one after another with equal lengths")
        return self._buffers[kind][first : first + len(keys) * n].reshape(len(keys), n)

    def __getstate__(self) -> dict:
        """Pickle the buffers only (pickled views would lose their link to them)."""
        return {k: v for k, v in self.__dict__.items() if k not in self._buffers}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._views()

    def new_week(self) -> None:
        """Fold the finished week into the totals (and ``last``) and start a new one."""
        week = self._buffers["week"]
        self._buffers["total"] += week
        self._buffers["last"][:] = week
        week.fill(0.0)
        for k, v in self.events.items():
            self.events_total[k] += v
        self.events = dict.fromkeys(EVENTS, 0.0)

    def reset_totals(self) -> None:
        """Forget everything counted so far (the end of the burn-in)."""
        self._buffers["total"].fill(0.0)
        self.events_total = dict.fromkeys(EVENTS, 0.0)

    def to_date(self, key: str) -> np.ndarray:
        """Total including the current week."""
        return self.total[key] + self.week[key]
