"""Run one configuration and write its outputs (DESIGN §5).

A run directory holds ``config.yaml`` (the fully resolved configuration),
``timeseries.parquet`` (one row per week, one column per outcome), optionally
``route_flows.parquet`` (units per link and week), ``summary.json`` and, written last,
``manifest.json`` (size and SHA-256 of each file, :mod:`sim.integrity`). Every file is written
to a temporary name, flushed to disk and renamed into place, and a stale manifest and summary
are removed before the run starts, so a directory whose manifest does not verify is never a
finished run. Apart from ``wall_seconds`` in the summary, the same configuration gives
the same bytes, whoever launches it.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from tqdm import tqdm

import sim
from sim import dictionary
from sim.errors import raise_if_interrupted
from sim.integrity import MANIFEST, seal, write_durable
from sim.model import SahelModel
from sim.params import RunConfig, to_dict
from sim.run_tables import Column, WeekTable, arrow_table, has_rows
from sim.run_tables import frame as columns_frame

if TYPE_CHECKING:
    import pandas as pd

SUMMARY = "summary.json"
# libyaml's emitter writes the configuration as the pure-Python one does, about ten times faster
# (tests/test_fixed_costs.py compares them on every preset); without libyaml, the pure-Python one.
_YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@dataclass
class RunResult:
    """What a run produced.

    Attributes:
        summary: The run's totals (``summary.json``).
        weeks: The weekly outcomes as arrays (:class:`sim.run_tables.WeekTable`), or as a frame
            where the records were not all floats.
        model: The model at the run's end.
        outdir: Where the files were written, if anywhere.
    """

    summary: dict
    weeks: WeekTable | pd.DataFrame
    model: SahelModel
    outdir: Path | None

    @functools.cached_property
    def timeseries(self) -> pd.DataFrame:
        """The weekly outcomes as a frame, ``week`` and ``date`` first (built at the first read)."""
        return self.weeks.frame() if isinstance(self.weeks, WeekTable) else self.weeks


@functools.lru_cache(maxsize=1)
def git_revision() -> str:
    """Commit of the code that ran, with ``-dirty`` if it had uncommitted changes."""
    root = Path(sim.__file__).resolve().parent.parent
    try:
        rev = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=10
        )
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return rev.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


_FLOATS = frozenset({float, np.float64})
_FLOAT64 = np.dtype(np.float64)
_INT64 = np.dtype(np.int64)


def _float_block(records: dict[str, list]) -> np.ndarray | None:
    """The records as one array (outcome by week) when pandas would make every column float64.

    That is when every value is a Python float or a numpy float64 and there is at least one week:
    the array holds the same numbers pandas' per-column conversion gives, in one call.
    """
    columns = list(records.values())
    if not columns or not columns[0] or any(len(c) != len(columns[0]) for c in columns):
        return None
    if not set().union(*(set(map(type, c)) for c in columns)) <= _FLOATS:
        return None
    values = np.fromiter(itertools.chain.from_iterable(columns), np.float64, len(columns) * len(columns[0]))
    return values.reshape(len(columns), -1)


# The last weeks' dates made, by start date: every run of a sweep has the same calendar.
_DATES: list[tuple[dt.date, list[str]]] = []


def _dates(model: SahelModel, weeks: np.ndarray) -> list[str]:
    """Each week's date as ISO text, a new list; the text kept while the start date is the same.

    A date depends only on the start date and the week's number, so the texts of weeks 1, 2, ...
    made for one run serve the next (520 dates cost about 1.5 ms, collect12). Any other weeks
    are made afresh.
    """
    start, n = model.start_date, len(weeks)
    kept = _DATES[-1] if _DATES else None  # one read: runs in threads may share it
    if not (n and np.array_equal(weeks, np.arange(1, n + 1))):
        return [str(start + dt.timedelta(weeks=int(w))) for w in weeks]
    if kept is None or kept[0] != start or len(kept[1]) < n:
        kept = (start, [str(start + dt.timedelta(weeks=w)) for w in range(1, n + 1)])
        _DATES[:] = [kept]
    return kept[1][:n]


def week_table(model: SahelModel) -> WeekTable | None:
    """The weekly outcomes as arrays, when every record is a float (see :func:`_float_block`); else None.

    The same numbers and columns as :func:`timeseries`' frame (and Mesa's), without pandas.
    """
    collector = model.datacollector
    rows = getattr(collector, "float_block", None)  # the weeks' rows read as they are (sim.collection)
    found = rows() if rows is not None else None
    if found is None:
        records = collector.model_vars
        block = _float_block(records)
        found = (list(records), block) if block is not None else None
    if found is None:
        return None
    names, block = found
    weeks = np.arange(1, block.shape[1] + 1)
    return WeekTable(names, block, weeks, _dates(model, weeks))


def timeseries(model: SahelModel) -> pd.DataFrame:
    """Weekly outcomes as a table with ``week`` and ``date`` columns first."""
    table = week_table(model)
    if table is not None:  # the same frame as Mesa's, without converting each column's list on its own
        return table.frame()
    df = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    weeks = np.arange(1, len(df) + 1)
    df.insert(0, "date", _dates(model, weeks))
    df.insert(0, "week", weeks)
    return df


_Reduced = dict[str, tuple[bool, np.float64]]  # each float64 column's NaN flag and sum


def _block_arrays(names: list[str], block: np.ndarray) -> tuple[dict[str, np.ndarray], _Reduced]:
    """Each row of a float64 block by name, and each row's NaN flag and sum, for the whole block in two calls.

    A row of the C-ordered block is summed as ``row.sum()`` sums it (the same pairwise sum), so
    each total is the same float as one reduction per column (collect11).
    """
    columns = dict(zip(names, block, strict=True))
    reduced = dict(zip(names, zip(np.isnan(block).any(axis=1).tolist(), block.sum(axis=1), strict=True), strict=True))
    return columns, reduced


def _column_arrays(ts: WeekTable | pd.DataFrame) -> tuple[dict[str, np.ndarray], _Reduced]:
    """Each column's values as a numpy array, the float64 ones read from one block in one call.

    Also, for each float64 column, whether it holds a NaN and its sum (:func:`_block_arrays`).
    A frame's other columns are its Series.
    """
    if isinstance(ts, WeekTable):
        return _block_arrays(ts.names, ts.block)
    is_float = np.array([d == _FLOAT64 for d in ts.dtypes], dtype=bool)
    floats = np.flatnonzero(is_float)
    block = np.ascontiguousarray(ts.iloc[:, floats].to_numpy(dtype=np.float64).T)
    names = ts.columns[floats].tolist()  # one conversion: iterating an Arrow-backed index yields name by name
    columns, reduced = _block_arrays(names, block)
    for i in np.flatnonzero(~is_float):
        columns[ts.columns[i]] = ts.iloc[:, i]
    return columns, reduced


def _total(outcome, model: SahelModel, values, reduced: tuple[bool, np.float64] | None = None) -> float:
    """``Outcome.total`` of a column, with the sum already taken for a float64 column without NaN.

    ``reduced`` is the column's NaN flag and sum if already known (:func:`_column_arrays`); a
    column with a NaN, or an outcome with its own reduction, goes to :meth:`Outcome.total`.
    """
    if isinstance(values, np.ndarray):
        has_nan, total = reduced if reduced is not None else (np.isnan(values).any(), None)
        if callable(outcome.reduce) or has_nan:
            pass
        elif len(values) == 0:
            return 0.0
        elif outcome.reduce == "sum":
            return float(values.sum() if total is None else total)
        elif outcome.reduce == "mean":
            return float(values.mean() if total is None else total / len(values))
        elif outcome.reduce == "last":
            return float(values[-1])
    return outcome.total(model, values)


def summarize(model: SahelModel, ts: WeekTable | pd.DataFrame, config: RunConfig) -> dict:
    """Run totals of every outcome, plus what identifies the run."""
    columns, reduced = _column_arrays(ts)
    out = {o.name: _total(o, model, columns[o.name], reduced.get(o.name)) for o in model.outcomes}
    out["n_agents_initial"] = model.n_agents_initial
    out["n_traffickers_final"] = model.crews.n_alive
    out.update(
        scenario=config.scenario.name,
        policy="+".join(config.policy.names()),
        seed=config.seed,
        steps=config.weeks,
        start_date=str(model.start_date),
        end_date=str(model.date),
        version=sim.__version__,
        git_revision=git_revision(),
    )
    return out


def config_text(config: RunConfig) -> str:
    """``config.yaml``: the resolved configuration as YAML, keys in the schema's order."""
    return yaml.dump(to_dict(config), Dumper=_YAML_DUMPER, sort_keys=False, allow_unicode=True)


