"""Intervals of means: the one place the analysis layer computes them (scipy.stats).

Two kinds are in use. Sweep tables and effect figures use the normal approximation with
:data:`Z95` (many seeds, streamed moments); validation uses Student's t, because its arms have
few seeds. Both give ``(mean, lo, hi, n)`` over the finite values.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.stats as sps

Z95 = 1.96  # two-sided 95% normal quantile, rounded as the published tables have always used it
METHODS = ("normal", "t")


def half_width(m2: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Half-width of the normal 95% interval of a mean from streamed moments; 0 for one value.

    Args:
        m2: Sums of squared deviations from the mean.
        n: Numbers of values.
    """
    n = np.asarray(n, dtype=float)
    var = np.divide(m2, n - 1, out=np.zeros_like(n), where=n > 1)
    return Z95 * np.sqrt(np.maximum(var, 0.0) / np.maximum(n, 1))


def mean_interval(values, method: str = "normal") -> tuple[float, float, float, int]:
    """Mean and 95% interval of the mean of the finite values: ``(mean, lo, hi, n)``.

    Args:
        values: The values (non-finite ones are ignored).
        method: ``normal`` (1.96 standard errors; lo = hi = mean for one value) or ``t``
            (Student's t with n - 1 degrees of freedom; lo = hi = NaN for one value).
    """
    if method not in METHODS:
        raise ValueError(f"unknown interval method {method!r}; known: {', '.join(METHODS)}")
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(x.mean())
    if method == "normal":
        half = float(half_width(((x - mean) ** 2).sum(), n))
    elif n == 1:
        return mean, math.nan, math.nan, 1
    else:
        half = float(sps.t.ppf(0.975, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half, n
