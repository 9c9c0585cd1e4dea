"""The compiled turn of an armed group gives the numpy form's numbers, types and draws (issue 18, fifth pass).

The numpy forms of ``ArmedGroups.tax_communities``, ``rustle`` and ``pay_and_recruit`` and of
the communities' methods they called (``take_income_rows``, ``lose_cattle``, ``receive_wages``,
``income_level``, ``recruits_available``, in their plain per-place forms, before the zone
and phase caches of issue 18) are kept here as the reference. Each case randomizes a group and
the communities' columns (zeros, empty zones and negative zeros included), runs the reference
and the kernel from the same state and asserts bit-equal columns, grudges, group scalars of the
same Python types, the same ledger payments in the same order and the same generator state after.
"""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest

from conftest import frozen_small
from sim.agents import turn_kernels
from sim.agents.armed_group import ROAMING_TAX, ArmedGroups, reach
from sim.names import GroupKind

COLUMNS = ("cash", "inflow", "herd", "threat", "pool")


class _Payments:
    """A ledger that records each payment (the ledger takes the amount as a Python float, whatever its type)."""

    def __init__(self):
        self.paid = []

    def pay(self, category, payer, payee, amount):
        self.paid.append((category, payer, payee, float(amount).hex()))


# --- the numpy forms (sim/agents/armed_group.py and community.py before the kernel) -------------


def _take_income_rows(c, rows, share, ledger):
    if not len(rows):
        return 0.0
    cash, inflow = c.cash[rows], c.inflow[rows]
    due = share * (c.licit[rows] + inflow)
    taken = np.maximum(np.minimum(cash, due), 0.0)
    c.cash[rows] = cash - taken
    c.inflow[rows] = inflow - taken
    total = float(np.add.reduce(taken))
    ledger.pay("group_community_taxation", "communities", "armed_groups", total)
    return total


def _tax_communities(groups, group):
    communities = groups.model.communities
    share = groups.p.tax_share_jihadist if group.kind == GroupKind.JIHADIST else groups.p.tax_share_other
    places = communities.place[communities.rows]
    holders = groups.model.territory.holder[places]
    held = communities.rows[holders == group.index]
    zone = groups._zone(group)
    roamed = zone.rows[holders[zone.rows] != group.index]
    taken = _take_income_rows(communities, held, share, groups.model.ledger)
    taken += _take_income_rows(communities, roamed, share * ROAMING_TAX, groups.model.ledger)
    group.funds += taken
    group.revenue["community_taxation"] += taken


def _lose_cattle(c, z, head, price, ledger, weights):
    rows = z.rows
    herd = c.herd[rows]
    aim = herd * weights
    aimed = float(np.add.reduce(aim))
    if not len(rows) or aimed <= 0:
        return 0.0, 0.0, (np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0))
    taken = np.minimum(herd, head * aim / aimed)
    c.herd[rows] = herd - taken
    c.model.stats.week["cattle_stolen"][z.places] += taken
    stolen = float(np.add.reduce(taken))
    cash = c.cash[rows]
    held = float(np.add.reduce(cash))
    paid = max(0.0, min(stolen * price, held))
    if paid > 0:
        c.cash[rows] = cash - paid * cash / held
        ledger.pay("group_rustling", "communities", "armed_groups", paid)
    return stolen, paid, (z.places, taken, herd)


def _rustle(groups, group):
    communities = groups.model.communities
    per_fighter = groups.p.rustle_jihadist if group.kind == GroupKind.JIHADIST else groups.p.rustle_other
    head = groups.model.rng.poisson(per_fighter * reach(group.fighters))
    if head == 0:
        return
    price = groups.p.fence_share * groups.model.market.value_source[groups._cattle()]
    zone = groups._zone(group)
    _, weights, outsider, others = groups._kin(group)
    stolen, paid, victims = _lose_cattle(communities, zone, head, price, groups.model.ledger, weights)
    groups.cattle_stolen += stolen
    group.funds += paid
    group.revenue["rustling"] += paid
    if stolen > 0:
        _, taken, herd = victims
        np.add.at(groups.grudge[:, group.identity], zone.identity, taken / stolen)
        communities.cols["threat"][others.rows] += (taken / np.maximum(herd, 1e-9))[outsider]


