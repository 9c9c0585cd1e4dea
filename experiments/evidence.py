"""Regenerate the evidence from scratch: docs/calibration.md, docs/validation.md, docs/sensitivity.md, figures.

One command for the reports (issues 12 and 16): the calibration by history matching and its error
table per historical figure (experiments/calibrate/) first, because the historical scenario and its
counterfactuals run over the ensemble it writes; then the pattern suite and the historical scenario
(experiments/validate/); then Morris screening, Sobol on the factors Morris kept, and the
sensitivity report (experiments/sensitivity/). Each step prints its own progress; a failing step
stops the rest, so a report is never left half-updated by a later step's failure.

Every step runs through the one batch runner (``experiments.runner``): killed, the same command
redoes only the runs without a verified manifest. When all steps succeed, the time each took is
written to ``timing.json`` and, for the full evidence into docs/, to the section between
``TIMING_START`` and ``TIMING_END`` of docs/calibration.md (otherwise to ``<out>/evidence_timing.md``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from experiments import calibrate, sensitivity, validate
from sim.run import git_revision

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "calibration.md"
TIMING_START, TIMING_END = "<!-- evidence-timing:start -->", "<!-- evidence-timing:end -->"


def steps(jobs: int | None, quick: bool, out: Path | None) -> list[tuple[str, list[str]]]:
    """The command lines of the steps, in order: (module, argv)."""
    common = [*(["--jobs", str(jobs)] if jobs else []), *(["--quick"] if quick else [])]
    where = (["--out", str(out / "validation")] if out else []), (["--out", str(out / "sensitivity")] if out else [])
    docs = ["--docs", str(out / "sensitivity")] if out else []
    return [
        ("calibrate", [*common, *(["--out", str(out / "calibration")] if out else [])]),
        ("validate", [*common, *where[0]]),
        ("sensitivity", ["morris", *common, *where[1]]),
        ("sensitivity", ["sobol", *common, *where[1]]),
        ("sensitivity", ["report", *common, *where[1], *docs]),
    ]


def timing_section(rows: Sequence[dict], jobs: int, revision: str, date: str) -> str:
    """The Markdown of how long each step took (``rows``: module, argv, seconds)."""
    total = sum(r["seconds"] for r in rows)
    lines = [
        f"Written by `python -m experiments.evidence` on {date} at code revision `{revision}`, {jobs} worker(s); "
        "do not edit this section by hand. Times are each step's wall time in this invocation: a step that "
        "found finished runs (a resumed or repeated command) took less than from scratch.",
        "",
        "| step | command | minutes |",
        "|---|---|---|",
        *(
            f"| {i} | `python -m experiments.{r['module']} {' '.join(r['argv'])}` | {r['seconds'] / 60:.1f} |"
            for i, r in enumerate(rows, 1)
        ),
        f"| | total | {total / 60:.1f} |",
    ]
    return "\n".join(lines)


def write_timing(doc: Path, section: str) -> Path:
    """Put ``section`` between the timing markers of ``doc`` (appended with its heading when absent)."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else ""
    if TIMING_START in text and TIMING_END in text:
        head, rest = text.split(TIMING_START, 1)
        text = f"{head}{TIMING_START}\n{section}\n{TIMING_END}{rest.split(TIMING_END, 1)[1]}"
    else:
        heading = "## How long the evidence takes (`experiments/evidence.py`)"
        text = f"{text.rstrip()}\n\n{heading}\n\n{TIMING_START}\n{section}\n{TIMING_END}\n".lstrip()
    doc.write_text(text, encoding="utf-8")
    return doc


def main(argv: Sequence[str] | None = None) -> int:
    """Command line."""
    ap = argparse.ArgumentParser(prog="python -m experiments.evidence", description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=None, help="worker processes (default 2, quick 1)")
    ap.add_argument("--quick", action="store_true", help="smoke run of every step (reports under multirun/)")
    ap.add_argument("--out", type=Path, default=None, help="write reports here instead of docs/ (for trying)")
    args = ap.parse_args(argv)
    modules = {"validate": validate.main, "sensitivity": sensitivity.main, "calibrate": calibrate.main}
    started = time.perf_counter()
    todo = steps(args.jobs, args.quick, args.out)
    rows = []
    for i, (module, step_argv) in enumerate(todo, 1):
        print(f"[{i}/{len(todo)}] python -m experiments.{module} {' '.join(step_argv)}", flush=True)
        step_started = time.perf_counter()
        code = modules[module](step_argv)
        if code:
            print(f"error: step {i} failed with exit code {code}; later steps not run", file=sys.stderr)
            return code
        rows.append({"module": module, "argv": step_argv, "seconds": time.perf_counter() - step_started})
    jobs = args.jobs or (1 if args.quick else 2)
    revision, date = git_revision(), dt.date.today().isoformat()
    where = args.out or ROOT / "multirun" / ("evidence-quick" if args.quick else "evidence")
    where.mkdir(parents=True, exist_ok=True)
    meta = {"jobs": jobs, "revision": revision, "date": date, "steps": rows}
    (where / "timing.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    doc = DOC if not (args.quick or args.out) else where / "evidence_timing.md"
    write_timing(doc, timing_section(rows, jobs, revision, date))
    print(f"evidence regenerated in {(time.perf_counter() - started) / 60:.1f} min; times in {doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
