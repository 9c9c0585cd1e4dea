"""The crews' week compiled (issue 18, fifth and sixth passes), kernel by kernel in the week's order.

* Route costs (M1, M3): :func:`sink_values_moved` (the value carried along the routes whose sink
  price moved), :func:`protection_and_tolls` (each route's protecting bloc and tolls, when the
  blocs' hold changed) and :func:`route_pay` (the week's expected bribes, tolls,
  services and protection per route and per candidate).
* Planning (002 §II: crews buy at sources): :func:`come_home` (crews on their way home, and the
  idle crews), :func:`queue_front` (each source's queue, in a random order, up to its stock),
  route choice (below) and :func:`buy_and_depart` (purchases in queue order, departures and their
  counts), these two in one call since the tenth pass (:func:`choose_and_depart`).
* Route choice is random utility (NarcoLogic-style adaptive route choice; 002 §II, FACTS M8):
  each planning crew scores its group's candidate routes by expected profit per unit and picks
  the best after a Gumbel perturbation. :meth:`sim.agents.trafficker.Crews._route_odds` calls
  :func:`route_survival` (the perceived odds; one call since the twelfth pass);
  :func:`choose_and_depart` then calls :func:`choose_by_profit`.
* The encounters (002 §II; M3, M14, M15, M21): :meth:`sim.agents.trafficker.Crews._travel`
  calls :func:`places_passed` (the moving crews, the places they pass and their odds), the
  officials' odds where they are on duty, then :func:`encounters_met`: :func:`encounters_and_dues`
  for the outcomes, first losses and dues of the week and :func:`met_encounters` (the payments,
  services bought and encounters met, for the books) in one call. With officials (issue 18,
  eleventh pass) :func:`passed_and_on_duty` adds to :func:`places_passed` the draw of who is on
  duty and the gains he weighs, and :func:`officials_and_encounters` writes his odds before
  :func:`encounters_met` (the weighing between the two: ``official_kernels.weighed_exponentials``);
  :func:`settle_encounters` is ``Officials.settle`` (the neighbours abroad, the Malian
  bookings, the arrests' draws). After the officials' and
  blocs' settlements, :func:`after_encounters`: :func:`learn_and_count` (perceived risk, M8;
  traffic counts), :func:`lose_cargo` and :func:`arrive_and_sell` (sales, profit shares with
  protectors, M1, M3) in one call (issue 18, tenth pass: fewer calls, less numpy between them).
* The end of the week: :func:`upkeep_and_exit`, and entry (M4): :func:`entrants_by_good`
  (:func:`entry_rates` and the Poisson draws, in one call since the tenth pass), then
  :func:`draw_entrants`, whose draws come from the model's generator inside
  the kernel (:mod:`sim.kernel_rng`): few a week, interleaved good by good, so one call beats a
  numpy call per good.

Python keeps what needs the model's objects, in the order it happened: the ledger's payments,
the officials' odds and settlements, the communities' and blocs' incomes, agents' creation and
removal. The kernels return what those need (rows, amounts) and change the crews' columns, the
ledger's unit counts and the week's statistics in place.

Every kernel does what the numpy form did, in the same order, bit for bit
(``tests/test_route_kernels.py`` keeps those forms as references): crews in the order given,
candidates in their group's order, entries in route order, sums in numpy's order. The elementwise
``log1p``, ``exp`` and ``log`` inside kernels are the C library's, as numba calls them. On a CPU
with AVX-512, numpy has vectorized double-precision forms of its own that differ from the C
library's in the last bit (``exp`` in 5 to 9% of values, ``log1p`` in 0.1 to 7%, measured on
such a machine); on others (AVX2 only, as the machine of 30 November's afternoon) numpy's are
the C library's, bit for bit (``tests/test_compiled.py`` checks which). So the kernels' results
are the same on every CPU with the same C library, and equal numpy's forms where numpy's
functions are the C library's;
:func:`route_survival` takes the crews' ``log1p`` and ``exp`` in, and
``official_kernels.weighed_exponentials`` the officials' (twelfth pass). What stays in numpy:
the draws of route choice and encounters (one numpy call of uniforms, in the stream's order, is faster than
numba's draws one by one; :func:`sim.draws.gumbel_uniforms` for the Gumbel noise). The Gumbel
logarithms of single draws are numpy's scalar ones (its
generator's C code), which numba's match bit for bit.
"""

from __future__ import annotations

import numpy as np

from sim.agents.official_kernels import encounter_rates, encounter_ratios, settle_week
from sim.compiled import kernel, np_minimum, pairwise_sum
from sim.enforcement import Outcome
from sim.kernel_rng import generator
from sim.names import Kind

# Outcome codes as plain integers (numba freezes module-level integers into the kernels).
ROUTINE, SETTLED, SEIZED, ROBBED = int(Outcome.ROUTINE), int(Outcome.SETTLED), int(Outcome.SEIZED), int(Outcome.ROBBED)
LOCAL, TRANSNATIONAL, MERCENARY = int(Kind.LOCAL), int(Kind.TRANSNATIONAL), int(Kind.MERCENARY)
IDLE = 0  # sim.agents.trafficker.State.IDLE (that module imports this one)


@kernel
def route_survival(
    crews,
    group,
    kind,
    kind_aversion,
    network,
    own_risk,
    network_risk,
    own_weight,
    group_routes,
    indptr,
    indices,
    data,
    group_start,
    group_places,
):
    """Each planning crew's perceived odds of getting through each of its group's candidate routes.

    Perceived risk at a place blends the crew's own experience with its network's (M8; 002 §II),
    capped below one; the log-odds of getting through it are ``log1p(-risk)``. A route's log-odds
    are the sparse product ``node_incidence @ log_odds``: its places' terms (weight times value)
    added from zero in the route's stored order; padding candidates (route -1) get zero. The
    crew's odds are ``exp`` of that sum times its kind's risk aversion (the exponent of the
    perceived odds); the padding candidates' ``exp(a * 0.0)`` is taken once per crew (about half
    the candidates are padding; issue 18, fifteenth pass). The log-odds are computed only at the
    places the crew's group's candidates pass (``group_places``, about half of them), once per crew.

    The elementwise ``log1p`` and ``exp`` are the C library's (numba calls it): what numpy's
    functions give on CPUs where numpy has no vectorized double-precision form of its own, this
    one's included (``tests/test_route_kernels.py``), and the same on every CPU, where numpy's
    AVX-512 forms are not (issue 18, docs/performance.md "Compiled kernels").

    Args:
        crews: The planning crews' rows.
        group: Each planning crew's (good, source) group.
        kind: Kind of every crew row.
        kind_aversion: Risk aversion of each kind.
        network: Network of every crew row.
        own_risk: (crew rows x places + 1) the crews' own risk estimates.
        network_risk: (networks x places + 1) the networks' risk estimates.
        own_weight: The weight of the crew's own estimate.
        group_routes: (groups x candidates) route of each candidate, -1 for padding.
        indptr: Where each route's places start in ``indices`` (the route incidence in CSR form).
        indices: The places of each route, in stored order.
        data: The weight of each stored place.
        group_start: Where each group's places start in ``group_places`` (one more than groups).
        group_places: The places of each group's candidates, each once (:func:`candidate_places`).

    Returns:
        (crews x candidates) the perceived odds.
    """
    n = crews.size
    n_cand = group_routes.shape[1]
    other = 1.0 - own_weight
    log_pass = np.empty(own_risk.shape[1])
    out = np.empty((n, n_cand))
    for i in range(n):
        crew = crews[i]
        own = own_risk[crew]
        shared = network_risk[network[crew]]
        g = group[i]
        for k in range(group_start[g], group_start[g + 1]):
            j = group_places[k]
            log_pass[j] = np.log1p(-np_minimum(own[j] * own_weight + shared[j] * other, 0.999999))
        a = kind_aversion[kind[crew]]
        padding = np.exp(a * 0.0)  # a padding candidate's odds: its sum stays 0.0 (one exp, not one each)
        for c in range(n_cand):
            r = group_routes[g, c]
            if r < 0:
                out[i, c] = padding
                continue
            total = 0.0
            for k in range(indptr[r], indptr[r + 1]):
                total += data[k] * log_pass[indices[k]]
            out[i, c] = np.exp(a * total)
    return out


def candidate_places(group_routes, indptr, indices):
    """For :func:`route_survival`: each group's candidates' places, each once, as (starts, places).

    Python, once per model: the candidates and the incidence do not change.
    """
    starts, places = [0], []
    for routes in group_routes:
        seen = sorted({int(j) for r in routes if r >= 0 for j in indices[indptr[r] : indptr[r + 1]]})
        places.extend(seen)
        starts.append(len(places))
    return np.array(starts, dtype=np.int64), np.array(places, dtype=np.int64)


@kernel
def protection_and_tolls(nodes, live, protecting, alliance, toll, needs_protection, route_good):
    """Which bloc protects each route (the one holding most of its places passed; M1, M3) and the tolls it pays.

    A route is protected when its good needs protection and a bloc holds any place it passes;
    the protecting bloc is the one holding most of them, the lowest-numbered on a tie (numpy's
    ``argmax`` of the counts). Tolls are the toll rates of the places (padding positions read
    place 0, as the numpy form did), zero where the place's bloc is allied with (``alliance``
    names) the protecting bloc. Counts are whole numbers, exact in any order.

    Args:
        nodes: (routes x positions) the place at each position, padding and the source mapped to 0.
        live: (routes x positions) whether the position is a place passed after departure.
        protecting: The bloc holding each place (-1: none).
        alliance: The bloc each place's holder is allied with (-1: none).
        toll: The toll rate at each place.
        needs_protection: Whether each good needs protection.
        route_good: Each route's good.

    Returns:
        Whether each route is protected, its protecting bloc (-1: none) and (routes x positions) its tolls.
    """
    n_routes, width = nodes.shape
    n_blocs = max(protecting.max(), 0) + 1
    counts = np.zeros(n_blocs)
    protected = np.empty(n_routes, dtype=np.bool_)
    bloc = np.empty(n_routes, dtype=np.int64)
    tolls = np.empty((n_routes, width))
    for r in range(n_routes):
        counts[:] = 0.0
        for j in range(width):
            if live[r, j] and protecting[nodes[r, j]] >= 0:
                counts[protecting[nodes[r, j]]] += 1.0
        best = 0
        for b in range(1, n_blocs):
            if counts[b] > counts[best]:
                best = b
        protected[r] = counts[best] > 0 and needs_protection[route_good[r]]
        bloc[r] = best if protected[r] else -1
        for j in range(width):
            place = nodes[r, j]
            exempt = bloc[r] >= 0 and live[r, j] and alliance[place] == bloc[r]
            tolls[r, j] = 0.0 if exempt else toll[place]
    return protected, bloc, tolls


