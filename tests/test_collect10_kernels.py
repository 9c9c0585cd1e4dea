"""The tenth pass's collection (docs/performance-log.md "collect10") against the forms it replaces, bit for bit.

``Collector.float_block`` reads the weeks' rows as one array instead of the per-reporter lists
``timeseries`` converted before; it must give the same frame as Mesa's records, and give way to
them whenever a value is not a float or the rows were already moved. ``FlatWeek`` computes six
readers' reporters in one compiled call; each value must be the reporter's own, on random
counters with NaN, infinities, negative zeros and zeros, empty sets of places and zero denominators.
"""

from __future__ import annotations

import functools
import types

import numpy as np
import pandas as pd
import pytest

from conftest import small_config
from sim import collection_kernels as kernels
from sim import outcomes as o
from sim import run as run_module
from sim.collection import BATCHES, Collector, FlatWeek
from sim.model import SahelModel
from sim.stats import Stats


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


def test_records_of_one_reporter_are_model_vars_without_moving_the_rows():
    rng = np.random.default_rng(11)
    collector, model = _collector(7), types.SimpleNamespace(time=0.0)
    for week in range(30):
        model.values = _week(rng, 7)
        collector.collect(model)
        if week == 11:
            assert len(collector.model_vars["c3"]) == 12  # read mid-run: the rows so far move
        got = {f"c{j}": collector.records_of(f"c{j}") for j in range(7)}
        assert collector.__dict__["_rows"] or week == 11  # still rows: records_of moved none
        want = {name: list(series) for name, series in collector.model_vars.items()}
        assert {k: [repr(x) for x in v] for k, v in got.items()} == {k: [repr(x) for x in v] for k, v in want.items()}
    with pytest.raises(KeyError):
        collector.records_of("nothing")


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


PLACE_COUNTERS = ("enc_total", "enc_staffed", "services", "seized_value_at", "deaths")
GOOD_COUNTERS = ("delivered", "seized", "trip_profit", "trips", "robbed")


def _flat_week_case(rng: np.random.Generator, n_goods: int, n_places: int, special: str):
    """A stats object with random week counters, and random calls of the six readers ``FlatWeek`` serves."""
    stats = Stats(n_goods, n_places, 7, 11)
    week = stats.flat("week")
    week[:] = rng.exponential(10.0, week.size) * (rng.random(week.size) < 0.7)
    edges = {"nan": np.nan, "negative zero": -0.0, "inf": np.inf, "zero": 0.0}
    if special in edges:
        week[rng.random(week.size) < 0.3] = edges[special]
    if special == "negative":
        week[:] = -week
    if special == "all negative zero":  # numpy sums them to 0.0, a plain pairwise sum of eight or more to -0.0
        week[:] = -0.0
    goods = [types.SimpleNamespace(livelihood=bool(x)) for x in rng.random(n_goods) < 0.4]
    model = types.SimpleNamespace(stats=stats, world=types.SimpleNamespace(goods=goods))
    calls = []
    for _ in range(int(rng.integers(1, 40))):
        reader = rng.integers(6)
        place_key, good_key = rng.choice(PLACE_COUNTERS), rng.choice(GOOD_COUNTERS)
        if reader == 0:
            calls.append((o._week_at, {"key": str(good_key), "index": int(rng.integers(n_goods))}))
        elif reader == 1:
            places = rng.choice(n_places, int(rng.integers(0, n_places + 1)), replace=False)
            key = str(place_key) if rng.random() < 0.7 else "place_good_units"
            calls.append((o._week_places, {"key": key, "places": np.sort(places)}))
        elif reader == 2:
            calls.append((o._week_sum, {"key": str(rng.choice([place_key, good_key, "edge_good_units", "enc_none"]))}))
        elif reader == 3:
            calls.append((o._illicit_week, {"key": str(good_key)}))
        elif reader == 4:
            num, den = rng.choice(GOOD_COUNTERS, 2)
            calls.append((o._ratio_week_at, {"num": str(num), "den": str(den), "g": int(rng.integers(n_goods))}))
        else:
            num, *den = rng.choice((*PLACE_COUNTERS, "enc_none"), 3)
            calls.append((o._share_week, {"num": str(num), "den": (str(den[0]), str(den[1]))}))
    return model, calls


@pytest.mark.parametrize("special", ["", "nan", "negative zero", "all negative zero", "inf", "zero", "negative"])
@pytest.mark.parametrize(("n_goods", "n_places"), [(1, 1), (3, 9), (7, 130)])
def test_flat_week_is_each_reporters_value(special, n_goods, n_places):
    """``FlatWeek`` (``week_values``) against the six reporters it replaces, called one by one."""
    rng = np.random.default_rng([n_goods, n_places, len(special)])
    for case in range(12):
        model, calls = _flat_week_case(rng, n_goods, n_places, special)
        batch = FlatWeek(model, [FlatWeek.call(reader, kwargs) for reader, kwargs in calls])
        values = batch.values(model)
        assert FlatWeek.gives_array and values.dtype == np.float64
        got = values.tolist()  # what the collector records
        with np.errstate(all="ignore"):  # the reporters' own warnings (inf / inf, NaN)
            want = [reader(model, **kwargs) for reader, kwargs in calls]
        assert all(type(x) is float for x in got)
        assert [repr(x) for x in got] == [repr(x) for x in want], case


def test_flat_week_serves_its_readers_in_the_plan():
    assert {reader for reader, batch in BATCHES.items() if batch is FlatWeek} == set(FlatWeek.readers)
    assert repr(kernels.numpy_sum(np.full(9, -0.0))) == "0.0"  # numpy's sum of negative zeros


def test_records_of_every_reporter_in_a_run_are_model_vars():
    """Weeks kept as rows and as arrays (``FlatWeek``, ``CommunityIndex``), some moved mid-run, read one at a time."""
    model = SahelModel(small_config(1).scenario, seed=1)
    collector = model.datacollector
    for week in range(9):
        model.step()
        if week == 4:
            assert len(collector.model_vars["trips"]) == 5  # the weeks so far move into the lists
    assert collector.__dict__["_array_rows"] and collector.__dict__["_rows"]
    assert collector.float_block() is None  # some weeks have moved: the frame is read from the lists
    got = {name: collector.records_of(name) for name in collector.model_reporters}
    want = collector.model_vars
    assert {k: [(type(x), repr(x)) for x in v] for k, v in got.items()} == {
        k: [(type(x), repr(x)) for x in v] for k, v in want.items()
    }
    assert all(len(v) == 9 for v in want.values())
