"""The crews' merged kernels of the tenth pass (issue 18) against the calls they replaced, bit for bit.

Each merged kernel runs, in one call, kernels that ``Crews`` called one after the other with numpy
between them; ``tests/test_route_kernels.py`` checks each of those against its numpy form. Here
the merged call is compared with the sequence of calls (and the numpy glue) on random weeks:
no crews, no places passed, no losses, many of everything, with and without officials.
"""

from __future__ import annotations

import numpy as np
import pytest
from bitwise import bits as _bits

from sim import kernel_rng
from sim.agents import route_kernels
from sim.agents.trafficker import State
from sim.draws import gumbel_uniforms


def _week(r, n_rows, n, width, n_places, n_routes):
    """A random week of ``n`` moving crews (rows of ``n_rows``), each passing 0 to 3 consecutive positions."""
    mov = np.sort(r.choice(n_rows, n, replace=False)).astype(np.int64)
    start = r.integers(0, width, size=n)
    count = np.minimum(r.integers(0, 4, size=n), width - start)
    pi = np.repeat(np.arange(n), count)
    pj = np.arange(len(pi)) + np.repeat(start - (np.cumsum(count) - count), count)
    m = len(pi)
    route = r.integers(0, n_routes, n)
    odds = [np.where(r.random(m) < 0.3, 0.0, r.uniform(0.0, 0.6, m)) for _ in range(3)]
    entries = {
        "pi": pi,
        "pj": pj,
        "place": r.integers(0, n_places, m),
        "seize": odds[0],
        "settle": odds[1],
        "routine": odds[2],
        "value": r.uniform(0.0, 1e6, m) * (r.random(m) < 0.95),
        "mov": mov,
        "good": r.integers(0, 4, m),
        "cargo": r.integers(1, 400, n),
        "on_route": route[pi] * width + pj,
    }
    cols = {
        "broker_until": r.integers(0, 20, n_rows),
        "travel_ban": np.where(r.random(n_rows) < 0.3, r.uniform(0.0, 3.0, n_rows), 0.0),
        "bloc": r.integers(-1, 4, n_rows),
        "cash": np.where(r.random(n_rows) < 0.3, r.uniform(0.0, 1e4, n_rows), r.uniform(0.0, 1e7, n_rows)),
        "outlay": r.uniform(0.0, 4e5, n_rows),
    }
    places = {
        "crossing": r.random(n_places) < 0.4,
        "rob": np.where(r.random(n_places) < 0.5, 0.0, r.uniform(0.0, 0.3, n_places)),
        "settle_share": r.uniform(0.0, 0.2, n_places),
        "routine_share": r.uniform(0.0, 0.05, n_places),
        "alliance": r.integers(-1, 4, n_places),
        "toll": np.where(r.random(n_places) < 0.5, 0.0, r.uniform(0.0, 0.1, n_places)),
    }
    return route, entries, cols, places


def _encounters_as_before(uniform, e, who, edges, cols, places, week):
    """``Crews._travel`` before the tenth pass: the gathers, ``encounters_and_dues``, ``met_encounters``."""
    mov = e["mov"]
    cash = cols["cash"][mov]
    outcome, first, met, pay, paid, lost_at = route_kernels.encounters_and_dues(
        uniform, e["pi"], e["pj"], e["place"], e["seize"], e["settle"], e["routine"], e["value"],
        cols["broker_until"][mov] > week, 0.5, cols["travel_ban"][mov], places["crossing"], cols["bloc"][mov],
        places["rob"], places["settle_share"], places["routine_share"], places["alliance"], places["toll"], 0.03, cash,
    )  # fmt: skip
    books = route_kernels.met_encounters(
        met, e["pi"], mov, e["place"], e["good"], e["cargo"], e["value"], outcome, pay, who, e["on_route"], edges,
        cash, paid, cols["cash"], cols["outlay"],
    )  # fmt: skip
    return (outcome, first, lost_at, *books)


def _encounters_merged(uniform, e, who, edges, cols, places, week):
    return route_kernels.encounters_met(
        uniform, e["pi"], e["pj"], e["place"], e["seize"], e["settle"], e["routine"], e["value"], e["mov"], e["good"],
        e["cargo"], e["on_route"], who, edges, cols["broker_until"], week, 0.5, cols["travel_ban"], places["crossing"],
        cols["bloc"], places["rob"], places["settle_share"], places["routine_share"], places["alliance"],
        places["toll"], 0.03, cols["cash"], cols["outlay"],
    )  # fmt: skip


CASES = ((0, 5), (1, 3), (40, 7), (300, 24), (60, 140))  # moving crews, route width