def _write_atomic(path: Path, write) -> None:
    write_durable(path, write)


# Arrow schemas (with pyarrow's pandas metadata) of the tables written, by columns and dtypes.
_SCHEMAS: dict[tuple, pa.Schema] = {}


def _arrow_table(df: pd.DataFrame) -> pa.Table:
    """``pa.Table.from_pandas(df, preserve_index=False)``, the float64 columns converted in one pass.

    pyarrow's pandas conversion reads each column as a Series, which for the 460 columns of a
    timeseries costs more than the conversion itself. The schema it gives (pandas metadata
    included) depends only on the columns' names and dtypes, so it is taken from pyarrow once per
    process and such tables after the first are built from the arrays: float64 columns from one
    block (NaN as null, as pyarrow's pandas conversion does; one conversion, sliced by column), the
    others through pyarrow's own.
    Only frames of float64, int64 and string columns: pyarrow's metadata of an object or
    categorical column depends on its values.
    """
    import pandas as pd

    dtypes = tuple(df.dtypes)
    key = (tuple(df.columns.tolist()), df.columns.dtype, df.columns.name, dtypes, type(df.index))
    schema = _SCHEMAS.get(key)
    plain = all(d in (_FLOAT64, _INT64) or isinstance(d, pd.StringDtype) for d in dtypes)
    if schema is None or not plain or not isinstance(df.index, pd.RangeIndex):
        table = pa.Table.from_pandas(df, preserve_index=False)
        _SCHEMAS[key] = table.schema
        return table
    floats = np.array([d == _FLOAT64 for d in dtypes], dtype=bool)
    block = np.ascontiguousarray(df.iloc[:, np.flatnonzero(floats)].to_numpy(dtype=np.float64).T)
    # One thread: pyarrow would start a pool of threads for these few columns on every call.
    others = pa.Table.from_pandas(df.iloc[:, np.flatnonzero(~floats)], preserve_index=False, nthreads=1).columns
    # One Arrow array of the whole block, then a zero-copy slice per column: the same values and
    # nulls as one conversion per column, which cost about 10 µs each (collect11).
    flat, n_rows = pa.array(block.reshape(-1), from_pandas=True), block.shape[1]
    rows, rest = (flat.slice(i * n_rows, n_rows) for i in range(len(block))), iter(others)
    arrays = [next(rows) if f else next(rest) for f in floats]
    return pa.Table.from_arrays(arrays, schema=schema)


