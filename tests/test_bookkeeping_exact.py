"""The weekly bookkeeping's faster forms count and sum what the plain forms do, bit for bit (issue 18).

Each test runs the fast form and a plain reference (the form the code had before, or the library
call it stands in for) on the same inputs and asserts bit-equal results.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import small_config
from sim.enforcement import Outcome
from sim.model import ENCOUNTER_COUNTS, SahelModel
from sim.stats import accumulate


def _record_encounters_plain(m: SahelModel, enc) -> dict[str, np.ndarray]:
    """The encounter counters, one count per counter (the form before the counts were fused)."""
    st = {key: np.zeros(m.world.n_places) for key in ENCOUNTER_COUNTS}
    accumulate(st["enc_total"], enc.place, 1.0)
    staffed = m.enforcement.rates.staffed[enc.place] & m.world.in_mali[enc.place]
    accumulate(st["enc_staffed"], enc.place[staffed], 1.0)
    bribed = staffed & ((enc.outcome == Outcome.ROUTINE) | (enc.outcome == Outcome.SETTLED))
    accumulate(st["enc_bribed"], enc.place[bribed], 1.0)
    carries = m.crews.livelihood[enc.good]
    accumulate(st["enc_livelihood"], enc.place[carries], 1.0)
    accumulate(st["enc_livelihood_seized"], enc.place[carries & (enc.outcome == Outcome.SEIZED)], 1.0)
    if m.armed_groups is not None:
        jihadist = m.armed_groups.jihadist_blocs()
        bloc = m.crews.bloc[enc.crew]
        accumulate(st["enc_jihadist"], enc.place[(bloc >= 0) & np.isin(bloc, jihadist)], 1.0)
    return st


@pytest.mark.parametrize("seed", [0, 4])
def test_the_encounter_counts_are_one_count_per_counter(seed):
    """The six counters from one count of (place, kinds) pairs equal a count per counter, every week."""
    m = SahelModel(small_config(seed, supply_scale=0.3).scenario, seed=seed)
    checked = []
    record = m.record_encounters

    def spy(enc) -> None:
        plain = _record_encounters_plain(m, enc)  # the week's rates and blocs, as the call sees them
        before = m.stats.rows(ENCOUNTER_COUNTS).copy()
        record(enc)
        after = m.stats.rows(ENCOUNTER_COUNTS)
        for row, key in enumerate(ENCOUNTER_COUNTS):
            assert np.array_equal(after[row], m.stats.week[key])  # the rows are the counters themselves
            assert (after[row] - before[row]).tobytes() == plain[key].tobytes(), key  # whole numbers: exact
        checked.append(np.array([plain[key].sum() for key in ENCOUNTER_COUNTS]))

    m.record_encounters = spy
    for _ in range(12):
        m.step()
    totals = np.sum(checked, axis=0)
    assert len(checked) >= 12 and (totals > 0).all(), dict(zip(ENCOUNTER_COUNTS, totals, strict=True))


def _accumulate_plain(target: np.ndarray, index, weights=None) -> None:
    """``accumulate`` as it was before its fast paths (every weight checked by ``np.ndim``, a reshaped view)."""
    flat = np.ravel_multi_index(index, target.shape) if isinstance(index, tuple) else np.asarray(index)
    if flat.size == 0:
        return
    if weights is not None and np.ndim(weights) == 0:
        weights = None if weights == 1 else np.full(flat.size, weights, dtype=float)
    added = np.bincount(flat, weights=weights, minlength=target.size)
    view = target.reshape(-1)
    view += added.astype(target.dtype, copy=False) if target.dtype.kind in "iu" else added


@pytest.mark.parametrize("seed", range(6))
def test_accumulate_adds_what_its_plain_form_adds(seed):
    """Every kind of target, index and weights the callers pass: the same bytes as the plain form."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 60))
    place = rng.integers(0, 69, n)
    cases = [
        (rng.random(69) * 7, place, rng.random(n) * 10.0 ** rng.integers(-3, 5, n)),
        (rng.random(69) * 7, place, 1.0),
        (rng.random(69) * 7, place.tolist(), 1),
        (rng.random(69) * 7, place, np.float64(2.5)),
        (rng.random(69) * 7, place, np.array(1.0)),
        (rng.random(69) * 7, place, (rng.random(n) - 0.5).tolist()),
        (rng.integers(0, 9, 69), place, rng.integers(0, 50, n)),
        (rng.integers(0, 9, 69), place, 1),
        (rng.random((69, 10)), (place, rng.integers(0, 10, n)), rng.random(n)),
        (rng.random((69, 10)), (place, rng.integers(0, 10, n)), 1.0),
    ]
    for target, index, weights in cases:
        fast, plain = target.copy(), target.copy()
        accumulate(fast, index, weights)
        _accumulate_plain(plain, index, weights)
        assert fast.dtype == plain.dtype and fast.tobytes() == plain.tobytes(), (target.shape, type(weights))


def test_a_payment_books_the_same_sums_and_refuses_what_it_refused():
    """The lean ``Ledger.pay``: numpy scalars book their Python floats' sums; bad amounts still raise."""
    from sim.ledger import Ledger, LedgerError

    rng = np.random.default_rng(3)
    ledger, balances, turnover = Ledger(2), {"traffickers": 0.0, "officials": 0.0}, 0.0
    for amount in rng.random(500) * 10.0 ** rng.integers(-2, 7, 500):
        value = np.float64(amount) if amount > 1.0 else float(amount)
        ledger.pay("bribes", "traffickers", "officials", value)
        balances["traffickers"] -= value  # the plain arithmetic, in numpy scalars where they came as such
        balances["officials"] += value
        turnover += value
    assert ledger.balances["officials"] == balances["officials"] and ledger.turnover == turnover
    assert ledger.balances["traffickers"] == balances["traffickers"] and ledger.week_flows["bribes"] == turnover
    assert type(ledger.balances["officials"]) is float
    for bad in (-1.0, np.float64(-0.5), float("nan"), np.nan, float("inf"), -np.inf):
        with pytest.raises(LedgerError, match="is not a non-negative number"):
            ledger.pay("bribes", "traffickers", "officials", bad)
    ledger.pay("bribes", "traffickers", "officials", 0.0)
    ledger.pay("bribes", "traffickers", "officials", -0.0)
    assert ledger.turnover == turnover
