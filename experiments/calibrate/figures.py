"""Figures of a calibration: emulator diagnostics, the shrinking space, and the ensemble against the figures."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib

# Headless unless pyplot is already in use or a display exists (as experiments/sensitivity/figures.py).
if "matplotlib.pyplot" not in sys.modules and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from experiments.calibrate.waves import Calibration, to_values


def loo(cal: Calibration, ax_grid=None):
    """Leave-one-out: each design point's seed-mean against the emulator refitted without it (±2 sd)."""
    targets = cal.targets
    rows, cols = len(cal.waves), len(targets)
    fig, axes = (
        plt.subplots(rows, cols, figsize=(3.2 * cols, 3.0 * rows), squeeze=False)
        if ax_grid is None
        else (None, ax_grid)
    )
    for r, w in enumerate(cal.waves):
        for c, f in enumerate(targets):
            ax, em = axes[r][c], w.emulators[f.id]
            sd = np.sqrt(em.loo_sd**2 + em.noise)
            ax.errorbar(em.y, em.loo_mean, yerr=2 * sd, fmt="o", ms=3, color="C0" if em.valid else "C3", lw=0.8)
            lo, hi = min(em.y.min(), em.loo_mean.min()), max(em.y.max(), em.loo_mean.max())
            ax.plot([lo, hi], [lo, hi], "k--", lw=0.7)
            ax.set_title(
                f"wave {w.number}, {f.id}: cover {em.coverage:.2f}{'' if em.valid else ' (invalid)'}", fontsize=8
            )
            ax.set_xlabel(f"simulated ({f.scale})", fontsize=7)
            ax.set_ylabel("LOO prediction", fontsize=7)
            ax.tick_params(labelsize=6)
    if fig is not None:
        fig.tight_layout()
    return fig


def space(cal: Calibration):
    """The non-implausible share of the box by wave, and the last space in its two most constrained factors."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    shares = [1.0] + [w.share for w in cal.waves]
    a.bar(range(len(shares)), shares, color="C0")
    a.set_yscale("log")
    a.set_ylim(max(min(shares) / 2, 1e-5), 1.5)
    a.set_xticks(range(len(shares)), ["box"] + [f"wave {w.number}" for w in cal.waves])
    a.set_ylabel("non-implausible share of the box")
    for i, s in enumerate(shares):
        a.text(i, s, f"{s:.1%}", ha="center", va="bottom", fontsize=8)
    kept = cal.waves[-1].kept
    x = to_values(cal.factors, cal.candidates)
    # The two factors whose non-implausible values spread least (on the unit cube): the most constrained.
    span = np.std(cal.candidates[kept], axis=0) if kept.sum() > 1 else np.ones(len(cal.factors))
    i, j = np.argsort(span)[:2] if len(span) > 1 else (0, 0)
    b.scatter(x[~kept, i], x[~kept, j], s=2, color="0.85", label="ruled out")
    b.scatter(x[kept, i], x[kept, j], s=3, color="C0", label="non-implausible")
    for w in cal.waves:
        d = to_values(cal.factors, w.design)
        b.scatter(d[:, i], d[:, j], s=18, marker="x", label=f"wave {w.number} design")
    b.set_xlabel(cal.factors[i].name.split(".", 1)[-1])
    b.set_ylabel(cal.factors[j].name.split(".", 1)[-1])
    b.legend(fontsize=7, markerscale=2)
    fig.tight_layout()
    return fig


def bands(errors: pd.DataFrame):
    """Model over observed for every figure: ensemble mean and 95% run range, defaults, hit range; hits and misses."""
    df = errors.iloc[::-1].reset_index(drop=True)
    df["label"] = ""
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(df) + 1.2))
    for y, row in df.iterrows():

        def ratio(v: float, obs: float = row["observed"]) -> float:
            return np.clip(v / obs, 0.02, 50) if obs else np.nan

        ax.fill_betweenx([y - 0.3, y + 0.3], ratio(row["lo"]), ratio(row["hi"]), color="0.9")
        if np.isfinite(row["model_mean"]):
            color = "C2" if row["hit"] else "C3"
            ax.plot([ratio(row["model_p2_5"]), ratio(row["model_p97_5"])], [y, y], color=color, lw=3)
            ax.plot(ratio(row["model_mean"]), y, "o", color=color)
        if np.isfinite(row["defaults_mean"]):
            ax.plot(ratio(row["defaults_mean"]), y - 0.25, "k|", ms=8)
        tag = "target" if row["role"] == "target" else "held out"
        ax.text(
            1.02, y, f"{'hit' if row['hit'] else 'miss'}", transform=ax.get_yaxis_transform(), fontsize=8, va="center"
        )
        ax.axhline(y + 0.5, color="0.95", lw=0.5)
        df.at[y, "label"] = f"{row['id']} ({tag})"
    ax.axvline(1, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlim(0.02, 50)
    ax.set_yticks(range(len(df)), df["label"], fontsize=8)
    ax.set_xlabel("model / observed (grey: hit range; bar: ensemble 95% of runs; dot: mean; tick: defaults)")
    fig.tight_layout()
    return fig


def save_all(cal: Calibration, errors: pd.DataFrame, directory: Path) -> list[Path]:
    """Write the three figures as PNG; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for name, fig in (
        ("calibration_loo", loo(cal)),
        ("calibration_space", space(cal)),
        ("calibration_bands", bands(errors)),
    ):
        path = directory / f"{name}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        out.append(path)
    return out


__all__ = ["bands", "loo", "save_all", "space"]
