"""The morris and sobol commands: sample, run through the one batch runner, analyse, save."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from experiments.sensitivity.analysis import analyze_morris, analyze_sobol, select_factors
from experiments.sensitivity.design import (
    NUM_LEVELS,
    OUTCOMES,
    SEED,
    SOBOL_OUTCOMES,
    Settings,
    design_factors,
    morris_seeds,
    point_config,
    problem,
    run_design,
    sobol_seeds,
)
from sim.run import git_revision

# --- commands ------------------------------------------------------------------------------------


def cmd_morris(
    settings: Settings, out: Path, jobs: int, progress: bool = True, launcher: str = "joblib"
) -> pd.DataFrame:
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
        y = run_design(configs, jobs, out / f"morris_{design}", progress, launcher)
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


def cmd_sobol(
    settings: Settings, out: Path, jobs: int, progress: bool = True, launcher: str = "joblib"
) -> pd.DataFrame:
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
    y = run_design(configs, jobs, out / "sobol", progress, launcher)
    seconds = time.perf_counter() - started
    pd.concat([pd.DataFrame(x, columns=prob["names"]).assign(run_seed=seeds), y], axis=1).to_parquet(
        out / "sobol_runs.parquet", index=False
    )
    table = analyze_sobol(prob, y, SOBOL_OUTCOMES)
    table.to_csv(out / "sobol.csv", index=False)
    meta = {"runs": len(configs), "seconds": seconds, "factors": len(factors), "revision": revision}
    pd.DataFrame({"sobol": meta}).T.to_csv(out / "sobol_timing.csv")
    return table
