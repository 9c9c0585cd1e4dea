"""The crews' ninth speed pass (issue 18): same rows, same order, as the forms they replace."""

from __future__ import annotations

from typing import ClassVar

import mesa
import numpy as np

from sim.agents.table import AgentTable


class _Table(AgentTable):
    COLUMNS: ClassVar[dict[str, type]] = {"cash": float, "good": np.int64}


class _FreeList:
    """The free-row rule the table kept before: a list sorted high to low, popped from the end."""

    def __init__(self, size: int):
        self.size, self.free = size, list(range(size - 1, -1, -1))

    def add(self, n: int) -> list[int]:
        while len(self.free) < n:
            old, self.size = self.size, max(2 * self.size, 64)
            self.free = sorted(set(self.free) | set(range(old, self.size)), reverse=True)
        return [self.free.pop() for _ in range(n)]

    def remove(self, slots: list[int]) -> None:
        self.free.extend(slots)
        self.free.sort(reverse=True)


def test_table_reuses_rows_as_the_free_list_did():
    """Random adds and removals (empty ones, growth, removals out of order) give the same rows."""
    rng = np.random.default_rng(7)
    for size in (1, 5, 64):
        table, ref = _Table(mesa.Model(), size=size), _FreeList(size)
        for _ in range(300):
            alive = table.alive_rows()
            if len(alive) and rng.random() < 0.45:
                gone = rng.permutation(alive)[: rng.integers(0, len(alive) + 1)]
                table.remove(gone)
                ref.remove(gone.tolist())
            else:
                n = int(rng.integers(0, 12))
                slots = table.add(n)
                assert slots.dtype == np.int64
                assert slots.tolist() == ref.add(n)
                assert not table.cash[slots].any()  # new rows are zeroed
                table.cols["cash"][slots] = 1.0
            assert table.size == ref.size
            assert sorted(np.flatnonzero(~table.cols["alive"]).tolist(), reverse=True) == ref.free
            assert [a is not None for a in table.agents] == table.cols["alive"].tolist()
