"""Figures of a sweep: effects against a baseline, weekly series, flow maps, do-no-harm.

Every plot function draws into the axes it is given (or a new figure) and returns the
figure; none shows it, so the same functions serve scripts, notebooks and the report
(``python -m experiments.report``). Inputs are the tables written by
:mod:`experiments.aggregate`: ``runs`` (run, variant, seed, outcome, value), ``series`` and
``edges``.

Intervals are 95% Student t-intervals of a mean over seeds (t with n - 1 degrees of freedom),
as in ``series.parquet``: with 5 seeds 2.78 standard errors, not 1.96.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import matplotlib

# Headless by default, unless a display or a chosen backend (Jupyter sets MPLBACKEND to its inline one) says otherwise.
if "matplotlib.pyplot" not in sys.modules and not any(
    os.environ.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY", "MPLBACKEND")
):
    matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from experiments.stats import mean_interval, t95
from sim.params import RunConfig, iter_params
from sim.world import TERRAINS, World, load_world

LIVELIHOOD = (
    "community_income_index",
    "community_income_north_index",
    "food_security_north_index",
    "state_trust_index",
)
CRIME_VIOLENCE = ("delivered_value_usd", "armed_group_revenue_usd", "fatalities", "bribe_rate")
# Places beyond this longitude (Cairo, Dubai) lie off the map: their links end in arrows at its edge.
MAP_MAX_ABS_LON = 20.0
MAP_PAD = 1.0
FLOW_CMAP = "RdBu_r"
NEAR_ZERO_SHARE = 0.1  # a baseline mean below this share of the largest variant's is "near zero"
FLOW_LIMIT_CAP = 100.0  # % change: beyond it colours saturate (the colorbar is extended)


# --- Effects against a baseline ----------------------------------------------------------------


def default_baseline(variants: Iterable[str]) -> str:
    """The status quo among the variants: the one whose every swept setting leaves things as they are.

    A setting is neutral when it is ``policy=none``, an intensity of 0, a switch set to false, or a
    value equal to the parameter's default (``docs/parameters.md``): ``intensity=0`` with
    ``targeting=all_armed`` still switches counter-terrorism's targeting, so it is not the status
    quo, while ``intensity=0, targeting=jihadist_only`` is. The variant with all settings neutral
    wins; failing that, among the variants whose policies are off (``policy=none`` or every
    intensity 0), the one with the most neutral settings; failing both, the first alphabetically.
    """
    variants = sorted(set(variants))
    if not variants:
        raise ValueError("no variants")
    defaults = _defaults()
    best, best_score = variants[0], (False, False, -1)
    for v in variants:
        settings = [x for x in v.split(", ") if x]
        neutral = [_neutral(x, defaults) for x in settings]
        off = any(_policy_off(x) for x in settings) and all(
            _policy_off(x) for x in settings if _key(x) == "policy" or _key(x).endswith(".intensity")
        )
        score = (all(neutral), off, sum(neutral))
        if score > best_score:
            best, best_score = v, score
    return best


def _key(setting: str) -> str:
    return setting.partition("=")[0].strip().lstrip("+~")


def _policy_off(setting: str) -> bool:
    key, _, value = setting.partition("=")
    key = key.strip().lstrip("+~")
    if key == "policy":
        return value.strip() in ("none", "[]", "[none]")
    return key.endswith(".intensity") and _is_zero(value)


def _neutral(setting: str, defaults: dict[str, str]) -> bool:
    """Whether one ``key=value`` setting of a variant leaves the model as it is without it."""
    if _policy_off(setting):
        return True
    key, _, value = setting.partition("=")
    key, value = key.strip().lstrip("+~"), value.strip()
    if key.endswith(".enabled"):
        return value.lower() == "false"
    return key in defaults and defaults[key] == value


def _defaults() -> dict[str, str]:
    """Every parameter's default as the text an override would give it."""
    out = {}
    for key, _f, default in iter_params(RunConfig):
        if isinstance(default, bool):
            out[key] = str(default).lower()
        elif default is None:
            out[key] = "null"
        elif not isinstance(default, (list, dict)):
            out[key] = str(default)
    return out


