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

import functools
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from tqdm import tqdm

import sim
from sim.integrity import MANIFEST, seal, write_durable
from sim.model import SahelModel
from sim.params import RunConfig, to_dict

SUMMARY = "summary.json"


@dataclass
class RunResult:
    """What a run produced."""

    summary: dict
    timeseries: pd.DataFrame
    model: SahelModel
    outdir: Path | None


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


def timeseries(model: SahelModel) -> pd.DataFrame:
    """Weekly outcomes as a table with ``week`` and ``date`` columns first."""
    df = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    weeks = np.arange(1, len(df) + 1)
    dates = [str(model.start_date + pd.Timedelta(weeks=int(w)).to_pytimedelta()) for w in weeks]
    df.insert(0, "date", dates)
    df.insert(0, "week", weeks)
    return df


def summarize(model: SahelModel, ts: pd.DataFrame, config: RunConfig) -> dict:
    """Run totals of every outcome, plus what identifies the run."""
    out = {o.name: o.total(model, ts[o.name]) for o in model.outcomes}
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


def _write_atomic(path: Path, write) -> None:
    write_durable(path, write)


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(df, preserve_index=False)
    _write_atomic(path, lambda p: pq.write_table(table, p, compression="zstd"))


def _edge_flows(model: SahelModel, weekly: list[np.ndarray]) -> pd.DataFrame:
    world = model.world
    units = np.stack(weekly) if weekly else np.zeros((0, world.n_edges))
    weeks, edges = np.nonzero(units)
    return pd.DataFrame(
        {
            "week": weeks + 1,
            "a": [world.place_ids[i] for i in world.edge_u[edges]],
            "b": [world.place_ids[i] for i in world.edge_v[edges]],
            "units": units[weeks, edges],
        }
    )


def edge_totals(model: SahelModel) -> pd.DataFrame:
    """Units that travelled each link over the run, by good (for flow maps)."""
    world = model.world
    units = model.stats.to_date("edge_good_units")
    edges, goods = np.nonzero(units)
    return pd.DataFrame(
        {
            "a": [world.place_ids[i] for i in world.edge_u[edges]],
            "b": [world.place_ids[i] for i in world.edge_v[edges]],
            "good": [world.goods[g].id for g in goods],
            "units": units[edges, goods],
        }
    )


def write_outputs(outdir: Path, config: RunConfig, result: RunResult, edge_weekly: list[np.ndarray] | None) -> None:
    """Write the run's files, ``summary.json`` after the tables and the manifest (their seal) last."""
    outdir.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(to_dict(config), sort_keys=False, allow_unicode=True)
    _write_atomic(outdir / "config.yaml", lambda p: p.write_text(text, encoding="utf-8"))
    names = ["config.yaml"]
    if config.output.timeseries:
        _write_parquet(result.timeseries, outdir / "timeseries.parquet")
        names.append("timeseries.parquet")
    if edge_weekly is not None:
        _write_parquet(_edge_flows(result.model, edge_weekly), outdir / "route_flows.parquet")
        names.append("route_flows.parquet")
    if config.output.edges:
        _write_parquet(edge_totals(result.model), outdir / "edges.parquet")
        names.append("edges.parquet")
    body = json.dumps(result.summary, indent=2, allow_nan=False) + "\n"
    _write_atomic(outdir / SUMMARY, lambda p: p.write_text(body, encoding="utf-8"))
    seal(outdir, [*names, SUMMARY], write=_write_atomic)


def run(config: RunConfig, outdir: str | Path | None = None, *, check_ledger: bool = False) -> RunResult:
    """Run one configuration; write its outputs to ``outdir`` if given.

    Args:
        config: The run's configuration (validated on construction via :func:`sim.params.from_dict`).
        outdir: Directory for the outputs, created if needed.
        check_ledger: Check the goods and money accounts after every week (slower).
    """
    out = Path(outdir) if outdir is not None else None
    if out is not None:  # a stale seal and summary go first: a directory without them is not finished
        (out / MANIFEST).unlink(missing_ok=True)
        (out / SUMMARY).unlink(missing_ok=True)
    started = time.perf_counter()
    model = SahelModel(config.scenario, seed=config.seed, policy=config.policy)
    edge_weekly: list[np.ndarray] | None = [] if config.output.route_flows else None
    show = config.output.progress and sys.stderr.isatty()
    for _ in tqdm(range(config.weeks), desc=config.scenario.name, unit="week", disable=not show, leave=False):
        model.step()
        if edge_weekly is not None:
            edge_weekly.append(model.stats.week["edge_units"].copy())
        if check_ledger:
            model.check_ledger()
    ts = timeseries(model)
    summary = summarize(model, ts, config)
    summary["wall_seconds"] = round(time.perf_counter() - started, 3)
    result = RunResult(summary, ts, model, out)
    if out is not None:
        write_outputs(out, config, result, edge_weekly)
    return result
