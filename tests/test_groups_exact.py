"""The armed groups', forces' and communities' faster forms give the plain forms' numbers (issue 18).

Each test runs the fast form and a plain reference (the library call it stands in for, or the
lookup it keeps) on the same inputs and asserts bit-equal results and the same generator state.
"""

from __future__ import annotations

import copy
from collections import defaultdict

import numpy as np
import pytest

from conftest import small_config
from sim.model import SahelModel


@pytest.fixture(scope="module")
def model():
    m = SahelModel(small_config(2, burn_in_weeks=8).scenario, seed=2)
    for _ in range(10):
        m.step()
    return m


def _credit_plainly(c, places, amounts, category, payer, ledger):
    """Communities._credit as it was: the rows and amounts inside Mali selected anew for each use."""
    rows = c.row_of_place[places]
    inside = rows >= 0
    abroad = float(amounts[~inside].sum())
    if abroad:
        ledger.pay(category, payer, "producers" if category == "sales" else "local_economy", abroad)
    if inside.any():
        ledger.pay(category, payer, "communities", float(amounts[inside].sum()))
        np.add.at(c.cols["cash"], rows[inside], amounts[inside])
        np.add.at(c.cols["inflow"], rows[inside], amounts[inside])


def test_money_credited_to_communities_gives_the_plain_forms_bits(model):
    """Sales, upkeep and services paid at places (repeated, some abroad): the same cash, inflow and ledger."""
    c = model.communities
    columns = ("cash", "inflow")
    start = {k: c.cols[k].copy() for k in columns}
    ledger_start = (dict(model.ledger.balances), dict(model.ledger.week_flows), model.ledger.turnover)
    r = np.random.default_rng(4)
    calls = [
        (r.integers(0, model.world.n_places, size=int(r.integers(1, 1500))), r.random(1500) * 10 ** r.integers(0, 6))
        for _ in range(30)
    ]
    results = []
    for credit in (_credit_plainly, type(c)._credit):
        for k in columns:
            c.cols[k][:] = start[k]
        model.ledger.balances, model.ledger.week_flows = dict(ledger_start[0]), defaultdict(float, ledger_start[1])
        model.ledger.turnover = ledger_start[2]
        for i, (places, amounts) in enumerate(calls):
            credit(c, places, amounts[: len(places)], ("sales", "services")[i % 2], "traffickers", model.ledger)
        results.append(
            (*(c.cols[k].copy() for k in columns), dict(model.ledger.balances), dict(model.ledger.week_flows))
        )
    plain, fast = results
    assert all(np.array_equal(a, b) for a, b in zip(plain[:2], fast[:2], strict=True))
    assert plain[2] == fast[2] and plain[3] == fast[3]
    assert not np.array_equal(fast[0], start["cash"])


def test_the_arms_price_multiplier_is_the_plain_forms(model):
    """Self-arming's price multiplier, rounded at the communities' places only: as the whole array rounded."""
    m = copy.deepcopy(model)
    c = m.communities
    assert c.arms_good >= 0
    rows = c.rows
    places = c.place[rows]
    m.territory.insecurity[:] = np.random.default_rng(5).random(m.world.n_places) * 3.0
    counts = np.bincount(c.region_index, minlength=c.n_regions)
    region_insecurity = np.bincount(c.region_index, weights=m.territory.insecurity[places], minlength=c.n_regions)
    plain = np.ones(m.world.n_places)
    plain[places] = 1.0 + c.p.self_arming * (region_insecurity / np.maximum(counts, 1))[c.region_index]
    plain = np.round(plain, 3)
    c._arms(rows, places)
    assert np.array_equal(m.market.price_multiplier[c.arms_good], plain)
    assert (plain != 1.0).any()