def match_variant(variants: Iterable[str], requested: str) -> str:
    """The variant a short key names: the full label, or settings with keys cut to their last parts.

    ``intensity=0,targeting=jihadist_only`` names
    ``policy.counter_terrorism.intensity=0, policy.counter_terrorism.targeting=jihadist_only``: every
    setting given must match one of the variant's (same value, key ending in the given key).

    Raises:
        ValueError: If no variant or more than one matches (the message lists the variants).
    """
    variants = sorted(set(variants))
    if requested in variants:
        return requested
    asked = [x.strip() for x in requested.split(",") if x.strip()]

    def matches(variant: str) -> bool:
        settings = [x.partition("=") for x in variant.split(", ")]
        for a in asked:
            k, eq, val = a.partition("=")
            if not any(
                (key == k or key.endswith("." + k)) and (not eq or value == val.strip()) for key, _, value in settings
            ):
                return False
        return True

    found = [v for v in variants if asked and matches(v)]
    if len(found) == 1:
        return found[0]
    listing = "; ".join(short_label(v, ", ") for v in (found or variants))
    what = "matches several variants" if found else "matches no variant"
    raise ValueError(f"baseline {requested!r} {what}; variants: {listing}")


def _is_zero(text: str) -> bool:
    try:
        return float(text) == 0.0
    except ValueError:
        return False


def _change(variant: pd.Series, baseline: pd.Series) -> tuple[float, float, float, int, bool]:
    """% change of a variant's values (by seed) against the baseline's: (mean, lo, hi, n, paired).

    Paired by seed when both have the same seeds (common random numbers make the per-seed
    differences far less noisy); otherwise the difference of means over the baseline mean,
    with a delta-method interval.
    """
    variant, baseline = variant.dropna(), baseline.dropna()
    if len(variant) and set(variant.index) == set(baseline.index):
        b = baseline.loc[variant.index].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = 100.0 * (variant.to_numpy() - b) / np.abs(b)
        return (*mean_interval(rel), True)
    mv, _, hv, nv = mean_interval(variant.to_numpy())
    mb, _, hb, nb = mean_interval(baseline.to_numpy())
    if nv == 0 or nb == 0 or mb == 0:
        return math.nan, math.nan, math.nan, 0, False
    se_v = (hv - mv) / float(t95(nv)) if nv > 1 else 0.0
    se_b = (hb - mb) / float(t95(nb)) if nb > 1 else 0.0
    ratio = mv / mb
    se = 100.0 * math.sqrt(se_v**2 + ratio**2 * se_b**2) / abs(mb)
    mean = 100.0 * (mv - mb) / abs(mb)
    t = float(t95(min(nv, nb)))  # conservative degrees of freedom: the smaller sample's
    return mean, mean - t * se, mean + t * se, min(nv, nb), False


def relative_effects(runs: pd.DataFrame, outcomes: Sequence[str], baseline: str | None = None) -> pd.DataFrame:
    """% change of each outcome of each variant against the baseline variant, with 95% intervals.

    Args:
        runs: Long table with columns variant, seed, outcome, value (``runs.parquet``).
        outcomes: Outcomes to compare.
        baseline: Variant compared against; by default :func:`default_baseline`.

    Returns:
        One row per (variant, outcome): mean, lo, hi (in %), n (seeds), paired.

    Raises:
        ValueError: If the baseline is not among the variants.
    """
    baseline = baseline or default_baseline(runs["variant"])
    if baseline not in set(runs["variant"]):
        raise ValueError(f"baseline {baseline!r} is not a variant; variants: {', '.join(sorted(set(runs.variant)))}")
    table = runs[runs["outcome"].isin(outcomes)]
    wide = table.pivot_table(index=["variant", "seed"], columns="outcome", values="value", aggfunc="mean")
    rows = []
    for variant in sorted(set(table["variant"]) - {baseline}):
        for outcome in outcomes:
            if outcome in wide.columns:
                mean, lo, hi, n, paired = _change(wide.loc[variant, outcome], wide.loc[baseline, outcome])
                rows.append(
                    {"variant": variant, "outcome": outcome, "mean": mean, "lo": lo, "hi": hi, "n": n, "paired": paired}
                )
    return pd.DataFrame(rows, columns=["variant", "outcome", "mean", "lo", "hi", "n", "paired"])


def short_label(variant: str, sep: str = "\n") -> str:
    """A variant's settings with each key cut to its last two parts, one per line by default.

    ``policy.border_control.intensity=1, policy.regional_cooperation.enabled=true`` becomes
    ``border_control.intensity=1`` over ``regional_cooperation.enabled=true``: enough to tell
    the variants apart, short enough for an axis.
    """
    parts = []
    for setting in variant.split(", "):
        key, eq, value = setting.partition("=")
        parts.append(".".join(key.split(".")[-2:]) + eq + value)
    return sep.join(parts)


