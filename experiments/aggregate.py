"""Gather the runs of a sweep into one long table: one row per run and outcome.

``python -m experiments.aggregate multirun/DATE/TIME`` reads every run directory below the
given one, reports how many finished (``summary.json`` present) and how many did not, and
writes ``runs.parquet`` beside them with every parameter as a column.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd
import yaml

META = ("scenario", "seed", "steps", "start_date", "end_date", "version", "git_revision", "wall_seconds")


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out.update(_flatten(v, f"{key}."))
        else:
            out[key] = json.dumps(v) if isinstance(v, (list, dict)) else v
    return out


def find_runs(root: Path) -> tuple[list[Path], list[Path]]:
    """(finished, unfinished) run directories under ``root``: those with a config.yaml."""
    runs = sorted({p.parent for p in root.rglob("config.yaml") if p.parent.name != ".hydra"})
    done = [r for r in runs if (r / "summary.json").exists()]
    return done, [r for r in runs if r not in done]


def long_table(runs: list[Path]) -> pd.DataFrame:
    """One row per (run, outcome), with the run's parameters as columns."""
    rows = []
    for run in runs:
        params = _flatten(yaml.safe_load((run / "config.yaml").read_text(encoding="utf-8")))
        summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
        for name, value in summary.items():
            if name in META or not isinstance(value, (int, float)):
                continue
            rows.append({"run": str(run), **params, "outcome": name, "value": float(value)})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep_dir", type=Path)
    args = parser.parse_args(argv)
    if not args.sweep_dir.is_dir():
        print(f"error: {args.sweep_dir}: not a directory", file=sys.stderr)
        return 2
    done, unfinished = find_runs(args.sweep_dir)
    print(f"{len(done)} finished runs, {len(unfinished)} unfinished")
    for run in unfinished:
        print(f"  unfinished: {run}")
    if not done:
        return 1
    table = long_table(done)
    out = args.sweep_dir / "runs.parquet"
    table.to_parquet(out, index=False)
    print(f"wrote {out} ({len(table)} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