@kernel
def route_pay(
    live,
    passed,
    route_good,
    seize,
    settle,
    settle_share,
    routine,
    routine_share,
    route_toll,
    services,
    value_at,
    protection_unit,
    cand_route,
):
    """Expected bribes, tolls, services and protection per unit of each route, and of each group's candidates.

    The expected bribe per unit of value at a (place, good) cell is the settled share when
    officials settle plus the routine payment when they neither seize nor settle (M3; 002 §II):
    ``settle * settle_share + (1 - seize - settle) * routine * routine_share``. At each place
    passed the bribe, the toll and the services share are added and multiplied by the value
    carried there; each route's row (zeros where nothing is passed) is summed as numpy sums a
    row, then the protection fee is added: the numpy form's operations in its order.

    Args:
        live: (routes x positions) whether the position is a place passed after departure.
        passed: (routes x positions) the place at each position (read where live).
        route_good: Each route's good.
        seize: (places x goods) odds of seizure.
        settle: (places x goods) odds of a settled bribe.
        settle_share: Share of the value a settled bribe takes, by place.
        routine: Odds of a routine payment, by place.
        routine_share: Share of the value a routine payment takes, by place.
        route_toll: (routes x positions) toll rate paid at each position.
        services: Services bought per unit of value passing a place.
        value_at: (routes x positions) value of a unit at each position.
        protection_unit: Protection fee per unit of each route.
        cand_route: (groups x candidates) route of each candidate.

    Returns:
        The pay per unit of each route, and of each group's candidates.
    """
    n_routes, width = live.shape
    n_places, n_goods = seize.shape
    per_cell = np.empty((n_places, n_goods))
    for p in range(n_places):
        for g in range(n_goods):
            per_cell[p, g] = (
                settle[p, g] * settle_share[p] + (1 - seize[p, g] - settle[p, g]) * routine[p] * routine_share[p]
            )
    pay = np.empty(n_routes)
    row = np.empty(width)
    for r in range(n_routes):
        g = route_good[r]
        for j in range(width):
            if live[r, j]:
                row[j] = (per_cell[passed[r, j], g] + route_toll[r, j] + services) * value_at[r, j]
            else:
                row[j] = 0.0
        pay[r] = pairwise_sum(row) + protection_unit[r]
    n_groups, n_cand = cand_route.shape
    cand_pay = np.empty((n_groups, n_cand))
    for k in range(n_groups):
        for c in range(n_cand):
            cand_pay[k, c] = pay[cand_route[k, c]]
    return pay, cand_pay


# Above any standard Gumbel draw numpy can make: u = 1 - random() is at most 1 - 2**-53, where
# -log(-log(u)) is about 36.74.
GUMBEL_MAX = 37.0


@kernel
def _gumbel(u):
    """The standard Gumbel value numpy makes of a uniform ``u`` in (0, 1): ``0 - 1 * log(-log(u))``."""
    return 0.0 - np.log(-np.log(u))


@kernel
def choose_by_profit(
    survival, group, good, cand_route, cand_sink, value_source, cand_transport, cand_pay, cand_open, scale, uniform
):
    """Each crew's route (best expected profit after Gumbel noise) and whether its trip pays.

    Expected profit per unit of a candidate: ``survival * sink - source price - transport - pay``
    (left to right, as numpy evaluates it), minus infinity where the candidate is closed. The
    noise is one standard Gumbel draw per candidate, numpy's ``0 - log(-log(u))`` of the
    candidate's ``uniform`` (:func:`sim.draws.gumbel_uniforms`: the same generator calls as
    ``rng.gumbel(size=(crews, candidates))``, in one numpy call, faster than draws one by one in
    a kernel), times the crew's ``scale``, added to the profit; the pick is the first maximum
    (``np.argmax``: a NaN, if any, wins first).

    The two logarithms are taken only where they can matter: the candidate of highest profit
    gets its noisy value first, and any other whose noisy value cannot reach the highest value
    reached so far (its profit plus an upper bound of its Gumbel value times a non-negative
    scale falls below it) is neither the maximum nor tied with it. The bound is the smaller of
    ``GUMBEL_MAX`` and ``u / (1 - u)``: ``-log(u) >= 1 - u`` and ``-log(v) <= 1 / v - 1`` give
    ``-log(-log(u)) <= u / (1 - u)``, with a margin (with the cap, at least a quarter of a unit
    over every ``u`` numpy can draw; ``tests/test_route_kernels.py`` checks it) that the few
    roundings on either side cannot close, and rounding is monotone, so the bound times the
    scale plus the profit stays at or above the noisy value as computed. Closed
    candidates (minus infinity) and padding are skipped so; a NaN profit or scale is never
    skipped (its comparisons are false).

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
        uniform: (crews x candidates) the Gumbel draws' uniforms (``u``, in (0, 1]).

    Returns:
        The chosen route of each crew, and whether its expected profit there is positive.
    """
    n = group.size
    n_cand = cand_route.shape[1]
    route = np.empty(n, dtype=np.int64)
    pays = np.empty(n, dtype=np.bool_)
    profit = np.empty(n_cand)
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
            if p > profit[top]:
                top = c
        top_value = _gumbel(uniform[i, top]) * s + profit[top]
        bounded = s >= 0.0
        best = -1
        best_value = 0.0
        reached = top_value  # a value some candidate reaches: the maximum is at least this
        found_nan = False
        for c in range(n_cand):
            if c == top:
                noisy = top_value
            else:
                if bounded:
                    u = uniform[i, c]
                    bound = u / (1.0 - u)  # above the Gumbel value of u (see the docstring)
                    if bound > GUMBEL_MAX:
                        bound = GUMBEL_MAX
                    if bound * s + profit[c] < reached:
                        continue  # below a value reached: neither the first maximum nor a NaN
                noisy = _gumbel(uniform[i, c]) * s + profit[c]
                if noisy > reached:
                    reached = noisy
            if found_nan:
                continue
            if best < 0 or noisy > best_value or np.isnan(noisy):
                best, best_value = c, noisy
                found_nan = np.isnan(noisy)
        route[i] = cand_route[g, best]
        pays[i] = profit[best] > 0
    return route, pays


@kernel
def encounters_and_dues(
    uniform,
    pi,
    pj,
    place,
    seize,
    settle,
    routine,
    value,
    broker,
    shield,
    ban,
    crossing,
    bloc,
    rob,
    settle_share,
    routine_share,
    alliance,
    toll,
    services_share,
    cash,
):
    """The week's encounters of the moving crews: their outcomes, the first losses, and what is paid.

    The places passed are entries, crew ``pi`` (of ``n = cash.size`` moving crews) at position
    ``pj`` of its route, in route order (each crew's entries consecutive, as
    :func:`places_passed` gives them). Per entry, in this order (002 §II; M3, M15, M21, M14):
    brokers are spared ``shield`` of the seizure odds; listed crews at border crossings face
    their travel ban's extra odds (at most 1); unprotected crews (``bloc`` -1) face the place's
    robbery odds. ``uniform`` holds one draw for every position of every crew's route (``n x
    width``, drawn by the caller in one numpy call, faster than draws one by one in a kernel) and
    the entry's decides: seizure
    first, then robbery, then a settled bribe, then a routine payment (cumulative thresholds;
    the first one the draw falls under). A crew's first loss (seized or robbed) ends its trip:
    it meets the places up to it and pays at those before it its bribes (settled or routine
    share of the value), the tolls of blocs it is not allied with, and services. Each crew's dues
    are summed over its whole route row (zeros elsewhere) by numpy's pairwise rule, and it pays
    what its cash allows: every payment is scaled by paid over due.

    Returns:
        outcome (entries), first (each crew's position of first loss, ``width`` if none), met
        (entries up to the first loss), pay (3 x entries: bribes, tolls, services after
        scaling), paid (each crew's total), lost_at (the entry of each crew's first loss, in
        order).
    """
    n, width = uniform.shape
    m = pi.size
    outcome = np.zeros(m, dtype=np.int64)
    n_lost = 0
    for e in range(m):
        i = pi[e]
        s = seize[e]
        if broker[i]:
            s = s * (1.0 - shield)
        if ban[i] > 0 and crossing[place[e]]:
            raised = s * (1.0 + ban[i])
            s = 1.0 if raised > 1.0 else raised  # np.minimum(1, x): a NaN stays
        robbed = 0.0 if bloc[i] >= 0 else rob[place[e]]
        u = uniform[i, pj[e]]
        c1 = s
        c2 = c1 + (1 - c1) * robbed
        c3 = c2 + (1 - c2) * settle[e]
        c4 = c3 + (1 - c3) * routine[e]
        if u < c1:
            outcome[e] = SEIZED
        elif u < c2:
            outcome[e] = ROBBED
        elif u < c3:
            outcome[e] = SETTLED
        elif u < c4:
            outcome[e] = ROUTINE
        if outcome[e] == SEIZED or outcome[e] == ROBBED:
            n_lost += 1
    # Each crew's first loss, in entry order.
    first = np.full(n, width, dtype=np.int64)
    heads = np.empty(n_lost, dtype=np.int64)
    n_heads = 0
    previous = -1
    for e in range(m):
        if outcome[e] == SEIZED or outcome[e] == ROBBED:
            if n_heads == 0 or pi[e] != previous:
                heads[n_heads] = e
                n_heads += 1
                first[pi[e]] = pj[e]
            previous = pi[e]
    met = np.empty(m, dtype=np.bool_)
    pay = np.zeros((3, m))
    begin = np.zeros(n, dtype=np.int64)  # each crew's entries (consecutive): begin to end
    end = np.zeros(n, dtype=np.int64)
    for e in range(m):
        i = pi[e]
        if e == 0 or pi[e - 1] != i:
            begin[i] = e
        end[i] = e + 1
        met[e] = pj[e] <= first[i]
        if pj[e] < first[i]:
            if outcome[e] == SETTLED:
                share = settle_share[place[e]]
            elif outcome[e] == ROUTINE:
                share = routine_share[place[e]]
            else:
                share = 0.0
            pay[0, e] = share * value[e]
            if not (alliance[place[e]] == bloc[i] and bloc[i] >= 0):
                pay[1, e] = toll[place[e]] * value[e]
            pay[2, e] = services_share * value[e]
    paid = np.empty(n)
    ratio = np.empty(n)
    rows = np.zeros((3, width))  # one crew's dues along its route row, zeros elsewhere
    for i in range(n):
        for e in range(begin[i], end[i]):
            for k in range(3):
                rows[k, pj[e]] = pay[k, e]
        due = pairwise_sum(rows[0]) + pairwise_sum(rows[1]) + pairwise_sum(rows[2])
        for e in range(begin[i], end[i]):
            for k in range(3):
                rows[k, pj[e]] = 0.0
        paid[i] = np_minimum(cash[i], due)
        ratio[i] = paid[i] / due if due > 0 else 0.0
    for e in range(m):
        for k in range(3):
            pay[k, e] *= ratio[pi[e]]
    return outcome, first, met, pay, paid, heads[:n_heads].copy()


