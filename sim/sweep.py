"""Blocks of seeds, run in place: the unit of work of a sweep job, safe to interrupt.

A job runs the seeds ``seed .. seed + seeds - 1`` of one configuration. Each run lives in
``<root>/runs/<key>/``, where ``key`` hashes the run's fully resolved single-seed configuration:
re-running the same sweep finds finished runs (``manifest.json`` present and every file matching
its size and checksum, :mod:`sim.integrity`) and skips them, redoes failed, partial or corrupt
ones, and never duplicates a run. A run that raises leaves ``error.txt`` with
its traceback and the job goes on with the next seed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sim.integrity import problems, verified
from sim.params import RunConfig, to_dict
from sim.run import SUMMARY, run

ERROR = "error.txt"


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message."""
    text = str(exc)
    return text.splitlines()[0] if text else ""


def single_runs(config: RunConfig) -> list[RunConfig]:
    """The single-seed configurations of a block."""
    return [dataclasses.replace(config, seed=config.seed + i, seeds=1) for i in range(config.seeds)]


def run_key(config: RunConfig) -> str:
    """Hash of a single-seed configuration: the run's identity, whoever launches it."""
    data = to_dict(config)
    data["output"].pop("progress", None)  # display only
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@dataclass
class BlockReport:
    """What a block did."""

    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def write_manifest(root: Path, job: str, overrides: list[str], keys: list[str]) -> None:
    """Record which runs a job owns (``jobs/<job>.json``), so aggregation can tell missing runs."""
    jobs = root / "jobs"
    jobs.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"job": job, "overrides": overrides, "runs": keys}, indent=1) + "\n"
    tmp = jobs / f".{job}.json.tmp"
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(jobs / f"{job}.json")


def run_block(
    config: RunConfig, root: str | Path, *, label: str = "", job: str | None = None, overrides: list[str] | None = None
) -> BlockReport:
    """Run every seed of ``config`` under ``root/runs/``, skipping finished runs.

    Args:
        config: The configuration (``seeds`` runs from ``seed``).
        root: The sweep or run directory.
        label: Prefix of the progress lines (e.g. the job's overrides).
        job: Name of the sweep job, to record the runs it owns in ``root/jobs/``.
        overrides: The job's overrides, recorded with its runs.
    """
    report = BlockReport()
    runs_dir = Path(root) / "runs"
    if job is not None:
        write_manifest(Path(root), job, overrides or [], [run_key(s) for s in single_runs(config)])
    for single in single_runs(config):
        key = run_key(single)
        out = runs_dir / key
        if verified(out):
            report.skipped.append(key)
            continue
        if (out / SUMMARY).exists():  # a summary without a valid seal: say why the run is redone
            print(f"{label} seed={single.seed}: redoing {out.name} ({'; '.join(problems(out))})", file=sys.stderr)
        out.mkdir(parents=True, exist_ok=True)
        (out / ERROR).unlink(missing_ok=True)
        started = time.perf_counter()
        try:
            run(single, out)
        except Exception as exc:  # the sweep goes on; the failure is on record
            (out / ERROR).write_text(traceback.format_exc(), encoding="utf-8")
            if not (out / "config.yaml").exists():
                (out / "config.yaml").write_text(yaml.safe_dump(to_dict(single), sort_keys=False), encoding="utf-8")
            report.failed.append(key)
            print(
                f"{label} seed={single.seed}: FAILED ({type(exc).__name__}: {first_line(exc)})",
                file=sys.stderr,
            )
            continue
        report.done.append(key)
        print(f"{label} seed={single.seed}: done in {time.perf_counter() - started:.1f} s -> {out}", file=sys.stderr)
    return report
