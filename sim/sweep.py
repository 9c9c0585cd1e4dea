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

from sim.errors import interrupted
from sim.integrity import problems, verified, write_durable
from sim.params import RunConfig, to_dict
from sim.run import SUMMARY, git_revision, run

ERROR = "error.txt"
STATES = "states"  # shared common pasts of branch_from (sim/state.py)


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
    if not data["output"].get("geojson"):
        data["output"].pop("geojson", None)  # keys of runs from before the option stay the same
    data.pop("branch_from", None)  # how the run is computed, not what it computes (sim/state.py)
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def reused_from_other_code(run_dirs: list[Path]) -> str | None:
    """A warning when finished runs about to be reused were made by other code, else None.

    A run's key hashes its configuration, not the code, so resuming after a model change would
    silently mix results of two models; the revision each run recorded in its summary tells.
    """
    here = git_revision()
    others: dict[str, int] = {}
    for out in run_dirs:
        try:
            rev = json.loads((out / SUMMARY).read_text(encoding="utf-8")).get("git_revision", "unknown")
        except (OSError, ValueError):
            continue
        if rev != here:
            others[rev] = others.get(rev, 0) + 1
    if not others:
        return None
    which = ", ".join(f"{n} from {rev[:12]}" for rev, n in sorted(others.items(), key=lambda kv: -kv[1]))
    return (
        f"warning: reusing {sum(others.values())} finished runs made by other code ({which}; this checkout is "
        f"{here[:12]}): if the model changed, delete them or use a new output directory"
    )


def record_failure(out: Path, config: RunConfig, text: str) -> None:
    """Leave ``error.txt`` (and the configuration) in a failed run's directory.

    On a full disk or a read-only directory the record itself cannot be written: a partial
    ``error.txt`` is removed and the reason goes to stderr, so it is never lost in an empty file.
    """
    try:
        write_durable(out / ERROR, lambda p: p.write_text(text, encoding="utf-8"))
        if not (out / "config.yaml").exists():
            body = yaml.safe_dump(to_dict(config), sort_keys=False)
            write_durable(out / "config.yaml", lambda p: p.write_text(body, encoding="utf-8"))
    except OSError as exc:
        print(f"  could not record {out / ERROR} ({exc.strerror}); the reason is the line above", file=sys.stderr)


@dataclass
class BlockReport:
    """What a block did."""

    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def write_manifest(root: Path, job: str, overrides: list[str], keys: list[str]) -> None:
    """Record which runs a job owns, so aggregation can tell missing runs.

    The record is ``jobs/<job>-<hash of its runs>.json``: the same job run again rewrites its own
    record, and a second command into the same sweep directory (more seeds, say), whose job numbers
    start again from 0, adds records instead of overwriting the first command's.
    """
    jobs = root / "jobs"
    jobs.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"job": job, "overrides": overrides, "runs": keys}, indent=1) + "\n"
    name = f"{job}-{hashlib.sha256(' '.join(keys).encode()).hexdigest()[:12]}"
    tmp = jobs / f".{name}.json.tmp"
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(jobs / f"{name}.json")


def _order(singles: list[RunConfig], job: str | None) -> list[RunConfig]:
    """Seeds in the order a job runs them: with ``branch_from``, jobs start at different seeds.

    Jobs of a sweep that branch from shared pasts then compute different pasts at the same
    time instead of waiting for each other (sim/state.py); results do not depend on the order.
    """
    if not singles or singles[0].branch_from is None or job is None or not job.isdigit():
        return singles
    shift = int((int(job) * 0.6180339887) % 1.0 * len(singles))
    return singles[shift:] + singles[:shift]


def run_block(
    config: RunConfig,
    root: str | Path,
    *,
    label: str = "",
    job: str | None = None,
    overrides: list[str] | None = None,
    quiet: bool = False,
) -> BlockReport:
    """Run every seed of ``config`` under ``root/runs/``, skipping finished runs.

    Args:
        config: The configuration (``seeds`` runs from ``seed``).
        root: The sweep or run directory.
        label: Prefix of the progress lines (e.g. the job's overrides).
        job: Name of the sweep job, to record the runs it owns in ``root/jobs/``.
        overrides: The job's overrides, recorded with its runs.
        quiet: Print only failures (a sweep's progress line is drawn elsewhere).
    """
    report = BlockReport()
    runs_dir = Path(root) / "runs"
    if job is not None:
        write_manifest(Path(root), job, overrides or [], [run_key(s) for s in single_runs(config)])
    for single in _order(single_runs(config), job):
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
            if single.branch_from is None:
                run(single, out)
            else:
                run(single, out, state_cache=Path(root) / STATES)
        except Exception as exc:  # the sweep goes on; the failure is on record
            if interrupted(exc):  # a Ctrl-C inside a kernel's call stops the sweep, as any Ctrl-C does
                raise KeyboardInterrupt from exc
            report.failed.append(key)
            print(
                f"{label} seed={single.seed}: FAILED ({type(exc).__name__}: {first_line(exc)})",
                file=sys.stderr,
            )
            record_failure(out, single, traceback.format_exc())
            continue
        report.done.append(key)
        if quiet:
            continue
        print(f"{label} seed={single.seed}: done in {time.perf_counter() - started:.1f} s -> {out}", file=sys.stderr)
    warning = reused_from_other_code([runs_dir / key for key in report.skipped])
    if warning:
        print(f"{label} {warning}".strip(), file=sys.stderr)
    return report
