"""The officials' compiled odds (sim.agents.official_kernels) against the numpy form they replaced, bit for bit.

The plain form below is ``Officials.cover``, ``_odds`` and ``take_odds`` as they were before the
kernels (issue 18, sixth pass), with the C library's ``log1p`` and ``exp`` (:mod:`sim.libm`), as
the model takes them since the thirteenth pass: numpy's own differ in the last bit on CPUs with
AVX-512. A small model after its burn-in is given random integrity, deterrence,
will and oversight, and random officials (the duty roster, everyone, those without a patron, a few,
none) weigh random gains (zero, cents, millions); the weekly rates' kept gain terms are checked too.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from sim import libm
from sim.model import SahelModel
from sim.params import ScenarioConfig


def _plain_gain_term(off, rows, gain):
    return off.p.take_gain * libm.log1p(gain / off.pay[rows][..., None])


def _plain_cuts(off, gain, levels):
    k = off.p.kickback_share
    cut = np.empty((levels, *gain.shape))
    cut[0] = gain * k
    for level in range(1, levels):
        cut[level] = cut[level - 1] * k
    return cut


def _plain_rate_gain_terms(off):
    p, rows = off.p, off.duty
    gains = np.concatenate([p.bribe_share * off.cargo_ref, p.routine_share * off.cargo_ref])
    gain = np.broadcast_to(gains[None, :], (len(rows), len(gains)))
    levels = int(off.chain_depth[rows].max()) if len(rows) else 0
    up = np.maximum(off.chain[:levels, rows], 0)
    return _plain_gain_term(off, up, _plain_cuts(off, gain, levels)), _plain_gain_term(off, rows, gain)


def _plain_odds(off, rows, gain, risk, gain_term=None):
    p = off.p
    if gain_term is None:
        gain_term = _plain_gain_term(off, rows, gain)
    x = gain_term - p.take_integrity * off.integrity[rows][..., None] - p.take_risk * risk
    return 1.0 / (1.0 + libm.exp(-x))


def _plain_cover(off, rows, gain, gain_term=None):
    gain = np.asarray(gain, dtype=float)
    depth = off.chain_depth[rows]
    levels = int(depth.max()) if len(rows) else 0
    if levels == 0:
        return np.zeros(gain.shape)
    up = off.chain[:levels, rows]
    has = up >= 0
    cut = _plain_cuts(off, gain, levels) if gain_term is None else None
    odds = np.where(has[..., None], _plain_odds(off, np.maximum(up, 0), cut, off.oversight_risk(), gain_term), 0.0)
    total = odds[0]
    for level in range(1, levels):
        total = total + odds[level]
    return total / np.maximum(depth, 1.0)[:, None]


def _plain_take_odds(off, rows, gain, gain_terms=None):
    gain = np.asarray(gain, dtype=float)
    if gain.ndim != 2 or gain.shape[0] != len(rows):
        gain = np.broadcast_to(gain, (len(rows), gain.shape[-1]))
    patrons, own = gain_terms if gain_terms is not None else (None, None)
    risk = off.oversight_risk() * (1.0 - _plain_cover(off, rows, gain, patrons)) + off.deterrence[rows][:, None]
    return _plain_odds(off, rows, gain, np.minimum(risk, 1.0), own)


@pytest.fixture(scope="module")
def model():
    m = SahelModel(ScenarioConfig(supply_scale=0.1, burn_in_weeks=2), seed=7)
    for _ in range(3):
        m.step()
    return m


def _same(a, b) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("seed", range(4))
def test_compiled_odds_and_cover_equal_the_numpy_form(model, seed):
    """60 random cases a seed: take_odds and cover equal the plain form's in every bit, shape and type."""
    m = copy.deepcopy(model)
    off, rng = m.officials, np.random.default_rng(seed)
    everyone = off.alive_rows()
    for case in range(60):
        c = off.cols
        c["integrity"][everyone] = rng.random(len(everyone)) if case % 5 else np.zeros(len(everyone))
        c["deterrence"][everyone] = rng.random(len(everyone)) * (2.0 if case % 3 == 0 else 0.3)
        off.political_will = float(rng.random())
        off.oversight = float(rng.choice([0.0, rng.random(), 1.0]))
        choices = (off.duty, everyone, everyone[off.patron[everyone] < 0], rng.choice(everyone, 5), everyone[:0])
        rows = choices[case % len(choices)]
        k = int(rng.integers(1, 5))
        scale = 10.0 ** rng.integers(-2, 8)
        gain = rng.random((len(rows), k)) * scale if case % 2 else rng.random((1, k)) * scale
        gain[..., 0] = 0.0 if case % 4 == 0 else gain[..., 0]
        assert _same(off.take_odds(rows, gain), _plain_take_odds(off, rows, gain))
        full = np.broadcast_to(gain, (len(rows), k))
        assert _same(off.cover(rows, full), _plain_cover(off, rows, full))
        if "_rate_logs" in off.__dict__:
            del off.__dict__["_rate_logs"]
        p = off.p
        weekly = np.concatenate([p.bribe_share * off.cargo_ref, p.routine_share * off.cargo_ref])[None, :]
        want = _plain_take_odds(off, off.duty, weekly, _plain_rate_gain_terms(off))
        assert _same(off.take_odds(off.duty, weekly, off._rate_logs), want)


