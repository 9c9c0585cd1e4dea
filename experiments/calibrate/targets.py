"""The declared figures: calibration targets and held-out figures, each tied to a registered outcome.

A *target* is compared with the model during history matching (it rules parameter space out); a
*held-out* figure is compared only at the end, with the calibrated ensemble, so that it tests the
calibration instead of shaping it. Every figure names the outcome of ``sim/outcomes.py`` it reads
from a history run's ``timeseries.parquet``, the dated window, and how the window is reduced.
Observation uncertainty (``obs_sd``) and model discrepancy (``discrepancy_sd``) are standard
deviations on the target's scale (log for amounts and counts: a relative error), each with its
basis. Why each figure is a target or held out: docs/calibration.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import ConfigError


@dataclass(frozen=True)
class Window:
    """A dated window of a weekly series and its reduction (``sum`` or ``mean``)."""

    outcome: str
    start: str | None = None  # None: the whole run
    end: str | None = None
    how: str = "sum"


@dataclass(frozen=True)
class Figure:
    """A figure of the sources compared with the historical scenario.

    Attributes:
        id: FACTS.md id (F13) or a suffixed one (F11a).
        what: What is compared, with units.
        source: Where the figure was read (FACTS.md row, seed file and section).
        observed: The figure (central value).
        lo: Lowest value counted as a hit for a held-out comparison.
        hi: Highest value counted as a hit.
        num: The window measured.
        den: A second window: the measure is ``num / den`` (a rise).
        scale: ``log`` (amounts, counts: errors relative) or ``linear`` (shares).
        obs_sd: Observation uncertainty (sd on ``scale``).
        obs_basis: Where ``obs_sd`` comes from (source or "assumption: ...").
        discrepancy_sd: Model discrepancy (sd on ``scale``): what the model lacks even at its best.
        discrepancy_basis: Why that size.
        role: ``target`` (used in history matching) or ``held_out`` (compared only at the end).
        why: Why it is a target or held out.
    """

    id: str
    what: str
    source: str
    observed: float
    lo: float
    hi: float
    num: Window
    den: Window | None = None
    scale: str = "log"
    obs_sd: float = 0.2
    obs_basis: str = ""
    discrepancy_sd: float = 0.2
    discrepancy_basis: str = ""
    role: str = "target"
    why: str = ""

    def outcomes(self) -> tuple[str, ...]:
        """The registered outcomes the figure reads."""
        return (self.num.outcome,) + ((self.den.outcome,) if self.den else ())

    def transform(self, value: float | np.ndarray) -> float | np.ndarray:
        """The value on the target's scale (``log`` of a non-negative amount floored at 1e-3 of the figure, or at 1)."""
        if self.scale == "log":
            floor = 1e-3 * abs(self.observed) if np.isfinite(self.observed) and self.observed else 1.0
            return np.log(np.maximum(value, floor))
        return value

    @property
    def z(self) -> float:
        """The observed figure on the target's scale."""
        return float(self.transform(self.observed))


def _reduce(ts: pd.DataFrame, w: Window, fig: str) -> float:
    if w.outcome not in ts.columns:
        raise ConfigError(
            "figure", fig, "an outcome listed in docs/outcomes.md", f"the run has no outcome '{w.outcome}'"
        )
    sel = ts[w.outcome]
    if w.start is not None:
        dates = ts["date"].astype(str)
        sel = sel[(dates >= w.start) & (dates <= (w.end or "9999"))]
    if not len(sel):
        return math.nan
    return float(sel.sum() if w.how == "sum" else sel.mean())


def measure(figure: Figure, ts: pd.DataFrame) -> float:
    """The figure's value in one run's weekly outcomes (NaN when its window lies outside the run)."""
    value = _reduce(ts, figure.num, figure.id)
    if figure.den is not None:
        den = _reduce(ts, figure.den, figure.id)
        value = value / den if den > 0 else math.nan
    return value


def _rel(x: float) -> float:
    """A relative standard deviation as an sd of the log."""
    return math.log1p(x)


# --- the declared table ----------------------------------------------------------------------------

