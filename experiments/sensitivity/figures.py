"""Figures of the sensitivity report."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Sequence

import matplotlib

if "matplotlib.pyplot" not in sys.modules and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from experiments.sensitivity.design import SEED

# --- figures -------------------------------------------------------------------------------------


def short(name: str) -> str:
    """A factor's key without its section prefix."""
    return name.removeprefix("scenario.").removeprefix("policy.")


def plot_morris(morris: pd.DataFrame, outcome: str, ax: Axes | None = None, label: int = 6) -> Figure:
    """mu* against sigma for one outcome (SALib's covariance plot), the seed's mu* as the noise line.

    Args:
        morris: Rows of :func:`analyze_morris`.
        outcome: Outcome to draw.
        ax: Axes (new figure if None).
        label: How many top factors to name.

    Returns:
        The figure.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    fig = ax.figure
    df = morris[morris["outcome"] == outcome]
    seed = df[df["factor"] == SEED]
    rest = df[df["factor"] != SEED]
    ax.scatter(rest["mu_star"], rest["sigma"], s=12, color="tab:blue", alpha=0.7)
    if len(seed):
        ax.scatter(seed["mu_star"], seed["sigma"], s=40, marker="*", color="tab:red", label="seed (noise)")
        ax.axvline(float(seed["mu_star"].iloc[0]), color="tab:red", lw=0.8, ls="--")
    for _, r in rest.sort_values("mu_star", ascending=False).head(label).iterrows():
        ax.annotate(
            short(r["factor"]), (r["mu_star"], r["sigma"]), fontsize=6, xytext=(3, 2), textcoords="offset points"
        )
    top = max(float(df["mu_star"].max()), float(df["sigma"].max()), 1e-12)
    ax.plot([0, top], [0, top], color="0.6", lw=0.6)
    ax.set_xlabel("mu* (mean |elementary effect|)", fontsize=7)
    ax.set_ylabel("sigma", fontsize=7)
    ax.set_title(outcome, fontsize=8)
    ax.tick_params(labelsize=6)
    return fig


def plot_morris_grid(morris: pd.DataFrame, outcomes: Sequence[str], title: str) -> Figure:
    """:func:`plot_morris` for several outcomes."""
    outcomes = [o for o in outcomes if o in set(morris["outcome"])]
    ncols = 3
    nrows = max(1, math.ceil(len(outcomes) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.4 * nrows), squeeze=False)
    for ax, outcome in zip(axes.ravel(), outcomes, strict=False):
        plot_morris(morris, outcome, ax)
    for ax in axes.ravel()[len(outcomes) :]:
        ax.set_visible(False)
    axes.ravel()[0].legend(fontsize=6)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    return fig


def plot_sobol(sobol: pd.DataFrame, outcome: str, ax: Axes | None = None, top: int = 12) -> Figure:
    """First-order (S1) and total (ST) Sobol indices of one outcome, with 95% intervals.

    Args:
        sobol: Rows of :func:`analyze_sobol`.
        outcome: Outcome to draw.
        ax: Axes (new figure if None).
        top: How many factors to show (largest ST first); the seed is always shown, in red.

    Returns:
        The figure.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    fig = ax.figure
    df = sobol[sobol["outcome"] == outcome]
    shown = df[df["factor"] != SEED].nlargest(top, "ST")
    df = pd.concat([shown, df[df["factor"] == SEED]]).sort_values("ST")
    y = np.arange(len(df))
    seed = (df["factor"] == SEED).to_numpy()
    st_colors = np.where(seed, "tab:red", "tab:blue")
    ax.barh(y + 0.2, df["ST"], 0.4, xerr=df["ST_conf"], color=st_colors, label="ST", error_kw={"lw": 0.6})
    ax.barh(y - 0.2, df["S1"], 0.4, xerr=df["S1_conf"], color="tab:orange", label="S1", error_kw={"lw": 0.6})
    ax.set_yticks(y, [short(f) for f in df["factor"]], fontsize=6)
    ax.axvline(0, color="0.3", lw=0.6)
    ax.set_title(outcome, fontsize=8)
    ax.tick_params(axis="x", labelsize=6)
    return fig


def plot_sobol_grid(sobol: pd.DataFrame, outcomes: Sequence[str], top: int = 12) -> Figure:
    """:func:`plot_sobol` for several outcomes."""
    outcomes = [o for o in outcomes if o in set(sobol["outcome"])]
    ncols = 4
    nrows = max(1, math.ceil(len(outcomes) / ncols))
    rows = min(top, sobol["factor"].nunique() - 1) + 1
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, (0.22 * rows + 1.2) * nrows), squeeze=False)
    for ax, outcome in zip(axes.ravel(), outcomes, strict=False):
        plot_sobol(sobol, outcome, ax, top)
    for ax in axes.ravel()[len(outcomes) :]:
        ax.set_visible(False)
    axes.ravel()[0].legend(fontsize=6, loc="lower right")
    fig.suptitle(
        f"Sobol indices: S1 first order, ST total (seed in red), 95% bootstrap intervals; top {top} factors by ST",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    return fig
