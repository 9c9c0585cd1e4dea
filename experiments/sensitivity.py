"""Sensitivity of key outcomes to the model's assumptions: Morris screening, then Sobol.

``python -m experiments.sensitivity morris|sobol|report [--quick] [--out DIR] [--docs DIR] [--jobs N]``

- ``morris`` screens every numeric parameter marked ``assumption`` in the parameter dataclasses
  (``sim.paramspec.iter_params``), with the seed as one more factor, in two designs: ``model``
  (the scenario's assumptions, no policy) and ``policies`` (the policies' assumptions, with every
  policy switched on at its simcli/configs/policy/ settings: they act only when their policy runs).
- ``sobol`` estimates first-order and total Sobol indices (Saltelli sampling) of the factors that
  matter: the union of each key outcome's top factors by Morris mu*, plus the seed.
- ``report`` writes ``docs/sensitivity.md`` and its figures from the saved results.

Runs go through the model in-process (``SahelModel``, as ``sim.run`` does), not through Hydra:
Morris and Sobol designs are not grids, so a sweeper cannot express them.
``simcli/configs/experiment/sensitivity_morris.yaml`` holds the base point (scenario and horizon) and,
as a Hydra sweep, runs that point over seeds (the noise floor).

**The seed as a factor.** Model outcomes are stochastic. The seed enters as a factor on [0, 1]:
in Morris its levels pick one of four seeds of a block that differs between trajectories, so its
elementary effects measure the change a new seed alone makes; a factor whose mu* is not above the
seed's cannot be told from noise at this horizon. In Sobol its indices give the share of variance
that is noise.

Goods' assumptions (prices, supply, capacities, detectability in ``sim/world/data/goods.yaml``)
are data, not configuration parameters, and are not in these designs.
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

if "matplotlib.pyplot" not in sys.modules and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from experiments.runner import run_tasks
from sim.params import CommunityParams as CommunityDefaults
from sim.params import RunConfig, from_dict, iter_params
from sim.policies import POLICIES
from sim.run import git_revision
from simcli.compose import changed

ROOT = Path(__file__).resolve().parent.parent
PRESET = "sensitivity_morris"  # simcli/configs/experiment/
SEED = "seed"
SEED_BLOCK = 1000  # seeds of one Morris trajectory: SEED_BLOCK * trajectory + level
NUM_LEVELS = 4

# Key outcomes. Indices are relative to each run's own start (the end of the burn-in), so they
# measure change over the run; the levels (population-weighted means over the run) measure where
# the parameters put communities in the first place.
OUTCOMES = (
    "delivered_value_usd",
    "seized_value_usd",
    "armed_group_revenue_usd",
    "fatalities",
    "bribe_rate",
    "food_security_north_index",
    "state_trust_index",
    "level.food_security_north",
    "level.trust",
)
# Sobol decomposes all but seizures, whose top factors would enlarge its design (N x (k + 2) runs) past ~2,000 runs.
SOBOL_OUTCOMES = tuple(o for o in OUTCOMES if o != "seized_value_usd")


@dataclass(frozen=True)
class Factor:
    """An uncertain input: a parameter's dotted key and its assumption range."""

    name: str
    lo: float
    hi: float
    default: float
    integer: bool = False


@dataclass(frozen=True)
class Settings:
    """Size of a sensitivity study."""

    name: str
    steps: int
    scenario: dict
    trajectories: int  # Morris
    sobol_n: int  # Sobol base sample (a power of 2)
    top: int  # top factors per outcome taken to Sobol
    factors: tuple[str, ...] | None = None  # restrict the designs (quick)

    @property
    def quick(self) -> bool:
        """Whether this is the CI smoke run."""
        return self.name == "quick"


def base_point() -> tuple[dict, int]:
    """Scenario and weeks of the design's base point, from the preset."""
    preset = changed([f"experiment={PRESET}"])
    return dict(preset.get("scenario", {})), int(preset["steps"])


