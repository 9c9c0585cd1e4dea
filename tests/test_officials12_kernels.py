"""The officials' weighing in one kernel (issue 18, twelfth pass) against the calls it replaced.

``Officials.encounter_exponents`` and the weekly rates used to take numpy's ``log1p`` of the gain
ratios (or the kept logarithms), call ``patron_exponents``, take numpy's ``exp``, call
``own_exponents`` and take numpy's ``exp`` again. ``official_kernels.weighed_exponentials`` does
it in one call with the C library's ``log1p`` and ``exp``. Here it is compared with that sequence
under the C library's functions (Python's ``math``: the same on any CPU) and under numpy's where
they are the C library's (not on CPUs with AVX-512, where numpy has forms of its own), on a
model's officials with their integrity, deterrence and the will at the top redrawn.
"""

from __future__ import annotations

import numpy as np
import pytest
from bitwise import bits as _bits
from libm_reference import LIBM, NUMPY, numpy_is_libm

from sim.agents import official_kernels
from sim.model import SahelModel
from sim.params import ScenarioConfig


def _plain(off, rows, values, are_ratios, fns):
    """``Officials._weigh``'s sequence before the twelfth pass, with ``fns`` as its ``log1p`` and ``exp``."""
    log1p, exp = fns
    p, integrity = off.p, off.cols["integrity"]
    logs = log1p(values) if are_ratios else values
    terms = (p.take_gain, p.take_integrity, p.take_risk, off.oversight_risk())
    up = exp(official_kernels.patron_exponents(off.chain, rows, integrity, logs, *terms))
    own, _ = official_kernels.own_exponents(
        up, off.chain, rows, off.chain_depth, integrity, off.cols["deterrence"], logs, *terms
    )
    return exp(own)


@pytest.fixture(scope="module")
def model():
    m = SahelModel(ScenarioConfig(supply_scale=0.1, burn_in_weeks=2), seed=3)
    for _ in range(3):
        m.step()
    return m


def _cases(model):
    """The model's officials with integrity, deterrence and will redrawn; encounters at random staffed places."""
    off = model.enforcement
    r = np.random.default_rng(21)
    staffed = np.flatnonzero(off.duty_count > 0)
    for case in range(12):
        n = len(off.cols["integrity"])
        off.cols["integrity"][:] = r.random(n)
        off.cols["deterrence"][:] = np.where(r.random(n) < 0.5, 0.0, r.uniform(0.0, 1.2, n))
        off.political_will = (0.0, 1.0, float(r.random()))[case % 3]
        m = int(r.integers(0, 300)) if case else 0
        places = r.choice(staffed, m)
        values = np.where(r.random(m) < 0.1, 0.0, r.uniform(0.0, 1e7, m))
        args = (off.duty_count, off.duty_start, off.duty, off.chain_depth, off.chain, off.pay)
        shares = (off.p.bribe_share, off.p.routine_share, off.p.kickback_share)
        who, ratios = official_kernels.encounter_ratios(places, values, r.random(m), *args, *shares)
        yield off, who, ratios


def test_encounter_exponents_are_the_sequence_they_replaced(model):
    agree = numpy_is_libm()
    levels = set()
    for off, who, ratios in _cases(model):
        got = off.encounter_exponents(who, ratios)
        assert _bits(got) == _bits(_plain(off, who, ratios, True, LIBM))
        if agree:
            assert _bits(got) == _bits(_plain(off, who, ratios, True, NUMPY))
            assert _bits(got) == _bits(np.exp(off._weigh(who, None, np.log1p(ratios))[0]))
        levels.add(ratios.shape[0])
    assert len(levels) > 1 or max(levels) > 1  # patrons weighed: the chain is climbed


def test_the_weekly_rates_weighing_is_the_sequence_it_replaced(model):
    agree = numpy_is_libm()
    for off, _, _ in _cases(model):
        rows, logs = off.duty, off._rate_logs
        got = off._weighed_exponentials(rows, logs, False)
        assert len(rows) > 10 and _bits(got) == _bits(_plain(off, rows, logs, False, LIBM))
        if agree:
            assert _bits(got) == _bits(np.exp(off._weigh(rows, None, logs)[0]))