def _plain_rates(off, detection, inspection, lever_capacity, presence, both, rates, honest):
    """The weekly rates as ``Officials.update`` computed them in numpy before the kernel."""
    rows, n_goods = off.duty, detection.shape[1]
    posts = off.post[rows]
    detect = detection * inspection
    capacity = np.clip(off.capacity[rows] + lever_capacity[posts], 0.0, 1.0)
    detect_o = np.clip(detect[posts] * capacity[:, None] * presence[posts][:, None], 0.0, 1.0)
    take, routine = both[:, :n_goods], both[:, n_goods:].mean(axis=1)
    n = len(presence)
    count = np.maximum(off.duty_count, 1)[:, None]
    settle = np.zeros((n, n_goods))
    seize = np.zeros_like(settle)
    places, starts = off.duty_segments
    settle[places] = np.add.reduceat(detect_o * take, starts, axis=0)
    seize[places] = np.add.reduceat(detect_o * (1 - take), starts, axis=0)
    mali = off.staffed
    rates.settle[mali] = (settle / count)[mali]
    rates.seize[mali] = (seize / count)[mali]
    rates.routine[mali] = (np.bincount(posts, weights=routine, minlength=n) / count[:, 0])[mali]
    rates.seize[:] = rates.seize + (1 - rates.seize - rates.settle) * honest
    return detect_o


@pytest.mark.parametrize("seed", range(3))
def test_compiled_checkpoint_rates_equal_the_numpy_form(model, seed):
    """40 random weeks a seed (odds 0 to 1 with exact 0s and 1s, levers that push detection and capacity
    past 1 or below 0, raids, a post unstaffed): detection odds and every rate equal the plain form's bits."""
    from sim.agents import official_kernels

    m = copy.deepcopy(model)
    off, rng = m.officials, np.random.default_rng(10 + seed)
    n, k = m.world.n_places, len(m.world.goods)
    for case in range(40):
        detection = rng.random((n, k))
        inspection = rng.choice([0.0, 0.5, 1.0, 3.0], size=(n, k))
        lever_capacity = rng.normal(0.0, 0.5, n) * (case % 2)
        presence = rng.random(n)
        presence[rng.random(n) < 0.2] = 0.0
        off.cols["capacity"][off.duty] = rng.random(len(off.duty)) * 1.2
        both = rng.random((len(off.duty), 2 * k))
        both[rng.random(both.shape) < 0.1] = rng.choice([0.0, 1.0])
        honest = rng.random((n, k)) * (case % 3 == 0)
        if case % 7 == 6:
            off.staffed = off.staffed.copy()
            off.staffed[off.post[off.duty[0]]] = False
        plain, fast = copy.deepcopy(off.rates), copy.deepcopy(off.rates)
        want = _plain_rates(off, detection, inspection, lever_capacity, presence, both, plain, honest)
        places, starts = off.duty_segments
        got = official_kernels.checkpoint_rates(
            detection, inspection, off.cols["capacity"], lever_capacity, presence, off.duty, off.post[off.duty],
            both, places, starts, off.staffed, off.duty_count, fast.seize, fast.settle, fast.routine, honest,
        )  # fmt: skip
        assert _same(got, want)
        for name in ("seize", "settle", "routine"):
            assert _same(getattr(fast, name), getattr(plain, name)), name