def full_settings() -> Settings:
    """The study run for docs/sensitivity.md."""
    scenario, steps = base_point()
    return Settings("full", steps, scenario, trajectories=10, sobol_n=64, top=5)


QUICK_FACTORS = (
    "scenario.armed_groups.kidnap_rate_jihadist",
    "scenario.officials.integrity_mean",
    "scenario.traffickers.patience_weeks",
    "scenario.communities.import_dependence_north",
    "scenario.forces.attack_rate",
    "policy.sanctions.review_weeks",
    "policy.ddr.relapse_rate",
)


def quick_settings() -> Settings:
    """A smoke run: a few factors, two trajectories, a few weeks of a tiny economy."""
    scenario, _ = base_point()
    scenario = {**scenario, "supply_scale": 0.05, "burn_in_weeks": 4}
    return Settings("quick", 8, scenario, trajectories=2, sobol_n=4, top=1, factors=QUICK_FACTORS)


# --- factors and runs ----------------------------------------------------------------------------


def assumption_factors(prefix: str = "") -> list[Factor]:
    """Every numeric parameter marked as an assumption (booleans and strings have none)."""
    out = []
    for key, f, default in iter_params(RunConfig):
        rng = f.metadata.get("assumption")
        if rng is None or not key.startswith(prefix):
            continue
        if isinstance(default, bool) or not isinstance(default, (int, float)):
            continue
        out.append(Factor(key, float(rng[0]), float(rng[1]), float(default), isinstance(default, int)))
    return out


def design_factors(design: str, settings: Settings) -> list[Factor]:
    """Factors of a design (``model`` or ``policies``), the seed last."""
    factors = assumption_factors("scenario." if design == "model" else "policy.")
    if settings.factors is not None:
        factors = [f for f in factors if f.name in settings.factors]
    return [*factors, Factor(SEED, 0.0, 1.0, 0.0)]


def problem(factors: Sequence[Factor]) -> dict:
    """A SALib problem."""
    return {
        "num_vars": len(factors),
        "names": [f.name for f in factors],
        "bounds": [[f.lo, f.hi] for f in factors],
    }


def _set(tree: dict, dotted: str, value) -> None:
    keys = dotted.split(".")
    for k in keys[:-1]:
        tree = tree.setdefault(k, {})
    tree[keys[-1]] = value


def all_policies() -> dict:
    """Every policy switched on with the settings of its simcli/configs/policy/ file (composed by Hydra)."""
    names = sorted(POLICIES)
    policies = changed([f"policy=[{','.join(names)}]"])["policy"]
    return {name: {**policies.get(name, {}), "enabled": True} for name in names}


def point_config(factors: Sequence[Factor], x: np.ndarray, seed: int, design: str, settings: Settings) -> dict:
    """The run configuration of one sample: the base point with the factors set."""
    cfg: dict = {
        "seed": int(seed),
        "steps": settings.steps,
        "scenario": copy.deepcopy(settings.scenario),
        "policy": all_policies() if design == "policies" else {},
        "output": {"progress": False, "timeseries": False, "edges": False},
    }
    for f, v in zip(factors, x, strict=True):
        if f.name == SEED:
            continue
        _set(cfg, f.name, int(np.rint(v)) if f.integer else float(v))
    respect_rules(cfg)
    return cfg


def respect_rules(cfg: dict) -> None:
    """Keep a sample inside the model's cross-field rules where two assumption ranges overlap.

    Herding and trade shares of northern income may not sum to more than 1 (farming takes the
    rest): the ranges (0.2-0.6 and 0.2-0.5) allow up to 1.1, so herding is capped at one minus
    trade in that corner.
    """
    com = cfg.get("scenario", {}).get("communities", {})
    if "herding_share_north" in com or "trade_share_north" in com:
        defaults = CommunityDefaults()
        trade = com.get("trade_share_north", defaults.trade_share_north)
        herding = com.get("herding_share_north", defaults.herding_share_north)
        if herding + trade > 1:
            com["herding_share_north"] = 1.0 - trade


