"""Figures of the validation report."""

from __future__ import annotations

import math
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib

if "matplotlib.pyplot" not in sys.modules and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from experiments.validate.criteria import Experiment
from experiments.validate.runs import verdict

ROOT = Path(__file__).resolve().parent.parent.parent


# --- figures -------------------------------------------------------------------------------------


def plot_experiment(exp: Experiment, table: pd.DataFrame, axes: Sequence[Axes] | None = None) -> Figure:
    """Per-seed paired effects of an experiment's statistics, with mean, 95% CI and the criterion.

    Args:
        exp: The experiment.
        table: Rows of :func:`evaluate` for this experiment.
        axes: One axes per statistic (new figure if None).

    Returns:
        The figure.
    """
    rows = table[table["experiment"] == exp.id].reset_index(drop=True)
    n = max(1, len(rows))
    if axes is None:
        fig, axes = plt.subplots(1, n, figsize=(3.6 * n, 3.4), squeeze=False)
        axes = list(axes[0])
    fig = axes[0].figure
    rng = np.random.default_rng(0)
    for ax, (_, r) in zip(axes, rows.iterrows(), strict=False):
        scale = 100.0 if r["percent"] else 1.0
        eff = np.asarray(r["effects"], dtype=float) * scale
        eff = eff[np.isfinite(eff)]
        crit = exp.stats[int(r["stat"])].criterion
        lo_b, hi_b = crit.lo * scale, crit.hi * scale
        span = [*eff, r["lo"] * scale if math.isfinite(r["lo"]) else 0.0, lo_b, hi_b, 0.0]
        if crit.kind == "within" and math.isfinite(r.get("mde", math.nan)):
            span += [-r["mde"] * scale, r["mde"] * scale]
        top, bottom = max(span), min(span)
        pad = 0.1 * (top - bottom or 1.0)
        if crit.kind == "within":
            ax.axhspan(lo_b, hi_b, color="tab:green", alpha=0.15, lw=0)
            if math.isfinite(r.get("mde", math.nan)):  # the MDE (dashed): a wider band is judged there
                for y in (-r["mde"] * scale, r["mde"] * scale):
                    ax.axhline(y, color="tab:green", ls="--", lw=0.8)
        elif crit.kind == "above":
            ax.axhspan(lo_b, top + pad, color="tab:green", alpha=0.12, lw=0)
        else:
            ax.axhspan(bottom - pad, lo_b, color="tab:green", alpha=0.12, lw=0)
        ax.axhline(0, color="0.3", lw=0.8)
        ax.scatter(rng.uniform(-0.25, 0.25, len(eff)), eff, s=12, color="0.45", zorder=2)
        if math.isfinite(r["lo"]):
            ax.errorbar(
                [0.6],
                [r["mean"] * scale],
                yerr=[[(r["mean"] - r["lo"]) * scale], [(r["hi"] - r["mean"]) * scale]],
                fmt="o",
                color="tab:green" if r["pass"] else "tab:red",
                capsize=4,
                zorder=3,
            )
        ax.set_xlim(-0.6, 1.0)
        ax.set_xticks([])
        ax.set_ylim(bottom - pad, top + pad)
        ax.set_ylabel("% of reference mean" if r["percent"] else "difference")
        ax.set_title(textwrap.fill(r["label"], 42, break_long_words=False), fontsize=8)
    fig.suptitle(f"{exp.id}: {exp.title} ({verdict(exp.id, rows)})", fontsize=10)
    fig.tight_layout()
    return fig


HISTORY_PANELS = (
    ("cattle_stolen_mopti", "cattle stolen in Mopti (head/year)", "year", "sum"),
    ("migrants_timbuktu", "migrants through Timbuktu (per week)", "year", "mean"),
    ("peacekeeper_deaths", "peacekeepers killed (cumulative)", "cumulative", "sum"),
    ("force_protection_share", "mission's force-protection share", "quarter", "mean"),
    ("civilian_deaths", "civilian deaths (per month)", "month", "sum"),
    ("gold_delivered_kg", "gold delivered to Dubai (t/year)", "year", "sum"),
    ("fatalities_central", "share of fatalities in Mopti and Ségou", "year", "share_of:fatalities_regions"),
)
TARGETS = {
    "cattle_stolen_mopti": [("2019-07-01", 78_000, 78_000), ("2021-07-01", 130_000, 130_000)],
    "migrants_timbuktu": [("2021-07-01", 500, 1000)],
    "peacekeeper_deaths": [("2021-12-31", 268, 268)],
    "force_protection_share": [("2023-04-01", 0.8, 0.8)],
    "gold_delivered_kg": [("2019-07-01", 80.4, 80.4)],
    "fatalities_central": [("2020-07-01", 0.5, 1.0)],  # 002 §III: primarily central Mali after 2018
}


