"""The crews' compiled route choice (sim.agents.route_kernels) against its numpy forms, bit for bit.

The numpy forms below are what ``Crews._choose_routes`` computed before it was compiled (issue
18, fifth pass): the sparse product for the candidates' log-odds, ``Generator.gumbel`` for the
noise, ``argmax`` for the pick. Each test compares bits and the generator's state after.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import scipy.sparse as sp
from libm_reference import LIBM, NUMPY, numpy_is_libm

from sim.agents import route_kernels
from sim.agents.trafficker import State
from sim.draws import gumbel_uniforms
from sim.enforcement import Outcome
from sim.model import SahelModel
from sim.names import Kind
from sim.params import ScenarioConfig
from sim.stats import accumulate


@pytest.fixture(scope="module")
def model():
    m = SahelModel(ScenarioConfig(supply_scale=0.1, burn_in_weeks=2), seed=5)
    for _ in range(6):
        m.step()
    return m


def _csr(matrix):
    return matrix.indptr.astype(np.int64), matrix.indices.astype(np.int64), matrix.data.astype(np.float64)


def _plain_sums(incidence, group_routes, per_place, group):
    """The candidates' sums as the sparse product gives them, padding zero."""
    n = len(group)
    cand = np.maximum(group_routes[group], 0)
    sums = (incidence @ per_place.T).T[np.arange(n)[:, None], cand]
    return np.where(group_routes[group] >= 0, sums, 0.0)


def _plain_choice(survival, group, good, cand_route, cand_sink, value_source, transport, pay, cand_open, scale, rng):
    """Route choice as numpy computed it before the kernel (the model's form until the fifth pass)."""
    unit_profit = survival * cand_sink[group] - value_source[good][:, None] - transport[group] - pay[group]
    unit_profit = np.where(cand_open[group], unit_profit, -np.inf)
    noise = rng.gumbel(size=unit_profit.shape)
    noise *= scale[:, None]
    noise += unit_profit
    pick = np.argmax(noise, axis=1)
    rows = np.arange(len(group))
    return cand_route[group][rows, pick], unit_profit[rows, pick] > 0


def _same_bits(a, b):
    return a.shape == b.shape and np.array_equal(np.asarray(a, dtype=np.float64).view(np.int64), b.view(np.int64))


def _plain_survival(crews, group, kind, aversion, network, own_risk, network_risk, w, incidence, group_routes, fns):
    """The perceived odds as numpy computed them before the kernel: blend, cap, ``log1p``, product, ``exp``.

    ``fns`` are the elementwise ``log1p`` and ``exp``: numpy's (the model's form before the
    twelfth pass) or the C library's (:func:`_libm`).
    """
    log1p, exp = fns
    risk = own_risk[crews] * w
    risk += network_risk[network[crews]] * (1 - w)
    np.minimum(risk, 0.999999, out=risk)
    per_place = log1p(-risk)
    return exp(aversion[kind[crews]][:, None] * _plain_sums(incidence, group_routes, per_place[:, :-1], group))


def _survival_case(r, n_routes, n_places, n):
    """Random incidences (weights other than 1, places out of order, empty routes), risks with NaN and edges."""
    dense = np.where(r.random((n_routes, n_places)) < 0.3, r.uniform(0.1, 3.0, (n_routes, n_places)), 0.0)
    if r.random() < 0.3:
        dense[dense > 0] = 1.0
    incidence = sp.csr_matrix(dense)
    if r.random() < 0.5:  # places in another stored order: the product adds in stored order, and so must the kernel
        for row in range(n_routes):
            lo, hi = incidence.indptr[row], incidence.indptr[row + 1]
            order = r.permutation(hi - lo) + lo
            incidence.indices[lo:hi], incidence.data[lo:hi] = incidence.indices[order], incidence.data[order]
    group_routes = r.integers(-1, n_routes, size=(int(r.integers(1, 8)), int(r.integers(1, 12))))
    group_routes.flags.writeable = False  # read-only, as the routes' are (one compiled form)
    rows, n_networks = n + 5, 4
    own = r.random((rows, n_places + 1)) ** 3
    net = r.random((n_networks, n_places + 1))
    own[r.random(own.shape) < 0.1] = 1.0
    own[r.random(own.shape) < 0.02] = np.nan
    net[r.random(net.shape) < 0.05] = 0.999999
    own[:, -1], net[:, -1] = 0.0, 0.0
    crews = r.permutation(rows)[:n].astype(np.int64)
    group = r.integers(0, len(group_routes), size=n)
    kind = r.integers(0, 3, rows).astype(np.int8)
    aversion = np.array([1.0, *r.uniform(0.0, 3.0, 2)])
    network = r.integers(0, n_networks, rows)
    return crews, group, kind, aversion, network, own, net, float(r.random()), incidence, group_routes


def test_route_survival_is_the_plain_form_with_the_c_librarys_functions():
    """Random incidences and risks (NaN, caps, empty and padding candidates): the plain form's bits, on any CPU."""
    r = np.random.default_rng(12)
    seen_nan = seen_padding = 0
    for case in range(200):
        args = _survival_case(r, int(r.integers(1, 40)), int(r.integers(1, 60)), int(r.integers(0, 50)))
        *head, incidence, group_routes = args
        csr = _csr(incidence)
        places = route_kernels.candidate_places(group_routes, *csr[:2])
        fast = route_kernels.route_survival(*head, group_routes, *csr, *places)
        assert _same_bits(fast, _plain_survival(*args, LIBM)), case
        seen_nan += np.isnan(fast).any()
        seen_padding += (fast == 1.0).any()
    assert seen_nan > 10 and seen_padding > 10  # the cases reach NaN risks and padding (odds of exp(0))


def test_route_survival_padding_is_exp_of_zero_times_the_aversion():
    """Padding candidates' odds, taken once per crew (fifteenth pass): ``exp(a * 0.0)``'s bits, NaN for non-finite a."""
    r = np.random.default_rng(15)
    exp = LIBM[1]
    for aversion in ([0.0, 1.5, 3.0], [np.inf, -np.inf, np.nan], [-0.0, 2.0, np.inf]):
        args = list(_survival_case(r, 6, 10, 30))
        args[3] = np.array(aversion)
        *head, incidence, group_routes = args
        group_routes = np.where(r.random(group_routes.shape) < 0.5, -1, group_routes)
        csr = _csr(incidence)
        places = route_kernels.candidate_places(group_routes, *csr[:2])
        fast = route_kernels.route_survival(*head, group_routes, *csr, *places)
        crews, group, kind = head[0], head[1], head[2]
        padded = group_routes[group] < 0
        with np.errstate(invalid="ignore"):
            expected = np.broadcast_to(exp(args[3][kind[crews]] * 0.0)[:, None], fast.shape)
        assert padded.any() and _same_bits(fast[padded], np.ascontiguousarray(expected[padded])), aversion
        assert np.isnan(fast[padded]).any() == (not np.isfinite(aversion).all())
        if np.isfinite(aversion).all():
            assert _same_bits(fast, _plain_survival(*head, incidence, group_routes, LIBM)), aversion


