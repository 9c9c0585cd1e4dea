"""The tenth pass's collection (docs/performance.md "collect10") against the forms it replaces, bit for bit.

``Collector.float_block`` reads the weeks' rows as one array instead of the per-reporter lists
``timeseries`` converted before; it must give the same frame as Mesa's records, and give way to
them whenever a value is not a float or the rows were already moved.
"""

from __future__ import annotations

import functools
import types

import numpy as np
import pandas as pd
import pytest

from conftest import small_config
from sim import run as run_module
from sim.collection import Collector
from sim.model import SahelModel


def _same_frame(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert list(a.dtypes) == list(b.dtypes)
    assert a.index.equals(b.index) and type(a.index) is type(b.index)
    for name in a.columns:
        x, y = a[name].to_numpy(), b[name].to_numpy()
        if x.dtype == np.float64:
            assert np.array_equal(x.view(np.int64), y.view(np.int64)), name
        else:
            assert list(x) == list(y), name


def _value(m, column: int):
    return m.values[column]


def _collector(n_columns: int) -> Collector:
    return Collector(model_reporters={f"c{j}": functools.partial(_value, column=j) for j in range(n_columns)})


EDGES = [float("nan"), -0.0, 0.0, float("inf"), -float("inf"), 5e-324, 1e308]


def _week(rng: np.random.Generator, n: int) -> list:
    values = list(rng.normal(0, 10.0 ** rng.integers(-3, 9), n))
    for i in rng.integers(0, n, rng.integers(0, 3)):
        values[i] = EDGES[rng.integers(len(EDGES))]
    return [np.float64(v) if rng.random() < 0.3 else float(v) for v in values]


def test_float_block_is_mesas_frame_on_random_weeks():
    rng = np.random.default_rng(10)
    for case in range(40):
        n, weeks = int(rng.integers(1, 30)), int(rng.integers(1, 60))
        collector, model = _collector(n), types.SimpleNamespace(time=0.0)
        for _ in range(weeks):
            model.values = _week(rng, n)
            collector.collect(model)
        names, block = collector.float_block()
        assert names == [f"c{j}" for j in range(n)]
        _same_frame(pd.DataFrame(block.T, columns=names), collector.get_model_vars_dataframe())
        assert collector.float_block() is None, case  # the rows have moved into model_vars


@pytest.mark.parametrize("odd", [1, True, np.float32(1.5), np.int64(2), None, "x"])
def test_float_block_gives_way_to_other_values(odd):
    collector, model = _collector(3), types.SimpleNamespace(time=0.0)
    for week in range(4):
        model.values = [1.0, odd if week == 2 else 2.0, 3.0]
        collector.collect(model)
    assert collector.float_block() is None
    assert _collector(3).float_block() is None  # no weeks


def test_run_timeseries_from_rows_is_mesas_frame():
    model = SahelModel(small_config(0).scenario, seed=0)
    for _ in range(9):
        model.step()
    assert model.datacollector.float_block() is not None  # the rows are read as they are
    ts = run_module.timeseries(model)
    ref = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    ref.insert(0, "date", list(ts["date"]))
    ref.insert(0, "week", np.arange(1, len(ref) + 1))
    _same_frame(ts, ref)
    model.step()  # a week after the rows moved: the lists are read again
    assert model.datacollector.float_block() is None
    _same_frame(run_module.timeseries(model).iloc[:, 2:], model.datacollector.get_model_vars_dataframe())
