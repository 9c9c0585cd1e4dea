"""Compiled communities' week and group turn against their numpy forms and draws (issue 18, sixth pass).

The numpy form of ``Communities.step``, ``_food`` and ``_trust_and_tolerance`` (before
:func:`sim.agents.turn_kernels.community_week`) is kept here as the reference. Each case
randomizes the communities' columns, last week's stats, the territory and the levers (zeros,
negative zeros, NaN, the burn-in and the first week after a burn-in-less start among them), runs
the reference and the kernel from the same state and asserts bit-equal columns, references and
ledger payments in the same order. A group's turn (one kernel call up to its attack) is run
against the methods each drawing for themselves, with rates that make every stop come up.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from conftest import frozen_small
from sim.agents.community import FOOD_IMPORT_WEIGHT, POOL_REFILL, SPEND_SHARE, THREAT_MEMORY

# --- the numpy forms (sim/agents/community.py before the kernel) -------------------------------


def _step(self):
    model, p, c, r = self.model, self.p, self.cols, self.rows
    territory, stats = model.territory, model.stats
    places = self.place[r]
    self.week_inflow = self.inflow[r].copy()
    c["inflow"][r] = 0.0
    c["herd"][r] += p.herd_regrowth * (self.herd0[r] - self.herd[r])
    trade_units = stats.last["livelihood_units"][places]
    w = self.ema_weight
    c["trade_ema"][r] = (1 - w) * self.trade_ema[r] + w * trade_units
    c["transit_ema"][r] = (1 - w) * self.transit_ema[r] + w * stats.last["services"][places]
    if self.ref is None:
        self.trade_sum += trade_units
        self.trade_weeks += 1
        trade_factor = np.ones(len(r))
    else:
        base = self.ref["trade"]
        trade_factor = np.minimum(1.5, np.divide(self.trade_ema[r], base, out=np.ones(len(r)), where=base > 0))
    herd_factor = np.divide(self.herd[r], self.herd0[r], out=np.ones(len(r)), where=self.herd0[r] > 0)
    farm_factor = 1.0 / (1.0 + territory.insecurity[places])
    factors = np.stack([farm_factor, herd_factor, trade_factor], axis=1)
    licit = self.licit_base[r] * (self.shares * factors).sum(axis=1) * model.levers.licit[places]
    if self.ref is not None:
        licit = licit * p.licit_shock
    c["licit"][r] = licit
    model.ledger.pay("licit_income", "local_economy", "communities", float(licit.sum()))
    c["cash"][r] += licit
    if self.income_ref_pending:
        self.ref["licit"], self.ref["income"] = licit.copy(), self.income()
        self.income_ref_pending = False
    _food(self, r, places, herd_factor)
    _trust_and_tolerance(self, r, places)
    self._arms(r, places)
    poverty = np.maximum(0.0, 1.0 - self.licit_index(r))
    abuse = np.minimum(1.0, territory.abuse_rate[places])
    harmed = self.threat[r] / (1.0 + self.threat[r])
    target = 0.2 * (np.minimum(1.0, 2 * poverty) + (1 - self.food_security[r]) + abuse + (1 - self.trust[r]) + harmed)
    c["grievance"][r] += self.adjust_rate * (target - self.grievance[r])
    c["threat"][r] *= THREAT_MEMORY
    c["pool"][r] += POOL_REFILL * (p.youth_share * self.population[r] - self.pool[r])
    spend = SPEND_SHARE * np.maximum(self.cash[r], 0.0)
    c["cash"][r] -= spend
    model.ledger.pay("consumption", "communities", "local_economy", float(spend.sum()))


def _food(self, r, places, herd_factor=None):
    market, c = self.model.market, self.cols
    if herd_factor is None:
        herd_factor = np.divide(self.herd[r], self.herd0[r], out=np.ones(len(r)), where=self.herd0[r] > 0)
    pop, pop_region = self._region_population()
    imports = []
    for good in (self.food, self.fuel):
        if good < 0:
            imports.append(np.zeros(len(r)))
            continue
        delivered = market.delivered_last[good, places]
        per_region = np.bincount(self.region_index, weights=delivered, minlength=self.n_regions)
        imports.append(per_region[self.region_index] * pop / pop_region)
    w = self.ema_weight
    c["food_ema"][r] = (1 - w) * self.food_ema[r] + w * imports[0]
    c["fuel_ema"][r] = (1 - w) * self.fuel_ema[r] + w * imports[1]
    food = np.divide(self.food_ema[r], self.import_need[0], out=np.ones(len(r)), where=self.import_need[0] > 0)
    fuel = np.divide(self.fuel_ema[r], self.import_need[1], out=np.ones(len(r)), where=self.import_need[1] > 0)
    import_factor = FOOD_IMPORT_WEIGHT * np.minimum(food, 1.0) + (1 - FOOD_IMPORT_WEIGHT) * np.minimum(fuel, 1.0)
    local = (0.7 + 0.3 * herd_factor) / (1.0 + self.model.territory.insecurity[places])
    dep = self.import_dependence
    c["food_security"][r] = np.clip((1 - dep) * local + dep * import_factor, 0.0, 1.0)


def _trust_and_tolerance(self, r, places):
    p, c, model = self.p, self.cols, self.model
    st = model.stats

    def regional(key):
        v = np.bincount(self.region_index, weights=st.last[key][places], minlength=self.n_regions)
        return v[self.region_index]

    staffed, bribed = regional("enc_staffed"), regional("enc_bribed")
    total, jihadist = regional("enc_total"), regional("enc_jihadist")
    rate = np.divide(bribed, staffed, out=self.bribe_rate[r].copy(), where=staffed > 0)
    carried, lost = regional("enc_livelihood"), regional("enc_livelihood_seized")
    predation = np.divide(lost, carried, out=self.predation[r].copy(), where=carried > 0)
    share = np.divide(jihadist, total, out=self.jihadist_share[r].copy(), where=total > 0)
    w = self.ema_weight
    c["bribe_rate"][r] = (1 - w) * self.bribe_rate[r] + w * rate
    c["predation"][r] = (1 - w) * self.predation[r] + w * predation
    c["jihadist_share"][r] = (1 - w) * self.jihadist_share[r] + w * share
    presence = model.territory.presence[places]
    abuse = model.territory.abuse_rate[places]
    trust_target = np.clip(
        0.5
        + model.levers.trust[places]
        + p.trust_presence_weight * (presence - 0.5)
        - p.trust_bribe_weight * self.bribe_rate[r]
        - p.trust_seizure_weight * self.predation[r]
        - p.trust_abuse_weight * abuse,
        0.0,
        1.0,
    )
    c["trust"][r] += self.adjust_rate * (trust_target - self.trust[r])
    tol_target = np.clip(0.8 - p.tolerance_jihadist_weight * self.jihadist_share[r], 0.0, 1.0)
    c["tolerance"][r] += self.adjust_rate * (tol_target - self.tolerance[r])


# --- the cases ----------------------------------------------------------------------------------


class _Payments:
    """A ledger that records each payment as the ledger takes it (a Python float)."""

    def __init__(self):
        self.paid = []

    def pay(self, category, payer, payee, amount):
        self.paid.append((category, payer, payee, float(amount).hex()))


@pytest.fixture(scope="module")
def frozen():
    return frozen_small(weeks=5, seed=2)


def _mess(rng, values, nan=False):
    """``values`` randomized in place: zeros, negative zeros and (if ``nan``) NaN among them."""
    n = values.size
    values[:] = rng.choice([0.0, -0.0, 1.0, rng.uniform(0, 2), rng.uniform(0, 500)], size=n) * rng.uniform(0, 3, n)
    values[rng.random(n) < 0.2] = 0.0
    values[rng.random(n) < 0.05] = -0.0
    if nan:
        values[rng.random(n) < 0.03] = np.nan


def _case(frozen, seed):
    """A model whose communities, stats, territory and levers ``seed`` randomized."""
    m = pickle.loads(frozen)
    rng = np.random.default_rng(seed)
    c = m.communities
    n = len(c.rows)
    for name in ("herd", "herd0", "trade_ema", "transit_ema", "cash", "inflow", "food_ema", "fuel_ema", "threat"):
        _mess(rng, c.cols[name][:n])
    for name in ("trust", "tolerance", "grievance", "bribe_rate", "predation", "jihadist_share", "pool"):
        _mess(rng, c.cols[name][:n], nan=seed % 4 == 1)
    for key in ("livelihood_units", "services", "enc_staffed", "enc_bribed", "enc_total", "enc_jihadist"):
        _mess(rng, m.stats.last[key])
    for key in ("enc_livelihood", "enc_livelihood_seized"):
        _mess(rng, m.stats.last[key])
    for values in (m.territory.insecurity, m.territory.presence, m.territory.abuse_rate, m.levers.trust):
        _mess(rng, values, nan=seed % 4 == 1 and values is m.territory.abuse_rate)
    m.levers.licit[:] = rng.uniform(0.5, 1.5, m.levers.licit.size)
    m.market.delivered_last[:] = rng.integers(0, 3, m.market.delivered_last.shape) * rng.integers(0, 40)
    if seed % 3 == 0:  # the burn-in: no reference yet
        c.ref = None
    elif c.ref is not None:
        _mess(rng, c.ref["trade"])
        _mess(rng, c.ref["licit"])
        c.income_ref_pending = seed % 3 == 1 and seed % 2 == 0  # the first week of a run without burn-in
    m.ledger = _Payments()
    return m


def _state(m):
    c = m.communities
    ref = None if c.ref is None else {k: v.tobytes() for k, v in c.ref.items()}
    cols = {name: c.cols[name].tobytes() for name in c.cols}
    extra = (c.trade_sum.tobytes(), c.trade_weeks, c.week_inflow.tobytes(), c.income_ref_pending, c.rob.tobytes())
    return cols, ref, extra, m.ledger.paid


@pytest.mark.parametrize("block", range(3))
def test_the_compiled_week_is_the_numpy_forms_bit_for_bit(frozen, block):
    """60 random cases: every column, the references, the trade sums and the ledger payments are the same."""
    kinds = {"burn-in": 0, "after": 0, "pending": 0, "nan": 0}
    for seed in range(block * 20, block * 20 + 20):
        ref, new = _case(frozen, seed), _case(frozen, seed)
        kinds["burn-in"] += ref.communities.ref is None
        kinds["after"] += ref.communities.ref is not None
        kinds["pending"] += ref.communities.income_ref_pending
        _step(ref.communities)
        new.communities.step()
        kinds["nan"] += bool(np.isnan(ref.communities.grievance[ref.communities.rows]).any())
        assert _state(new) == _state(ref), seed
    assert all(kinds.values()), kinds  # each kind of case came up


def test_food_and_trust_alone_are_the_numpy_forms(frozen):
    """``_food`` and ``_trust_and_tolerance``, as tests call them alone, match their numpy forms."""
    for seed in range(10):
        for new, reference in (("_food", _food), ("_trust_and_tolerance", _trust_and_tolerance)):
            ref, m = _case(frozen, seed), _case(frozen, seed)
            c_ref, c_new = ref.communities, m.communities
            reference(c_ref, c_ref.rows, c_ref.place[c_ref.rows])
            getattr(c_new, new)(c_new.rows, c_new.place[c_new.rows])
            assert _state(m) == _state(ref), (seed, new)


# --- a group's whole turn: the kernel's draws where the methods made them -----------------------


@pytest.fixture(scope="module")
def frozen_groups():
    return frozen_small(weeks=6, seed=4)


def _turn_case(frozen, seed):
    """A model and one of its groups, with the turn's rates set by ``seed`` so each stop comes up."""
    import dataclasses

    m = pickle.loads(frozen)
    rng = np.random.default_rng(seed)
    groups = m.armed_groups
    live = [g for g in groups.groups if g.fighters > 0]
    g = live[seed % len(live)]
    groups.p = dataclasses.replace(
        groups.p,
        kidnap_rate_other=float(rng.choice([0.0, 0.5, 5.0])),
        kidnap_rate_jihadist=float(rng.choice([0.0, 0.5, 5.0])),
        civilian_attack_rate=float(rng.choice([0.0, 0.3, 0.9])),
        attack_rate=float(rng.choice([0.0, 0.3, 0.9])),
    )
    m.week_index += seed % 4  # appraisals on some weeks
    m.rng = np.random.default_rng(seed + 500)
    return m, g


