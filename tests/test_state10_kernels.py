"""The tenth pass's kernels (issue 18, docs/performance-log.md "state10") against the numpy they replaced.

Each kernel is run on random cases with the edges (no places or crews, zeros, negative zeros,
NaN, values above 1) and compared bit for bit, sign of zero included, with the numpy form it
replaced, kept here only as the reference.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

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


def _plain_settle(off, enc, ledger):
    """``Officials.settle`` as it was before ``settle_week``: the marks, then deciders, chains and counts."""
    from sim.agents import official_kernels
    from sim.enforcement import subset

    foreign = ~off.world.in_mali[enc.place]
    arrested = np.zeros(len(enc.place), dtype=bool)
    if foreign.any():
        rows = np.flatnonzero(foreign)
        arrested[rows] = off.neighbours.settle(subset(enc, rows), ledger)
    evidence = off.model.crews.cols["evidence"]
    marks = (enc.place, enc.bribe, enc.outcome, enc.crew, enc.value, off.staffed, foreign, evidence)
    elsewhere, local, seized, at_home = official_kernels.settle_marks(*marks)
    ledger.pay("bribes", "traffickers", "local_economy", elsewhere)
    if len(local):
        who = off._deciders(enc, local)
        off._pay_chain(who, enc.bribe[local], ledger)
        official_kernels.count_rows(off.cols["bribes"], who)
    if len(seized):
        if at_home.any():
            official_kernels.count_rows(off.cols["seizures"], off._deciders(enc, seized[at_home]))
        odds = np.where(at_home, off.p.arrest_probability, off.neighbours.arrest_probability)
        arrested[seized] = off.model.rng.random(len(seized)) < odds
    return arrested


@pytest.fixture(scope="module")
def model():
    from sim.model import SahelModel
    from sim.params import ScenarioConfig

    m = SahelModel(ScenarioConfig(supply_scale=0.1, burn_in_weeks=2), seed=7)
    m.run_for(3)
    return m


def test_settling_in_one_call_books_as_before(model):
    """``Officials.settle``: the same arrests, ledger, wealth, rents, counts, evidence and generator state as
    the Python form, whether the deciders are on record, partly missing (drawn) or absent."""
    from sim.enforcement import Encounters

    rng = np.random.default_rng(13)
    world = model.world
    for case in range(24):
        n = int(rng.integers(0, 300)) if case % 10 else 0
        place = rng.integers(0, world.n_places, n)
        outcome = rng.integers(0, 5, n)
        bribe = rng.exponential(1.0, n) * 10.0 ** rng.integers(0, 6, n) * (rng.random(n) < 0.5)
        value = rng.exponential(5e4, n)
        crew = rng.integers(0, model.crews.size, n)
        duty = model.officials.duty
        official = duty[rng.integers(0, len(duty), n)]
        if case % 3 == 1:
            official = np.where(rng.random(n) < 0.05, -1, official)  # some deciders missing: drawn
        zeros = np.zeros(n)
        enc = Encounters(crew, place, zeros.astype(np.int64), zeros, value, outcome, bribe, zeros, official)
        if case % 3 == 2:
            enc.official = None  # no officials on record at all
        got, want = copy.deepcopy(model), copy.deepcopy(model)
        arrested = got.officials.settle(enc, got.ledger)
        plain = _plain_settle(want.officials, enc, want.ledger)
        assert _same(arrested, plain)
        for name in ("wealth", "rent_week", "bribes", "seizures"):
            assert _same(got.officials.cols[name], want.officials.cols[name]), name
        assert _same(got.crews.cols["evidence"], want.crews.cols["evidence"])
        assert got.ledger.balances == want.ledger.balances and got.ledger.turnover == want.ledger.turnover
        assert dict(got.ledger.week_flows) == dict(want.ledger.week_flows)
        assert got.rng.bit_generator.state == want.rng.bit_generator.state


def test_weekly_rates_equal_take_odds_then_checkpoint_rates(model):
    """``weekly_rates`` = numpy's ``1 / (1 + e)`` (as ``take_odds``), ``checkpoint_rates``, the routine share."""
    from sim.agents import official_kernels

    off, m = model.officials, model
    rng = np.random.default_rng(14)
    rows, (places, starts) = off.duty, off.duty_segments
    k = off._detection(m.pressure_multiplier).shape[1]
    shape = off.take_odds(rows, None, off._rate_logs).shape
    assert len(rows) and shape[0] == len(rows) and shape[1] > k
    for case in range(40):
        exponentials = np.exp(rng.normal(0.0, 3.0, shape))  # the weighing's shape: rows x (goods, routine)
        exponentials[rng.random(exponentials.shape) < 0.05] = np.inf if case % 2 else 0.0
        capacity = rng.random(off.size) * 1.5
        lever = rng.random(m.world.n_places) * (case % 3 == 0)
        honest = rng.random((m.world.n_places, k)) * (rng.random((m.world.n_places, k)) < 0.2)
        fixed = (off._detection(m.pressure_multiplier), m.levers.inspection, capacity, lever, m.territory.presence)
        fixed = (*fixed, rows, off.post[rows])
        post = (places, starts, off.staffed, off.duty_count)
        out = [rng.random((m.world.n_places, k)), rng.random((m.world.n_places, k)), rng.random(m.world.n_places)]
        share = rng.random(m.world.n_places)
        plain_out, plain_share = [a.copy() for a in out], share.copy()
        both = 1.0 / (1.0 + exponentials)
        want = official_kernels.checkpoint_rates(*fixed, both, *post, *plain_out, honest)
        plain_share[off.staffed] = 0.25
        got = official_kernels.weekly_rates(exponentials, *fixed, *post, *out, honest, share, 0.25)
        assert _same(got, want) and _same(share, plain_share)
        assert all(_same(a, b) for a, b in zip(out, plain_out, strict=True))


