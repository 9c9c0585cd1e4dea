"""The historical scenario: FACTS.md part A figures the model can speak to, and the counterfactuals."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent.parent


# --- history -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FactsFigure:
    """A figure of FACTS.md part A compared with the historical scenario."""

    id: str
    what: str
    target: str
    lo: float
    hi: float
    tolerance: str
    measure: Callable[[pd.DataFrame], float]
    fmt: str = "{:,.0f}"
    calibrated: str = ""


def _window(df: pd.DataFrame, col: str, start: str, end: str, how: str = "sum") -> float:
    sel = df.loc[(df["date"] >= start) & (df["date"] <= end), col]
    return float(getattr(sel, how)()) if len(sel) else math.nan


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.nan


HISTORY_FIGURES = [
    FactsFigure(
        "F2",
        "gold delivered to Dubai outside official channels in 2019 (t)",
        "81 t declared by the UAE - 0.567 t reported by Mali = about 80 t",
        80.4 * 0.75,
        80.4 * 1.25,
        "±25%",
        lambda d: _window(d, "gold_delivered_kg", "2019-01-01", "2019-12-31") / 1000,
        "{:,.1f}",
        "supply_per_week of gold (goods.yaml) was set from this figure",
    ),
    FactsFigure(
        "F9",
        "migrants passing Timbuktu per week, 2021 (mean)",
        "500-1,000",
        400,
        1200,
        "the range ±20%",
        lambda d: _window(d, "migrants_timbuktu", "2021-01-01", "2021-12-31", "mean"),
        "{:,.0f}",
        "migrants' supply_per_week (goods.yaml) cites this figure",
    ),
    FactsFigure(
        "F11a",
        "cattle stolen in Mopti region, 2019 (head)",
        "78,000",
        78_000 * 0.5,
        78_000 * 1.5,
        "±50%",
        lambda d: _window(d, "cattle_stolen_mopti", "2019-01-01", "2019-12-31"),
        "{:,.0f}",
        "rustle_jihadist cites F11 as its basis",
    ),
    FactsFigure(
        "F11b",
        "cattle stolen in Mopti region, 2021 (head)",
        "130,000",
        130_000 * 0.5,
        130_000 * 1.5,
        "±50%",
        lambda d: _window(d, "cattle_stolen_mopti", "2021-01-01", "2021-12-31"),
    ),
    FactsFigure(
        "F11c",
        "rise of cattle theft in Mopti, 2021 over 2019",
        "130,000 / 78,000 = 1.67",
        1.67 * 0.8,
        1.67 * 1.2,
        "±20%",
        lambda d: _ratio(
            _window(d, "cattle_stolen_mopti", "2021-01-01", "2021-12-31"),
            _window(d, "cattle_stolen_mopti", "2019-01-01", "2019-12-31"),
        ),
        "{:.2f}",
    ),
    FactsFigure(
        "F11d",
        "rustling in Gao, Jan-Sep 2022 over all of 2019",
        "above 1 (nine months of 2022 exceeded 2019)",
        1.0,
        math.inf,
        "above 1",
        lambda d: _ratio(
            _window(d, "cattle_stolen_gao", "2022-01-01", "2022-09-30"),
            _window(d, "cattle_stolen_gao", "2019-01-01", "2019-12-31"),
        ),
        "{:.2f}",
    ),
    FactsFigure(
        "F13",
        "peacekeepers killed, July 2013 to end 2021",
        "268",
        268 * 0.75,
        268 * 1.25,
        "±25%",
        lambda d: _window(d, "peacekeeper_deaths", "2013-07-01", "2021-12-31"),
        "{:,.0f}",
        "forces.attack_rate cites F13 as its basis",
    ),
    FactsFigure(
        "F14",
        "mission capacity on force protection, Jan-Jun 2023 (mean share)",
        "about 0.80",
        0.70,
        0.90,
        "±0.10",
        lambda d: _window(d, "force_protection_share", "2023-01-01", "2023-06-30", "mean"),
        "{:.2f}",  # emerges: the posture ratchets with remembered losses; no parameter cites F14
    ),
    FactsFigure(
        "F15",
        "civilian deaths Nov 2018-Mar 2019 over the previous five months (Jun-Oct 2018)",
        "+300% (ratio 4)",
        2.5,
        5.5,
        "+150% to +450% (ratio 2.5-5.5)",
        lambda d: _ratio(
            _window(d, "civilian_deaths", "2018-11-01", "2019-03-31"),
            _window(d, "civilian_deaths", "2018-06-01", "2018-10-31"),
        ),
        "{:.2f}",
    ),
]


# 002 §III: "By 2018, the conflict had shifted from being primarily focused on the north to
# central Mali". Share of the fatalities placed in a region that fell in Mopti and Ségou. No
# parameter was set from it; the groups' moves (sim/agents/armed_group.py, appraise_regions)
# are not told where to go.
def _central_share(d: pd.DataFrame, start: str, end: str) -> float:
    return _ratio(_window(d, "fatalities_central", start, end), _window(d, "fatalities_regions", start, end))


HISTORY_FIGURES += [
    FactsFigure(
        "S18a",
        "share of fatalities in Mopti and Ségou, 2019-2021",
        "above half: the conflict 'shifted from being primarily focused on the north to central Mali' (002 §III)",
        0.5,
        1.0,
        "above 0.5",
        lambda d: _central_share(d, "2019-01-01", "2021-12-31"),
        "{:.2f}",
    ),
    FactsFigure(
        "S18b",
        "that share in 2019-2021 minus in 2013-2017",
        "above 0 (the shift to central Mali by 2018; 002 §III)",
        0.0,
        1.0,
        "above 0",
        lambda d: _central_share(d, "2019-01-01", "2021-12-31") - _central_share(d, "2013-01-01", "2017-12-31"),
        "{:.2f}",
    ),
]

COUNTERFACTUALS = {
    "history_oc_priority": ("2013-07-01", "simcli/configs/experiment/history_oc_priority.yaml"),
    "history_no_wagner": ("2021-12-15", "simcli/configs/experiment/history_no_wagner.yaml"),
    "history_sanctions_continue": ("2023-08-31", "simcli/configs/experiment/history_sanctions_continue.yaml"),
}
COUNTERFACTUAL_OUTCOMES = {
    "delivered_value_usd": "sum",
    "seized_value_usd": "sum",
    "armed_group_revenue_usd": "sum",
    "fatalities": "sum",
    "civilian_fatalities": "sum",
    "peacekeeper_fatalities": "sum",
    "bribe_rate": "mean",
    "state_trust_index": "mean",
    "food_security_north_index": "mean",
}


def history_metrics(weekly: pd.DataFrame) -> dict[str, float]:
    """Measures of one history run used by the pattern suite (M24) and the counterfactuals."""
    out = {
        "civilian_deaths_after_wagner": _window(weekly, "civilian_fatalities", "2022-01-01", "2099-12-31"),
        "trust_after_wagner": _window(weekly, "state_trust_index", "2022-01-01", "2099-12-31", "mean"),
    }
    for arm, (start, _) in COUNTERFACTUALS.items():
        for col, how in COUNTERFACTUAL_OUTCOMES.items():
            out[f"after:{arm}:{col}"] = _window(weekly, col, start, "2099-12-31", how)
    for f in HISTORY_FIGURES:
        out[f"figure:{f.id}"] = f.measure(weekly)
    return out