def _best_along(sources, table, route):
    """The best source along each crew's route, as ``sim.knowledge`` took it before the kernel."""
    padded = np.concatenate([sources, np.zeros((len(sources), 1))], axis=1)
    travelled = np.maximum(route, 0)
    used = np.zeros(table.shape[1], dtype=bool)
    used[travelled] = True
    used = np.flatnonzero(used)
    best = padded.take(table.take(used, axis=1), axis=1).max(axis=1)
    return best.take(np.searchsorted(used, travelled), axis=1)


def _plain_update_crews(k, keep):
    """``Knowledge._update_crews`` after its rows are fitted and new crews reset, in numpy as before the kernel."""
    from sim.knowledge import MISSION, PANEL, STATE

    crews = k.model.crews
    c = crews.cols
    alive = c["alive"]
    k.crews *= keep * alive
    rows = np.flatnonzero(alive & (c["cargo"] > 0))
    if not len(rows):
        return
    s = k.sources
    seen = s.take(c["home"][rows], axis=1)
    route = c["route"][rows]
    on_route = _best_along(s, k._route_places(crews.routes.nodes), route)
    seen = np.maximum(seen, np.where(route >= 0, on_route, 0.0))
    value = c["cargo_value_ref"][rows]
    seen[PANEL] *= value / max(float(value.max()), 1e-9)
    fresh = c["evidence"][rows] > k._evidence[rows]
    seen[STATE] = np.where(fresh, np.maximum(seen[STATE], k.p.evidence), seen[STATE])
    if k.model.forces is not None:
        shared = fresh & (k.model.forces.oc_support[c["home"][rows]] > 0)
        seen[MISSION] = np.where(shared, np.maximum(seen[MISSION], k.p.evidence), seen[MISSION])
    old = k.crews.take(rows, axis=1)
    k.crews[:, rows] = old + (1.0 - old) * np.clip(seen, 0.0, 1.0)


@pytest.mark.parametrize("seed", range(3))
def test_compiled_crews_knowledge_equals_the_numpy_form(model, seed):
    """30 random weeks a seed (sources 0 to 1.5 with zeros, crews dead or idle, no route, fresh evidence,
    the mission's support to the police here and there, no crew moving): every score's bits equal."""
    m = copy.deepcopy(model)
    k, c, rng = m.knowledge, m.crews.cols, np.random.default_rng(20 + seed)
    n = m.crews.size
    for case in range(30):
        k._update_crews(1.0 - k.p.decay)  # fit the rows and forget new crews, as the week does
        k.crews[:] = rng.random(k.crews.shape)
        k.sources = rng.random(k.sources.shape) * 1.5
        k.sources[rng.random(k.sources.shape) < 0.3] = 0.0
        m.forces.oc_support[:] = rng.random(m.world.n_places) * (rng.random(m.world.n_places) < 0.3)
        c["evidence"][:n] = k._evidence + (rng.random(n) < 0.2) * rng.random(n)
        c["route"][:n] = np.where(rng.random(n) < 0.2, -1, c["route"][:n])
        c["cargo"][:n] = np.where(rng.random(n) < (1.0 if case % 10 == 9 else 0.2), 0, c["cargo"][:n])
        c["cargo_value_ref"][:n] *= rng.random(n) * 2
        plain = copy.copy(k)
        plain.crews = k.crews.copy()
        keep = 1.0 - k.p.decay
        _plain_update_crews(plain, keep)
        k._update_crews(keep)
        assert _same(k.crews, plain.crews)