def _income_level(c, z):
    """Communities.income_level: population-weighted income (licit and money) over its start."""
    rows = z.rows
    if not len(rows) or c.ref is None:
        return 1.0
    now = (z.population * np.maximum(c.licit[rows] + c.week_inflow[rows], 0.0)).sum()
    ref = (z.population * c.ref["income"][rows]).sum()
    return float(now / ref) if ref > 0 else 1.0


def _recruits_available(c, z, rate, elasticity, weights):
    """Communities.recruits_available: expected recruits from the pools, more where licit income fell (M9)."""
    rows = z.rows
    if not len(rows):
        return 0.0
    shortfall = np.maximum(0.0, 1.0 - c.licit_index(rows))
    idle = np.maximum(c.pool[rows] - c.trafficking_jobs(rows), 0.0) * weights
    return float((rate * idle * (1.0 + elasticity * shortfall) * (0.5 + c.grievance[rows])).sum())


def _pay_and_recruit(groups, group):
    p, model = groups.p, groups.model
    communities = model.communities
    z = groups._zone(group)
    licit_level = communities.licit_level(z)
    income_level = _income_level(communities, z)
    wage = p.wage_usd * licit_level
    wages = wage * group.fighters
    paid = min(group.funds, wages)
    group.funds -= paid
    if len(z):
        amounts = paid * z.population / z.people
        model.ledger.pay("wages", "armed_groups", "communities", float(np.add.reduce(amounts)))
        communities.cash[z.rows] += amounts
        communities.inflow[z.rows] += amounts
    else:
        model.ledger.pay("wages", "armed_groups", "local_economy", paid)
    spend = p.spend_rate * group.funds
    group.funds -= spend
    model.ledger.pay("group_spending", "armed_groups", "local_economy", spend)
    unpaid = 1.0 - (paid / wages if wages > 0 else 1.0)
    alternatives = income_level if len(z) else 1.0
    leave = p.exit_rate * (1.0 + p.exit_elasticity * min(1.0, max(0.0, alternatives - 1.0)))
    gone = group.fighters * min(1.0, p.desertion_rate * unpaid + leave)
    group.fighters -= gone
    groups.exits += gone
    if not len(z) or unpaid > 0:
        return
    affordable = p.budget_share * group.revenue_ema / max(wage, 1e-9) - group.fighters
    if affordable <= 0:
        return
    weights = groups._kin(group)[0] / (1.0 + groups.grudge[:, group.identity][z.identity])
    want = _recruits_available(communities, z, p.recruit_rate, p.recruit_income_elasticity, weights)
    n = min(float(model.rng.poisson(want)), affordable)
    if n > 0:
        pool = communities.pool[z.rows]
        total = np.add.reduce(pool)
        if total > 0:
            communities.pool[z.rows] = pool - np.minimum(pool, n * pool / total)
        group.fighters += n
        groups.recruits += n


def _numpy_turn(groups, group):
    _tax_communities(groups, group)
    _rustle(groups, group)
    _pay_and_recruit(groups, group)


# --- the comparison ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def frozen():
    return frozen_small(weeks=6, seed=4)


def _scalars(m, group):
    """The group's fighters, funds and revenue and the phase's totals: values and Python types."""
    groups = m.armed_groups
    scalars = [(float(x).hex(), type(x).__name__) for x in (group.fighters, group.funds)]
    scalars += [(float(v).hex(), type(v).__name__) for v in group.revenue.values()]
    scalars += [(float(x).hex(), type(x).__name__) for x in (groups.cattle_stolen, groups.recruits, groups.exits)]
    return scalars


def _state(m, group):
    """Everything the turn may change, as bytes, values with their types, and the ledger's payments."""
    groups, c = m.armed_groups, m.communities
    scalars = _scalars(m, group)
    arrays = [c.cols[k].tobytes() for k in COLUMNS] + [groups.grudge.tobytes()]
    arrays.append(m.stats.week["cattle_stolen"].tobytes())
    return scalars, arrays, m.ledger.paid, m.rng.bit_generator.state