@pytest.mark.parametrize("seed", range(3))
def test_encounters_met_is_the_two_calls_it_replaced(seed):
    """Outcomes, losses, payments, services bought, met entries and the crews' cash and outlay: same bits."""
    r = np.random.default_rng(1000 + seed)
    n_rows, n_places, n_routes, week = 400, 30, 25, 10
    for n, width in CASES:
        _route, e, cols, places = _week(r, n_rows, n, width, n_places, n_routes)
        edges = r.integers(-1, 40, n_routes * width)
        edges.flags.writeable = False  # read-only, as the routes' are (one compiled form)
        uniform = r.random((n, width))
        for who in (np.zeros(0, dtype=np.int64), r.integers(-1, 20, len(e["pi"]))):
            want_cols = {k: v.copy() for k, v in cols.items()}
            got_cols = {k: v.copy() for k, v in cols.items()}
            want = _encounters_as_before(uniform, e, who, edges, want_cols, places, week)
            got = _encounters_merged(uniform, e, who, edges, got_cols, places, week)
            assert len(got) == len(want) == 15
            assert all(_bits(a) == _bits(b) for a, b in zip(got, want, strict=True))
            assert all(_bits(got_cols[k]) == _bits(want_cols[k]) for k in cols)
            if n == 300:  # something to compare: losses, crews that got through, services, payments
                assert len(got[2]) > 10 and (got[1] == width).any() and len(got[4]) > 10
                assert not np.array_equal(got_cols["cash"], cols["cash"])


def _after_as_before(a, cols, books):
    """``Crews._travel`` after the settlement, before the tenth pass: learning, lost cargoes, arrivals."""
    route_kernels.learn_and_count(*a["learn"], cols["network"], a["livelihood"], cols["own_risk"], 0.3,
                                  books["network_risk"], a["keep_of"], *books["counts"])  # fmt: skip
    mov, r, g, cargo = a["mov"], a["r"], a["g"], a["cargo"]
    if len(a["lost_at"]):
        route_kernels.lose_cargo(
            a["lost_at"], a["pi"], a["outcome"], a["value"], mov, g, cargo, r, a["first"], a["cum_weeks"], 1.5,
            int(State.RETURNING), cols["outlay"], cols["cargo"], cols["bloc"], cols["state"], cols["return_left"],
            books["seized"], books["stolen"], *books["lost"], books["trip_profit"], books["trips"],
        )  # fmt: skip
    lost_any = a["first"] < a["cum_weeks"].shape[1]
    return route_kernels.arrive_and_sell(
        mov, r, g, cargo, a["old"] + 1.0, lost_any, a["weeks"], a["sink"], a["sink_value"], 0.25, 1.5,
        int(State.RETURNING), cols["cash"], cols["outlay"], cols["bloc"], cols["cargo"], cols["state"],
        cols["return_left"], cols["progress"], books["delivered"], books["delivered_week"], *books["sold"],
        books["trip_profit"], books["trips"],
    )  # fmt: skip


def _after_merged(a, cols, books):
    return route_kernels.after_encounters(
        *a["learn"], cols["network"], a["livelihood"], cols["own_risk"], 0.3, books["network_risk"], a["keep_of"],
        *books["counts"], a["lost_at"], a["pi"], a["outcome"], a["value"], a["mov"], a["r"], a["g"], a["cargo"],
        a["old"], a["first"], a["cum_weeks"], a["weeks"], a["sink"], a["sink_value"], 0.25, 1.5,
        int(State.RETURNING), cols["cash"], cols["outlay"], cols["cargo"], cols["bloc"], cols["state"],
        cols["return_left"], cols["progress"], books["seized"], books["stolen"], books["delivered"],
        books["delivered_week"], *books["lost"], *books["sold"], books["trip_profit"], books["trips"],
    )  # fmt: skip


