"""The collection's compiled kernels (sim.collection_kernels) against the numpy forms they replaced, bit for bit.

The plain forms below are ``sim.outcomes._crew_tally``, ``KindCount``, ``ValueKnown``,
``FusedShare`` and ``RouteEntropy`` as they were before the kernels (issue 18, seventh pass). They
run on random cases with the edges: no live crews, crews without scores yet, only livelihood goods,
zero and NaN values, one holder, goods with no route, one route, or routes that carried nothing.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from sim import collection_kernels as kernels

MERCENARY = 2


def _fuse(scores):
    product = 1.0 - scores[0]
    for row in scores[1:]:
        product *= 1.0 - row
    return 1.0 - product


def _plain_crews(alive, good, kind, livelihood, value_ref, known, n_goods, n_kinds):
    goods = good.take(alive)
    tally = (
        np.bincount(goods, minlength=n_goods),
        np.bincount(goods[kind.take(alive) == MERCENARY], minlength=n_goods),
        np.bincount(kind.take(alive), minlength=n_kinds),
    )
    n = known.shape[1]
    if len(alive) and alive[-1] >= n:
        alive = alive[alive < n]
    scores = known.take(alive, axis=1)
    fused = _fuse(scores)
    at = np.flatnonzero(~livelihood.take(good.take(alive)))
    value = value_ref.take(alive.take(at))
    weighted = (scores.take(at, axis=1) * value).sum(axis=1)
    fused_value = (fused.take(at) * value).sum()
    best = functools.reduce(np.maximum, scores).sum() if scores.size else 0.0
    return (*tally, len(at), value.sum(), weighted, fused_value, fused.sum(), best)


def _crews_case(rng, n_rows, n_goods, holders, width, special):
    alive = np.flatnonzero(rng.random(n_rows) < 0.7)
    good = rng.integers(0, n_goods, n_rows)
    kind = rng.integers(0, 3, n_rows).astype(np.int8)  # as the crews' column (one compiled form)
    livelihood = rng.random(n_goods) < 0.4
    value_ref = rng.exponential(1e4, n_rows) * (rng.random(n_rows) < 0.9)
    known = rng.random((holders, width)) * (rng.random((holders, width)) < 0.8)
    if special == "nan":
        value_ref[rng.integers(0, n_rows, 3)] = np.nan
        known[0, rng.integers(0, width, 2)] = np.nan
    elif special == "all livelihood":
        livelihood[:] = True
    elif special == "none alive":
        alive = alive[:0]
    elif special == "negative zero":
        value_ref[::3] = -0.0
        known[:, ::2] = -0.0
    return alive, good, kind, livelihood, value_ref, known


def _bits(values) -> list[str]:
    out = []
    for v in values:
        out.append(repr(np.asarray(v).tolist()) + str(np.asarray(v).dtype))
    return out


@pytest.mark.parametrize("special", ["", "nan", "all livelihood", "none alive", "negative zero"])
@pytest.mark.parametrize(("n_rows", "holders", "missing"), [(1, 3, 0), (40, 3, 5), (700, 3, 60), (300, 1, 0)])
def test_crews_week_is_the_numpy_tallies_and_knowledge(special, n_rows, holders, missing):
    rng = np.random.default_rng(n_rows * 7 + holders + len(special))
    for _ in range(5):
        n_goods = 6
        width = max(0, n_rows - missing)  # crews that entered since the knowledge's update have no scores
        alive, good, kind, livelihood, value_ref, known = _crews_case(rng, n_rows, n_goods, holders, width, special)
        got = kernels.crews_week(alive, good, kind, livelihood, value_ref, known, n_goods, 4, MERCENARY)
        want = _plain_crews(alive, good, kind, livelihood, value_ref, known, n_goods, 4)
        assert _bits(got[:3]) == _bits(want[:3])
        assert got[3] == want[3]
        # the floats: same bits (repr tells -0.0 and NaN apart)
        assert [repr(float(x)) for x in (got[4], got[6], got[7], got[8])] == [
            repr(float(x)) for x in (want[4], want[6], want[7], want[8])
        ]
        assert [repr(x) for x in got[5].tolist()] == [repr(x) for x in want[5].tolist()]


def _plain_entropy(total_units, week_units, route_good, n_goods, value_sink):
    units = total_units + week_units
    value = np.bincount(route_good, weights=units, minlength=n_goods) * value_sink
    total = value.sum()
    if total <= 0:
        return 0.0
    h = 0.0
    for g in np.flatnonzero(value):
        u = units[route_good == g]
        n = len(u)
        if n < 2:
            continue
        p = u[u > 0] / u.sum()
        h += value[g] / total * float(-(p * np.log(p)).sum() / np.log(n))
    return h


def _compiled_entropy(total_units, week_units, route_good, n_goods, value_sink):
    order = np.argsort(route_good, kind="stable")
    starts = np.searchsorted(route_good[order], np.arange(n_goods + 1))
    n = np.diff(starts)
    log_n = np.where(n >= 2, np.log(np.maximum(n, 1)), np.nan)
    value, p, ends, total = kernels.route_shares(total_units, week_units, route_good, order, starts, value_sink)
    assert repr(total) == repr(float(value.sum()))
    if total <= 0:
        return 0.0
    return kernels.route_entropy(value, total, p, np.log(p), ends, log_n)


@pytest.mark.parametrize("n_routes", [1, 2, 9, 150, 400])
@pytest.mark.parametrize("special", ["", "idle", "one good", "nothing"])
def test_route_entropy_is_the_reporters(n_routes, special):
    rng = np.random.default_rng(n_routes + 100 * len(special))
    n_goods = 5
    for _ in range(8):
        route_good = rng.integers(0, n_goods if special != "one good" else 1, n_routes)
        route_good.setflags(write=False)  # as the routes' (one compiled form)
        total_units = np.floor(rng.exponential(30, n_routes)) * (rng.random(n_routes) < 0.6)
        week_units = np.floor(rng.exponential(3, n_routes)) * (rng.random(n_routes) < 0.5)
        if special == "idle":
            total_units[route_good == 1] = 0.0
            week_units[route_good == 1] = 0.0
        elif special == "nothing":
            total_units[:] = week_units[:] = 0.0
        value_sink = rng.exponential(100, n_goods)
        want = _plain_entropy(total_units, week_units, route_good, n_goods, value_sink)
        got = _compiled_entropy(total_units, week_units, route_good, n_goods, value_sink)
        assert type(got) is float  # as the batch recorded it (the reporter may give a numpy float of equal value)
        assert repr(got) == repr(float(want))


def _plain_rents(alive, rents, known):
    rows = alive[alive < known.shape[1]]
    own = rents[rows]
    return own.sum(), (_fuse(known.take(rows, axis=1)) * own).sum()


@pytest.mark.parametrize("n_rows", [0, 1, 7, 130, 900])
def test_rents_known_is_the_numpy_sums(n_rows):
    rng = np.random.default_rng(n_rows)
    for missing in (0, 3):
        alive = np.flatnonzero(rng.random(n_rows) < 0.8)
        rents = rng.exponential(500, n_rows) * (rng.random(n_rows) < 0.5)
        known = rng.random((3, max(0, n_rows - missing)))
        if n_rows > 10:
            rents[3], known[1, 5], rents[6] = np.nan, np.nan, -0.0
        got = kernels.rents_known(alive, rents, known)
        assert [repr(float(x)) for x in got] == [repr(float(x)) for x in _plain_rents(alive, rents, known)]


def _plain_indices(weights, now, reference, empty, variable, mask):
    den = reference if reference.size else np.maximum((weights * now[:, None]).sum(axis=2), 1e-12)
    table = (weights * now[:, None]).sum(axis=2) / den
    table[:, empty] = 1.0
    return table[variable, mask]


@pytest.mark.parametrize("n_communities", [0, 1, 5, 60, 300])
@pytest.mark.parametrize("with_reference", [True, False])
def test_community_indices_are_the_numpy_table(n_communities, with_reference):
    rng = np.random.default_rng(n_communities + with_reference)
    n_vars, n_sets = 4, 6
    population = rng.exponential(2000, n_communities)
    membership = (rng.random((n_sets, n_communities)) < 0.6).astype(float)
    membership[0] = 1.0
    membership[5] = 0.0  # a region with no community
    weights = population * membership
    empty = ~weights.any(axis=1)
    empty[0] = False
    now = rng.random((n_vars, n_communities)) * (rng.random((n_vars, n_communities)) < 0.9)
    if n_communities > 2:
        now[2, 1] = np.nan
    ref = rng.random((n_vars, n_communities)) if with_reference else None
    reference = np.maximum((weights * ref[:, None]).sum(axis=2), 1e-12) if ref is not None else np.zeros((0, 0))
    variable = np.repeat(np.arange(n_vars), n_sets)
    mask = np.tile(np.arange(n_sets), n_vars)
    got = kernels.community_indices(weights, now, reference, empty, variable, mask)
    want = _plain_indices(weights, now, reference, empty, variable, mask)
    assert [repr(x) for x in got.tolist()] == [repr(x) for x in want.tolist()]