@kernel
def met_encounters(
    met, pi, mov, place, good, cargo, value, outcome, pay, who, on_route, edges, cash, paid, cash_of, outlay
):
    """The crews' payments, the services bought, and the encounters met, gathered for the books.

    What ``Crews._travel`` did with numpy after the outcomes: each moving crew's cash is what it
    had less what it paid, its outlay grows by it; the entries where services were bought (a
    nonzero amount) with their places and amounts; and the entries met (up to each crew's
    first loss), in entry order, with their crew row, place, good, units, value, outcome,
    bribe, toll, who decided (when ``who`` is given) and the route's link there.

    Args:
        met: Whether each entry was met.
        pi: Each entry's crew (row of the moving crews).
        mov: The moving crews' rows.
        place: Each entry's place.
        good: Each entry's good.
        cargo: Each moving crew's cargo.
        value: Each entry's cargo value.
        outcome: Each entry's outcome.
        pay: (3 x entries) bribes, tolls and services paid.
        who: Who decided each entry (-1: no one), or an empty array when no officials are modelled.
        on_route: Each entry's flat position in the routes' tables.
        edges: The routes' links, flat (as ``on_route`` counts).
        cash: Each moving crew's cash before paying.
        paid: What each moving crew paid.
        cash_of: Cash of every crew row (changed in place).
        outlay: Outlay of every crew row (added to in place).

    Returns:
        The places and amounts of the services bought, then the met entries' crew rows, places,
        goods, units, values, outcomes, bribes, tolls, deciders (empty without ``who``) and links.
    """
    for i in range(mov.size):
        cash_of[mov[i]] = cash[i] - paid[i]
        outlay[mov[i]] += paid[i]
    m = met.size
    n_bought = 0
    n_met = 0
    for e in range(m):
        if pay[2, e] != 0.0:
            n_bought += 1
        if met[e]:
            n_met += 1
    bought_place = np.empty(n_bought, dtype=np.int64)
    bought = np.empty(n_bought)
    k = 0
    for e in range(m):
        if pay[2, e] != 0.0:
            bought_place[k], bought[k] = place[e], pay[2, e]
            k += 1
    crew = np.empty(n_met, dtype=np.int64)
    place_m = np.empty(n_met, dtype=np.int64)
    good_m = np.empty(n_met, dtype=np.int64)
    units = np.empty(n_met, dtype=cargo.dtype)
    value_m = np.empty(n_met)
    outcome_m = np.empty(n_met, dtype=outcome.dtype)
    bribe = np.empty(n_met)
    toll = np.empty(n_met)
    official = np.empty(n_met if who.size else 0, dtype=np.int64)
    edge = np.empty(n_met, dtype=edges.dtype)
    k = 0
    for e in range(m):
        if met[e]:
            i = pi[e]
            crew[k], place_m[k], good_m[k], units[k] = mov[i], place[e], good[e], cargo[i]
            value_m[k], outcome_m[k], bribe[k], toll[k] = value[e], outcome[e], pay[0, e], pay[1, e]
            if who.size:
                official[k] = who[e]
            edge[k] = edges[on_route[e]]
            k += 1
    return bought_place, bought, crew, place_m, good_m, units, value_m, outcome_m, bribe, toll, official, edge


@kernel
def _add_counts(target, rows, cols, weights, use):
    """``accumulate(target, (rows, cols), weights)`` over the entries where ``use``: numpy's bincount, then the add.

    The amounts are summed per cell from zero in entry order (as ``np.bincount`` sums them),
    then added to every cell of ``target`` (cast to an integer target's type, as ``accumulate``
    casts); with no entry used nothing is added, as ``accumulate`` returns early. ``cols`` of
    ``None`` addresses a 1-D ``target``.
    """
    added = np.zeros(target.shape)
    used = 0
    for e in range(rows.size):
        if use[e]:
            if cols is None:
                added[rows[e]] += weights[e]
            else:
                added[rows[e], cols[e]] += weights[e]
            used += 1
    if used:  # whole units are exact in a float sum, so an integer target gets the same count
        for cell in np.ndindex(target.shape):
            target[cell] += added[cell]


@kernel
def learn_and_count(
    crew,
    place,
    good,
    units,
    value,
    outcome,
    edge,
    network,
    livelihood,
    own,
    learning_rate_own,
    network_risk,
    keep_of,
    place_units,
    place_good_units,
    illicit_value,
    edge_units,
    edge_good_units,
):
    """The crews' learning from the week's encounters and the traffic counted at places and links.

    What ``Crews._learn`` and the counts after it in ``Crews._travel`` did with numpy, in the
    same order and with the same roundings; ``tests/test_route_kernels.py`` keeps that form.
    Perceived risk (NarcoLogic-style adaptive route choice; 002 §II, FACTS M8): each crew's own
    risk at a place moves by ``learning_rate_own`` toward the outcome (1 if seized or robbed),
    all encounters read before any is written (so a crew meeting a place twice keeps the last);
    its network's moves by ``1 - keep_of[k]`` toward ``s / k`` for ``k`` encounters with ``s``
    losses there this week, cell by cell in flat order. ``keep_of[k]`` is ``(1 - eta) ** k``,
    the C library's ``pow`` (:func:`sim.libm.power`), passed in.

    Counts (the week's statistics): units at each place and (place, good) for encounters that
    got through (clean, routine or settled), the value of non-livelihood goods among them at
    each place, and units on each link and (link, good) for all encounters.

    Args:
        crew: Crew row of each of the week's encounters, in route order.
        place: Place of each encounter.
        good: Good carried at each encounter.
        units: Units carried at each encounter.
        value: Value carried at each encounter.
        outcome: Outcome of each encounter (:class:`sim.enforcement.Outcome` codes).
        edge: The link each encounter's place was reached by.
        network: Network of every crew row.
        livelihood: Whether each good is a livelihood good.
        own: Each crew row's perceived risk at each place (and padding), updated in place.
        learning_rate_own: Weight of an outcome in a crew's own risk.
        network_risk: Each network's perceived risk at each place (and padding), updated in place.
        keep_of: ``(1 - learning_rate_network) ** k`` for k from 0 to the number of encounters.
        place_units: Units that got through each place this week, added to.
        place_good_units: The same by (place, good), added to.
        illicit_value: Value of non-livelihood goods that got through each place, added to.
        edge_units: Units met on each link, added to.
        edge_good_units: The same by (link, good), added to.
    """
    n = crew.size
    before = np.empty(n)
    for e in range(n):
        before[e] = own[crew[e], place[e]]
    lost = np.empty(n)
    for e in range(n):
        lost[e] = 1.0 if (outcome[e] == SEIZED or outcome[e] == ROBBED) else 0.0
        own[crew[e], place[e]] = before[e] + learning_rate_own * (lost[e] - before[e])
    n_net, width = network_risk.shape
    count = np.zeros((n_net, width), dtype=np.int64)
    hits = np.zeros((n_net, width))
    for e in range(n):
        net = network[crew[e]]
        count[net, place[e]] += 1
        hits[net, place[e]] += lost[e]
    for i in range(n_net):
        for j in range(width):
            met = count[i, j]
            if met:
                keep = keep_of[met]
                rate = hits[i, j] / met
                network_risk[i, j] = keep * network_risk[i, j] + (1 - keep) * rate
    ok = np.empty(n, dtype=np.bool_)
    illicit = np.empty(n, dtype=np.bool_)
    amount = np.empty(n)
    for e in range(n):
        ok[e] = outcome[e] <= SETTLED
        illicit[e] = ok[e] and not livelihood[good[e]]
        amount[e] = units[e]
    everyone = np.ones(n, dtype=np.bool_)
    _add_counts(place_units, place, None, amount, ok)
    _add_counts(place_good_units, place, good, amount, ok)
    _add_counts(illicit_value, place, None, value, illicit)
    _add_counts(edge_units, edge, None, amount, everyone)
    _add_counts(edge_good_units, edge, good, amount, everyone)


