"""The outcome collection's costliest batches compiled: the same sums of the same products, bit for bit.

Why (issue 18, docs/performance.md "war"): a batch of the collection is a dozen numpy calls a
week on a few hundred numbers, each with a microsecond of overhead and a temporary array. These
kernels do the batches' arithmetic in one call. Every sum is numpy's pairwise summation of a
contiguous vector, so the values are those of the numpy forms (kept in
``tests/test_war_kernels.py`` as the reference they are checked against).

The sum is :func:`pairwise_sum`, numpy's recursion written as a loop: a cached kernel that calls
the recursive :func:`sim.compiled.pairwise_sum` crashes when it is loaded from numba's cache (an
unresolved symbol of the recursion, then a segmentation fault; numba 0.68).
"""

from __future__ import annotations

import numpy as np

from sim.compiled import kernel

_BLOCK = 128  # numpy's PW_BLOCKSIZE: runs up to this long are summed with eight accumulators


@kernel
def _block(values, start, count):
    """Numpy's pairwise sum of a run of at most 128 values (its loops_utils), step for step."""
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
def pairwise_sum(values):
    """The sum ``np.sum`` gives for a contiguous 1-D float64 array, bit for bit, without recursion.

    Numpy halves a run longer than 128 (the first half a multiple of 8) and adds the halves' sums;
    here the halving is walked with a stack, each half's sum added to its sibling's in the same order.
    """
    count = values.size
    if count <= _BLOCK:
        return _block(values, 0, count)
    starts = np.empty(64, np.int64)  # the runs being halved, from the whole down to the current one
    counts = np.empty(64, np.int64)
    halves = np.empty(64, np.int64)
    lefts = np.empty(64)  # the first half's sum, once known
    right = np.zeros(64, np.bool_)  # whether the run's first half is done
    top = 0
    starts[0], counts[0] = 0, count
    while True:
        if counts[top] > _BLOCK:  # halve it: the first half next
            half = counts[top] // 2
            half -= half % 8
            halves[top], right[top] = half, False
            starts[top + 1], counts[top + 1] = starts[top], half
            top += 1
            continue
        total = _block(values, starts[top], counts[top])
        while True:  # hand the sum up until a second half is still to do
            if top == 0:
                return total
            top -= 1
            if not right[top]:
                lefts[top], right[top] = total, True
                starts[top + 1] = starts[top] + halves[top]
                counts[top + 1] = counts[top] - halves[top]
                top += 1
                break
            total = lefts[top] + total


@kernel
def community_indices(weights, now, denominator, regional):
    """Every community variable against every set of weights: ``(weights * now[:, None]).sum(axis=2) / denominator``.

    Each (variable, weights) cell is the pairwise sum of that variable's weighted values, as numpy
    sums a C-ordered product along its last axis. Without references (``denominator`` empty) each
    index is against itself, at least 1e-12 (``np.maximum``, nan kept). Sets of weights that are
    regional and empty (no community there) give 1.0.

    Args:
        weights: Population times membership, one row per set of weights (sets x communities).
        now: This week's value of each variable (variables x communities).
        denominator: The references' weighted sums (variables x sets), or an empty matrix.
        regional: Whether each set of weights is a region's.
    """
    n_sets, n = weights.shape
    table = np.empty((now.shape[0], n_sets))
    row = np.empty(n)
    empty = np.empty(n_sets, np.bool_)
    for j in range(n_sets):
        empty[j] = regional[j] and not weights[j].any()
    for i in range(now.shape[0]):
        for j in range(n_sets):
            for c in range(n):
                row[c] = weights[j, c] * now[i, c]
            total = pairwise_sum(row)
            if denominator.size:
                table[i, j] = total / denominator[i, j]
            else:
                table[i, j] = total / (total if (total >= 1e-12 or total != total) else 1e-12)
            if empty[j]:
                table[i, j] = 1.0
    return table


@kernel
def value_known(alive, known, fused, livelihood, good, cargo_value, with_fused):
    """Illicit value per trip known to each holder, before dividing by the total (``_value_known``).

    The live crews moving illicit goods are counted; the value known to each holder is the pairwise
    sum of its scores times their cargoes' value, as ``(known.take(at, axis=1) * value).sum(axis=1)``
    sums a C-ordered matrix by rows; the fused view's likewise.

    Args:
        alive: The live crews' rows.
        known: Each holder's scores of the live crews (holders x live crews, C-ordered).
        fused: The live crews' fused scores.
        livelihood: Whether each good is a livelihood good (not illicit).
        good: Each crew's good (a column of the crews' table).
        cargo_value: Each crew's cargo value at reference prices (a column of the crews' table).
        with_fused: Whether the fused view is asked for (else its sum is 0.0).

    Returns:
        (weighted, fused sum, total value, crews counted).
    """
    at = np.empty(alive.size, np.int64)
    n = 0
    for k in range(alive.size):
        if not livelihood[good[alive[k]]]:
            at[n] = k
            n += 1
    value = np.empty(n)
    for c in range(n):
        value[c] = cargo_value[alive[at[c]]]
    total = pairwise_sum(value)
    weighted = np.zeros(known.shape[0])
    if n == 0 or total <= 0:
        return weighted, 0.0, total, n
    row = np.empty(n)
    for h in range(known.shape[0]):
        for c in range(n):
            row[c] = known[h, at[c]] * value[c]
        weighted[h] = pairwise_sum(row)
    fused_sum = 0.0
    if with_fused:
        for c in range(n):
            row[c] = fused[at[c]] * value[c]
        fused_sum = pairwise_sum(row)
    return weighted, fused_sum, total, n
