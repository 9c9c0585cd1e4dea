"""Morris elementary effects and Sobol indices of the runs (SALib), and the factors that matter."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze

from experiments.sensitivity.design import NUM_LEVELS, SEED

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