@kernel
def come_home(alive, state, return_left, returning, idle):
    """Crews travelling home empty get a week closer, those home become idle; returns the idle crews' rows.

    What ``Crews._come_home`` and the start of ``Crews._plan_and_depart`` did with numpy, row by
    row (each row's update is its own): a returning crew's weeks left drop by one, and at zero or
    below it is idle; then the rows of the idle crews, ascending.

    Args:
        alive: Whether each crew row holds a crew.
        state: Each row's trip state (changed in place).
        return_left: Weeks left on the way home (changed in place).
        returning: The state code of crews travelling home.
        idle: The state code of idle crews.
    """
    n = 0
    for s in range(alive.size):
        if not alive[s]:
            continue
        if state[s] == returning:
            left = return_left[s] - 1.0
            return_left[s] = left
            if left <= 0:
                state[s] = idle
        if state[s] == idle:
            n += 1
    rows = np.empty(n, dtype=np.int64)
    k = 0
    for s in range(alive.size):
        if alive[s] and state[s] == idle:
            rows[k] = s
            k += 1
    return rows


@kernel
def queue_front(idle, shuffle, group, capacity, stock, idle_weeks):
    """The idle crews that plan this week: each source's queue, in a random order, up to its stock.

    What ``Crews._plan_and_depart`` did with numpy: crews sorted by group, then by ``shuffle``
    (a permutation drawn by numpy, so the keys are distinct and any sort gives this order); a
    crew plans if the capacity of the crews ahead of it in its group's queue is below the
    group's stock. The others wait another week (``idle_weeks`` is added to in place).

    Args:
        idle: Rows of the idle crews, ascending.
        shuffle: A permutation of ``range(len(idle))`` (the model's generator's).
        group: Group of every crew row.
        capacity: Capacity of every crew row.
        stock: Units in stock at each group's source.
        idle_weeks: Weeks idle of every crew row, added to for those left waiting.

    Returns:
        The planning crews' rows and their groups, in queue order.
    """
    n = idle.size
    key = np.empty(n, dtype=np.int64)
    for i in range(n):
        key[i] = group[idle[i]] * n + shuffle[i]
    queue = idle[np.argsort(key)]
    front = np.empty(n, dtype=np.bool_)
    ahead, previous = 0, -1
    for k in range(n):
        crew = queue[k]
        g = group[crew]
        if g != previous:
            ahead, previous = 0, g
        front[k] = ahead < stock[g]
        ahead += capacity[crew]
        if not front[k]:
            idle_weeks[crew] += 1
    planning = queue[front]
    return planning, group[planning]


@kernel
def buy_and_depart(
    queue,
    grp,
    route,
    go,
    good,
    cash,
    capacity,
    value_source,
    transport_unit,
    pay_unit,
    protection_unit,
    route_bloc,
    route_north,
    stock,
    outlay,
    cargo,
    route_of,
    bloc,
    progress,
    state,
    idle_weeks,
    moving,
    route_units,
    departed,
    north_departed,
):
    """Planning crews whose trip pays buy what they can afford, in queue order, and depart.

    What ``Crews._plan_and_depart`` did with numpy after route choice, in the same order and
    roundings: each crew wants its capacity or what its cash buys at the route's unit cost
    (source price, transport, bribes and tolls), and gets what the crews ahead of it in its
    group's queue left of the stock (002 §II: crews buy at sources). Crews that get nothing
    wait another week. The departing crews pay purchase, transport and protection fee from
    their cash and set out (their columns set in place); the source stocks fall and the week's
    units by route, by good and through the north are counted (``accumulate``'s bincount, then
    the add). The payments to producers, transporters and protectors are the caller's.

    Args:
        queue: Planning crews' rows, by group in queue order.
        grp: Their groups.
        route: Their chosen routes.
        go: Whether each one's trip pays.
        good: Good of every crew row.
        cash: Cash of every crew row, paid from in place.
        capacity: Capacity of every crew row.
        value_source: Source price of each good.
        transport_unit: Transport cost per unit of each route.
        pay_unit: Expected bribes and tolls per unit of each route.
        protection_unit: Protection fee per unit of each route.
        route_bloc: Protecting bloc of each route (-1 if none).
        route_north: Whether each route passes through northern Mali.
        stock: Units in stock at each group's source, taken from in place.
        outlay: Trip outlay of every crew row, set for the departing.
        cargo: Cargo of every crew row, set for the departing.
        route_of: Route of every crew row, set for the departing.
        bloc: Protecting bloc of every crew row, set for the departing.
        progress: Trip progress of every crew row, set to zero for the departing.
        state: Trip state of every crew row, set to ``moving`` for the departing.
        idle_weeks: Weeks idle of every crew row: one more for those left waiting, zero for the departing.
        moving: The state code of a moving crew.
        route_units: The week's units by route, added to.
        departed: The week's units departed by good, added to.
        north_departed: The same through northern Mali, added to.

    Returns:
        The departing crews' rows, routes, purchases, protection fees, and the sum of their
        transport costs (numpy's pairwise sum).
    """
    n = queue.size
    got = np.empty(n, dtype=np.int64)
    before, previous = 0, -1
    for k in range(n):
        crew, g = queue[k], grp[k]
        if g != previous:
            before, previous = 0, g
        want = 0
        if go[k]:
            unit_cost = value_source[good[crew]] + transport_unit[route[k]] + pay_unit[route[k]]
            if unit_cost < 1e-9:  # np.maximum(unit_cost, 1e-9), NaN kept
                unit_cost = 1e-9
            afford = np.int64(np.floor(cash[crew] / unit_cost))
            want = min(capacity[crew], afford)
        left = stock[g] - before
        got[k] = min(max(left, 0), want)  # np.clip(left, 0, want)
        before += want
    m = 0
    for k in range(n):
        if got[k] > 0:
            m += 1
        else:
            idle_weeks[queue[k]] += 1
    dep = np.empty(m, dtype=np.int64)
    dg = np.empty(m, dtype=np.int64)
    r = np.empty(m, dtype=np.int64)
    q = np.empty(m)
    j = 0
    for k in range(n):
        if got[k] > 0:
            dep[j], dg[j], r[j], q[j] = queue[k], grp[k], route[k], got[k]
            j += 1
    purchase = np.empty(m)
    transport = np.empty(m)
    fee = np.empty(m)
    gd = np.empty(m, dtype=np.int64)
    north = np.empty(m, dtype=np.bool_)
    for j in range(m):
        crew = dep[j]
        stock[dg[j]] -= np.int64(q[j])  # whole units: numpy's bincount of them, exactly
        gd[j] = good[crew]
        purchase[j] = q[j] * value_source[gd[j]]
        transport[j] = q[j] * transport_unit[r[j]]
        fee[j] = q[j] * protection_unit[r[j]]
        total = purchase[j] + transport[j] + fee[j]
        cash[crew] -= total
        outlay[crew] = total
        cargo[crew] = np.int64(q[j])
        route_of[crew] = r[j]
        bloc[crew] = route_bloc[r[j]]
        progress[crew] = 0.0
        state[crew] = moving
        idle_weeks[crew] = 0
        north[j] = route_north[r[j]]
    everyone = np.ones(m, dtype=np.bool_)
    _add_counts(route_units, r, None, q, everyone)
    _add_counts(departed, gd, None, q, everyone)
    _add_counts(north_departed, gd, None, q, north)
    transport_total = pairwise_sum(transport) if m else 0.0
    return dep, r, purchase, fee, transport_total


@kernel
def places_passed(
    alive,
    state,
    moving,
    route,
    good,
    cargo,
    progress,
    step_bounds,
    nodes,
    value_at,
    seize,
    settle,
    routine,
    staffed,
):
    """The moving crews and every place they pass this week, in crew order and route order, with the place's odds.

    What ``Crews._travel`` and ``Crews._passed`` did with numpy: a crew ``k`` weeks into its
    trip passes the positions from ``step_bounds[route, k]`` up to ``step_bounds[route, k + 1]``
    (its places whose travel time from the source is in ``(k, k + 1]``). Then what
    ``Crews._encounter_odds`` read from the place's rates (seizure and settlement by place and
    good, routine payment by place), and the entries at places where officials are on duty
    (they weigh those consignments themselves, M3).

    Args:
        alive: Whether each crew row is alive.
        state: Trip state of every crew row.
        moving: The state code of a moving crew.
        route: Route of every crew row.
        good: Good of every crew row.
        cargo: Cargo of every crew row.
        progress: Weeks into its trip of every crew row (whole numbers).
        step_bounds: For each route and week of a trip, the first position reached after that week began.
        nodes: Each route's places (padding mapped to place 0).
        value_at: Value of a unit at each route position.
        seize: (places x goods) the week's odds of seizure.
        settle: (places x goods) the week's odds of a settled bribe.
        routine: The week's odds of a routine payment, by place.
        staffed: Whether officials are on duty at each place.

    Returns:
        The moving crews' rows, routes, goods, cargoes and progress; then for each place passed
        its crew (row of the moving crews), position, flat position in the routes' tables,
        place, cargo value there, good, and the odds of seizure, settlement and routine payment;
        then the entries at staffed places.
    """
    n = 0
    for s in range(alive.size):
        if alive[s] and state[s] == moving:
            n += 1
    mov = np.empty(n, dtype=np.int64)
    r = np.empty(n, dtype=np.int64)
    g = np.empty(n, dtype=np.int64)
    load = np.empty(n, dtype=np.int64)
    old = np.empty(n)
    lo = np.empty(n, dtype=np.int64)
    count = np.empty(n, dtype=np.int64)
    i = 0
    total = 0
    for s in range(alive.size):
        if alive[s] and state[s] == moving:
            mov[i], r[i], g[i], load[i], old[i] = s, route[s], good[s], cargo[s], progress[s]
            week = np.int64(old[i])
            lo[i] = step_bounds[r[i], week]
            count[i] = step_bounds[r[i], week + 1] - lo[i]
            total += count[i]
            i += 1
    width = nodes.shape[1]
    pi = np.empty(total, dtype=np.int64)
    pj = np.empty(total, dtype=np.int64)
    on_route = np.empty(total, dtype=np.int64)
    place = np.empty(total, dtype=np.int64)
    value = np.empty(total)
    good_e = np.empty(total, dtype=np.int64)
    seize_e = np.empty(total)
    settle_e = np.empty(total)
    routine_e = np.empty(total)
    n_staffed = 0
    e = 0
    for i in range(n):
        for j in range(lo[i], lo[i] + count[i]):
            pi[e], pj[e] = i, j
            on_route[e] = r[i] * width + j
            p = nodes[r[i], j]
            place[e] = p
            value[e] = load[i] * value_at[r[i], j]
            good_e[e] = g[i]
            seize_e[e], settle_e[e], routine_e[e] = seize[p, g[i]], settle[p, g[i]], routine[p]
            if staffed[p]:
                n_staffed += 1
            e += 1
    on_duty = np.empty(n_staffed, dtype=np.int64)
    k = 0
    for e in range(total):
        if staffed[place[e]]:
            on_duty[k] = e
            k += 1
    return mov, r, g, load, old, pi, pj, on_route, place, value, good_e, seize_e, settle_e, routine_e, on_duty