def morris_seeds(x_seed: np.ndarray, trajectory_size: int) -> np.ndarray:
    """Seeds of a Morris sample: the seed factor's level within a block of its trajectory."""
    traj = np.arange(len(x_seed)) // trajectory_size
    level = np.rint(np.asarray(x_seed) * (NUM_LEVELS - 1)).astype(np.int64)
    return SEED_BLOCK * traj + level


def sobol_seeds(x_seed: np.ndarray) -> np.ndarray:
    """Seeds of a Sobol sample: the seed factor on [0, 1] spread over 2**31 seeds."""
    return np.floor(np.asarray(x_seed) * (2**31 - 1)).astype(np.int64)


LEVELS = ("level.trust", "level.food_security_north")  # registered outcomes (tag diagnostic)


def outcome_row(summary: dict) -> dict[str, float]:
    """A run's key outcomes (and the community levels over the run) from its summary."""
    row = {k: v for k, v in summary.items() if (k in OUTCOMES or k == "policy_cost_usd") and k not in LEVELS}
    return row | {k: summary[k] for k in LEVELS}


def run_design(configs: list[dict], jobs: int, root: Path, progress: bool = True) -> pd.DataFrame:
    """Run every configuration not yet finished under ``root/runs`` (in order); one row of outcomes each."""
    tasks = [(f"point {i}", from_dict(RunConfig, c)) for i, c in enumerate(configs)]
    return pd.DataFrame([outcome_row(r.summary) for r in run_tasks(tasks, root, jobs, progress)])


# --- analysis ------------------------------------------------------------------------------------


def analyze_morris(prob: dict, x: np.ndarray, y: pd.DataFrame, outcomes: Sequence[str]) -> pd.DataFrame:
    """Morris mu, mu*, sigma and mu*'s 95% interval for each outcome and factor.

    ``mu_star_rel`` is mu* over the largest mu* of the outcome; ``above_noise`` says whether mu*
    exceeds the seed's mu* (when the seed is a factor).
    """
    rows = []
    for outcome in outcomes:
        if outcome not in y:
            continue
        values = y[outcome].to_numpy(dtype=float)
        if not np.isfinite(values).all():
            values = np.nan_to_num(values, nan=float(np.nanmean(values)) if np.isfinite(values).any() else 0.0)
        res = morris_analyze.analyze(prob, x, values, num_levels=NUM_LEVELS, seed=1, print_to_console=False)
        df = pd.DataFrame(
            {
                "outcome": outcome,
                "factor": prob["names"],
                "mu": res["mu"],
                "mu_star": res["mu_star"],
                "sigma": res["sigma"],
                "mu_star_conf": res["mu_star_conf"],
            }
        )
        top = df["mu_star"].max()
        df["mu_star_rel"] = df["mu_star"] / top if top > 0 else 0.0
        noise = float(df.loc[df["factor"] == SEED, "mu_star"].iloc[0]) if SEED in prob["names"] else 0.0
        df["above_noise"] = df["mu_star"] - df["mu_star_conf"] > noise
        df["rank"] = df["mu_star"].rank(ascending=False, method="first").astype(int)
        rows.append(df)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def analyze_sobol(prob: dict, y: pd.DataFrame, outcomes: Sequence[str]) -> pd.DataFrame:
    """First-order and total Sobol indices with 95% bootstrap intervals, per outcome and factor."""
    rows = []
    for outcome in outcomes:
        if outcome not in y:
            continue
        values = y[outcome].to_numpy(dtype=float)
        if np.nanstd(values) == 0:
            zeros = np.zeros(prob["num_vars"])
            res = {"S1": zeros, "S1_conf": zeros, "ST": zeros, "ST_conf": zeros}
        else:
            res = sobol_analyze.analyze(prob, values, calc_second_order=False, seed=1, print_to_console=False)
        rows.append(
            pd.DataFrame(
                {
                    "outcome": outcome,
                    "factor": prob["names"],
                    "S1": res["S1"],
                    "S1_conf": res["S1_conf"],
                    "ST": res["ST"],
                    "ST_conf": res["ST_conf"],
                }
            )
        )
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def never_above_noise(morris: pd.DataFrame, design: str) -> list[str]:
    """Factors whose mu* is not above the seed's for any outcome of a design."""
    df = morris[(morris["design"] == design) & (morris["factor"] != SEED)]
    ever = df.groupby("factor")["above_noise"].any()
    return sorted(ever[~ever].index)


