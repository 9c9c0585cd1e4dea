"""Statistics and criteria: paired effects per seed and where their 95% interval must lie."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.optimize as spo
import scipy.stats as sps

ROOT = Path(__file__).resolve().parent.parent.parent


# --- statistics and criteria ---------------------------------------------------------------------

Values = dict[str, dict[str, np.ndarray]]  # arm -> metric -> values by seed


POWER, ALPHA = 0.8, 0.05  # the design's power and two-sided level for the minimum detectable effect


def mde(effects, power: float = POWER, alpha: float = ALPHA) -> float:
    """Minimum detectable effect (MDE) of a paired design, in the effects' unit.

    The smallest mean effect a two-sided t-test at ``alpha`` detects with probability ``power``,
    given the per-seed effects' standard deviation: solves power = ``power`` for the noncentral t
    (n - 1 degrees of freedom, noncentrality d·√n) and returns d·sd. NaN for fewer than two
    finite effects; 0 when every seed gives the same effect.
    """
    x = np.asarray(effects, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n < 2:
        return math.nan
    sd = float(x.std(ddof=1))
    if sd == 0:
        return 0.0
    df, crit = n - 1, float(sps.t.ppf(1 - alpha / 2, n - 1))

    def shortfall(nc: float) -> float:
        reach = float(sps.nct.sf(crit, df, nc) + sps.nct.cdf(-crit, df, nc))
        return (reach if math.isfinite(reach) else 1.0) - power  # NaN only far in the tail, where power is 1

    return float(spo.brentq(shortfall, 0.0, 200.0)) / math.sqrt(n) * sd


@dataclass(frozen=True)
class Criterion:
    """Where the 95% interval of an effect must lie: ``below``/``above`` a bound, or ``within`` a band.

    A ``within`` band is a claim of *little effect*. It is judged at the design's minimum
    detectable effect (MDE, 80% power) when the band is wider: a stated band wider than the MDE
    would call "little" an effect this design detects, so it cannot earn a pass; the interval
    must lie inside the narrower of the band and ±MDE. (A pass then says: no effect as large as
    the smallest one these seeds could detect, and none as large as the band.)
    """

    kind: str
    lo: float = 0.0
    hi: float = 0.0

    @property
    def equivalence(self) -> bool:
        """Whether this is a "little effect" band (needs the MDE)."""
        return self.kind == "within"

    def passes(self, lo: float, hi: float, mde: float = math.nan) -> bool:
        """Whether an interval (lo, hi) meets the criterion; a band is judged within ±``mde`` too."""
        return self.failure(lo, hi, mde) is None

    def failure(self, lo: float, hi: float, mde: float = math.nan) -> str | None:
        """Why an interval fails the criterion (None when it passes)."""
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return "no interval"
        if self.kind == "below":
            return None if hi < self.lo else "interval not below the bound"
        if self.kind == "above":
            return None if lo > self.lo else "interval not above the bound"
        if not math.isfinite(mde):
            return "no minimum detectable effect"
        if self.lo <= lo and hi <= self.hi and -mde <= lo and hi <= mde:
            return None
        return "interval beyond the MDE" if self.lo <= lo and hi <= self.hi else "interval outside the band"

    def text(self, percent: bool) -> str:
        """The criterion in words."""
        f = (lambda x: f"{100 * x:+.0f}%") if percent else (lambda x: f"{x:+.3g}")
        if self.kind == "below":
            return f"CI below {f(self.lo)}"
        if self.kind == "above":
            return f"CI above {f(self.lo)}"
        return f"CI inside [{f(self.lo)}, {f(self.hi)}] and ±MDE"


BELOW0, ABOVE0 = Criterion("below"), Criterion("above")


def within(band: float) -> Criterion:
    """An equivalence band: the effect is small (a "little effect" claim)."""
    return Criterion("within", -band, band)


@dataclass(frozen=True)
class Stat:
    """A paired effect per seed and its criterion.

    Attributes:
        label: What is compared.
        arms: Arms it needs.
        effect: Per-seed effects from the arms' values.
        criterion: Where its 95% interval must lie.
        percent: Whether the effect is a share of a reference mean (shown in %).
    """

    label: str
    arms: tuple[str, ...]
    effect: Callable[[Values], np.ndarray]
    criterion: Criterion
    percent: bool = False


def diff(metric: str, arm: str, ref: str, criterion: Criterion, label: str = "") -> Stat:
    """Difference ``arm - ref`` of a metric, per seed."""
    return Stat(label or f"{metric}: {arm} - {ref}", (arm, ref), lambda v: v[arm][metric] - v[ref][metric], criterion)


def rel(metric: str, arm: str, ref: str, criterion: Criterion, label: str = "") -> Stat:
    """Difference ``arm - ref`` per seed over the mean of ``ref``: a relative change."""

    def effect(v: Values) -> np.ndarray:
        base = abs(float(np.mean(v[ref][metric])))
        return (v[arm][metric] - v[ref][metric]) / base if base > 0 else np.full(len(v[ref][metric]), np.nan)

    return Stat(label or f"{metric}: {arm} vs {ref}", (arm, ref), effect, criterion, percent=True)


def did(metric: str, treat: tuple[str, str], control: tuple[str, str], criterion: Criterion, label: str) -> Stat:
    """Difference in relative effects: (t1 - t0)/mean(t0) - (c1 - c0)/mean(c0)."""
    a, b = rel(metric, *treat, criterion), rel(metric, *control, criterion)
    return Stat(label, (*treat, *control), lambda v: a.effect(v) - b.effect(v), criterion, percent=True)


def log_ratio(num: Sequence[str], den: Sequence[str], arm: str, criterion: Criterion, label: str) -> Stat:
    """log(sum of ``num`` metrics / sum of ``den`` metrics) in one arm, per seed."""

    def effect(v: Values) -> np.ndarray:
        a = sum(v[arm][m] for m in num)
        b = sum(v[arm][m] for m in den)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(a / b)

    return Stat(label, (arm,), effect, criterion)


@dataclass(frozen=True)
class Experiment:
    """A mechanism claim of FACTS.md part B, tested as a comparison of arms."""

    id: str
    title: str
    claim: str
    design: str
    stats: tuple[Stat, ...]

    @property
    def arms(self) -> list[str]:
        """Arms the statistics need, in order of first use."""
        return list(dict.fromkeys(a for s in self.stats for a in s.arms))
