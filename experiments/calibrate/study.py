"""What a calibration covers: base configuration, horizon, factors, figures, design sizes and stopping rules."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date

from experiments.calibrate.targets import FIGURES, Figure, Window, last_date

# Assumptions that decide the calibration targets (dotted keys of the run configuration; ranges
# from the parameter table). Kidnapping rate and ransom are Sobol's top factors of armed groups'
# revenue (docs/sensitivity.md); rustle_jihadist, forces.attack_rate, deaths_per_attack and the
# mission's posture parameters cite F11, F13 and F14 as their basis in docs/parameters.md, and no
# outcome screened by Morris or Sobol measured them (the mission's losses and posture).
FACTORS = (
    "scenario.forces.attack_rate",
    "scenario.forces.deaths_per_attack",
    "scenario.forces.force_protection_base",
    "scenario.forces.losses_to_bunker",
    "scenario.armed_groups.rustle_jihadist",
    "scenario.armed_groups.kidnap_rate_jihadist",
    "scenario.armed_groups.ransom_usd",
)
CUTOFF = 3.0  # Pukelsheim's three-sigma rule: at least 95% of any unimodal distribution lies within 3 sd


@dataclass(frozen=True)
class Study:
    """A history-matching study.

    Attributes:
        name: ``full`` or ``quick``.
        overrides: Hydra overrides of the base point (``scenario=history``).
        steps: Weeks per run.
        factors: Dotted keys of the assumptions calibrated (their ranges come from the parameter table).
        figures: Targets and held-out figures.
        points: Design points per wave.
        seeds: Seeds per design point.
        reference_seeds: Seeds at the defaults (the uncalibrated model, for comparison and seed noise).
        max_waves: Waves at most.
        cutoff: Implausibility above which a point is ruled out.
        small: Stop when the non-implausible share of the original box is below this.
        shrink: Stop when a wave keeps more than this share of the previous wave's space.
        candidates: Points (a scrambled Sobol sample, log2) on which the space is measured and drawn from.
        ensemble: Points drawn in the final space and run as a check; the ensemble keeps those that pass.
        synthetic: Replace each figure's observed value by the model's own output at ``truth``
            (the quick check: a known answer must not be ruled out).
        truth: A point on the unit cube (synthetic studies only).
    """

    name: str
    overrides: tuple[str, ...]
    steps: int
    factors: tuple[str, ...]
    figures: tuple[Figure, ...]
    points: int
    seeds: int
    reference_seeds: int
    max_waves: int
    cutoff: float = CUTOFF
    small: float = 0.02
    shrink: float = 0.8
    candidates: int = 14
    ensemble: int = 10
    synthetic: bool = False
    truth: tuple[float, ...] = ()

    @property
    def quick(self) -> bool:
        """Whether this is the CI check (results mean nothing about history)."""
        return self.name == "quick"


def weeks_to(end: str, start: str = "2012-01-02") -> int:
    """Weeks a run starting on ``start`` needs to cover ``end``."""
    return math.ceil((date.fromisoformat(end) - date.fromisoformat(start)).days / 7) + 1


def full_study() -> Study:
    """The calibration of the historical scenario (docs/calibration.md)."""
    return Study(
        "full",
        ("scenario=history",),
        weeks_to(last_date(FIGURES)),
        FACTORS,
        FIGURES,
        points=14,
        seeds=1,
        reference_seeds=4,
        max_waves=5,
        ensemble=8,
    )


# Synthetic figures: no discrepancy, a small observation error, so the known point must stay and much else go.
_SYNTHETIC = {"obs_sd": 0.05, "obs_basis": "synthetic", "discrepancy_sd": 0.05, "discrepancy_basis": "synthetic"}
QUICK_FIGURES = (
    Figure(
        "Q1",
        "cattle stolen in Gao over the run",
        "synthetic",
        math.nan,
        0,
        math.inf,
        Window("cattle_stolen.gao"),
        **_SYNTHETIC,
    ),
    Figure(
        "Q2",
        "jihadist kidnapping income over the run",
        "synthetic",
        math.nan,
        0,
        math.inf,
        Window("armed_group_revenue.jihadist.kidnapping"),
        **_SYNTHETIC,
    ),
    Figure("Q3", "fatalities over the run", "synthetic", math.nan, 0, math.inf, Window("fatalities"), role="held_out"),
)


def quick_study() -> Study:
    """A tiny synthetic study (CI): 26 weeks of history, three factors, one wave of 6 points x 2 seeds."""
    return Study(
        "quick",
        ("scenario=history",),
        26,
        (
            "scenario.armed_groups.rustle_jihadist",
            "scenario.armed_groups.kidnap_rate_jihadist",
            "scenario.armed_groups.ransom_usd",
        ),
        QUICK_FIGURES,
        points=6,
        seeds=2,
        reference_seeds=0,
        max_waves=1,
        candidates=12,
        ensemble=5,
        synthetic=True,
        truth=(0.4, 0.6, 0.5),
    )


def with_targets(study: Study, ids: tuple[str, ...]) -> Study:
    """The study with exactly these figures as targets (the other declared figures held out)."""
    figures = tuple(replace(f, role="target" if f.id in ids else "held_out") for f in study.figures)
    return replace(study, figures=figures)


__all__ = ["CUTOFF", "FACTORS", "Study", "full_study", "quick_study", "weeks_to", "with_targets"]
