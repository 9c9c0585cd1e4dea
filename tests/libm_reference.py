"""The C library's ``log1p`` and ``exp`` over arrays: the reference the compiled kernels are held to.

numba's ``log1p`` and ``exp`` are the C library's on every CPU; numpy's vectorized ones are too,
except on CPUs with AVX-512, where numpy has forms of its own that differ in the last bit for a
few percent of values (docs/performance-log.md, "Twelfth pass"). Tests compare a kernel with its
plain form under :data:`LIBM` everywhere, and under :data:`NUMPY` where :func:`numpy_is_libm`.
"""

from __future__ import annotations

import math

import numpy as np


def libm(f):
    """The C library's ``f`` (Python's ``math`` calls it) element by element over an array."""
    return lambda a: np.array([f(x) for x in np.asarray(a, dtype=np.float64).ravel()]).reshape(np.shape(a))


LIBM = (libm(math.log1p), libm(math.exp))
NUMPY = (np.log1p, np.exp)


def numpy_is_libm() -> bool:
    """Whether numpy's ``log1p`` and ``exp`` are the C library's on this CPU, over the kernels' domain."""
    r = np.random.default_rng(0)
    ratio, exponent = r.uniform(-0.999999, 1e3, 100_000), r.uniform(-40.0, 40.0, 100_000)
    return np.array_equal(np.log1p(ratio), LIBM[0](ratio)) and np.array_equal(np.exp(exponent), LIBM[1](exponent))
