"""The week's supply in one compiled call (issue 18, sixteenth pass).

:func:`sim.market_kernels.supply_week` replaced ``Market.supply``'s numpy draws (a normal draw
per pair, its ``exp``, a Poisson draw per pair, the formal gold sales' binomial draws) and its
call of :func:`sim.market_kernels.deliver`. The reference is that form, kept here; each case runs
both on copies of one market and ledger with generators seeded alike and compares the units,
stocks, formal sales, ledger, communities and the generators' states, and numpy's errors for
means out of range.
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

from conftest import frozen_small
from sim import libm


@pytest.fixture(scope="module")
def market():
    model = pickle.loads(frozen_small(weeks=2, seed=3))
    return model.market, model.ledger


def _reference_supply(self, rng, ledger, formal_gold=0.0, multiplier=1.0):
    """``Market.supply`` before the sixteenth pass."""
    from sim import market_kernels

    self.delivered_last[:] = self.delivered_week
    self.delivered_week.fill(0.0)
    sigma = self.noise
    factor = libm.exp(rng.normal(-0.5 * sigma * sigma, sigma, size=self.mean_supply.shape)) if sigma > 0 else 1.0
    drawn = rng.poisson(self.mean_supply * factor * multiplier)
    self.formal_week = 0
    if formal_gold > 0 and self.gold >= 0:
        sel = self._mali_gold
        formal = rng.binomial(drawn[sel], min(1.0, formal_gold))
        drawn[sel] -= formal
        self.formal_week = int(formal.sum())
        if self.communities is not None and self.formal_week:
            amounts = formal * self.value_source[self.gold]
            self.communities.receive_formal_sales(self.group_source[sel], amounts.astype(float), ledger)
    return market_kernels.deliver(drawn, self.stock, self.stock_cap, self.group_good, ledger.supplied)


def _state(market, ledger, rng):
    """What a week's supply changes, as bytes and exact values."""
    communities = market.communities.cols if market.communities is not None else {}
    return (
        market.stock.tobytes(), market.delivered_last.tobytes(), market.formal_week, type(market.formal_week),
        ledger.supplied.tobytes(), {k: float(v).hex() for k, v in ledger.balances.items()},
        {k: float(v).hex() for k, v in ledger.week_flows.items()},
        {k: v.tobytes() for k, v in communities.items()}, rng.bit_generator.state,
    )  # fmt: skip


def test_the_compiled_supply_is_the_numpy_form(market):
    """80 cases: noise on and off, means below and above 10 (numpy's two Poisson methods), multipliers,
    formal gold sales at shares where numpy's binomial inverts and where it rejects (BTPE)."""
    base, base_ledger = market
    assert base.gold >= 0 and base._mali_gold.any()
    seen = {"small": 0, "large": 0, "zero": 0, "formal": 0, "no_communities": 0}
    for seed in range(80):
        case = np.random.default_rng(seed)
        noise = float(case.choice([0.0, 0.3, 1.0, 2.5]))
        scale = float(case.choice([0.01, 1.0, 40.0]))
        multiplier = case.choice([0.0, 0.5, 1.0, 3.0], size=base.mean_supply.shape) if seed % 3 else 1.0
        formal_gold = float(case.choice([0.0, 0.05, 0.4, 0.9, 1.0, 2.0]))
        stock = case.integers(0, 2 * base.stock_cap + 1)  # some full, some with room
        results = []
        for supply in (_reference_supply, type(base).supply):
            m, ledger = copy.deepcopy((base, base_ledger))
            m.noise, m.mean_supply, m.stock[:] = noise, m.mean_supply * scale, stock
            if seed % 7 == 6:
                m.communities = None
            rng = np.random.default_rng(seed + 50)
            delivered = supply(m, rng, ledger, formal_gold=formal_gold, multiplier=multiplier)
            results.append((delivered.tobytes(), _state(m, ledger, rng)))
        assert results[0] == results[1], seed
        lam = base.mean_supply * scale * np.asarray(multiplier)
        seen["small"] += int(((lam > 0) & (lam < 10)).sum())
        seen["large"] += int((lam >= 10).sum())
        seen["zero"] += int((lam == 0).sum())
        seen["formal"] += results[1][1][2] > 0
        seen["no_communities"] += seed % 7 == 6
    assert all(seen.values()), seen


@pytest.mark.parametrize("bad", [np.nan, 1e19, np.inf, -1.0])
def test_means_out_of_range_raise_numpys_errors(market, bad):
    """The same error as numpy's ``poisson``, after the same draws, with nothing delivered."""
    base, base_ledger = market
    states = []
    for supply in (_reference_supply, type(base).supply):
        m, ledger = copy.deepcopy((base, base_ledger))
        m.noise = 0.5
        multiplier = np.ones(m.mean_supply.shape)
        multiplier[len(multiplier) // 2] = bad
        rng = np.random.default_rng(7)
        with pytest.raises(ValueError) as raised:
            supply(m, rng, ledger, formal_gold=0.3, multiplier=multiplier)
        states.append((str(raised.value), _state(m, ledger, rng)))
    assert states[0] == states[1]
