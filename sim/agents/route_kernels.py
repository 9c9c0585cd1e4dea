"""The crews' route choice compiled (issue 18, fifth pass): candidate sums, then Gumbel choice.

Route choice is random utility (NarcoLogic-style adaptive route choice; 002 §II, FACTS M8):
each planning crew scores its group's candidate routes by expected profit per unit and picks
the best after a Gumbel perturbation. :meth:`sim.agents.trafficker.Crews._choose_routes` calls
the two kernels below with numpy's ``exp`` between them: numba's ``exp`` differs from numpy's
vectorized one in the last bit (about 5% of values on this machine), and so do ``log1p`` and
``log`` on arrays, so the perceived log-odds (``log1p``) and the odds (``exp``) stay in numpy.

Both kernels do what the numpy forms did, in the same order, bit for bit
(``tests/test_route_kernels.py`` keeps those forms as references): crews are taken in the
order given, candidates in their group's order, and the Gumbel draws are made from the model's
generator in numpy's order (row by row, every candidate, open or not), so the random stream is
the one ``Generator.gumbel(size=(crews, candidates))`` draws.
"""

from __future__ import annotations

import numpy as np

from sim.compiled import kernel


@kernel
def candidate_log_sums(per_place, group, group_routes, indptr, indices, data):
    """Sum of each crew's ``per_place`` row over each of its group's candidate routes (crews x candidates).

    What the sparse product ``node_incidence @ per_place.T`` gives at the candidates: each
    route's terms (weight times value, weights as stored) added from zero in the order of the
    route's stored places. Padding candidates (route -1) get zero.

    Args:
        per_place: (crews x places + 1) log-odds of getting through each place, as the crews perceive it.
        group: Each crew's (good, source) group.
        group_routes: (groups x candidates) route of each candidate, -1 for padding.
        indptr: Where each route's places start in ``indices`` (the route incidence in CSR form).
        indices: The places of each route, in stored order.
        data: The weight of each stored place.
    """
    n = group.size
    n_cand = group_routes.shape[1]
    out = np.zeros((n, n_cand))
    for i in range(n):
        g = group[i]
        for c in range(n_cand):
            r = group_routes[g, c]
            if r < 0:
                continue
            total = 0.0
            for k in range(indptr[r], indptr[r + 1]):
                total += data[k] * per_place[i, indices[k]]
            out[i, c] = total
    return out


# Above any standard Gumbel draw numpy can make: u = 1 - random() is at most 1 - 2**-53, where
# -log(-log(u)) is about 36.74.
GUMBEL_MAX = 37.0


@kernel
def _gumbel(u):
    """The standard Gumbel value numpy makes of a uniform ``u`` in (0, 1): ``0 - 1 * log(-log(u))``."""
    return 0.0 - np.log(-np.log(u))


@kernel
def choose_by_profit(
    survival, group, good, cand_route, cand_sink, value_source, cand_transport, cand_pay, cand_open, scale, rng
):
    """Each crew's route (best expected profit after Gumbel noise) and whether its trip pays.

    Expected profit per unit of a candidate: ``survival * sink - source price - transport - pay``
    (left to right, as numpy evaluates it), minus infinity where the candidate is closed. The
    noise is one standard Gumbel draw per candidate (numpy's algorithm: ``u = 1 - random()``,
    redrawn while ``u >= 1``, then ``0 - log(-log(u))``), times the crew's ``scale``, added to
    the profit; the pick is the first maximum (``np.argmax``: a NaN, if any, wins first).

    Every uniform is drawn, in numpy's order, but the two logarithms are taken only where they
    can matter: the candidate of highest profit gets its noisy value first, and any other whose
    noisy value cannot reach it (its profit plus ``GUMBEL_MAX`` times a non-negative scale, which
    rounding keeps an upper bound, falls below it) is neither the maximum nor tied with it. Closed
    candidates (minus infinity) and padding are skipped so, and most open ones.

    Args:
        survival: (crews x candidates) perceived odds of getting through, raised to the crew's risk aversion.
        group: Each crew's (good, source) group.
        good: Each crew's good.
        cand_route: (groups x candidates) route of each candidate (padding: any route, closed).
        cand_sink: (groups x candidates) sink price of each candidate.
        value_source: Source price of each good.
        cand_transport: (groups x candidates) transport cost per unit.
        cand_pay: (groups x candidates) expected bribes, tolls, services and protection per unit.
        cand_open: (groups x candidates) whether the candidate can be chosen.
        scale: Each crew's noise scale (choice noise times the good's margin).
        rng: The model's generator (draws numpy's stream).

    Returns:
        The chosen route of each crew, and whether its expected profit there is positive.
    """
    n = group.size
    n_cand = cand_route.shape[1]
    route = np.empty(n, dtype=np.int64)
    pays = np.empty(n, dtype=np.bool_)
    profit = np.empty(n_cand)
    uniform = np.empty(n_cand)
    for i in range(n):
        g = group[i]
        source = value_source[good[i]]
        s = scale[i]
        top = 0
        for c in range(n_cand):
            p = survival[i, c] * cand_sink[g, c] - source - cand_transport[g, c] - cand_pay[g, c]
            if not cand_open[g, c]:
                p = -np.inf
            profit[c] = p
            u = 1.0 - rng.random()
            while u >= 1.0:
                u = 1.0 - rng.random()
            uniform[c] = u
            if p > profit[top]:
                top = c
        top_value = _gumbel(uniform[top]) * s + profit[top]
        bounded = s >= 0.0
        best = -1
        best_value = 0.0
        found_nan = False
        for c in range(n_cand):
            if c == top:
                noisy = top_value
            elif bounded and GUMBEL_MAX * s + profit[c] < top_value:
                continue  # below the top candidate's value: neither the first maximum nor a NaN
            else:
                noisy = _gumbel(uniform[c]) * s + profit[c]
            if found_nan:
                continue
            if best < 0 or noisy > best_value or np.isnan(noisy):
                best, best_value = c, noisy
                found_nan = np.isnan(noisy)
        route[i] = cand_route[g, best]
        pays[i] = profit[best] > 0
    return route, pays
