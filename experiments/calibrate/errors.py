"""Error per historical figure, calibration targets and held-out figures apart, tracked across revisions.

The table has one row per figure: the observed value and its hit range, the model's mean and
2.5-97.5% range over the ensemble's runs (every point, every seed) and at the defaults, the error
on the figure's scale (log ratio for amounts, difference for shares) and whether the mean is a hit.
It is written as CSV next to the report and kept in the repository; the previous revision's table
is read before it is overwritten, and each row says whether the error grew, so a change that
makes the history worse shows in the diff and in the report.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.calibrate.ensemble import Member
from experiments.calibrate.targets import Figure
from experiments.calibrate.waves import Calibration

WORSE = 0.05  # an error that grows by more than this (on the figure's scale) is flagged


def _error(f: Figure, value: float) -> float:
    if not np.isfinite(value):
        return math.nan
    return float(f.transform(value) - f.z)


def table(cal: Calibration, ensemble: list[Member]) -> pd.DataFrame:
    """One row per figure (targets first): observed, model mean and range, error, hit."""
    rows = []
    for f in sorted(cal.figures, key=lambda f: f.role != "target"):
        runs = np.concatenate([m.runs[f.id] for m in ensemble]) if ensemble else np.empty(0)
        runs = runs[np.isfinite(runs)]
        ref = cal.reference.get(f.id, np.empty(0))
        ref = ref[np.isfinite(ref)]
        mean = float(np.mean([np.nanmean(m.runs[f.id]) for m in ensemble])) if ensemble else math.nan
        rows.append(
            {
                "id": f.id,
                "role": f.role,
                "what": f.what,
                "observed": f.observed,
                "lo": f.lo,
                "hi": f.hi,
                "scale": f.scale,
                "model_mean": mean,
                "model_p2_5": float(np.percentile(runs, 2.5)) if len(runs) else math.nan,
                "model_p97_5": float(np.percentile(runs, 97.5)) if len(runs) else math.nan,
                "defaults_mean": float(np.mean(ref)) if len(ref) else math.nan,
                "error": _error(f, mean),
                "defaults_error": _error(f, float(np.mean(ref))) if len(ref) else math.nan,
                "hit": bool(f.lo <= mean <= f.hi) if np.isfinite(mean) else False,
            }
        )
    return pd.DataFrame(rows)


def compare(current: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """The table with the previous revision's error and a verdict per row (better, same, worse, new)."""
    out = current.copy()
    out["previous_error"] = math.nan
    out["change"] = "new"
    if previous is None or previous.empty:
        return out
    prev = previous.set_index("id")
    for i, row in out.iterrows():
        if row["id"] not in prev.index:
            continue
        p = prev.loc[row["id"]]
        out.at[i, "previous_error"] = p["error"]
        now, before = abs(row["error"]), abs(p["error"])
        if not np.isfinite(now):
            verdict = "no value" if np.isfinite(before) else "same"
        elif not np.isfinite(before) or now < before - WORSE:
            verdict = "better"
        elif now > before + WORSE or (bool(p["hit"]) and not row["hit"]):
            verdict = "worse"
        else:
            verdict = "same"
        out.at[i, "change"] = verdict
    return out


def read_previous(path: Path) -> pd.DataFrame | None:
    """The table kept in the repository, if any."""
    return pd.read_csv(path) if path.exists() else None


def write(df: pd.DataFrame, path: Path) -> None:
    """Write the table (without the comparison columns, which belong to the report)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    df.drop(columns=["previous_error", "change"], errors="ignore").to_csv(path, index=False, float_format="%.6g")


__all__ = ["WORSE", "compare", "read_previous", "table", "write"]