@kernel
def passed_and_on_duty(
    rng_handles,
    alive,
    state,
    moving,
    route,
    good,
    cargo,
    progress,
    step_bounds,
    nodes,
    value_at,
    seize,
    settle,
    routine,
    staffed,
    duty_count,
    duty_start,
    duty,
    depth,
    chain,
    pay,
    bribe_share,
    routine_share,
    kickback,
):
    """:func:`places_passed`, then who is on duty at the staffed entries and what he weighs (issue 18, eleventh pass).

    Where officials man a Malian checkpoint, the one on duty weighs the consignment in front of
    him (its good and value; M3; ``Officials.encounter_odds`` is the same steps). Who is on duty
    is drawn here from the model's generator (rebuilt from ``rng_handles``; :mod:`sim.kernel_rng`),
    one uniform per staffed entry in route order, as numpy's ``random`` drew them before the
    encounters' draws; then :func:`sim.agents.official_kernels.encounter_ratios` on those
    entries. The logarithms and exponentials of the weighing are the C library's, compiled in
    ``official_kernels.weighed_exponentials`` (``Officials.encounter_exponents``);
    :func:`officials_and_encounters` takes it from there.

    Args:
        rng_handles: :func:`sim.kernel_rng.handles` of the model's generator.
        alive: As :func:`places_passed`.
        state: As :func:`places_passed`.
        moving: As :func:`places_passed`.
        route: As :func:`places_passed`.
        good: As :func:`places_passed`.
        cargo: As :func:`places_passed`.
        progress: As :func:`places_passed`.
        step_bounds: As :func:`places_passed`.
        nodes: As :func:`places_passed`.
        value_at: As :func:`places_passed`.
        seize: As :func:`places_passed`.
        settle: As :func:`places_passed`.
        routine: As :func:`places_passed`.
        staffed: Whether officials are on duty at each place.
        duty_count: As :func:`sim.agents.official_kernels.encounter_ratios`.
        duty_start: As ``encounter_ratios``.
        duty: As ``encounter_ratios``.
        depth: As ``encounter_ratios``.
        chain: As ``encounter_ratios``.
        pay: As ``encounter_ratios``.
        bribe_share: As ``encounter_ratios``.
        routine_share: As ``encounter_ratios``.
        kickback: As ``encounter_ratios``.

    Returns:
        What :func:`places_passed` returns, then the officials on duty at its staffed entries and
        their gain ratios.
    """
    mov, r, g, load, old, pi, pj, on_route, place, value, good_e, seize_e, settle_e, routine_e, on_duty = places_passed(
        alive,
        state,
        moving,
        route,
        good,
        cargo,
        progress,
        step_bounds,
        nodes,
        value_at,
        seize,
        settle,
        routine,
        staffed,
    )
    uniforms = generator(rng_handles).random(on_duty.size)
    who, ratios = encounter_ratios(
        place[on_duty],
        value[on_duty],
        uniforms,
        duty_count,
        duty_start,
        duty,
        depth,
        chain,
        pay,
        bribe_share,
        routine_share,
        kickback,
    )
    return (
        mov,
        r,
        g,
        load,
        old,
        pi,
        pj,
        on_route,
        place,
        value,
        good_e,
        seize_e,
        settle_e,
        routine_e,
        on_duty,
        who,
        ratios,
    )


@kernel
def arrive_and_sell(
    mov,
    r,
    g,
    cargo,
    new,
    lost_any,
    route_weeks,
    route_sink,
    sink_value,
    trafficking_share,
    return_time_factor,
    returning,
    cash,
    outlay,
    bloc,
    cargo_of,
    state,
    return_left,
    progress,
    delivered,
    delivered_week,
    st_delivered,
    st_delivered_value,
    st_trip_profit,
    st_trips,
):
    """Crews that reach their sink sell, share profit with their protectors and head home; the others move on.

    What ``Crews._arrive`` did with numpy, in the same order and roundings (002 §II: crews
    sell at sinks; M1, M3: a protected crew shares its profit with the protecting bloc). A crew
    that kept its cargo arrives when its progress reaches the route's travel time: it is paid
    the sink value of its cargo, pays the bloc ``trafficking_share`` of a positive profit, and
    is counted (delivered units in the ledger and the week's statistics, the market's
    deliveries by good and sink; ``accumulate``'s bincount, then the add). The payments to
    the ledger and the blocs are the caller's, in that order.

    Args:
        mov: The moving crews' rows.
        r: Their routes.
        g: Their goods.
        cargo: Their cargoes.
        new: Their progress after this week.
        lost_any: Whether each lost its cargo this week.
        route_weeks: Travel time of each route.
        route_sink: Sink place of each route.
        sink_value: Sink value of a unit on each route.
        trafficking_share: The bloc's share of a protected crew's profit.
        return_time_factor: Weeks home per week out.
        returning: The state code of a returning crew.
        cash: Cash of every crew row, paid to in place.
        outlay: Trip outlay of every crew row.
        bloc: Protecting bloc of every crew row, cleared for the arriving.
        cargo_of: Cargo of every crew row, emptied for the arriving.
        state: Trip state of every crew row, set to ``returning`` for the arriving.
        return_left: Weeks home left of every crew row, set for the arriving.
        progress: Trip progress of every crew row, set for those still on the road.
        delivered: The ledger's delivered units by good, added to.
        delivered_week: The market's units delivered this week by good and sink, added to.
        st_delivered: The week's delivered units by good, added to.
        st_delivered_value: The week's delivered value by good, added to.
        st_trip_profit: The week's trip profits by good, added to.
        st_trips: The week's trips by good, added to.

    Returns:
        The number of crews that arrived, their sales' total (numpy's pairwise sum), and the
        protecting blocs and shares of the crews that pay one, in arrival order.
    """
    n = mov.size
    m = 0
    for i in range(n):
        if not lost_any[i] and new[i] >= route_weeks[r[i]]:
            m += 1
    revenue = np.empty(m)
    share = np.empty(m)
    units = np.empty(m)
    ga = np.empty(m, dtype=np.int64)
    profit_left = np.empty(m)
    pay_bloc = np.empty(m, dtype=np.int64)
    pay_share = np.empty(m)
    k, paying = 0, 0
    for i in range(n):
        if lost_any[i]:
            continue
        if new[i] < route_weeks[r[i]]:
            progress[mov[i]] = new[i]
            continue
        crew = mov[i]
        revenue[k] = cargo[i] * sink_value[r[i]]
        cash[crew] += revenue[k]
        profit = revenue[k] - outlay[crew]
        share[k] = trafficking_share * profit if (bloc[crew] >= 0 and profit > 0) else 0.0
        ga[k], units[k] = g[i], cargo[i]
        profit_left[k] = profit - share[k]
        k += 1
    total = pairwise_sum(revenue) if m else 0.0
    k = 0
    for i in range(n):
        if lost_any[i] or new[i] < route_weeks[r[i]]:
            continue
        crew = mov[i]
        if share[k] > 0:
            cash[crew] -= share[k]
            pay_bloc[paying], pay_share[paying] = bloc[crew], share[k]
            paying += 1
        k += 1
    everyone = np.ones(m, dtype=np.bool_)
    _add_counts(delivered, ga, None, units, everyone)
    _add_counts(st_delivered, ga, None, units, everyone)
    _add_counts(st_delivered_value, ga, None, revenue, everyone)
    _add_counts(st_trip_profit, ga, None, profit_left, everyone)
    _add_counts(st_trips, ga, None, np.ones(m), everyone)
    if m:  # numpy added the whole table, zeros included
        added = np.zeros(delivered_week.shape)
        k = 0
        for i in range(n):
            if not lost_any[i] and new[i] >= route_weeks[r[i]]:
                added[g[i], route_sink[r[i]]] += units[k]
                k += 1
        delivered_week += added
    k = 0
    for i in range(n):
        if not lost_any[i] and new[i] >= route_weeks[r[i]]:
            crew = mov[i]
            cargo_of[crew] = 0
            bloc[crew] = -1
            state[crew] = returning
            return_left[crew] = return_time_factor * route_weeks[r[i]]
    return m, total, pay_bloc[:paying].copy(), pay_share[:paying].copy()


