"""The tenth pass's kernels (issue 18, docs/performance.md "state10") against the numpy they replaced.

Each kernel is run on random cases with the edges (no places or crews, zeros, negative zeros,
NaN, values above 1) and compared bit for bit, sign of zero included, with the numpy form it
replaced, kept here only as the reference.
"""

from __future__ import annotations

import numpy as np

from sim import knowledge_kernels, market_kernels


def _same(a, b) -> bool:
    """Equal bits: the same values, NaN where NaN, the same sign of every zero."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _edgy(rng, n, scale=1.5):
    """Random values with zeros, negative zeros and NaN among them."""
    x = rng.random(n) * scale
    x[rng.random(n) < 0.15] = 0.0
    x[rng.random(n) < 0.05] = -0.0
    x[rng.random(n) < 0.03] = np.nan
    return x


def _plain_sources(trust, in_mali, mission, presence, ms, ss, pi):
    """``Knowledge._sources`` after the trust is read, in numpy as before the kernel."""
    trust = np.where(in_mali, trust, 0.0)
    out = np.zeros((3, len(trust)))
    out[0] = ms * mission * trust
    out[1] = ss * presence * trust
    out[2] = pi * in_mali
    return out


def test_sources_equal_the_numpy_form():
    rng = np.random.default_rng(10)
    for case in range(300):
        n = int(rng.integers(0, 80)) if case % 10 else 0
        in_mali = rng.random(n) < 0.7
        trust, mission, presence = _edgy(rng, n), _edgy(rng, n), _edgy(rng, n)
        ms, ss, pi = (float(v) for v in rng.random(3) * 2.0 - 0.5)  # negative ones: the sign of zero
        args = (trust, in_mali, mission, presence, ms, ss, pi)
        assert _same(knowledge_kernels.sources(*args), _plain_sources(*args))


def _plain_crews(
    scores, keep, born, last_born, alive, cargo, home, route, sources, table, value, evidence, last, support
):
    """``Knowledge._update_crews`` in numpy as before its kernels: reset, fade, the movers seen, evidence kept."""
    new = np.flatnonzero(born != last_born)
    scores[:, new] = 0.0
    last[new] = 0.0
    last_born[new] = born[new]
    scores *= keep * alive
    rows = np.flatnonzero(alive & (cargo > 0))
    if len(rows):
        seen = sources.take(home[rows], axis=1)
        padded = np.concatenate([sources, np.zeros((len(sources), 1))], axis=1)
        along = padded.take(table.take(np.maximum(route[rows], 0), axis=1), axis=1).max(axis=1)
        seen = np.maximum(seen, np.where(route[rows] >= 0, along, 0.0))
        moved = value[rows]
        seen[2] *= moved / max(float(moved.max()), 1e-9)
        fresh = evidence[rows] > last[rows]
        seen[1] = np.where(fresh, np.maximum(seen[1], 0.3), seen[1])
        shared = fresh & (support[home[rows]] > 0)
        seen[0] = np.where(shared, np.maximum(seen[0], 0.3), seen[0])
        old = scores.take(rows, axis=1)
        scores[:, rows] = old + (1.0 - old) * np.clip(seen, 0.0, 1.0)
    last[:] = evidence


def test_crews_knowledge_equals_the_numpy_form():
    """``update_crews`` in one pass and the movers: the numpy reset, fade, sources and evidence, bit for bit."""
    rng = np.random.default_rng(11)
    for case in range(300):
        n, n_places, n_routes = int(rng.integers(0, 60)), int(rng.integers(1, 20)), int(rng.integers(1, 8))
        scores = rng.random((3, n))
        born = rng.integers(0, 5, n)
        last_born = np.where(rng.random(n) < 0.3, rng.integers(-1, 5, n), born)
        alive = rng.random(n) < 0.8
        cargo = np.where(rng.random(n) < (0.0 if case % 10 == 9 else 0.5), rng.integers(1, 10, n), 0)
        home = rng.integers(0, n_places, n)
        route = np.where(rng.random(n) < 0.2, -1, rng.integers(0, n_routes, n))
        sources = np.abs(_edgy(rng, 3 * n_places)).reshape(3, n_places)
        sources[np.isnan(sources)] = 0.0  # the sources are products of odds: never NaN
        route_places = rng.integers(0, n_places + 1, (int(rng.integers(1, 6)), n_routes))  # n_places: padding
        value = np.abs(_edgy(rng, n, 1e4))
        value[np.isnan(value)] = 0.0
        last = np.abs(_edgy(rng, n))
        evidence = np.where(rng.random(n) < 0.3, last + rng.random(n), last)
        support = _edgy(rng, n_places) * (rng.random(n_places) < 0.4)
        fixed = (alive, cargo, home, route, sources, route_places, value, evidence)

        plain = [scores.copy(), last.copy(), last_born.copy()]
        _plain_crews(plain[0], 0.97, born, plain[2], *fixed, plain[1], support)
        knowledge_kernels.update_crews(scores, 0.97, born, last_born, *fixed, last, support, 0.3)
        assert _same(scores, plain[0])
        assert _same(last, plain[1]) and _same(last_born, plain[2])


def test_delivery_equals_the_numpy_form():
    """``market_kernels.deliver``: the units, the stocks and the ledger's count as the numpy form gave them."""
    rng = np.random.default_rng(12)
    for case in range(300):
        n, n_goods = (int(rng.integers(0, 40)) if case % 10 else 0), int(rng.integers(1, 8))
        drawn = rng.poisson(rng.random(n) * 50.0)  # int64, as Generator.poisson gives them
        cap = rng.integers(0, 60, n)
        stock = rng.integers(0, 80, n)  # above the cap too: no room
        group_good = rng.integers(0, n_goods, n)
        supplied = rng.integers(0, 1000, n_goods)

        plain_stock, plain_supplied = stock.copy(), supplied.copy()
        plain = np.minimum(drawn, np.maximum(cap - plain_stock, 0))
        plain_stock += plain
        plain_supplied += np.bincount(group_good, weights=plain, minlength=n_goods).astype(np.int64)

        delivered = market_kernels.deliver(drawn, stock, cap, group_good, supplied)
        assert _same(delivered, plain) and _same(stock, plain_stock) and _same(supplied, plain_supplied)
