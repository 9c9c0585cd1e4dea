"""Gather the runs of a sweep into tables for analysis, reading one run at a time.

``python -m experiments.aggregate SWEEP_DIR [--out DIR] [--progress]`` finds the runs of a sweep
(``SWEEP_DIR/runs/<key>/``, or any directory below it holding ``config.yaml`` and
``summary.json``), says how many completed, failed, were cut short or never ran, and writes:

- ``runs.parquet``: one row per run and outcome, with the run's variant, seed and every
  parameter as a column, so any question about the sweep is a filter and a group-by;
- ``series.parquet``: per variant, week and outcome, the mean over seeds and its 95% t-interval;
- ``edges.parquet``: per variant and link and good, the mean units carried over seeds;
- ``failures.csv`` when runs failed, and ``aggregate.json`` (the counts, to tell when the
  outputs are up to date).

Everything is streamed: a sweep of thousands of runs is read run by run, its runs' data
dictionaries merged one at a time, ``runs.parquet`` written in row groups of ``BATCH_ROWS`` rows
and the series and edges kept as running sums per variant, so memory does not grow with the
sweep (docs/performance.md). Progress (runs read of total) goes to stderr when it is a terminal
or with ``--progress``.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import functools
import hashlib
import json
import os
import statistics
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from tqdm import tqdm

from experiments.stats import half_width
from sim import dictionary
from sim.integrity import MANIFEST, problems
from sim.params import RunConfig, iter_params

SUMMARY, ERROR, CONFIG = "summary.json", "error.txt", "config.yaml"
# Summary keys that identify a run rather than measure it (n_agents_initial and n_traffickers_final are outcomes).
META = frozenset(
    {"scenario", "policy", "seed", "steps", "start_date", "end_date", "version", "git_revision", "wall_seconds"}
)
SEED_KEYS = frozenset({"seed", "seeds"})
BATCH_RUNS = 100  # runs per batch of the in-memory long_table
# Rows of runs.parquet held in memory before they are written as one row group. Each row repeats
# its run's hundreds of parameters (about 2.7 kB a row, 90 MB a group), so this, not the number of
# runs, bounds the memory of a batch. The Parquet writer keeps each group's metadata until it
# writes the footer (about 0.7 MiB a group of 367 columns at its peak), so smaller groups would
# make memory grow with the sweep (docs/performance.md).
BATCH_ROWS = 32768
# Bump when the outputs change shape, so that stored outputs count as out of date.
FORMAT = 2  # 2: t-intervals in series.parquet, data dictionaries in every table
REPORT_FILE = "aggregate.json"
MISSING_NOTE = "runs of jobs that never started or never recorded"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SweepError(ValueError):
    """The directory is not a sweep or run directory."""


# --- Finding runs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One run directory and what became of it."""

    key: str
    path: Path
    status: str  # "completed", "failed", "partial" or "corrupt"

    @property
    def error(self) -> str:
        """The line of the traceback that says what went wrong ("" unless failed)."""
        if self.status != "failed":
            return ""
        return error_line((self.path / ERROR).read_text(encoding="utf-8", errors="replace"))


def error_line(text: str) -> str:
    """The exception line of a traceback (its first line only says "Traceback ..."), else the first line."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    if not lines[0].startswith("Traceback"):
        return lines[0].strip()
    frames = [i for i, line in enumerate(lines) if line.startswith("  File ")]
    i = frames[-1] + 1 if frames else 1
    while i < len(lines) - 1 and lines[i].startswith("    "):  # the frame's code and its ^^^ markers
        i += 1
    return lines[min(i, len(lines) - 1)].strip()


def _status(path: Path) -> str:
    """Completed, failed, partial or corrupt, from the files present (sizes only: no reading).

    Checksums are compared when the files are read; a run from before manifests (a summary and
    no manifest) is read with care.
    """
    if (path / SUMMARY).exists():
        if (path / MANIFEST).exists() and problems(path, checksums=False):
            return "corrupt"
        return "completed"
    return "failed" if (path / ERROR).exists() else "partial"


def scan(root: Path) -> list[Run]:
    """Every run below ``root``, with its status.

    Each ``runs/<key>/`` directory counts (even an empty one: a run killed before it wrote
    anything), and so does any other directory holding ``config.yaml`` with ``summary.json``
    or ``error.txt`` (the output of a single run).
    """
    found = []
    runs_dir = root / "runs"
    if runs_dir.is_dir():
        found += [Run(p.name, p, _status(p)) for p in sorted(runs_dir.iterdir()) if p.is_dir()]
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not (here == root and d == "runs"))
        if CONFIG in filenames and (SUMMARY in filenames or ERROR in filenames):
            key = here.name if here == root else here.relative_to(root).as_posix()
            found.append(Run(key, here, _status(here)))
    return found


def find_runs(root: Path) -> tuple[list[Path], list[Path]]:
    """(completed, unfinished) run directories under ``root``; unfinished are the failed and partial ones."""
    runs = scan(Path(root))
    return [r.path for r in runs if r.status == "completed"], [r.path for r in runs if r.status != "completed"]


# --- What the sweep was meant to run ----------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """A sweep job's record (``jobs/<N>-<hash>.json``): its overrides and the runs it owns."""

    name: str
    overrides: tuple[str, ...]
    runs: tuple[str, ...]


