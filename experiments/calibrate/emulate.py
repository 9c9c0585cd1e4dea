"""An emulator per target: a Gaussian process (scikit-learn) of the seed-mean on the unit cube.

The emulator predicts the mean over seeds of a target (on the target's scale) at a parameter
point. Seed noise enters the fit as a known per-point variance (``alpha``: the pooled within-point
variance over the number of seeds), so the emulator's own variance is what it does not know about
the mean, not the noise of one run. Before use, each emulator is checked by leave-one-out: the
point is dropped, the GP refitted with the kernel found on all points, and the standardised error
``(y - mean) / sd`` recorded; an emulator is valid when at most 10% of them (rounded down) lie
beyond ±3 (Bastos and O'Hagan 2009 use such standardised errors). Invalid emulators do not rule
out space.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel

LOO_BOUND = 3.0  # standardised LOO errors beyond this count as failures
LOO_ALLOWED = 0.10  # share of failures (rounded down) an emulator may have and still be valid
EMULATOR_SEED = 20261129


@dataclass
class Emulator:
    """A fitted GP of one target's seed-mean, with its leave-one-out diagnostics."""

    target: str
    x: np.ndarray  # points on the unit cube (n x d)
    y: np.ndarray  # seed-means on the target's scale
    noise: np.ndarray  # variance of each seed-mean (seed variance / seeds)
    gp: GaussianProcessRegressor
    shift: float
    spread: float
    loo_mean: np.ndarray = field(default_factory=lambda: np.empty(0))
    loo_sd: np.ndarray = field(default_factory=lambda: np.empty(0))

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of the seed-mean at points ``x`` (on the target's scale)."""
        mu, sd = self.gp.predict(np.atleast_2d(x), return_std=True)
        return self.shift + self.spread * mu, (self.spread * sd) ** 2

    @property
    def loo_errors(self) -> np.ndarray:
        """Standardised leave-one-out errors (the seed-mean's noise included in the sd)."""
        return (self.y - self.loo_mean) / np.sqrt(self.loo_sd**2 + self.noise)

    @property
    def coverage(self) -> float:
        """Share of standardised LOO errors within ±2 (about 0.95 for a calibrated emulator)."""
        return float(np.mean(np.abs(self.loo_errors) <= 2)) if len(self.loo_mean) else math.nan

    @property
    def valid(self) -> bool:
        """At most ``LOO_ALLOWED`` of the LOO errors (rounded down) beyond ±``LOO_BOUND``."""
        if not len(self.loo_mean):
            return False
        fails = int(np.sum(np.abs(self.loo_errors) > LOO_BOUND))
        return fails <= math.floor(LOO_ALLOWED * len(self.y))

    def summary(self) -> dict:
        """Diagnostics for the report."""
        e = self.loo_errors
        return {
            "target": self.target,
            "points": len(self.y),
            "kernel": str(self.gp.kernel_),
            "loo_rmse_std": float(np.sqrt(np.mean(e**2))),
            "loo_max_abs_std": float(np.max(np.abs(e))),
            "coverage_2sd": self.coverage,
            "valid": self.valid,
        }


def _gp(d: int, alpha: np.ndarray, optimise: bool, kernel=None) -> GaussianProcessRegressor:
    if kernel is None:
        kernel = ConstantKernel(1.0, (1e-3, 1e2)) * RBF(length_scale=np.full(d, 0.5), length_scale_bounds=(0.05, 20.0))
    return GaussianProcessRegressor(
        kernel=kernel,
        alpha=alpha + 1e-8,
        optimizer="fmin_l_bfgs_b" if optimise else None,
        n_restarts_optimizer=3 if optimise else 0,
        random_state=EMULATOR_SEED,
    )


def fit(target: str, x: np.ndarray, y: np.ndarray, noise: np.ndarray) -> Emulator:
    """Fit the GP of a target's seed-means ``y`` at points ``x`` (unit cube), then its LOO diagnostics.

    Raises:
        ValueError: With fewer than 3 points or a non-finite seed-mean (a window outside the run).
    """
    x, y, noise = np.asarray(x, float), np.asarray(y, float), np.asarray(noise, float)
    if len(y) < 3:
        raise ValueError(f"{target}: an emulator needs at least 3 design points, got {len(y)}")
    if not np.all(np.isfinite(y)):
        raise ValueError(
            f"{target}: {int(np.sum(~np.isfinite(y)))} design points have no value (window outside the run?)"
        )
    shift = float(np.mean(y))
    spread = float(np.std(y)) or 1.0
    yn, alpha = (y - shift) / spread, noise / spread**2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gp = _gp(x.shape[1], alpha, optimise=True).fit(x, yn)
        em = Emulator(target, x, y, noise, gp, shift, spread)
        means, sds = np.empty(len(y)), np.empty(len(y))
        for i in range(len(y)):
            keep = np.arange(len(y)) != i
            loo = _gp(x.shape[1], alpha[keep], optimise=False, kernel=gp.kernel_).fit(x[keep], yn[keep])
            m, s = loo.predict(x[i : i + 1], return_std=True)
            means[i], sds[i] = shift + spread * m[0], spread * s[0]
    em.loo_mean, em.loo_sd = means, sds
    return em


__all__ = ["LOO_ALLOWED", "LOO_BOUND", "Emulator", "fit"]