def _plain_drift(off):
    """``Officials._drift`` in numpy as it was before the kernel (the will and the integrities)."""
    p, c, levers = off.p, off.cols, off.model.levers
    memory = 1.0 / p.rent_memory_weeks
    rows, top, pay_top, region, peer_count, post, post_count, pay = off._roster()
    c["rents"][rows] += memory * (c["rent_week"][rows] - c["rents"][rows])
    c["rent_week"][rows] = 0.0
    c["deterrence"][rows] *= 1.0 - memory
    rents_top = float(off.rents[top].sum())
    off.capture = rents_top / (rents_top + pay_top) if rents_top + pay_top > 0 else 0.0
    base = levers.political_will if levers.political_will is not None else p.political_will
    target = min(1.0, max(0.0, base + levers.pressure - p.will_capture * off.capture + off.record))
    off.political_will += p.will_drift * (target - off.political_will)
    off.record *= 1.0 - memory
    peers = np.bincount(region, weights=off.integrity[rows], minlength=off.n_regions)
    peers /= peer_count
    at_post = np.bincount(post, weights=off.rents[rows], minlength=off.world.n_places)
    at_post /= post_count
    around = at_post[post]
    rent_ratio = around / (around + pay)
    risk = np.minimum(1.0, off.oversight_risk() * (1.0 - off.protection(rows)) + off.deterrence[rows])
    w = p.peer_weight
    goal = (1 - w) * off.disposition[rows] + w * peers[region] - p.rent_pull * rent_ratio + p.risk_push * risk
    c["integrity"][rows] += p.integrity_drift * (np.clip(goal, 0.0, 1.0) - off.integrity[rows])


@pytest.mark.parametrize("seed", range(3))
def test_compiled_integrity_drift_equals_the_numpy_form(model, seed):
    """30 random weeks a seed (integrity, rents, deterrence up to 2, will and oversight from 0 to 1, pay
    scaled): the will, the capture and every official's integrity, rents and deterrence equal in bits."""
    m = copy.deepcopy(model)
    off, rng = m.officials, np.random.default_rng(30 + seed)
    everyone = off.alive_rows()
    for case in range(30):
        c = off.cols
        c["integrity"][everyone] = rng.random(len(everyone)) * (case % 4 != 0)
        c["rents"][everyone] = rng.random(len(everyone)) * 10.0 ** rng.integers(0, 6)
        c["rent_week"][everyone] = rng.random(len(everyone)) * 1e4 * (rng.random(len(everyone)) < 0.5)
        c["deterrence"][everyone] = rng.random(len(everyone)) * (2.0 if case % 3 == 0 else 0.2)
        off.political_will, off.oversight = float(rng.random()), float(rng.choice([0.0, rng.random(), 1.0]))
        off.record = float(rng.normal(0.0, 0.3))
        plain = copy.copy(off)  # the columns are also attributes: both copied
        plain.cols = {name: column.copy() for name, column in off.cols.items()}
        plain.__dict__.update((name, plain.cols[name]) for name in off.cols if name in off.__dict__)
        _plain_drift(plain)
        off._drift()
        assert (off.political_will, off.capture, off.record) == (plain.political_will, plain.capture, plain.record)
        for name in ("integrity", "rents", "rent_week", "deterrence"):
            assert _same(off.cols[name], plain.cols[name]), name


