"""The run's fixed costs after its weeks (sim/run.py) against the pandas forms they replace, bit for bit.

``timeseries`` builds the frame from one float array instead of Mesa's per-column lists,
``summarize`` reduces NaN-free float columns with numpy instead of pandas Series, and
``_arrow_table`` builds the Arrow table from the arrays with a schema pyarrow gave once. Each is
compared here with the form it replaces on the edges: NaN, infinities, negative zeros, numpy
scalars, no weeks, columns that are not float.
"""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import run_small
from sim import run as run_module
from sim.outcomes import Outcome


def _bits(x: float) -> int:
    return int(np.array([x], dtype=np.float64).view(np.int64)[0])


def _same_frame(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert a.columns.dtype == b.columns.dtype
    assert list(a.dtypes) == list(b.dtypes)
    assert a.index.equals(b.index) and type(a.index) is type(b.index)
    for name in a.columns:
        x, y = a[name].to_numpy(), b[name].to_numpy()
        if x.dtype == np.float64:
            assert np.array_equal(x.view(np.int64), y.view(np.int64)), name
        else:
            assert list(x) == list(y), name


def _records(rng: np.random.Generator, n_columns: int, n_weeks: int) -> dict[str, list]:
    """Recorded values as a Collector holds them: Python floats and numpy float64s, with the edges."""
    edges = [float("nan"), -0.0, 0.0, float("inf"), -float("inf"), 5e-324, 1e308]
    records = {}
    for j in range(n_columns):
        values = list(rng.normal(0, 10.0 ** rng.integers(-3, 9), n_weeks))
        for i in rng.integers(0, max(n_weeks, 1), rng.integers(0, 4)) if n_weeks else ():
            values[i] = edges[rng.integers(len(edges))]
        as_numpy = rng.random() < 0.3
        records[f"c{j}.x"] = [np.float64(v) if as_numpy else float(v) for v in values]
    return records


def test_float_block_is_pandas_columns():
    rng = np.random.default_rng(18)
    for case in range(60):
        records = _records(rng, int(rng.integers(1, 12)), int(rng.integers(1, 140)))
        block = run_module._float_block(records)
        assert block is not None, case
        _same_frame(pd.DataFrame(block.T, columns=list(records)), pd.DataFrame(records))


@pytest.mark.parametrize(
    "odd",
    [[1, 2, 3], [True, False, True], [1.5, None, 2.0], [1.5, "x", 2.0], [1.5, 2, 3.0], [np.float32(1.5)] * 3],
)
def test_float_block_leaves_other_columns_to_pandas(odd):
    records = {"a": [1.0, 2.0, 3.0], "b": odd}
    assert run_module._float_block(records) is None
    assert run_module._float_block({"a": []}) is None
    assert run_module._float_block({}) is None
    assert run_module._float_block({"a": [1.0, 2.0], "b": [1.0]}) is None


def _outcome(reduce) -> Outcome:
    return Outcome("o", series=lambda m: 0.0, reduce=reduce, unit="x", better=None, doc="")


def test_totals_are_the_series_totals():
    rng = np.random.default_rng(7)
    # An outcome's own reduction reads a float64 array in a run (a Series elsewhere): np.asarray reads either.
    reduces = ["sum", "mean", "last", lambda m, v: np.asarray(v)[len(v) // 2] + np.asarray(v)[::3].sum()]
    for case in range(400):
        n = int(rng.choice([0, 1, 2, 7, 128, 129, 520, 1000]))
        values = rng.normal(0, 10.0 ** rng.integers(-3, 9), n)
        if n and rng.random() < 0.5:
            values[rng.integers(0, n, rng.integers(1, 4))] = rng.choice([np.nan, -0.0, np.inf, -np.inf])
        if rng.random() < 0.1:
            values[:] = -0.0
        for reduce in reduces:
            if callable(reduce) and n == 0:
                continue
            outcome = _outcome(reduce)
            got = run_module._total(outcome, None, values)
            want = outcome.total(None, pd.Series(values, name="o"))
            assert type(got) is type(want) is float
            assert _bits(got) == _bits(want) or (math.isnan(got) and math.isnan(want)), (case, reduce)


def test_run_timeseries_and_summary_are_the_pandas_forms():
    model = run_small(0, steps=12).model
    ts = run_module.timeseries(model)
    ref = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    ref.insert(0, "date", list(ts["date"]))
    ref.insert(0, "week", np.arange(1, len(ref) + 1))
    _same_frame(ts, ref)
    columns = dict(ref.items())
    for o in model.outcomes:
        arrays, reduced = run_module._column_arrays(ts)
        got, want = run_module._total(o, model, arrays[o.name], reduced.get(o.name)), o.total(model, columns[o.name])
        assert _bits(got) == _bits(want) or (math.isnan(got) and math.isnan(want)), o.name


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def test_arrow_tables_are_pyarrows(monkeypatch):
    monkeypatch.setattr(run_module, "_SCHEMAS", {})
    rng = np.random.default_rng(3)
    for case in range(12):
        n_weeks = int(rng.choice([0, 1, 5, 60]))
        records = _records(rng, int(rng.integers(1, 9)), n_weeks)
        df = pd.DataFrame({k: np.asarray(v, dtype=np.float64) for k, v in records.items()})
        df.insert(int(rng.integers(0, df.shape[1] + 1)), "date", [f"2012-01-{i % 28 + 1:02d}" for i in range(n_weeks)])
        df.insert(0, "week", np.arange(1, n_weeks + 1))
        want = pa.Table.from_pandas(df, preserve_index=False)
        for _ in range(2):  # the first may build the schema, the second uses it
            got = run_module._arrow_table(df)
            assert got.equals(want, check_metadata=True), case
            assert got.schema.metadata == want.schema.metadata
            assert _parquet(got) == _parquet(want)
        # a marked copy of the kept schema shows the next table is built from the arrays with it
        key = next(k for k, v in run_module._SCHEMAS.items() if v.equals(want.schema, check_metadata=True))
        run_module._SCHEMAS[key] = want.schema.with_metadata({**want.schema.metadata, b"kept": b"1"})
        assert run_module._arrow_table(df).schema.metadata[b"kept"] == b"1"
        run_module._SCHEMAS[key] = want.schema


def test_dictionary_text_is_the_indented_json(monkeypatch):
    monkeypatch.setattr(run_module, "_DICTIONARY_TEXT", [])
    cases = [
        {"a": [1, "é", None], "b": {"c": True}},
        {"b": {"c": True}, "a": [1, "é", None]},  # equal as dicts, other order
        {"a": [1, "é", None], "b": {"c": 1}},  # equal as dicts, True is 1
        {"a": [1, "é", None], "b": {"c": True}},
    ]
    for data in cases + cases[::-1]:
        assert run_module._dictionary_text(data) == json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def _finite_mean_numpy(values) -> float:
    """The loop ``sim.outcomes._finite_mean`` ran before its kernel: the reference."""
    total, n = 0.0, 0
    for v in np.asarray(values, dtype=float):
        if np.isfinite(v):
            total += float(v)
            n += 1
    return total / max(1, n)


def test_finite_mean_is_the_loop():
    from sim.outcomes import _finite_mean

    rng = np.random.default_rng(11)
    for case in range(300):
        n = int(rng.choice([0, 1, 2, 9, 130, 260]))
        values = rng.normal(0, 10.0 ** rng.integers(-3, 9), n)
        if n:
            values[rng.integers(0, n, rng.integers(0, n + 1))] = rng.choice([np.nan, np.inf, -np.inf, -0.0, 0.0])
        if rng.random() < 0.1:
            values[:] = rng.choice([np.nan, -0.0])
        for given in (values, pd.Series(values).to_numpy(), values[::-1][::-1], list(values)):
            got, want = _finite_mean(given), _finite_mean_numpy(given)
            assert type(got) is float
            assert _bits(got) == _bits(want), case


def test_arrow_tables_of_object_columns_are_pyarrows_each_time(monkeypatch):
    monkeypatch.setattr(run_module, "_SCHEMAS", {})
    for values in (["a", "b"], [None, None], [b"a", b"b"], ["a", "b"]):  # pyarrow's metadata follows the values
        df = pd.DataFrame({"x": [1.0, np.nan], "o": pd.array(values, dtype=object)})
        want = pa.Table.from_pandas(df, preserve_index=False)
        assert run_module._arrow_table(df).equals(want, check_metadata=True)
