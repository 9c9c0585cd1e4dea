"""The batched collection of outcomes records, bit for bit, what each reporter returns on its own."""

from __future__ import annotations

import pickle

import mesa
import numpy as np
import pytest

from conftest import CORE, small_config
from sim.collection import BATCHES, Collector, plan
from sim.model import SahelModel
from simcli.compose import compose

# Policies whose outcomes read their state (processes, listings, knowledge, DDR, gold, raids).
POLICIES = "policy=[peace_deals,accommodation,sanctions,ddr,gold_formalization,hub_raids]"


def bits(value) -> str:
    """A number's exact identity: its repr as a float (tells -0.0 from 0.0, compares nan to nan)."""
    return repr(float(value))


def assert_records_are_the_reporters(model: SahelModel, weeks: int) -> int:
    """Step ``weeks`` weeks; after each, every recorded value must be its reporter's own value. Returns the checks."""
    checks = 0
    for _ in range(weeks):
        model.step()
        records = model.datacollector.model_vars
        differ = {
            name: (records[name][-1], reporter(model))
            for name, reporter in model.datacollector.model_reporters.items()
            if bits(records[name][-1]) != bits(reporter(model))
        }
        assert not differ, f"week {model.steps}: batched values differ from the reporters: {differ}"
        checks += len(records)
    return checks


def test_every_outcome_recorded_is_its_reporters_value_with_all_actors_and_policies():
    config = compose(["scenario=small", POLICIES])
    model = SahelModel(config.scenario, seed=5, policy=config.policy)
    batches, singles = plan(model, model.datacollector.model_reporters)
    assert len(batches) >= 15 and sum(len(names) for names, _ in batches) > 3 * len(singles)
    assert assert_records_are_the_reporters(model, 40) == 40 * len(model.outcomes)
    values = {name: series[-1] for name, series in model.datacollector.model_vars.items()}
    # The batches had something to compute: processes, listings and knowledge are not all zero.
    for name in ("peace_members", "listed_top", "value_known.fused", "knowledge.fused_share", "community_income_index"):
        assert values[name] != 0.0, name


def test_every_outcome_recorded_is_its_reporters_value_without_actors():
    model = SahelModel(small_config(3, **CORE).scenario, seed=3)
    assert model.armed_groups is None and model.communities is None and model.knowledge is None
    assert_records_are_the_reporters(model, 12)


def test_the_collector_records_what_mesas_collector_records():
    model = SahelModel(small_config(2).scenario, seed=2)
    ours = model.datacollector
    assert isinstance(ours, Collector)
    theirs = mesa.DataCollector(model_reporters=dict(ours.model_reporters))
    for _ in range(6):
        model.step()
        theirs.collect(model)
    assert list(ours.model_vars) == list(theirs.model_vars)
    for name, series in ours.model_vars.items():
        assert [bits(v) for v in series] == [bits(v) for v in theirs.model_vars[name]], name


def test_every_batch_serves_a_reader_of_the_registry():
    model = SahelModel(small_config(0).scenario, seed=0)
    batches, _singles = plan(model, model.datacollector.model_reporters)
    assert {type(b) for _names, b in batches} == set(BATCHES.values())


@pytest.mark.parametrize("length", [1, 3, 7, 8, 9, 41, 128, 129, 300])
def test_rows_of_a_matrix_sum_as_vectors(length):
    """What the regional and community batches rely on: numpy sums each row as it sums a vector."""
    rng = np.random.default_rng(length)
    matrix = rng.random((12, length)) * 10.0 ** rng.uniform(-6, 9, (12, length))
    assert [bits(s) for s in matrix.sum(axis=1)] == [bits(row.copy().sum()) for row in matrix]


def test_records_read_pickled_or_continued_mid_run_are_the_same_as_read_at_the_end():
    """Weeks kept as rows reach Mesa's lists whenever they are read: mid-run, when pickled, at the end."""
    straight = SahelModel(small_config(4).scenario, seed=4)
    for _ in range(9):
        straight.step()
    expected = {name: [bits(v) for v in series] for name, series in straight.datacollector.model_vars.items()}
    model = SahelModel(small_config(4).scenario, seed=4)
    for week in range(9):
        model.step()
        if week == 2:
            assert len(model.datacollector.model_vars["trips"]) == 3  # read mid-run
        if week == 5:
            model = pickle.loads(pickle.dumps(model))  # saved and loaded mid-run (sim/state.py)
    got = {name: [bits(v) for v in series] for name, series in model.datacollector.model_vars.items()}
    assert got == expected
    assert model.datacollector.get_model_vars_dataframe().shape == (9, len(model.outcomes))


def test_a_collector_pickled_with_plain_records_loads():
    """A collector saved when the records were Mesa's plain attribute loads with them."""
    model = SahelModel(small_config(1).scenario, seed=1)
    model.step()
    collector = model.datacollector
    state = collector.__getstate__()
    state["model_vars"] = state.pop("_model_vars")
    state.pop("_rows")
    loaded = Collector.__new__(Collector)
    loaded.__setstate__(state)
    assert loaded.model_vars == collector.model_vars and len(loaded.model_vars["trips"]) == 1


@pytest.mark.parametrize("length", [1, 7, 8, 9, 41, 129])
def test_rows_of_a_product_of_three_axes_sum_as_vectors(length):
    """What the community indices rely on: variables times weights, summed over the last axis, row by row."""
    rng = np.random.default_rng(length)
    weights = rng.random((12, length)) * 10.0 ** rng.uniform(0, 6, (12, length))
    variables = rng.random((4, length))
    together = (weights * variables[:, None]).sum(axis=2)
    apart = [[bits((w * v).sum()) for w in weights] for v in variables]
    assert [[bits(x) for x in row] for row in together] == apart


@pytest.mark.parametrize("n", [1, 3, 8, 13, 200])
def test_a_count_divided_is_the_mean_of_the_booleans(n):
    """What the shares of licensed gold miners rely on: np.mean of booleans is their count over their number."""
    rng = np.random.default_rng(n)
    for _ in range(50):
        flags = rng.random(n) < rng.random()
        assert bits(np.count_nonzero(flags) / n) == bits(flags.mean())