def _row_height(variants: Sequence[str]) -> float:
    """Inches per variant row: room for its label's lines."""
    lines = max((v.count(", ") + 1 for v in variants), default=1)
    return 0.12 + 0.14 * lines


def _forest(
    ax: Axes,
    effects: pd.DataFrame,
    outcomes: Sequence[str],
    variants: Sequence[str],
    labels: Mapping[str, str] | None = None,
    variant_label: Callable[[str], str] | None = None,
    show_n: bool = False,
) -> None:
    """Points with interval bars, one row per variant, outcomes side by side within a row.

    ``labels`` names the outcomes in the legend, ``variant_label`` the rows; ``show_n`` writes
    the number of seeds behind each interval beside it.
    """
    step = 0.7 / max(len(outcomes), 1)
    for k, outcome in enumerate(outcomes):
        sub = effects[effects["outcome"] == outcome].set_index("variant").reindex(variants).dropna(subset=["mean"])
        y = np.array([variants.index(v) for v in sub.index]) + (k - (len(outcomes) - 1) / 2) * step
        xerr = np.vstack([sub["mean"] - sub["lo"], sub["hi"] - sub["mean"]])
        color = f"C{k}" if len(outcomes) > 1 else "C0"
        name = (labels or {}).get(outcome, outcome)
        ax.errorbar(sub["mean"], y, xerr=xerr, fmt="o", ms=4, capsize=2, color=color, label=name)
        if show_n:
            for yy, hi, n in zip(y, sub["hi"], sub["n"], strict=True):
                ax.annotate(
                    f"n={int(n)}",
                    (hi, yy),
                    xytext=(3, 0),
                    textcoords="offset points",
                    fontsize=6,
                    va="center",
                    color="0.35",
                )
    ax.axvline(0, color="0.3", lw=0.8, zorder=0)
    ax.set_yticks(range(len(variants)), [(variant_label or short_label)(v) for v in variants], fontsize=7)
    ax.set_ylim(len(variants) - 0.5, -0.5)
    ax.grid(axis="x", lw=0.3, alpha=0.5)


def _panels(n: int, axes: Axes | Sequence[Axes] | None, ncols: int, size: tuple[float, float]) -> list[Axes]:
    """``n`` axes: those given, or a new grid (sharing rows) with the unused cells removed."""
    if axes is not None:
        given = list(np.atleast_1d(np.asarray(axes, dtype=object)).ravel())
        if len(given) < n:
            raise ValueError(f"need {n} axes, got {len(given)}")
        return given[:n]
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig, grid = plt.subplots(
        nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows), sharey=True, squeeze=False, layout="constrained"
    )
    cells = list(grid.ravel())
    for ax in cells[n:]:
        fig.delaxes(ax)
    return cells[:n]


def absolute_effects(runs: pd.DataFrame, outcomes: Sequence[str], baseline: str) -> pd.DataFrame:
    """Like :func:`relative_effects` but the change in the outcome's own unit (variant minus baseline)."""
    table = runs[runs["outcome"].isin(outcomes)]
    wide = table.pivot_table(index=["variant", "seed"], columns="outcome", values="value", aggfunc="mean")
    rows = []
    for variant in sorted(set(table["variant"]) - {baseline}):
        for outcome in outcomes:
            if outcome not in wide.columns:
                continue
            v, b = wide.loc[variant, outcome].dropna(), wide.loc[baseline, outcome].dropna()
            paired = len(v) > 0 and set(v.index) == set(b.index)
            if paired:
                mean, lo, hi, n = mean_interval((v - b.loc[v.index]).to_numpy())
            else:
                mv, _, hv, nv = mean_interval(v.to_numpy())
                mb, _, hb, nb = mean_interval(b.to_numpy())
                half = math.hypot(hv - mv, hb - mb)
                mean, n = mv - mb, min(nv, nb)
                lo, hi = mean - half, mean + half
            rows.append(
                {"variant": variant, "outcome": outcome, "mean": mean, "lo": lo, "hi": hi, "n": n, "paired": paired}
            )
    return pd.DataFrame(rows, columns=["variant", "outcome", "mean", "lo", "hi", "n", "paired"])


