"""Agents whose state lives in numpy columns, one row per agent.

Populations that act many times a week (crews, officials, communities) keep their state in
an :class:`AgentTable` so a phase can run over all of them with array operations. Each row
still has a Mesa agent (:class:`TableAgent`), registered with the model like any other, so
AgentSets, the DataCollector and the browser see them; its attributes read the row.
"""

from __future__ import annotations

import typing
from typing import TYPE_CHECKING, ClassVar

import mesa
import numpy as np

if TYPE_CHECKING:
    from sim.model import SahelModel


class TableAgent(mesa.Agent):
    """A Mesa agent that is one row of an :class:`AgentTable`."""

    def __init__(self, model: SahelModel, table: AgentTable, slot: int):
        super().__init__(model)
        self.table = table
        self.slot = slot

    def _get(self, column: str) -> typing.Any:
        return self.table.cols[column][self.slot]


class AgentTable:
    """Columns of a population of agents; rows freed by leavers are reused, lowest first.

    Subclasses declare ``COLUMNS`` (name to dtype) and ``AGENT`` (the TableAgent subclass).

    Args:
        model: The model the agents belong to.
        matrices: Extra per-agent vectors, by name and width.
        size: Initial number of rows.
    """

    COLUMNS: ClassVar[dict[str, type]] = {}
    AGENT: ClassVar[type[TableAgent]] = TableAgent

    def __init__(self, model: SahelModel, matrices: dict[str, int] | None = None, size: int = 64):
        self.model = model
        self.size = 0
        self.cols: dict[str, np.ndarray] = {}
        self.matrix_widths = dict(matrices or {})
        self.agents: list[TableAgent | None] = []
        self.roster_version = 0  # counts adds and removals: what is kept about the roster follows it
        self._grow(size)

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("cols", {})
        if name in cols:
            return cols[name]
        raise AttributeError(name)

    def _grow(self, new_size: int) -> None:
        old = self.size
        for name, dtype in {"alive": bool, **self.COLUMNS}.items():
            col = np.zeros(new_size, dtype=dtype)
            if old:
                col[:old] = self.cols[name]
            self.cols[name] = col
        for name, width in self.matrix_widths.items():
            mat = np.zeros((new_size, width))
            if old:
                mat[:old] = self.cols[name]
            self.cols[name] = mat
        self.agents.extend([None] * (new_size - old))
        self.size = new_size
        # Columns as plain attributes too (``table.cash``): found without a call to __getattr__,
        # which phases pay hundreds of thousands of times a run. Rebound whenever columns grow.
        cls = type(self)
        self.__dict__.update({name: col for name, col in self.cols.items() if not hasattr(cls, name)})

    @property
    def n_alive(self) -> int:
        """Number of agents alive."""
        return int(self.cols["alive"].sum())

    def alive_rows(self) -> np.ndarray:
        """Rows of the agents alive, in row order."""
        return np.flatnonzero(self.cols["alive"])

    def add(self, n: int) -> np.ndarray:
        """Create ``n`` agents in free rows (zeroed) and return the rows.

        The free rows are those not alive; the lowest are taken first, in ascending order (what
        popping a free list kept sorted from high to low gave, without its upkeep; issue 18).
        """
        free = np.flatnonzero(~self.cols["alive"])
        while len(free) < n:
            self._grow(max(2 * self.size, 64))
            free = np.flatnonzero(~self.cols["alive"])
        slots = free[:n]
        for col in self.cols.values():
            col[slots] = 0
        self.cols["alive"][slots] = True
        self.roster_version += 1
        for s in slots.tolist():
            self.agents[s] = self.AGENT(self.model, self, s)
        return slots

    def remove(self, slots: np.ndarray) -> None:
        """Remove agents; their rows become free."""
        self.cols["alive"][slots] = False
        self.roster_version += 1
        for s in slots.tolist():
            self.agents[s].remove()
            self.agents[s] = None
