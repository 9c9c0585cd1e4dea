"""The eleventh pass's changes to the run's fixed costs (sim/run.py), against pyarrow's own forms.

``_arrow_table`` now converts the timeseries' float block to one Arrow array and slices it by
column; the table and its Parquet bytes must be what ``pa.Table.from_pandas`` gives, also where
a column's nulls (NaN) meet the slices' edges.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim import run as run_module
from sim.outcomes import Outcome


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def _frame(rng: np.random.Generator, n_cols: int, n_rows: int) -> pd.DataFrame:
    block = rng.normal(0.0, 10.0 ** rng.integers(-3, 9), (n_cols, n_rows))
    if n_rows:
        for col in block:
            kind = rng.integers(0, 6)
            if kind == 0:
                col[:] = np.nan  # an all-null column
            elif kind == 1:
                col[[0, -1]] = np.nan  # nulls at both edges of the slice
            elif kind == 2:
                col[rng.integers(0, n_rows, 3)] = rng.choice([np.nan, -0.0, np.inf, -np.inf])
    df = pd.DataFrame({f"c{i}": col for i, col in enumerate(block)})
    df.insert(min(2, n_cols), "date", [f"2012-01-{i % 28 + 1:02d}" for i in range(n_rows)])
    df.insert(0, "week", np.arange(1, n_rows + 1))
    return df


def test_sliced_float_block_gives_pyarrows_table_and_bytes(monkeypatch):
    monkeypatch.setattr(run_module, "_SCHEMAS", {})
    rng = np.random.default_rng(11)
    for case in range(12):
        n_rows = int(rng.choice([0, 1, 7, 8, 9, 63, 64, 65, 520]))
        n_cols = int(rng.choice([0, 1, 3, 17, 460]))
        df = _frame(rng, n_cols, n_rows)
        want = pa.Table.from_pandas(df, preserve_index=False)
        run_module._arrow_table(df)  # the first builds the schema; the second is the sliced form
        got = run_module._arrow_table(df)
        assert got.equals(want, check_metadata=True), case
        for a, b in zip(got.columns, want.columns, strict=True):
            assert a.null_count == b.null_count, case
        assert _parquet(got) == _parquet(want), case


def test_block_reductions_give_each_columns_total():
    """``_column_arrays``' NaN flags and sums, through ``_total``, against one reduction per column."""
    rng = np.random.default_rng(12)
    reduces = ("sum", "mean", "last")
    for case in range(60):
        n_rows = int(rng.choice([0, 1, 2, 7, 128, 129, 520, 1000]))
        block = rng.normal(0.0, 10.0 ** rng.integers(-3, 9), (int(rng.integers(1, 12)), n_rows))
        for col in block:
            if n_rows and rng.random() < 0.4:
                col[rng.integers(0, n_rows, rng.integers(1, 4))] = rng.choice([np.nan, -0.0, np.inf, -np.inf])
            if rng.random() < 0.1:
                col[:] = -0.0
        ts = pd.DataFrame({f"c{i}": col for i, col in enumerate(block)})
        ts.insert(0, "date", [f"2012-01-{i % 28 + 1:02d}" for i in range(n_rows)])
        arrays, reduced = run_module._column_arrays(ts)
        assert set(reduced) == {name for name, dtype in ts.dtypes.items() if dtype == np.float64}  # every float column
        for name, (has_nan, total) in reduced.items():
            values = np.asarray(ts[name], dtype=np.float64)
            assert has_nan == bool(np.isnan(values).any()), case
            assert _bits_or_nan(total, values.sum()), case
            for reduce in reduces:
                outcome = Outcome(name, series=lambda m: 0.0, reduce=reduce, unit="x", better=None, doc="")
                got = run_module._total(outcome, None, arrays[name], reduced[name])
                want = run_module._total(outcome, None, values)
                assert type(got) is type(want) is float
                assert _bits_or_nan(got, want), (case, name, reduce)


def _bits_or_nan(a: float, b: float) -> bool:
    if np.isnan(a) and np.isnan(b):
        return True
    return np.array([a], dtype=np.float64).view(np.int64)[0] == np.array([b], dtype=np.float64).view(np.int64)[0]
