"""Crews: who enters which trade, and the experiment aggregation of their runs."""

from __future__ import annotations

import numpy as np

from conftest import cli, run_small
from experiments.aggregate import find_runs, long_table
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
