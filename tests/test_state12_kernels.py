"""The twelfth pass's kernels (issue 18, docs/performance-log.md "state12") against the numpy they replaced.

Each kernel is run on random cases with the edges (no places, zeros, negative zeros, NaN, inf,
values outside [0, 1], places without people) and compared bit for bit, sign of zero included,
with the numpy form it replaced, kept here only as the reference. None of them draws.
"""

from __future__ import annotations

import types

import numpy as np

from sim.agents import official_kernels
from sim.enforcement import detection_odds
from sim.territory import HELD_PRESENCE, Territory


def _same(a, b) -> bool:
    """Equal bits: the same values, NaN where NaN, the same sign of every zero."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _same_but_nans(a, b) -> bool:
    """:func:`_same`, except that a NaN matches any NaN (its sign and payload are not compared).

    Where two NaNs meet in an addition (a NaN insecurity and ``inf * 0`` of an infinite week at an
    empty place), which one's bits the sum carries is the processor's and the compiler's choice of
    operand order for a commutative addition, not the arithmetic's; every other value is compared
    bit for bit, sign of zero included.
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    return bool((nan_a == nan_b).all()) and a[~nan_a].tobytes() == b[~nan_b].tobytes()


def _edgy(rng, n, scale=1.5, low=0.0):
    """Random values in [low, low + scale) with zeros, negative zeros, NaN and inf among them."""
    x = low + rng.random(n) * scale
    x[rng.random(n) < 0.15] = 0.0
    x[rng.random(n) < 0.05] = -0.0
    x[rng.random(n) < 0.03] = np.nan
    x[rng.random(n) < 0.02] = np.inf
    return x


def _presence_numpy(t, services):
    """``Territory.update_presence`` in numpy, as before its kernel."""
    held = (t.holder >= 0) & t.hostile_to_state
    extra = t.support + (services if services is not None else 0.0)
    presence = np.clip(np.where(held, HELD_PRESENCE * t.base_presence, t.base_presence) + extra, 0.0, 1.0)
    presence[~t.world.in_mali] = 0.0
    return presence


def _end_week_numpy(t, population):
    """``Territory.end_week`` in numpy, as before its kernel."""
    scale = np.divide(1e4, population, out=np.zeros_like(population, dtype=float), where=population > 0)
    t.insecurity = t.decay * t.insecurity + (1 - t.decay) * t.violence * scale
    t.abuse_rate = t.decay * t.abuse_rate + (1 - t.decay) * t.abuses * scale
    t.violence.fill(0.0)
    t.abuses.fill(0.0)
    np.maximum(t.cleared - 1.0, 0.0, out=t.cleared)


def _territory(rng, n) -> Territory:
    """A territory of ``n`` places with random, edgy state (no world built)."""
    t = Territory.__new__(Territory)
    t.world = types.SimpleNamespace(in_mali=rng.random(n) < 0.7)
    t.holder = rng.integers(-1, 5, size=n)
    t.hostile_to_state = rng.random(n) < 0.5
    t.base_presence = _edgy(rng, n, 1.2)
    t.support = _edgy(rng, n, 1.0, -0.3)
    t.presence = _edgy(rng, n)
    t.violence, t.abuses = _edgy(rng, n, 20.0), _edgy(rng, n, 5.0)
    t.insecurity, t.abuse_rate = _edgy(rng, n, 3.0), _edgy(rng, n, 3.0)
    t.cleared = np.floor(rng.random(n) * 4.0)
    t.cleared[rng.random(n) < 0.1] = 0.5
    t.decay = float(rng.choice([0.9, 0.75, rng.random()]))
    return t


def _copy(t: Territory) -> Territory:
    c = Territory.__new__(Territory)
    c.__dict__.update({k: v.copy() if isinstance(v, np.ndarray) else v for k, v in t.__dict__.items()})
    return c


