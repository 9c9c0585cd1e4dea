"""Regenerate the evidence from scratch: docs/validation.md, docs/sensitivity.md, docs/calibration.md, figures.

One command for both reports (issue: "one command regenerates docs/validation.md and
docs/sensitivity.md from scratch"): the pattern suite and the historical scenario
(experiments/validate/), then Morris screening, Sobol on the factors Morris kept, and the
sensitivity report (experiments/sensitivity/), then the calibration by history matching and its error
table per historical figure (experiments/calibrate/). Each step prints its own progress; a failing
step stops the rest, so a report is never left half-updated by a later step's failure.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from experiments import calibrate, sensitivity, validate


def steps(jobs: int | None, quick: bool, out: Path | None) -> list[tuple[str, list[str]]]:
    """The command lines of the steps, in order: (module, argv)."""
    common = [*(["--jobs", str(jobs)] if jobs else []), *(["--quick"] if quick else [])]
    where = (["--out", str(out / "validation")] if out else []), (["--out", str(out / "sensitivity")] if out else [])
    docs = ["--docs", str(out / "sensitivity")] if out else []
    return [
        ("validate", [*common, *where[0]]),
        ("sensitivity", ["morris", *common, *where[1]]),
        ("sensitivity", ["sobol", *common, *where[1]]),
        ("sensitivity", ["report", *common, *where[1], *docs]),
        ("calibrate", [*common, *(["--out", str(out / "calibration")] if out else [])]),
    ]


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
    for i, (module, step_argv) in enumerate(todo, 1):
        print(f"[{i}/{len(todo)}] python -m experiments.{module} {' '.join(step_argv)}", flush=True)
        code = modules[module](step_argv)
        if code:
            print(f"error: step {i} failed with exit code {code}; later steps not run", file=sys.stderr)
            return code
    print(f"evidence regenerated in {(time.perf_counter() - started) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