def test_route_survival_breaks_when_a_place_is_read_from_another_crew():
    """The per-crew log-odds are not kept from one crew to the next: two crews at one place, different risks."""
    own = np.array([[0.1, 0.0], [0.5, 0.0]])
    incidence = sp.csr_matrix(np.array([[1.0]]))
    args = (np.array([0, 1]), np.array([0, 0]), np.zeros(2, np.int8), np.ones(1), np.zeros(2, np.int64), own)
    places = route_kernels.candidate_places(np.array([[0]]), *_csr(incidence)[:2])
    got = route_kernels.route_survival(*args, np.zeros((1, 2)), 1.0, np.array([[0]]), *_csr(incidence), *places)
    assert got[:, 0].tolist() == [math.exp(math.log1p(-0.1)), math.exp(math.log1p(-0.5))]


def test_candidate_places_are_each_groups_candidates_places_once():
    """Padding candidates add nothing; a place on several candidates is listed once; groups without routes are empty."""
    incidence = sp.csr_matrix(np.array([[1.0, 0.0, 2.0, 0.0], [0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 0.0]]))
    group_routes = np.array([[0, 1, -1], [-1, -1, -1], [2, 2, 0]])
    starts, places = route_kernels.candidate_places(group_routes, *_csr(incidence)[:2])
    assert starts.tolist() == [0, 3, 3, 6] and starts.dtype == places.dtype == np.int64
    assert [places[starts[g] : starts[g + 1]].tolist() for g in range(3)] == [[0, 2, 3], [], [0, 1, 2]]


def test_the_models_route_odds_are_the_plain_form(model):
    """The model's routes and crews at week 6: the C library's form everywhere, and numpy's where it is the same."""
    crews = model.crews
    planning = np.flatnonzero(crews.alive)
    group = crews.group[planning]
    got = crews._route_odds(planning, group)
    args = (planning, group, crews.kind, crews.kind_risk_aversion, crews.network, crews.own_risk, crews.network_risk)
    tables = (crews.p.own_weight, crews.routes.node_incidence, crews.routes.group_routes)
    assert len(planning) > 20 and ((got > 0) & (got < 1)).any()
    assert _same_bits(got, _plain_survival(*args, *tables, LIBM))
    if not numpy_is_libm():
        pytest.skip("numpy's log1p and exp are its own vectorized forms on this CPU (AVX-512)")
    assert _same_bits(got, _plain_survival(*args, *tables, NUMPY))


def _random_choice_case(r, n, n_groups, n_cand, n_goods):
    cand_route = r.integers(0, 500, size=(n_groups, n_cand))
    tables = [r.uniform(0.0, 100.0, (n_groups, n_cand)) for _ in range(3)]
    cand_open = r.random((n_groups, n_cand)) < 0.8
    cand_open[0] = False  # a group with every candidate closed: the pick is the first, and it does not pay
    value_source = r.uniform(0.0, 50.0, n_goods)
    group = r.integers(0, n_groups, size=n)
    good = r.integers(0, n_goods, size=n)
    survival = np.exp(r.uniform(-3.0, 0.0, (n, n_cand)))
    survival[::4] = 1.0
    if n_groups > 1:  # group 1: every candidate alike, so crews with no noise tie everywhere
        for table in tables:
            table[1] = table[1, 0]
        cand_open[1] = True
    scale = r.uniform(0.0, 20.0, n)
    scale[::5] = 0.0  # no noise: ties broken by the first maximum
    scale[1::7] = -scale[1::7]  # a margin below zero
    scale[2::9] = r.uniform(0.0, 1e-3, len(scale[2::9]))  # little noise: the profits decide
    if n > 3:
        survival[3, 1] = np.nan  # a NaN profit: argmax picks the first NaN
    return survival, group, good, cand_route, tables[0], value_source, tables[1], tables[2], cand_open, scale


@pytest.mark.parametrize("seed", range(4))
def test_choice_is_the_numpy_form_and_leaves_the_same_stream(seed):
    """Random profits and scales (closed candidates, zero noise, NaN): the same routes and the same generator after."""
    r = np.random.default_rng(100 + seed)
    for n in (0, 1, 7, 300):
        args = _random_choice_case(r, n, n_groups=int(r.integers(1, 30)), n_cand=int(r.integers(1, 45)), n_goods=9)
        compiled, plain = np.random.default_rng(seed), np.random.default_rng(seed)
        route, pays = route_kernels.choose_by_profit(*args, gumbel_uniforms(compiled, args[0].shape))
        want_route, want_pays = _plain_choice(*args, plain)
        assert np.array_equal(route, want_route)
        assert np.array_equal(pays, want_pays)
        assert compiled.bit_generator.state == plain.bit_generator.state


def test_choose_routes_in_the_model_is_the_numpy_form(model):
    """The model's planning crews at week 6: the routes and decisions of the numpy form, and its stream after.

    The model's odds (``Crews._route_odds``) and ``choose_by_profit`` with the scales and draws
    ``choose_and_depart`` makes of them (that kernel is checked against this call in
    ``tests/test_crews10_kernels.py``).
    """
    crews = model.crews
    idle = np.flatnonzero(crews.alive & (crews.state == State.IDLE))
    planning = idle[np.argsort(crews.group[idle], kind="stable")]
    assert len(planning) > 20
    crews._route_costs()
    state = model.rng.bit_generator.state
    group, good = crews.group[planning], crews.good[planning]
    survival = crews._route_odds(planning, group)
    scale = crews.p.choice_noise * (model.market.value_sink[good] - crews.value_source[good])
    route, pays = route_kernels.choose_by_profit(
        survival, group, good, crews.cand_route, crews.cand_sink, crews.value_source, crews.cand_transport,
        crews.cand_pay, crews.cand_open, scale, gumbel_uniforms(model.rng, survival.shape),
    )  # fmt: skip
    after = model.rng.bit_generator.state
    plain = np.random.default_rng()
    plain.bit_generator.state = state
    survival = _plain_survival(
        planning, group, crews.kind, crews.kind_risk_aversion, crews.network, crews.own_risk, crews.network_risk,
        crews.p.own_weight, crews.routes.node_incidence, crews.routes.group_routes, LIBM,
    )  # fmt: skip
    margin = model.market.value_sink[good] - crews.value_source[good]
    want = _plain_choice(
        survival,
        group,
        good,
        crews.cand_route,
        crews.cand_sink,
        crews.value_source,
        crews.cand_transport,
        crews.cand_pay,
        crews.cand_open,
        crews.p.choice_noise * margin,
        plain,
    )
    assert np.array_equal(route, want[0]) and np.array_equal(pays, want[1])
    assert pays.any() and len(np.unique(route)) > 5
    assert plain.bit_generator.state == after


