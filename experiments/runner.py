"""The one batch runner of the evidence suites: ordinary runs in hashed run directories.

Validation arms (and any other study that needs many single-seed runs) hand it a list of
``(label, configuration)`` pairs. Each run goes through :func:`sim.sweep.run_block`, the unit of
work of ``python -m sim -m``: it lives in ``<root>/runs/<key>/`` (``key`` hashes its resolved
configuration), is skipped when its ``summary.json`` exists, and leaves ``error.txt`` when it
fails. A killed study is therefore resumed by running the same command again, and its runs can
be read by ``python -m experiments.aggregate <root>`` like those of any sweep. Studies measure
through the outcome registry (``sim/outcomes.py``): they read ``summary.json`` and
``timeseries.parquet``, never the model's agents.

The runs go through one of three launchers, as ``python -m sim -m`` sweeps do
(:mod:`simcli.launchers`): ``joblib`` (worker processes on this machine, the default), ``ray``
(the cluster at ``RAY_ADDRESS``, or a Ray instance of its own when that is unset) and ``slurm``
(``sbatch`` through submitit; SLURM's own ``SBATCH_PARTITION`` and ``SBATCH_ACCOUNT`` choose where).
A SLURM job costs about 2 s of start-up, so there it carries a share of the runs (``jobs`` jobs in
all) rather than one run. A cluster that fails mid-study ends it with one line; the finished runs
are kept and the same command resumes. :func:`run_blocks` runs blocks of seeds (the design
sweeps of :mod:`experiments.design`), :func:`run_tasks` single runs read back as records.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.errors import ConfigError, SimError
from sim.params import RunConfig
from sim.run import SUMMARY
from sim.sweep import ERROR, BlockReport, reused_from_other_code, run_block, run_key
from simcli import launchers as cluster

TIMESERIES = "timeseries.parquet"
LAUNCHERS = ("joblib", "ray", "slurm")
SLURM_TIMEOUT_MIN = 24 * 60  # a SLURM job's time limit: a share of a full study fits in a day


class RunsFailedError(RuntimeError):
    """Some runs of a study failed; their directories hold ``error.txt``."""


class ClusterFailedError(SimError):
    """A Ray or SLURM cluster failed mid-study (one line; finished runs are kept)."""


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


def _block(label: str, config: RunConfig, root: Path) -> BlockReport:
    return run_block(config, root, label=label)


def _share(blocks: Sequence[tuple[str, RunConfig]], root: Path) -> BlockReport:
    """A SLURM job's share of the blocks, run one after another."""
    return _merged([_block(label, c, root) for label, c in blocks])


def _merged(reports: Sequence[BlockReport]) -> BlockReport:
    total = BlockReport()
    for r in reports:
        total.done += r.done
        total.skipped += r.skipped
        total.failed += r.failed
    return total


def expected_cost(config: RunConfig) -> float:
    """A block's expected cost, for ordering only: its runs' weeks (burn-in included) times the supply scale.

    A week's cost grows with the crews, which grow with ``supply_scale`` (docs/performance.md:
    less than in proportion, so this overstates large scenarios, which only puts them earlier).
    """
    s = config.scenario
    return config.seeds * (config.weeks + s.burn_in_weeks) * max(s.supply_scale, 1e-3)


def longest_first(blocks: Sequence[tuple[str, RunConfig]]) -> list[int]:
    """Positions of the blocks, the most expensive first (ties keep their order).

    Workers that take the long blocks first finish together: the last block to start is a short one,
    so no worker waits long at the end for another's long block (the longest-processing-time rule).
    """
    return sorted(range(len(blocks)), key=lambda i: -expected_cost(blocks[i][1]))


def _on_joblib(blocks: Sequence[tuple[str, RunConfig]], root: Path, jobs: int) -> list[BlockReport]:
    if jobs > 1 and len(blocks) > 1:
        from joblib import Parallel, delayed

        order = longest_first(blocks)
        reports = Parallel(n_jobs=jobs, verbose=0, pre_dispatch="n_jobs", batch_size=1)(
            delayed(_block)(blocks[i][0], blocks[i][1], root) for i in order
        )
        back = dict(zip(order, reports, strict=True))
        return [back[i] for i in range(len(blocks))]
    return [_block(label, c, root) for label, c in blocks]


def _on_ray(blocks: Sequence[tuple[str, RunConfig]], root: Path, jobs: int) -> list[BlockReport]:
    """One Ray task per block, on the cluster at ``RAY_ADDRESS`` or on a Ray instance of our own."""
    import ray

    address = os.environ.get("RAY_ADDRESS")
    if not ray.is_initialized():
        # Our own instance beside a running head needs address="local" (simcli/configs/hydra/launcher/ray_local.yaml).
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(address="local", num_cpus=max(jobs, 1), include_dashboard=False, log_to_driver=False)
    task = ray.remote(num_cpus=1, max_retries=0)(_block)
    return ray.get([task.remote(*blocks[i], root) for i in longest_first(blocks)])  # reports merged: order free


