"""The groups' week in few compiled calls and the communities' credit against their references (issue 18, pass 7).

``ArmedGroups.step`` runs the groups' turns through :func:`sim.agents.turn_kernels.group_turns`,
which stops only where Python must act. The reference is the loop it replaced, each group's turn
made by the methods drawing for themselves (``tests/test_turn2_kernels.py``'s
``_reference_turn``): after the whole phase both models must be the same, values and types,
with the generator in the same state. ``Communities._credit``'s numpy form is kept here as the
reference of :func:`sim.agents.turn_kernels.credit`.
"""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest
from test_turn2_kernels import _reference_turn, _snapshot, _value

from conftest import frozen_small


@pytest.fixture(scope="module")
def frozen():
    return frozen_small(weeks=6, seed=4)


def _phase_case(frozen, seed):
    """A model whose groups' rates (set by ``seed``) make kidnappings, punishments, attacks and appraisals come up."""
    m = pickle.loads(frozen)
    rng = np.random.default_rng(seed)
    groups = m.armed_groups
    groups.p = dataclasses.replace(
        groups.p,
        kidnap_rate_other=float(rng.choice([0.0, 0.5, 5.0])),
        kidnap_rate_jihadist=float(rng.choice([0.0, 0.5, 5.0])),
        civilian_attack_rate=float(rng.choice([0.0, 0.3, 0.9])),
        attack_rate=float(rng.choice([0.0, 0.1, 0.9])),
        appraise_weeks=int(rng.choice([0, 1, 4])),
        unit_size=float(rng.choice([groups.p.unit_size, 1.0, 1e5])),
        enter_share=float(rng.choice([groups.p.enter_share, 0.0])),
    )
    m.week_index += seed % 4
    live = [g for g in groups.groups if g.fighters > 0]
    if seed % 5 == 1:  # a group without fighters is skipped (zero, negative zero)
        live[seed % len(live)].fighters = [0.0, -0.0][seed % 2]
    if seed % 7 == 2:  # numpy scalars among the groups' numbers keep their type
        g = live[(seed + 1) % len(live)]
        g.fighters, g.funds = np.float64(g.fighters), np.float64(g.funds)
    m.rng = np.random.default_rng(seed + 900)
    return m


def _reference_step(groups, order):
    """The loop ``group_turns`` replaced: each active group's turn, by the methods drawing for themselves."""
    for i in order.tolist():
        g = groups.groups[i]
        if g.fighters > 0:
            _reference_turn(groups, g)


def test_the_week_of_turns_is_the_turn_by_turn_loop(frozen):
    """40 phases: the same model afterwards (values, types, ledger, generator), every kind of stop reached."""
    from sim.agents import armed_group
    from sim.agents import turn_kernels as k
    from sim.agents.armed_group import ArmedGroups

    data = frozen
    stops: dict[float, int] = {}
    proxy = armed_group.turn_kernels
    kernel = k.group_turns

    def watch(*args):
        start, outs = args[2], args[10]
        stop = kernel(*args)
        stage = float(outs[stop, k.STAGE]) if stop < len(outs) else -2.0
        stops[stage] = stops.get(stage, 0) + 1
        for out in outs[start:stop]:  # appraisals in the loop (tenth pass), counted by what they did
            if out[k.STAGE] == k.STAGE_APPRAISED:
                left, entered = out[k.LEFT] >= 0, out[k.ENTERED] >= 0
                moved = ("stayed", "left", "entered", "left and entered")[left + 2 * entered]
                stops[moved] = stops.get(moved, 0) + 1
        return stop

    turns = ArmedGroups._turns
    for seed in range(40):
        ref = _phase_case(data, seed)
        ArmedGroups._turns = _reference_step
        try:
            ref.armed_groups.step()
        finally:
            ArmedGroups._turns = turns
        new = _phase_case(data, seed)
        proxy.group_turns = watch
        try:
            new.armed_groups.step()
        finally:
            proxy.group_turns = kernel
        assert new.rng.bit_generator.state == ref.rng.bit_generator.state, seed
        assert _snapshot(new) == _snapshot(ref), seed
        assert _value(new.ledger.turnover) == _value(ref.ledger.turnover), seed
    wanted = (k.STAGE_KIDNAP, k.STAGE_PUNISH, k.STAGE_ATTACK, -2.0, "stayed")  # moves: test_groups10_kernels.py
    assert all(stops.get(s, 0) for s in wanted), stops


def test_a_zone_without_people_stops_the_loop_and_raises_as_before(frozen):
    """A zone with no people: Python runs the turn, whose economy raises, as the turn by turn loop did."""
    from sim.agents.armed_group import ArmedGroups

    for driver in (_reference_step, ArmedGroups._turns):
        m = _phase_case(frozen, 0)
        groups = m.armed_groups
        g = next(g for g in groups.groups if g.fighters > 0 and len(groups._zone(g)))
        groups._zones[g.regions] = dataclasses.replace(groups._zone(g), people=0.0)
        groups.__dict__.pop("_turn_zones", None)
        turns = ArmedGroups._turns
        ArmedGroups._turns = driver
        try:
            with pytest.raises(ZeroDivisionError):
                groups.step()
        finally:
            ArmedGroups._turns = turns


# --- Communities._credit: the numpy form (sim/agents/community.py before the kernel) -----------


def _credit(row_of_place, places, amounts, cash, inflow):
    """Returns the ledger's payments (abroad, at communities; None when not made) and changes the columns."""
    rows = row_of_place[places]
    inside = rows >= 0
    abroad = float(np.add.reduce(amounts[~inside]))
    paid = [abroad if abroad else None, None]
    if inside.any():
        rows, amounts = rows[inside], amounts[inside]
        paid[1] = float(np.add.reduce(amounts))
        np.add.at(cash, rows, amounts)
        np.add.at(inflow, rows, amounts)
    return paid


