"""The weekly outcomes read from the crews and from the routes, compiled (issue 18, docs/performance-log.md "rest7").

Why compiled: five batches of :mod:`sim.collection` read the same live crews (how many carry each
good, how many of them are mercenaries, how many of each kind, and what the holders know of the
value they move), each in ten or so numpy calls on a few hundred rows; the route entropy was some
twenty more. Here the crews are one loop and the routes two; only the logarithms stay in numpy
(numba's may differ from numpy's in the last bit).

Every value is the numpy form's, bit for bit (``tests/test_collection_kernels.py`` keeps that form
and compares): counts are whole numbers, exact in any order; each sum numpy took of a contiguous
vector (or of a row of a C-ordered matrix) is :func:`sim.compiled.pairwise_sum` of the same values
in the same order; a ``bincount`` adds each bin's weights from zero in the order they come; the
holders' scores are fused as :func:`sim.collection._fuse` multiplies them, holder after holder.
"""

from __future__ import annotations

import numpy as np

from sim.compiled import kernel, np_maximum, pairwise_sum


@kernel
def numpy_sum(values):
    """``values.sum()`` for a contiguous vector, as numpy reduces it: its pairwise sum, added to 0.0.

    The addition to 0.0 changes only a sum of negative zeros (numpy gives 0.0, the pairwise sum
    of eight or more of them -0.0).
    """
    return 0.0 + pairwise_sum(values)


@kernel
def crews_week(alive, good, kind, livelihood, value_ref, known, n_goods, n_kinds, mercenary):
    """The live crews' tallies and the holders' knowledge of the illicit value they move, in one pass.

    Args:
        alive: Rows of the live crews, in row order.
        good: Each crew's good.
        kind: Each crew's kind.
        livelihood: Whether each good is a livelihood good.
        value_ref: Each crew's cargo value per trip.
        known: The holders' scores of each crew's row (holders x rows); rows past its width have none.
        n_goods: The goods' tallies' length (``np.bincount``'s ``minlength``).
        n_kinds: The kinds' tally's length.
        mercenary: The mercenary kind's code.

    Returns:
        carrying and mercenaries by good, crews by kind (as ``sim.outcomes._crew_tally`` and
        ``KindCount`` count them); then, over the live crews with scores, as ``ValueKnown`` and
        ``FusedShare`` compute them: the illicit crews' number, their value's sum, each holder's
        score-weighted value summed, the fused score-weighted value summed, the fused scores' sum
        and the sum of the best holder's scores.
    """
    carrying = np.zeros(n_goods, dtype=np.int64)
    mercenaries = np.zeros(n_goods, dtype=np.int64)
    kinds = np.zeros(n_kinds, dtype=np.int64)
    for r in alive:
        g = good[r]
        carrying[g] += 1
        if kind[r] == mercenary:
            mercenaries[g] += 1
        kinds[kind[r]] += 1
    holders, width = known.shape
    n = 0  # the live crews with scores (rows entered since the knowledge's update have none)
    while n < alive.size and alive[n] < width:
        n += 1
    fused = np.empty(n)
    best = np.empty(n)
    illicit = np.empty(n, dtype=np.int64)  # positions among those n of the crews moving illicit goods
    m = 0
    for i in range(n):
        r = alive[i]
        product = 1.0 - known[0, r]
        top = known[0, r]
        for h in range(1, holders):
            product *= 1.0 - known[h, r]
            top = np_maximum(top, known[h, r])
        fused[i] = 1.0 - product
        best[i] = top
        if not livelihood[good[r]]:
            illicit[m] = i
            m += 1
    value = np.empty(m)
    weighted = np.empty(m)
    for j in range(m):
        value[j] = value_ref[alive[illicit[j]]]
    sums = np.empty(holders)
    for h in range(holders):
        for j in range(m):
            weighted[j] = known[h, alive[illicit[j]]] * value[j]
        sums[h] = numpy_sum(weighted)
    for j in range(m):
        weighted[j] = fused[illicit[j]] * value[j]
    fused_value = numpy_sum(weighted)
    total = numpy_sum(value)
    best_sum = numpy_sum(best) if holders * n else 0.0
    return carrying, mercenaries, kinds, m, total, sums, fused_value, numpy_sum(fused), best_sum


@kernel
def route_shares(total_units, week_units, route_good, order, starts, value_sink):
    """The units on each route to date, each good's value, and each carrying route's share of its good's units.

    Args:
        total_units: The units by route before this week.
        week_units: This week's units by route.
        route_good: Each route's good.
        order: The routes by good, stably (each good's routes keep their order).
        starts: Where each good's routes start in ``order`` (one more entry than goods).
        value_sink: Each good's value per unit at sinks.

    Returns:
        Each good's value shipped (``np.bincount`` of the units by good, times its value), the
        shares ``p`` of the routes that carried something in good order, where each good's
        shares start among them, and the value's sum (numpy's), as ``RouteEntropy`` computed them.
    """
    n_routes = route_good.size
    n_goods = starts.size - 1
    units = np.empty(n_routes)
    for r in range(n_routes):
        units[r] = total_units[r] + week_units[r]
    value = np.zeros(n_goods)
    for r in range(n_routes):
        value[route_good[r]] += units[r]
    for g in range(n_goods):
        value[g] = value[g] * value_sink[g]
    ordered = np.empty(n_routes)
    for i in range(n_routes):
        ordered[i] = units[order[i]]
    shares = np.empty(n_routes)
    ends = np.zeros(n_goods + 1, dtype=np.int64)
    k = 0
    for g in range(n_goods):
        ends[g] = k
        a, b = starts[g], starts[g + 1]
        whole = numpy_sum(ordered[a:b])
        for i in range(a, b):
            if ordered[i] > 0:
                shares[k] = ordered[i] / whole
                k += 1
    ends[n_goods] = k
    return value, shares[:k], ends, numpy_sum(value)