def _plain_encounters(rng, width, pi, pj, place, seize, settle, routine, value, broker, shield, ban, *rest):
    """The week's outcomes and dues as numpy computed them before the kernel (``_encounter_outcomes``, ``_travel``)."""
    crossing, bloc, rob, settle_share, routine_share, alliance, toll, services_share, cash = rest
    n = len(cash)
    if broker.any():
        seize = np.where(broker[pi], seize * (1 - shield), seize)
    banned = ban > 0
    if banned.any():
        at_border = crossing[place] & banned[pi]
        seize = np.where(at_border, np.minimum(1.0, seize * (1 + ban[pi])), seize)
    robbed = np.where(bloc[pi] >= 0, 0.0, rob[place])
    u = rng.random((n, width)).ravel().take(pi * width + pj)
    c1 = seize
    c2 = c1 + (1 - c1) * robbed
    c3 = c2 + (1 - c2) * settle
    c4 = c3 + (1 - c3) * routine
    out = np.full(len(u), Outcome.CLEAN, dtype=np.int64)
    out[u < c4] = Outcome.ROUTINE
    out[u < c3] = Outcome.SETTLED
    out[u < c2] = Outcome.ROBBED
    out[u < c1] = Outcome.SEIZED
    lost_at = np.flatnonzero((out == Outcome.SEIZED) | (out == Outcome.ROBBED))
    head = np.ones(len(lost_at), dtype=bool)
    head[1:] = pi[lost_at[1:]] != pi[lost_at[:-1]]
    lost_at = lost_at[head]
    first = np.full(n, width)
    first[pi[lost_at]] = pj[lost_at]
    met = pj <= first[pi]
    paying = pj < first[pi]
    share = np.where(
        out == Outcome.SETTLED, settle_share[place], np.where(out == Outcome.ROUTINE, routine_share[place], 0.0)
    )
    crew_bloc = bloc[pi]
    exempt = (alliance[place] == crew_bloc) & (crew_bloc >= 0)
    pay = np.zeros((3, len(pi)))
    pay[0] = np.where(paying, share * value, 0.0)
    pay[1] = np.where(paying & ~exempt, toll[place] * value, 0.0)
    pay[2] = np.where(paying, services_share * value, 0.0)
    rows = np.zeros((3, n * width))
    rows[:, pi * width + pj] = pay
    sums = rows.reshape(3, n, width).sum(axis=2)
    due = sums[0] + sums[1] + sums[2]
    paid = np.minimum(cash, due)
    ratio = np.divide(paid, due, out=np.zeros_like(due), where=due > 0)
    pay *= ratio[pi]
    return out, first, met, pay, paid, lost_at


def _random_week(r, n, width, n_places):
    """Moving crews passing 0 to 3 consecutive places each, with odds, brokers, bans, blocs and cash at random."""
    start = r.integers(0, width, size=n)
    count = np.minimum(r.integers(0, 4, size=n), width - start)
    pi = np.repeat(np.arange(n), count)
    pj = np.arange(len(pi)) + np.repeat(start - (np.cumsum(count) - count), count)
    m = len(pi)
    place = r.integers(0, n_places, size=m)
    odds = [np.where(r.random(m) < 0.3, 0.0, r.uniform(0.0, 0.6, m)) for _ in range(3)]
    value = r.uniform(0.0, 1e6, m) * (r.random(m) < 0.95)
    broker = r.random(n) < 0.2
    ban = np.where(r.random(n) < 0.3, r.uniform(0.0, 3.0, n), 0.0)
    crossing = r.random(n_places) < 0.4
    bloc = r.integers(-1, 4, size=n)
    rob = np.where(r.random(n_places) < 0.5, 0.0, r.uniform(0.0, 0.3, n_places))
    shares = r.uniform(0.0, 0.2, n_places), r.uniform(0.0, 0.05, n_places)
    alliance = r.integers(-1, 4, size=n_places)
    toll = np.where(r.random(n_places) < 0.5, 0.0, r.uniform(0.0, 0.1, n_places))
    cash = np.where(r.random(n) < 0.3, r.uniform(0.0, 1e4, n), r.uniform(0.0, 1e7, n))
    return (
        width,
        pi,
        pj,
        place,
        *odds,
        value,
        broker,
        0.5,
        ban,
        crossing,
        bloc,
        rob,
        *shares,
        alliance,
        toll,
        0.03,
        cash,
    )


@pytest.mark.parametrize("seed", range(4))
def test_encounters_and_dues_are_the_numpy_form(seed):
    """Random weeks (no crews, no places passed, route rows past 8 and 128 positions): same bits, same stream after."""
    r = np.random.default_rng(200 + seed)
    for n, width in ((0, 5), (1, 3), (40, 7), (300, 24), (60, 140)):
        week = _random_week(r, n, width, n_places=30)
        compiled, plain = np.random.default_rng(seed), np.random.default_rng(seed)
        got = route_kernels.encounters_and_dues(compiled.random((len(week[-1]), week[0])), *week[1:])
        want = _plain_encounters(plain, *week)
        for a, b in zip(got, want, strict=True):
            assert a.shape == b.shape and a.dtype.kind == b.dtype.kind
            assert np.array_equal(
                a.view(np.int64) if a.dtype == float else a, b.view(np.int64) if b.dtype == float else b
            )
        assert compiled.bit_generator.state == plain.bit_generator.state
        if n >= 300:
            outcome, first = got[0], got[1]
            assert len(np.unique(outcome)) == 5 and (first < width).any() and (first == width).any()


def test_gumbel_uniforms_give_numpys_gumbel_draws_and_stream():
    """``0 - log(-log(u))`` in a kernel of the uniforms is ``rng.gumbel``'s draws, bit for bit, and the stream after."""
    for seed in range(3):
        compiled, plain = np.random.default_rng(seed), np.random.default_rng(seed)
        u = gumbel_uniforms(compiled, (40, 500))
        want = plain.gumbel(size=(40, 500))
        got = np.array([route_kernels._gumbel(x) for x in u.ravel()]).reshape(u.shape)
        assert _same_bits(got, want)
        assert compiled.bit_generator.state == plain.bit_generator.state


class _Scripted:
    """A generator whose ``random`` gives a fixed stream (with the zeros numpy's gumbel redraws)."""

    def __init__(self, stream):
        self.stream, self.used = list(stream), 0

    def random(self, size):
        out = np.array(self.stream[self.used : self.used + size], dtype=float)
        self.used += size
        return out


def test_gumbel_uniforms_leave_out_zeros_as_numpy_redraws_them():
    """A zero from ``random()`` is drawn again (u = 1 is rejected): left out, and the stream read on past it."""
    stream = [0.5, 0.0, 0.25, 0.0, 0.0, 0.75, 0.0, 0.125, 0.375, 0.0, 0.625, 0.875]
    rng = _Scripted(stream)
    u = gumbel_uniforms(rng, (2, 3))
    assert np.array_equal(u, 1.0 - np.array([[0.5, 0.25, 0.75], [0.125, 0.375, 0.625]]))
    assert rng.used == 11  # the six kept and the five zeros before the last kept, as numpy consumes them


def _plain_learn_and_count(crew, place, good, units, value, outcome, edge, network, livelihood, own, lr, risk, eta, st):
    """``Crews._learn`` and the counts after it in ``Crews._travel``, as numpy computed them before the sixth pass."""
    if len(crew):
        lost = ((outcome == Outcome.SEIZED) | (outcome == Outcome.ROBBED)).astype(float)
        at = crew * own.shape[1] + place
        before = own.take(at)
        np.put(own, at, before + lr * (lost - before))
        n_net, width = risk.shape
        key = network[crew] * width + place
        count = np.bincount(key, minlength=n_net * width).reshape(n_net, width)
        hits = np.bincount(key, weights=lost, minlength=n_net * width).reshape(n_net, width)
        seen = np.flatnonzero(count)
        met = count.take(seen)
        keep = (1.0 - eta) ** met
        rate = hits.take(seen) / met
        np.put(risk, seen, keep * risk.take(seen) + (1 - keep) * rate)
    ok = outcome <= Outcome.SETTLED
    accumulate(st[0], place[ok], units[ok])
    accumulate(st[1], (place[ok], good[ok]), units[ok])
    illicit = ok & ~livelihood[good]
    accumulate(st[2], place[illicit], value[illicit])
    accumulate(st[3], edge, units)
    accumulate(st[4], (edge, good), units)


