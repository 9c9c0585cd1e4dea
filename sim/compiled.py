"""The one way this project compiles a kernel: numba's ``njit`` with settings that keep the bytes.

Why compile at all (issue 18, docs/performance.md "Compiled kernels"): after four passes of
vectorizing, a week is mostly the fixed cost of many small numpy calls on a few dozen rows, in an
order the model fixes (armed groups act one after another; draws interleave with what they
trigger). A compiled loop does the same arithmetic and the same draws without that cost.

Why these settings:
    * ``cache=True``: each process loads machine code compiled once (about 0.1 s a kernel)
      instead of compiling it (about 0.5 s); a sweep's workers load it once for all their runs.
    * no ``fastmath``: IEEE arithmetic in the written order, so a kernel that adds in the order
      the numpy form adds gives the same bits (tests compare every kernel with its numpy form).
    * ``error_model="numpy"``: a division by zero gives inf or nan, as in numpy, not an exception.

Random draws made inside a kernel from a ``numpy.random.Generator`` passed in use the same bit
generator and, for ``random``, ``poisson``, ``integers`` and the rest numba implements, numpy's
own algorithms: the stream is the one the numpy form draws, as long as the calls come in the
same order (``tests/test_compiled.py`` checks the ones this project uses).
"""

from __future__ import annotations

from collections.abc import Callable

import numba


def kernel(func: Callable) -> Callable:
    """``func`` compiled in nopython mode with the project's settings (cached, IEEE, numpy errors)."""
    return numba.njit(cache=True, fastmath=False, error_model="numpy")(func)