def near_zero_baseline(runs: pd.DataFrame, outcome: str, baseline: str) -> bool:
    """Whether the baseline's mean is too close to zero for a % change to mean anything.

    Near zero: below :data:`NEAR_ZERO_SHARE` of the largest mean of any variant (in magnitude);
    +1500% of almost nothing says less than "+3 deaths".
    """
    sub = runs[runs["outcome"] == outcome]
    means = sub.groupby("variant")["value"].mean().abs()
    if baseline not in means.index or not len(means) or means.max() == 0:
        return False
    return bool(means[baseline] < NEAR_ZERO_SHARE * means.max())


def plot_effects(
    runs: pd.DataFrame,
    outcomes: Sequence[str],
    baseline: str | None = None,
    ax: Axes | Sequence[Axes] | None = None,
    labels: Mapping[str, str] | None = None,
    variant_label: Callable[[str], str] | None = None,
    show_n: bool = False,
) -> Figure:
    """Forest plot: % change of each outcome per variant against the baseline, one panel per outcome.

    Args:
        runs: Long table (``runs.parquet``: variant, seed, outcome, value).
        outcomes: Outcomes, one panel each.
        baseline: Variant compared against; by default ``policy=none`` (see :func:`default_baseline`).
        ax: One axes per outcome (or one axes for one outcome); by default a new figure.
        labels: Panel titles by outcome (the browser passes the registry's doc and unit); given
            labels also switch a panel to the absolute change when its baseline is near zero
            (:func:`near_zero_baseline`).
        variant_label: Row names by variant (by default :func:`short_label`).
        show_n: Write the number of seeds behind each interval beside it.
    """
    outcomes = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    baseline = baseline or default_baseline(runs["variant"])
    effects = relative_effects(runs, outcomes, baseline)
    variants = sorted(set(effects["variant"]))
    axes = _panels(len(outcomes), ax, ncols=3, size=(3.6, 0.9 + _row_height(variants) * len(variants)))
    for a, outcome in zip(axes, outcomes, strict=True):
        absolute = labels is not None and near_zero_baseline(runs, outcome, baseline)
        shown = absolute_effects(runs, [outcome], baseline) if absolute else effects
        _forest(a, shown, [outcome], variants, labels, variant_label, show_n)
        a.set_title((labels or {}).get(outcome, outcome), fontsize=9)
        a.set_xlabel("change (absolute: the baseline is near zero)" if absolute else "change (%)", fontsize=8)
    fig = axes[0].figure
    name = (variant_label or (lambda v: short_label(v, ", ")))(baseline)
    fig.suptitle(f"Change against {name} (mean over seeds, 95% t-interval)", fontsize=10)
    return fig


HARM_TAGS = ("violence", "trade", "armed_groups", "corruption")


def do_no_harm_outcomes(present: set[str], info: dict[str, dict] | None = None) -> tuple[list[str], list[str]]:
    """(livelihood, crime and violence) outcomes of the do-no-harm panel, chosen by tag from the dictionary.

    Livelihoods: ``headline`` outcomes tagged ``livelihood``; crime and violence: ``headline``
    outcomes tagged with any of :data:`HARM_TAGS`. A sweep whose dictionary has no tags (made
    before outcomes were tagged) falls back to the outcomes the panel always showed.
    """
    info = info or {}

    def pick(tags: tuple[str, ...]) -> list[str]:
        return [
            n
            for n, e in info.items()
            if n in present and "headline" in e.get("tags", ()) and set(tags) & set(e.get("tags", ()))
        ]

    good, bad = pick(("livelihood",)), [n for n in pick(HARM_TAGS) if n not in pick(("livelihood",))]
    if good and bad:
        return good, bad
    return [o for o in LIVELIHOOD if o in present], [o for o in CRIME_VIOLENCE if o in present]