@pytest.mark.parametrize("seed", range(4))
def test_learn_and_count_is_the_numpy_form(seed):
    """Random weeks (none, one, many encounters with repeated crew-place pairs, all or no losses): same bits."""
    r = np.random.default_rng(300 + seed)
    n_rows, n_places, n_goods, n_edges, n_net = 50, 12, 4, 20, 6
    for n, lost_share in ((0, 0.3), (1, 0.3), (30, 0.0), (200, 0.3), (200, 1.0)):
        crew = r.integers(0, n_rows, n)
        place = r.integers(0, n_places, n)
        good = r.integers(0, n_goods, n)
        units = r.integers(1, 500, n)
        value = r.uniform(0.0, 1e6, n)
        outcome = np.where(r.random(n) < lost_share, r.integers(3, 5, n), r.integers(0, 3, n)).astype(np.int64)
        edge = r.integers(0, n_edges, n)
        network = r.integers(0, n_net, n_rows)
        livelihood = r.random(n_goods) < 0.5
        own = r.random((n_rows, n_places + 1))
        risk = r.random((n_net, n_places + 1))
        st = [r.random(n_places), r.random((n_places, n_goods)), r.random(n_places), r.random(n_edges)]
        st.append(r.random((n_edges, n_goods)))
        initial, counted = own.copy(), st[3].copy()
        want_own, want_risk, want_st = own.copy(), risk.copy(), [a.copy() for a in st]
        _plain_learn_and_count(
            crew, place, good, units, value, outcome, edge, network, livelihood, want_own, 0.3, want_risk, 0.2, want_st
        )
        keep_of = (1.0 - 0.2) ** np.arange(n + 1)
        route_kernels.learn_and_count(
            crew, place, good, units, value, outcome, edge, network, livelihood, own, 0.3, risk, keep_of, *st
        )
        assert _same_bits(own, want_own) and _same_bits(risk, want_risk)
        assert all(_same_bits(a, b) for a, b in zip(st, want_st, strict=True))
        if n:  # something was compared: risks learned, links counted
            assert not np.array_equal(own, initial) and not np.array_equal(st[3], counted)


def test_learn_and_count_leaves_counters_alone_without_encounters():
    """No encounter adds nothing, not even a zero (a negative zero stays negative, as accumulate leaves it)."""
    empty_i, empty_f = np.zeros(0, dtype=np.int64), np.zeros(0)
    counters = [np.full(3, -0.0), np.full((3, 2), -0.0), np.full(3, -0.0), np.full(4, -0.0), np.full((4, 2), -0.0)]
    own, risk = np.full((2, 4), 0.5), np.full((2, 4), 0.5)
    args = (empty_i, empty_i, empty_i, empty_i, empty_f, empty_i, empty_i, np.zeros(2, dtype=np.int64))
    route_kernels.learn_and_count(*args, np.zeros(2, dtype=bool), own, 0.3, risk, np.ones(1), *counters)
    assert all(np.signbit(a).all() for a in counters)
    assert (own == 0.5).all() and (risk == 0.5).all()


def _plain_queue(idle, shuffle, group_of, capacity_of, stock, idle_weeks):
    """The planning queue as ``Crews._plan_and_depart`` computed it with numpy before the sixth pass."""
    group = group_of[idle]
    order = np.argsort(group * len(idle) + shuffle)
    queue, grp = idle[order], group[order]
    start = np.searchsorted(grp, grp, side="left")
    cum = np.cumsum(capacity_of[queue])
    ahead = cum - capacity_of[queue] - np.where(start > 0, cum[start - 1], 0)
    front = ahead < stock[grp]
    idle_weeks[queue[~front]] += 1
    return queue[front], grp[front]


def _plain_buy(
    queue, grp, route, go, cols, value_source, transport_unit, pay_unit, protection_unit, route_bloc, north, stock, st
):
    """Purchases and departures as ``Crews._plan_and_depart`` computed them with numpy before the sixth pass."""
    g = cols["good"][queue]
    unit_cost = value_source[g] + transport_unit[route] + pay_unit[route]
    afford = np.floor(cols["cash"][queue] / np.maximum(unit_cost, 1e-9)).astype(np.int64)
    want = np.where(go, np.minimum(cols["capacity"][queue], afford), 0)
    start = np.searchsorted(grp, grp, side="left")
    cum = np.cumsum(want)
    before = cum - want - np.where(start > 0, cum[start - 1], 0)
    got = np.clip(stock[grp] - before, 0, want)
    go = got > 0
    dep, q, r = queue[go], got[go], route[go]
    cols["idle_weeks"][queue[~go]] += 1
    if len(dep) == 0:
        return dep, r, np.zeros(0), np.zeros(0), 0.0
    stock -= np.bincount(grp[go], weights=q, minlength=len(stock)).astype(np.int64)
    gd = cols["good"][dep]
    purchase, transport, fee = q * value_source[gd], q * transport_unit[r], q * protection_unit[r]
    cols["cash"][dep] -= purchase + transport + fee
    cols["outlay"][dep] = purchase + transport + fee
    cols["cargo"][dep] = q
    cols["route"][dep] = r
    cols["bloc"][dep] = route_bloc[r]
    cols["progress"][dep] = 0.0
    cols["state"][dep] = State.MOVING
    cols["idle_weeks"][dep] = 0
    accumulate(st[0], r, q)
    accumulate(st[1], gd, q)
    on = north[r]
    accumulate(st[2], gd[on], q[on])
    return dep, r, purchase, fee, float(transport.sum())


