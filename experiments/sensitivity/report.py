"""The report (docs/sensitivity.md) and the command line."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import matplotlib

if "matplotlib.pyplot" not in sys.modules and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd

from experiments.fragments import items
from experiments.runner import LAUNCHERS, ClusterFailedError
from experiments.sensitivity.analysis import never_above_noise
from experiments.sensitivity.design import (
    NUM_LEVELS,
    OUTCOMES,
    ROOT,
    SEED,
    SOBOL_OUTCOMES,
    Settings,
    design_factors,
    full_settings,
    quick_settings,
)
from experiments.sensitivity.figures import plot_morris_grid, plot_sobol_grid, short
from experiments.sensitivity.runs import cmd_morris, cmd_sobol

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
FINDINGS_FILE = Path(__file__).with_name("findings.md")


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
        + f" (code: {revision}). Do not edit by hand; the findings are maintained in "
        "`experiments/sensitivity/findings.md`.",
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
        *(items(FINDINGS_FILE) or ["(none written yet)"]),
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
        f"- **Sobol's N is modest** (N={settings.sobol_n}): the bootstrap intervals are wide; indices below about "
        "0.05 cannot be told from zero, and S1 > ST in a table is sampling error.",
        *(
            [
                f"- **A reduced design**: {settings.trajectories} Morris trajectories (the default is 10), so each "
                f"factor's mu* rests on {settings.trajectories} elementary effects and its interval is wide; a factor "
                "not above the seed here may be above it in the full design."
            ]
            if settings.trajectories < 10 and not settings.quick
            else []
        ),
        "",
        "## Reproduce",
        "",
        "```bash",
        "python -m experiments.sensitivity morris    # both Morris designs (2 workers), multirun/sensitivity/",
        "python -m experiments.sensitivity sobol     # Sobol on the factors Morris kept",
        "python -m experiments.sensitivity report    # this file and docs/figures/sensitivity_*.png",
        "# a smaller study: --trajectories, --weeks, --sobol-n, --top (morris saves them for sobol and report)",
        f"python -m experiments.sensitivity morris --trajectories {settings.trajectories} --sobol-n {settings.sobol_n} "
        f"--top {settings.top} --weeks {settings.steps} --jobs 1",
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


SIZES_FILE = "settings.json"  # the sizes the Morris run used, read back by sobol and report


def sized(settings: Settings, out: Path, command: str, given: dict[str, int]) -> Settings:
    """The study's sizes: the ones given on the command line, else those the Morris run saved, else the defaults.

    ``morris`` saves its sizes next to its results, so ``sobol`` and ``report`` describe and extend the
    design that ran without the options being typed again.
    """
    path = out / SIZES_FILE
    saved = json.loads(path.read_text(encoding="utf-8")) if command != "morris" and path.exists() else {}
    settings = replace(settings, **(saved | given))
    if command == "morris":
        out.mkdir(parents=True, exist_ok=True)
        keys = ("trajectories", "steps", "sobol_n", "top")
        path.write_text(json.dumps({k: getattr(settings, k) for k in keys}, indent=2) + "\n", encoding="utf-8")
    return settings


def main(argv: Sequence[str] | None = None) -> int:
    """Command line."""
    ap = argparse.ArgumentParser(
        prog="python -m experiments.sensitivity",
        description="Sensitivity of key outcomes to the model's assumptions: Morris screening, then Sobol.",
    )
    ap.add_argument("command", choices=("morris", "sobol", "report"))
    ap.add_argument("--quick", action="store_true", help="smoke run: a few factors, runs and weeks")
    ap.add_argument("--out", type=Path, default=None, help="results directory (parquet, csv)")
    ap.add_argument("--docs", type=Path, default=None, help="where sensitivity.md and figures/ go (report)")
    ap.add_argument("--jobs", type=int, default=None, help="worker processes (default 2, quick 1)")
    ap.add_argument("--launcher", default="joblib", choices=LAUNCHERS, help="where runs go (README: Launchers)")
    ap.add_argument("--trajectories", type=int, default=None, help="Morris trajectories (default 10, quick 2)")
    ap.add_argument("--weeks", type=int, default=None, help="weeks after the burn-in (default: the preset's)")
    ap.add_argument("--sobol-n", type=int, default=None, help="Sobol base sample, a power of 2 (default 64)")
    ap.add_argument("--top", type=int, default=None, help="each outcome's top Morris factors taken to Sobol (5)")
    args = ap.parse_args(argv)
    settings = quick_settings() if args.quick else full_settings()
    out = args.out or ROOT / "multirun" / ("sensitivity-quick" if args.quick else "sensitivity")
    sizes = {"trajectories": args.trajectories, "steps": args.weeks, "sobol_n": args.sobol_n, "top": args.top}
    for name, value in sizes.items():
        if value is not None and value < 1:
            ap.error(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    if args.sobol_n is not None and args.sobol_n & (args.sobol_n - 1):
        ap.error(f"--sobol-n must be a power of 2, got {args.sobol_n}")
    settings = sized(settings, out, args.command, {k: v for k, v in sizes.items() if v is not None})
    jobs = args.jobs or (1 if args.quick else 2)
    commands: dict[str, Callable[[], object]] = {
        "morris": lambda: cmd_morris(settings, out, jobs, launcher=args.launcher),
        "sobol": lambda: cmd_sobol(settings, out, jobs, launcher=args.launcher),
        "report": lambda: cmd_report(settings, out, args.docs or (out if args.quick else ROOT / "docs")),
    }
    started = time.perf_counter()
    try:
        result = commands[args.command]()
    except ClusterFailedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    where = result if isinstance(result, Path) else out
    print(f"{args.command}: done in {(time.perf_counter() - started) / 60:.1f} min -> {where}")
    return 0