def _value(x, depth=0):
    """Arrays as bytes, numbers as exact hex with their type, containers and attributes walked (2 levels)."""
    if isinstance(x, np.ndarray):
        return (x.dtype.str, x.shape, x.tobytes())
    if isinstance(x, (float, np.floating)):
        return (type(x).__name__, float(x).hex())
    if isinstance(x, (bool, int, str, np.integer)) or x is None:
        return (type(x).__name__, x)
    if depth >= 2:
        return type(x).__name__
    if isinstance(x, dict):
        return tuple((k, _value(v, depth + 1)) for k, v in x.items())
    if isinstance(x, (list, tuple)):
        return tuple(_value(v, depth + 1) for v in x)
    return tuple((k, _value(v, depth + 1)) for k, v in vars(x).items() if not k.startswith("_") or k == "_buffers")


def _snapshot(m):
    """What a turn may change: the groups, territory, communities, crews, stats and ledger (values and types)."""
    groups = m.armed_groups
    parts = [_value(vars(g)) for g in groups.groups]
    parts += [_value(x) for x in (groups.events, groups.grudge, groups.feud, groups.cattle_stolen, groups.recruits)]
    parts += [_value(groups.exits), _value(m.territory), _value(m.communities.cols), _value(m.crews.cols)]
    parts += [_value(m.stats), _value(m.ledger.balances), _value(dict(m.ledger.week_flows))]
    return parts