def _as_arrow(data: WeekTable | list[Column] | pd.DataFrame) -> pa.Table:
    """The Arrow table written for a run's table: built from its arrays when it has rows (:mod:`sim.run_tables`).

    A frame, or a table without rows, goes through pandas as pyarrow converts it.
    """
    if isinstance(data, WeekTable):
        return data.arrow() if len(data.weeks) else _arrow_table(data.frame())
    if isinstance(data, list):
        return arrow_table(data) if has_rows(data) else _arrow_table(columns_frame(data))
    return _arrow_table(data)


def _write_parquet(
    data: WeekTable | list[Column] | pd.DataFrame,
    path: Path,
    data_dictionary: dict | None = None,
    compact: str | None = None,
):
    table = _as_arrow(data)
    if data_dictionary is not None:
        table = dictionary.attach(table, data_dictionary, compact)
    _write_atomic(path, lambda p: pq.write_table(table, p, compression="zstd"))


def _edge_flows(model: SahelModel, weekly: list[np.ndarray]) -> list[Column]:
    """``route_flows.parquet``'s columns: units on each link, each week it carried some."""
    world = model.world
    units = np.stack(weekly) if weekly else np.zeros((0, world.n_edges))
    weeks, edges = np.nonzero(units)
    return [
        ("week", "int64", weeks + 1),
        ("a", "str", [world.place_ids[i] for i in world.edge_u[edges]]),
        ("b", "str", [world.place_ids[i] for i in world.edge_v[edges]]),
        ("units", "float64", units[weeks, edges]),
    ]


