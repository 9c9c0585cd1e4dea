"""Crews: who enters which trade, and the experiment aggregation of their runs."""

from __future__ import annotations

import pickle

import numpy as np
from bitwise import bits

from conftest import cli, run_small
from experiments.aggregate import find_runs, long_table
from sim import libm
from sim.agents.trafficker import Kind, State, Trafficker
from sim.params import RunConfig, from_dict
from sim.run import run


def mercenary_share(res, good):
    crews, world = res.model.crews, res.model.world
    mine = crews.alive & (crews.good == world.good_index(good))
    return (crews.kind[mine] == Kind.MERCENARY).mean()


def test_high_profit_trades_draw_mercenaries():
    """M4: cocaine (large profit per trip) has a larger mercenary share than food, in every seed."""
    for seed in range(3):
        res = run(from_dict(RunConfig, {"seed": seed, "steps": 26, "scenario": {"burn_in_weeks": 4}}))
        assert mercenary_share(res, "cocaine") > mercenary_share(res, "food") + 0.3


def test_agents_mirror_their_columns():
    res = run_small(1, steps=20)
    model = res.model
    agents = list(model.agents_by_type[Trafficker])
    assert len(agents) == model.crews.n_alive > 0
    for a in agents[:50]:
        assert a.cash == model.crews.cash[a.slot] >= 0
        assert a.good in {g.id for g in model.world.goods}
        if a.state == State.MOVING:
            assert a.cargo > 0
        assert a.location in model.world.index


def test_aggregate_reads_a_sweep(tmp_path):
    proc = cli("-m", "scenario=small", "steps=10", "seed=1,2", f"hydra.sweep.dir={tmp_path}")
    assert proc.returncode == 0, proc.stderr
    done, unfinished = find_runs(tmp_path)
    assert len(done) == 2 and not unfinished
    table = long_table(done)
    assert set(table["seed"]) == {1, 2}
    values = table[table.outcome == "delivered_value_usd"].value
    assert np.all(values > 0)


def test_route_costs_recomputed_by_part_equal_a_full_recomputation():
    """Parts of the route costs are kept until their inputs change; each week they equal costs computed afresh."""
    from sim.model import SahelModel
    from sim.params import ScenarioConfig

    model = SahelModel(ScenarioConfig(supply_scale=0.1, burn_in_weeks=2), seed=4)
    crews, rates = model.crews, model.enforcement.rates
    names = ("transport_unit", "sink_value", "value_at", "route_bloc", "protection_unit", "pay_unit", "true_survival")
    names += ("route_closed", "cand_sink", "cand_transport", "cand_open", "cand_pay")

    def assert_fresh(when):
        cached = {n: getattr(crews, n).copy() for n in names}
        crews._route_cost_version, crews._transport_key, crews._blocs_seen, crews._closed_seen = (), None, None, None
        del crews.value_at  # the value carried is recomputed for every route, not only where prices moved
        crews._route_costs()
        for n in names:
            assert np.array_equal(cached[n], getattr(crews, n)), (when, n)

    for week in range(30):
        model.step()
        assert_fresh(week)
    # A border closed in place (the rates' version moves, as every week): the closures follow.
    assert not crews.route_closed.any()
    rates.closed[model.world.index["in_khalil"]] = True
    rates.version += 1
    crews._route_costs()
    assert crews.route_closed.any()
    assert_fresh("closed")


def test_the_networks_kept_weights_are_the_powers_computed_afresh():
    """``Crews._keep_of`` (fourteenth pass) keeps one table between weeks: the same bits as the week's own powers."""
    crews = run_small(2, steps=12).model.crews
    rate = crews.p.learning_rate_network
    for n in (0, 3, 40, 7, 300, 41, 1200):  # growing and shrinking, as the week's encounters do
        table = crews._keep_of(n)
        assert len(table) > n
        assert bits(table[: n + 1]) == bits(libm.power(1.0 - rate, np.arange(n + 1)))
    assert "_keep_table" not in pickle.loads(pickle.dumps(crews)).__dict__  # a saved state rebuilds it
