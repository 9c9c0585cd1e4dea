"""The appraisal of a group's regions inside the compiled loop of turns (issue 18, tenth pass).

:func:`sim.agents.turn_kernels.group_turns` appraises a group's regions where it used to stop for
Python, with the enemies' strength from :func:`sim.agents.turn_kernels.enemy_strength`. The
references: the turn-by-turn loop of the methods (``tests/test_turn2_kernels.py``'s
``_reference_turn``) over whole phases where appraisals leave and enter regions, and the Python
loop ``ArmedGroups._enemies`` was before the kernel, kept here.
"""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest
from test_groups7_kernels import _reference_step
from test_turn2_kernels import _snapshot, _value

from conftest import frozen_small


@pytest.fixture(scope="module")
def frozen():
    return frozen_small(weeks=6, seed=6)


def _reference_enemies(groups, group):
    """``ArmedGroups._enemies`` before the tenth pass: a Python loop over the groups."""
    enemies = [0.0] * len(groups.region_names)
    deals, names = groups.model.levers.deals, groups.region_names
    for g in groups.groups:
        fighters = g.fighters
        if fighters > 0 and g is not group and (groups.hostile(group, g) if deals else g.bloc != group.bloc):
            regions = g.regions
            strength = fighters * min(1.0, g.arms / fighters) ** 0.5 / (len(regions) or 1)  # g.strength
            for i in dict.fromkeys(names.index(r) for r in regions if r in names):
                enemies[i] += strength
    return np.array(enemies)


def _case(frozen, seed):
    """A model whose appraisals (every week, shares set by ``seed``) leave and enter regions, with few other stops."""
    m = pickle.loads(frozen)
    rng = np.random.default_rng(seed)
    groups = m.armed_groups
    groups.p = dataclasses.replace(
        groups.p,
        kidnap_rate_other=float(rng.choice([0.0, 0.0, 0.5])),
        kidnap_rate_jihadist=float(rng.choice([0.0, 0.0, 0.5])),
        civilian_attack_rate=float(rng.choice([0.0, 0.3])),
        attack_rate=float(rng.choice([0.0, 0.3])),
        appraise_weeks=int(rng.choice([1, 2])),
        leave_share=float(rng.choice([groups.p.leave_share, 0.6, 0.99])),
        enter_share=float(rng.choice([groups.p.enter_share, 0.0])),
        unit_size=float(rng.choice([groups.p.unit_size, 1.0])),
    )
    m.week_index += seed % 2
    live = [g for g in groups.groups if g.fighters > 0]
    for i, g in enumerate(live):  # arms short of, equal to and above the fighters; none
        g.arms = float(rng.choice([0.0, 0.5, 1.0, 3.0])) * g.fighters
        if seed % 4 == 1 and i % 3 == 0:
            g.fighters = np.float64(g.fighters)  # numpy scalars keep their type
    if seed % 3 == 0:  # a local peace deal: its members do not count as each other's enemies (M11)
        members = rng.choice([g.index for g in live], size=3, replace=False)
        m.levers.deals = [frozenset(int(i) for i in members)]
    m.rng = np.random.default_rng(seed + 1100)
    return m


