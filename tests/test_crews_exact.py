"""The crews' and officials' faster forms compute the same numbers as the plain forms (issue 18).

Each test runs the fast form and a plain reference (the form the code had before, or the
library call it stands in for) on the same inputs and asserts bit-equal results.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from sim import libm
from sim.agents import route_kernels
from sim.agents.trafficker import State
from sim.model import SahelModel
from sim.params import ScenarioConfig


@pytest.fixture(scope="module")
def model():
    m = SahelModel(ScenarioConfig(supply_scale=0.1, burn_in_weeks=2), seed=5)
    for _ in range(6):
        m.step()
    return m


def _cover_level_by_level(officials, rows, gain):
    """The patrons' cover climbed one level at a time (the form before the levels were fused)."""
    k = officials.p.kickback_share
    total, depth = np.zeros(gain.shape), np.zeros(len(rows))
    cur, cut = officials.patron[rows], gain * k
    risk = officials.oversight_risk()
    for _ in range(3):
        has = cur >= 0
        if not has.any():
            break
        c = np.maximum(cur, 0)
        gain_term = officials.p.take_gain * libm.log1p(cut / officials.pay[c][:, None])  # the C library's, as the model
        x = gain_term - officials.p.take_integrity * officials.integrity[c][:, None]
        total += np.where(has[:, None], 1.0 / (1.0 + libm.exp(-(x - officials.p.take_risk * risk))), 0.0)
        depth += has
        cur, cut = np.where(has, officials.patron[c], -1), cut * k
    return np.divide(total, depth[:, None], out=np.zeros_like(total), where=depth[:, None] > 0)


def _protection_level_by_level(officials, rows):
    total, depth = np.zeros(len(rows)), np.zeros(len(rows))
    cur = officials.patron[rows]
    for _ in range(3):
        has = cur >= 0
        total[has] += 1.0 - officials.integrity[cur[has]]
        depth[has] += 1
        cur = np.where(has, officials.patron[np.maximum(cur, 0)], -1)
    return np.divide(total, depth, out=np.zeros_like(total), where=depth > 0)


def test_patron_chains_weighed_at_once_equal_level_by_level(model):
    officials = model.officials
    rng = np.random.default_rng(0)
    everyone = officials.alive_rows()
    for rows in (officials.duty, everyone, everyone[officials.patron[everyone] < 0], rng.choice(everyone, 7)):
        gain = rng.random((len(rows), 3)) * 10.0 ** rng.integers(1, 6)
        assert np.array_equal(officials.cover(rows, gain), _cover_level_by_level(officials, rows, gain))
        assert np.array_equal(officials.protection(rows), _protection_level_by_level(officials, rows))
    # the judges' odds of all due cases at once equal each case's own
    judges, offers = rng.choice(everyone, 9), rng.random(9) * 5e4
    at_once = officials.take_odds(judges, offers[:, None])[:, 0]
    pairs = zip(judges, offers, strict=True)
    one_by_one = [officials.take_odds(np.array([j]), np.array([[o]]))[0, 0] for j, o in pairs]
    assert np.array_equal(at_once, one_by_one)


def test_one_bribe_up_the_chain_in_plain_numbers_equals_the_array_form(model):
    officials = model.officials
    fast, plain = copy.deepcopy(model), copy.deepcopy(model)
    for who, amount in [(int(officials.duty[0]), 1234.5678), (int(officials.duty[-1]), 0.1 + 0.2), (0, 98765.4321)]:
        fast.officials._pay_one(who, amount, fast.ledger)
        plain.officials._pay_chain(np.array([who]), np.array([amount]), plain.ledger)
    for col in ("wealth", "rent_week"):
        assert np.array_equal(fast.officials.cols[col], plain.officials.cols[col])
        assert not np.array_equal(fast.officials.cols[col], officials.cols[col])
    assert fast.ledger.balances == plain.ledger.balances