def select_factors(morris: pd.DataFrame, outcomes: Sequence[str], top: int) -> list[str]:
    """The union of each outcome's ``top`` factors by mu* that stand above the seed's noise."""
    chosen: list[str] = []
    for outcome in outcomes:
        df = morris[(morris["outcome"] == outcome) & (morris["factor"] != SEED) & morris["above_noise"]]
        chosen += df.sort_values("mu_star", ascending=False)["factor"].head(top).tolist()
    return list(dict.fromkeys(chosen))


# --- commands ------------------------------------------------------------------------------------


def cmd_morris(settings: Settings, out: Path, jobs: int, progress: bool = True) -> pd.DataFrame:
    """Sample, run and analyse the Morris designs; save runs and indices."""
    out.mkdir(parents=True, exist_ok=True)
    results, timing, revision = [], {}, git_revision()  # the code the workers import now
    for design in ("model", "policies"):
        factors = design_factors(design, settings)
        prob = problem(factors)
        x = morris_sample.sample(prob, settings.trajectories, num_levels=NUM_LEVELS, seed=1)
        seeds = morris_seeds(x[:, -1], len(factors) + 1)
        configs = [point_config(factors, row, s, design, settings) for row, s in zip(x, seeds, strict=True)]
        started = time.perf_counter()
        y = run_design(configs, jobs, out / f"morris_{design}", progress)
        timing[design] = {
            "runs": len(configs),
            "seconds": time.perf_counter() - started,
            "factors": len(factors),
            "revision": revision,
        }
        runs = pd.concat([pd.DataFrame(x, columns=prob["names"]).assign(run_seed=seeds), y], axis=1)
        runs.to_parquet(out / f"morris_{design}_runs.parquet", index=False)
        outcomes = [*OUTCOMES, "policy_cost_usd"] if design == "policies" else list(OUTCOMES)
        results.append(analyze_morris(prob, x, y, outcomes).assign(design=design))
    table = pd.concat(results, ignore_index=True)
    table.to_csv(out / "morris.csv", index=False)
    pd.DataFrame(timing).T.to_csv(out / "morris_timing.csv")
    return table


def cmd_sobol(settings: Settings, out: Path, jobs: int, progress: bool = True) -> pd.DataFrame:
    """Sobol indices of the factors Morris found to matter (model design), the seed included."""
    morris = pd.read_csv(out / "morris.csv")
    morris = morris[morris["design"] == "model"]
    names = select_factors(morris, SOBOL_OUTCOMES, settings.top)
    by_name = {f.name: f for f in design_factors("model", settings)}
    factors = [by_name[n] for n in names] + [by_name[SEED]]
    prob = problem(factors)
    x = sobol_sample.sample(prob, settings.sobol_n, calc_second_order=False, seed=1)
    seeds = sobol_seeds(x[:, -1])
    configs = [point_config(factors, row, s, "model", settings) for row, s in zip(x, seeds, strict=True)]
    started, revision = time.perf_counter(), git_revision()
    y = run_design(configs, jobs, out / "sobol", progress)
    seconds = time.perf_counter() - started
    pd.concat([pd.DataFrame(x, columns=prob["names"]).assign(run_seed=seeds), y], axis=1).to_parquet(
        out / "sobol_runs.parquet", index=False
    )
    table = analyze_sobol(prob, y, SOBOL_OUTCOMES)
    table.to_csv(out / "sobol.csv", index=False)
    meta = {"runs": len(configs), "seconds": seconds, "factors": len(factors), "revision": revision}
    pd.DataFrame({"sobol": meta}).T.to_csv(out / "sobol_timing.csv")
    return table


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