def test_the_appraisals_in_the_loop_are_the_turn_by_turn_loop(frozen):
    """24 phases: the same model afterwards (values, types, ledger, generator); groups stay, leave, enter, resume.

    In odd seeds the phase's first appraisal's terms are not taken early (``_fix_early``): the loop
    stops for them and resumes, the path it takes when they are not there yet.
    """
    from sim.agents import armed_group
    from sim.agents import turn_kernels as k
    from sim.agents.armed_group import ArmedGroups

    moves = {"stayed": 0, "left": 0, "entered": 0, "resumed": 0}
    proxy, kernel = armed_group.turn_kernels, k.group_turns

    def watch(*args):
        order, start, state, outs = args[1], args[2], args[3], args[10]
        moves["resumed"] += args[-1] >= 0  # after the stop for the phase's first appraisal's terms
        stop = kernel(*args)
        for g, out in zip(order[start:stop].tolist(), outs[start:stop], strict=True):
            if out[k.STAGE] != k.STAGE_SKIPPED:  # the appraisals after it read its fighters as its economy left them
                assert _value(state[g, k.S_FIGHTERS]) == _value(out[k.FIGHTERS])
            if out[k.STAGE] == k.STAGE_APPRAISED:
                moves["stayed"] += out[k.LEFT] < 0 and out[k.ENTERED] < 0
                moves["left"] += out[k.LEFT] >= 0
                moves["entered"] += out[k.ENTERED] >= 0
        return stop

    turns, fix_early = ArmedGroups._turns, ArmedGroups._fix_early
    for seed in range(24):
        ref = _case(frozen, seed)
        ArmedGroups._turns = _reference_step
        try:
            ref.armed_groups.step()
        finally:
            ArmedGroups._turns = turns
        new = _case(frozen, seed)
        proxy.group_turns = watch
        if seed % 2:  # the loop stops for the first appraisal's terms, as before the twelfth pass took them early
            ArmedGroups._fix_early = lambda self, due: None
        try:
            new.armed_groups.step()
        finally:
            proxy.group_turns = kernel
            ArmedGroups._fix_early = fix_early
        assert new.rng.bit_generator.state == ref.rng.bit_generator.state, seed
        assert _snapshot(new) == _snapshot(ref), seed
        assert [g.regions for g in new.armed_groups.groups] == [g.regions for g in ref.armed_groups.groups], seed
        assert _value(new.ledger.turnover) == _value(ref.ledger.turnover), seed
    assert all(moves.values()), moves


def test_the_enemies_strength_is_the_python_loop(frozen):
    """30 cases: strengths by region bit for bit (arms short, above, none, NaN; no fighters; deals; odd regions)."""
    for seed in range(30):
        m = _case(frozen, seed)
        groups = m.armed_groups
        rng = np.random.default_rng(seed + 50)
        for g in groups.groups:
            g.arms = float(rng.choice([0.0, g.arms, 1e-300, np.nan, rng.random() * g.fighters]))
        for g in rng.choice(groups.groups, size=2, replace=False):
            g.fighters = float(rng.choice([0.0, -0.0, -1.0, 1e-300]))
        if seed % 2:  # a region named twice, and one outside Mali, in a group's regions
            g = groups.groups[seed % len(groups.groups)]
            g.regions = (*g.regions, g.regions[0], "Abroad")
            if seed % 4 == 3:
                g.regions = ("Abroad",)
        for group in groups.groups:
            np.testing.assert_array_equal(groups._enemies(group), _reference_enemies(groups, group), str(seed))


def test_the_compiled_enemies_strength_is_the_python_loop_on_many_groups():
    """3,000 random cases of 30 groups (arms below the fighters: many square roots), regions repeated, deals."""
    from sim.agents import turn_kernels as k

    rng = np.random.default_rng(11)
    for case in range(3000):
        n, n_regions = 30, 8
        state = np.zeros((n, 4))
        state[:, k.S_FIGHTERS] = rng.lognormal(5.0, 2.0, n) * (rng.random(n) > 0.1)
        state[:, k.S_ARMS] = state[:, k.S_FIGHTERS] * rng.random(n) ** 3
        blocs = rng.integers(0, 4, n)
        hostile = blocs[:, None] != blocs[None, :]
        hostile[:5, :5] = False  # a deal
        regions = [rng.integers(0, n_regions, rng.integers(0, 4)).tolist() for _ in range(n)]
        spread = np.array([len(r) + (i % 3 == 0) for i, r in enumerate(regions)], dtype=np.int64)  # + one abroad
        current = np.full((n, 5), -1, dtype=np.int64)
        for i, r in enumerate(regions):
            current[i, : len(r)] = r
        counts = np.array([len(r) for r in regions], dtype=np.int64)
        group = case % n
        want = [0.0] * n_regions
        for g in range(n):
            fighters = float(state[g, k.S_FIGHTERS])
            if fighters > 0 and g != group and hostile[group, g]:
                strength = fighters * min(1.0, float(state[g, k.S_ARMS]) / fighters) ** 0.5 / (int(spread[g]) or 1)
                for r in dict.fromkeys(regions[g]):
                    want[r] += strength
        got = k.enemy_strength(group, state, hostile, current, counts, spread, 0.5, n_regions)
        np.testing.assert_array_equal(got, np.array(want), str(case))