def read_jobs(root: Path) -> list[Job]:
    """The job records of a sweep, in job order."""
    jobs = []
    for path in (root / "jobs").glob("*.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue  # a record being written; its runs count as missing until it is complete
        jobs.append(Job(str(data.get("job", path.stem)), tuple(data.get("overrides", [])), tuple(data.get("runs", []))))
    return sorted(jobs, key=lambda j: (len(j.name), j.name))


def _override_key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def planned_jobs(multirun: dict) -> tuple[int | None, set[str]]:
    """(number of jobs, swept keys) of a sweep, from Hydra's record ``multirun.yaml``.

    The sweep is the preset's ``hydra.sweeper.params`` overridden by the command line's
    ``hydra.overrides.task``, expanded as Hydra's basic sweeper does (a product of the values).
    """
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    hydra_cfg = multirun.get("hydra") or {}
    params = (hydra_cfg.get("sweeper") or {}).get("params") or {}
    task = (hydra_cfg.get("overrides") or {}).get("task") or []
    lines = [f"{k}={v}" for k, v in params.items()] + [str(t) for t in task]
    try:
        parsed = OverridesParser.create().parse_overrides(lines)
        batches = BasicSweeper.split_arguments(parsed, None)
    except Exception:  # an unparseable record only means the expected count is unknown
        return None, set()
    swept = {}
    for o in parsed:  # later overrides of a key win, as in the sweeper
        swept[_override_key(o.get_key_element())] = o.is_sweep_override()
    return sum(len(b) for b in batches), {k for k, is_sweep in swept.items() if is_sweep}


def _read_multirun(root: Path) -> dict:
    path = root / "multirun.yaml"
    if not path.exists():
        return {}
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
    except yaml.YAMLError:
        return {}


def job_labels(jobs: list[Job], swept: set[str]) -> dict[str, str]:
    """Variant label of each run a job owns: the job's overrides of swept keys, seeds left out.

    A key counts as swept if Hydra's record says so or if its value differs between jobs.
    """
    values, present = defaultdict(set), defaultdict(int)
    for job in jobs:
        for o in job.overrides:
            values[_override_key(o)].add(o)
            present[_override_key(o)] += 1
    differ = {k for k, v in values.items() if len(v) > 1 or present[k] < len(jobs)}
    varying = (swept | differ) - SEED_KEYS
    labels = {}
    for job in jobs:
        parts = [o for o in job.overrides if _override_key(o) in varying]
        rest = [o for o in job.overrides if _override_key(o) not in SEED_KEYS]
        label = ", ".join(parts or rest) or "default"
        labels.update(dict.fromkeys(job.runs, label))
    return labels


# --- Parameters -------------------------------------------------------------------------------


@functools.cache
def mapping_params() -> frozenset[str]:
    """Parameters that are mappings of user entries (e.g. per link): one JSON column each.

    Flattening them would give runs with and without entries different columns.
    """
    return frozenset(key for key, _f, default in iter_params(RunConfig) if isinstance(default, dict))


def flatten(d: dict, prefix: str = "") -> dict:
    """Nested configuration as dotted keys; lists and mappings of user entries become JSON strings."""
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v and key not in mapping_params():
            out.update(flatten(v, f"{key}."))
        else:
            out[key] = json.dumps(v, sort_keys=True, ensure_ascii=False) if isinstance(v, (list, dict)) else v
    return out


def load_run_config(path: Path) -> dict:
    """The resolved configuration a run wrote (``<run>/config.yaml``), as plain data."""
    return yaml.load((path / CONFIG).read_text(encoding="utf-8"), Loader=_LOADER) or {}


def _same(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b


def _arrow_type(types: set[type]) -> pa.DataType:
    types = types - {type(None)}
    if types == {bool}:
        return pa.bool_()
    if types == {int}:
        return pa.int64()
    if types and types <= {int, float}:
        return pa.float64()
    return pa.string()


def _coerce(value: object, dtype: pa.DataType) -> object:
    if value is None:
        return None
    if dtype == pa.string() and not isinstance(value, str):
        return json.dumps(value)
    return float(value) if dtype == pa.float64() else value


class Params:
    """The flattened parameters of many runs, held as one reference run and each run's differences.

    Runs of a sweep differ in a few keys out of hundreds, so this stays small however many runs
    there are, and it gives one column type per key for the streamed tables.
    """

    def __init__(self) -> None:
        self.reference: dict | None = None
        self.diffs: dict[str, dict] = {}
        self.types: dict[str, set[type]] = {}

    def add(self, key: str, flat: dict) -> None:
        """Record one run's flattened parameters."""
        if self.reference is None:
            self.reference = flat
            for k, v in flat.items():
                self.types[k] = {type(v)}
        diff = {k: v for k, v in flat.items() if k not in self.reference or not _same(self.reference[k], v)}
        diff.update({k: None for k in self.reference if k not in flat})
        for k, v in diff.items():
            self.types.setdefault(k, set()).add(type(v))
        self.diffs[key] = diff

    def of(self, key: str) -> dict:
        """All parameters of one run."""
        return {**(self.reference or {}), **self.diffs[key]}

    def value(self, key: str, name: str) -> object:
        """One parameter of one run."""
        diff = self.diffs[key]
        return diff[name] if name in diff else (self.reference or {}).get(name)

    def columns(self) -> list[pa.Field]:
        """One typed column per parameter (seed apart), in configuration order."""
        return [pa.field(k, _arrow_type(t)) for k, t in self.types.items() if k != "seed"]

    def varying(self, keys: Iterable[str]) -> list[str]:
        """Parameters (seeds apart) whose values differ between the given runs, in configuration order."""
        keys = list(keys)
        candidates = {k for key in keys for k in self.diffs[key]} - SEED_KEYS
        out = []
        for k in self.types:
            if k in candidates:
                values = {json.dumps(self.value(key, k), sort_keys=True, default=str) for key in keys}
                if len(values) > 1:
                    out.append(k)
        return out


def read_params(runs: list[Run], progress: bool, bad: dict[str, str] | None = None) -> Params:
    """Flattened parameters of the runs that have a config.yaml; unreadable ones go to ``bad`` (key: reason)."""
    params = Params()
    for run in tqdm(runs, desc="configs", unit="run", disable=not progress, leave=False):
        if (run.path / CONFIG).exists():
            try:
                params.add(run.key, flatten(load_run_config(run.path)))
            except (OSError, UnicodeDecodeError, yaml.YAMLError, AttributeError, TypeError) as exc:
                if bad is None:
                    raise
                bad[run.key] = f"{CONFIG} unreadable ({type(exc).__name__})"
    return params


def fallback_labels(params: Params, keys: list[str]) -> dict[str, str]:
    """Variant labels of runs no job owns: the parameters that differ between them."""
    varying = params.varying(keys)
    return {key: ", ".join(f"{k}={_text(params.value(key, k))}" for k in varying) or "default" for key in keys}


def _text(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return "null" if value is None else str(value)


# --- Streaming accumulators -------------------------------------------------------------------


class Moments:
    """Running mean, squared deviations and count per (week, outcome) cell (Welford's update).

    Each run's weekly table is added once and dropped, so memory holds one table per variant,
    not one per run; Welford's form keeps the variance exact where sums of squares of large
    dollar values would cancel.
    """

    def __init__(self) -> None:
        self.names: list[str] = []
        self.index: dict[str, int] = {}
        self.dates: list[str | None] = []
        self.n = np.zeros((0, 0))
        self.mean = np.zeros((0, 0))
        self.m2 = np.zeros((0, 0))

    def _grow(self, weeks: int, names: list[str]) -> None:
        for name in names:
            if name not in self.index:
                self.index[name] = len(self.names)
                self.names.append(name)
        rows, cols = max(weeks, self.n.shape[0]), len(self.names)
        pad = ((0, rows - self.n.shape[0]), (0, cols - self.n.shape[1]))
        self.n, self.mean, self.m2 = (np.pad(a, pad) for a in (self.n, self.mean, self.m2))
        self.dates += [None] * (rows - len(self.dates))

    def add(self, weeks: np.ndarray, names: list[str], values: np.ndarray, dates: list[str] | None = None) -> None:
        """Add one run's weekly values (weeks from 1, one column per name)."""
        if len(weeks) == 0:
            return
        self._grow(int(weeks.max()), names)
        cell = np.ix_(weeks - 1, [self.index[n] for n in names])
        ok = np.isfinite(values)
        x = np.where(ok, values, 0.0)
        n = self.n[cell] + ok
        delta = np.where(ok, x - self.mean[cell], 0.0)
        mean = self.mean[cell] + np.divide(delta, n, out=np.zeros_like(delta), where=n > 0)
        self.m2[cell] += np.where(ok, delta * (x - mean), 0.0)
        self.mean[cell], self.n[cell] = mean, n
        for w, d in zip(weeks.tolist(), dates or [], strict=False):
            self.dates[w - 1] = self.dates[w - 1] or d

    def frame(self) -> pd.DataFrame:
        """Long table: week, date, outcome, mean, lo, hi (95% t-interval of the mean), n."""
        weeks, cols = np.nonzero(self.n)
        n = self.n[weeks, cols]
        mean = self.mean[weeks, cols]
        half = half_width(self.m2[weeks, cols], n)
        return pd.DataFrame(
            {
                "week": weeks + 1,
                "date": [self.dates[w] for w in weeks],
                "outcome": [self.names[c] for c in cols],
                "mean": mean,
                "lo": mean - half,
                "hi": mean + half,
                "n": n.astype(np.int64),
            }
        )


class EdgeMeans:
    """Units per (link, good) summed over a variant's runs; links without flow in a run count as 0."""

    def __init__(self) -> None:
        self.total: dict[tuple[str, str, str], float] = defaultdict(float)
        self.runs = 0

    def add(self, table: pa.Table) -> None:
        """Add one run's edges.parquet."""
        self.runs += 1
        cols = table.to_pydict()
        for a, b, good, units in zip(cols["a"], cols["b"], cols["good"], cols["units"], strict=True):
            self.total[(a, b, good)] += units

    def frame(self) -> pd.DataFrame:
        """Long table: a, b, good, units (mean over the runs), n (runs)."""
        keys = list(self.total)
        return pd.DataFrame(
            {
                "a": [k[0] for k in keys],
                "b": [k[1] for k in keys],
                "good": [k[2] for k in keys],
                "units": [self.total[k] / self.runs for k in keys],
                "n": self.runs,
            }
        )


# --- The long table ---------------------------------------------------------------------------


def outcomes_of(summary: dict) -> dict[str, float]:
    """The numeric outcomes of a run's summary (identifying keys left out)."""
    return {
        k: float(v)
        for k, v in summary.items()
        if k not in META and isinstance(v, (int, float)) and not isinstance(v, bool)
    }


def _schema(params: Params) -> pa.Schema:
    head = [pa.field("run", pa.string()), pa.field("variant", pa.string()), pa.field("seed", pa.int64())]
    return pa.schema([*head, *params.columns()])


def run_rows(batch: list[tuple[Run, dict]], params: Params, labels: dict[str, str], schema: pa.Schema) -> pa.Table:
    """Long rows (run, outcome) of a batch of runs: each run's parameters repeated over its outcomes."""
    per_run = {f.name: [] for f in schema}
    for run, _ in batch:
        p = params.of(run.key)
        per_run["run"].append(run.key)
        per_run["variant"].append(labels.get(run.key, "default"))
        per_run["seed"].append(p.get("seed"))
        for f in list(schema)[3:]:
            per_run[f.name].append(_coerce(p.get(f.name), f.type))
    runs = pa.Table.from_pydict(per_run, schema=schema)
    counts = [len(o) for _, o in batch]
    table = runs.take(pa.array(np.repeat(np.arange(len(batch)), counts)))
    table = table.append_column("outcome", pa.array([k for _, o in batch for k in o], pa.string()))
    return table.append_column("value", pa.array([v for _, o in batch for v in o.values()], pa.float64()))


def _batches(runs: list[Run], size: int) -> Iterator[list[Run]]:
    for i in range(0, len(runs), size):
        yield runs[i : i + size]


def long_table(runs: Iterable[Path | Run], labels: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per (run, outcome) of completed runs, in memory: for small sets of runs.

    Args:
        runs: Run directories (the key is the directory name) or :class:`Run` records.
        labels: Variant label per run key; by default the parameters that differ between the runs.
    """
    runs = [r if isinstance(r, Run) else Run(Path(r).name, Path(r), "completed") for r in runs]
    params = read_params(runs, progress=False)
    labels = labels or fallback_labels(params, [r.key for r in runs])
    schema = _schema(params)
    tables = [
        run_rows([(r, outcomes_of(_read_summary(r))) for r in b], params, labels, schema)
        for b in _batches(runs, BATCH_RUNS)
    ]
    return pa.concat_tables(tables).to_pandas() if tables else pd.DataFrame()


def _read_summary(run: Run) -> dict:
    return json.loads((run.path / SUMMARY).read_text(encoding="utf-8"))


# --- The report -------------------------------------------------------------------------------


@dataclass
class Failure:
    """A failed run and why."""

    run: str
    variant: str
    seed: int | None
    error: str


@dataclass
class AggregateReport:
    """What aggregation found and wrote."""

    sweep_dir: Path
    out_dir: Path
    completed: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)
    corrupt: list[list[str]] = field(default_factory=list)  # [run, why]: files that fail their check
    missing: int = 0
    missing_runs: list[str] = field(default_factory=list)
    jobs_expected: int | None = None
    jobs_started: int = 0
    variants: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    runs_path: Path | None = None
    series_path: Path | None = None
    edges_path: Path | None = None
    failures_path: Path | None = None
    fingerprint: str = ""

    def counts(self) -> str:
        """One line of counts."""
        return (
            f"{len(self.completed)} completed, {len(self.failed)} failed, {len(self.partial)} partial, "
            + (f"{len(self.corrupt)} corrupt, " if self.corrupt else "")
            + f"{self.missing} missing ({MISSING_NOTE})"
        )

    def to_json(self) -> str:
        """The report as JSON (paths as strings)."""
        return json.dumps(dataclasses.asdict(self), indent=1, default=str) + "\n"

    @classmethod
    def from_json(cls, text: str) -> AggregateReport:
        """The report stored by :meth:`to_json`."""
        data = json.loads(text)
        data["failed"] = [Failure(**f) for f in data["failed"]]
        for name in ("sweep_dir", "out_dir", "runs_path", "series_path", "edges_path", "failures_path"):
            data[name] = Path(data[name]) if data[name] is not None else None
        return cls(**data)


def fingerprint(root: Path, runs: list[Run]) -> str:
    """Hash of what the outputs depend on: each run's status and result file times, and the job records."""
    h = hashlib.sha256(f"format {FORMAT}\n".encode())
    for run in runs:
        result = run.path / (SUMMARY if run.status == "completed" else ERROR)
        h.update(f"{run.key} {run.status} {_mtime(result)}\n".encode())
    for path in sorted((root / "jobs").glob("*.json")):
        h.update(f"{path.name} {_mtime(path)}\n".encode())
    return h.hexdigest()


def _mtime(path: Path) -> int:
    """Modification time, or 0 for a file that is not (or no longer) there: runs change while we read."""
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def stored_report(sweep_dir: str | Path, out_dir: str | Path | None = None) -> AggregateReport | None:
    """The stored report if the outputs in ``out_dir`` are up to date with the sweep, else None."""
    root = Path(sweep_dir)
    path = Path(out_dir or root) / REPORT_FILE
    if not path.exists():
        return None
    try:
        report = AggregateReport.from_json(path.read_text(encoding="utf-8"))
    except (ValueError, KeyError, TypeError):
        return None
    outputs = [p for p in (report.runs_path, report.series_path, report.edges_path) if p is not None]
    if not all(p.exists() for p in outputs):
        return None
    return report if report.fingerprint == fingerprint(root, scan(root)) else None


def _missing(root: Path, jobs: list[Job], multirun: dict, report: AggregateReport) -> None:
    """Runs of jobs that never recorded them (listed, no directory) or never started (no record).

    A sweep without job records (made before jobs recorded their runs) can only be compared
    with its expected number of runs: jobs times seeds per job.
    """
    existing = {p.name for p in (root / "runs").iterdir()} if (root / "runs").is_dir() else set()
    report.missing_runs = [k for j in jobs for k in j.runs if k not in existing]
    expected = report.jobs_expected or 0
    if not jobs:
        report.missing = max(0, expected * int(multirun.get("seeds") or 1) - len(existing))
        return
    per_job = round(statistics.median(len(j.runs) for j in jobs))
    report.missing = len(report.missing_runs) + max(0, expected - len(jobs)) * per_job


def _write_atomic_parquet(df: pd.DataFrame, path: Path, data_dictionary: dict | None = None) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    table = pa.Table.from_pandas(df, preserve_index=False)
    if data_dictionary is not None:
        table = dictionary.attach(table, data_dictionary)
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def _write_failures(report: AggregateReport, out: Path) -> None:
    path = out / "failures.csv"
    if not report.failed and not report.corrupt:
        path.unlink(missing_ok=True)
        return
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["run", "variant", "seed", "error"])
        writer.writerows([x.run, x.variant, x.seed, x.error] for x in report.failed)
        writer.writerows([key, "", "", f"corrupt: {why}"] for key, why in report.corrupt)
    report.failures_path = path


def _stream(
    completed: list[Run],
    params: Params,
    labels: dict[str, str],
    out: Path,
    progress: bool,
    bad: dict[str, str],
    data_dictionary: dict | None = None,
) -> tuple[dict[str, Moments], dict[str, EdgeMeans], int]:
    """Write runs.parquet batch by batch; return the per-variant accumulators and the row count.

    A run whose files fail their check or cannot be read goes to ``bad`` (key: reason) and is left out.
    """
    series: dict[str, Moments] = defaultdict(Moments)
    edges: dict[str, EdgeMeans] = defaultdict(EdgeMeans)
    schema = _schema(params)
    full_schema = schema.append(pa.field("outcome", pa.string())).append(pa.field("value", pa.float64()))
    if data_dictionary is not None:
        full_schema = dictionary.schema_with(full_schema, data_dictionary)
    tmp = out / ".runs.parquet.tmp"
    rows = 0
    bar = tqdm(total=len(completed), desc="runs", unit="run", disable=not progress)
    with pq.ParquetWriter(tmp, full_schema, compression="zstd") as writer:
        read: list[tuple[Run, dict]] = []
        pending = 0
        for i, run in enumerate(completed, 1):
            bar.update()
            try:
                loaded = _load_run(run)
            except CorruptRunError as exc:
                bad[run.key] = str(exc)
                loaded = None
            if loaded is not None:
                read.append((run, loaded[0]))
                pending += len(loaded[0])
                _accumulate(labels.get(run.key, "default"), series, edges, *loaded[1:])
                del loaded  # the run's time series, before the next is read
            if read and (pending >= BATCH_ROWS or i == len(completed)):
                table = run_rows(read, params, labels, schema)
                writer.write_table(table)
                rows += table.num_rows
                read, pending, table = [], 0, None
                pa.default_memory_pool().release_unused()  # the group's buffers, before the next is built
    bar.close()
    os.replace(tmp, out / "runs.parquet")
    return series, edges, rows


def _numeric(dtype: pa.DataType) -> bool:
    return pa.types.is_floating(dtype) or pa.types.is_integer(dtype)


class CorruptRunError(Exception):
    """A finished run whose files fail their check or cannot be read."""


def _load_run(run: Run) -> tuple[dict[str, float], pa.Table | None, pa.Table | None]:
    """A run's outcomes, time series and edge totals, all read before any is used."""
    if (run.path / MANIFEST).exists() and (found := problems(run.path)):
        raise CorruptRunError("; ".join(found))
    ts_path, edges_path = run.path / "timeseries.parquet", run.path / "edges.parquet"
    try:
        outcomes = outcomes_of(_read_summary(run))
        ts = pq.read_table(ts_path) if ts_path.exists() else None
        edge_table = pq.read_table(edges_path, columns=["a", "b", "good", "units"]) if edges_path.exists() else None
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException) as exc:
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise CorruptRunError(f"unreadable ({type(exc).__name__}: {first})") from None
    return outcomes, ts, edge_table


def _accumulate(
    variant: str, series: dict[str, Moments], edges: dict[str, EdgeMeans], ts: pa.Table | None, edge: pa.Table | None
) -> None:
    if ts is not None:
        names = [f.name for f in ts.schema if f.name != "week" and _numeric(f.type)]
        values = np.column_stack([ts[n].to_numpy(zero_copy_only=False).astype(float) for n in names])
        dates = ts["date"].to_pylist() if "date" in ts.column_names else None
        series[variant].add(ts["week"].to_numpy().astype(np.int64), names, values, dates)
    if edge is not None:
        edges[variant].add(edge)


def _concat(parts: dict) -> pd.DataFrame:
    frames = [acc.frame().assign(variant=v) for v, acc in sorted(parts.items())]
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return df[["variant", *[c for c in df.columns if c != "variant"]]] if len(df.columns) else df


def aggregate(
    sweep_dir: str | Path, out_dir: str | Path | None = None, *, progress: bool | None = None
) -> AggregateReport:
    """Find, count and gather the runs of a sweep; write the tables to ``out_dir`` (default: the sweep).

    Args:
        sweep_dir: The sweep directory (``hydra.sweep.dir``) or any directory holding run outputs.
        out_dir: Where the tables go.
        progress: Show progress bars; by default when stderr is a terminal.

    Raises:
        SweepError: If the directory does not exist or holds no runs and no job records.
    """
    root = Path(sweep_dir)
    if not root.is_dir():
        raise SweepError(f"{root}: not a directory")
    progress = sys.stderr.isatty() if progress is None else progress
    runs, jobs = scan(root), read_jobs(root)
    if not runs and not jobs:
        raise SweepError(f"{root}: no runs found (expected {root}/runs/<key>/ or run directories with {CONFIG})")
    out = Path(out_dir) if out_dir is not None else root
    out.mkdir(parents=True, exist_ok=True)
    multirun = _read_multirun(root)
    report = AggregateReport(root, out, fingerprint=fingerprint(root, runs), jobs_started=len(jobs))
    report.jobs_expected, swept = planned_jobs(multirun) if multirun else (None, set())
    if report.jobs_expected is not None:  # a later command into the same directory may have added jobs
        report.jobs_expected = max(report.jobs_expected, len(jobs))
    _missing(root, jobs, multirun, report)

    bad: dict[str, str] = {}
    params = read_params([r for r in runs if r.status not in ("partial", "corrupt")], progress, bad)
    runs = [dataclasses.replace(r, status="corrupt") if r.key in bad else r for r in runs]
    labels = job_labels(jobs, swept)
    unowned = [r.key for r in runs if r.key not in labels and r.key in params.diffs]
    labels.update(fallback_labels(params, unowned))
    _classify(runs, params, labels, report)
    completed = [r for r in runs if r.status == "completed"]
    if completed:
        _write_tables(completed, params, labels, report, progress, bad)
    for run in runs:  # found corrupt by the size check, or when their files were read
        if run.status == "corrupt" or run.key in bad:
            why = bad.get(run.key) or "; ".join(problems(run.path, checksums=False))
            report.corrupt.append([run.key, why])
            if run.key in report.completed:
                report.completed.remove(run.key)
                variant = labels.get(run.key, "default")
                report.variants[variant] -= 1
                if not report.variants[variant]:
                    del report.variants[variant]
    _write_failures(report, out)
    (out / REPORT_FILE).write_text(report.to_json(), encoding="utf-8")
    return report


def _classify(runs: list[Run], params: Params, labels: dict[str, str], report: AggregateReport) -> None:
    """Fill the report's lists of completed, partial and failed runs and its runs per variant."""
    for run in runs:
        variant = labels.get(run.key, "default")
        if run.status == "completed":
            report.completed.append(run.key)
            report.variants[variant] = report.variants.get(variant, 0) + 1
        elif run.status == "partial":
            report.partial.append(run.key)
        elif run.status == "corrupt":
            continue  # listed with the reason once the files have been read
        else:
            seed = params.value(run.key, "seed") if run.key in params.diffs else None
            report.failed.append(Failure(run.key, variant, seed, run.error))


def _write_tables(
    completed: list[Run],
    params: Params,
    labels: dict[str, str],
    report: AggregateReport,
    progress: bool,
    bad: dict[str, str],
) -> None:
    out = report.out_dir
    data_dictionary = sweep_dictionary(completed, params, progress=progress)
    series, edges, report.rows = _stream(completed, params, labels, out, progress, bad, data_dictionary)
    report.runs_path, report.series_path, report.edges_path = (
        out / "runs.parquet",
        out / "series.parquet",
        out / "edges.parquet",
    )
    _write_atomic_parquet(_concat(series), report.series_path, data_dictionary)
    _write_atomic_parquet(_concat(edges), report.edges_path, data_dictionary)
    body = json.dumps(data_dictionary, indent=1, ensure_ascii=False) + "\n"
    (out / dictionary.FILE).write_text(body, encoding="utf-8")


def sweep_dictionary(completed: list[Run], params: Params, *, progress: bool = False) -> dict:
    """The data dictionary of the sweep's tables: the runs' outcomes (from their dictionary.json) and parameters."""
    runs = tqdm(completed, desc="dictionaries", unit="run", disable=not progress, leave=False)
    return dictionary.sweep_dictionary(dictionary.merge(_run_dictionaries(runs)), [f.name for f in params.columns()])


def _run_dictionaries(completed: Iterable[Run]) -> Iterator[dict]:
    """Each distinct dictionary.json of the runs, in run order, read one at a time.

    Runs of one version mostly carry the same dictionary (about 100 kB of JSON, several times
    that parsed): holding one per run made memory grow with the sweep, and parsing repeats is
    wasted, so a file whose bytes were seen before is not parsed again. Merging keeps the first
    entry of an outcome and the last of a good, so a repeat yields its goods only.
    """
    goods: dict[bytes, dict] = {}
    for run in completed:
        path = run.path / dictionary.FILE
        if not path.exists():  # runs made before runs carried a dictionary have none
            continue
        data = path.read_bytes()
        digest = hashlib.sha256(data).digest()
        if digest in goods:
            yield {"goods": goods[digest]}
        else:
            parsed = json.loads(data.decode("utf-8"))
            goods[digest] = parsed.get("goods", {})
            yield parsed


def print_report(report: AggregateReport) -> None:
    """The counts, the failed runs and the outputs, for people."""
    print(f"{report.sweep_dir}: {report.counts()}")
    if report.jobs_expected is not None and report.jobs_started:
        print(f"  {report.jobs_started} of {report.jobs_expected} jobs started")
    for f in report.failed:
        print(f"  failed: {f.run} [{f.variant}] seed={f.seed}: {f.error}")
    for key in report.partial:
        print(f"  partial: {key}")
    for key, why in report.corrupt:
        print(f"  corrupt: {key}: {why} (the same sweep command redoes it)")
    if report.runs_path is not None:
        print(
            f"wrote {report.runs_path.name} ({report.rows} rows, {len(report.variants)} variants), "
            f"{report.series_path.name}, {report.edges_path.name} -> {report.out_dir}"
        )
    if report.failures_path is not None:
        print(f"wrote {report.failures_path}")


def main(argv: list[str] | None = None) -> int:
    """Command line entry point: 0 if any run completed, 1 if none, 2 for a bad directory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep_dir", type=Path, help="the sweep directory (hydra.sweep.dir)")
    parser.add_argument("--out", type=Path, default=None, help="where to write the tables (default: SWEEP_DIR)")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show runs read of total on stderr (default: when stderr is a terminal)",
    )
    args = parser.parse_args(argv)
    try:
        report = aggregate(args.sweep_dir, args.out, progress=args.progress)
    except SweepError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # --out a file, a read-only directory, a full disk: one line, not a traceback
        print(f"error: {exc.filename or args.out or args.sweep_dir}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print_report(report)
    return 0 if report.completed else 1


if __name__ == "__main__":
    raise SystemExit(main())
