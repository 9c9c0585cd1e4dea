"""Arrays compared bit for bit: the kernels' tests hold compiled code to its plain form this way."""

from __future__ import annotations

import numpy as np


def bits(a) -> bytes:
    """An array's dtype, shape and bytes: equal only if every value has the same bits (NaN, -0.0 too)."""
    a = np.asarray(a)
    return a.dtype.str.encode() + str(a.shape).encode() + a.tobytes()