def plot_do_no_harm(
    runs: pd.DataFrame,
    baseline: str | None = None,
    axes: Sequence[Axes] | None = None,
    *,
    info: dict[str, dict] | None = None,
) -> Figure:
    """Livelihoods beside crime and violence: does a policy that cuts crime hurt people's living?

    Args:
        runs: Long table (``runs.parquet``).
        baseline: Variant compared against; by default as :func:`default_baseline`.
        axes: Two axes (livelihoods, crime and violence); by default a new figure.
        info: The sweep's outcomes by name (data dictionary), to choose them by tag.
    """
    baseline = baseline or default_baseline(runs["variant"])
    good, bad = do_no_harm_outcomes(set(runs["outcome"]), info)
    groups = [
        (good, "Livelihoods: higher is better"),
        (bad, "Crime and violence: lower is better"),
    ]
    effects = relative_effects(runs, [o for g, _ in groups for o in g], baseline)
    variants = sorted(set(effects["variant"]))
    rows = max(_row_height(variants), 0.15 * max(len(good), len(bad)))
    axes = _panels(2, axes, ncols=2, size=(5.5, 1.2 + rows * len(variants)))
    for ax, (outcomes, title) in zip(axes, groups, strict=True):
        _forest(ax, effects, outcomes, variants)
        ax.set_xlabel("change (%)", fontsize=8)
        # The legend sits between the title and the panel, where it hides no points.
        ax.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, frameon=False)
        ax.set_title(title, fontsize=9, pad=8 + 12 * math.ceil(len(outcomes) / 2))
    fig = axes[0].figure
    fig.suptitle(
        f"Do no harm: livelihoods beside crime and violence, change against {short_label(baseline, ', ')}\n"
        "(mean over seeds, 95% t-interval)",
        fontsize=10,
    )
    return fig


# --- Weekly series -----------------------------------------------------------------------------


SCALES = ((1e9, "billion "), (1e6, "million "), (1e3, "thousand "))


def scale_for(values: Iterable[float], unit: str) -> tuple[float, str]:
    """(divisor, label) that keeps axis numbers short: ``1e6, "million USD"`` rather than a ``1e8`` offset."""
    top = max((abs(v) for v in values if math.isfinite(v)), default=0.0)
    for factor, word in SCALES:
        if top >= factor:
            return factor, f"{word}{unit}".strip()
    return 1.0, unit


def monthly(sub: pd.DataFrame, aggregation: str = "mean") -> pd.DataFrame:
    """Weekly rows of one outcome (``series.parquet``) as calendar months per variant.

    Flows (``aggregation="sum"``: the run's value is the sum of its weeks) are summed over the
    weeks of each month, so the unit becomes "per month"; levels (``mean``, ``last``) are averaged.
    The band of a monthly sum adds the weekly bands, an upper bound on its width (weeks of one
    run are not independent, so the exact band cannot be had from weekly moments).
    Months with fewer weeks than most (the first and last) are left out of sums.
    """
    sub = sub.dropna(subset=["date"]).copy()
    sub["month"] = pd.to_datetime(sub["date"]).dt.to_period("M").dt.to_timestamp()
    how = "sum" if aggregation == "sum" else "mean"
    out = sub.groupby(["variant", "month"]).agg(
        mean=("mean", how), lo=("lo", how), hi=("hi", how), weeks=("week", "count")
    )
    out = out.reset_index()
    if how == "sum" and len(out):
        full = out["weeks"] >= 4
        out = out[full]
    return out


def plot_series(
    series: pd.DataFrame,
    outcome: str,
    variants: Sequence[str] | None = None,
    ax: Axes | None = None,
    *,
    info: dict | None = None,
    by_month: bool = True,
) -> Figure:
    """Monthly (or weekly) mean of an outcome per variant over seeds, with its 95% band, in labelled units.

    Args:
        series: ``series.parquet`` (variant, week, date, outcome, mean, lo, hi, n).
        outcome: The outcome to draw.
        variants: Variants to draw; by default all.
        ax: Axes to draw into; by default a new figure.
        info: The outcome's entry of the data dictionary (unit, description, aggregation); without
            it the axis says only the outcome's name and weeks are averaged.
        by_month: Aggregate weeks into calendar months (see :func:`monthly`); False draws weeks.
    """
    sub = series[series["outcome"] == outcome]
    if sub.empty:
        raise ValueError(f"no series of outcome {outcome!r}")
    info = info or {}
    aggregation = info.get("aggregation", "mean")
    variants = list(variants) if variants is not None else sorted(set(sub["variant"]))
    dated = "date" in sub and sub["date"].notna().all()
    if by_month and dated:
        table, x_col = monthly(sub, aggregation), "month"
        per = " per month" if aggregation == "sum" else ""
        step = "monthly total" if aggregation == "sum" else "monthly mean"
    else:
        table, x_col, per, step = (
            sub.assign(x=sub["week"]),
            "week",
            " per week" if aggregation == "sum" else "",
            "weekly",
        )
        if dated:
            table, x_col = sub.assign(when=pd.to_datetime(sub["date"])), "when"
    if len(table) and (table["mean"] >= 0).all():  # counts and values: a band below 0 would show the impossible
        table = table.assign(lo=table["lo"].clip(lower=0.0))
    factor, unit = scale_for(table["hi"].tolist() + table["mean"].tolist(), info.get("unit", ""))
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4), layout="constrained")
    colors = plt.get_cmap("tab10" if len(variants) <= 10 else "tab20")
    for i, variant in enumerate(variants):
        v = table[table["variant"] == variant].sort_values(x_col)
        ax.plot(v[x_col], v["mean"] / factor, color=colors(i), lw=1.2, label=short_label(variant, ", "))
        ax.fill_between(v[x_col], v["lo"] / factor, v["hi"] / factor, color=colors(i), alpha=0.2, lw=0)
    what = info.get("description") or outcome
    ax.set_title(f"{outcome}: {what}\n{step}, mean over seeds with 95% band", fontsize=10)
    ax.set_ylabel(f"{unit}{per}" if unit else outcome)
    ax.ticklabel_format(axis="y", style="plain", useOffset=False)
    ax.legend(fontsize=7, loc="best")
    ax.grid(lw=0.3, alpha=0.5)
    return ax.figure


