"""The crews' merged kernels of the eleventh pass (issue 18) against the calls they replaced, bit for bit.

``Crews._travel`` used to call ``places_passed``, then ``Officials.encounter_odds`` on the entries
at staffed places (numpy's draw of who is on duty, ``encounter_ratios``, the weighing,
``encounter_rates``), write the odds back with numpy, draw the encounters and call
``encounters_met``. Now ``passed_and_on_duty`` draws who is on duty inside the kernel and
``officials_and_encounters`` writes the odds and meets the encounters. Here both sequences run on
copies of a model's weeks (no crews moving, officials' integrity and deterrence drawn, honest
raids, poor crews) and everything they return or change is compared, the generator's state too.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from sim import kernel_rng
from sim.agents import route_kernels
from sim.agents.trafficker import State
from sim.model import SahelModel
from sim.params import ScenarioConfig


def _bits(a) -> bytes:
    a = np.asarray(a)
    return a.dtype.str.encode() + str(a.shape).encode() + a.tobytes()


@pytest.fixture(scope="module")
def model():
    m = SahelModel(ScenarioConfig(supply_scale=0.1, burn_in_weeks=2), seed=7)
    for _ in range(3):
        m.step()
    return m


def _front(m):
    cr, c, rates = m.crews, m.crews.cols, m.enforcement.rates
    trip = (c["alive"], c["state"], int(State.MOVING), c["route"], c["good"], c["cargo"], c["progress"])
    return trip, (cr._step_bounds, cr.safe_nodes, cr.value_at, rates.seize, rates.settle, rates.routine)


def _rest(m):
    cr, c, rates, blocks = m.crews, m.crews.cols, m.enforcement.rates, m.roadblocks
    ways = (cr._edges_flat, c["broker_until"], m.week_index, m.params.armed_groups.broker_shield)
    crossings = (c["travel_ban"], cr.crossing, c["bloc"], m.banditry.rob, rates.settle_share)
    dues = (rates.routine_share, blocks.alliance, blocks.toll, m.params.transport.services_share)
    return (*ways, *crossings, *dues, c["cash"], c["outlay"])


def _as_before(m):
    """``Crews._travel`` up to the encounters met, as before the eleventh pass."""
    off = m.enforcement
    trip, tables = _front(m)
    passed = route_kernels.places_passed(*trip, *tables, off.staffed)
    mov, _r, _g, cargo, _old, pi, pj, on_route, place, value, good, seize, settle, routine, k = passed
    if len(mov) == 0:
        return passed, ()
    who = np.full(len(place), -1, dtype=np.int64)
    if len(k):
        seize[k], settle[k], routine[k], who[k] = off.encounter_odds(place[k], good[k], value[k])
    uniform = m.rng.random((len(mov), m.crews.routes.cum_weeks.shape[1]))
    entries = (uniform, pi, pj, place, seize, settle, routine, value, mov, good, cargo, on_route)
    met = route_kernels.encounters_met(*entries, who, *_rest(m))
    return passed, met


def _merged(m):
    """``Crews._travel`` up to the encounters met, as it is now."""
    off = m.enforcement
    trip, tables = _front(m)
    handles = kernel_rng.handles(m.rng)
    passed = route_kernels.passed_and_on_duty(handles, *trip, *tables, off.staffed, *off.encounter_roster())
    mov, _r, _g, cargo, _old, pi, pj, on_route, place, value, good, seize, settle, routine, on_duty, who, ratios = (
        passed
    )
    if len(mov) == 0:
        return passed[:15], ()
    uniform = m.rng.random((len(mov), m.crews.routes.cum_weeks.shape[1]))
    entries = (uniform, pi, pj, place, seize, settle, routine, value, mov, good, cargo, on_route)
    odds = (off.encounter_exponents(who, ratios), who, on_duty, off.detect_duty, off.duty_pos, off.honest)
    met = route_kernels.officials_and_encounters(*odds, *entries, *_rest(m))
    return passed[:15], met


def test_travel_with_officials_is_the_calls_it_replaced(model):
    """Eight weeks of a model, perturbed: places passed, odds, encounters met, crews' cash, generator: same bits."""
    m = copy.deepcopy(model)
    assert hasattr(m.enforcement, "encounter_odds")
    r = np.random.default_rng(11)
    seen_staffed = seen_deciders = 0
    for case in range(8):
        m.step()
        off, c = m.enforcement, m.crews.cols
        everyone = off.alive_rows()
        off.cols["integrity"][everyone] = r.random(len(everyone))
        off.cols["deterrence"][everyone] = r.random(len(everyone)) * (case % 2)
        off.honest = r.random(off.honest.shape) * (case % 3 == 0)
        if case % 4 == 1:  # poor crews: dues they cannot pay
            c["cash"][:] = r.uniform(0.0, 50.0, len(c["cash"]))
        before, after = copy.deepcopy(m), copy.deepcopy(m)
        if case == 5:  # no crew moving: nothing passed, nothing drawn
            for x in (before, after):
                x.crews.cols["state"][:] = int(State.IDLE)
        want = _as_before(before)
        got = _merged(after)
        assert all(_bits(a) == _bits(b) for a, b in zip(got[0], want[0], strict=True))
        assert len(got[1]) == len(want[1])
        assert all(_bits(a) == _bits(b) for a, b in zip(got[1], want[1], strict=True))
        for key in ("cash", "outlay"):
            assert _bits(after.crews.cols[key]) == _bits(before.crews.cols[key])
        assert after.rng.bit_generator.state == before.rng.bit_generator.state
        if case == 5:
            assert len(got[0][0]) == 0 and got[1] == ()
        else:
            seen_staffed += len(got[0][14])
            seen_deciders += int((got[1][13] >= 0).sum())
    assert seen_staffed > 20 and seen_deciders > 5  # officials decided encounters: something compared