def test_the_compiled_credit_is_the_numpy_form_bit_for_bit():
    """300 cases: repeats, abroad only, none, more than 128 entries, negative zeros and NaN."""
    from sim.agents import turn_kernels as k

    rng = np.random.default_rng(7)
    for case in range(300):
        n_places = int(rng.integers(1, 60))
        row_of_place = np.where(rng.random(n_places) < [0.0, 1.0, 0.7][case % 3], rng.permutation(n_places), -1)
        n = int(rng.integers(0, 400)) if case % 10 else 0
        places = rng.integers(0, n_places, n)
        amounts = rng.lognormal(3, 2, n) * rng.choice([1.0, 1e-9, 1e9], n)
        if case % 4 == 1 and n:
            amounts[rng.integers(0, n, 3)] = -0.0
        if case % 9 == 4 and n:
            amounts[rng.integers(0, n)] = np.nan
        cash, inflow = rng.normal(0, 1e4, n_places), rng.random(n_places)
        c_ref, i_ref = cash.copy(), inflow.copy()
        paid = _credit(row_of_place, places, amounts, c_ref, i_ref)
        abroad, inside, any_inside = k.credit(row_of_place, places, amounts, cash, inflow)
        got = [abroad if abroad else None, inside if any_inside else None]
        assert [_value(x) for x in got] == [_value(x) for x in paid], case
        assert cash.tobytes() == c_ref.tobytes() and inflow.tobytes() == i_ref.tobytes(), case


# --- the rents from the crews: the numpy forms (sim/agents/armed_group.py before the kernels) ---


def _collect(self, enc, ledger):
    paid = enc.toll > 0
    if not paid.any():
        return
    holder = self.model.territory.holder[enc.place[paid]]
    amounts = np.bincount(holder, weights=enc.toll[paid], minlength=len(self.groups))
    np.add.at(self.rent_week, enc.place[paid], enc.toll[paid])
    for i in np.flatnonzero(amounts):
        self._earn(self.groups[i], "tolls", float(amounts[i]), "traffickers", ledger)


def _pay_bloc(self, bloc, amount, source, ledger):
    paid_blocs = sorted(set(bloc.tolist()))
    by_bloc = self._bloc_members()
    for b in paid_blocs:
        total = float(amount[bloc == b].sum())
        members = by_bloc.get(b)
        if not members:
            ledger.pay(f"group_{source}", "traffickers", "local_economy", total)
            continue
        weight = sum(n for _, n in members)
        for g, n in members:
            self._earn(g, source, total * n / weight, "traffickers", ledger)
    return paid_blocs


def _protect(self, crews, alliance, fee, ledger):
    paid_blocs = _pay_bloc(self, alliance, fee, "protection", ledger)
    for b in paid_blocs:
        places = np.flatnonzero(self.alliance == b)
        if len(places):
            self.rent_week[places] += float(fee[alliance == b].sum()) / len(places)


def _rents(m):
    groups = m.armed_groups
    parts = [_value((g.funds, g.revenue)) for g in groups.groups]
    return [*parts, _value(groups.rent_week), _value(m.ledger.balances), _value(dict(m.ledger.week_flows))]


def test_the_compiled_rents_are_the_numpy_forms_bit_for_bit(frozen):
    """60 weeks of tolls, protection fees and profit shares: groups' funds and revenue, rents, ledger."""
    from types import SimpleNamespace

    for case in range(60):
        rng = np.random.default_rng(case)
        ref, new = pickle.loads(frozen), pickle.loads(frozen)
        holder = ref.territory.holder
        held = np.flatnonzero(holder >= 0)
        n = int(rng.integers(0, 300)) if case % 6 else 0
        place = rng.integers(0, len(holder), n)
        toll = np.where(holder[place] >= 0, rng.lognormal(4, 2, n) * (rng.random(n) < 0.6), 0.0)
        if case % 5 == 2 and n:
            toll[rng.random(n) < 0.2] = -0.0
        blocs = np.append(ref.armed_groups.alliance[held], [len(ref.armed_groups.bloc_names) + 3])
        m = int(rng.integers(0, 200)) if case % 7 else 0
        alliance = rng.choice(blocs, m)
        fee = rng.lognormal(6, 3, m) * (rng.random(m) < 0.8)
        share = rng.lognormal(5, 2, m)
        enc = SimpleNamespace(place=place, toll=toll)
        _collect(ref.armed_groups, enc, ref.ledger)
        _protect(ref.armed_groups, None, alliance, fee, ref.ledger)
        _pay_bloc(ref.armed_groups, alliance, share, "trafficking", ref.ledger)
        new.armed_groups.collect(enc, new.ledger)
        new.armed_groups.protect(None, alliance, fee, new.ledger)
        new.armed_groups.share_profit(alliance, share, new.ledger)
        assert _rents(new) == _rents(ref), case
        assert _value(new.ledger.turnover) == _value(ref.ledger.turnover), case


def test_a_toll_at_a_place_no_group_holds_is_refused(frozen):
    """As ``np.bincount`` refused the -1 before: an error, and no rent booked."""
    from types import SimpleNamespace

    m = pickle.loads(frozen)
    free = int(np.flatnonzero(m.territory.holder < 0)[0])
    rent = m.armed_groups.rent_week.copy()
    with pytest.raises(ValueError, match="no group holds"):
        m.armed_groups.collect(SimpleNamespace(place=np.array([free]), toll=np.array([5.0])), m.ledger)
    assert m.armed_groups.rent_week.tobytes() == rent.tobytes()
