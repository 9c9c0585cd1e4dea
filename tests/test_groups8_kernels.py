"""The groups' ledger bookings in the compiled loop against ``Ledger.pay`` one at a time (issue 18, pass 8).

:func:`sim.agents.turn_kernels.book_out` adds each group economy's payments to the ledger's
running sums as :func:`sim.agents.turn_kernels.group_turns` ends each economy. The reference is
the booking it replaced: ``Ledger.pay`` for each payment in ``ArmedGroups._book``'s order. Both
must leave every balance, ``turnover`` and flow with the same bits, create the same flow
entries, and stop at the same group on an amount ``pay`` refuses.
"""

from __future__ import annotations

import dataclasses
import math
import pickle
from types import SimpleNamespace

import numpy as np
import pytest

from conftest import frozen_small
from sim.agents import turn_kernels as k
from sim.agents.armed_group import ArmedGroups
from sim.ledger import Ledger, LedgerError


def _reference(ledger: Ledger, outs: np.ndarray, start: int, stop: int) -> int:
    """``ArmedGroups._book``'s payments, group after group; the position of the group whose payment raised, or stop."""
    for pos in range(start, stop):
        o = outs[pos].tolist()
        if o[k.STAGE] == k.STAGE_SKIPPED:
            continue
        try:
            if o[k.HELD_ANY]:
                ledger.pay("group_community_taxation", "communities", "armed_groups", o[k.TAX_HELD])
            if o[k.ROAMED_ANY]:
                ledger.pay("group_community_taxation", "communities", "armed_groups", o[k.TAX_ROAMED])
            if o[k.RUSTLED] and o[k.RUSTLE_PAID] > 0:
                ledger.pay("group_rustling", "communities", "armed_groups", o[k.RUSTLE_PAID])
            if o[k.ZONE_ANY]:
                ledger.pay("wages", "armed_groups", "communities", o[k.WAGES_BOOKED])
            else:
                ledger.pay("wages", "armed_groups", "local_economy", o[k.WAGES])
            ledger.pay("group_spending", "armed_groups", "local_economy", o[k.SPEND])
        except LedgerError:
            return pos
    return stop


def _amount(rng, bad: bool) -> float:
    """A payment: mostly ordinary magnitudes, with zeros, negative zeros and, when ``bad``, refused amounts."""
    r = rng.random()
    if r < 0.1:
        return 0.0
    if r < 0.15:
        return -0.0
    if bad and r < 0.2:
        return float(rng.choice([-1.0, math.nan, math.inf, -1e-300]))
    return float(rng.lognormal(3.0, 4.0))


def _case(seed: int):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 40))
    bad = seed % 3 == 0
    outs = np.full((n, k.OUT_SIZE), 0.0)
    for o in outs:
        o[k.STAGE] = rng.choice([k.STAGE_DONE, k.STAGE_SKIPPED, k.STAGE_APPRAISED, k.STAGE_PUNISH])
        o[k.HELD_ANY], o[k.ROAMED_ANY], o[k.RUSTLED], o[k.ZONE_ANY] = rng.random(4) < 0.6
        for slot in (k.TAX_HELD, k.TAX_ROAMED, k.RUSTLE_PAID, k.WAGES, k.WAGES_BOOKED, k.SPEND):
            o[slot] = _amount(rng, bad)
    start = int(rng.integers(0, n + 1))
    return outs, start, int(rng.integers(start, n + 1))


def _ledger(seed: int) -> Ledger:
    """A ledger part way through a week: earlier payments in some of the flows, none in others."""
    ledger = Ledger(1)
    rng = np.random.default_rng(seed + 1000)
    for flow in k.BOOK_FLOWS[: seed % 5]:
        ledger.pay(flow, "state", "communities", float(rng.lognormal(5.0, 3.0)))
    ledger.pay("other", "donors", "armed_groups", float(rng.lognormal(5.0, 3.0)))
    return ledger


def _bits(x: float) -> str:
    return x.hex() if not math.isnan(x) else "nan"


@pytest.mark.parametrize("seed", range(300))
def test_book_out_matches_pay_one_at_a_time(seed):
    """``book_out`` group after group, with the sums read and written back, leaves the ledger as ``pay`` one by one."""
    outs, start, stop = _case(seed)
    expected = _ledger(seed)
    refused_at = _reference(expected, outs, start, stop)
    if refused_at < stop:  # the reference paid the refused group's payments before the refused one: not those
        expected = _ledger(seed)
        assert _reference(expected, outs, start, refused_at) == refused_at
    ledger = _ledger(seed)
    owner = SimpleNamespace(model=SimpleNamespace(ledger=ledger))
    touched = np.ones(4, dtype=np.bool_)  # cleared by _ledger_sums
    sums = ArmedGroups._ledger_sums(owner, touched)
    done = stop
    for pos in range(start, stop):  # as group_turns books each economy (skipped groups pay nothing)
        if outs[pos, k.STAGE] != k.STAGE_SKIPPED and not k.book_out(outs[pos], sums, touched):
            done = pos
            break
    ArmedGroups._write_ledger_sums(owner, sums, touched)
    assert done == refused_at
    assert [_bits(v) for v in ledger.balances.values()] == [_bits(v) for v in expected.balances.values()]
    assert all(type(v) is float for v in ledger.balances.values())
    assert _bits(ledger.turnover) == _bits(expected.turnover) and type(ledger.turnover) is float
    assert sorted(ledger.week_flows) == sorted(expected.week_flows)  # an entry only where a payment was made
    for flow, value in expected.week_flows.items():
        assert _bits(ledger.week_flows[flow]) == _bits(value) and type(ledger.week_flows[flow]) is float, flow


def test_refused_amount_in_the_loop_raises_as_pay():
    """A negative spending in the compiled loop: the phase raises ``Ledger.pay``'s error, never books it silently."""
    m = pickle.loads(frozen_small(weeks=6, seed=4))
    m.armed_groups.p = dataclasses.replace(m.armed_groups.p, spend_rate=-0.5)
    turnover = m.ledger.turnover
    with pytest.raises(LedgerError, match="payment group_spending of -"):
        m.armed_groups.step()
    assert m.ledger.turnover >= turnover