@pytest.mark.parametrize("seed", range(4))
def test_queue_and_purchases_are_the_numpy_form(seed):
    """Random weeks (no idle crews, short and long queues, scarce and ample stock, broke crews): same bits."""
    r = np.random.default_rng(400 + seed)
    n_rows, n_groups, n_goods, n_routes = 300, 9, 4, 40
    for n_idle, stock_scale in ((0, 1), (1, 1), (25, 0), (150, 1), (290, 20)):
        idle = np.sort(r.choice(n_rows, n_idle, replace=False)).astype(np.int64)
        cols = {
            "group": r.integers(0, n_groups, n_rows),
            "good": r.integers(0, n_goods, n_rows),
            "capacity": r.integers(1, 400, n_rows),
            "cash": np.where(r.random(n_rows) < 0.2, r.uniform(-10.0, 50.0, n_rows), r.uniform(0.0, 1e6, n_rows)),
            "idle_weeks": r.integers(0, 9, n_rows),
            "outlay": r.random(n_rows),
            "cargo": r.integers(0, 9, n_rows),
            "route": r.integers(-1, n_routes, n_rows),
            "bloc": r.integers(-1, 3, n_rows),
            "progress": r.random(n_rows),
            "state": r.integers(0, 4, n_rows).astype(np.int8),
        }
        stock = r.integers(0, 2000, n_groups) * stock_scale
        shuffle = r.permutation(n_idle)
        tables = (
            r.uniform(0.0, 300.0, n_goods),
            r.uniform(0.0, 50.0, n_routes),
            np.where(r.random(n_routes) < 0.1, 0.0, r.uniform(0.0, 20.0, n_routes)),
            np.where(r.random(n_routes) < 0.5, 0.0, r.uniform(0.0, 30.0, n_routes)),
            r.integers(-1, 3, n_routes),
            r.random(n_routes) < 0.4,
        )
        want_cols, want_stock = {k: v.copy() for k, v in cols.items()}, stock.copy()
        want_st = [r.random(n_routes), r.random(n_goods), r.random(n_goods)]
        st = [a.copy() for a in want_st]
        queue, grp = route_kernels.queue_front(
            idle, shuffle, cols["group"], cols["capacity"], stock, cols["idle_weeks"]
        )
        plain_queue = _plain_queue(
            idle, shuffle, want_cols["group"], want_cols["capacity"], want_stock, want_cols["idle_weeks"]
        )
        assert all(np.array_equal(a, b) for a, b in zip((queue, grp), plain_queue, strict=True))
        assert np.array_equal(cols["idle_weeks"], want_cols["idle_weeks"])
        route = r.integers(0, n_routes, len(queue))
        go = r.random(len(queue)) < 0.8
        got = route_kernels.buy_and_depart(
            queue, grp, route, go, cols["good"], cols["cash"], cols["capacity"], *tables, stock, cols["outlay"],
            cols["cargo"], cols["route"], cols["bloc"], cols["progress"], cols["state"], cols["idle_weeks"],
            int(State.MOVING), *st,
        )  # fmt: skip
        want = _plain_buy(queue, grp, route, go, want_cols, *tables, want_stock, want_st)
        for a, b in zip(got[:4], want[:4], strict=True):
            assert a.dtype.kind == b.dtype.kind and np.array_equal(a, b) and _same_bits(np.asarray(a, float), b * 1.0)
        assert type(got[4]) is float and _same_bits(np.array(got[4]), np.array(want[4]))
        assert np.array_equal(stock, want_stock)
        for name, col in cols.items():
            assert col.dtype == want_cols[name].dtype and _same_bits(col * 1.0, want_cols[name] * 1.0), name
        assert all(_same_bits(a, b) for a, b in zip(st, want_st, strict=True))
        if n_idle >= 150:  # something happened: some crews wait, some depart
            assert 0 < len(got[0]) < len(idle)


def _plain_arrive(mov, r, g, cargo, new, lost_any, weeks, sink, sink_value, share_rate, factor, cols, books):
    """Arrivals as ``Crews._arrive`` computed them with numpy before the sixth pass (the payments returned)."""
    ledger_delivered, delivered_week, st = books
    arrive = np.flatnonzero(~lost_any & (new >= weeks[r]))
    paid = None
    if len(arrive):
        crews, ga, ra = mov[arrive], g[arrive], r[arrive]
        revenue = cargo[arrive] * sink_value[ra]
        cols["cash"][crews] += revenue
        paid = [float(revenue.sum()), np.zeros(0, dtype=np.int64), np.zeros(0)]
        profit = revenue - cols["outlay"][crews]
        share = np.where((cols["bloc"][crews] >= 0) & (profit > 0), share_rate * profit, 0.0)
        if share.any():
            sel = share > 0
            cols["cash"][crews[sel]] -= share[sel]
            paid[1:] = cols["bloc"][crews[sel]], share[sel]
        accumulate(ledger_delivered, ga, cargo[arrive])
        accumulate(st[0], ga, cargo[arrive])
        accumulate(st[1], ga, revenue)
        accumulate(st[2], ga, profit - share)
        accumulate(st[3], ga, 1)
        delivered_week += np.bincount(
            ga * delivered_week.shape[1] + sink[ra], weights=cargo[arrive], minlength=delivered_week.size
        ).reshape(delivered_week.shape)
        cols["cargo"][crews] = 0
        cols["bloc"][crews] = -1
        cols["state"][crews] = State.RETURNING
        cols["return_left"][crews] = factor * weeks[ra]
    still = ~lost_any & (new < weeks[r])
    cols["progress"][mov[still]] = new[still]
    return paid


@pytest.mark.parametrize("seed", range(4))
def test_arrivals_are_the_numpy_form(seed):
    """Random weeks (no crews, none arriving, many arriving, losses, unprofitable trips, no bloc): same bits."""
    r = np.random.default_rng(500 + seed)
    n_rows, n_routes, n_goods, n_places = 400, 30, 4, 12
    for n, lost_share in ((0, 0.2), (1, 0.0), (50, 1.0), (300, 0.2)):
        mov = np.sort(r.choice(n_rows, n, replace=False)).astype(np.int64)
        route = r.integers(0, n_routes, n)
        good = r.integers(0, n_goods, n)
        cargo = r.integers(1, 400, n)
        weeks = r.uniform(0.5, 6.0, n_routes)
        new = r.integers(1, 7, n).astype(float)
        lost_any = r.random(n) < lost_share
        sinks = r.integers(0, n_places, n_routes)
        weeks.flags.writeable = sinks.flags.writeable = False  # read-only, as the routes' are (one compiled form)
        tables = (weeks, sinks, r.uniform(0.0, 2000.0, n_routes), 0.25, 1.5)
        cols = {
            "cash": r.uniform(0.0, 1e6, n_rows),
            "outlay": r.uniform(0.0, 4e5, n_rows),
            "bloc": r.integers(-1, 3, n_rows),
            "cargo": r.integers(0, 400, n_rows),
            "state": r.integers(0, 4, n_rows).astype(np.int8),
            "return_left": r.random(n_rows),
            "progress": r.random(n_rows),
        }
        books = (r.integers(0, 999, n_goods), r.random((n_goods, n_places)), [r.random(n_goods) for _ in range(4)])
        want_cols = {k: v.copy() for k, v in cols.items()}
        want_books = (books[0].copy(), books[1].copy(), [a.copy() for a in books[2]])
        want = _plain_arrive(mov, route, good, cargo, new, lost_any, *tables, want_cols, want_books)
        got = route_kernels.arrive_and_sell(
            mov, route, good, cargo, new, lost_any, *tables, int(State.RETURNING), *cols.values(), books[0], books[1],
            *books[2],
        )  # fmt: skip
        if want is None:
            assert got[0] == 0
        else:
            assert got[0] > 0 and type(got[1]) is float and _same_bits(np.array(got[1]), np.array(want[0]))
            assert np.array_equal(got[2], want[1]) and _same_bits(got[3], want[2])
        for name, col in cols.items():
            assert col.dtype == want_cols[name].dtype and _same_bits(col * 1.0, want_cols[name] * 1.0), name
        assert np.array_equal(books[0], want_books[0]) and _same_bits(books[1], want_books[1])
        assert all(_same_bits(a, b) for a, b in zip(books[2], want_books[2], strict=True))
        if n == 300:  # something to compare: arrivals, shares paid, crews still on the road
            assert got[0] > 10 and len(got[2]) > 0 and (new[~lost_any] < weeks[route[~lost_any]]).any()