def test_the_compiled_strength_is_pythons():
    """``ArmedGroup.strength`` (Python's ``** 0.5``, the C library's pow) bit for bit over 100,000 values."""
    from sim.agents import turn_kernels as k

    rng = np.random.default_rng(10)
    fighters = np.concatenate([rng.lognormal(5.0, 3.0, 100_000), [0.0, -0.0, -1.0, np.nan, 1e-300, 3.0]])
    arms = fighters * np.concatenate([rng.random(50_000) ** 8, rng.lognormal(0.0, 1.0, 50_006)])
    arms[:10] = (0.0, np.nan, np.inf, 1e-320, 5.0, 0.0, 1.0, 2.0, np.nan, 7.0)
    for f, a in zip(fighters.tolist(), arms.tolist(), strict=True):
        armed = min(1.0, a / f) if f > 0 else 0.0
        want = f * armed**0.5
        got = k.group_strength(f, a, 0.5)
        assert got == want or (got != got and want != want), (f, a, got, want)


# --- Communities._arms: the numpy form (sim/agents/community.py before the kernel) --------------


def _reference_arms(case):
    """The communities' arms, self-arming multiplier and banditry as the numpy form made them; changes ``arms``."""
    rows, places, arms, population, decay, row_of_place, delivered, share, groups_buy = case[:9]
    region_index, n_regions, insecurity, counts, self_arming, presence, banditry, old_rob, n = case[9:]
    arms[rows] *= 1.0 - decay
    mult = None
    if delivered is not None:
        for place in np.flatnonzero(delivered):
            units = float(delivered[place])
            row = row_of_place[place]
            if row >= 0:  # Communities.receive_arms
                arms[row] += units * share
                if not groups_buy:
                    arms[row] += units * (1 - share)
        region_insecurity = np.bincount(region_index, weights=insecurity[places], minlength=n_regions)
        mult = np.ones(n)
        mult[places] = np.round(1.0 + self_arming * (region_insecurity / counts)[region_index], 3)
    per_capita = np.divide(arms[rows], population[rows], out=np.zeros(len(rows)), where=population[rows] > 0)
    rob = np.zeros(n)
    rob[places] = np.clip(banditry * per_capita * (1.0 - presence[places]), 0.0, 0.3)
    rob = np.round(rob, 4)
    return mult, rob, not np.array_equal(rob, old_rob)


def _arms_case(seed):
    rng = np.random.default_rng(seed)
    n, n_regions = int(rng.integers(1, 60)), int(rng.integers(1, 6))
    places = rng.permutation(n)[: int(rng.integers(0, n + 1))]
    rows = np.sort(rng.permutation(80)[: len(places)])
    row_of_place = np.full(n, -1, dtype=np.int64)
    row_of_place[places] = rows
    arms = rng.lognormal(3.0, 2.0, 80) * (rng.random(80) > 0.1)
    population = rng.lognormal(6.0, 2.0, 80) * (rng.random(80) > 0.1)
    delivered = None
    if seed % 4:
        delivered = rng.lognormal(2.0, 2.0, n) * (rng.random(n) < 0.3)
        delivered[rng.random(n) < 0.05] = rng.choice([np.nan, -0.0, -1.0])
    region_index = rng.integers(0, n_regions, len(places))
    counts = np.maximum(np.bincount(region_index, minlength=n_regions), 1)
    insecurity = rng.random(n) * rng.choice([1.0, 10.0])
    presence = rng.random(n) * rng.choice([1.0, 2.0])  # above 1: negative robbery, clipped to 0
    if seed % 7 == 3:
        presence[rng.random(n) < 0.2] = np.nan
    banditry = float(rng.choice([0.0, 0.01, 1.0, 50.0]))
    old_rob = np.round(rng.random(n) * 0.01, 4) if seed % 3 else np.zeros(n)
    share, decay, self_arming = float(rng.random()), float(rng.choice([0.0, 0.01, 0.5])), float(rng.random())
    return (
        rows, places, arms, population, decay, row_of_place, delivered, share, bool(seed % 2),
        region_index, n_regions, insecurity, counts, self_arming, presence, banditry, old_rob, n,
    )  # fmt: skip