# --- Flow maps ---------------------------------------------------------------------------------


def _link_units(
    edges: pd.DataFrame, variant: str, good: str | None, world: World | None = None
) -> dict[tuple[str, str], float]:
    """Amount carried per link: one good's units, or (``good=None``) all goods' value in USD at sink prices.

    Kilograms, rifles, people and barrels do not add up; their values do.
    """
    sub = edges[edges["variant"] == variant]
    if good is not None:
        sub = sub[sub["good"] == good]
        totals = sub.groupby(["a", "b"])["units"].sum()
    else:
        world = world if world is not None else load_world()
        price = {g.id: g.value_sink_usd for g in world.goods}
        sub = sub.assign(value=sub["units"] * sub["good"].map(price).fillna(0.0))
        totals = sub.groupby(["a", "b"])["value"].sum()
    out: dict[tuple[str, str], float] = {}
    for (a, b), units in totals.items():
        key = (a, b) if (b, a) not in out else (b, a)
        out[key] = out.get(key, 0.0) + float(units)
    return out


def _extent(world: World) -> tuple[float, float, float, float]:
    """(lon0, lon1, lat0, lat1) around the places of the region, the far markets left out."""
    near = np.abs(world.lon) <= MAP_MAX_ABS_LON
    lon, lat = world.lon[near], world.lat[near]
    return lon.min() - MAP_PAD, lon.max() + 2 * MAP_PAD, lat.min() - MAP_PAD, lat.max() + MAP_PAD


def _inside(x: float, y: float, box: tuple[float, float, float, float]) -> bool:
    return box[0] <= x <= box[1] and box[2] <= y <= box[3]