def test_presence_equals_the_numpy_form():
    rng = np.random.default_rng(12)
    for case in range(300):
        n = int(rng.integers(0, 80)) if case % 10 else 0
        t = _territory(rng, n)
        services = None if case % 7 == 0 else _edgy(rng, n, 0.5, -0.1)
        expected = _presence_numpy(t, services)
        t.update_presence(services)
        assert _same(t.presence, expected), case


def test_presence_follows_its_inputs():
    rng = np.random.default_rng(13)
    t = _territory(rng, 40)
    t.update_presence(None)
    before = t.presence.copy()
    mali = np.flatnonzero(t.world.in_mali & np.isfinite(t.base_presence))[0]
    t.holder[mali], t.hostile_to_state[mali], t.base_presence[mali], t.support[mali] = -1, False, 0.5, 0.1
    t.update_presence(None)
    assert t.presence[mali] == 0.5 + 0.1 and t.presence is not before
    assert _same(t.presence, _presence_numpy(t, None))


def test_end_week_equals_the_numpy_form():
    rng = np.random.default_rng(14)
    for case in range(300):
        n = int(rng.integers(0, 80)) if case % 10 else 0
        t = _territory(rng, n)
        population = _edgy(rng, n, 5000.0)
        population[rng.random(n) < 0.1] = -3.0  # nobody (or nonsense): scale 0, as numpy's where gave
        ref = _copy(t)
        _end_week_numpy(ref, population)
        t.end_week(population)
        for name in ("insecurity", "abuse_rate"):
            assert _same_but_nans(getattr(t, name), getattr(ref, name)), (case, name)
        for name in ("violence", "abuses", "cleared"):
            assert _same(getattr(t, name), getattr(ref, name)), (case, name)


def test_end_week_keeps_the_callers_arrays():
    """The counters zeroed and the cleared weeks counted down in place (others hold these arrays)."""
    rng = np.random.default_rng(15)
    t = _territory(rng, 30)
    violence, abuses, cleared, insecurity = t.violence, t.abuses, t.cleared, t.insecurity
    t.end_week(np.full(30, 100))  # whole people, as an int array
    assert t.violence is violence and t.abuses is abuses and t.cleared is cleared
    assert t.insecurity is not insecurity  # a new array, as numpy's arithmetic gave
    assert not violence.any() and not abuses.any()


def _detection_numpy(pressure, multiplier, base, detect):
    """``Officials._detection``'s odds in numpy, as before its kernel."""
    return detection_odds(None, None, pressure * multiplier, base, detect)


def test_detection_week_equals_the_numpy_form():
    rng = np.random.default_rng(16)
    for case in range(300):
        n = int(rng.integers(0, 80)) if case % 10 else 0
        k = int(rng.integers(0, 9)) if case % 13 else 0
        pressure, multiplier = _edgy(rng, n, 1.5), _edgy(rng, n, 2.0, 0.5)
        detect = _edgy(rng, k, 1.2)
        base = float(rng.choice([0.0, -0.0, 0.3, 1.7, -0.2, rng.random()]))
        got = official_kernels.detection_week(pressure, multiplier, base, detect)
        assert _same(got, _detection_numpy(pressure, multiplier, base, detect)), case


def test_officials_detection_on_a_model():
    """The officials' kept odds against the numpy form after weeks of a run, and after the multiplier moves."""
    from sim.model import SahelModel
    from sim.params import ScenarioConfig

    model = SahelModel(ScenarioConfig(supply_scale=0.1, burn_in_weeks=2), seed=7)
    model.run_for(3)
    off = model.officials
    mult = model.pressure_multiplier
    kept = off._detection(mult)
    assert _same(kept, _detection_numpy(off.pressure, mult, off.p.detect_base, off._detectability))
    moved = mult.copy()
    moved[np.flatnonzero(off.pressure > 0)[:3]] += 0.25
    fresh = off._detection(moved)
    assert not _same(fresh, kept)
    assert _same(fresh, _detection_numpy(off.pressure, moved, off.p.detect_base, off._detectability))