def test_the_compiled_arms_are_the_numpy_form_bit_for_bit():
    """300 cases: deliveries (none, NaN, negative zero, negative), people none, absence above one and NaN, repeats."""
    from sim.agents import turn_kernels as k

    changed_seen = set()
    for seed in range(300):
        case = _arms_case(seed)
        ref = _arms_case(seed)
        mult_ref, rob_ref, changed_ref = _reference_arms(ref)
        rows, places, arms, population, decay, row_of_place, delivered, share, groups_buy = case[:9]
        region_index, n_regions, insecurity, counts, self_arming, presence, banditry, old_rob, n = case[9:]
        arming = delivered is not None
        mult, rob = (np.empty(n) if arming else np.zeros(0)), np.empty(n)
        changed = k.community_arms(
            rows, places, arms, population, 1.0 - decay, row_of_place, delivered if arming else np.zeros(0), share,
            1 - share, groups_buy, region_index, n_regions, insecurity, counts, self_arming, presence, banditry, 0.3,
            old_rob, mult, rob,
        )  # fmt: skip
        assert arms.tobytes() == ref[2].tobytes(), seed
        assert rob.tobytes() == rob_ref.tobytes(), seed
        if arming:
            assert mult.tobytes() == mult_ref.tobytes(), seed
        assert changed == changed_ref, seed
        changed_seen.add(changed)
    assert changed_seen == {True, False}


# --- GoldSites._licences and _police_odds: the numpy forms (sim/agents/gold.py before the kernels) ---


def _reference_police_odds(rows, site, sites, capacity, lever_capacity, raid_rate, presence):
    places = sites[site[rows]]
    return raid_rate * np.clip(capacity + lever_capacity[places], 0.0, 1.0) * presence[places]


def _reference_applicants(case):
    """The rows that apply for a licence, their cash and value, as ``_licence_value`` and ``_licences`` made them."""
    rows, operator, profit, site, sites, capacity, lever_capacity, raid_rate, presence = case[:9]
    equipment, auction_weeks, premium, horizon, fee, capital, artisanal = case[9:]
    raids = np.where(
        operator[rows], _reference_police_odds(rows, site, sites, capacity, lever_capacity, raid_rate, presence), 0.0
    )
    loss = equipment + auction_weeks * profit[rows]
    value = horizon * (raids * loss + premium * profit[rows])
    cash = np.where(operator[rows], capital, artisanal)
    apply = (value > fee) & (cash >= fee)
    return rows[apply], cash[apply], value[apply]


def _gold_case(seed):
    rng = np.random.default_rng(seed)
    n_rows, n_sites, n_places = int(rng.integers(0, 50)), int(rng.integers(1, 8)), 30
    operator = rng.random(n_rows) < 0.4
    profit = rng.lognormal(6.0, 2.0, n_rows) * rng.choice([1.0, -1.0, 0.0], n_rows, p=[0.8, 0.1, 0.1])
    site = rng.integers(0, n_sites, n_rows)
    sites = rng.integers(0, n_places, n_sites)
    lever_capacity = rng.normal(0.0, 0.5, n_places)  # the clip bites on both sides
    presence = rng.random(n_places)
    presence[rng.random(n_places) < 0.05] = np.nan
    rows = np.flatnonzero(rng.random(n_rows) < 0.7)
    fee, equipment, premium = float(rng.choice([0.0, 500.0, 5e4])), float(rng.lognormal(9.0, 1.0)), rng.normal(0.0, 0.1)
    return (
        rows, operator, profit, site, sites, float(rng.random()), lever_capacity, float(rng.random()), presence,
        equipment, int(rng.integers(1, 20)), float(premium), int(rng.integers(1, 200)),
        fee, float(rng.choice([1e5, 100.0])), float(rng.choice([2000.0, 10.0])),
    )  # fmt: skip


