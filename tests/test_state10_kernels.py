"""The tenth pass's kernels (issue 18, docs/performance.md "state10") against the numpy they replaced.

Each kernel is run on random cases with the edges (no places or crews, zeros, negative zeros,
NaN, values above 1) and compared bit for bit, sign of zero included, with the numpy form it
replaced, kept here only as the reference.
"""

from __future__ import annotations

import numpy as np

from sim import knowledge_kernels


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


def test_crews_knowledge_forgets_new_crews_and_keeps_the_evidence_as_numpy_did():
    """``update_crews`` = the numpy reset of crews new in their rows, the fade and sources, the evidence kept."""
    rng = np.random.default_rng(11)
    for _case in range(200):
        n, n_places, n_routes = int(rng.integers(0, 60)), int(rng.integers(1, 20)), int(rng.integers(1, 8))
        scores = rng.random((3, n))
        born = rng.integers(0, 5, n)
        last_born = np.where(rng.random(n) < 0.3, rng.integers(-1, 5, n), born)
        alive = rng.random(n) < 0.8
        cargo = np.where(rng.random(n) < 0.5, rng.integers(1, 10, n), 0)
        home = rng.integers(0, n_places, n)
        route = np.where(rng.random(n) < 0.2, -1, rng.integers(0, n_routes, n))
        sources = np.abs(_edgy(rng, 3 * n_places)).reshape(3, n_places)
        route_places = rng.integers(0, n_places + 1, (int(rng.integers(1, 6)), n_routes))  # n_places: padding
        value = _edgy(rng, n, 1e4)
        last = _edgy(rng, n)
        evidence = np.where(rng.random(n) < 0.3, last + rng.random(n), last)
        support = _edgy(rng, n_places) * (rng.random(n_places) < 0.4)
        fixed = (alive, cargo, home, route, sources, route_places, value, evidence)

        plain_scores, plain_last, plain_born = scores.copy(), last.copy(), last_born.copy()
        new = np.flatnonzero(born != plain_born)
        plain_scores[:, new] = 0.0
        plain_last[new] = 0.0
        plain_born[new] = born[new]
        knowledge_kernels._crews_seen(plain_scores, 0.97, *fixed, plain_last, support, 0.3)
        plain_last = evidence.copy()

        knowledge_kernels.update_crews(scores, 0.97, born, last_born, *fixed, last, support, 0.3)
        assert _same(scores, plain_scores)
        assert _same(last, plain_last) and _same(last_born, plain_born)