@kernel
def route_entropy(value, total, p, log_p, ends, log_n):
    """Each good's normalised entropy weighted by its share of the value: ``RouteEntropy``'s sum, good by good.

    ``log_p`` and ``log_n`` are numpy's ``log`` of the shares ``p`` and of each good's number of
    routes (NaN where a good has fewer than two: those count nothing); ``p * log_p`` is the
    elementwise product numpy took, one rounding each.
    """
    p_log_p = np.empty(p.size)
    for i in range(p.size):
        p_log_p[i] = p[i] * log_p[i]
    h = 0.0
    for g in range(value.size):
        if value[g] == 0 or log_n[g] != log_n[g]:
            continue
        h += (value[g] / total) * (-numpy_sum(p_log_p[ends[g] : ends[g + 1]]) / log_n[g])
    return h


@kernel
def rents_known(alive, rents, known):
    """The live officials' rents summed, and summed weighted by the holders' fused scores (``RentsKnown``).

    Args:
        alive: Rows of the live officials, in row order.
        rents: Each official's rents.
        known: The holders' scores of each official's row (holders x rows); rows past its width have none.

    Returns:
        The two sums, as ``rents.sum()`` and ``(fuse(scores) * rents).sum()`` over the live
        officials with scores.
    """
    holders, width = known.shape
    n = 0
    while n < alive.size and alive[n] < width:
        n += 1
    own = np.empty(n)
    weighted = np.empty(n)
    for i in range(n):
        r = alive[i]
        product = 1.0 - known[0, r]
        for h in range(1, holders):
            product *= 1.0 - known[h, r]
        own[i] = rents[r]
        weighted[i] = (1.0 - product) * rents[r]
    return numpy_sum(own), numpy_sum(weighted)


@kernel
def community_indices(weights, now, reference, empty, variable, mask):
    """Population-weighted indices of community variables against their reference (``CommunityIndex``).

    Args:
        weights: Each set of weights over the communities (sets x communities).
        now: Each variable's value at each community (variables x communities).
        reference: The variables' weighted references (variables x sets); empty: each index against itself.
        empty: Sets of weights that weigh no community (their index is 1.0).
        variable: The variable of each index asked for.
        mask: The set of weights of each index asked for.

    Returns:
        Each index asked for: the weighted sum (numpy's, of the products in community order) over
        the reference, or over ``np.maximum(sum, 1e-12)`` when there is no reference.
    """
    n = weights.shape[1]
    product = np.empty(n)
    out = np.empty(variable.size)
    for i in range(variable.size):
        v, w = variable[i], mask[i]
        if empty[w]:
            out[i] = 1.0
            continue
        for j in range(n):
            product[j] = weights[w, j] * now[v, j]
        total = numpy_sum(product)
        den = reference[v, w] if reference.size else np_maximum(total, 1e-12)
        out[i] = total / den
    return out


# What each value of ``week_values`` is (its ``op``).
ENTRY, SUM, RATIO, SHARE = 0, 1, 2, 3


@kernel
def _segment_sum(values, positions, a, b, gathered):
    """The sum of ``values[positions[a:b]]`` as numpy takes it, the entries gathered into ``gathered`` first."""
    for j in range(b - a):
        gathered[j] = values[positions[a + j]]
    return numpy_sum(gathered[: b - a])


@kernel
def week_values(values, positions, starts, op, first):
    """The outcomes read from the week's counters (``FlatWeek``), in one pass: entries, sums, ratios, shares.

    ``positions[starts[s]:starts[s + 1]]`` is segment ``s``: entries of the flat buffer ``values``
    (``Stats.flat``). Value ``i`` reads the segments from ``first[i]`` on, as ``op[i]`` says:

    - ``ENTRY``: the one entry of its segment (``_week_at``);
    - ``SUM``: numpy's sum of its segment's entries in their order (``_week_places``, ``_week_sum``,
      ``_illicit_week``);
    - ``RATIO``: the entries ``a`` and ``b`` of two segments, ``a / b`` if ``b > 0``, else 0.0
      (``_ratio_week_at``);
    - ``SHARE``: the sums ``a``, ``b``, ``c`` of three segments, ``a / (b + c)`` if ``b + c > 0``,
      else 0.0 (``_share_week``).

    Each is the reporter's float, bit for bit: the same sums of the same numbers in the same order,
    one IEEE division.
    """
    longest = 0
    for s in range(starts.size - 1):
        longest = max(longest, starts[s + 1] - starts[s])
    gathered = np.empty(longest)
    out = np.empty(op.size)
    for i in range(op.size):
        s, kind = first[i], op[i]
        if kind == ENTRY:
            out[i] = values[positions[starts[s]]]
        elif kind == SUM:
            out[i] = _segment_sum(values, positions, starts[s], starts[s + 1], gathered)
        elif kind == RATIO:
            a, b = values[positions[starts[s]]], values[positions[starts[s + 1]]]
            out[i] = a / b if b > 0 else 0.0
        else:
            a = _segment_sum(values, positions, starts[s], starts[s + 1], gathered)
            b = _segment_sum(values, positions, starts[s + 1], starts[s + 2], gathered)
            b += _segment_sum(values, positions, starts[s + 2], starts[s + 3], gathered)
            out[i] = a / b if b > 0 else 0.0
    return out


@kernel
def finite_sum(values):
    """The sum of the finite values in order, one after another, and how many there are.

    :func:`sim.outcomes._finite_mean`'s loop (the same additions in the same order; run totals
    of levels and shares read over weeks that have them).
    """
    total = 0.0
    n = 0
    for v in values:
        if np.isfinite(v):
            total += v
            n += 1
    return total, n