def _plain_enter_goods(crews, goods, counts):
    """``Crews.enter_goods`` as numpy computed it before the sixth pass (draws good after good, then the rows)."""
    keep = counts > 0
    goods, counts = goods[keep], counts[keep]
    if not len(goods):
        return
    rng, routes, p = crews.model.rng, crews.routes, crews.p
    mean_supply = crews.model.market.mean_supply
    group, u, net_pick, p_merc, p_local = [], [], [], [], []
    for good, n in zip(goods.tolist(), counts.tolist(), strict=True):
        groups = crews.groups_of_good[good]
        share = mean_supply[groups]
        group.append(rng.choice(groups, size=n, p=share / share.sum()))
        a = max(crews.profit_ema[good], 0.0)
        p_merc.append(a / (a + p.mercenary_profit_usd))
        p_local.append(p.local_share_livelihood if crews.livelihood[good] else p.local_share_other)
        u.append(rng.random(n))
        net_pick.append(rng.integers(0, 1 << 30, size=n))
    group, u, net_pick = np.concatenate(group), np.concatenate(u), np.concatenate(net_pick)
    merc = np.repeat(np.array(p_merc, dtype=float), counts)
    local = np.repeat(np.array(p_local, dtype=float), counts)
    kind = np.where(u < merc, Kind.MERCENARY, np.where(u < merc + (1 - merc) * local, Kind.LOCAL, Kind.TRANSNATIONAL))
    good = np.repeat(goods, counts)
    slots = crews.add(len(good))
    home = routes.group_source[group]
    network = np.where(
        kind == Kind.LOCAL,
        crews.local_network_of[home],
        np.where(
            kind == Kind.TRANSNATIONAL,
            crews.first_transnational + net_pick % p.n_transnational_networks,
            crews.first_mercenary + net_pick % p.n_mercenary_networks,
        ),
    )
    capacity = np.maximum(1, np.round(crews.capacity_of[good] * crews.kind_capacity[kind])).astype(np.int64)
    ref = capacity * (0.5 * (crews.value_source[good] + crews.model.market.value_sink[good]))
    cash = p.start_capital_trips * ref
    c = crews.cols
    c["kind"][slots], c["good"][slots], c["group"][slots], c["home"][slots] = kind, good, group, home
    c["network"][slots], c["cash"][slots], c["capacity"][slots] = network, cash, capacity
    c["state"][slots], c["route"][slots], c["bloc"][slots] = State.IDLE, -1, -1
    c["cargo_value_ref"][slots], c["born"][slots] = ref, crews.model.week_index
    c["own_risk"][slots] = crews.network_risk[network]
    end = np.cumsum(counts)
    for start, stop in zip((end - counts).tolist(), end.tolist(), strict=True):
        crews.model.ledger.pay("capital_in", "investors", "traffickers", float(cash[start:stop].sum()))
    crews.model.stats.events["entered"] += len(good)


@pytest.mark.parametrize("case", range(4))
def test_entrants_are_the_numpy_form(model, case):
    """Entrants of several goods (none, one, many; negative and large recent profits): same rows, books, stream."""
    r = np.random.default_rng(600 + case)
    crews = model.crews
    n_goods = len(crews.return_ema)
    goods = np.arange(n_goods)
    counts = r.poisson(np.where(crews.supportable > 0, 6.0, 0.0))  # cases 2 and 3: many goods
    if case < 2:  # none at all, or three crews of one good
        counts = np.zeros(n_goods, dtype=np.int64)
        counts[2] = 3 * case
    fast, plain = copy.deepcopy(model), copy.deepcopy(model)
    for m in (fast, plain):  # some goods' recent profit per trip negative, some large (mostly mercenary entrants)
        m.crews.profit_ema[:] = np.random.default_rng(case).uniform(-1e5, 1e6, n_goods)
        m.routes.group_source.flags.writeable = False  # as built (a deep copy is writable: another compiled form)
    fast.crews.enter_goods(goods, counts)
    _plain_enter_goods(plain.crews, goods, counts)
    assert fast.crews.n_alive == plain.crews.n_alive == crews.n_alive + counts.sum()
    for name, col in plain.crews.cols.items():
        assert col.dtype == fast.crews.cols[name].dtype and _same_bits(fast.crews.cols[name] * 1.0, col * 1.0), name
    assert [a.unique_id for a in fast.crews.agents if a] == [a.unique_id for a in plain.crews.agents if a]
    assert fast.ledger.balances == plain.ledger.balances
    assert fast.stats.events["entered"] == plain.stats.events["entered"]
    assert fast.rng.bit_generator.state == plain.rng.bit_generator.state and fast.rng.random() == plain.rng.random()
    if counts.sum() > 20:  # all three kinds entered
        born = fast.crews.born == fast.week_index
        assert len(np.unique(fast.crews.kind[fast.crews.alive & born])) == 3


def _plain_lose(s, how, lost_value, mov, g, cargo, r, first, cum_weeks, factor, cols, books):
    """Lost cargoes as ``Crews._lose_cargo`` counted them with numpy before the sixth pass (arrests aside)."""
    ledger_seized, ledger_stolen, st = books
    crews, gs = mov[s], g[s]
    seized = how == Outcome.SEIZED
    accumulate(ledger_seized, gs[seized], cargo[s][seized])
    accumulate(st[0], gs[seized], cargo[s][seized])
    accumulate(st[1], gs[seized], lost_value[seized])
    accumulate(ledger_stolen, gs[~seized], cargo[s][~seized])
    accumulate(st[2], gs[~seized], cargo[s][~seized])
    accumulate(st[3], gs, -cols["outlay"][crews])
    accumulate(st[4], gs, 1)
    cols["cargo"][crews] = 0
    cols["bloc"][crews] = -1
    cols["state"][crews] = State.RETURNING
    cols["return_left"][crews] = factor * cum_weeks[r[s], first[s]]


@pytest.mark.parametrize("seed", range(4))
def test_lost_cargoes_are_the_numpy_form(seed):
    """Random weeks (one loss, only robberies, only seizures, many of both): same columns and books."""
    r = np.random.default_rng(700 + seed)
    n_rows, n_routes, width, n_goods = 400, 30, 9, 4
    for n, seized_share in ((1, 0.5), (20, 0.0), (20, 1.0), (300, 0.5)):
        mov = np.sort(r.choice(n_rows, n, replace=False)).astype(np.int64)
        route, good, cargo = r.integers(0, n_routes, n), r.integers(0, n_goods, n), r.integers(1, 400, n)
        per_crew = r.integers(1, 4, n)  # encounters per crew, in crew order
        pi = np.repeat(np.arange(n), per_crew)
        losers = np.flatnonzero(r.random(n) < 0.6) if n > 1 else np.array([0])
        lost_at = (np.cumsum(per_crew) - 1)[losers]  # each loser's last encounter is its loss
        outcome = r.integers(0, 3, len(pi))
        outcome[lost_at] = np.where(r.random(len(lost_at)) < seized_share, Outcome.SEIZED, Outcome.ROBBED)
        value = r.uniform(0.0, 1e6, len(pi))
        first = r.integers(1, width, n)
        cum_weeks = np.cumsum(r.uniform(0.1, 2.0, (n_routes, width)), axis=1)
        cum_weeks.flags.writeable = False  # read-only, as the routes' are (one compiled form)
        cols = {
            "outlay": r.uniform(0.0, 4e5, n_rows),
            "cargo": r.integers(0, 400, n_rows),
            "bloc": r.integers(-1, 3, n_rows),
            "state": r.integers(0, 4, n_rows).astype(np.int8),
            "return_left": r.random(n_rows),
        }
        books = (r.integers(0, 999, n_goods), r.integers(0, 999, n_goods), [r.random(n_goods) for _ in range(5)])
        want_cols = {k: v.copy() for k, v in cols.items()}
        want_books = (books[0].copy(), books[1].copy(), [a.copy() for a in books[2]])
        s = pi[lost_at]
        _plain_lose(
            s, outcome[lost_at], value[lost_at], mov, good, cargo, route, first, cum_weeks, 1.5, want_cols, want_books
        )
        route_kernels.lose_cargo(
            lost_at, pi, outcome, value, mov, good, cargo, route, first, cum_weeks, 1.5, int(State.RETURNING),
            *cols.values(), books[0], books[1], *books[2],
        )  # fmt: skip
        for name, col in cols.items():
            assert col.dtype == want_cols[name].dtype and _same_bits(col * 1.0, want_cols[name] * 1.0), name
        assert np.array_equal(books[0], want_books[0]) and np.array_equal(books[1], want_books[1])
        assert all(_same_bits(a, b) for a, b in zip(books[2], want_books[2], strict=True))
        assert (cols["state"][mov[s]] == State.RETURNING).all()  # something changed