def test_entering_several_goods_at_once_equals_good_after_good(model):
    crews = model.crews
    goods = np.flatnonzero(crews.supportable > 0)[:3]
    counts = np.array([5, 0, 17])[: len(goods)]
    fast, plain = copy.deepcopy(model), copy.deepcopy(model)
    fast.crews.enter_goods(goods, counts)
    for g, n in zip(goods.tolist(), counts.tolist(), strict=True):
        plain.crews.enter(g, n)
    assert fast.crews.n_alive == plain.crews.n_alive == crews.n_alive + counts.sum()
    for name, col in plain.crews.cols.items():
        assert np.array_equal(fast.crews.cols[name], col), name
    assert [a.unique_id for a in fast.crews.agents if a] == [a.unique_id for a in plain.crews.agents if a]
    assert fast.ledger.balances == plain.ledger.balances
    assert fast.rng.random() == plain.rng.random()


def test_places_passed_are_the_masks_nonzero(model):
    """The places passed in a week, read from the routes' week bounds: ``np.nonzero`` of the plain mask."""
    crews = model.crews
    cum_weeks = crews.routes.cum_weeks
    r = np.random.default_rng(3)
    route = r.integers(0, len(cum_weeks), size=500)
    weeks = np.ceil(crews.routes.weeks[route])
    progress = np.floor(r.random(500) * weeks)  # every week a crew can still be on the road
    cum = cum_weeks[route]
    plain = np.nonzero((cum > progress[:, None]) & (cum <= progress[:, None] + 1.0))
    alive = r.random(800) < 0.9  # some rows dead or not moving: left out, the others in row order
    state = np.where(r.random(800) < 0.9, State.MOVING, State.RETURNING).astype(np.int8)
    rows = np.flatnonzero(alive & (state == State.MOVING))[:500]
    alive[rows[-1] + 1 :] = False
    assert len(rows) == 500
    cols = np.zeros((3, 800), dtype=np.int64)
    cols[0, rows], cols[2, rows] = route, r.integers(1, 300, size=500)
    cols[1, rows] = crews.routes.good[route]
    at = np.zeros(800)
    at[rows] = progress
    rates = model.enforcement.rates
    staffed = r.random(crews.n_places) < 0.3
    fast = route_kernels.places_passed(
        alive,
        state,
        int(State.MOVING),
        *cols,
        at,
        crews._step_bounds,
        crews.safe_nodes,
        crews.value_at,
        rates.seize,
        rates.settle,
        rates.routine,
        staffed,
    )
    assert len(plain[0]) > 500
    assert np.array_equal(fast[0], rows) and np.array_equal(fast[4], progress)
    assert np.array_equal(plain[0], fast[5]) and np.array_equal(plain[1], fast[6])
    on_route = route[plain[0]] * cum_weeks.shape[1] + plain[1]
    assert np.array_equal(fast[7], on_route) and np.array_equal(fast[8], crews.safe_nodes.ravel()[on_route])
    value = cols[2, rows][plain[0]] * crews.value_at.ravel()[on_route]
    assert np.array_equal(fast[9].view(np.int64), value.view(np.int64))
    # The place's odds, as Crews._encounter_odds read them with numpy before the seventh pass.
    place, good = fast[8], cols[1, rows][plain[0]]
    flat = place * rates.seize.shape[1] + good
    assert np.array_equal(fast[10], good) and fast[11].tobytes() == rates.seize.ravel().take(flat).tobytes()
    assert fast[12].tobytes() == rates.settle.ravel().take(flat).tobytes()
    assert fast[13].tobytes() == rates.routine[place].tobytes() and (fast[11] > 0).any()
    assert np.array_equal(fast[14], np.flatnonzero(staffed[place])) and 0 < len(fast[14]) < len(place)
    # What the table relies on: a trip's progress is a whole number of weeks.
    moving = crews.alive_rows()[crews.state[crews.alive_rows()] == State.MOVING]
    assert len(moving) and np.array_equal(crews.progress[moving], np.floor(crews.progress[moving]))