def test_kept_garrisons_equal_garrisons_summed_afresh(model):
    """Garrisons kept while the state's forces, strengths and bases stay are those summed again; a change is seen."""
    from sim.agents.force import ForceKind

    m = copy.deepcopy(model)
    forces = m.forces
    for _ in range(4):
        m.step()
        kept = forces.garrison
        del forces._garrison_key
        forces.update_garrisons()
        assert _same(kept, forces.garrison)
    state = forces.of_kind(ForceKind.STATE)[0]
    state.strength *= 2.0
    forces.update_garrisons()
    assert not _same(kept, forces.garrison)


def test_the_week_of_knowledge_in_one_call_equals_its_parts_in_turn(model):
    """``Knowledge.update`` (one kernel) = the sources, then the crews', groups' and officials' parts, bit for bit;
    and without groups or officials, as the parts without them."""
    m = copy.deepcopy(model)
    rng = np.random.default_rng(15)
    for _case in range(6):
        m.step()
        k = m.knowledge
        k.crews[:] = rng.random(k.crews.shape)
        m.crews.cols["evidence"][:] += (rng.random(m.crews.size) < 0.2) * rng.random(m.crews.size)
        parts = copy.deepcopy(m)
        k.update()
        p = parts.knowledge
        keep = 1.0 - p.p.decay
        p.sources = p._sources()
        p._update_crews(keep)
        p._update_groups(keep)
        p._update_officials(keep)
        for name in ("sources", "crews", "groups", "officials", "trade_share", "_evidence", "_born", "_disposition"):
            assert _same(getattr(k, name), getattr(p, name)), name
        alone, one = copy.deepcopy(p), copy.deepcopy(p)
        alone.sources = alone._sources()
        alone._update_crews(keep)
        found = knowledge_kernels.update_week(keep, one._source_inputs(), one._crew_inputs(), None, None)
        assert _same(found, alone.sources) and _same(one.crews, alone.crews)
        assert _same(one.groups, alone.groups) and _same(one.officials, alone.officials)