def _plain_record(m, enc, st, violence, rows, events):
    """``SahelModel.record_encounters`` in numpy as before the kernel, on copies of the counters."""
    from sim.enforcement import Outcome
    from sim.model import _ENCOUNTER_KINDS
    from sim.stats import accumulate

    place, outcome = enc.place, enc.outcome
    staffed = m.enforcement.rates.staffed[place] & m.world.in_mali[place]
    bribed = staffed & ((outcome == Outcome.ROUTINE) | (outcome == Outcome.SETTLED))
    carries = m.crews.livelihood[enc.good]
    livelihood = carries & (outcome <= Outcome.SETTLED)
    accumulate(st["livelihood_units"], place[livelihood], enc.units[livelihood])
    taken = outcome == Outcome.SEIZED
    accumulate(st["seized_value_at"], place[taken], enc.value[taken])
    robbed = outcome == Outcome.ROBBED
    if robbed.any():
        accumulate(violence, place[robbed], 1.0)
        events["robberies"] += int(robbed.sum())
    combinations = _ENCOUNTER_KINDS.shape[1]
    code = place * combinations
    code += staffed
    code += bribed * 2
    code += carries * 8
    code += (carries & taken) * 16
    if m.armed_groups is not None:
        jihadist = m.armed_groups.jihadist_blocs()
        bloc = m.crews.bloc[enc.crew]
        protected = np.zeros(max(int(bloc.max(initial=0)), int(jihadist.max(initial=0))) + 1, dtype=bool)
        protected[jihadist] = True
        code += ((bloc >= 0) & protected[np.maximum(bloc, 0)]) * 4
    n = m.world.n_places
    pairs = np.bincount(code, minlength=n * combinations).reshape(n, combinations)
    rows[:] += _ENCOUNTER_KINDS @ pairs.T


@pytest.mark.parametrize("seed", range(2))
def test_compiled_encounter_record_equals_the_numpy_form(model, seed):
    """40 random weeks of encounters a seed (none, few, many; every outcome; blocs jihadist or not; counters
    holding fractions): every counter, the violence and the robberies equal the plain form's, bit for bit."""
    from sim.enforcement import Encounters
    from sim.model import ENCOUNTER_COUNTS

    m = copy.deepcopy(model)
    rng = np.random.default_rng(40 + seed)
    n_places, n_goods, crews = m.world.n_places, len(m.world.goods), m.crews.alive_rows()
    for _case in range(40):
        size = int(rng.choice([0, 1, 7, 300]))
        enc = Encounters(
            crew=rng.choice(crews, size),
            place=rng.integers(0, n_places, size),
            good=rng.integers(0, n_goods, size),
            units=rng.integers(1, 50, size),
            value=rng.random(size) * 10.0 ** rng.integers(0, 7),
            outcome=rng.integers(0, 5, size).astype(np.int8),
            bribe=np.zeros(size),
            toll=np.zeros(size),
        )
        m.crews.cols["bloc"][crews] = rng.integers(-1, 4, len(crews))
        st = m.stats.week
        for key in ("livelihood_units", "seized_value_at"):
            st[key][:] = rng.random(n_places) * 100.0
        m.territory.violence[:] = rng.random(n_places) * 3.0
        want_st = {key: st[key].copy() for key in ("livelihood_units", "seized_value_at")}
        want_violence, want_rows = m.territory.violence.copy(), m.stats.rows(ENCOUNTER_COUNTS).copy()
        want_events = dict(m.stats.events)
        _plain_record(m, enc, want_st, want_violence, want_rows, want_events)
        m.record_encounters(enc)
        for key, want in want_st.items():
            assert _same(st[key], want), key
        assert _same(m.territory.violence, want_violence)
        assert _same(m.stats.rows(ENCOUNTER_COUNTS), want_rows)
        assert m.stats.events == want_events and type(m.stats.events["robberies"]) is type(want_events["robberies"])


def _plain_pay_chain(off, who, amounts, wealth, rent_week):
    """``Officials._pay_chain``'s booking up the chain in numpy, as before the kernel."""
    k = off.p.kickback_share
    cur, left = who.copy(), amounts.astype(float).copy()
    for _ in range(4):
        patron = off.patron[cur]
        up = np.where(patron >= 0, left * k, 0.0)
        kept = left - up
        np.add.at(wealth, cur, kept)
        np.add.at(rent_week, cur, kept)
        has = patron >= 0
        if not has.any():
            return
        cur, left = patron[has], up[has]