def _case(frozen, seed):
    """A model and one of its groups, both randomized by ``seed`` (edge cases among them)."""
    m = pickle.loads(frozen)
    rng = np.random.default_rng(seed)
    groups, c = m.armed_groups, m.communities
    live = [g for g in groups.groups if g.fighters > 0]
    g = live[seed % len(live)]
    rows = c.rows
    g.fighters = float(rng.choice([0.0, 30.0, rng.uniform(25, 3000)]))
    g.funds = float(rng.choice([0.0, rng.uniform(0, 1e5), rng.uniform(0, 5e6)]))
    g.revenue_ema = float(rng.choice([0.0, rng.uniform(0, 1e6)]))
    if seed % 3 == 0:  # numpy scalars, as the numpy form's min and max left them
        g.funds, g.fighters = np.float64(g.funds), np.float64(g.fighters)
    if seed % 5 == 0:
        g.revenue_ema = np.float64(g.revenue_ema)
    for col, scale in (("cash", 1e4), ("herd", 1e3), ("pool", 300.0), ("inflow", 1e3)):
        values = rng.uniform(0, scale, len(rows)) * (rng.random(len(rows)) < 0.8)
        values[rng.random(len(rows)) < 0.05] = -0.0
        c.cols[col][rows] = values
    if seed % 7 == 0:
        c.cols["herd"][rows] = 0.0
    if seed % 11 == 0:
        c.cols["cash"][rows] = 0.0
    groups.grudge[:] = rng.uniform(0, 3, groups.grudge.shape) * (rng.random(groups.grudge.shape) < 0.5)
    holder = m.territory.holder
    zone = groups._zone(g)
    if len(zone):
        holder[zone.places[rng.random(len(zone)) < 0.4]] = g.index
    if seed % 13 == 0:
        g.regions = ("Nowhere",)  # no communities: an empty zone
    groups.p = dataclasses.replace(groups.p, rustle_other=float(rng.uniform(0, 0.5)))
    m.ledger = _Payments()
    m.stats.new_week()
    groups.cattle_stolen = groups.recruits = groups.exits = 0.0
    m.rng = np.random.default_rng(seed + 1000)
    return m, g


@pytest.mark.parametrize("block", range(4))
def test_the_compiled_turn_is_the_numpy_forms_bit_for_bit(frozen, block):
    """120 random cases: columns, grudges, scalars and their types, payments and the stream after are the same."""
    checked = {"rustled": 0, "recruited": 0, "empty": 0, "numpy scalars": 0}
    for seed in range(block * 30, block * 30 + 30):
        m_ref, g_ref = _case(frozen, seed)
        _numpy_turn(m_ref.armed_groups, g_ref)
        m_new, g_new = _case(frozen, seed)
        m_new.armed_groups.economy(g_new)
        assert _state(m_new, g_new) == _state(m_ref, g_ref), seed
        checked["rustled"] += bool(g_ref.revenue["rustling"])
        checked["recruited"] += bool(m_ref.armed_groups.recruits)
        checked["empty"] += not len(m_ref.armed_groups._zone(g_ref))
        checked["numpy scalars"] += type(g_ref.funds) is not float
    assert all(checked.values()), checked  # each kind of case came up


def test_the_single_steps_are_the_numpy_forms(frozen):
    """tax_communities, rustle and pay_and_recruit alone (as tests and tools call them) match their numpy forms."""
    for seed in range(12):
        for new, ref in (
            ("tax_communities", _tax_communities),
            ("rustle", _rustle),
            ("pay_and_recruit", _pay_and_recruit),
        ):
            m_ref, g_ref = _case(frozen, seed)
            ref(m_ref.armed_groups, g_ref)
            m_new, g_new = _case(frozen, seed)
            getattr(ArmedGroups, new)(m_new.armed_groups, g_new)
            assert _state(m_new, g_new) == _state(m_ref, g_ref), (seed, new)


# --- appraising regions: the numpy forms of region_value and appraise_regions -----------------


def _region_value(groups, group, regions, spread, enemies):
    p, model = groups.p, groups.model
    communities, holder = model.communities, model.territory.holder
    n = len(groups.region_names)
    own = max(group.strength, 1e-9) / max(spread, 1)
    mali, of_mali, _ = groups._mali_regions()
    fixed = groups._phase_fixed()
    held = holder[mali]
    mine = (held == group.index) | (held < 0)
    rent = np.bincount(of_mali, weights=fixed.rents * mine, minlength=n)
    contested = np.bincount(of_mali, weights=fixed.rents * ~mine, minlength=n)
    odds = own / (own + enemies + fixed.state)
    tax = cattle = np.zeros(n)
    kin = fixed.kin_factor(group.identity)
    if communities is not None:
        share = p.tax_share_jihadist if group.kind == GroupKind.JIHADIST else p.tax_share_other
        per_fighter = p.rustle_jihadist if group.kind == GroupKind.JIHADIST else p.rustle_other
        price = p.fence_share * model.market.value_source[groups._cattle()]
        herd = np.bincount(fixed.community_region, weights=communities.herd[communities.rows], minlength=n)
        cattle = np.minimum(herd, per_fighter * reach(group.fighters / max(spread, 1)) * 52.0) * price
        tax = fixed.tax(share)
    value = (rent + odds * contested + tax + cattle) * odds * kin
    return value[regions]