def _clip(p: np.ndarray, q: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """Where the segment from ``p`` (inside the box) towards ``q`` (outside) leaves the box."""
    t = 1.0
    for d, (lo, hi) in enumerate(((box[0], box[1]), (box[2], box[3]))):
        if q[d] > hi:
            t = min(t, (hi - p[d]) / (q[d] - p[d]))
        elif q[d] < lo:
            t = min(t, (lo - p[d]) / (q[d] - p[d]))
    return p + 0.98 * t * (q - p)


def _pct_change(base: float, new: float) -> float:
    if base > 0:
        return 100.0 * (new - base) / base
    return math.inf if new > 0 else math.nan


def _flow_limit(changes: list[float]) -> float:
    finite = [abs(c) for c in changes if math.isfinite(c)]
    top = max(finite, default=0.0)
    return float(min(FLOW_LIMIT_CAP, max(5.0, math.ceil(top / 5.0) * 5.0)))


def _label_places(ax: Axes, world: World, box: tuple[float, float, float, float]) -> None:
    """Mali's regional capitals by name; neighbouring countries at the mean position of their places."""
    capitals = [i for i, name in enumerate(world.names) if world.in_mali[i] and name == world.region[i]]
    for i in capitals:
        # A capital with another one just east of it (Bamako, Koulikoro) is labelled on its left.
        crowded = any(
            0 < world.lon[j] - world.lon[i] < 1.2 and abs(world.lat[j] - world.lat[i]) < 0.6 for j in capitals
        )
        offset, ha = ((-3, -3), "right") if crowded else ((3, 3), "left")
        ax.annotate(
            world.names[i],
            (world.lon[i], world.lat[i]),
            xytext=offset,
            textcoords="offset points",
            ha=ha,
            va="top" if crowded else "bottom",
            fontsize=7,
            zorder=5,
        )
    for country in sorted(set(world.country)):
        idx = [i for i, c in enumerate(world.country) if c == country and _inside(world.lon[i], world.lat[i], box)]
        if idx:
            _label_country(ax, country, world.lon[idx], world.lat[idx], box)


def _label_country(ax: Axes, country: str, lon: np.ndarray, lat: np.ndarray, box: tuple[float, ...]) -> None:
    """A country's name just below the mean position of its places, kept inside the map.

    Mali, the subject, has many places: its name goes in the middle of the northern half of
    their extent (the empty Sahara), where it does not cover the towns.
    """
    if country == "Mali":
        x, y = (lon.min() + lon.max()) / 2, lat.min() + 0.75 * (lat.max() - lat.min())
        size, alpha, dy = 14, 0.3, 0
    else:
        x, y = float(np.mean(lon)), float(np.mean(lat))
        size, alpha, dy = 9, 0.55, -6
    ax.annotate(
        country.upper(),
        (float(np.clip(x, box[0] + 2.5, box[1] - 2.5)), y),
        xytext=(0, dy),
        textcoords="offset points",
        ha="center",
        va="top" if dy else "center",
        color="0.35",
        style="italic",
        fontsize=size,
        alpha=alpha,
        zorder=1,
    )


def plot_flow_change(
    edges: pd.DataFrame,
    variant: str,
    baseline: str,
    good: str | None = None,
    ax: Axes | None = None,
    places: World | None = None,
    borders: Sequence[np.ndarray] = (),
) -> Figure:
    """Map of the change in what each link carried, variant against baseline, over country borders.

    Links are drawn between their places' real coordinates, coloured by % change (red more,
    blue less, saturating at ±100%; a link new in the variant counts as +100%), wide where the
    baseline carried much; grey links carried nothing in either; air links are dashed. The far
    markets (Cairo, Dubai) lie off the map: their links end in arrows at its edge, labelled.
    Borders are Natural Earth's (:mod:`simviz.borders`, as in the browser).

    Args:
        edges: ``edges.parquet`` (variant, a, b, good, units).
        variant: Variant to show.
        baseline: Variant compared against.
        good: One good's units; by default all goods by value (USD at sink prices), since units differ.
        ax: Axes to draw into; by default a new figure.
        places: The world (places and links); by default the model's own data.
        borders: Country outlines to draw under the links, each an (n, 2) array of lon, lat.
    """
    world = places if places is not None else load_world()
    base, new = _link_units(edges, baseline, good, world), _link_units(edges, variant, good, world)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 8.5), layout="constrained")
    box = _extent(world)
    pos = np.column_stack([world.lon, world.lat])
    air = TERRAINS.index("air") if "air" in TERRAINS else -1
    flows, idle, ends = [], [], []
    for e, (u, v) in enumerate(zip(world.edge_u.tolist(), world.edge_v.tolist(), strict=True)):
        a, b = world.place_ids[u], world.place_ids[v]
        units_base = base.get((a, b), base.get((b, a), 0.0))
        units_new = new.get((a, b), new.get((b, a), 0.0))
        p, q = pos[u], pos[v]
        if not _inside(*p, box):
            p, q, u, v = q, p, v, u
        if not _inside(*p, box):
            continue
        far = not _inside(*q, box)
        seg = np.vstack([p, _clip(p, q, box) if far else q])
        active = units_base > 0 or units_new > 0
        if far:
            ends.append((seg, v, active))
        if not active:
            idle.append(seg)
            continue
        flows.append((seg, _pct_change(units_base, units_new), units_base, world.edge_terrain[e] == air))
    if len(borders):
        ax.add_collection(LineCollection(list(borders), colors="0.6", linewidths=0.5, zorder=0))
    limit = _flow_limit([f[1] for f in flows])
    norm, cmap = Normalize(-limit, limit), plt.get_cmap(FLOW_CMAP)
    draw_borders(ax)
    _draw_links(ax, flows, idle, norm, cmap)
    _draw_far_ends(ax, ends, world)
    _draw_places(ax, world, box)
    _label_places(ax, world, box)
    ax.set_xlim(box[0], box[1])
    ax.set_ylim(box[2], box[3])
    ax.set_aspect(1.0 / math.cos(math.radians((box[2] + box[3]) / 2)))
    amount = "value (USD at sink prices)" if good is None else f"{good} carried"
    note = f"line width: {amount} in the baseline; dashed: air; grey: no flow in either"
    ax.text(0.01, 0.99, note, transform=ax.transAxes, ha="left", va="top", fontsize=7, color="0.3")
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    names = f"{short_label(variant, ', ')}\nagainst {short_label(baseline, ', ')}"
    what = (
        "all goods: value carried per link (USD at sink prices)" if good is None else f"{good}: units carried per link"
    )
    ax.set_title(f"{what}\n{names}", fontsize=10)
    sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    label = "change in value carried (%)" if good is None else "change in units carried (%)"
    ax.figure.colorbar(sm, ax=ax, extend="both", shrink=0.6, label=label)
    return ax.figure