# --- report --------------------------------------------------------------------------------------


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    return f"{x:.3g}"


def top_table(morris: pd.DataFrame, design: str, outcomes: Sequence[str], n: int) -> list[str]:
    """Markdown rows: each outcome's top factors by mu* (relative to the largest), noise marked."""
    lines = [
        "| outcome | seed's mu* (rel.) | top factors by mu* (mu* relative to the largest; * = not above the seed) |",
        "|---|---|---|",
    ]
    for outcome in outcomes:
        df = morris[(morris["design"] == design) & (morris["outcome"] == outcome)]
        if not len(df):
            continue
        seed = df[df["factor"] == SEED]
        top = df[df["factor"] != SEED].sort_values("mu_star", ascending=False).head(n)
        cells = ", ".join(
            f"`{short(r['factor'])}` {r['mu_star_rel']:.2f}{'' if r['above_noise'] else '*'}" for _, r in top.iterrows()
        )
        noise = f"{float(seed['mu_star_rel'].iloc[0]):.2f}" if len(seed) else "-"
        lines.append(f"| {outcome} | {noise} | {cells} |")
    return lines


def sobol_table(sobol: pd.DataFrame, outcomes: Sequence[str]) -> list[str]:
    """Markdown rows: each outcome's factors with ST above 0.05, and the seed's share."""
    lines = ["| outcome | seed ST (noise) | factors with ST > 0.05: ST (S1) |", "|---|---|---|"]
    for outcome in outcomes:
        df = sobol[sobol["outcome"] == outcome]
        if not len(df):
            continue
        seed = df[df["factor"] == SEED]
        top = df[(df["factor"] != SEED) & (df["ST"] > 0.05)].sort_values("ST", ascending=False)
        cells = ", ".join(
            f"`{short(r['factor'])}` {_fmt(r['ST'])} ({_fmt(r['S1'])})" for _, r in top.head(8).iterrows()
        )
        if len(top) > 8:
            cells += f", and {len(top) - 8} more"
        noise = f"{_fmt(float(seed['ST'].iloc[0]))} ± {_fmt(float(seed['ST_conf'].iloc[0]))}" if len(seed) else "-"
        lines.append(f"| {outcome} | {noise} | {cells or 'none'} |")
    return lines


