"""The model's generator inside a kernel without numba's per-call unboxing of it.

Why (issue 18, docs/performance-log.md "war"): numba unboxes a ``numpy.random.Generator`` argument on
every call by reading its bit generator's ``ctypes`` interface and calling ``ctypes.cast`` three
times. In a model's week, between other code, that costs 50 to 90 µs a call (about 9 µs in a tight
loop), more than the mission war's whole kernel. Here the interface is read once per generator
(:func:`handles`, an array of six addresses) and the kernel rebuilds numba's own generator from
it (:func:`generator`): the same struct numba's unboxing fills, so ``random``, ``poisson`` and
``integers`` inside the kernel are numba's implementations of numpy's algorithms on the same bit
generator, and draw numpy's stream (``tests/test_war_kernels.py`` checks it, and the state after).

The addresses are valid while the generator lives: :func:`handles` keeps the few generators it
last read (so their addresses cannot be reused by another object) and reads again for any other.
"""

from __future__ import annotations

import ctypes

import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

_GENERATOR = types.NumPyRandomGeneratorType("generator")
_BIT_GENERATOR = types.NumPyRandomBitGeneratorType("bit_generator")
# The fields of numba's bit generator struct (numba/np/random/generator_core.py), in handles' order.
_FIELDS = ("state_address", "state", "fnptr_next_uint64", "fnptr_next_uint32", "fnptr_next_double", "bit_generator")

# The generators read last, newest first, each with its addresses: a model's week alternates
# between its own generator and its neighbours' (sim.neighbours), so one kept pair missed twice
# a week (about 9 µs a miss; issue 18, sixteenth pass). A few are kept, never more.
KEPT = 4
_kept: tuple[tuple[np.random.Generator, np.ndarray], ...] = ()


def handles(rng: np.random.Generator) -> np.ndarray:
    """The addresses numba's generator struct holds for ``rng``, as uint64 (kept for the last few generators read)."""
    global _kept
    kept = _kept  # read once: another thread may replace it (each pair holds its generator alive)
    for pair in kept:
        if pair[0] is rng:
            return pair[1]
    c = rng.bit_generator.ctypes

    def address(function) -> int:
        return ctypes.cast(function, ctypes.c_void_p).value

    fields = (c.state_address, c.state.value, address(c.next_uint64), address(c.next_uint32))
    found = np.array((*fields, address(c.next_double), c.bit_generator.value), dtype=np.uint64)
    _kept = ((rng, found), *kept[: KEPT - 1])
    return found


@intrinsic
def generator(typingctx, addresses):
    """Inside a kernel: the generator whose :func:`handles` are ``addresses``, as numba's unboxing builds it."""
    if not (isinstance(addresses, types.Array) and addresses.dtype == types.uint64 and addresses.ndim == 1):
        return None  # not handles: numba reports no matching signature

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        bit = cgutils.create_struct_proxy(_BIT_GENERATOR)(context, builder)
        for i, name in enumerate(_FIELDS):
            setattr(bit, name, builder.load(builder.gep(data, [context.get_constant(types.intp, i)])))
        made = cgutils.create_struct_proxy(_GENERATOR)(context, builder)  # no parent, no meminfo: never boxed
        made.bit_generator = bit._getvalue()
        return made._getvalue()

    return _GENERATOR(addresses), codegen