FIGURES: tuple[Figure, ...] = (
    Figure(
        "F13",
        "peacekeepers killed, July 2013 to end 2021",
        "FACTS F13 (002, §III later years)",
        268,
        268 * 0.75,
        268 * 1.25,
        Window("peacekeeper_fatalities", "2013-07-01", "2021-12-31"),
        obs_sd=_rel(0.05),
        obs_basis="assumption: UN fatality counts are recorded by name; 5% for deaths counted under other causes",
        discrepancy_sd=_rel(0.25),
        discrepancy_basis="assumption: attacks are drawn per jihadist fighter near bases; no IED or mortar tactics",
        why="the mission's losses pin the attack rate and deaths per attack, which no other figure constrains",
    ),
    Figure(
        "F14",
        "mission capacity on force protection, Jan-Jun 2023 (mean share)",
        "FACTS F14 (002, §III later years)",
        0.80,
        0.70,
        0.90,
        Window("mission_force_protection_share", "2023-01-01", "2023-06-30", "mean"),
        scale="linear",
        obs_sd=0.05,
        obs_basis="assumption: 'about 80%' read as 0.75-0.85",
        discrepancy_sd=0.05,
        discrepancy_basis="assumption: bunkerization responds only to recent attacks (docs/validation.md §2)",
        why="the only figure on the mission's posture; pins the force-protection parameters",
    ),
    Figure(
        "F11a",
        "cattle stolen in Mopti region, 2019 (head)",
        "FACTS F11 (002, Box A)",
        78_000,
        78_000 * 0.5,
        78_000 * 1.5,
        Window("cattle_stolen.mopti", "2019-01-01", "2019-12-31"),
        obs_sd=_rel(0.2),
        obs_basis="assumption: a single reported count, 20%",
        discrepancy_sd=_rel(0.25),
        discrepancy_basis="assumption: rustling scales with fighters' reach; groups never extend their regions",
        why="the level of rustling pins rustle_jihadist, which cites F11 as its basis; the 2021 level is held out",
    ),
    Figure(
        "F25",
        "jihadist kidnapping income in 2012 (USD)",
        "FACTS F25 (002, note 28): AQIM $90-125 million from kidnapping, 2003-2013",
        107.5e6 / 11,
        90e6 / 11 * 0.5,
        125e6 / 11 * 1.5,
        Window("armed_group_revenue.jihadist.kidnapping", "2012-01-01", "2012-12-31"),
        obs_sd=_rel(0.5),
        obs_basis="the range $90-125M (±16%) over 11 years, and an assumed ±50% for one year against the average",
        discrepancy_sd=_rel(0.25),
        discrepancy_basis="assumption: kidnapping is a rate per fighter-week with a fixed ransom",
        why="the only income figure for armed groups; pins kidnapping rate and ransom (Sobol: top factors of revenue)",
    ),
    Figure(
        "F2",
        "gold delivered to Dubai outside official channels in 2019 (t)",
        "FACTS F2 (002, Box A): 81 t declared by the UAE - 0.567 t reported by Mali",
        80.4e3,
        80.4e3 * 0.75,
        80.4e3 * 1.25,
        Window("delivered.gold", "2019-01-01", "2019-12-31"),
        role="held_out",
        why="held out: gold's supply (goods.yaml) was set from it, so a match is by construction",
    ),
    Figure(
        "F11b",
        "cattle stolen in Mopti region, 2021 (head)",
        "FACTS F11 (002, Box A)",
        130_000,
        130_000 * 0.5,
        130_000 * 1.5,
        Window("cattle_stolen.mopti", "2021-01-01", "2021-12-31"),
        role="held_out",
        why="held out: tests whether the calibrated level carries the rise (2019 is the target)",
    ),
    Figure(
        "F11c",
        "rise of cattle theft in Mopti, 2021 over 2019",
        "FACTS F11: 130,000 / 78,000",
        1.67,
        1.67 * 0.8,
        1.67 * 1.2,
        Window("cattle_stolen.mopti", "2021-01-01", "2021-12-31"),
        Window("cattle_stolen.mopti", "2019-01-01", "2019-12-31"),
        role="held_out",
        why="held out: a trend the model must produce from its dynamics, not from a level parameter",
    ),
    Figure(
        "F11d",
        "rustling in Gao, Jan-Sep 2022 over all of 2019",
        "FACTS F11: nine months of 2022 exceeded all of 2019",
        1.33,
        1.0,
        math.inf,
        Window("cattle_stolen.gao", "2022-01-01", "2022-09-30"),
        Window("cattle_stolen.gao", "2019-01-01", "2019-12-31"),
        role="held_out",
        why="held out: a trend (ISGS activity in Gao), one-sided: above 1",
    ),
    Figure(
        "F15",
        "civilian deaths Nov 2018-Mar 2019 over Jun-Oct 2018",
        "FACTS F15 (002, §III later years): +300%",
        4.0,
        2.5,
        5.5,
        Window("civilian_fatalities", "2018-11-01", "2019-03-31"),
        Window("civilian_fatalities", "2018-06-01", "2018-10-31"),
        role="held_out",
        why="held out: a surge the model has no mechanism for (docs/validation.md §2); a target would be unfair",
    ),
    Figure(
        "F9",
        "migrants passing Timbuktu per week, 2021 (mean)",
        "FACTS F9 (002, Box A): 500-1,000",
        750,
        400,
        1200,
        Window("migrants_through_timbuktu", "2021-01-01", "2021-12-31", "mean"),
        role="held_out",
        why="held out: routes, not parameters, decide it (no factor moves it; docs/validation.md §2)",
    ),
    Figure(
        "F5",
        "cocaine delivered across the Sahel in 2012 (kg), at most all of West Africa's",
        "FACTS F5 (002, Box A): $1 bn a year at $35,000/kg (goods.yaml) is 28,600 kg",
        28_600,
        0,
        28_600,
        Window("delivered.cocaine", "2012-01-01", "2012-12-31"),
        role="held_out",
        why="held out: an upper bound (Mali is one transit among several), and cocaine's supply cites it",
    ),
)

ROLES = ("target", "held_out")


def figures_by_id(ids: Sequence[str] | None = None, figures: Sequence[Figure] = FIGURES) -> list[Figure]:
    """The declared figures with these ids (all when None), in the order given.

    Raises:
        ConfigError: For an id that is not declared.
    """
    known = {f.id: f for f in figures}
    if ids is None:
        return list(figures)
    out = []
    for i in ids:
        if i not in known:
            raise ConfigError("--targets", i, ", ".join(known), "not a declared figure")
        out.append(known[i])
    return out


def targets(figures: Sequence[Figure] = FIGURES) -> list[Figure]:
    """The calibration targets."""
    return [f for f in figures if f.role == "target"]


def held_out(figures: Sequence[Figure] = FIGURES) -> list[Figure]:
    """The held-out figures."""
    return [f for f in figures if f.role == "held_out"]


def last_date(figures: Sequence[Figure]) -> str:
    """The end of the latest window: how far a history run must go."""
    ends = [w.end for f in figures for w in (f.num, f.den) if w is not None and w.end]
    return max(ends)


__all__ = ["FIGURES", "ROLES", "Figure", "Window", "figures_by_id", "held_out", "last_date", "measure", "targets"]