def _plain_upkeep_and_exit(cols, upkeep_share, exit_share, patience, st_upkeep):
    """``Crews._pay_upkeep`` and ``Crews._exit`` as numpy computed them before the sixth pass (payments returned)."""
    alive = np.flatnonzero(cols["alive"])
    due = upkeep_share * cols["cargo_value_ref"][alive]
    paid = np.minimum(cols["cash"][alive], due)
    cols["cash"][alive] -= paid
    accumulate(st_upkeep, cols["good"][alive], paid)
    idle = cols["alive"] & (cols["state"] == State.IDLE)
    broke = cols["cash"] < exit_share * cols["cargo_value_ref"]
    bored = cols["idle_weeks"] >= patience
    return alive, paid, np.flatnonzero(idle & (broke | bored))


@pytest.mark.parametrize("seed", range(4))
def test_upkeep_and_exit_are_the_numpy_form(seed):
    """Random tables (none alive, broke crews, negative and NaN cash, the patient and the bored): same bits."""
    r = np.random.default_rng(800 + seed)
    for n_rows, alive_share in ((5, 0.0), (1, 1.0), (500, 0.7)):
        cash = np.where(r.random(n_rows) < 0.2, r.uniform(-10.0, 100.0, n_rows), r.uniform(0.0, 1e5, n_rows))
        cash[r.random(n_rows) < 0.02] = np.nan
        cols = {
            "alive": r.random(n_rows) < alive_share,
            "state": r.integers(0, 4, n_rows).astype(np.int8),
            "cash": cash,
            "cargo_value_ref": r.uniform(0.0, 1e5, n_rows),
            "good": r.integers(0, 4, n_rows),
            "idle_weeks": r.integers(0, 30, n_rows),
        }
        st = r.random(4)
        want_st = st.copy()
        want_cols = {k: v.copy() for k, v in cols.items()}
        want = _plain_upkeep_and_exit(want_cols, 0.01, 0.3, 20, want_st)
        alive, state, *rest = cols.values()
        got = route_kernels.upkeep_and_exit(alive, state, int(State.IDLE), *rest, 0.01, 0.3, 20, st)
        assert np.array_equal(got[0], want[0]) and _same_bits(got[1], want[1]) and np.array_equal(got[2], want[2])
        assert _same_bits(cols["cash"], want_cols["cash"]) and _same_bits(st, want_st)
        if n_rows == 500:  # something to compare: some leave, some stay
            assert 0 < len(got[2]) < len(got[0])


def _plain_entry_rates(cols, st, supportable, return_ema, profit_ema, group_good, stock, supply, entry_rate):
    """The entry rates as ``Crews._entry`` computed them with numpy before the sixth pass."""
    n_goods = len(return_ema)
    alive = np.flatnonzero(cols[0])
    capital = np.bincount(cols[1][alive], weights=cols[2][alive], minlength=n_goods)
    weekly_return = np.divide(st[0] - st[1], capital, out=np.zeros(n_goods), where=capital > 0)
    mean_trip = np.divide(st[0], st[2], out=profit_ema.copy(), where=st[2] > 0)
    traded = supportable > 0
    return_ema[traded] += 0.1 * (weekly_return[traded] - return_ema[traded])
    profit_ema[traded] += 0.1 * (mean_trip[traded] - profit_ema[traded])
    left = np.bincount(group_good, weights=stock, minlength=n_goods)
    room = np.minimum(1.0, np.divide(left, supply, out=np.zeros(n_goods), where=supply > 0))
    return entry_rate * supportable * np.maximum(return_ema * 52.0, 0.0) * room


@pytest.mark.parametrize("seed", range(4))
def test_entry_rates_are_the_numpy_form(seed):
    """Random weeks (goods not traded, without crews, trips or supply; negative returns, gluts): same bits."""
    r = np.random.default_rng(900 + seed)
    n_rows, n_goods, n_groups = 600, 7, 20
    cols = (
        r.random(n_rows) < 0.6,
        r.integers(0, n_goods - 1, n_rows),
        r.uniform(0.0, 1e5, n_rows),
    )  # no crews of the last
    st = (
        r.uniform(-1e5, 1e6, n_goods),
        r.uniform(0.0, 1e4, n_goods),
        np.where(r.random(n_goods) < 0.3, 0.0, r.integers(1, 9, n_goods) * 1.0),
    )
    supportable = np.where(r.random(n_goods) < 0.2, 0.0, r.uniform(1.0, 80.0, n_goods))
    emas = (r.uniform(-0.02, 0.08, n_goods), r.uniform(-1e4, 1e5, n_goods))
    group_good = r.integers(0, n_goods, n_groups)
    group_good.flags.writeable = False  # read-only, as the market's is (one compiled form)
    stock = np.where(r.random(n_groups) < 0.3, 0, r.integers(0, 5000, n_groups))
    supply = np.where(r.random(n_goods) < 0.2, 0.0, r.uniform(100.0, 3000.0, n_goods))
    want_emas = (emas[0].copy(), emas[1].copy())
    want = _plain_entry_rates(cols, st, supportable, *want_emas, group_good, stock, supply, 0.02)
    got = route_kernels.entry_rates(*cols, *st, supportable, *emas, group_good, stock, supply, 0.02)
    assert _same_bits(got, want) and _same_bits(emas[0], want_emas[0]) and _same_bits(emas[1], want_emas[1])
    assert (got > 0).any() and (got == 0).any()  # something to compare: goods entered and goods closed


def _plain_protection(nodes, live, protecting, alliance, toll, needs_protection, route_good):
    """Each route's protecting bloc and tolls as numpy computed them before the kernel (seventh pass)."""
    n_routes, width = nodes.shape
    bloc_at = np.where(live, protecting[nodes], -1)
    n_blocs = int(max(protecting.max(), 0)) + 1
    counts = np.zeros((n_routes, n_blocs + 1))
    accumulate(counts, (np.repeat(np.arange(n_routes), width), bloc_at.ravel() + 1), 1.0)
    counts[:, 0] = 0.0
    best = np.argmax(counts, axis=1)
    protected = (counts.max(axis=1) > 0) & needs_protection[route_good]
    bloc = np.where(protected, best - 1, -1)
    exempt = np.where(live, alliance[nodes], -1) == bloc[:, None]
    return protected, bloc, np.where(exempt & (bloc[:, None] >= 0), 0.0, toll[nodes])