def _on_slurm(blocks: Sequence[tuple[str, RunConfig]], root: Path, jobs: int) -> list[BlockReport]:
    """``jobs`` SLURM jobs (an array), each with an equal share of the blocks; Ctrl-C cancels them."""
    import submitit

    if not cluster.check_slurm():
        cluster.watch_with_squeue()
        print("note: SLURM keeps no accounting here; job states come from squeue", file=sys.stderr)
    n = max(1, min(jobs, len(blocks)))
    ordered = [blocks[i] for i in longest_first(blocks)]  # dealt round, the long blocks spread over the jobs
    shares = [ordered[i::n] for i in range(n)]
    executor = submitit.AutoExecutor(folder=root / ".submitit" / "%j", cluster="slurm")
    executor.update_parameters(
        name=cluster.SLURM_JOB_NAME, timeout_min=SLURM_TIMEOUT_MIN, cpus_per_task=1, tasks_per_node=1, mem_gb=2
    )
    submitted = executor.map_array(_share, shares, [root] * n)
    try:
        return [job.result() for job in submitted]
    except KeyboardInterrupt:
        for job in submitted:
            job.cancel(check=False)
        print(f"cancelled this study's {n} SLURM job(s)", file=sys.stderr)
        raise


def run_blocks(
    blocks: Sequence[tuple[str, RunConfig]], root: str | Path, jobs: int = 1, launcher: str = "joblib"
) -> BlockReport:
    """Run blocks of seeds (``(label, configuration)`` pairs) under ``root/runs/``, skipping finished runs.

    Args:
        blocks: What to run; each block's runs are done one after another.
        root: The study's run directory (made absolute: cluster workers have their own directory).
        jobs: Worker processes (joblib), Ray instance size when it starts its own, or SLURM jobs.
        launcher: ``joblib``, ``ray`` or ``slurm``.

    Raises:
        ConfigError: For an unknown launcher, or a cluster launcher whose library is not installed.
        ClusterFailedError: When Ray or SLURM fails mid-study (finished runs are kept).
    """
    if launcher not in LAUNCHERS:
        raise ConfigError("--launcher", launcher, ", ".join(LAUNCHERS), "unknown launcher")
    needs = {"ray": "ray", "slurm": "submitit"}.get(launcher)
    if needs and importlib.util.find_spec(needs) is None:
        raise ConfigError("--launcher", launcher, f'{needs} installed (pip install -e ".[distributed]")', f"no {needs}")
    root = Path(root).absolute()
    if not blocks:
        return BlockReport()
    run = {"joblib": _on_joblib, "ray": _on_ray, "slurm": _on_slurm}[launcher]
    try:
        return _merged(run(blocks, root, jobs))
    except SimError:
        raise
    except Exception as exc:
        message = cluster.describe_failure(exc, "ray_cluster" if launcher == "ray" else launcher)
        if message is None:
            raise
        raise ClusterFailedError(message) from exc


def pending(tasks: Sequence[tuple[str, RunConfig]], root: Path) -> list[tuple[str, RunConfig]]:
    """The tasks whose run has not finished (no ``summary.json`` in its directory)."""
    return [(label, c) for label, c in tasks if not (root / "runs" / run_key(c) / SUMMARY).exists()]


def run_tasks(
    tasks: Sequence[tuple[str, RunConfig]],
    root: str | Path,
    jobs: int = 1,
    progress: bool = True,
    launcher: str = "joblib",
) -> list[Record]:
    """Run every task not yet finished under ``root``; return all of them, in the order given.

    Args:
        tasks: ``(label, configuration)`` pairs, each configuration of one seed.
        root: The study's run directory (``runs/`` is created below it).
        jobs: Worker processes (joblib) for the runs still to do, or SLURM jobs (:func:`run_blocks`).
        progress: Print a line per run (``sim.sweep``'s) and a count of what was reused.
        launcher: ``joblib``, ``ray`` or ``slurm`` (:func:`run_blocks`).

    Raises:
        ValueError: For a configuration of more than one seed.
        RunsFailedError: Naming the failed runs and the first line of each error.
        ClusterFailedError: When Ray or SLURM fails mid-study (finished runs are kept).
    """
    root = Path(root)
    for label, config in tasks:
        if config.seeds != 1:
            raise ValueError(f"{label}: a study task is one run (seeds=1), not {config.seeds}")
    todo = pending(tasks, root)
    if progress:
        print(f"{len(tasks) - len(todo)} of {len(tasks)} runs already finished under {root}", file=sys.stderr)
        done = {run_key(c) for _, c in tasks} - {run_key(c) for _, c in todo}
        warning = reused_from_other_code([root / "runs" / key for key in sorted(done)])
        if warning:
            print(warning, file=sys.stderr)
    run_blocks(todo, root, jobs, launcher)
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