@kernel
def draw_entrants(
    rng_handles,
    goods,
    counts,
    slots,
    group_starts,
    groups,
    mean_supply,
    profit_ema,
    p_draws,
    livelihood,
    group_source,
    local_network_of,
    networks,
    capacity_of,
    kind_capacity,
    value_source,
    value_sink,
    network_risk,
    week,
    kind_of,
    good_of,
    group_of,
    home_of,
    network_of,
    cash,
    capacity_of_crew,
    state,
    route_of,
    bloc_of,
    cargo_value_ref,
    born,
    own_risk,
):
    """New crews enter goods, good after good: their draws, then their rows (M4; 002 §II; 000).

    What ``Crews.enter_goods`` did with numpy, with the same draws in the same order from the
    model's generator (rebuilt from ``rng_handles``; :mod:`sim.kernel_rng`): for each good in
    turn, its entrants' source groups (``choice`` weighted by mean supply: cumulative sums
    scaled by the last, searched from the right), then one uniform each for the kind, then one
    integer below 2**30 each for the network. The higher the good's recent profit per trip,
    the likelier an entrant is mercenary (M4); else local with the good's local share, else
    transnational. Local crews join their source's network, the others one of their kind's.

    Args:
        rng_handles: :func:`sim.kernel_rng.handles` of the model's generator.
        goods: The goods entered, in order.
        counts: Entrants of each (all positive).
        slots: The entrants' rows, good after good (zeroed by the table).
        group_starts: Where each good's (good, source) groups start in ``groups`` (one more at the end).
        groups: Each good's groups, good after good.
        mean_supply: Mean weekly supply of each group.
        profit_ema: Recent profit per trip of each good.
        p_draws: ``mercenary_profit_usd``, ``local_share_livelihood``, ``local_share_other``, ``start_capital_trips``.
        livelihood: Whether each good is a livelihood good.
        group_source: Source place of each group.
        local_network_of: Local network of each place.
        networks: First transnational network, their number, first mercenary network, their number.
        capacity_of: Crew capacity of each good.
        kind_capacity: Capacity factor of each kind.
        value_source: Source price of each good.
        value_sink: Sink price of each good.
        network_risk: Each network's perceived risk at each place; an entrant starts with its network's.
        week: This week's index (the entrants' ``born``).
        kind_of: Kind of every crew row (the entrants' set here, as are the columns below).
        good_of: Good of every crew row.
        group_of: Source group of every crew row.
        home_of: Home (source place) of every crew row.
        network_of: Network of every crew row.
        cash: Cash of every crew row.
        capacity_of_crew: Capacity of every crew row.
        state: Trip state of every crew row (idle).
        route_of: Route of every crew row (none: -1).
        bloc_of: Protecting bloc of every crew row (none: -1).
        cargo_value_ref: Reference cargo value of every crew row.
        born: Week of entry of every crew row.
        own_risk: Each crew row's perceived risk at each place (its network's).

    Returns:
        Each good's entrants' capital, the sum numpy's ``cash[start:stop].sum()`` gives.
    """
    rng = generator(rng_handles)
    merc_profit, share_livelihood, share_other, capital_trips = p_draws[0], p_draws[1], p_draws[2], p_draws[3]
    capital = np.empty(goods.size)
    start = 0
    for k in range(goods.size):
        good, n = goods[k], counts[k]
        first, last = group_starts[good], group_starts[good + 1]
        share = mean_supply[groups[first:last]]
        p = share / pairwise_sum(share)
        cdf = np.cumsum(p)
        if not cdf[-1] > 0:
            raise ValueError("probabilities do not sum to 1")
        cdf /= cdf[-1]
        picked = np.empty(n, dtype=np.int64)
        for i in range(n):
            picked[i] = groups[first + np.searchsorted(cdf, rng.random(), side="right")]
        a = profit_ema[good]
        if a < 0.0:  # max(a, 0.0), as Python takes it
            a = 0.0
        merc = a / (a + merc_profit)
        local = share_livelihood if livelihood[good] else share_other
        kinds = np.empty(n, dtype=np.int64)
        for i in range(n):
            u = rng.random()
            if u < merc:
                kinds[i] = MERCENARY
            elif u < merc + (1 - merc) * local:
                kinds[i] = LOCAL
            else:
                kinds[i] = TRANSNATIONAL
        mean_value = 0.5 * (value_source[good] + value_sink[good])
        for i in range(n):
            pick = rng.integers(0, 1 << 30)
            slot = slots[start + i]
            home = group_source[picked[i]]
            if kinds[i] == LOCAL:
                network = local_network_of[home]
            elif kinds[i] == TRANSNATIONAL:
                network = networks[0] + pick % networks[1]
            else:
                network = networks[2] + pick % networks[3]
            capacity = np.int64(np.rint(capacity_of[good] * kind_capacity[kinds[i]]))
            if capacity < 1:
                capacity = 1
            ref = capacity * mean_value
            kind_of[slot], good_of[slot], group_of[slot], home_of[slot] = kinds[i], good, picked[i], home
            network_of[slot], cash[slot], capacity_of_crew[slot] = network, capital_trips * ref, capacity
            state[slot], route_of[slot], bloc_of[slot] = IDLE, -1, -1
            cargo_value_ref[slot], born[slot] = ref, week
            own_risk[slot, :] = network_risk[network, :]
        capital[k] = pairwise_sum(cash[slots[start : start + n]])
        start += n
    return capital


@kernel
def lose_cargo(
    lost_at,
    pi,
    outcome,
    value,
    mov,
    g,
    cargo,
    r,
    first,
    cum_weeks,
    return_time_factor,
    returning,
    outlay,
    cargo_of,
    bloc,
    state,
    return_left,
    ledger_seized,
    ledger_stolen,
    st_seized,
    st_seized_value,
    st_robbed,
    st_trip_profit,
    st_trips,
):
    """Crews that lost their cargo this week (seized or robbed; 002 §II, M3) count it and head home.

    What ``Crews._lose_cargo`` did with numpy, in the same order and roundings: the units and
    value lost, by good, in the ledger and the week's statistics (``accumulate``'s bincount,
    then the add), the trip's outlay as its (negative) profit, and the crew's columns: no
    cargo, no protector, heading home for ``return_time_factor`` times the time it had
    travelled. Arrests are the caller's.

    Args:
        lost_at: The encounter of each crew's first loss, in crew order.
        pi: Crew (row of ``mov``) of each encounter.
        outcome: Outcome of each encounter.
        value: Cargo value at each encounter.
        mov: The moving crews' rows.
        g: Their goods.
        cargo: Their cargoes.
        r: Their routes.
        first: The route position of each one's first loss.
        cum_weeks: Travel time from the source to each route position.
        return_time_factor: Weeks home per week out.
        returning: The state code of a returning crew.
        outlay: Trip outlay of every crew row.
        cargo_of: Cargo of every crew row, emptied for those who lost it.
        bloc: Protecting bloc of every crew row, cleared for them.
        state: Trip state of every crew row, set to ``returning`` for them.
        return_left: Weeks home left of every crew row, set for them.
        ledger_seized: The ledger's seized units by good, added to.
        ledger_stolen: The ledger's stolen units by good, added to.
        st_seized: The week's seized units by good, added to.
        st_seized_value: The week's seized value by good, added to.
        st_robbed: The week's robbed units by good, added to.
        st_trip_profit: The week's trip profits by good, added to.
        st_trips: The week's trips by good, added to.
    """
    n = lost_at.size
    gs = np.empty(n, dtype=np.int64)
    units = np.empty(n)
    lost_value = np.empty(n)
    seized = np.empty(n, dtype=np.bool_)
    robbed = np.empty(n, dtype=np.bool_)
    minus_outlay = np.empty(n)
    for k in range(n):
        e = lost_at[k]
        i = pi[e]
        gs[k], units[k], lost_value[k] = g[i], cargo[i], value[e]
        seized[k] = outcome[e] == SEIZED
        robbed[k] = not seized[k]
        minus_outlay[k] = -outlay[mov[i]]
    everyone = np.ones(n, dtype=np.bool_)
    _add_counts(ledger_seized, gs, None, units, seized)
    _add_counts(st_seized, gs, None, units, seized)
    _add_counts(st_seized_value, gs, None, lost_value, seized)
    _add_counts(ledger_stolen, gs, None, units, robbed)
    _add_counts(st_robbed, gs, None, units, robbed)
    _add_counts(st_trip_profit, gs, None, minus_outlay, everyone)
    _add_counts(st_trips, gs, None, np.ones(n), everyone)
    for k in range(n):
        i = pi[lost_at[k]]
        crew = mov[i]
        cargo_of[crew] = 0
        bloc[crew] = -1
        state[crew] = returning
        return_left[crew] = return_time_factor * cum_weeks[r[i], first[i]]


@kernel
def upkeep_and_exit(
    alive,
    state,
    idle,
    cash,
    cargo_value_ref,
    good,
    idle_weeks,
    upkeep_share,
    exit_cash_share,
    patience_weeks,
    st_upkeep,
):
    """Crews pay their weekly upkeep; idle crews that are broke or tired of waiting leave.

    What ``Crews._pay_upkeep`` and ``Crews._exit`` did with numpy (002 §II: crews are
    businesses that must cover their costs): every crew pays ``upkeep_share`` of its reference
    cargo value, or what cash it has (``np.minimum``), counted by good (``accumulate``'s
    bincount, then the add); then an idle crew whose cash is below ``exit_cash_share`` of its
    reference cargo value, or that has waited ``patience_weeks``, leaves. Where the upkeep is
    spent and the leaving are the caller's.

    Args:
        alive: Whether each crew row is alive.
        state: Trip state of every crew row.
        idle: The state code of an idle crew.
        cash: Cash of every crew row, paid from in place.
        cargo_value_ref: Reference cargo value of every crew row.
        good: Good of every crew row.
        idle_weeks: Weeks idle of every crew row.
        upkeep_share: Weekly upkeep per unit of reference cargo value.
        exit_cash_share: Cash, per unit of reference cargo value, below which an idle crew leaves.
        patience_weeks: Weeks idle after which a crew leaves.
        st_upkeep: The week's upkeep by good, added to.

    Returns:
        The rows alive, the upkeep each paid, and the rows that leave.
    """
    n = 0
    for s in range(alive.size):
        if alive[s]:
            n += 1
    rows = np.empty(n, dtype=np.int64)
    paid = np.empty(n)
    goods = np.empty(n, dtype=np.int64)
    i = 0
    for s in range(alive.size):
        if alive[s]:
            due = upkeep_share * cargo_value_ref[s]
            have = cash[s]
            paid[i] = have if (have < due or have != have) else due  # np.minimum, NaN kept
            cash[s] = have - paid[i]
            rows[i], goods[i] = s, good[s]
            i += 1
    _add_counts(st_upkeep, goods, None, paid, np.ones(n, dtype=np.bool_))
    leaving = np.empty(n, dtype=np.int64)
    m = 0
    for s in rows:
        broke = cash[s] < exit_cash_share * cargo_value_ref[s]
        if state[s] == idle and (broke or idle_weeks[s] >= patience_weeks):
            leaving[m] = s
            m += 1
    return rows, paid, leaving[:m].copy()


