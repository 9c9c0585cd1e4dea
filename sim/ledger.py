"""Double-entry accounting of goods and money.

Goods: every unit that enters at a source is, at any time, delivered, seized, in transit
or held (in stock at a source, or as cargo not yet under way). Money: every payment
debits one account and credits another, so the balances always sum to zero, and the
``traffickers`` account equals the cash the crews hold between them. :meth:`Ledger.check`
asserts both each week in the tests.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from sim.errors import SimError

ACCOUNTS = (
    "traffickers",  # the crews' cash, in total
    "investors",  # capital brought by entrants, taken back by leavers
    "producers",  # paid for goods at sources
    "buyers",  # pay for goods at sinks
    "transporters",  # paid for transport
    "officials",  # bribes
    "armed_groups",  # tolls and protection
    "local_economy",  # crews' weekly upkeep
)


class LedgerError(SimError):
    """The accounts do not balance: a bug, never a user error."""


class Ledger:
    """Goods and money accounts of one model run.

    Args:
        n_goods: Number of goods traded.
    """

    def __init__(self, n_goods: int):
        self.balances: dict[str, float] = dict.fromkeys(ACCOUNTS, 0.0)
        self.turnover = 0.0
        self.week_flows: dict[str, float] = defaultdict(float)
        self.supplied = np.zeros(n_goods, dtype=np.int64)
        self.delivered = np.zeros(n_goods, dtype=np.int64)
        self.seized = np.zeros(n_goods, dtype=np.int64)

    def new_week(self) -> None:
        """Start the weekly flow counters afresh."""
        self.week_flows = defaultdict(float)

    def pay(self, category: str, payer: str, payee: str, amount: float) -> None:
        """Move ``amount`` dollars from ``payer`` to ``payee`` under a flow category."""
        if amount < 0 or not np.isfinite(amount):
            raise LedgerError(f"payment {category} of {amount!r} from {payer} to {payee} is not a non-negative number")
        if amount == 0:
            return
        self.balances[payer] -= amount
        self.balances[payee] += amount
        self.turnover += amount
        self.week_flows[category] += amount

    def check(self, crews_cash: float, in_transit: np.ndarray, held: np.ndarray) -> None:
        """Raise :class:`LedgerError` unless goods and money balance.

        Args:
            crews_cash: Total cash held by the crews in the model.
            in_transit: Units per good on the way to a sink.
            held: Units per good in stock at sources or as cargo not yet under way.
        """
        accounted = self.delivered + self.seized + in_transit + held
        if not np.array_equal(self.supplied, accounted):
            bad = int(np.flatnonzero(self.supplied != accounted)[0])
            raise LedgerError(
                f"good {bad}: supplied {self.supplied[bad]} != delivered {self.delivered[bad]}"
                f" + seized {self.seized[bad]} + in transit {in_transit[bad]} + held {held[bad]}"
            )
        if (in_transit < 0).any() or (held < 0).any():
            raise LedgerError("negative stock")
        tol = 1e-9 * max(1.0, self.turnover)
        total = sum(self.balances.values())
        if abs(total) > tol:
            raise LedgerError(f"money does not balance: accounts sum to {total!r}")
        if abs(self.balances["traffickers"] - crews_cash) > tol:
            raise LedgerError(f"crews hold {crews_cash!r} but their account says {self.balances['traffickers']!r}")
