"""Sweeps over assumptions for decision support: sample, run through ``sim.sweep``, read back.

Scenario discovery (:mod:`experiments.discover`) and the robust policy search
(:mod:`experiments.search`) both need the same three steps: draw points in the assumption ranges
of the parameter table (a Latin hypercube), run each point with and without a policy over a few
seeds (every run in ``<dir>/runs/<hash of its configuration>/``, so a re-run skips what is done),
and read the finished runs back as one wide table (one row per run: its parameters and outcomes).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import qmc

from experiments.aggregate import flatten, load_run_config
from experiments.runner import run_blocks
from experiments.sensitivity import Factor, assumption_factors, respect_rules
from sim.errors import ConfigError
from sim.params import RunConfig, from_dict
from sim.sweep import BlockReport

SWEEP_SEED = 20261129  # the Latin hypercube's own seed: the same command draws the same points


def factors_named(names: Sequence[str]) -> list[Factor]:
    """Assumption factors by dotted key (their ranges come from the parameter table).

    Raises:
        ConfigError: for a key that is not a numeric assumption.
    """
    known = {f.name: f for f in assumption_factors()}
    out = []
    for name in names:
        if name not in known:
            close = [k for k in known if name.split(".")[-1] in k][:5]
            hint = ", ".join(close) if close else "a numeric parameter marked assumption in docs/parameters.md"
            raise ConfigError("--factor", name, hint, "not an assumption with a range")
        out.append(known[name])
    return out


def latin_hypercube(factors: Sequence[Factor], n: int, seed: int = SWEEP_SEED) -> pd.DataFrame:
    """``n`` points spread over the factors' ranges (one column per factor)."""
    sample = qmc.LatinHypercube(d=len(factors), seed=seed).random(n)
    lo = np.array([f.lo for f in factors])
    hi = np.array([f.hi for f in factors])
    x = lo + sample * (hi - lo)
    cols = {f.name: (np.rint(x[:, i]).astype(int) if f.integer else x[:, i]) for i, f in enumerate(factors)}
    return pd.DataFrame(cols)


def set_key(tree: dict, dotted: str, value) -> None:
    """Set ``a.b.c`` in a nested mapping."""
    keys = dotted.split(".")
    for k in keys[:-1]:
        tree = tree.setdefault(k, {})
    tree[keys[-1]] = value


def point_config(base: dict, point: dict, seed: int, seeds: int) -> RunConfig:
    """A block of seeds of ``base`` (a run configuration as a mapping) with the point's values set."""
    cfg = copy.deepcopy(base)
    cfg["seed"], cfg["seeds"] = int(seed), int(seeds)
    cfg.setdefault("output", {})["progress"] = False
    for key, value in point.items():
        set_key(cfg, key, value.item() if hasattr(value, "item") else value)
    respect_rules(cfg)
    return from_dict(RunConfig, cfg)


def run_all(
    configs: Sequence[tuple[RunConfig, str]], root: str | Path, jobs: int = 1, launcher: str = "joblib"
) -> BlockReport:
    """Run blocks of seeds under ``root/runs/`` (skipping finished runs) through the study runner.

    ``launcher`` is ``joblib`` (``jobs`` processes here), ``ray`` or ``slurm``
    (:func:`experiments.runner.run_blocks`).
    """
    return run_blocks([(label, c) for c, label in configs], root, jobs, launcher)


def read_runs(root: str | Path) -> pd.DataFrame:
    """Finished runs of a sweep directory, one row each: ``run``, flattened parameters, outcomes.

    Works on any sweep of this project (``python -m sim -m``, the commands here): it reads
    ``runs/<key>/config.yaml`` and ``summary.json``.
    """
    rows = []
    for path in sorted(Path(root).glob("runs/*/summary.json")):
        run = path.parent
        config = load_run_config(run)
        summary = json.loads(path.read_text(encoding="utf-8"))
        row = {"run": run.name, **flatten(config)}
        row.update({f"out:{k}": v for k, v in summary.items() if isinstance(v, (int, float)) and k != "seed"})
        row["policy_label"] = summary.get("policy", "none")
        rows.append(row)
    return pd.DataFrame(rows)


__all__ = ["factors_named", "latin_hypercube", "point_config", "read_runs", "run_all", "set_key"]