def _reference_turn(groups, group):
    """``ArmedGroup.step`` before the sixth pass: each method drawing its own."""
    groups.kidnap(group)
    groups.economy(group)
    groups.punish(group)
    groups.contest(group)
    groups.appraise_regions(group)


def test_the_compiled_turn_draws_where_the_methods_drew(frozen_groups):
    """60 turns: the same model afterwards (pickled bytes, the generator's state included), each stop reached."""
    from sim.agents import turn_kernels as k
    from sim.agents.armed_group import ArmedGroups

    stops = {k.STAGE_KIDNAP: 0, k.STAGE_PUNISH: 0, k.STAGE_ATTACK: 0, k.STAGE_DONE: 0}
    seen = ArmedGroups._economy

    def watch(self, *args):
        out = seen(self, *args)
        stops[float(out[k.STAGE])] += len(args) == 5
        return out

    for seed in range(60):
        ref, g_ref = _turn_case(frozen_groups, seed)
        _reference_turn(ref.armed_groups, g_ref)
        new, g_new = _turn_case(frozen_groups, seed)
        ArmedGroups._economy = watch
        try:
            g_new.step()
        finally:
            ArmedGroups._economy = seen
        assert new.rng.bit_generator.state == ref.rng.bit_generator.state, seed
        assert _snapshot(new) == _snapshot(ref), seed
    assert all(stops.values()), stops
