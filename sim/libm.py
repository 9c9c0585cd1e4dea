"""``exp``, ``log``, ``log1p`` and ``power`` with the C library's bits on every CPU, for numpy arrays and scalars.

Why (issue 18; docs/reliability.md): numpy's vectorized double-precision ``exp``, ``log``,
``log1p`` and ``power`` are forms of its own on CPUs with AVX-512 and the C library's on others,
and differ in the last bit for a few percent of values; so a seed's outputs would depend on the
CPU that ran it. The model's code outside its kernels calls these instead of numpy's (the
kernels' own functions are the C library's already): the values are numpy's where numpy's are
the C library's, as on this project's AVX2 machines, and the same on every CPU.

Each returns what numpy's function returns: an array of float64 of the arguments' broadcast
shape, or a numpy float64 for scalars. Model code never takes numpy's ``exp``, ``log``,
``log1p``, ``power`` or ``**`` to a name or non-trivial exponent (``tests/test_libm.py`` checks
the sources and that a run calls none of numpy's).
"""

from __future__ import annotations

import numpy as np

from sim.lazy import lazy_module

_kernels = lazy_module("sim.libm_kernels")

# The exponents at which ``array ** scalar`` is not numpy's power but an exact operation of its
# own (a copy, the reciprocal, ones, the square root, the square): kept, since they are the same
# on every CPU and differ from the C library's pow at 0.5, 2 and -1.
_NUMPY_EXACT = frozenset((1.0, -1.0, 0.0, 0.5, 2.0))


def exp(x):
    """The C library's ``exp`` of each value: ``np.exp``'s result, the same on every CPU."""
    return _each(_kernels.EXP, x)


def log(x):
    """The C library's ``log`` of each value: ``np.log``'s result (no warning at zero or below)."""
    return _each(_kernels.LOG, x)


def log1p(x):
    """The C library's ``log1p`` of each value: ``np.log1p``'s result (no warning at -1 or below)."""
    return _each(_kernels.LOG1P, x)


def power(base, exponent):
    """``base ** exponent`` as numpy computes it for float arrays, with the C library's ``pow``.

    A scalar exponent at which ``array ** exponent`` is exact in numpy (0.5, 2, -1, 1, 0) is
    left to numpy; every other value is the C library's ``pow`` of the two as floats (an integer
    exponent too, as numpy's float power takes it).
    """
    b, e = np.asarray(base, dtype=np.float64), np.asarray(exponent, dtype=np.float64)
    if not e.ndim:
        if b.ndim and float(e) in _NUMPY_EXACT:
            return b ** float(e)
        shape = b.shape
    elif not b.ndim or b.shape == e.shape:
        shape = e.shape
    else:
        b, e = np.broadcast_arrays(b, e)
        shape = b.shape
    # A scalar side goes in as one value, which the kernel takes for every position.
    out = _kernels.pow_each(np.ascontiguousarray(b).ravel(), np.ascontiguousarray(e).ravel()).reshape(shape)
    return out if out.ndim else out[()]


def _each(function: int, x):
    a = np.asarray(x, dtype=np.float64)
    out = _kernels.each(np.ascontiguousarray(a).ravel(), function).reshape(a.shape)
    return out if out.ndim else out[()]
