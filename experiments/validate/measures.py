"""One run's measures, read from its outputs (summary.json, timeseries.parquet) through the outcome registry."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from experiments.runner import Record
from experiments.validate.arms import KINDS, TRADE_SOURCES
from sim.names import REVENUE_SOURCES

ROOT = Path(__file__).resolve().parent.parent.parent


# --- one run -------------------------------------------------------------------------------------


# Columns of a history run's weekly table: the validation's name, and the outcome it reads.
HISTORY_SERIES = {
    "date": "date",
    "cattle_stolen_mopti": "cattle_stolen.mopti",
    "cattle_stolen_gao": "cattle_stolen.gao",
    "migrants_timbuktu": "migrants_through_timbuktu",
    "gold_delivered_kg": "delivered.gold",
    "civilian_deaths": "civilian_fatalities",
    "peacekeeper_deaths": "peacekeeper_fatalities",
    "force_protection_share": "mission_force_protection_share",
}
FIRST_YEAR = 52  # weeks of the first year (rev_y1)
CENTRAL = ("mopti", "segou")  # central Mali's regions (002 §III; Box B: Katiba Macina in Mopti and Ségou)


def measures(record: Record, history: bool) -> dict:
    """One run's measures from its outputs (summary and weekly outcomes), and its weekly table if history."""
    summary = record.summary
    metrics = {
        k: float(v)
        for k, v in summary.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "wall_seconds"
    }
    ts = record.timeseries()
    for kind in KINDS:
        for s in REVENUE_SOURCES:
            name = f"armed_group_revenue.{kind}.{s}"
            metrics[f"rev.{kind}.{s}"] = metrics.get(name, 0.0)
            metrics[f"rev_y1.{kind}.{s}"] = float(ts[name].iloc[:FIRST_YEAR].sum()) if name in ts else 0.0
        metrics[f"trade_revenue.{kind}"] = sum(metrics[f"rev.{kind}.{s}"] for s in TRADE_SOURCES)
    rev = {s: metrics.get(f"armed_group_revenue.{s}", 0.0) for s in REVENUE_SOURCES}
    metrics["trade_revenue_usd"] = sum(rev[s] for s in TRADE_SOURCES)
    metrics["relapse_share"] = metrics["relapses"] / max(1.0, metrics["relapses"] + metrics["ex_combatants"])
    metrics["fragmentation_events"] = metrics["alliance_switches"] + metrics["group_splits"]
    out = {"arm": record.label, "seed": record.seed, "metrics": metrics, "seconds": summary["wall_seconds"]}
    if history:
        weekly = pd.DataFrame({name: ts[col] for name, col in HISTORY_SERIES.items() if col in ts})
        # Where the dead fell: central Mali (Mopti, Ségou) and all regions (002 §III: the 2018 shift).
        regional = [c for c in ts.columns if c.startswith("fatalities.")]
        if regional:
            weekly["fatalities_central"] = sum(ts[f"fatalities.{r}"] for r in CENTRAL if f"fatalities.{r}" in ts)
            weekly["fatalities_regions"] = ts[regional].sum(axis=1)
        keep = [c for c in SERIES_COLUMNS if c in ts.columns]
        out["weekly"] = pd.concat([weekly, ts[keep]], axis=1).reset_index(drop=True)
    return out


SERIES_COLUMNS = (
    "delivered_value_usd",
    "seized_value_usd",
    "armed_group_revenue_usd",
    "fatalities",
    "civilian_fatalities",
    "peacekeeper_fatalities",
    "bribe_rate",
    "state_trust_index",
    "food_security_north_index",
    "listed",
)