@pytest.mark.parametrize("seed", range(2))
def test_compiled_bribes_up_the_chain_equal_the_numpy_form(model, seed):
    """50 random batches of bribes a seed (none, one, many; the same official paid again; senior patrons
    with no patron; cents to millions, whole numbers): wealth, rents and the ledger equal in bits."""
    m = copy.deepcopy(model)
    off, rng = m.officials, np.random.default_rng(50 + seed)
    everyone = off.alive_rows()
    for case in range(50):
        size = int(rng.choice([0, 1, 5, 200]))
        who = rng.choice(everyone if case % 4 else off.seniors, size)
        amounts = rng.random(size) * 10.0 ** rng.integers(-2, 7)
        if case % 5 == 0:
            amounts = np.floor(amounts).astype(np.int64)
        off.cols["wealth"][everyone] = rng.random(len(everyone)) * 1e5
        want_wealth, want_rent = off.cols["wealth"].copy(), off.cols["rent_week"].copy()
        before = dict(m.ledger.balances)
        _plain_pay_chain(off, who, amounts, want_wealth, want_rent)
        off._pay_chain(who, amounts, m.ledger)
        assert _same(off.cols["wealth"], want_wealth) and _same(off.cols["rent_week"], want_rent)
        paid = float(amounts.sum())
        assert m.ledger.balances["officials"] == (before["officials"] + paid if paid else before["officials"])


def _plain_update_officials(k, keep):
    """``Knowledge._update_officials`` in numpy as before the kernel (rows already fitted)."""
    from sim.knowledge import _bincount_rows

    officials = k.model.officials
    c = officials.cols
    replaced = c["disposition"] != k._disposition
    k._disposition = c["disposition"].copy()
    k.officials[:, replaced | ~c["alive"]] = 0.0
    rows = officials.alive_rows()
    rents = c["rents"][rows]
    taking = rents / np.maximum(rents + c["pay"][rows], 1e-9)
    seen = k.sources.take(c["post"][rows], axis=1) * taking
    patron = c["patron"][rows]
    up = patron >= 0
    known = k.officials.take(rows, axis=1)
    lead = _bincount_rows(patron[up], known[:, up] * taking[up], officials.size)
    seen = np.maximum(seen, k.p.chain * lead.take(rows, axis=1))
    k.officials *= keep
    known = k.officials.take(rows, axis=1)
    k.officials[:, rows] = known + (1.0 - known) * np.clip(seen, 0.0, 1.0)


@pytest.mark.parametrize("seed", range(2))
def test_compiled_officials_knowledge_equals_the_numpy_form(model, seed):
    """40 random weeks a seed (scores, sources up to 1.5 with zeros, rents from none to millions, new men,
    officials dead): every score and the dispositions kept equal the plain form's, bit for bit."""
    m = copy.deepcopy(model)
    k, off, rng = m.knowledge, m.officials, np.random.default_rng(60 + seed)
    c, n = off.cols, off.size
    k._update_officials(1.0 - k.p.decay)  # rows fitted
    for case in range(40):
        k.officials[:] = rng.random(k.officials.shape)
        k.sources = rng.random(k.sources.shape) * 1.5
        k.sources[rng.random(k.sources.shape) < 0.3] = 0.0
        c["rents"][:n] = rng.random(n) * 10.0 ** rng.integers(0, 7) * (rng.random(n) < 0.8)
        new = rng.random(n) < 0.05
        c["disposition"][:n] = np.where(new, rng.random(n), k._disposition)
        alive = c["alive"].copy()
        if case % 4 == 3:
            c["alive"][rng.choice(off.alive_rows(), 3)] = False
        plain = copy.copy(k)
        plain.officials, plain._disposition = k.officials.copy(), k._disposition.copy()
        keep = 1.0 - k.p.decay
        _plain_update_officials(plain, keep)
        k._update_officials(keep)
        assert _same(k.officials, plain.officials) and _same(k._disposition, plain._disposition)
        c["alive"][:] = alive