def border_lines() -> list[np.ndarray]:
    """Country outlines (lon, lat arrays) shipped for the browser's map (Natural Earth 1:50m)."""
    from simviz.borders import COUNTRIES  # plain data, no browser dependencies

    return [
        np.array([[float(x) for x in point.split()] for point in ring.split(",")])
        for rings in COUNTRIES.values()
        for ring in rings
    ]


def draw_borders(ax: Axes) -> None:
    """Country borders as thin grey lines under everything else."""
    ax.add_collection(LineCollection(border_lines(), colors="0.55", linewidths=0.6, zorder=0.5))


def _draw_links(ax: Axes, flows: list, idle: list, norm: Normalize, cmap) -> None:
    ax.add_collection(LineCollection(idle, colors="0.82", linewidths=0.6, zorder=1, label="no flow"))
    if not flows:
        return
    top = max(f[2] for f in flows) or 1.0
    colors = [cmap(norm(min(c, norm.vmax) if math.isfinite(c) else norm.vmax)) for _, c, _, _ in flows]
    widths = [0.8 + 5.0 * math.sqrt(b / top) for _, _, b, _ in flows]
    styles = ["--" if is_air else "-" for *_, is_air in flows]
    lines = LineCollection([f[0] for f in flows], colors=colors, linewidths=widths, linestyles=styles, zorder=2)
    lines.set_label("flow")
    lines.set_capstyle("round")
    ax.add_collection(lines)


def _draw_far_ends(ax: Axes, ends: list, world: World) -> None:
    """Arrowheads where links to far markets leave the map, and the market's name once."""
    by_place: dict[int, list[np.ndarray]] = {}
    for seg, v, active in ends:
        direction = seg[1] - seg[0]
        tail = seg[1] - 0.6 * direction / (np.linalg.norm(direction) or 1.0)
        arrow = {"arrowstyle": "-|>", "color": "0.2" if active else "0.7", "lw": 1.0}
        ax.annotate("", xy=seg[1], xytext=tail, arrowprops=arrow, zorder=3)
        by_place.setdefault(v, []).append(seg[1])
    for v, points in by_place.items():
        x, y = np.mean(points, axis=0)
        name = world.names[v].split(" (")[0]
        ax.annotate(f"to {name} →", (x, y), xytext=(-4, 8), textcoords="offset points", ha="right", fontsize=8)


def _draw_places(ax: Axes, world: World, box: tuple[float, float, float, float]) -> None:
    shown = np.array([_inside(x, y, box) for x, y in zip(world.lon, world.lat, strict=True)])
    mali = shown & world.in_mali
    ax.scatter(world.lon[mali], world.lat[mali], s=10, color="black", zorder=4)
    ax.scatter(world.lon[shown & ~mali], world.lat[shown & ~mali], s=10, color="0.5", zorder=4)


# --- Saving ------------------------------------------------------------------------------------


def slug(text: str, limit: int = 80) -> str:
    """A file-name-safe form of a label."""
    return re.sub(r"[^A-Za-z0-9_.]+", "-", text).strip("-")[:limit] or "x"


def save(fig: Figure, path_without_suffix: str | Path) -> list[Path]:
    """Save a figure as PNG (150 dpi, to look at) and SVG (to edit or print); return the paths."""
    base = Path(path_without_suffix)
    base.parent.mkdir(parents=True, exist_ok=True)
    paths = [base.with_name(f"{base.name}.png"), base.with_name(f"{base.name}.svg")]
    fig.savefig(paths[0], dpi=150)
    fig.savefig(paths[1])
    return paths