# Written after reading the full results (Morris and Sobol of the run reported in docs/sensitivity.md);
# update them when the model changes.
FINDINGS: list[str] = [
    "- **Noise first.** At this base point (a tenth of the supply, 78 weeks) the seed alone gives about a third of "
    "the variance of the value delivered (Sobol ST of the seed 0.33): cocaine and resin move in few, large "
    "consignments. No assumption's mu* stands clear of the seed's for `delivered_value_usd`, and in Sobol every "
    "factor's total index is of the order of the noise. The two indices are worse: `food_security_north_index` and "
    "`state_trust_index` are ratios to each run's own (random) start and have heavy tails (ST above 1 is estimator "
    "noise at N=64). Their levels (`level.*`) are well behaved: use levels to compare configurations.",
    "- **Armed groups' revenue** is driven by the jihadist groups' tax share (ST 0.36), the ransom (0.25) and the "
    "kidnapping rate (0.22), then southern incomes (taxed where groups roam) and the officials' `take_gain`; the "
    "protection racket's parameters (`protection_share`, `toll_share`) matter less. The M2 pattern (kidnapping and "
    "taxation above trafficking for jihadist groups, docs/validation.md) therefore rests on three unsourced "
    "assumptions.",
    "- **Fatalities** are mostly fighters killed in counter-terrorism raids: `forces.ct_raids_per_1000` (ST 0.42), "
    "`armed_groups.unit_size` (0.37) and `forces.raid_kill_share` (0.28) explain most of their variance; clash "
    "parameters (`attack_rate`, `clash_loss`) much less.",
    "- **The bribe rate** is set by the officials' decision function: `take_gain` (ST 0.38), `take_integrity` (0.30), "
    "`integrity_mean` (0.26) and `routine_share` (0.14). None has a source; the mechanism tests (M12, M15) test "
    "directions at the defaults, not the level.",
    "- **Trust in the state** (level) follows the corruption channel: `trust_bribe_weight` (ST 0.43), `take_gain` "
    "(0.26), `take_integrity` (0.18), `trust_presence_weight` (0.14), `integrity_mean` (0.13).",
    "- **The north's food security** (level) depends on insecurity as much as on imports: communities' "
    "`arms_per_capita` (ST 0.26), `banditry` (0.15), counter-terrorism raids (0.15), then `import_dependence_north` "
    "(0.14), raid kill share, desert transport cost and unit size; no single assumption dominates.",
    "- **Policies** (all on, as a package): few policy assumptions stand above the noise: "
    "`gold_formalization.max_share` (value delivered: formal gold leaves the illicit trade), "
    "`border_control.border_seizure` and `regional_cooperation.joint_seizure` (value seized), "
    "`border_control.border_seizure` and `hub_raids.retaliation` (the north's food security: seizures and "
    "violence at hubs), `ddr.demobilize_per_year` and `anti_corruption.oversight_gain` (fatalities) and "
    "`community_policing.trust_gain` (trust); the cost is dominated by `counter_terrorism.cost_usd_per_week`. No "
    "policy parameter stands above the noise for the bribe rate. With fourteen policies running at once, the "
    "seed's noise is of the order of most policy parameters' effects at this horizon.",
    "- **Most assumptions cannot be told from noise** at this base point (list below): all the traffickers' "
    "parameters, the transport costs but for desert tracks, the mission's force-protection and task parameters (no "
    "outcome screened here is the mission's own losses or posture), most clash parameters and the justice chain. "
    "That is not proof of no effect (ten trajectories, a small economy, 78 weeks), but it says where sources would "
    "narrow the model's uncertainty most: the few assumptions above.",
]


