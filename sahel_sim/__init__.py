"""sahel-sim from Python: presets, runs, sweeps and their tables in a few calls.

The command line (``python -m sim``), this module and the browser build configurations the same
way (:func:`simcli.compose.compose`), so a preset and an override mean the same thing in a
script, a notebook or an outside client such as EMA Workbench (:mod:`sahel_sim.ema`)::

    import sahel_sim as ss

    config = ss.compose("scenario=small", "policy=[border_control]", seed=3, steps=26)
    result = ss.run(config, "out/one")            # a run and its files
    result.summary["delivered_value_usd"]

    sweep = ss.sweep("experiment=ct_targeting", "seeds=2", sweep_dir="out/ct")   # through Hydra
    runs = ss.load_runs(sweep)                    # one row per run and outcome
    ss.outcomes(tag="headline")                   # names, units and directions from the registry

Every function takes overrides exactly as the command line does (``key=value``, ``group=option``,
``+new.key=value``); keyword arguments are shorthands for plain ``key=value`` overrides.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from sim import dictionary
from sim.params import RunConfig
from sim.run import RunResult
from sim.run import run as _run

__all__ = [
    "SweepError",
    "compose",
    "data_dictionary",
    "load_runs",
    "load_series",
    "outcomes",
    "presets",
    "run",
    "sweep",
]


class SweepError(RuntimeError):
    """The sweep command exited with an error (its last line of output says why)."""


def _overrides(overrides: Sequence[str], params: dict) -> list[str]:
    return [*overrides, *(f"{k}={_value(v)}" for k, v in params.items())]


def _value(v: object) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if v is None:
        return "null"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(_value(x) for x in v) + "]"
    return str(v)


def compose(*overrides: str, **params: object) -> RunConfig:
    """A validated run configuration from presets and overrides, as ``python -m sim`` builds it.

    Args:
        *overrides: Hydra overrides: ``"scenario=small"``, ``"policy=[ddr,livelihoods]"``,
            ``"experiment=border_control"``, ``"policy.ddr.intensity=2"``.
        **params: Top-level parameters as keywords (``seed=3``, ``steps=52``).

    Raises:
        sim.errors.ConfigError: For a value out of range or an unknown name (the message names the key).
        hydra.errors.HydraException: For an override Hydra cannot parse or an unknown option.
    """
    from simcli.compose import compose as _compose  # Hydra only when composing

    return _compose(_overrides(overrides, params))


def run(
    config: RunConfig | Sequence[str] | str = (),
    outdir: str | Path | None = None,
    *,
    observers: Sequence[Callable] = (),
    check_ledger: bool = False,
) -> RunResult:
    """Run one configuration; write its files (``summary.json``, ``timeseries.parquet``, ...) if ``outdir`` is given.

    Args:
        config: A :class:`~sim.params.RunConfig`, or overrides to :func:`compose` (one string or a list).
        outdir: Directory for the run's files; nothing is written without it.
        observers: Functions ``f(model)`` called after every week, e.g. to record the flows of
            each link for a map; they only read the model, so results are the same without them.
        check_ledger: Check that goods and money balance after every week (slower).

    Returns:
        The summary (every outcome over the run), the weekly table, the model and the directory.
    """
    if isinstance(config, str):
        config = compose(config)
    elif not isinstance(config, RunConfig):
        config = compose(*config)
    return _run(config, outdir, check_ledger=check_ledger, observers=observers)


def sweep(
    *overrides: str,
    sweep_dir: str | Path,
    launcher: str | None = None,
    quiet: bool = True,
    **params: object,
) -> Path:
    """Run a sweep through the command line's Hydra app (``python -m sim -m ...``) and return its directory.

    Each run lands in ``<sweep_dir>/runs/<key>/``; a second call with the same arguments skips
    finished runs. Read the results with :func:`load_runs` and :func:`load_series`, or draw the
    report with ``python -m experiments.report SWEEP_DIR``.

    Args:
        *overrides: Overrides, with sweeps as on the command line: ``"experiment=ct_targeting"``,
            ``"seed=1,2,3"``, ``"policy=none,ddr"``.
        sweep_dir: The sweep directory (``hydra.sweep.dir``).
        launcher: A Hydra launcher (``basic``, ``joblib``, ``ray_local``, ``slurm``, ...); by default the preset's.
        quiet: Keep the per-run lines off the terminal (they are still in the returned error on failure).
        **params: Top-level parameters as keywords (``seeds=2``, ``steps=26``).

    Raises:
        SweepError: If the command exits with an error (a bad override, or Ctrl-C).
    """
    args = [*_overrides(overrides, params), f"hydra.sweep.dir={Path(sweep_dir).resolve()}"]
    if launcher is not None:
        args.append(f"hydra/launcher={launcher}")
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "-m", *args],
        capture_output=quiet,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        text = (proc.stderr or "") + (proc.stdout or "")
        lines = [ln.strip() for ln in text.splitlines() if ln.strip() and "HYDRA_FULL_ERROR" not in ln]
        said = [ln for ln in lines if ln.startswith("error:")] or lines[:1] or [f"exit code {proc.returncode}"]
        raise SweepError(f"python -m sim -m {' '.join(args)}: {said[0]}")
    return Path(sweep_dir)


def _tables(sweep_dir: str | Path):
    from experiments.aggregate import aggregate, stored_report

    report = stored_report(sweep_dir) or aggregate(sweep_dir, progress=False)
    if not report.completed:
        raise FileNotFoundError(f"{sweep_dir}: no completed runs ({report.counts()})")
    return report


def load_runs(sweep_dir: str | Path) -> pd.DataFrame:
    """The sweep's long table (``runs.parquet``): one row per run and outcome, every parameter a column.

    Aggregates the sweep first if its tables are missing or out of date.
    """
    return pd.read_parquet(_tables(sweep_dir).runs_path)


def load_series(sweep_dir: str | Path) -> pd.DataFrame:
    """The sweep's weekly series (``series.parquet``): per variant, week and outcome, the mean and its interval."""
    return pd.read_parquet(_tables(sweep_dir).series_path)


def data_dictionary(path: str | Path) -> pd.DataFrame:
    """The outcomes' dictionary of a run directory, a sweep directory or a Parquet file, as a table."""
    return dictionary.frame(dictionary.read(path))


def outcomes(tag: str | None = None, *, config: RunConfig | None = None) -> pd.DataFrame:
    """The outcomes a run reports (name, unit, direction, description, tags), optionally one tag's.

    Args:
        tag: One of :data:`sim.outcomes.TAGS` (``headline``, ``livelihood``, ...); all outcomes by default.
        config: The configuration whose goods and places name the per-good and per-crossing
            outcomes; the default scenario's by default.
    """
    import dataclasses

    from sim.model import SahelModel
    from sim.outcomes import tagged

    config = config or RunConfig()
    scenario = dataclasses.replace(config.scenario, burn_in_weeks=0)  # the registry needs no weeks run
    model = SahelModel(scenario, seed=config.seed, policy=config.policy)
    if tag is None:
        return dictionary.frame({"outcomes": dictionary.outcome_entries(model.outcomes)})
    return dictionary.frame({"outcomes": [dictionary.outcome_entry(o) for o in tagged(model.outcomes, tag)]})


def presets() -> dict[str, list[str]]:
    """The options of each configuration group: ``scenario``, ``policy``, ``experiment``."""
    from simcli import CONFIG_DIR

    return {
        group: sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))
        for group in ("scenario", "policy", "experiment")
    }