@kernel
def entry_rates(
    alive,
    good,
    cargo_value_ref,
    trip_profit,
    upkeep,
    trips,
    supportable,
    return_ema,
    profit_ema,
    group_good,
    stock,
    supply,
    entry_rate,
):
    """Each good's rate of entry this week (M4), after its running return and profit per trip are updated.

    What ``Crews._entry`` did with numpy, in the same order and roundings: the week's return on
    the good's crews' capital (their reference cargo values) and its mean profit per trip feed
    running averages (weight 0.1) for the goods traded; the entry rate is ``entry_rate`` times
    the crews the good's supply keeps busy, times its yearly return (none if negative), times
    the share of a week's supply left unbought at its sources (at most 1).

    Args:
        alive: Whether each crew row is alive.
        good: Good of every crew row.
        cargo_value_ref: Reference cargo value of every crew row.
        trip_profit: The week's trip profits by good.
        upkeep: The week's upkeep by good.
        trips: The week's trips by good.
        supportable: Crews each good's supply keeps busy (0: not traded).
        return_ema: Running weekly return of each good, updated in place.
        profit_ema: Running profit per trip of each good, updated in place.
        group_good: Good of each (good, source) group.
        stock: Units in stock at each group's source.
        supply: Mean weekly supply of each good.
        entry_rate: Entrants per week per busy crew and unit of yearly return.

    Returns:
        The entry rate of each good (Poisson means, drawn by the caller).
    """
    n_goods = return_ema.size
    capital = np.zeros(n_goods)
    for s in range(alive.size):
        if alive[s]:
            capital[good[s]] += cargo_value_ref[s]
    left = np.zeros(n_goods)
    for k in range(group_good.size):
        left[group_good[k]] += stock[k]
    rate = np.empty(n_goods)
    for k in range(n_goods):
        if supportable[k] > 0:
            weekly_return = (trip_profit[k] - upkeep[k]) / capital[k] if capital[k] > 0 else 0.0
            mean_trip = trip_profit[k] / trips[k] if trips[k] > 0 else profit_ema[k]
            return_ema[k] += 0.1 * (weekly_return - return_ema[k])
            profit_ema[k] += 0.1 * (mean_trip - profit_ema[k])
        share = left[k] / supply[k] if supply[k] > 0 else 0.0
        room = 1.0 if share > 1.0 else share  # np.minimum(1.0, share), NaN kept
        yearly = return_ema[k] * 52.0
        if not (yearly > 0.0 or yearly != yearly):  # np.maximum(yearly, 0.0), NaN kept
            yearly = 0.0
        rate[k] = entry_rate * supportable[k] * yearly * room
    return rate


@kernel
def choose_and_depart(
    survival,
    uniform,
    choice_noise,
    value_sink,
    cand_route,
    cand_sink,
    cand_transport,
    cand_pay,
    cand_open,
    queue,
    grp,
    good,
    cash,
    capacity,
    value_source,
    transport_unit,
    pay_unit,
    protection_unit,
    route_bloc,
    route_north,
    stock,
    outlay,
    cargo,
    route_of,
    bloc,
    progress,
    state,
    idle_weeks,
    moving,
    route_units,
    departed,
    north_departed,
):
    """Route choice and departures of the planning crews in one call (issue 18, tenth pass).

    :func:`choose_by_profit`, then :func:`buy_and_depart`, as ``Crews._plan_and_depart`` called
    them one after the other, with each crew's good and noise scale (``choice_noise`` times its
    good's margin, sink less source price; 002 §II, FACTS M8) read here rather than gathered
    by numpy between the calls: the same operations in the same order, so the same bits
    (``tests/test_crews10_kernels.py`` checks it against the two calls). ``survival`` and
    ``uniform``, then the candidates' tables (``cand_route`` to ``cand_open``) are
    :func:`choose_by_profit`'s; ``queue`` and the arguments after it are :func:`buy_and_depart`'s
    (less the route and decision, made here). ``value_sink`` is each good's sink price.

    Returns:
        What :func:`buy_and_depart` returns.
    """
    n = queue.size
    g = np.empty(n, dtype=good.dtype)
    scale = np.empty(n)
    for i in range(n):
        g[i] = good[queue[i]]
        scale[i] = choice_noise * (value_sink[g[i]] - value_source[g[i]])
    route, go = choose_by_profit(
        survival, grp, g, cand_route, cand_sink, value_source, cand_transport, cand_pay, cand_open, scale, uniform
    )
    return buy_and_depart(
        queue,
        grp,
        route,
        go,
        good,
        cash,
        capacity,
        value_source,
        transport_unit,
        pay_unit,
        protection_unit,
        route_bloc,
        route_north,
        stock,
        outlay,
        cargo,
        route_of,
        bloc,
        progress,
        state,
        idle_weeks,
        moving,
        route_units,
        departed,
        north_departed,
    )


@kernel
def sink_values_moved(sink_value, seen, everything, value_source, route_good, km_frac, value_at):
    """The value of a unit at each position of the routes whose sink price moved, recomputed row by row (tenth pass).

    What ``Crews._sink_values`` did with numpy: the rows where ``sink_value`` differs from the
    prices ``seen`` before (``!=``: a NaN always differs), or every row when ``everything``, get
    ``source + (sink - source) * km_frac``, the source price plus the margin times the share of
    the route's distance covered (002 §II: value grows along the route), element by element in
    numpy's order. Returns whether any row was recomputed.
    """
    moved = False
    for r in range(sink_value.size):
        if everything or sink_value[r] != seen[r]:
            source = value_source[route_good[r]]
            margin = sink_value[r] - source
            for j in range(km_frac.shape[1]):
                value_at[r, j] = source + margin * km_frac[r, j]
            moved = True
    return moved


# numpy's largest Poisson mean (numpy/random/_common.pyx, POISSON_LAM_MAX): larger means raise there.
POISSON_LAM_MAX = float(np.iinfo(np.int64).max - np.sqrt(np.iinfo(np.int64).max) * 10)


@kernel
def entrants_by_good(
    rng_handles,
    alive,
    good,
    cargo_value_ref,
    trip_profit,
    upkeep,
    trips,
    supportable,
    return_ema,
    profit_ema,
    group_good,
    stock,
    supply,
    entry_rate,
):
    """The week's entrants of each good (M4): :func:`entry_rates`, then one Poisson draw per good (tenth pass).

    What ``Crews._entry`` did with the rates and ``rng.poisson(rate)``: numba's ``poisson`` is
    numpy's algorithm on the same generator (:mod:`sim.kernel_rng`), drawn good after good as
    numpy's array call draws them, after the same checks (numpy raises before drawing anything
    when a mean is too large or NaN, or negative). The arguments after ``rng_handles`` are
    :func:`entry_rates`'.

    Returns:
        The goods with entrants this week, in order, and their numbers of entrants.
    """
    rate = entry_rates(
        alive,
        good,
        cargo_value_ref,
        trip_profit,
        upkeep,
        trips,
        supportable,
        return_ema,
        profit_ema,
        group_good,
        stock,
        supply,
        entry_rate,
    )
    for k in range(rate.size):
        if not rate[k] <= POISSON_LAM_MAX:
            raise ValueError("lam value too large")
    for k in range(rate.size):
        if not rate[k] >= 0.0:
            raise ValueError("lam < 0 or lam contains NaNs")
    rng = generator(rng_handles)
    counts = np.empty(rate.size, dtype=np.int64)
    n = 0
    for k in range(rate.size):
        counts[k] = rng.poisson(rate[k])
        if counts[k] > 0:
            n += 1
    goods = np.empty(n, dtype=np.int64)
    entering = np.empty(n, dtype=np.int64)
    i = 0
    for k in range(rate.size):
        if counts[k] > 0:
            goods[i], entering[i] = k, counts[k]
            i += 1
    return goods, entering


@kernel
def encounters_met(
    uniform,
    pi,
    pj,
    place,
    seize,
    settle,
    routine,
    value,
    mov,
    good,
    cargo,
    on_route,
    who,
    edges,
    broker_until,
    week,
    shield,
    travel_ban,
    crossing,
    bloc_of,
    rob,
    settle_share,
    routine_share,
    alliance,
    toll,
    services_share,
    cash_of,
    outlay,
):
    """The week's encounters and what the crews pay, in one call (issue 18, tenth pass).

    :func:`encounters_and_dues`, then :func:`met_encounters`, as ``Crews._travel`` called them
    one after the other, with the moving crews' columns read here (brokers: ``broker_until``
    after ``week``, M21; travel bans, M14; protecting blocs, M3; cash before paying) rather than
    gathered by numpy between the calls. The same operations in the same order, so the same
    bits (``tests/test_crews10_kernels.py`` checks it against the two calls).

    Returns:
        outcome (entries), first (each crew's position of first loss), lost_at (the entries of
        first losses), then what :func:`met_encounters` returns: the services bought (places,
        amounts) and the met entries' crew rows, places, goods, units, values, outcomes, bribes,
        tolls, deciders and links.
    """
    n = mov.size
    broker = np.empty(n, dtype=np.bool_)
    ban = np.empty(n)
    bloc = np.empty(n, dtype=bloc_of.dtype)
    cash = np.empty(n)
    for i in range(n):
        s = mov[i]
        broker[i] = broker_until[s] > week
        ban[i], bloc[i], cash[i] = travel_ban[s], bloc_of[s], cash_of[s]
    outcome, first, met, pay, paid, lost_at = encounters_and_dues(
        uniform,
        pi,
        pj,
        place,
        seize,
        settle,
        routine,
        value,
        broker,
        shield,
        ban,
        crossing,
        bloc,
        rob,
        settle_share,
        routine_share,
        alliance,
        toll,
        services_share,
        cash,
    )
    bought_at, bought, crew, place_m, good_m, units, value_m, outcome_m, bribe, toll_m, official, edge = met_encounters(
        met, pi, mov, place, good, cargo, value, outcome, pay, who, on_route, edges, cash, paid, cash_of, outlay
    )
    return (
        outcome,
        first,
        lost_at,
        bought_at,
        bought,
        crew,
        place_m,
        good_m,
        units,
        value_m,
        outcome_m,
        bribe,
        toll_m,
        official,
        edge,
    )