def _appraise_regions(groups, group):
    """ArmedGroups.appraise_regions after its gates (appraisal week, militias, too few fighters)."""
    p, model, names = groups.p, groups.model, groups.region_names
    current = np.array([names.index(r) for r in group.regions if r in names], dtype=np.int64)
    if not len(current) or (len(current) == 1 and group.fighters / 2 < p.unit_size):
        return
    enemies = groups._enemies(group)
    values = _region_value(groups, group, current, len(current), enemies)
    best = float(values.max())
    if len(current) > 1:
        kin = groups._kin_share(group.identity) if model.communities else None
        home = int(np.argmax(kin[current] * groups._region_people[current])) if kin is not None else 0
        worst = int(np.argmin(np.where(np.arange(len(current)) == home, np.inf, values)))
        if values[worst] < p.leave_share * best:
            holder, region = model.territory.holder, names[int(current[worst])]
            places = groups._region_of_name[region]
            holder[places[holder[places] == group.index]] = -1
            group.regions = tuple(r for r in group.regions if r != region)
            groups.events["regions_left"] += 1
            current = np.delete(current, worst)
            values = np.delete(values, worst)
            best = float(values.max())
    if group.fighters / (len(current) + 1) < p.unit_size:
        return
    near = groups.region_adjacent[current].any(axis=0)
    near[current] = False
    near = np.flatnonzero(near)
    if not len(near):
        return
    offers = _region_value(groups, group, near, len(current) + 1, enemies)
    k = int(np.argmax(offers))
    if offers[k] > 0 and offers[k] >= p.enter_share * best:
        group.regions = (*group.regions, names[int(near[k])])
        groups.events["regions_entered"] += 1


def _appraisal_case(frozen, seed):
    m = pickle.loads(frozen)
    rng = np.random.default_rng(seed)
    groups, c = m.armed_groups, m.communities
    live = [g for g in groups.groups if g.fighters > 0 and g.kind != GroupKind.SELF_DEFENCE]
    g = live[seed % len(live)]
    names = groups.region_names
    k = int(rng.integers(1, 4))
    g.regions = tuple(names[i] for i in rng.choice(len(names), k, replace=False))
    g.fighters = float(rng.choice([30.0, rng.uniform(100, 5000)]))
    g.arms = g.fighters * float(rng.uniform(0, 1.5))
    mali = np.flatnonzero(groups.place_region >= 0)
    m.territory.holder[mali] = rng.choice([-1, g.index, *range(len(groups.groups))], len(mali))
    groups.rent[:] = rng.uniform(0, 1e6, len(groups.rent)) * (rng.random(len(groups.rent)) < 0.5)
    c.cols["herd"][c.rows] = rng.uniform(0, 1e4, len(c.rows)) * (rng.random(len(c.rows)) < 0.7)
    groups.p = dataclasses.replace(
        groups.p, appraise_weeks=1, leave_share=float(rng.uniform(0, 1)), enter_share=float(rng.uniform(0, 2))
    )
    groups.events = dict.fromkeys(groups.events, 0)
    return m, g


def _values_compiled(groups, g, spread, enemies):
    """The kernel's values of every region, from the inputs ArmedGroups.appraise_regions passes."""
    p, m, c = groups.p, groups.model, groups.model.communities
    fixed, (mali, of_mali, _) = groups._phase_fixed(), groups._mali_regions()
    jihadist = g.kind == GroupKind.JIHADIST
    cattle = np.array(
        [p.rustle_jihadist if jihadist else p.rustle_other, p.fence_share * m.market.value_source[groups._cattle()]]
    )
    herd = np.bincount(fixed.community_region, weights=c.herd[c.rows], minlength=len(groups.region_names))
    return turn_kernels._region_value(
        g.index, max(g.strength, 1e-9), spread, g.fighters, m.territory.holder, mali, of_mali, fixed.rents, enemies,
        fixed.state, fixed.kin_factor(g.identity), fixed.tax(p.tax_share_jihadist if jihadist else p.tax_share_other),
        cattle, herd,
    )  # fmt: skip