def _edge_total_columns(model: SahelModel) -> list[Column]:
    world = model.world
    units = model.stats.to_date("edge_good_units")
    edges, goods = np.nonzero(units)
    return [
        ("a", "str", [world.place_ids[i] for i in world.edge_u[edges]]),
        ("b", "str", [world.place_ids[i] for i in world.edge_v[edges]]),
        ("good", "str", [world.goods[g].id for g in goods]),
        ("units", "float64", units[edges, goods]),
    ]


def edge_totals(model: SahelModel) -> pd.DataFrame:
    """Units that travelled each link over the run, by good (for flow maps)."""
    return columns_frame(_edge_total_columns(model))


# The last data dictionary written, as compact JSON, and its text in dictionary.json.
_DICTIONARY_TEXT: list[tuple[str, str]] = []


def _dictionary_texts(data_dictionary: dict) -> tuple[str, str]:
    """The dictionary as compact JSON (the Parquet files' metadata) and ``dictionary.json``'s indented text.

    Indented JSON is written by the json module's Python encoder, about 10 ms for a run's
    dictionary, which is the same for every run of a sweep: it is kept while the compact JSON (C
    encoder, taken once a run) is the same text, which is the same structure, order and values.
    """
    compact = json.dumps(data_dictionary, ensure_ascii=False)
    kept = _DICTIONARY_TEXT[-1] if _DICTIONARY_TEXT else None  # one read: runs in threads may share it
    if kept is None or kept[0] != compact:
        kept = (compact, json.dumps(data_dictionary, indent=1, ensure_ascii=False) + "\n")
        _DICTIONARY_TEXT[:] = [kept]
    return compact, kept[1]


def _dictionary_text(data_dictionary: dict) -> str:
    """``dictionary.json``'s text (:func:`_dictionary_texts`)."""
    return _dictionary_texts(data_dictionary)[1]


def write_outputs(outdir: Path, config: RunConfig, result: RunResult, edge_weekly: list[np.ndarray] | None) -> None:
    """Write the run's files, ``summary.json`` after the tables and the manifest (their seal) last.

    ``dictionary.json`` (and the metadata of every Parquet file) says what each outcome and
    column means: unit, direction, description, tags (see :mod:`sim.dictionary`).
    """
    outdir.mkdir(parents=True, exist_ok=True)
    text = config_text(config)
    _write_atomic(outdir / "config.yaml", lambda p: p.write_text(text, encoding="utf-8"))
    names = ["config.yaml", dictionary.FILE]
    data_dictionary = dictionary.run_dictionary(result.model)
    compact, body = _dictionary_texts(data_dictionary)  # one dump of the dictionary for all its files
    _write_atomic(outdir / dictionary.FILE, lambda p: p.write_text(body, encoding="utf-8"))
    tagged = (data_dictionary, compact)
    if config.output.timeseries:
        _write_parquet(result.weeks, outdir / "timeseries.parquet", *tagged)
        names.append("timeseries.parquet")
    if edge_weekly is not None:
        _write_parquet(_edge_flows(result.model, edge_weekly), outdir / "route_flows.parquet", *tagged)
        names.append("route_flows.parquet")
    if config.output.edges:
        _write_parquet(_edge_total_columns(result.model), outdir / "edges.parquet", *tagged)
        names.append("edges.parquet")
    if config.output.geojson:
        from sim.gis import PLACES, ROUTES, write_run

        write_run(result.model, outdir)
        names += [PLACES, ROUTES]
    body = json.dumps(result.summary, indent=2, allow_nan=False) + "\n"
    _write_atomic(outdir / SUMMARY, lambda p: p.write_text(body, encoding="utf-8"))
    raise_if_interrupted()  # the seal says the run finished: not after a Ctrl-C, however it was dropped
    seal(outdir, [*names, SUMMARY], write=_write_atomic)


class Observer(Protocol):
    """Watches a run from outside without changing it (e.g. a profiler or a timer).

    Study-specific measures belong in the outcome registry (``sim/outcomes.py``), where every run
    records them; an observer is for what is about the run itself, not the model's results.
    """

    def start(self, model: SahelModel) -> None:
        """Called once the model is built (after its burn-in), before the first week."""

    def after_week(self, model: SahelModel) -> None:
        """Called after each week."""