def _plain_encounter_odds(off, places, goods, values):
    """``Officials.encounter_odds`` in numpy as before the kernels (the draw of who is on duty included)."""
    p = off.p
    count = off.duty_count[places]
    pick = (off.model.rng.random(len(places)) * count).astype(np.int64)
    who = off.duty[off.duty_start[places] + pick]
    detect = off.detect_duty[off.duty_pos[who], goods]
    gains = np.column_stack([p.bribe_share * values, p.routine_share * values])
    take, routine = _plain_take_odds(off, who, gains).T
    honest = off.honest[places, goods]
    return detect * (1 - take) + (1 - detect) * honest, detect * take, routine, who


@pytest.mark.parametrize("seed", range(2))
def test_compiled_encounter_odds_equal_the_numpy_form(model, seed):
    """40 random weeks of encounters a seed (none, one, many; values from cents to millions; honest raids;
    integrity and deterrence drawn): odds, officials on duty and the generator's state equal in bits."""
    m = copy.deepcopy(model)
    off, rng = m.officials, np.random.default_rng(70 + seed)
    staffed, everyone = np.flatnonzero(off.staffed), off.alive_rows()
    for case in range(40):
        size = int(rng.choice([0, 1, 9, 400]))
        places = rng.choice(staffed, size)
        goods = rng.integers(0, len(m.world.goods), size)
        values = rng.random(size) * 10.0 ** rng.integers(-2, 8)
        off.cols["integrity"][everyone] = rng.random(len(everyone))
        off.cols["deterrence"][everyone] = rng.random(len(everyone)) * (case % 2)
        off.honest = rng.random(off.honest.shape) * (case % 3 == 0)
        state = m.rng.bit_generator.state
        want = _plain_encounter_odds(off, places, goods, values)
        after = m.rng.bit_generator.state
        m.rng.bit_generator.state = state
        got = off.encounter_odds(places, goods, values)
        assert m.rng.bit_generator.state == after
        for g, w in zip(got, want, strict=True):
            assert _same(g, np.ascontiguousarray(w))


def _plain_update_groups_scores(scores, keep, holder, sources, trade_share):
    """The groups' part of ``Knowledge._update_groups`` after the trade shares, in numpy as before its kernel."""
    from sim.knowledge import _bincount_rows

    n = scores.shape[1]
    held = holder >= 0
    by = holder[held]
    count = np.maximum(np.bincount(by, minlength=n), 1)
    seen = _bincount_rows(by, np.compress(held, sources, axis=1), n) / count
    scores *= keep
    scores += (1.0 - scores) * np.clip(seen * trade_share, 0.0, 1.0)


@pytest.mark.parametrize("seed", range(3))
def test_compiled_groups_knowledge_equals_the_numpy_form(model, seed):
    """30 random weeks a seed (groups holding many, one or no places, sources up to 1.5 with zeros, shares
    from 0 to 1 and NaN, a group of no places): every score equals the plain form's, bit for bit."""
    from sim import knowledge_kernels

    rng = np.random.default_rng(90 + seed)
    n_places = model.world.n_places
    for case in range(30):
        n = int(rng.integers(1, 25))
        scores = rng.random((3, n)) * (rng.random((3, n)) < 0.8)
        holder = np.where(rng.random(n_places) < 0.6, rng.integers(0, n, n_places), -1).astype(np.int64)
        if case % 5 == 4:
            holder[:] = -1
        sources = rng.random((3, n_places)) * 1.5 * (rng.random((3, n_places)) < 0.7)
        share = rng.random(n) * (rng.random(n) < 0.7)
        if case % 3 == 2:
            share[0] = np.nan
        plain = scores.copy()
        _plain_update_groups_scores(plain, 0.97, holder, sources, share)
        knowledge_kernels.update_groups(scores, 0.97, holder, sources, share)
        assert _same(scores, plain)


