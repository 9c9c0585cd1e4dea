"""Double-entry accounting of goods and money.

Goods: every unit that enters at a source is, at any time, delivered, seized, stolen (robbed
by bandits), in transit or held (in stock at a source). Money: every payment debits one
account and credits another, so the balances always sum to zero, and each account held by
agents (crews, armed groups, officials, communities) equals what those agents hold between
them. :meth:`Ledger.check` asserts both each week in the tests.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from sim.errors import SimError

ACCOUNTS = (
    "traffickers",  # the crews' cash, in total
    "investors",  # capital brought by entrants, taken back by leavers
    "producers",  # paid for goods at sources abroad
    "buyers",  # pay for goods at sinks
    "transporters",  # paid for transport
    "officials",  # bribes (the officials' wealth, in total, when officials are modelled)
    "armed_groups",  # tolls, protection, ransoms, taxes (the groups' funds, in total)
    "communities",  # sales, wages and upkeep spent in Malian communities (their cash, in total)
    "local_economy",  # spending outside Malian communities
    "ransom_payers",  # those who pay ransoms, abroad
    "state",  # salaries, frozen assets, formal gold exports, assets of groups that dissolve
    "donors",  # who pays for policies and reintegration packages
)


_INF = math.inf


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
        self.stolen = np.zeros(n_goods, dtype=np.int64)

    def new_week(self) -> None:
        """Start the weekly flow counters afresh."""
        self.week_flows = defaultdict(float)

    def pay(self, category: str, payer: str, payee: str, amount: float) -> None:
        """Move ``amount`` dollars from ``payer`` to ``payee`` under a flow category.

        Called about a hundred times a week, so it is kept lean: a numpy scalar is taken as the
        Python float of the same value (the same sums, and the accounts stay Python floats,
        whose arithmetic costs a fraction of numpy scalars'); one chained comparison refuses
        negative, infinite and NaN amounts (NaN fails every comparison).
        """
        x = amount if type(amount) is float else float(amount)
        if not 0.0 <= x < _INF:
            raise LedgerError(f"payment {category} of {amount!r} from {payer} to {payee} is not a non-negative number")
        if x:
            balances = self.balances
            balances[payer] -= x
            balances[payee] += x
            self.turnover += x
            self.week_flows[category] += x

    def check(self, holdings: dict[str, float], in_transit: np.ndarray, held: np.ndarray) -> None:
        """Raise :class:`LedgerError` unless goods and money balance.

        Args:
            holdings: Money held by the agents behind an account, by account name.
            in_transit: Units per good on the way to a sink.
            held: Units per good in stock at sources.
        """
        accounted = self.delivered + self.seized + self.stolen + in_transit + held
        if not np.array_equal(self.supplied, accounted):
            bad = int(np.flatnonzero(self.supplied != accounted)[0])
            raise LedgerError(
                f"good {bad}: supplied {self.supplied[bad]} != delivered {self.delivered[bad]}"
                f" + seized {self.seized[bad]} + stolen {self.stolen[bad]}"
                f" + in transit {in_transit[bad]} + held {held[bad]}"
            )
        if (in_transit < 0).any() or (held < 0).any():
            raise LedgerError("negative stock")
        tol = 1e-9 * max(1.0, self.turnover)
        total = sum(self.balances.values())
        if abs(total) > tol:
            raise LedgerError(f"money does not balance: accounts sum to {total!r}")
        for account, held_money in holdings.items():
            if abs(self.balances[account] - held_money) > tol:
                raise LedgerError(f"{account} hold {held_money!r} but their account says {self.balances[account]!r}")
            if held_money < -tol:
                raise LedgerError(f"{account} hold a negative amount {held_money!r}")