@dataclass(frozen=True)
class WeeklyFunction:
    """An :class:`Observer` made of a plain function called with the model after each week."""

    function: Callable[[SahelModel], None]

    def start(self, model: SahelModel) -> None:
        """Nothing to do before the first week."""

    def after_week(self, model: SahelModel) -> None:
        """Call the function."""
        self.function(model)


def as_observer(o: Observer | Callable[[SahelModel], None]) -> Observer:
    """An observer as given, or a plain function wrapped as one."""
    return o if hasattr(o, "after_week") else WeeklyFunction(o)


def start_model(config: RunConfig) -> SahelModel:
    """A model of ``config`` after its burn-in, before week 1."""
    return SahelModel(config.scenario, seed=config.seed, policy=config.policy)


def advance(
    state, config: RunConfig, *, check_ledger: bool = False, show: bool = False, observers: Sequence[Observer] = ()
) -> None:
    """Run a :class:`sim.state.State`'s model on to ``config.weeks`` recorded weeks."""
    model, edge_weekly = state.model, state.edge_weekly
    weeks = range(model.steps, config.weeks)
    for _ in tqdm(weeks, desc=config.scenario.name, unit="week", disable=not show, leave=False):
        raise_if_interrupted()  # a Ctrl-C that Python only printed (sim.errors.keep_ctrl_c)
        model.step()
        if edge_weekly is not None:
            edge_weekly.append(model.stats.week["edge_units"].copy())
        if check_ledger:
            model.check_ledger()
        for o in observers:
            o.after_week(model)


def run(
    config: RunConfig,
    outdir: str | Path | None = None,
    *,
    check_ledger: bool = False,
    observers: Sequence[Observer | Callable[[SahelModel], None]] = (),
    start=None,
    state_cache: str | Path | None = None,
) -> RunResult:
    """Run one configuration; write its outputs to ``outdir`` if given.

    This is the one place that builds and steps a model for a study (the browser steps its own).

    Args:
        config: The run's configuration (validated on construction via :func:`sim.params.from_dict`).
        outdir: Directory for the outputs, created if needed.
        check_ledger: Check the goods and money accounts after every week (slower).
        observers: Called when the model is built and after every week (:class:`Observer`), or plain
            functions called with the model after every week; they only read the model, so a run
            gives the same results with or without them.
        start: A saved :class:`sim.state.State` (or its file) to continue from instead of week 0;
            policies and timeline skips of ``config`` that it lacks are added (:func:`sim.state.diverge`).
        state_cache: Where ``config.branch_from`` keeps the common pasts (see :mod:`sim.state`);
            by default ``states/`` beside ``outdir``; with neither, the run is computed straight.
            Outputs are the same bytes either way.
    """
    from sim import state as states

    out = Path(outdir) if outdir is not None else None
    if out is not None:  # a stale seal and summary go first: a directory without them is not finished
        (out / MANIFEST).unlink(missing_ok=True)
        (out / SUMMARY).unlink(missing_ok=True)
    started = time.perf_counter()
    if state_cache is None and out is not None:
        state_cache = out.parent / "states"
    if start is None and config.branch_from is not None and state_cache is not None:
        start, _, _ = states.cached_past(config, state_cache)
    if start is None:
        state = states.State(start_model(config), [] if config.output.route_flows else None)
    else:
        state = states.load(start) if isinstance(start, (str, Path)) else start
        states.diverge(state, config)
    model, edge_weekly = state.model, state.edge_weekly
    show = config.output.progress and sys.stderr.isatty()
    observers = [as_observer(o) for o in observers]
    for o in observers:
        o.start(model)
    advance(state, config, check_ledger=check_ledger, show=show, observers=observers)
    weeks = week_table(model)
    if weeks is None:
        weeks = timeseries(model)
    summary = summarize(model, weeks, config)
    summary["wall_seconds"] = round(time.perf_counter() - started, 3)
    result = RunResult(summary, weeks, model, out)
    raise_if_interrupted()  # a run interrupted in its last week returns no result
    if out is not None:
        write_outputs(out, config, result, edge_weekly)
    return result