def _plain_settle_marks(place, bribe, outcome, crew, value, staffed, foreign, evidence):
    """The Malian part of ``Officials.settle`` before the bribes' chains, in numpy as before its kernel."""
    mali = staffed[place]
    paid = bribe > 0
    elsewhere = float(bribe[paid & ~mali & ~foreign].sum())
    detected = mali & ((outcome == 2) | (outcome == 3))
    np.add.at(evidence, crew[detected], value[detected])
    seized = np.flatnonzero((outcome == 3) & ~foreign)
    return elsewhere, np.flatnonzero(paid & mali), seized, mali[seized]


@pytest.mark.parametrize("seed", range(3))
def test_compiled_settle_marks_equal_the_numpy_form(model, seed):
    """30 random weeks a seed (no encounters to 600, a crew stopped many times, bribes from none to
    millions, every outcome, places abroad): sums, rows and the evidence after equal the plain form's."""
    from sim.agents import official_kernels

    rng = np.random.default_rng(120 + seed)
    off, world = model.officials, model.world
    for case in range(30):
        n = int(rng.integers(0, 600)) if case % 10 else 0
        place = rng.integers(0, world.n_places, n)
        crew = rng.integers(0, 40, n)
        outcome = rng.integers(0, 5, n)
        bribe = rng.exponential(1.0, n) * 10.0 ** rng.integers(0, 7, n) * (rng.random(n) < 0.5)
        value = rng.exponential(5e4, n) * 10.0 ** rng.integers(0, 4, n)
        foreign = ~world.in_mali[place]
        staffed = off.staffed if case % 2 else world.in_mali & (rng.random(world.n_places) < 0.3)
        evidence, plain_evidence = (np.full(40, 3.0) for _ in range(2))
        got = official_kernels.settle_marks(place, bribe, outcome, crew, value, staffed, foreign, evidence)
        want = _plain_settle_marks(place, bribe, outcome, crew, value, staffed, foreign, plain_evidence)
        assert repr(got[0]) == repr(want[0]) and type(got[0]) is float
        assert all(_same(a, b) for a, b in zip(got[1:], want[1:], strict=True))
        assert _same(evidence, plain_evidence)
    assert off.staffed.any() and (~world.in_mali).any()


def test_crews_on_one_route_each_get_their_own_home_and_the_routes_best():
    """The best source along a route is taken once for all its movers (fifteenth pass); each keeps its own home.

    Three movers share route 0 from homes whose sources beat the route's for some holders and not
    others (the first mover's home is the strongest for holder 0: kept with the route, it would
    leak to the next); a fourth is on route 1, a fifth has no route. Each score must be what the
    rule gives that crew alone.
    """
    from sim import knowledge_kernels

    sources = np.array([[0.95, 0.9, 0.3, 0.2, 0.05], [0.2, 0.0, 0.6, 0.1, 0.7], [0.0, 0.4, 0.0, 0.3, 0.2]])
    route_places = np.array([[2, 3], [3, 5], [5, 5]])  # 5: padding (no place); route 0 passes 2, 3; route 1 passes 3
    home = np.array([0, 1, 4, 0, 1])
    route = np.array([0, 0, 0, 1, -1])
    n = home.size
    scores = np.zeros((3, n))
    value = np.ones(n)
    args = (np.zeros(n, np.int64), np.zeros(n, np.int64), np.ones(n, np.bool_), np.ones(n, np.int64), home, route)
    rest = (route_places, value, np.zeros(n), np.zeros(n), np.zeros(5), 0.0)
    knowledge_kernels.update_crews(scores, 1.0, *args, sources, *rest)
    for i in range(n):
        along = [sources[:, p] for p in route_places[:, route[i]] if p < 5] if route[i] >= 0 else []
        expected = np.max([sources[:, home[i]], *along], axis=0)
        assert scores[:, i].tolist() == np.clip(expected, 0.0, 1.0).tolist(), i