def test_the_compiled_licence_applicants_and_raid_odds_are_the_numpy_forms():
    """300 cases: operators and claims, profits negative and zero, capacity clipped both ways, NaN presence."""
    from sim.agents import gold_kernels as k

    applied = 0
    for seed in range(300):
        case = _gold_case(seed)
        rows, want_cash, want_value = _reference_applicants(case)
        got_rows, got_cash, got_value = k.licence_applicants(*case)
        assert got_rows.tolist() == rows.tolist(), seed
        assert got_cash.tobytes() == want_cash.astype(np.float64).tobytes(), seed
        assert got_value.tobytes() == want_value.tobytes(), seed
        applied += len(rows)
        odds_case = (case[0], case[3], case[4], case[5], case[6], case[7], case[8])
        want = _reference_police_odds(*odds_case)
        assert k.police_odds(*odds_case).tobytes() == want.tobytes(), seed
    assert applied


# --- ArmedGroups.form_militias: the test for a defending militia as a set -------------------------


def _reference_form_militias(groups):
    """``form_militias`` before the tenth pass: each threatened community scans the groups in the field."""
    from sim.agents.armed_group import MIN_FIGHTERS, GroupKind
    from sim.identity import IDENTITIES

    p, model, communities = groups.p, groups.model, groups.model.communities
    rows = communities.threatened(p.militia_threat)
    active = groups.active
    for row in rows.tolist():
        if len(groups.groups) >= p.max_groups:
            return
        place = int(communities.place[row])
        ident = int(communities.identity[row])
        region = groups.world.region[place]
        if any(g.kind == GroupKind.SELF_DEFENCE and g.identity == ident and region in g.regions for g in active):
            continue
        if model.rng.random() >= p.militia_rate:
            continue
        fighters = p.militia_share * float(communities.pool[row])
        arms = communities.give_arms(row, fighters)
        if fighters < MIN_FIGHTERS:
            continue
        communities.send_recruits(np.array([place]), fighters)
        name = f"{IDENTITIES[ident].capitalize()} self-defence ({groups.world.names[place]})"
        group = groups.add_group(
            name, GroupKind.SELF_DEFENCE, f"{IDENTITIES[ident]} militias", fighters, 0.0, arms, [region], ident
        )
        group.revenue_ema = 0.0
        active.append(group)
        if model.territory.holder[place] < 0:
            model.territory.holder[place] = group.index
        groups.events["militias_formed"] += 1


def test_militias_form_as_the_scan_over_the_groups_made_them(frozen):
    """10 cases: many communities threatened, militias raised (several of one identity and region), caps reached."""
    for seed in range(10):
        models = []
        for form in (_reference_form_militias, None):
            m = pickle.loads(frozen)
            rng = np.random.default_rng(seed)
            groups, c = m.armed_groups, m.communities
            groups.p = dataclasses.replace(
                groups.p,
                militia_rate=float(rng.choice([0.3, 1.0])),
                militia_share=float(rng.choice([groups.p.militia_share, 0.5])),
                max_groups=int(rng.choice([len(groups.groups) + 2, 100])),
            )
            c.cols["threat"][c.rows] = rng.random(len(c.rows)) * 3.0 * groups.p.militia_threat
            m.rng = np.random.default_rng(seed + 1300)
            groups.events = dict.fromkeys(groups.events, 0)
            (form or type(groups).form_militias)(groups)
            models.append(m)
        ref, new = models
        assert new.rng.bit_generator.state == ref.rng.bit_generator.state, seed
        assert _snapshot(new) == _snapshot(ref), seed
        assert new.armed_groups.events == ref.armed_groups.events, seed
        formed = new.armed_groups.events["militias_formed"]
        assert formed, seed


# --- Communities.group_phase: the numpy form (sim/agents/community.py before the kernel) ----------