def _copy(tree):
    if isinstance(tree, dict):
        return {k: _copy(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_copy(v) for v in tree]
    return tree.copy()


def _flat(tree):
    if isinstance(tree, dict):
        return [x for v in tree.values() for x in _flat(v)]
    if isinstance(tree, list):
        return [x for v in tree for x in _flat(v)]
    return [_bits(tree)]


@pytest.mark.parametrize("seed", range(3))
def test_after_encounters_is_the_three_calls_it_replaced(seed):
    """Learning, counts, lost cargoes and arrivals of weeks drawn by ``encounters_met``: same bits everywhere."""
    r = np.random.default_rng(2000 + seed)
    n_rows, n_places, n_routes, n_goods, n_edges, n_net = 400, 30, 25, 4, 40, 6
    for n, width in CASES:
        route, e, cols, places = _week(r, n_rows, n, width, n_places, n_routes)
        edges = r.integers(0, n_edges, n_routes * width)
        edges.flags.writeable = False  # read-only, as the routes' are (one compiled form)
        enc = _encounters_merged(r.random((n, width)), e, np.zeros(0, dtype=np.int64), edges, cols, places, 10)
        outcome, first, lost_at, _at, _bought, crew, place, good, units, value, out_m, _b, _t, _o, edge = enc
        mov = e["mov"]
        weeks = r.uniform(0.5, 6.0, n_routes)
        cum_weeks = np.cumsum(r.uniform(0.1, 2.0, (n_routes, width)), axis=1)
        sink = r.integers(0, n_places, n_routes)
        weeks.flags.writeable = cum_weeks.flags.writeable = sink.flags.writeable = False  # as the routes' are
        a = {
            "learn": [crew, place, good, units, value, out_m, edge],
            "livelihood": r.random(n_goods) < 0.5,
            "keep_of": (1.0 - 0.2) ** np.arange(len(crew) + 1),
            "lost_at": lost_at,
            "pi": e["pi"],
            "outcome": outcome,
            "value": e["value"],
            "mov": mov,
            "r": route,
            "g": r.integers(0, n_goods, n),
            "cargo": e["cargo"],
            "old": r.integers(0, 7, n).astype(float),
            "first": first,
            "cum_weeks": cum_weeks,
            "weeks": weeks,
            "sink": sink,
            "sink_value": r.uniform(0.0, 2000.0, n_routes),
        }
        state = {
            "cash": cols["cash"],
            "outlay": cols["outlay"],
            "cargo": r.integers(0, 400, n_rows),
            "bloc": cols["bloc"],
            "state": r.integers(0, 4, n_rows).astype(np.int8),
            "return_left": r.random(n_rows),
            "progress": r.random(n_rows),
            "network": r.integers(0, n_net, n_rows),
            "own_risk": r.random((n_rows, n_places + 1)),
        }
        books = {
            "network_risk": r.random((n_net, n_places + 1)),
            "counts": [r.random(n_places), r.random((n_places, n_goods)), r.random(n_places), r.random(n_edges)],
            "seized": r.integers(0, 999, n_goods),
            "stolen": r.integers(0, 999, n_goods),
            "delivered": r.integers(0, 999, n_goods),
            "delivered_week": r.random((n_goods, n_places)),
            "lost": [r.random(n_goods) for _ in range(3)],
            "sold": [r.random(n_goods) for _ in range(2)],
            "trip_profit": r.random(n_goods),
            "trips": r.random(n_goods),
        }
        books["counts"].append(r.random((n_edges, n_goods)))
        want_state, want_books = _copy(state), _copy(books)
        want = _after_as_before(a, want_state, want_books)
        got = _after_merged(a, state, books)
        assert got[0] == want[0] and _bits(got[1]) == _bits(want[1]) and type(got[1]) is type(want[1])
        assert _bits(got[2]) == _bits(want[2]) and _bits(got[3]) == _bits(want[3])
        assert _flat(state) == _flat(want_state) and _flat(books) == _flat(want_books)
        if n == 300:  # something to compare: losses, arrivals, learning
            assert len(lost_at) > 10 and got[0] > 0
            assert (state["state"][mov[first < width]] == State.RETURNING).all()


def _entry_week(r, entry_rate):
    """Random entry inputs (as tests/test_route_kernels.py's): goods not traded, gluts, negative returns."""
    n_rows, n_goods, n_groups = 600, 7, 20
    cols = [r.random(n_rows) < 0.6, r.integers(0, n_goods - 1, n_rows), r.uniform(0.0, 1e5, n_rows)]
    st = [
        r.uniform(-1e5, 1e6, n_goods),
        r.uniform(0.0, 1e4, n_goods),
        np.where(r.random(n_goods) < 0.3, 0.0, r.integers(1, 9, n_goods) * 1.0),
    ]
    supportable = np.where(r.random(n_goods) < 0.2, 0.0, r.uniform(1.0, 80.0, n_goods))
    emas = [r.uniform(-0.02, 0.08, n_goods), r.uniform(-1e4, 1e5, n_goods)]
    group_good = r.integers(0, n_goods, n_groups)
    group_good.flags.writeable = False  # read-only, as the market's is (one compiled form)
    stock = np.where(r.random(n_groups) < 0.3, 0, r.integers(0, 5000, n_groups))
    supply = np.where(r.random(n_goods) < 0.2, 0.0, r.uniform(100.0, 3000.0, n_goods))
    return [*cols, *st, supportable, *emas, group_good, stock, supply, entry_rate]


def _entrants_as_before(rng, args):
    """``Crews._entry`` before the tenth pass: the rates, numpy's Poisson draws, the goods with entrants."""
    arrivals = rng.poisson(route_kernels.entry_rates(*args))
    keep = arrivals > 0
    return np.arange(len(arrivals))[keep], arrivals[keep]


@pytest.mark.parametrize("seed", range(3))
def test_entrants_by_good_are_the_rates_and_numpys_poisson_draws(seed):
    """Small and large means (both of numpy's Poisson algorithms), none: same entrants, EMAs and stream after."""
    r = np.random.default_rng(3000 + seed)
    seen = []
    for entry_rate in (0.0, 0.02, 0.5, 40.0):
        args = _entry_week(r, entry_rate)
        want_args = [*_copy(args[:-1]), entry_rate]
        compiled, plain = np.random.default_rng(seed), np.random.default_rng(seed)
        want = _entrants_as_before(plain, want_args)
        got = route_kernels.entrants_by_good(kernel_rng.handles(compiled), *args)
        assert _bits(got[0]) == _bits(want[0]) and _bits(got[1]) == _bits(want[1])
        assert _flat(args[:-1]) == _flat(want_args[:-1])  # the running returns and profits
        assert compiled.bit_generator.state == plain.bit_generator.state
        seen.append((len(got[0]), got[1].max(initial=0)))
    assert min(seen) == (0, 0) and max(seen)[1] > 10  # something to compare: weeks without entrants, and many


def test_entrants_by_good_raise_where_numpy_raises_before_drawing():
    """A NaN or negative mean raises, as numpy's ``poisson`` does, and leaves the generator where it was."""
    r = np.random.default_rng(4000)
    nan_args = _entry_week(r, 0.02)
    nan_args[6][0], nan_args[7][0] = 0.0, np.nan  # not traded, a NaN running return: a NaN rate
    for args in (nan_args, _entry_week(r, -0.5)):
        plain, compiled = np.random.default_rng(1), np.random.default_rng(1)
        before = compiled.bit_generator.state
        with pytest.raises(ValueError, match="lam"):
            _entrants_as_before(plain, [*_copy(args[:-1]), args[-1]])
        with pytest.raises(ValueError, match="lam"):
            route_kernels.entrants_by_good(kernel_rng.handles(compiled), *args)
        assert compiled.bit_generator.state == before == plain.bit_generator.state


def _sink_values_as_before(sink_value, seen, value_source, route_good, km_frac, value_at):
    """``Crews._sink_values`` before the tenth pass (``seen`` None the first time): the rows recomputed, or None."""
    if seen is None:
        moved = slice(None)
    else:
        moved = np.flatnonzero(sink_value != seen)
        if not len(moved):
            return None
    vs = value_source[route_good[moved]]
    value_at[moved] = vs[:, None] + (sink_value[moved] - vs)[:, None] * km_frac[moved]
    return moved


@pytest.mark.parametrize("seed", range(3))
def test_sink_values_moved_are_the_numpy_rows(seed):
    """First weeks, weeks with no price moved, a few or all moved, NaN and signed-zero prices: same bits."""
    r = np.random.default_rng(5000 + seed)
    n_routes, width, n_goods = 80, 24, 6
    route_good = r.integers(0, n_goods, n_routes)
    km_frac = np.where(r.random((n_routes, width)) < 0.2, np.nan, r.random((n_routes, width)))
    route_good.flags.writeable = km_frac.flags.writeable = False  # read-only, as the routes' are
    value_source = r.uniform(0.0, 500.0, n_goods)
    seen = r.uniform(0.0, 5000.0, n_routes)
    recomputed = []
    for share in (None, 0.0, 0.05, 1.0):  # None: the first time
        sink_value = seen.copy()
        if share:
            moving = r.random(n_routes) < share
            sink_value[moving] = np.where(r.random(moving.sum()) < 0.2, np.nan, r.uniform(0.0, 5000.0, moving.sum()))
            sink_value[r.integers(0, n_routes, 3)] = -0.0
        value_at = r.random((n_routes, width))
        want_at = value_at.copy()
        want = _sink_values_as_before(sink_value, None if share is None else seen, value_source, route_good, km_frac,
                                      want_at)  # fmt: skip
        got = route_kernels.sink_values_moved(
            sink_value,
            sink_value if share is None else seen,
            share is None,
            value_source,
            route_good,
            km_frac,
            value_at,
        )
        assert got == (want is not None) and _bits(value_at) == _bits(want_at)
        recomputed.append(0 if want is None else len(value_at[want]))
        seen = sink_value
    assert recomputed[0] == n_routes and recomputed[1] == 0 and 0 < recomputed[2] < recomputed[3]


@pytest.mark.parametrize("seed", range(3))
def test_choose_and_depart_is_the_two_calls_it_replaced(seed):
    """Route choice (ties, NaN odds, closed groups, no noise) then purchases and departures: same bits, same stream."""
    r = np.random.default_rng(6000 + seed)
    n_rows, n_groups, n_cand, n_goods, n_routes = 300, 9, 5, 4, 40
    for n, stock_scale in ((0, 1), (1, 1), (25, 0), (150, 1), (290, 20)):
        cols = {
            "good": r.integers(0, n_goods, n_rows),
            "cash": np.where(r.random(n_rows) < 0.2, r.uniform(-10.0, 50.0, n_rows), r.uniform(0.0, 1e6, n_rows)),
            "capacity": r.integers(1, 400, n_rows),
            "outlay": r.random(n_rows),
            "cargo": r.integers(0, 9, n_rows),
            "route": r.integers(-1, n_routes, n_rows),
            "bloc": r.integers(-1, 3, n_rows),
            "progress": r.random(n_rows),
            "state": r.integers(0, 4, n_rows).astype(np.int8),
            "idle_weeks": r.integers(0, 9, n_rows),
        }
        queue = np.sort(r.choice(n_rows, n, replace=False)).astype(np.int64)
        grp = np.sort(r.integers(0, n_groups, n))
        value_source = r.uniform(0.0, 50.0, n_goods)
        value_sink = value_source + r.uniform(-5.0, 300.0, n_goods)
        value_sink[0] = np.nan  # a NaN margin: a NaN scale
        cand_route = r.integers(0, n_routes, (n_groups, n_cand))
        cand = [r.uniform(0.0, top, (n_groups, n_cand)) for top in (1000.0, 100.0, 100.0)]  # sink, transport, pay
        cand_open = r.random((n_groups, n_cand)) < 0.8
        cand_open[0] = False  # a group with every candidate closed
        for table in cand:  # group 1: every candidate alike, so crews tie where there is no noise
            table[1] = table[1, 0]
        survival = np.exp(r.uniform(-3.0, 0.0, (n, n_cand)))
        survival[::4] = 1.0
        if n > 3:
            survival[3, 1] = np.nan
        choice = (cand_route, cand[0], cand[1], cand[2], cand_open)
        per_route = (
            r.uniform(0.0, 50.0, n_routes),
            np.where(r.random(n_routes) < 0.1, 0.0, r.uniform(0.0, 20.0, n_routes)),
            np.where(r.random(n_routes) < 0.5, 0.0, r.uniform(0.0, 30.0, n_routes)),
            r.integers(-1, 3, n_routes),
            r.random(n_routes) < 0.4,
        )
        stock = r.integers(0, 2000, n_groups) * stock_scale
        st = [r.random(n_routes), r.random(n_goods), r.random(n_goods)]
        noise = [0.0, 0.3][n % 2]
        want_cols, want_stock, want_st = _copy(cols), stock.copy(), _copy(st)
        compiled, plain = np.random.default_rng(seed), np.random.default_rng(seed)
        good = want_cols["good"][queue]
        route, go = route_kernels.choose_by_profit(
            survival, grp, good, cand_route, cand[0], value_source, cand[1], cand[2], cand_open,
            noise * (value_sink[good] - value_source[good]), gumbel_uniforms(plain, survival.shape),
        )  # fmt: skip
        want = route_kernels.buy_and_depart(
            queue, grp, route, go, want_cols["good"], want_cols["cash"], want_cols["capacity"], value_source,
            *per_route, want_stock, *list(want_cols.values())[3:], int(State.MOVING), *want_st,
        )  # fmt: skip
        got = route_kernels.choose_and_depart(
            survival, gumbel_uniforms(compiled, survival.shape), noise, value_sink, *choice, queue, grp, cols["good"],
            cols["cash"], cols["capacity"], value_source, *per_route, stock, *list(cols.values())[3:],
            int(State.MOVING), *st,
        )  # fmt: skip
        assert len(got) == len(want) == 5
        assert all(_bits(a) == _bits(b) and type(a) is type(b) for a, b in zip(got, want, strict=True))
        assert _flat(cols) == _flat(want_cols) and _bits(stock) == _bits(want_stock) and _flat(st) == _flat(want_st)
        assert compiled.bit_generator.state == plain.bit_generator.state
        if n >= 150:  # something to compare: departures, and crews left waiting
            assert 0 < len(got[0]) < n
