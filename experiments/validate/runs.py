"""Running every arm through the one batch runner, and the tables of effects, history and counterfactuals."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.runner import run_tasks
from experiments.stats import mean_interval
from experiments.validate.arms import ARMS, Arm, Mode, arm_config, calibration_point
from experiments.validate.catalogue import EXPERIMENTS
from experiments.validate.classification import EVIDENCE, RULE, kind_of
from experiments.validate.criteria import Experiment, Values, mde
from experiments.validate.history import COUNTERFACTUAL_OUTCOMES, COUNTERFACTUALS, HISTORY_FIGURES, history_metrics
from experiments.validate.measures import measures
from sim.params import RunConfig
from sim.run import git_revision

ROOT = Path(__file__).resolve().parent.parent.parent


IDENTICAL = "arms identical in every seed: the statistic cannot fail"

# --- running everything --------------------------------------------------------------------------


@dataclass
class Results:
    """Everything the report needs."""

    mode: Mode
    values: Values
    weekly: dict[str, list[pd.DataFrame]]
    seconds: float
    cpu_seconds: float
    jobs: int
    runs: int
    revision: str = "unknown"


def seeds_for(arm: Arm, mode: Mode) -> range:
    """Seeds run for an arm (the same for every arm of a family, so effects pair by seed)."""
    return range(mode.history_seeds if arm.family == "history" else mode.seeds)


def run_all(
    mode: Mode, arms: Sequence[str], data_root: Path, jobs: int, progress: bool = True, launcher: str = "joblib"
) -> Results:
    """Run every (arm, seed) not yet finished under ``data_root/runs``; return the values by arm, metric and seed."""
    configs = {a: arm_config(ARMS[a], mode, data_root) for a in arms}

    def config(a: str, s: int) -> RunConfig:
        # A history arm's seed also picks its calibrated point: composed per seed.
        calibrated = calibration_point(ARMS[a], mode, s) is not None
        return arm_config(ARMS[a], mode, data_root, s) if calibrated else dataclasses.replace(configs[a], seed=s)

    # Longest first (history), so two workers finish together.
    tasks = [
        (a, config(a, s))
        for a in sorted(arms, key=lambda a: ARMS[a].family != "history")
        for s in seeds_for(ARMS[a], mode)
    ]
    started = time.perf_counter()
    revision = git_revision()
    records = run_tasks(tasks, data_root, jobs, progress, launcher)
    out = [measures(r, ARMS[r.label].family == "history") for r in records]
    seconds = time.perf_counter() - started
    by_arm: dict[str, list[dict]] = {}
    for r in out:
        if "weekly" in r:
            r["metrics"] |= history_metrics(r["weekly"])
        by_arm.setdefault(r["arm"], []).append(r)
    values: Values = {}
    weekly: dict[str, list[pd.DataFrame]] = {}
    for a, rs in by_arm.items():
        rs.sort(key=lambda r: r["seed"])
        keys = rs[0]["metrics"].keys()
        values[a] = {k: np.array([r["metrics"].get(k, np.nan) for r in rs], dtype=float) for k in keys}
        values[a]["seed"] = np.array([r["seed"] for r in rs], dtype=float)
        if "weekly" in rs[0]:
            weekly[a] = [r["weekly"] for r in rs]
    cpu = float(sum(r["seconds"] for r in out))
    return Results(mode, values, weekly, seconds, cpu, jobs, len(out), revision)


def evaluate(results: Results, experiments: Sequence[Experiment] = EXPERIMENTS) -> pd.DataFrame:
    """One row per statistic: effect, interval, minimum detectable effect, criterion, verdict and kind."""
    rows = []
    for exp in experiments:
        for i, st in enumerate(exp.stats):
            if not all(a in results.values for a in st.arms):
                continue
            eff = st.effect(results.values)
            mean, lo, hi, n = mean_interval(eff)
            d = mde(eff)
            # Arms that give the same runs seed by seed cannot show anything (M13's old "intelligence ignored").
            identical = n >= 2 and bool(np.all(eff[np.isfinite(eff)] == 0))
            why = IDENTICAL if identical else st.criterion.failure(lo, hi, d)
            cls = kind_of(exp.id)
            rows.append(
                {
                    "experiment": exp.id,
                    "stat": i,
                    "label": st.label,
                    "percent": st.percent,
                    "mean": mean,
                    "lo": lo,
                    "hi": hi,
                    "n": n,
                    "mde": d,
                    "criterion": st.criterion.text(st.percent),
                    "pass": why is None,
                    "why": why or "",
                    # What the statistic is: evidence (counts in the pass rate) or written by a rule.
                    "kind": EVIDENCE if cls.kind == EVIDENCE and i not in cls.rule_stats else RULE,
                    "effects": eff,
                }
            )
    return pd.DataFrame(rows)


def verdict(experiment: str, rows: pd.DataFrame) -> str:
    """A claim's verdict: PASS or FAIL over its evidence statistics, or ``rule check`` (no verdict counted).

    Args:
        experiment: The experiment id (its classification decides).
        rows: Its rows of :func:`evaluate`'s table.
    """
    if kind_of(experiment).kind != EVIDENCE:
        return "rule check"
    counted = rows[rows["kind"] == EVIDENCE]
    return "PASS" if len(counted) and bool(counted["pass"].all()) else "FAIL"


def history_table(results: Results) -> pd.DataFrame:
    """FACTS.md part A figures against the history runs."""
    v = results.values.get("history")
    rows = []
    for f in HISTORY_FIGURES:
        x = v[f"figure:{f.id}"] if v is not None else np.array([np.nan])
        finite = x[np.isfinite(x)]
        mean = float(finite.mean()) if len(finite) else math.nan
        p_lo, p_hi = np.percentile(finite, [2.5, 97.5]) if len(finite) else (math.nan, math.nan)
        if not math.isfinite(mean):
            verdict = "no value"
        elif f.lo <= mean <= f.hi:
            verdict = "match"
        elif p_hi >= f.lo and p_lo <= f.hi:
            verdict = "borderline"
        else:
            verdict = "mismatch"
        rows.append(
            {
                "id": f.id,
                "what": f.what,
                "target": f.target,
                "mean": mean,
                "lo": float(p_lo),
                "hi": float(p_hi),
                "tolerance": f.tolerance,
                "verdict": verdict,
                "fmt": f.fmt,
                "calibrated": f.calibrated,
            }
        )
    return pd.DataFrame(rows)


def counterfactual_table(results: Results) -> pd.DataFrame:
    """Each counterfactual against the history, paired by seed, over the window it changes."""
    rows = []
    base = results.values.get("history")
    for arm, (start, preset) in COUNTERFACTUALS.items():
        if base is None or arm not in results.values:
            continue
        for col in COUNTERFACTUAL_OUTCOMES:
            key = f"after:{arm}:{col}"
            a, b = results.values[arm][key], base[key]
            ref = abs(float(np.nanmean(b)))
            eff = (a - b) / ref if ref > 0 else np.full(len(b), np.nan)
            mean, lo, hi, n = mean_interval(eff)
            rows.append(
                {
                    "counterfactual": arm,
                    "from": start,
                    "preset": preset,
                    "outcome": col,
                    "history": float(np.nanmean(b)),
                    "counterfactual_value": float(np.nanmean(a)),
                    "mean": mean,
                    "lo": lo,
                    "hi": hi,
                    "n": n,
                }
            )
    return pd.DataFrame(rows)
