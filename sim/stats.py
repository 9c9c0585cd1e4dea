"""Counters of what happened in the current week, and their running totals."""

from __future__ import annotations

import numpy as np


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
            "trip_profit": n_goods,
            "upkeep": n_goods,
            "trips": n_goods,
            "departed": n_goods,
            "place_units": n_places,
            "edge_units": n_edges,
            "route_units": n_routes,
        }
        self.total = {k: np.zeros(n) for k, n in self.shapes.items()}
        self.week = {k: np.zeros(n) for k, n in self.shapes.items()}
        self.events = {"entered": 0, "exited": 0, "arrested": 0}

    def new_week(self) -> None:
        """Fold the finished week into the totals and start a new one."""
        for k, arr in self.week.items():
            self.total[k] += arr
            arr.fill(0.0)
        self.events = dict.fromkeys(self.events, 0)

    def to_date(self, key: str) -> np.ndarray:
        """Total including the current week."""
        return self.total[key] + self.week[key]