def _aggregate(df: pd.DataFrame, col: str, how: str, agg: str) -> pd.Series:
    s = df.set_index(pd.to_datetime(df["date"]))[col]
    if how == "cumulative":
        return s.loc["2013-07-01":].cumsum()
    rule = {"year": "YS", "quarter": "QS", "month": "MS"}[how]
    if agg.startswith("share_of:"):
        whole = df.set_index(pd.to_datetime(df["date"]))[agg.removeprefix("share_of:")].resample(rule).sum()
        out = s.resample(rule).sum() / whole.where(whole > 0)
    elif agg == "sum":
        out = s.resample(rule).sum()
    else:
        out = s.resample(rule).mean()
    if how == "year":
        out.index = out.index + pd.DateOffset(months=6)
    return out


def plot_history(weekly: list[pd.DataFrame], axes: Sequence[Axes] | None = None) -> Figure:
    """The history runs (mean and 95% range over seeds) against the figures of FACTS.md part A.

    Args:
        weekly: Weekly series of each seed's history run.
        axes: One axes per panel of ``HISTORY_PANELS`` (new figure if None).

    Returns:
        The figure.
    """
    if axes is None:
        rows = math.ceil(len(HISTORY_PANELS) / 3)
        fig, grid = plt.subplots(rows, 3, figsize=(13, 3.25 * rows))
        axes = list(grid.ravel())
        for extra in axes[len(HISTORY_PANELS) :]:
            extra.set_visible(False)
        axes = axes[: len(HISTORY_PANELS)]
    fig = axes[0].figure
    for ax, (col, title, how, agg) in zip(axes, HISTORY_PANELS, strict=True):
        series = pd.concat([_aggregate(d, col, how, agg) for d in weekly], axis=1)
        if col == "gold_delivered_kg":
            series = series / 1000
        mean = series.mean(axis=1)
        lo, hi = series.quantile(0.025, axis=1), series.quantile(0.975, axis=1)
        ax.fill_between(series.index, lo, hi, color="tab:blue", alpha=0.25, lw=0)
        ax.plot(series.index, mean, color="tab:blue", lw=1.2, label="model (mean, 95% range)")
        for i, (date, a, b) in enumerate(TARGETS.get(col, [])):
            t, label = pd.Timestamp(date), "FACTS.md part A" if i == 0 else None
            if a == b:
                ax.plot([t], [a], "D", color="tab:red", label=label)
            else:
                ax.errorbar([t], [(a + b) / 2], yerr=[[(b - a) / 2]], fmt="D", color="tab:red", capsize=4, label=label)
        if col not in ("force_protection_share", "fatalities_central"):
            ax.set_ylim(bottom=0)
        if col == "fatalities_central":
            ax.set_ylim(0, 1)
            ax.axvline(pd.Timestamp("2018-01-01"), color="tab:red", lw=0.8, ls=":")
        if col == "civilian_deaths":
            ax.axvspan(pd.Timestamp("2018-11-01"), pd.Timestamp("2019-03-31"), color="tab:red", alpha=0.15)
            ax.text(pd.Timestamp("2018-11-01"), ax.get_ylim()[1] * 0.92, "F15: +300%", fontsize=7, color="tab:red")
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=7)
    axes[0].legend(fontsize=7, loc="upper left")
    fig.suptitle("Historical scenario 2012- against FACTS.md part A", fontsize=10)
    fig.tight_layout()
    return fig


def plot_counterfactuals(table: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Relative effects of each counterfactual on key outcomes (mean and 95% CI over paired seeds).

    Args:
        table: Rows of :func:`counterfactual_table`.
        ax: Axes (new figure if None).

    Returns:
        The figure.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.22 * max(len(table), 8) + 1.2))
    fig = ax.figure
    labels, colors = [], {"history_oc_priority": "tab:blue", "history_no_wagner": "tab:orange"}
    for y, (_, r) in enumerate(table.iloc[::-1].iterrows()):
        c = colors.get(r["counterfactual"], "tab:green")
        if math.isfinite(r["lo"]):
            ax.errorbar([100 * r["mean"]], [y], xerr=[[100 * (r["mean"] - r["lo"])], [100 * (r["hi"] - r["mean"])]],
                        fmt="o", color=c, capsize=3, ms=4)  # fmt: skip
        labels.append(f"{r['counterfactual'].removeprefix('history_')}: {r['outcome']}")
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("% change against the history, from the counterfactual's date (paired by seed)")
    fig.tight_layout()
    return fig