def test_the_compiled_group_phase_is_the_numpy_form_bit_for_bit():
    """200 cases: references none or some zero, incomes negative, NaN licit income and grievance."""
    from sim.agents import turn_kernels as k

    for seed in range(200):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(0, 60))
        r = np.arange(n)
        population = rng.lognormal(6.0, 2.0, n) * (rng.random(n) > 0.1)
        licit, week_inflow = rng.lognormal(3.0, 2.0, n), rng.normal(0.0, 50.0, n)
        licit[rng.random(n) < 0.05] = np.nan
        transit_ema, grievance = rng.lognormal(2.0, 2.0, n), rng.random(n)
        grievance[rng.random(n) < 0.05] = np.nan
        ref = None
        if seed % 3:
            ref = {"licit": rng.lognormal(3.0, 1.0, n) * (rng.random(n) > 0.2), "income": rng.lognormal(4.0, 1.0, n)}
        wage, elasticity = float(rng.lognormal(4.0, 1.0)), float(rng.random() * 3)
        # the numpy form
        index = (
            np.ones(n)
            if ref is None
            else np.divide(licit[r], ref["licit"][r], out=np.ones(n), where=ref["licit"][r] > 0)
        )
        want = (
            np.multiply(index, population[r]),
            population[r] * np.maximum(licit[r] + week_inflow[r], 0.0),
            population[r] * ref["income"][r] if ref is not None else np.zeros(0),
            transit_ema[r] / wage,
            1.0 + elasticity * np.maximum(0.0, 1.0 - index),
            0.5 + grievance[r],
        )
        got = k.group_phase_terms(
            r, population, licit, week_inflow, ref is not None, ref["licit"] if ref else np.zeros(0),
            ref["income"] if ref else np.zeros(0), transit_ema, wage, grievance, elasticity,
        )  # fmt: skip
        for a, b in zip(got, want, strict=True):
            assert a.tobytes() == b.tobytes(), seed


# --- ArmedGroups._fragment: the draws compiled (the ninth pass's loop of methods as reference) -----


def test_the_compiled_fragment_draws_are_the_method_calls(frozen):
    """20 cases: splits filling the last free slot (the rebrand after it still drawn), NaN and -0.0 rents, NaN rates."""
    from test_groups9_kernels import _case as fragment_case
    from test_groups9_kernels import _reference_fragment, _state

    from sim.names import GroupKind

    seen = dict.fromkeys(("group_splits", "rebrands", "alliance_switches"), 0)
    for seed in range(20):
        models = []
        for _ in range(2):
            m = fragment_case(frozen, seed)
            groups = m.armed_groups
            rng = np.random.default_rng(seed + 77)
            groups.p = dataclasses.replace(
                groups.p,
                split_rate=float(rng.choice([groups.p.split_rate, 50.0])),
                rebrand_rate=float(rng.choice([groups.p.rebrand_rate, 5.0])),
                max_groups=len(groups.groups) + int(rng.choice([0, 1, 2, 50])),
            )
            for g in groups.groups:
                if g.kind == GroupKind.JIHADIST and rng.random() < 0.7:
                    g.ct_pressure = float(rng.choice([0.5, 3.0]))
            if seed % 4 == 1:
                groups.rent = groups.rent.copy()
                groups.rent[rng.random(len(groups.rent)) < 0.1] = rng.choice([np.nan, -0.0])
            models.append(m)
        new, old = models
        new.armed_groups._fragment()
        _reference_fragment(old.armed_groups)
        assert repr(_state(new)) == repr(_state(old)), seed
        for key in seen:
            seen[key] += new.armed_groups.events[key]
    assert all(seen.values()), seen


def test_a_split_that_fills_the_last_slot_still_lets_the_group_rebrand(frozen):
    """As ``_fragment`` tested it once per group, before the split: the rebrand is drawn after a split to the cap."""
    from test_groups9_kernels import _reference_fragment, _state

    from sim.names import GroupKind

    done = 0
    for seed in range(6):
        models = []
        for _ in range(2):
            m = pickle.loads(frozen)
            groups, holder = m.armed_groups, m.territory.holder
            held = np.bincount(holder[holder >= 0], minlength=len(groups.groups))
            target = [
                g for g in groups.groups if g.kind == GroupKind.JIHADIST and g.fighters > 0 and held[g.index] >= 2
            ]
            target = target[seed % len(target)]
            groups.p = dataclasses.replace(
                groups.p, split_rate=1e9, rebrand_rate=1e9, switch_rate=0.0, max_groups=len(groups.groups) + 1
            )
            groups.rent = groups.rent + 1e9 * (holder == target.index)
            for g in groups.groups:
                g.ct_pressure = 1.0 if g is target else 0.0
            m.rng = np.random.default_rng(seed)
            models.append(m)
        new, old = models
        new.armed_groups._fragment()
        _reference_fragment(old.armed_groups)
        assert repr(_state(new)) == repr(_state(old)), seed
        done += new.armed_groups.events["rebrands"] and new.armed_groups.events["group_splits"]
    assert done