@pytest.mark.parametrize("seed", range(6))
def test_protection_and_tolls_are_the_numpy_form(seed):
    """Ties (lowest bloc wins), no blocs at all, unprotected goods, allies exempt, padding reading place 0."""
    r = np.random.default_rng(seed)
    n_places, n_routes, width, n_goods = 12, 30, 7, 3
    n_blocs = [0, 1, 3, 4, 2, 5][seed]
    protecting = r.integers(-1, n_blocs, n_places) if n_blocs else np.full(n_places, -1)
    alliance = np.where(r.random(n_places) < 0.7, protecting, r.integers(-1, max(n_blocs, 1), n_places))
    toll = np.round(r.random(n_places), 1)
    toll[r.random(n_places) < 0.2] = 0.0
    nodes = r.integers(0, n_places, (n_routes, width))
    live = r.random((n_routes, width)) < 0.7
    live[:, 0] = False
    live[0] = False  # a route passing nowhere
    nodes = np.where(live, nodes, 0)
    needs = r.random(n_goods) < 0.6
    good = r.integers(0, n_goods, n_routes)
    good.flags.writeable = False  # read-only, as the routes' are (one compiled form)
    got = route_kernels.protection_and_tolls(nodes, live, protecting, alliance, toll, needs, good)
    want = _plain_protection(nodes, live, protecting, alliance, toll, needs, good)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    assert got[1].dtype == want[1].dtype and _same_bits(got[2], want[2])
    if n_blocs and needs.any():
        assert got[0].any()


def test_the_models_protection_and_tolls_are_the_numpy_form(model):
    crews, blocks = model.crews, model.roadblocks
    args = (crews.safe_passed, crews.live_positions, blocks.protecting, blocks.alliance, blocks.toll)
    got = route_kernels.protection_and_tolls(*args, crews.needs_protection, crews.routes.good)
    want = _plain_protection(*args, crews.needs_protection, crews.routes.good)
    assert got[0].any() and np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    assert _same_bits(got[2], want[2]) and _same_bits(crews.route_toll, want[2])


def _plain_come_home(alive, state, return_left):
    """Crews coming home and the idle crews' rows as numpy computed them before the seventh pass."""
    back = np.flatnonzero(alive & (state == State.RETURNING))
    left = return_left[back] - 1.0
    return_left[back] = left
    state[back[left <= 0]] = State.IDLE
    return np.flatnonzero(alive & (state == State.IDLE))


@pytest.mark.parametrize("seed", range(4))
def test_come_home_is_the_numpy_form(seed):
    """Dead rows, every state, weeks left around zero (signed zeros, NaN): the same rows and columns after."""
    r = np.random.default_rng(seed)
    n = [0, 1, 60, 300][seed]
    alive = r.random(n) < 0.8
    state = r.integers(0, 4, n).astype(np.int8)
    return_left = r.choice(np.array([-0.0, 0.0, 0.5, 1.0, 1.5, 2.0, 7.0, np.nan]), n)
    before = state.copy()
    plain = (alive.copy(), state.copy(), return_left.copy())
    want = _plain_come_home(*plain)
    got = route_kernels.come_home(alive, state, return_left, int(State.RETURNING), int(State.IDLE))
    assert np.array_equal(got, want) and got.dtype == want.dtype
    assert np.array_equal(state, plain[1]) and _same_bits(return_left, plain[2])
    if n > 50:  # some crews came home, some are still on their way
        assert (alive & (before == State.RETURNING) & (state == State.IDLE)).any()
        assert (alive & (state == State.RETURNING)).any()


def _plain_met(met, pi, mov, place, good, cargo, value, outcome, pay, who, on_route, edges, cash, paid, cols):
    """What ``Crews._travel`` did with numpy after the outcomes, before the seventh pass."""
    bribe, toll, services = pay
    bought = np.flatnonzero(services)
    cols["cash"][mov] = cash - paid
    cols["outlay"][mov] += paid
    m = np.flatnonzero(met)
    ii = pi[m]
    official = who[m] if who is not None else np.zeros(0, dtype=np.int64)
    fields = (mov[ii], place[m], good[m], cargo[ii], value[m], outcome[m], bribe[m], toll[m], official)
    return (place[bought], services[bought], *fields, edges.ravel().take(on_route[m]))


@pytest.mark.parametrize("seed", range(4))
def test_met_encounters_are_the_numpy_form(seed):
    """Payments, services bought (NaN and signed zeros), met entries with and without officials, none met."""
    r = np.random.default_rng(seed)
    n_rows, n, width, n_places = 50, [0, 1, 12, 30][seed], 6, 9
    mov = np.sort(r.choice(n_rows, n, replace=False))
    count = r.integers(0, 4, n)
    pi = np.repeat(np.arange(n), count)
    m = len(pi)
    pj = np.concatenate([np.arange(k) for k in count]).astype(np.int64) if m else np.zeros(0, dtype=np.int64)
    edges = r.integers(-1, 40, (25, width))
    edges.flags.writeable = False  # read-only, as the routes' are (one compiled form)
    on_route = r.integers(0, 25, m) * width + pj
    place, good = r.integers(0, n_places, m), r.integers(0, 3, m)
    cargo, value = r.integers(1, 100, n), r.uniform(0.0, 1e5, m)
    outcome = r.integers(0, 5, m)
    pay = np.where(r.random((3, m)) < 0.3, 0.0, r.uniform(0.0, 50.0, (3, m)))
    pay[2, r.random(m) < 0.1] = -0.0
    pay[2, r.random(m) < 0.05] = np.nan
    met = r.random(m) < 0.7
    cash, paid = r.uniform(0.0, 1e4, n), r.uniform(0.0, 100.0, n)
    for who in (None, r.integers(-1, 20, m)):
        cols = {"cash": r.uniform(0.0, 1e4, n_rows), "outlay": r.uniform(0.0, 1e3, n_rows)}
        plain_cols = {k: v.copy() for k, v in cols.items()}
        want = _plain_met(
            met, pi, mov, place, good, cargo, value, outcome, pay, who, on_route, edges, cash, paid, plain_cols
        )
        got = route_kernels.met_encounters(
            met,
            pi,
            mov,
            place,
            good,
            cargo,
            value,
            outcome,
            pay,
            np.zeros(0, dtype=np.int64) if who is None else who,
            on_route,
            edges.ravel(),
            cash,
            paid,
            cols["cash"],
            cols["outlay"],
        )
        assert len(got) == len(want)
        for a, b in zip(got, want, strict=True):
            assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
        assert all(cols[k].tobytes() == plain_cols[k].tobytes() for k in cols)
        if seed == 3:
            assert len(got[2]) > 5 and len(got[0]) > 5


def test_the_gumbel_bound_of_route_choice_stays_above_every_gumbel_value():
    """``min(GUMBEL_MAX, u / (1 - u))`` above numpy's ``0 - log(-log(u))`` by a quarter unit, for every ``u`` drawn.

    ``u = 1 - random()`` with zeros redrawn, so ``u`` is in ``(0, 1 - 2**-53]``.
    """
    u = np.concatenate(
        [
            np.linspace(0.0, 1.0, 1_000_001)[1:-1],
            1.0 - np.logspace(-53, -1, 2000, base=2.0),
            np.logspace(-1074, -1, 2000, base=2.0),
            np.random.default_rng(0).random(200_000),
        ]
    )
    u = u[(u > 0.0) & (u <= 1.0 - 2.0**-53)]
    assert u.max() == 1.0 - 2.0**-53
    gumbel = 0 - np.log(-np.log(u))
    bound = np.minimum(u / (1.0 - u), route_kernels.GUMBEL_MAX)
    assert (bound - gumbel).min() > 0.25
