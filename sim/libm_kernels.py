"""The C library's ``exp``, ``log``, ``log1p`` and ``pow`` element by element: the same bits on every CPU.

Why (issue 18; docs/reliability.md, "Known issues"): numpy's vectorized double-precision
``exp``, ``log``, ``log1p`` and ``power`` are the C library's on most CPUs but forms of its own
on CPUs with AVX-512, and the two differ in the last bit for a few percent of values. numba
calls the C library on every CPU, so the model's functions outside its kernels go through
these (:mod:`sim.libm`) and a seed gives the same bytes whatever CPU ran it. On CPUs where
numpy's are the C library's (this project's AVX2 machines) the bits are numpy's.

Each takes and returns 1-D contiguous float64 arrays (:func:`pow_each` takes a one-value side for
every position): :mod:`sim.libm` reshapes, and broadcasts any other shapes.
"""

from __future__ import annotations

import math

import numpy as np

from sim.compiled import kernel

EXP, LOG, LOG1P = 0, 1, 2  # the functions :func:`each` applies


@kernel
def each(values, function):
    """``exp``, ``log`` or ``log1p`` (``function``: EXP, LOG, LOG1P) of each value, without warnings.

    ``log`` is ``-inf`` at zero and NaN below it, ``log1p`` the same at -1, as numpy's.
    """
    out = np.empty(values.size)
    for i in range(values.size):
        x = values[i]
        if function == EXP:
            out[i] = math.exp(x)
        elif function == LOG:
            out[i] = np.log(x)
        else:
            out[i] = np.log1p(x)
    return out


@kernel
def pow_each(base, exponent):
    """``pow`` of each base to its exponent, both floats (an integer exponent is not multiplied out).

    Either array may hold one value, taken for every position (a scalar broadcast without
    numpy's broadcasting, which costs more than the powers of a few hundred values).
    """
    n = exponent.size if base.size == 1 else base.size
    step_b, step_e = int(base.size > 1), int(exponent.size > 1)
    out = np.empty(n)
    for i in range(n):
        out[i] = np.power(base[i * step_b], exponent[i * step_e])
    return out