def test_the_compiled_appraisal_is_the_numpy_forms(frozen):
    """60 random appraisals: each region's value bit for bit, the same regions left and entered, places given up."""
    seen = {"left": 0, "entered": 0, "stayed": 0}
    for seed in range(60):
        m_ref, g_ref = _appraisal_case(frozen, seed)
        groups = m_ref.armed_groups
        enemies, everywhere = groups._enemies(g_ref), np.arange(len(groups.region_names))
        for spread in (1, 2, 4):
            want = _region_value(groups, g_ref, everywhere, spread, enemies)
            assert _values_compiled(groups, g_ref, spread, enemies).tobytes() == want.tobytes(), seed
        _appraise_regions(m_ref.armed_groups, g_ref)
        m_new, g_new = _appraisal_case(frozen, seed)
        m_new.armed_groups.appraise_regions(g_new)
        assert g_new.regions == g_ref.regions, seed
        assert m_new.armed_groups.events == m_ref.armed_groups.events, seed
        assert np.array_equal(m_new.territory.holder, m_ref.territory.holder), seed
        seen["left"] += m_ref.armed_groups.events["regions_left"]
        seen["entered"] += m_ref.armed_groups.events["regions_entered"]
        seen["stayed"] += not any(m_ref.armed_groups.events.values())
    assert all(v >= 3 for v in seen.values()), seen


def _pay_without_communities(groups, group):
    """pay_and_recruit's numpy form when the model has no communities (taxes and rustling do nothing)."""
    p, model = groups.p, groups.model
    wage = p.wage_usd * 1.0
    wages = wage * group.fighters
    paid = min(group.funds, wages)
    group.funds -= paid
    model.ledger.pay("wages", "armed_groups", "local_economy", paid)
    spend = p.spend_rate * group.funds
    group.funds -= spend
    model.ledger.pay("group_spending", "armed_groups", "local_economy", spend)
    unpaid = 1.0 - (paid / wages if wages > 0 else 1.0)
    leave = p.exit_rate * (1.0 + p.exit_elasticity * min(1.0, max(0.0, 1.0 - 1.0)))
    gone = group.fighters * min(1.0, p.desertion_rate * unpaid + leave)
    group.fighters -= gone
    groups.exits += gone


def test_the_compiled_turn_without_communities_is_the_numpy_forms():
    """Communities switched off: a turn is pay, desertion and exits only and draws nothing; appraisals match too."""
    from conftest import small_config
    from sim.model import SahelModel

    frozen = pickle.dumps(SahelModel(small_config(1, actors={"communities": False}).scenario, seed=1))
    for seed in range(12):
        states = []
        for turn in (_pay_without_communities, ArmedGroups.economy):
            m = pickle.loads(frozen)
            assert m.communities is None
            rng = np.random.default_rng(seed)
            g = [x for x in m.armed_groups.groups if x.fighters > 0][seed % 5]
            g.fighters, g.funds = float(rng.uniform(0, 3000)), float(rng.choice([0.0, rng.uniform(0, 1e6)]))
            if seed % 3 == 0:
                g.funds = np.float64(g.funds)
            m.ledger, m.rng = _Payments(), np.random.default_rng(seed)
            m.armed_groups.exits = 0.0
            turn(m.armed_groups, g)
            states.append([*_scalars(m, g), m.ledger.paid, m.rng.bit_generator.state])
        assert states[0] == states[1], seed
    for seed in range(30):  # and the appraisal of regions, without taxes or herds
        states = []
        for appraise in (_appraise_regions, ArmedGroups.appraise_regions):
            m = pickle.loads(frozen)
            rng = np.random.default_rng(seed)
            groups = m.armed_groups
            g = [x for x in groups.groups if x.fighters > 0 and x.kind != GroupKind.SELF_DEFENCE][seed % 4]
            g.regions = tuple(groups.region_names[i] for i in rng.choice(len(groups.region_names), 3, replace=False))
            g.fighters = float(rng.uniform(100, 5000))
            groups.rent[:] = rng.uniform(0, 1e6, len(groups.rent))
            mali = np.flatnonzero(groups.place_region >= 0)
            m.territory.holder[mali] = rng.choice([-1, g.index, *range(len(groups.groups))], len(mali))
            groups.p = dataclasses.replace(groups.p, appraise_weeks=1, leave_share=float(rng.uniform(0, 1)))
            appraise(groups, g)
            states.append((g.regions, m.territory.holder.tobytes()))
        assert states[0] == states[1], seed
