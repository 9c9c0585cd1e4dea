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
    * one cache directory per version of the kernels' sources (:func:`cache_dir`): numba checks a
      cached kernel against its own file only, so a kernel calling :func:`pairwise_sum` would
      keep the machine code of an older ``pairwise_sum`` after this file changed. Keyed on a
      digest of every kernel module, any change compiles them all afresh (about 15 s, once).

Random draws made inside a kernel from a ``numpy.random.Generator`` passed in use the same bit
generator and, for ``random``, ``poisson``, ``integers`` and the rest numba implements, numpy's
own algorithms: the stream is the one the numpy form draws, as long as the calls come in the
same order (``tests/test_compiled.py`` checks the ones this project uses).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import threading
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

import numba
import numpy as np

_SIM = Path(__file__).resolve().parent


def kernel_sources() -> list[Path]:
    """The files whose code compiled kernels contain: this one, ``kernel_rng.py`` and every ``*kernels.py``."""
    return sorted({_SIM / "compiled.py", _SIM / "kernel_rng.py", *_SIM.rglob("*kernels.py")})


def source_digest(paths: Iterable[Path]) -> str:
    """A short digest of the files' names and bytes: it changes when any of them does."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def cache_dir() -> Path:
    """Where the kernels' machine code is kept: ``$NUMBA_CACHE_DIR`` or the user's cache, per source digest."""
    base = os.environ.get("NUMBA_CACHE_DIR") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "sahel-sim", "numba"
    )
    return Path(base) / f"kernels-{source_digest(kernel_sources())}"


numba.config.CACHE_DIR = str(cache_dir())  # read when each kernel below and in other modules is decorated

if numba.config.USING_SVML:  # numba was imported before sim with SVML on (sim/__init__.py turns it off)
    warnings.warn(
        "numba uses Intel SVML in this process: compiled exp, log and pow may differ in the last bit from other "
        "machines' (set NUMBA_DISABLE_INTEL_SVML=1 before importing numba for the same bytes everywhere)",
        RuntimeWarning,
        stacklevel=2,
    )


def kernel(func: Callable) -> Callable:
    """``func`` compiled in nopython mode with the project's settings (cached, IEEE, numpy errors).

    Its loading (or compiling) on a first call holds a Ctrl-C until it is done (:func:`ctrl_c_held`).
    """
    dispatcher = numba.njit(cache=True, fastmath=False, error_model="numpy")(func)
    load = dispatcher._compile_for_args  # what numba's dispatcher calls for arguments it has no machine code for

    def load_with_ctrl_c_held(*args, **kwargs):
        with ctrl_c_held():
            return load(*args, **kwargs)

    dispatcher._compile_for_args = load_with_ctrl_c_held
    return dispatcher


_holding = False  # a ctrl_c_held block is running (only the main thread holds; inner blocks just run)


@contextlib.contextmanager
def ctrl_c_held():
    """Hold a Ctrl-C (SIGINT) that arrives inside the block; raise it, as its handler would, once the block is done.

    Why: loading a kernel from the cache runs Python inside LLVM's callbacks, where an exception
    is only printed. A Ctrl-C landing there was lost, and the run went on to the end (one
    interrupt in about 180 on 1 December 2026, docs/reliability.md). Loading takes about 0.1 s
    a kernel, at a process's first weeks only, so holding the interrupt that long is not felt.
    Outside the main thread (where handlers cannot be set), with no Python handler installed
    or inside another such block, the block runs as it is.
    """
    global _holding
    previous = signal.getsignal(signal.SIGINT)
    if _holding or not callable(previous) or threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[tuple[int, object]] = []
    signal.signal(signal.SIGINT, lambda signum, frame: held.append((signum, frame)))
    _holding = True
    try:
        yield
    finally:
        _holding = False
        signal.signal(signal.SIGINT, previous)
        if held:  # the interrupt wins over an error of the block's (which stays its context)
            previous(*held[0])


@kernel
def _block_sum(values, start: int, count: int) -> float:
    """Numpy's sum of at most 128 values: one by one under 8, else eight running sums then the rest."""
    if count < 8:
        total = 0.0
        for i in range(count):
            total += values[start + i]
        return total
    r0, r1, r2, r3 = values[start], values[start + 1], values[start + 2], values[start + 3]
    r4, r5, r6, r7 = values[start + 4], values[start + 5], values[start + 6], values[start + 7]
    i = 8
    whole = count - count % 8
    while i < whole:
        r0 += values[start + i]
        r1 += values[start + i + 1]
        r2 += values[start + i + 2]
        r3 += values[start + i + 3]
        r4 += values[start + i + 4]
        r5 += values[start + i + 5]
        r6 += values[start + i + 6]
        r7 += values[start + i + 7]
        i += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < count:
        total += values[start + i]
        i += 1
    return total


@kernel
def pairwise_sum(values) -> float:
    """The sum ``np.sum`` gives for a contiguous 1-D float64 array, bit for bit, inside a kernel.

    A plain loop adds in another order and can differ in the last bit. Numpy splits more than
    128 values into halves (the first a multiple of 8) and adds the halves' sums; the halves
    wait on an explicit stack here, because a recursive kernel cannot be called from another
    kernel once both are loaded from numba's cache (LLVM "Symbol not found", numba issue 6061).
    Sums along an axis of a 2-D array are not this (numpy adds rows elementwise there): write
    them as the numpy form does.
    """
    count = values.size
    if count <= 128:
        return 0.0 + _block_sum(values, 0, count)  # numpy adds the pairwise sum to 0.0: -0.0 sums to 0.0
    starts = np.empty(64, dtype=np.int64)
    counts = np.empty(64, dtype=np.int64)
    stage = np.zeros(64, dtype=np.int64)
    left = np.empty(64)
    top, result = 0, 0.0
    starts[0], counts[0] = 0, count
    while top >= 0:
        start, n = starts[top], counts[top]
        half = n // 2
        half -= half % 8
        if n <= 128:
            result = _block_sum(values, start, n)
            top -= 1
        elif stage[top] == 0:  # the first half
            stage[top] = 1
            top += 1
            starts[top], counts[top], stage[top] = start, half, 0
        elif stage[top] == 1:  # then the second
            left[top] = result
            stage[top] = 2
            top += 1
            starts[top], counts[top], stage[top] = start + half, n - half, 0
        else:  # both: first + second, as numpy adds them
            result = left[top] + result
            top -= 1
    return 0.0 + result


@kernel
def clip01(x: float) -> float:
    """``np.clip(x, 0.0, 1.0)`` for one float, as numpy clips an array (a NaN stays NaN, and so does -0.0)."""
    if x != x:
        return x
    v = x if x >= 0.0 else 0.0
    return v if v <= 1.0 else 1.0


@kernel
def np_minimum(a: float, b: float) -> float:
    """``np.minimum`` of two floats: a NaN wins, else ``a`` only if strictly smaller (ties give ``b``)."""
    if a != a:
        return a
    if b != b:
        return b
    return a if a < b else b


@kernel
def np_maximum(a: float, b: float) -> float:
    """``np.maximum`` of two floats: a NaN wins, else ``a`` only if strictly larger (ties give ``b``)."""
    if a != a:
        return a
    if b != b:
        return b
    return a if a > b else b
