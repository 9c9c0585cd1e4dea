"""The eighth pass's kernels (issue 18, docs/performance-log.md "state8") against the Python they replaced.

``war_kernels.abuse_draws`` is ``Forces._state_forces``' loop over a state force's bases: the
same rates, the same Poisson draws from the same generator in the same order, so the deaths and
the generator's state after them are equal bit for bit.
"""

from __future__ import annotations

import numpy as np

from sim.agents import war_kernels
from sim.kernel_rng import handles


def _plain_abuses(rng, bases, insecurity, abuse_rate, mult):
    """The loop as it was: one rate and (when positive) one Poisson draw per base, in order."""
    out = []
    for base in bases:
        rate = abuse_rate * mult * min(1.0, insecurity[base])
        out.append(float(rng.poisson(rate)) if rate > 0 else 0.0)
    return out


def test_abuse_draws_match_the_loop_and_the_stream():
    cases = np.random.default_rng(8)
    for case in range(300):
        n_places = int(cases.integers(1, 40))
        insecurity = cases.random(n_places) * 2.0  # below and above the cap at 1
        if case % 5 == 0:
            insecurity[cases.integers(n_places)] = 0.0
        if case % 7 == 0:
            insecurity[cases.integers(n_places)] = np.nan  # min(1.0, nan) is 1.0
        if case % 11 == 0:
            insecurity[cases.integers(n_places)] = -0.5
        bases = cases.integers(0, n_places, size=int(cases.integers(0, 12))).astype(np.int64)
        abuse_rate = [0.0, 0.2, float(cases.random() * 3)][case % 3]
        mult = [1.0, 5.0][case % 2]
        plain, compiled = np.random.default_rng(case), np.random.default_rng(case)
        want = _plain_abuses(plain, bases, insecurity, abuse_rate, mult)
        got = war_kernels.abuse_draws(handles(compiled), bases, insecurity, abuse_rate * mult)
        assert got.tolist() == want, case
        assert compiled.bit_generator.state == plain.bit_generator.state, case
        assert plain.random() == compiled.random()


def _plain_capacity(capacity, alive, post, support, oc_support, lever_capacity, base):
    """``Officials.boost_capacity`` as it was: the places' support summed as arrays, then clipped rows."""
    out = capacity.copy()
    rows = np.flatnonzero(alive)
    out[rows] = np.clip(base + (support + oc_support + lever_capacity)[post[rows]], 0.0, 1.0)
    return out


def test_boost_capacity_matches_numpy():
    from sim.agents import official_kernels

    cases = np.random.default_rng(18)
    specials = np.array([0.0, -0.0, 1.0, -1.0, 2.0, np.nan, 1e-300, -1e-300])
    for case in range(300):
        n_places, n = int(cases.integers(1, 30)), int(cases.integers(0, 200))
        parts = [cases.normal(0.0, 0.6, n_places) for _ in range(3)]
        for part in parts:
            hit = cases.random(n_places) < 0.2
            part[hit] = cases.choice(specials, size=int(hit.sum()))
        alive = cases.random(n) < [0.0, 0.5, 1.0][case % 3]
        post = cases.integers(0, n_places, size=n).astype(np.int64)
        capacity = cases.random(n)
        base = float(cases.choice([0.0, -0.0, 0.3, 0.5, 1.0]))
        want = _plain_capacity(capacity, alive, post, *parts, base)
        got = capacity.copy()
        official_kernels.boost_capacity(got, alive, post, *parts, base)
        np.testing.assert_array_equal(got, want)
        assert np.signbit(got).tolist() == np.signbit(want).tolist(), case


def test_count_rows_matches_add_at():
    from sim.agents import official_kernels

    cases = np.random.default_rng(28)
    for case in range(200):
        n = int(cases.integers(1, 50))
        counts = cases.integers(0, 9, size=n).astype(np.int64)
        rows = cases.integers(0, n, size=int(cases.integers(0, [3, 200][case % 2]))).astype(np.int64)
        want = counts.copy()
        np.add.at(want, rows, 1)
        official_kernels.count_rows(counts, rows)
        np.testing.assert_array_equal(counts, want)


def test_fade_rents_matches_numpy():
    from sim.agents import official_kernels

    cases = np.random.default_rng(38)
    for case in range(300):
        n = int(cases.integers(1, 400))
        cols = [cases.random(n) * [1.0, 1e6][case % 2] for _ in range(3)]
        for col in cols:
            col[cases.random(n) < 0.1] = -0.0
        rows = np.flatnonzero(cases.random(n) < [0.0, 0.5, 1.0][case % 3])
        top = rows[cases.random(len(rows)) < [0.05, 0.9][case % 2]]
        memory = float(cases.choice([1.0 / 52, 0.5, 1.0]))
        rents, week, deterrence = (col.copy() for col in cols)
        rents[rows] += memory * (week[rows] - rents[rows])
        week[rows] = 0.0
        deterrence[rows] *= 1.0 - memory
        want_top = float(rents[top].sum())
        got = [col.copy() for col in cols]
        got_top = official_kernels.fade_rents(*got, rows, top, memory)
        for have, expect in zip(got, (rents, week, deterrence), strict=True):
            np.testing.assert_array_equal(have, expect)
            assert np.signbit(have).tolist() == np.signbit(expect).tolist(), case
        assert got_top == want_top and np.signbit(got_top) == np.signbit(want_top), case
