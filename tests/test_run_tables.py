"""sim.run_tables and the pandas-free run (issue 18, memory): the same tables and bytes as through pandas.

A run writes its Parquet files from arrays and reduces its outcomes in numpy, so that
``python -m sim`` never loads pandas (Mesa imports it; :func:`sim.lazy.defer_import` stands in).
Each test compares the array form with what pyarrow's pandas conversion, or pandas' reduction,
gives for the same data: tables equal with their metadata, files equal byte for byte, totals
equal as floats.
"""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim import run as run_module
from sim import run_tables
from sim.outcomes import skipna_reduce
from simcli.compose import compose


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def _same_as_pandas(got: pa.Table, frame: pd.DataFrame) -> None:
    want = pa.Table.from_pandas(frame, preserve_index=False)
    assert got.schema.equals(want.schema, check_metadata=True), (got.schema, want.schema)
    assert got.equals(want, check_metadata=True)
    assert _parquet_bytes(got) == _parquet_bytes(want)


@pytest.fixture(scope="module")
def small_run():
    return run_module.run(compose(["scenario=small", "steps=12", "seed=3"]))


def test_a_runs_week_table_is_the_frame_pyarrow_converts(small_run):
    weeks = small_run.weeks
    assert isinstance(weeks, run_tables.WeekTable) and len(weeks.weeks) == 12
    frame = run_module.timeseries(small_run.model)
    pd.testing.assert_frame_equal(small_run.timeseries, frame)
    _same_as_pandas(weeks.arrow(), frame)


def test_a_week_table_with_missing_weeks_and_odd_names_converts_as_pandas_does():
    rng = np.random.default_rng(5)
    block = rng.normal(size=(4, 9))
    block[1, [0, 3, 8]] = np.nan  # nulls at offsets that are not whole bytes of the bitmap
    block[3, :] = np.nan
    table = run_tables.WeekTable(
        ["a", "b.c", "é ü", "d"], block, np.arange(1, 10), [f"2021-0{i}-01" for i in range(1, 10)]
    )
    _same_as_pandas(table.arrow(), table.frame())
    _same_as_pandas(run_tables.arrow_table(table.columns()), table.frame())


def test_edge_tables_are_the_frames_pyarrow_converts(small_run):
    model = small_run.model
    columns = run_module._edge_total_columns(model)
    assert run_tables.has_rows(columns)  # a run that carried nothing would test the pandas path only
    _same_as_pandas(run_module._as_arrow(columns), run_module.edge_totals(model))
    weekly = [np.where(np.arange(model.world.n_edges) % (w + 2) == 0, w + 0.5, 0.0) for w in range(3)]
    flows = run_module._edge_flows(model, weekly)
    _same_as_pandas(run_module._as_arrow(flows), run_tables.frame(flows))


def test_tables_without_rows_go_through_pandas():
    """An empty list is not text to pandas (float64 in pandas 3), so an empty table's types differ."""
    columns = [("week", "int64", np.zeros(0, np.int64)), ("a", "str", []), ("units", "float64", np.zeros(0))]
    assert not run_tables.has_rows(columns)
    _same_as_pandas(run_module._as_arrow(columns), pd.DataFrame({n: v for n, _, v in columns}))
    assert run_module._as_arrow(columns).schema.field("a").type != pa.large_string()


@pytest.mark.parametrize("case", ["plain", "some_nan", "all_nan", "one", "large"])
def test_numpy_reductions_are_pandas_own(case):
    rng = np.random.default_rng(11)
    values = {
        "plain": rng.lognormal(size=520),
        "some_nan": np.where(rng.random(520) < 0.2, np.nan, rng.normal(size=520) * 1e6),
        "all_nan": np.full(7, np.nan),
        "one": np.array([3.25]),
        "large": rng.normal(size=5000) * 1e12,
    }[case]
    series = pd.Series(values)
    for how, want in (("sum", series.sum()), ("mean", series.mean()), ("last", series.iloc[-1])):
        got = skipna_reduce(values, how)
        assert (np.isnan(got) and np.isnan(want)) or got == want, (how, got, want)
    with pytest.raises(ValueError, match="unknown reduction"):
        skipna_reduce(values, "median")


_NO_PANDAS = """
import runpy, sys
sys.argv = ["sim", "scenario=small", "steps=6", "hydra.run.dir=" + sys.argv[1]]
try:
    runpy.run_module("sim", run_name="__main__")
except SystemExit as e:
    assert not e.code, e.code
from sim.lazy import is_loaded
print("pandas loaded" if is_loaded("pandas") else "no pandas")
"""


def test_the_command_line_runs_and_writes_without_loading_pandas(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", _NO_PANDAS, str(tmp_path / "run")], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "no pandas"
    written = pd.read_parquet(tmp_path / "run" / "timeseries.parquet")
    assert len(written) == 6 and list(written.columns[:2]) == ["week", "date"]


_DEFERRED = """
import sys
from sim.lazy import defer_import, is_loaded
defer_import("pandas")
import pandas as pd
stand_in = pd
assert not is_loaded("pandas") and "pandas.core" not in sys.modules
import inspect
inspect.getmodule(inspect)  # scans every module's __file__: must not load it
assert not is_loaded("pandas")
frame = pd.DataFrame({"a": [1, 2]})  # the first attribute read loads it
assert is_loaded("pandas") and sys.modules["pandas"] is not stand_in and sys.modules["pandas"].DataFrame is pd.DataFrame
import pandas.api.types
assert pandas.api.types.is_integer_dtype(frame["a"]) and isinstance(frame, stand_in.DataFrame)
print("ok")
"""


def test_a_deferred_module_loads_at_its_first_use_and_then_is_the_module():
    proc = subprocess.run([sys.executable, "-c", _DEFERRED], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-3000:]


def test_a_deferred_submodule_import_loads_the_package():
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from sim.lazy import defer_import; defer_import('pandas'); import pandas.api.types as t; "
            "print(t.is_float_dtype(float))",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "True", proc.stderr[-3000:]