def cmd_report(settings: Settings, out: Path, docs: Path) -> Path:
    """Write sensitivity.md and figures from the saved results."""
    figdir = docs / "figures"
    figdir.mkdir(parents=True, exist_ok=True)
    morris = pd.read_csv(out / "morris.csv")
    sobol = pd.read_csv(out / "sobol.csv") if (out / "sobol.csv").exists() else pd.DataFrame()
    timing = pd.read_csv(out / "morris_timing.csv", index_col=0) if (out / "morris_timing.csv").exists() else None
    stiming = pd.read_csv(out / "sobol_timing.csv", index_col=0) if (out / "sobol_timing.csv").exists() else None
    factors = {d: design_factors(d, settings) for d in ("model", "policies")}
    revision = "; ".join(
        f"{name} at `{t['revision'].iloc[0] if t is not None and 'revision' in t else 'unrecorded'}`"
        for name, t in (("Morris", timing), ("Sobol", stiming))
    )
    n_model, n_policy = len(factors["model"]) - 1, len(factors["policies"]) - 1
    figs = []
    for design, title in (
        ("model", "scenario assumptions, no policy"),
        ("policies", "policy assumptions, all policies on"),
    ):
        outs = [*OUTCOMES, "policy_cost_usd"] if design == "policies" else list(OUTCOMES)
        fig = plot_morris_grid(morris[morris["design"] == design], outs, f"Morris screening: {title}")
        name = f"sensitivity_morris_{design}"
        fig.savefig(figdir / f"{name}.png", dpi=110)
        plt.close(fig)
        figs.append(name)
    if len(sobol):
        fig = plot_sobol_grid(sobol, SOBOL_OUTCOMES)
        fig.savefig(figdir / "sensitivity_sobol.png", dpi=110)
        plt.close(fig)

    def cost(t: pd.DataFrame | None, key: str) -> str:
        if t is None or key not in t.index:
            return "n/a"
        return f"{int(t.loc[key, 'runs'])} runs, {t.loc[key, 'seconds'] / 60:.1f} min"

    sc = ", ".join(f"`{k}={v}`" for k, v in settings.scenario.items())
    lines = [
        "# Sensitivity analysis",
        "",
        "Generated by `python -m experiments.sensitivity morris`, `sobol` and `report`"
        + (" --quick (smoke run: the numbers mean nothing)" if settings.quick else "")
        + f" (code: {revision}). Do not edit by hand; the findings are maintained in `experiments/sensitivity.py`.",
        "",
        "## Design",
        "",
        f"- **Factors**: every numeric parameter marked `assumption` in docs/parameters.md, each uniform over its "
        f"assumption range (integers rounded): {n_model} scenario parameters and {n_policy} policy parameters, "
        "plus the seed. Booleans and strings have no assumption range. **Goods' assumptions** (values, supply, "
        "capacities, detectability in `sim/world/data/goods.yaml`) are data, not configuration parameters, and are "
        "**not** in these designs: see Limits.",
        f"- **Base point** (`simcli/configs/experiment/sensitivity_morris.yaml`): the default scenario with {sc}, "
        f"{settings.steps} weeks after the burn-in.",
        f"- **Morris** (SALib, {NUM_LEVELS} levels, {settings.trajectories} trajectories), in two designs: `model` "
        f"(scenario assumptions, no policy; {cost(timing, 'model')}) and `policies` (policy assumptions with every "
        f"policy of simcli/configs/policy/ switched on, as a package; {cost(timing, 'policies')}). "
        "Policy parameters do "
        "nothing unless their policy runs, so they are screened where they act.",
        f"- **Sobol** (Saltelli sampling, N={settings.sobol_n}, first-order and total indices, "
        f"{cost(stiming, 'sobol')}): the union of each key outcome's top {settings.top} factors by mu* among those "
        "above the seed's noise, plus the seed; other factors at their defaults.",
        "- **The seed as a factor.** In Morris, the seed factor's level picks one of four seeds in a block that "
        "differs between trajectories: its mu* is the change a new seed alone makes, the noise floor (red dashed "
        "line in the figures). A factor whose mu* minus its 95% interval is not above the seed's mu* cannot be told "
        "from noise (marked *). In Sobol the seed is uniform over 2^31 seeds, and its indices are the share of the "
        "outcome's variance that is noise.",
        "- **Outcomes**: run totals as in `summary.json` (sums, ratios, means); the indices "
        "(`food_security_north_index`, `state_trust_index`) are relative to each run's own start, so they measure "
        "change over the run and hide what shifts the level itself; `level.food_security_north` and `level.trust` "
        "are the population-weighted levels averaged over the run.",
        "",
        "## Findings",
        "",
        *(FINDINGS or ["(none written yet)"]),
        "",
        "## Morris screening: model (scenario assumptions)",
        "",
        *top_table(morris, "model", OUTCOMES, 6),
        "",
        f"![morris model](figures/{figs[0]}.png)",
        "",
        "## Morris screening: policy assumptions (all policies on)",
        "",
        *top_table(morris, "policies", [*OUTCOMES, "policy_cost_usd"], 5),
        "",
        f"![morris policies](figures/{figs[1]}.png)",
        "",
    ]
    quiet = never_above_noise(morris, "model")
    if quiet:
        sections: dict[str, list[str]] = {}
        for name in quiet:
            section, _, key = short(name).rpartition(".")
            sections.setdefault(section or "scenario", []).append(f"`{key}`")
        lines += [
            f"**Not above the seed's noise for any outcome** ({len(quiet)} of {n_model} scenario assumptions):",
            "",
            *[f"- {sec}: {', '.join(keys)}" for sec, keys in sections.items()],
            "",
        ]
    if len(sobol):
        lines += [
            "## Sobol indices",
            "",
            *sobol_table(sobol, SOBOL_OUTCOMES),
            "",
            "![sobol](figures/sensitivity_sobol.png)",
            "",
        ]
    lines += [
        "## Limits",
        "",
        "- **Goods' assumptions are not screened.** Prices at source and sink, weekly supply, crew capacity, bulk and "
        "detectability of the ten goods are marked `assumption` in `sim/world/data/goods.yaml`, but they are data "
        "(read through `scenario.data_dir`), not parameters of `RunConfig`. The pattern suite (docs/validation.md, M4 "
        "and M16) shows that some of them (cigarette prices, arms supply) move outcomes; a screening would need a "
        "data directory per sample.",
        "- **Constants in the code are assumptions too** and are not screened: e.g. `SOUTH_TRADE_SHARE`, "
        "`SOUTH_IMPORT_DEPENDENCE`, `SPEND_SHARE`, `FOOD_IMPORT_WEIGHT` (sim/agents/community.py), `ROAMING_TAX`, "
        "`REFERENCE_FIGHTERS`, `MIN_FIGHTERS` (sim/agents/armed_group.py), `OTHER_TASK_WEIGHTS`, `IDLE_TASK_EFFECT`, "
        "`REGION_COVER` (sim/agents/force.py), `NORTH_PRESENCE`, `HELD_PRESENCE` (sim/territory.py).",
        "- **One base point.** Elementary effects are local to a small economy (a tenth of the supply) over a short "
        "horizon; slow processes (trust, herds, group growth) are only partly played out, and a factor's importance "
        "can differ in the full ten-year default scenario or in the historical one.",
        "- **Policies as a package.** The policy design switches all fourteen policies on together, so a policy "
        "parameter's effect is measured with every other policy running.",
        "- **Sobol's N is modest**: the bootstrap intervals are wide; indices below about 0.05 cannot be told from "
        "zero, and S1 > ST in a table is sampling error.",
        "",
        "## Reproduce",
        "",
        "```bash",
        "python -m experiments.sensitivity morris    # both Morris designs (2 workers), multirun/sensitivity/",
        "python -m experiments.sensitivity sobol     # Sobol on the factors Morris kept",
        "python -m experiments.sensitivity report    # this file and docs/figures/sensitivity_*.png",
        "python -m experiments.sensitivity morris --quick && python -m experiments.sensitivity sobol --quick \\",
        "    && python -m experiments.sensitivity report --quick   # smoke run into multirun/sensitivity-quick/",
        "```",
        "",
        "Raw tables in `multirun/sensitivity/`: `morris_<design>_runs.parquet` and `sobol_runs.parquet` (factor "
        "values, seed and outcomes of every run), `morris.csv` and `sobol.csv` (indices).",
        "",
    ]
    path = docs / "sensitivity.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Command line."""
    ap = argparse.ArgumentParser(prog="python -m experiments.sensitivity", description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=("morris", "sobol", "report"))
    ap.add_argument("--quick", action="store_true", help="smoke run: a few factors, runs and weeks")
    ap.add_argument("--out", type=Path, default=None, help="results directory (parquet, csv)")
    ap.add_argument("--docs", type=Path, default=None, help="where sensitivity.md and figures/ go (report)")
    ap.add_argument("--jobs", type=int, default=None, help="worker processes (default 2, quick 1)")
    args = ap.parse_args(argv)
    settings = quick_settings() if args.quick else full_settings()
    out = args.out or ROOT / "multirun" / ("sensitivity-quick" if args.quick else "sensitivity")
    jobs = args.jobs or (1 if args.quick else 2)
    commands: dict[str, Callable[[], object]] = {
        "morris": lambda: cmd_morris(settings, out, jobs),
        "sobol": lambda: cmd_sobol(settings, out, jobs),
        "report": lambda: cmd_report(settings, out, args.docs or (out if args.quick else ROOT / "docs")),
    }
    started = time.perf_counter()
    result = commands[args.command]()
    where = result if isinstance(result, Path) else out
    print(f"{args.command}: done in {(time.perf_counter() - started) / 60:.1f} min -> {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