def test_a_crews_route_odds_do_not_depend_on_the_other_crews_planning(model):
    """Route choice's odds of a crew, planning alone, in a subset or in another order: the same bits.

    The kernel computes each place's log-odds once per crew, when a candidate first needs them
    (``route_kernels.route_survival``): nothing may carry over from the crew before.
    """
    crews = model.crews
    alive = crews.alive_rows()
    everyone = crews._route_odds(alive, crews.group[alive])
    r = np.random.default_rng(5)
    for n in (3, len(alive) // 2, len(alive)):
        pick = r.permutation(len(alive))[:n]
        rows = alive[pick]
        got = crews._route_odds(rows, crews.group[rows])
        assert np.array_equal(got.view(np.int64), everyone[pick].view(np.int64))
    assert len(alive) > 20 and len(np.unique(crews.group[alive])) > 3


def test_detection_odds_with_the_goods_part_kept_are_the_plain_ones(model):
    """The officials keep the goods' detectability between weeks: the same odds as building it each call."""
    from sim.enforcement import detectability, detection_odds

    pressure = model.officials.pressure * np.linspace(0.5, 2.0, len(model.officials.pressure))
    kept = detectability(model.world, model.params)
    plain = detection_odds(model.world, model.params, pressure, 0.3)
    assert plain.any()
    assert np.array_equal(plain, detection_odds(model.world, model.params, pressure, 0.3, kept))
    officials, moved = model.officials, np.full(len(pressure), 1.5)
    expected = detection_odds(model.world, model.params, officials.pressure * moved, officials.p.detect_base)
    assert np.array_equal(officials._detection(moved), expected)


def test_bribes_per_rate_cell_give_the_route_costs_of_bribes_per_place_passed(model):
    """Expected bribes computed on the (place, good) cells and read at the places passed: the plain costs' bits."""
    crews, rates = model.crews, model.enforcement.rates
    crews._route_cost_version = ()
    crews._route_costs()
    live, at, cell = crews.live_positions, crews.live_at, crews.live_good
    node = crews.safe_passed.ravel().take(at)
    seize, settle = rates.seize.ravel().take(cell), rates.settle.ravel().take(cell)
    bribe = settle * rates.settle_share[node] + (1 - seize - settle) * rates.routine[node] * rates.routine_share[node]
    cost = np.zeros(live.size)
    services = model.params.transport.services_share
    cost[at] = (bribe + crews.route_toll.ravel().take(at) + services) * crews.value_at.ravel().take(at)
    plain = cost.reshape(live.shape).sum(axis=1) + crews.protection_unit
    assert (bribe > 0).any()
    assert np.array_equal(plain.view(np.int64), crews.pay_unit.view(np.int64))
    assert np.array_equal(plain[crews.cand_route].view(np.int64), crews.cand_pay.view(np.int64))
    through = np.ones(live.size)
    through[at] = 1.0 - seize
    assert np.array_equal(np.prod(through.reshape(live.shape), axis=1), crews.true_survival)


def test_neighbours_rates_recomputed_only_when_levers_move(model):
    """Rates kept while the levers stay: equal, bit for bit, to a fresh computation in every week."""
    from sim.neighbours import Neighbours

    nb, levers = copy.deepcopy((model.neighbours, model.levers))
    nb.levers = levers
    abroad = np.flatnonzero(nb.places)[:5]

    def fresh_equal():
        ref = Neighbours(model.world, model.params, np.random.default_rng(0), levers)
        return all(np.array_equal(getattr(ref.rates, k), getattr(nb.rates, k)) for k in ("seize", "settle", "closed"))

    version = nb.rates.version
    nb.update()
    assert nb.rates.version == version and fresh_equal()
    levers.inspection[abroad] *= 1.7
    levers.raid_seize[abroad] = 0.2
    levers.closed[:3] = True
    nb.update()
    assert nb.rates.version == version + 1 and fresh_equal()
    nb.update()
    assert nb.rates.version == version + 1
    levers.reset()
    nb.update()
    assert nb.rates.version == version + 2 and fresh_equal()
    assert "_levers_seen" not in nb.__getstate__()


def test_weekly_take_odds_with_kept_gain_terms_are_the_plain_ones(model):
    """The rates' odds from the kept logarithms equal those taken afresh, before and after a week's drift."""
    officials = copy.deepcopy(model.officials)
    p, rows = officials.p, officials.duty
    gains = np.concatenate([p.bribe_share * officials.cargo_ref, p.routine_share * officials.cargo_ref])[None, :]
    for _ in range(2):
        kept = officials.take_odds(rows, gains, officials._rate_logs)
        assert np.array_equal(kept, officials.take_odds(rows, gains))
        officials._drift()
        officials.deterrence[rows[::7]] += 0.05
    assert "_rate_logs" not in officials.__getstate__()


def _update_prices_plain(market):
    """The price update with the demand's goods and sinks found afresh (the form before they were kept)."""
    market.delivered_ema = 0.8 * market.delivered_ema + 0.2 * market.delivered_last
    for g in np.flatnonzero(market.demand.sum(axis=1) > 0):
        sinks = np.flatnonzero(market.demand[g] > 0)
        ratio = np.maximum(market.delivered_ema[g, sinks], 1e-9) / market.demand[g, sinks]
        mult = market.price_multiplier[g].copy()
        mult[sinks] = np.round(np.clip(libm.power(ratio, -market.elasticity), 0.5, 2.0), 2)
        market.set_price_multiplier(int(g), mult)


def test_prices_from_kept_demand_cells_are_the_plain_ones(model):
    fast, plain = copy.deepcopy(model.market), copy.deepcopy(model.market)
    assert fast._demand_cells(), "the scenario has livelihood goods with demand"
    rng = np.random.default_rng(3)
    for _ in range(4):
        fast.delivered_last = plain.delivered_last = rng.random(fast.demand.shape) * 3 * fast.demand
        fast.update_prices()
        _update_prices_plain(plain)
        assert np.array_equal(fast.price_multiplier, plain.price_multiplier)
        assert np.array_equal(fast.delivered_ema, plain.delivered_ema) and fast.version == plain.version
    assert fast.version > model.market.version
    assert "_cells" not in fast.__getstate__()


def test_kept_roster_is_the_fresh_one_after_weeks_with_cases(model):
    """The drift's kept roster (rows, top, regions, posts, counts, pay) still holds after cases replace officials.

    An official added or removed renews it (a policy that posted officials would otherwise be read stale).
    """
    m = copy.deepcopy(model)
    officials = m.officials
    kept = officials._roster()
    removed = 0
    for _ in range(3):
        removed += officials.investigate(20)[0]
        m.step()
    assert removed > 0, "cases replaced some officials"
    fresh = officials._read_roster()
    assert officials._roster() is kept
    for a, b in zip(kept, fresh, strict=True):
        assert np.array_equal(a, b)
    assert "_kept_roster" not in officials.__getstate__()
    officials.remove(kept[0][:1])
    assert len(officials._roster()[0]) == len(kept[0]) - 1


def test_kept_supply_by_good_is_the_weekly_bincount(model):
    market = model.market
    plain = np.bincount(market.group_good, weights=market.mean_supply, minlength=len(model.world.goods))
    assert np.array_equal(model.crews._supply_by_good, plain) and plain.sum() > 0


def test_sink_values_read_again_only_when_the_market_moved_a_price(model):
    """Kept while the market's version stands; after a price move, equal to a computation from scratch."""
    m = copy.deepcopy(model)
    crews, market = m.crews, m.market
    crews._route_costs()
    assert not crews._sink_values(market)
    good, sink = int(crews.routes.good[0]), int(crews.routes.sink[0])
    mult = market.price_multiplier[good].copy()
    mult[sink] *= 1.3
    market.set_price_multiplier(good, mult)
    assert crews._sink_values(market)
    fresh = copy.deepcopy(crews)
    del fresh.__dict__["value_at"]
    assert fresh._sink_values(market)
    for name in ("sink_value", "value_at"):
        assert np.array_equal(getattr(crews, name), getattr(fresh, name))
    assert not crews._sink_values(market) and "_prices_seen" not in crews.__getstate__()
