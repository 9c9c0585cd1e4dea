"""The one batch runner of the evidence suites: ordinary runs in hashed run directories.

Validation arms (and any other study that needs many single-seed runs) hand it a list of
``(label, configuration)`` pairs. Each run goes through :func:`sim.sweep.run_block`, the unit of
work of ``python -m sim -m``: it lives in ``<root>/runs/<key>/`` (``key`` hashes its resolved
configuration), is skipped when its ``summary.json`` exists, and leaves ``error.txt`` when it
fails. A killed study is therefore resumed by running the same command again, and its runs can
be read by ``python -m experiments.aggregate <root>`` like those of any sweep. Studies measure
through the outcome registry (``sim/outcomes.py``): they read ``summary.json`` and
``timeseries.parquet``, never the model's agents.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.params import RunConfig
from sim.run import SUMMARY
from sim.sweep import ERROR, run_block, run_key

TIMESERIES = "timeseries.parquet"


class RunsFailedError(RuntimeError):
    """Some runs of a study failed; their directories hold ``error.txt``."""


@dataclass(frozen=True)
class Record:
    """A finished run of a study."""

    label: str
    seed: int
    key: str
    directory: Path
    summary: dict

    def timeseries(self) -> pd.DataFrame:
        """The run's weekly outcomes (one row per week)."""
        return pd.read_parquet(self.directory / TIMESERIES)


def _block(label: str, config: RunConfig, root: Path) -> None:
    run_block(config, root, label=label)


def pending(tasks: Sequence[tuple[str, RunConfig]], root: Path) -> list[tuple[str, RunConfig]]:
    """The tasks whose run has not finished (no ``summary.json`` in its directory)."""
    return [(label, c) for label, c in tasks if not (root / "runs" / run_key(c) / SUMMARY).exists()]


def run_tasks(
    tasks: Sequence[tuple[str, RunConfig]], root: str | Path, jobs: int = 1, progress: bool = True
) -> list[Record]:
    """Run every task not yet finished under ``root``; return all of them, in the order given.

    Args:
        tasks: ``(label, configuration)`` pairs, each configuration of one seed.
        root: The study's run directory (``runs/`` is created below it).
        jobs: Worker processes (joblib) for the runs still to do.
        progress: Print a line per run (``sim.sweep``'s) and a count of what was reused.

    Raises:
        ValueError: For a configuration of more than one seed.
        RunsFailedError: Naming the failed runs and the first line of each error.
    """
    root = Path(root)
    for label, config in tasks:
        if config.seeds != 1:
            raise ValueError(f"{label}: a study task is one run (seeds=1), not {config.seeds}")
    todo = pending(tasks, root)
    if progress:
        print(f"{len(tasks) - len(todo)} of {len(tasks)} runs already finished under {root}", file=sys.stderr)
    if jobs > 1 and len(todo) > 1:
        from joblib import Parallel, delayed

        Parallel(n_jobs=jobs, verbose=0)(delayed(_block)(label, c, root) for label, c in todo)
    else:
        for label, c in todo:
            _block(label, c, root)
    return collect(tasks, root)


def collect(tasks: Sequence[tuple[str, RunConfig]], root: str | Path) -> list[Record]:
    """The finished runs of the tasks.

    Raises:
        RunsFailedError: When a run has no ``summary.json``, naming each and its error's last line.
    """
    root = Path(root)
    records, failed = [], []
    for label, config in tasks:
        key = run_key(config)
        directory = root / "runs" / key
        if not (directory / SUMMARY).exists():
            error = directory / ERROR
            why = error.read_text(encoding="utf-8").strip().splitlines()[-1] if error.exists() else "never finished"
            failed.append(f"{label} seed={config.seed} ({directory}): {why}")
            continue
        summary = json.loads((directory / SUMMARY).read_text(encoding="utf-8"))
        records.append(Record(label, config.seed, key, directory, summary))
    if failed:
        raise RunsFailedError(f"{len(failed)} of {len(tasks)} runs failed: " + "; ".join(failed[:5]))
    return records