@kernel
def after_encounters(
    crew,
    place_m,
    good_m,
    units,
    value_m,
    outcome_m,
    edge,
    network,
    livelihood,
    own,
    learning_rate_own,
    network_risk,
    keep_of,
    place_units,
    place_good_units,
    illicit_value,
    edge_units,
    edge_good_units,
    lost_at,
    pi,
    outcome,
    value,
    mov,
    r,
    g,
    cargo,
    old,
    first,
    cum_weeks,
    route_weeks,
    route_sink,
    sink_value,
    trafficking_share,
    return_time_factor,
    returning,
    cash_of,
    outlay,
    cargo_of,
    bloc,
    state,
    return_left,
    progress,
    ledger_seized,
    ledger_stolen,
    ledger_delivered,
    delivered_week,
    st_seized,
    st_seized_value,
    st_robbed,
    st_delivered,
    st_delivered_value,
    st_trip_profit,
    st_trips,
):
    """Learning, lost cargoes and arrivals after the week's encounters were settled, in one call (tenth pass).

    :func:`learn_and_count` (perceived risk, M8; the traffic counts), :func:`lose_cargo` (when
    any crew lost its cargo; 002 §II, M3) and :func:`arrive_and_sell` (M1, M3), in the order
    ``Crews._travel`` called them, on the same arrays: the same bits. The arrests that followed
    the lost cargoes in Python now follow this call: they touch only crews that lost their cargo
    (arrests follow seizures), which :func:`arrive_and_sell` leaves alone, and the payments to
    the ledger and the blocs stay the caller's, in their order. A crew has lost its cargo when
    its first loss is before ``cum_weeks``' width; its progress after the week is ``old + 1``.

    Returns:
        What :func:`arrive_and_sell` returns: the number of crews that arrived, their sales'
        total, and the protecting blocs and shares of those that pay one.
    """
    learn_and_count(
        crew,
        place_m,
        good_m,
        units,
        value_m,
        outcome_m,
        edge,
        network,
        livelihood,
        own,
        learning_rate_own,
        network_risk,
        keep_of,
        place_units,
        place_good_units,
        illicit_value,
        edge_units,
        edge_good_units,
    )
    if lost_at.size:
        lose_cargo(
            lost_at,
            pi,
            outcome,
            value,
            mov,
            g,
            cargo,
            r,
            first,
            cum_weeks,
            return_time_factor,
            returning,
            outlay,
            cargo_of,
            bloc,
            state,
            return_left,
            ledger_seized,
            ledger_stolen,
            st_seized,
            st_seized_value,
            st_robbed,
            st_trip_profit,
            st_trips,
        )
    width = cum_weeks.shape[1]
    n = mov.size
    lost_any = np.empty(n, dtype=np.bool_)
    new = np.empty(n)
    for i in range(n):
        lost_any[i] = first[i] < width
        new[i] = old[i] + 1.0
    return arrive_and_sell(
        mov,
        r,
        g,
        cargo,
        new,
        lost_any,
        route_weeks,
        route_sink,
        sink_value,
        trafficking_share,
        return_time_factor,
        returning,
        cash_of,
        outlay,
        bloc,
        cargo_of,
        state,
        return_left,
        progress,
        ledger_delivered,
        delivered_week,
        st_delivered,
        st_delivered_value,
        st_trip_profit,
        st_trips,
    )


@kernel
def officials_and_encounters(
    exponents,
    who_on_duty,
    on_duty,
    detect_duty,
    duty_pos,
    honest,
    uniform,
    pi,
    pj,
    place,
    seize,
    settle,
    routine,
    value,
    mov,
    good,
    cargo,
    on_route,
    edges,
    broker_until,
    week,
    shield,
    travel_ban,
    crossing,
    bloc_of,
    rob,
    settle_share,
    routine_share,
    alliance,
    toll,
    services_share,
    cash_of,
    outlay,
):
    """The officials' odds at the staffed entries, then :func:`encounters_met`, in one call (issue 18, eleventh pass).

    :func:`sim.agents.official_kernels.encounter_rates` (M3) on the staffed entries ``on_duty``
    (``exponents``: the ``exp`` of the officials' weighing, ``Officials.encounter_exponents``),
    written over the places' odds there (``seize``, ``settle``, ``routine``, changed in place),
    with who decided each entry (-1: no one); then :func:`encounters_met` with the other
    arguments, as ``Crews._travel`` called them one after the other, the same operations in
    the same order (``tests/test_crews11_kernels.py`` checks it against the calls it replaced).

    Returns:
        What :func:`encounters_met` returns.
    """
    seize_k, settle_k, routine_k = encounter_rates(
        exponents, who_on_duty, place[on_duty], good[on_duty], detect_duty, duty_pos, honest
    )
    who = np.full(place.size, -1, dtype=np.int64)
    for i in range(on_duty.size):
        k = on_duty[i]
        seize[k], settle[k], routine[k], who[k] = seize_k[i], settle_k[i], routine_k[i], who_on_duty[i]
    return encounters_met(
        uniform,
        pi,
        pj,
        place,
        seize,
        settle,
        routine,
        value,
        mov,
        good,
        cargo,
        on_route,
        who,
        edges,
        broker_until,
        week,
        shield,
        travel_ban,
        crossing,
        bloc_of,
        rob,
        settle_share,
        routine_share,
        alliance,
        toll,
        services_share,
        cash_of,
        outlay,
    )


@kernel
def settle_encounters(
    abroad_handles,
    home_handles,
    place,
    bribe,
    outcome,
    crew,
    value,
    in_mali,
    staffed,
    evidence,
    official,
    patron,
    kickback,
    wealth,
    rent_week,
    bribes,
    seizures,
    arrest_home,
    arrest_abroad,
):
    """``Officials.settle`` in one call when every decider is on record (issue 18, eleventh pass).

    The same steps in the same order: abroad, the neighbours' settlement (``Neighbours.settle``:
    the bribes leave the modelled economy, summed as numpy summed them; each encounter abroad
    draws a uniform from the neighbours' generator and a seizure ends in arrest below
    ``arrest_abroad``); then :func:`sim.agents.official_kernels.settle_week` (the Malian marks,
    bribes up the chains, counts); then, if that booked everything, one uniform per seizure in
    Mali from the model's generator (arrest below ``arrest_home`` at a staffed post, else
    ``arrest_abroad``; M3). If a decider is missing nothing after ``settle_week`` is drawn: the
    caller draws the deciders and the arrests as before. Generators rebuilt from handles
    (:mod:`sim.kernel_rng`); ``random`` draws numpy's stream.

    Args:
        abroad_handles: :func:`sim.kernel_rng.handles` of the neighbours' generator.
        home_handles: :func:`sim.kernel_rng.handles` of the model's generator.
        place: Each encounter's place.
        bribe: The bribe paid at each (0: none).
        outcome: Each encounter's outcome (``sim.enforcement.Outcome``).
        crew: The crew stopped at each.
        value: The consignment's value at each.
        in_mali: Whether each place is in Mali.
        staffed: As ``settle_week``.
        evidence: As ``settle_week`` (added to).
        official: As ``settle_week``.
        patron: As ``settle_week``.
        kickback: As ``settle_week``.
        wealth: As ``settle_week`` (added to).
        rent_week: As ``settle_week`` (added to).
        bribes: As ``settle_week`` (added to).
        seizures: As ``settle_week`` (added to).
        arrest_home: ``traffickers.arrest_probability`` of the officials.
        arrest_abroad: The neighbours' ``arrest_probability``.

    Returns:
        (any abroad, the bribes paid abroad, arrested), then what ``settle_week`` returns.
    """
    n = place.size
    foreign = np.empty(n, dtype=np.bool_)
    n_foreign = 0
    for i in range(n):
        foreign[i] = not in_mali[place[i]]
        if foreign[i]:
            n_foreign += 1
    arrested = np.zeros(n, dtype=np.bool_)
    abroad_bribes = 0.0
    if n_foreign:
        rows = np.flatnonzero(foreign)
        abroad_bribes = pairwise_sum(bribe[rows])
        drawn = generator(abroad_handles).random(rows.size)
        for j in range(rows.size):
            arrested[rows[j]] = outcome[rows[j]] == SEIZED and drawn[j] < arrest_abroad
    marks = (place, bribe, outcome, crew, value, staffed, foreign, evidence, official)
    elsewhere, local, seized, at_home, booked, to_officials = settle_week(
        *marks, patron, kickback, wealth, rent_week, bribes, seizures
    )
    if booked and seized.size:
        drawn = generator(home_handles).random(seized.size)
        for s in range(seized.size):
            arrested[seized[s]] = drawn[s] < (arrest_home if at_home[s] else arrest_abroad)
    return n_foreign > 0, abroad_bribes, arrested, elsewhere, local, seized, at_home, booked, to_officials
