"""The crews' merged kernels of the eleventh pass (issue 18) against the calls they replaced, bit for bit.

``Crews._travel`` used to call ``places_passed``, then ``Officials.encounter_odds`` on the entries
at staffed places (numpy's draw of who is on duty, ``encounter_ratios``, the weighing,
``encounter_rates``), write the odds back with numpy, draw the encounters and call
``encounters_met``. Now ``passed_and_on_duty`` draws who is on duty inside the kernel and
``officials_and_encounters`` writes the odds and meets the encounters. Here both sequences run on
copies of a model's weeks (no crews moving, officials' integrity and deterrence drawn, honest
raids, poor crews) and everything they return or change is compared, the generator's state too.
``Officials.settle`` is one call too (``settle_encounters``: the neighbours abroad, the Malian
marks and bookings, the arrests' draws): compared with its numpy form on a model's encounters,
with every decider on record, some missing and none.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from bitwise import bits as _bits

from sim import kernel_rng
from sim.agents import official_kernels, route_kernels
from sim.agents.trafficker import State
from sim.enforcement import Encounters, Outcome, subset
from sim.model import SahelModel
from sim.params import ScenarioConfig


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


class _Payments:
    """A ledger that records its payments, in order (what ``settle`` books)."""

    def __init__(self):
        self.paid = []

    def pay(self, *args):
        self.paid.append(tuple(float(a) if isinstance(a, float | np.floating) else a for a in args))


def _settle_as_before(off, enc, ledger):
    """``Officials.settle`` before the eleventh pass (numpy around ``settle_week``; ``Neighbours.settle`` abroad)."""
    foreign = ~off.world.in_mali[enc.place]
    arrested = np.zeros(len(enc.place), dtype=bool)
    if foreign.any():
        rows = np.flatnonzero(foreign)
        arrested[rows] = off.neighbours.settle(subset(enc, rows), ledger)
    c = off.cols
    evidence = off.model.crews.cols["evidence"]
    marks = (enc.place, enc.bribe, enc.outcome, enc.crew, enc.value, off.staffed, foreign, evidence)
    official = enc.official if enc.official is not None else np.full(len(enc.place), -1, dtype=np.int64)
    chains = (off.patron, off.p.kickback_share, c["wealth"], c["rent_week"], c["bribes"], c["seizures"])
    elsewhere, local, seized, at_home, booked, to_officials = official_kernels.settle_week(*marks, official, *chains)
    ledger.pay("bribes", "traffickers", "local_economy", elsewhere)
    if booked:
        if len(local):
            ledger.pay("bribes", "traffickers", "officials", to_officials)
    elif len(local):
        who = off._deciders(enc, local)
        off._pay_chain(who, enc.bribe[local], ledger)
        official_kernels.count_rows(off.cols["bribes"], who)
    if len(seized):
        if not booked and at_home.any():
            official_kernels.count_rows(off.cols["seizures"], off._deciders(enc, seized[at_home]))
        odds = np.where(at_home, off.p.arrest_probability, off.neighbours.arrest_probability)
        arrested[seized] = off.model.rng.random(len(seized)) < odds
    return arrested


def _week_encounters(m, r, case):
    """A week's encounters met (``_merged``), with who decided: all, some (-1 drawn again) or none on record."""
    _passed, met = _merged(m)
    if not met:
        return Encounters(*(np.zeros(0, dtype=np.int64) for _ in range(8)), official=np.zeros(0, dtype=np.int64))
    crew, place, good, units, value, outcome, bribe, toll, official = met[5:14]
    if case % 3 == 1:  # some deciders missing: the fallback draws them
        official = np.where(r.random(len(official)) < 0.3, -1, official)
    seized_some = r.random(len(outcome)) < 0.4 * (case % 2)  # more seizures, at home and abroad
    outcome = np.where(seized_some, int(Outcome.SEIZED), outcome)
    return Encounters(crew, place, good, units, value, outcome, bribe, toll, None if case % 3 == 2 else official)


def test_settle_is_the_numpy_form_it_replaced(model):
    """Eight weeks' encounters: arrests, payments in order, officials' books, evidence, generator: same bits."""
    m = copy.deepcopy(model)
    r = np.random.default_rng(12)
    arrests = abroad = fallback = 0
    for case in range(9):
        m.step()
        enc = _week_encounters(m, r, case)
        before, after = copy.deepcopy(m), copy.deepcopy(m)
        want_books, got_books = _Payments(), _Payments()
        want = _settle_as_before(before.enforcement, enc, want_books)
        got = after.enforcement.settle(enc, got_books)
        assert _bits(got) == _bits(want)
        assert got_books.paid == want_books.paid
        for key in ("wealth", "rent_week", "bribes", "seizures"):
            assert _bits(after.enforcement.cols[key]) == _bits(before.enforcement.cols[key])
        assert _bits(after.crews.cols["evidence"]) == _bits(before.crews.cols["evidence"])
        assert after.rng.bit_generator.state == before.rng.bit_generator.state
        arrests += int(got.sum())
        abroad += int((~m.world.in_mali[enc.place]).sum())
        fallback += case % 3 != 0 and len(enc.place) > 0
    assert arrests > 5 and abroad > 5 and fallback >= 4  # something compared on every path
