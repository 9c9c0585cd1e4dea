"""The officials' odds of taking a bribe, compiled: the patrons' cover and the official's own weighing.

Why compiled (issue 18, docs/performance-log.md "war2"): :meth:`sim.agents.official.Officials.take_odds`
runs some 1,500 times a run (the weekly checkpoint rates, every week's encounters, the trials, the
gold sites), each time about thirty small numpy operations on a few dozen rows. Here the arithmetic
between the exponentials is two loops, in the order the numpy form computed it (elementwise, so
each value is the same float).

A weighing is: :func:`patron_exponents`, ``exp``, :func:`own_exponents`, ``exp``, then
``1 / (1 + e)``. For the week's encounters and checkpoint rates the whole sequence is one call,
:func:`weighed_exponentials` (twelfth pass), with the C library's ``log1p`` and ``exp``; for the
trials and the gold sites they are :mod:`sim.libm`'s, between the kernels: the C library's too, so
the same on every CPU (numpy's vectorized forms are its own on CPUs with AVX-512 and differ in the
last bit for a few % of values: :mod:`sim.agents.route_kernels`' notes). The mechanism and its
sources (002 §II, §III; M3, M15) are those of :mod:`sim.agents.official`: a patron weighs his cut of
a bribe as an official weighs the bribe; the cover is the mean of the patrons' odds up the chain;
the official weighs his gain against his integrity and the risk oversight leaves him.

The Malian part of the week's settling (:func:`settle_marks`; docs/performance-log.md "rest7") is one
pass over the encounters instead of some twenty numpy operations on them.
"""

from __future__ import annotations

import numpy as np

from sim.compiled import clip01, kernel, pairwise_sum


@kernel
def gain_ratios(chain, rows, pay, gain, kickback, levels):
    """What the gains are worth to each patron up the chain and to the official, against their pay.

    A patron's cut is ``kickback`` of the bribe per level up the chain; each is divided by the
    pay of whoever weighs it (a missing patron reads row 0, masked later). The logarithm of one
    plus these is the pull of a gain (``take_gain * log1p(ratio)``); numpy takes it.

    Args:
        chain: Each official's patrons, level by level (levels x officials, -1 above the top).
        rows: The officials weighing.
        pay: Every official's pay.
        gain: The gains (rows x gains, or one row of gains for all).
        kickback: The share of a bribe passed up each level (``officials.kickback_share``).
        levels: How many levels up the chain are weighed.

    Returns:
        (levels + 1) x rows x gains: the patrons' ratios level by level, then the officials' own.
    """
    n, k = rows.size, gain.shape[1]
    out = np.empty((levels + 1, n, k))
    for i in range(n):
        g = i if gain.shape[0] == n else 0
        row = rows[i]
        for j in range(k):
            cut = gain[g, j]
            for level in range(levels):
                boss = chain[level, row]
                cut = cut * kickback
                out[level, i, j] = cut / pay[boss if boss >= 0 else 0]
            out[levels, i, j] = gain[g, j] / pay[row]
    return out


@kernel
def patron_exponents(chain, rows, integrity, logs, take_gain, take_integrity, take_risk, risk):
    """``-x`` of each patron's logistic odds of taking his cut (levels x rows x gains).

    ``x = take_gain * log - take_integrity * integrity - take_risk * risk``, as the numpy form grouped it.
    A missing patron (-1) reads row 0, as the numpy form's ``np.maximum(up, 0)`` did; its odds are
    masked out by :func:`own_exponents`.

    Args:
        chain: Each official's patrons, level by level (levels x officials, -1 above the top).
        rows: The officials weighing.
        integrity: Every official's integrity.
        logs: ``log1p`` of :func:`gain_ratios` (the patrons' levels, then the officials' own).
        take_gain: Weight of a gain's logarithm (``officials.take_gain``).
        take_integrity: Weight of integrity against a bribe (``officials.take_integrity``).
        take_risk: Weight of risk against a bribe (``officials.take_risk``).
        risk: The oversight risk at the top (a patron's risk).
    """
    levels, n, k = logs.shape[0] - 1, logs.shape[1], logs.shape[2]
    out = np.empty((levels, n, k))
    pull = take_risk * risk
    for level in range(levels):
        for i in range(n):
            boss = chain[level, rows[i]]
            held = take_integrity * integrity[boss if boss >= 0 else 0]
            for j in range(k):
                out[level, i, j] = -((take_gain * logs[level, i, j] - held) - pull)
    return out


@kernel
def own_exponents(
    patron_exp, chain, rows, depth, integrity, deterrence, logs, take_gain, take_integrity, take_risk, oversight
):
    """``-x`` of each official's logistic odds of taking the bribe, and his patrons' cover (both rows x gains).

    The cover is the mean of the patrons' odds ``1 / (1 + exp(-x))`` up the chain (``patron_exp``
    holds numpy's ``exp(-x)``), added level by level as the chain is climbed and divided by the
    number of patrons (at least 1). The official's risk is ``oversight * (1 - cover)`` plus his
    deterrence, at most 1; ``x = take_gain * log - take_integrity * integrity - take_risk * risk``.

    Args:
        patron_exp: ``exp`` of :func:`patron_exponents` (levels x rows x gains; levels may be 0).
        chain: Each official's patrons, level by level (levels x officials, -1 above the top).
        rows: The officials weighing.
        depth: Every official's number of patrons, as floats.
        integrity: Every official's integrity.
        deterrence: Every official's perceived risk from colleagues removed.
        logs: As in :func:`patron_exponents` (the officials' own in the last level).
        take_gain: Weight of a gain's logarithm (``officials.take_gain``).
        take_integrity: Weight of integrity against a bribe (``officials.take_integrity``).
        take_risk: Weight of risk against a bribe (``officials.take_risk``).
        oversight: The oversight risk at the top.
    """
    levels, n, k = patron_exp.shape[0], logs.shape[1], logs.shape[2]
    out, covers = np.empty((n, k)), np.empty((n, k))
    for i in range(n):
        row = rows[i]
        divisor = max(depth[row], 1.0)
        held = take_integrity * integrity[row]
        for j in range(k):
            cover = 0.0
            if levels:
                total = 1.0 / (1.0 + patron_exp[0, i, j]) if chain[0, row] >= 0 else 0.0
                for level in range(1, levels):
                    total = total + (1.0 / (1.0 + patron_exp[level, i, j]) if chain[level, row] >= 0 else 0.0)
                cover = total / divisor
            covers[i, j] = cover
            risk = oversight * (1.0 - cover) + deterrence[row]
            if risk > 1.0:  # np.minimum(risk, 1.0): a NaN stays NaN
                risk = 1.0
            out[i, j] = -((take_gain * logs[levels, i, j] - held) - take_risk * risk)
    return out, covers


@kernel
def weighed_exponentials(
    values, are_ratios, chain, rows, depth, integrity, deterrence, take_gain, take_integrity, take_risk, oversight
):
    """``exp`` of :func:`own_exponents`: the ``e`` of each official's odds ``1 / (1 + e)`` of taking the gains (M3).

    What ``Officials._weigh`` does with numpy between the two kernels, in one call (issue 18,
    twelfth pass): ``log1p`` of the gain ratios (``values``, when ``are_ratios``; else ``values``
    are those logarithms, kept), :func:`patron_exponents`, their ``exp``,
    :func:`own_exponents`, and its ``exp``. ``log1p`` and ``exp`` are the C library's, which are
    numpy's on CPUs without AVX-512 (:mod:`sim.agents.route_kernels`' notes).

    Args:
        values: (levels + 1) x rows x gains: :func:`gain_ratios`, or their ``log1p``.
        are_ratios: Whether ``values`` are the ratios (``log1p`` taken here) or their logarithms.
        chain: Each official's patrons, level by level (levels x officials, -1 above the top).
        rows: The officials weighing.
        depth: Every official's number of patrons, as floats.
        integrity: Every official's integrity.
        deterrence: Every official's perceived risk from colleagues removed.
        take_gain: Weight of a gain's logarithm (``officials.take_gain``).
        take_integrity: Weight of integrity against a bribe (``officials.take_integrity``).
        take_risk: Weight of risk against a bribe (``officials.take_risk``).
        oversight: The oversight risk at the top.

    Returns:
        rows x gains: ``exp`` of each official's exponent.
    """
    logs = np.empty(values.shape)
    flat_in, flat_out = values.ravel(), logs.ravel()
    for k in range(flat_in.size):
        flat_out[k] = np.log1p(flat_in[k]) if are_ratios else flat_in[k]
    up = patron_exponents(chain, rows, integrity, logs, take_gain, take_integrity, take_risk, oversight)
    flat = up.ravel()
    for k in range(flat.size):
        flat[k] = np.exp(flat[k])
    own, _ = own_exponents(
        up, chain, rows, depth, integrity, deterrence, logs, take_gain, take_integrity, take_risk, oversight
    )
    flat = own.ravel()
    for k in range(flat.size):
        flat[k] = np.exp(flat[k])
    return own


@kernel
def checkpoint_rates(
    detection,
    inspection,
    capacity,
    lever_capacity,
    presence,
    rows,
    posts,
    both,
    places,
    starts,
    staffed,
    count,
    seize,
    settle,
    routine,
    honest,
):
    """The week's detection odds of each official on duty, and the checkpoint rates of the places they staff.

    The arithmetic of the weekly rates in :meth:`sim.agents.official.Officials.update` (002 §II,
    §III; M3), in the numpy form's order: detection at the post (pressure, inspection lever) times
    the official's capacity (clipped) times the state's presence there, clipped; the settle and
    seize odds summed over a post's officials in roster order (as ``np.add.reduceat`` adds rows),
    the routine odds as ``np.bincount`` adds them, each divided by the number of officials there;
    honest raid units then seize a share of what is left at every place.

    Args:
        detection: Detection odds per place and good at this week's pressure.
        inspection: The inspection lever per place and good.
        capacity: Every official's capacity.
        lever_capacity: Capacity added at each place (support to the state).
        presence: The state's presence at each place.
        rows: The officials on duty, sorted by post.
        posts: Their posts.
        both: Their odds of taking the reference bribes (rows x goods), then the routine payments.
        places: The places with officials on duty.
        starts: Where each of those places' officials start in ``rows``.
        staffed: Whether each place is a Malian post with officials (the places rated here).
        count: Officials on duty at each place.
        seize: Seizure odds per place and good (written in place).
        settle: Odds per place and good of a detection bought off (written in place).
        routine: Odds per place of a routine payment (written in place).
        honest: Seizure odds of honest raid units per place and good (``levers.raid_seize``).

    Returns:
        The officials' detection odds (rows x goods).
    """
    n, k = rows.size, detection.shape[1]
    detect = np.empty((n, k))
    for i in range(n):
        post = posts[i]
        cap = clip01(capacity[rows[i]] + lever_capacity[post])
        for j in range(k):
            detect[i, j] = clip01(detection[post, j] * inspection[post, j] * cap * presence[post])
    n_routine = both.shape[1] - k
    demands = np.empty(n_routine)
    for s in range(places.size):
        place = places[s]
        first = starts[s]
        last = starts[s + 1] if s + 1 < places.size else n
        if not staffed[place]:
            continue
        officials = float(max(count[place], 1))
        for j in range(k):
            settled = detect[first, j] * both[first, j]
            seized = detect[first, j] * (1 - both[first, j])
            for r in range(first + 1, last):
                settled += detect[r, j] * both[r, j]
                seized += detect[r, j] * (1 - both[r, j])
            settle[place, j] = settled / officials
            seize[place, j] = seized / officials
        demanded = 0.0
        for r in range(first, last):
            demands[:] = both[r, k:]
            demanded += pairwise_sum(demands) / n_routine  # np.mean of the row
        routine[place] = demanded / officials
    for place in range(seize.shape[0]):
        for j in range(k):
            seize[place, j] = seize[place, j] + (1 - seize[place, j] - settle[place, j]) * honest[place, j]
    return detect


@kernel
def integrity_drift(
    integrity,
    disposition,
    rents,
    deterrence,
    rows,
    region,
    peer_count,
    post,
    post_count,
    pay,
    chain,
    depth,
    oversight,
    peer_weight,
    rent_pull,
    risk_push,
    drift,
):
    """Every official's integrity moves toward his target (002 §II, §III), in place, as the numpy form did.

    The target is his disposition blended with his region's colleagues' mean integrity
    (``peer_weight``), lowered by the rents at his post against his pay (``rent_pull``) and raised
    by the risk he faces (``risk_push``): oversight, less his patrons' protection (their mean
    ``1 - integrity`` up the chain), plus his deterrence, at most 1. Every term reads the
    integrities before this week's move; the means are summed in roster order (as
    ``np.bincount`` adds) and the chain's three levels in order.

    Args:
        integrity: Every official's integrity (moved in place).
        disposition: Every official's own integrity, the anchor.
        rents: Every official's rents (their moving average, this week's included).
        deterrence: Every official's perceived risk from colleagues removed.
        rows: The officials alive.
        region: Their regions.
        peer_count: Officials in each region (at least 1).
        post: Their posts.
        post_count: Officials at each place (at least 1).
        pay: Their pay.
        chain: Each official's patrons, level by level (3 x officials, -1 above the top).
        depth: Every official's number of patrons, as floats.
        oversight: The oversight risk at the top (this week's will).
        peer_weight: ``officials.peer_weight``.
        rent_pull: ``officials.rent_pull``.
        risk_push: ``officials.risk_push``.
        drift: ``officials.integrity_drift``.
    """
    n = rows.size
    peers = np.zeros(peer_count.size)
    at_post = np.zeros(post_count.size)
    for i in range(n):
        peers[region[i]] += integrity[rows[i]]
        at_post[post[i]] += rents[rows[i]]
    for r in range(peers.size):
        peers[r] = peers[r] / peer_count[r]
    for place in range(at_post.size):
        at_post[place] = at_post[place] / post_count[place]
    moved = np.empty(n)
    levels = chain.shape[0]
    own = 1 - peer_weight
    for i in range(n):
        row = rows[i]
        around = at_post[post[i]]
        ratio = around / (around + pay[i])
        lax = 0.0
        for level in range(levels):
            boss = chain[level, row]
            step = 1.0 - integrity[boss] if boss >= 0 else 0.0
            lax = step if level == 0 else lax + step
        protection = lax / max(depth[row], 1.0)
        risk = oversight * (1.0 - protection) + deterrence[row]
        if risk > 1.0:  # np.minimum(1.0, risk): a NaN stays NaN
            risk = 1.0
        goal = own * disposition[row] + peer_weight * peers[region[i]] - rent_pull * ratio + risk_push * risk
        moved[i] = integrity[row] + drift * (clip01(goal) - integrity[row])
    for i in range(n):
        integrity[rows[i]] = moved[i]


@kernel
def pay_chain(who, amounts, patron, kickback, wealth, rent_week):
    """Book bribes up the patron chains (M15), in place, adding as the numpy form's ``np.add.at`` did.

    Each official keeps his bribe less the kickback (``kickback`` of it) his patron receives, who
    keeps his own less his patron's kickback, up to four levels. Level by level, every bribe of the
    level in turn: ``wealth`` and ``rent_week`` receive the same sums in the same order as before.

    Args:
        who: The officials paid.
        amounts: Their bribes (floats).
        patron: Every official's patron (-1: none).
        kickback: ``officials.kickback_share``.
        wealth: Every official's wealth (added to).
        rent_week: Every official's rents this week (added to).
    """
    cur, left = who.copy(), amounts.copy()
    n = cur.size
    for _ in range(4):
        up = np.empty(n)
        for i in range(n):
            up[i] = left[i] * kickback if patron[cur[i]] >= 0 else 0.0
            wealth[cur[i]] += left[i] - up[i]
        for i in range(n):
            rent_week[cur[i]] += left[i] - up[i]
        m = 0
        for i in range(n):
            boss = patron[cur[i]]
            if boss >= 0:
                cur[m], left[m] = boss, up[i]
                m += 1
        if m == 0:
            return
        n = m


@kernel
def encounter_ratios(
    places, values, uniforms, duty_count, duty_start, duty, depth, chain, pay, bribe_share, routine_share, kickback
):
    """Who is on duty at each encounter, and :func:`gain_ratios` of the bribe and the routine payment he weighs.

    The official on duty is drawn among those posted at the place with ``uniforms`` (numpy's
    draws, as ``Officials._on_duty`` makes them: ``int(u * count)``); the gains are the bribe and
    the routine payment, shares of the consignment's value (M3).

    Args:
        places: Where each encounter happens (staffed Malian places).
        values: Each consignment's value there.
        uniforms: One uniform draw per encounter.
        duty_count: Officials on duty at each place.
        duty_start: Where each place's officials start in the duty roster.
        duty: The duty roster (officials sorted by post).
        depth: Every official's number of patrons, as floats.
        chain: Each official's patrons, level by level (levels x officials, -1 above the top).
        pay: Every official's pay.
        bribe_share: ``officials.bribe_share``.
        routine_share: ``officials.routine_share``.
        kickback: ``officials.kickback_share``.

    Returns:
        (who, ratios): the officials on duty, and the ratios ((levels + 1) x encounters x 2).
    """
    n = places.size
    who = np.empty(n, dtype=np.int64)
    gain = np.empty((n, 2))
    levels = 0
    for i in range(n):
        place = places[i]
        pick = np.int64(uniforms[i] * duty_count[place])
        who[i] = duty[duty_start[place] + pick]
        levels = max(levels, np.int64(depth[who[i]]))
        gain[i, 0] = bribe_share * values[i]
        gain[i, 1] = routine_share * values[i]
    return who, gain_ratios(chain, who, pay, gain, kickback, levels)


@kernel
def encounter_rates(exponents, who, places, goods, detect_duty, duty_pos, honest):
    """The odds of seizure, settlement and a routine payment at each encounter (M3), from the officials' weighing.

    The official takes the bribe with odds ``1 / (1 + e)`` (``exponents``: the ``exp`` of
    :func:`own_exponents`; the bribe, then the routine payment). Having detected the contraband
    he settles if he takes, else seizes; what he does not detect honest units may seize.

    Args:
        exponents: ``exp`` of the officials' ``-x`` (encounters x 2; :func:`weighed_exponentials`).
        who: The official on duty at each.
        places: Where each happens.
        goods: The good carried.
        detect_duty: The officials' detection odds this week (duty roster x goods).
        duty_pos: Each official's position in the duty roster.
        honest: Seizure odds of honest units per place and good.

    Returns:
        (seize, settle, routine) odds per encounter.
    """
    n = who.size
    seize, settle, routine = np.empty(n), np.empty(n), np.empty(n)
    for i in range(n):
        take = 1.0 / (1.0 + exponents[i, 0])
        routine[i] = 1.0 / (1.0 + exponents[i, 1])
        detect = detect_duty[duty_pos[who[i]], goods[i]]
        seize[i] = detect * (1 - take) + (1 - detect) * honest[places[i], goods[i]]
        settle[i] = detect * take
    return seize, settle, routine


SETTLED, SEIZED = 2, 3  # sim.enforcement.Outcome


@kernel
def settle_marks(place, bribe, outcome, crew, value, staffed, foreign, evidence):
    """What :meth:`Officials.settle` books in Mali after the neighbours' part, in one pass over the encounters.

    The bribes paid at unstaffed Malian places are summed (numpy's sum of them in encounter
    order); each encounter at a staffed post where the crew was detected (settled or seized) adds
    its value to the crew's evidence, in encounter order (as ``np.add.at``; M13); and the bribes
    paid at staffed posts and the seizures outside the neighbours' countries are listed, with
    whether each seizure was at a staffed post (002 §II; M3).

    Args:
        place: Each encounter's place.
        bribe: The bribe paid at each (0: none).
        outcome: Each encounter's outcome (``sim.enforcement.Outcome``).
        crew: The crew stopped at each.
        value: The consignment's value at each.
        staffed: Whether officials are on duty at each place (in Mali).
        foreign: Whether each encounter is abroad.
        evidence: Each crew's evidence this week, added to.

    Returns:
        The bribes paid elsewhere in Mali (summed), the rows of the bribes at staffed posts, the
        rows of the seizures and whether each was at a staffed post.
    """
    n = place.size
    elsewhere = np.empty(n)
    local = np.empty(n, dtype=np.int64)
    seized = np.empty(n, dtype=np.int64)
    at_home = np.empty(n, dtype=np.bool_)
    e = n_local = n_seized = 0
    for i in range(n):
        mali = staffed[place[i]]
        if bribe[i] > 0:
            if mali:
                local[n_local] = i
                n_local += 1
            elif not foreign[i]:
                elsewhere[e] = bribe[i]
                e += 1
        if mali and (outcome[i] == SETTLED or outcome[i] == SEIZED):
            evidence[crew[i]] += value[i]
        if outcome[i] == SEIZED and not foreign[i]:
            seized[n_seized] = i
            at_home[n_seized] = mali
            n_seized += 1
    return pairwise_sum(elsewhere[:e]), local[:n_local], seized[:n_seized], at_home[:n_seized]


@kernel
def boost_capacity(capacity, alive, post, support, oc_support, lever_capacity, base):
    """Each living official's capacity: ``base`` plus the support given at his post, clipped to [0, 1].

    ``Officials.boost_capacity`` in one pass (issue 18, docs/performance-log.md "state8"): the support
    at a place is the state's support plus the mission's organized-crime support plus the levers'
    capacity, added in that order as the numpy form added the arrays, then ``base`` plus it and
    numpy's clip, row by row (002 §III: training and equipment raise capacity where given).
    """
    for row in range(alive.size):
        if alive[row]:
            at = post[row]
            capacity[row] = clip01(base + ((support[at] + oc_support[at]) + lever_capacity[at]))


@kernel
def count_rows(counts, rows):
    """``np.add.at(counts, rows, 1)`` on whole-number counters: one more for each time a row is listed.

    The officials' bribes and seizures counted at settling (issue 18, docs/performance-log.md "state8"):
    numpy's ``ufunc.at`` costs about 10 µs a call on a few rows; integers add exactly in any order.
    """
    for r in rows:
        counts[r] += 1


@kernel
def fade_rents(rents, rent_week, deterrence, rows, top, memory):
    """The week's rents folded into the officials' remembered rents, deterrence faded; the top's rents summed.

    The start of ``Officials._drift`` in one pass (issue 18, docs/performance-log.md "state8"; 002 §II):
    for each official (``rows``, distinct) the remembered rents move ``memory`` of the way to this
    week's, this week's are zeroed and deterrence fades by ``1 - memory``, each the numpy form's
    elementwise arithmetic. Then the senior patrons' (``top``) remembered rents are summed as
    ``np.sum`` sums them (the will at the top reads it).

    Returns:
        The sum of ``rents`` over ``top`` after the update.
    """
    fade = 1.0 - memory
    for r in rows:
        rents[r] = rents[r] + memory * (rent_week[r] - rents[r])
        rent_week[r] = 0.0
        deterrence[r] = deterrence[r] * fade
    return pairwise_sum(rents[top])


@kernel
def settle_week(
    place,
    bribe,
    outcome,
    crew,
    value,
    staffed,
    foreign,
    evidence,
    official,
    patron,
    kickback,
    wealth,
    rent_week,
    bribes,
    seizures,
):
    """The Malian part of :meth:`Officials.settle` in one call, when every decider is on record (issue 18, "state10").

    :func:`settle_marks`, then, if each bribe at a staffed post and each seizure at one names the
    official who decided it (``official`` not -1): the bribes up the patron chains
    (:func:`pay_chain`), one more bribe counted for each official paid and one more seizure for
    each who seized (:func:`count_rows`), in the Python form's order; the bribes' total is summed
    as ``float(amounts.sum())`` summed it, for the ledger. If a decider is missing, nothing after
    the marks is booked: the caller draws the deciders and books them as before.

    Args:
        place: Each encounter's place.
        bribe: The bribe paid at each (0: none).
        outcome: Each encounter's outcome (``sim.enforcement.Outcome``).
        crew: The crew stopped at each.
        value: The consignment's value at each.
        staffed: Whether officials are on duty at each place (in Mali).
        foreign: Whether each encounter is abroad.
        evidence: Each crew's evidence this week, added to.
        official: Who decided each encounter (-1: no one on record).
        patron: Every official's patron (-1: none).
        kickback: ``officials.kickback_share``.
        wealth: Every official's wealth (added to).
        rent_week: Every official's rents this week (added to).
        bribes: Every official's count of bribes taken (added to).
        seizures: Every official's count of seizures made (added to).

    Returns:
        The marks (:func:`settle_marks`), whether the rest was booked, and the bribes' total booked
        to the officials (0.0 if none or not booked).
    """
    elsewhere, local, seized, at_home = settle_marks(place, bribe, outcome, crew, value, staffed, foreign, evidence)
    for i in local:
        if official[i] < 0:
            return elsewhere, local, seized, at_home, False, 0.0
    for s in range(seized.size):
        if at_home[s] and official[seized[s]] < 0:
            return elsewhere, local, seized, at_home, False, 0.0
    total = 0.0
    if local.size:
        who = official[local]
        amounts = bribe[local]
        total = pairwise_sum(amounts)
        pay_chain(who, amounts, patron, kickback, wealth, rent_week)
        count_rows(bribes, who)
    if seized.size:
        count_rows(seizures, official[seized[at_home]])
    return elsewhere, local, seized, at_home, True, total


@kernel
def weekly_rates(
    exponentials,
    detection,
    inspection,
    capacity,
    lever_capacity,
    presence,
    rows,
    posts,
    places,
    starts,
    staffed,
    count,
    seize,
    settle,
    routine,
    honest,
    routine_share,
    share,
):
    """The week's checkpoint rates from the officials' weighing, in one call (issue 18, "state10").

    The officials' odds of taking the reference bribes and routine payments are ``1 / (1 + e)`` of
    the exponentials of their weighing (as :meth:`Officials.take_odds` takes them, elementwise),
    then :func:`checkpoint_rates`; the routine payment's share is ``share`` at every staffed post
    (002 §II; M3).

    Args:
        exponentials: ``exp`` of the officials' weighing (rows x goods, then the routine payments).
        detection: Detection odds per place and good at this week's pressure.
        inspection: The inspection lever per place and good.
        capacity: Every official's capacity.
        lever_capacity: Capacity added at each place (support to the state).
        presence: The state's presence at each place.
        rows: The officials on duty, sorted by post.
        posts: Their posts.
        places: The places with officials on duty.
        starts: Where each of those places' officials start in ``rows``.
        staffed: Whether each place is a Malian post with officials.
        count: Officials on duty at each place.
        seize: Seizure odds per place and good (written in place).
        settle: Odds per place and good of a detection bought off (written in place).
        routine: Odds per place of a routine payment (written in place).
        honest: Seizure odds of honest raid units per place and good.
        routine_share: The routine payment's share per place (written at the staffed posts).
        share: ``officials.routine_share``.

    Returns:
        The officials' detection odds (rows x goods).
    """
    both = 1.0 / (1.0 + exponentials)
    detect = checkpoint_rates(
        detection,
        inspection,
        capacity,
        lever_capacity,
        presence,
        rows,
        posts,
        both,
        places,
        starts,
        staffed,
        count,
        seize,
        settle,
        routine,
        honest,
    )
    for place in range(staffed.size):
        if staffed[place]:
            routine_share[place] = share
    return detect


@kernel
def detection_week(pressure, multiplier, base, detect):
    """Detection odds per place and good at this week's checkpoint pressure (issue 18, "state12").

    :func:`sim.enforcement.detection_odds` of ``pressure * multiplier``:
    ``np.clip(base * (pressure * multiplier)[:, None] * detect[None, :], 0, 1)``, the products in
    numpy's order, in one pass instead of five numpy calls (the pressure moves most weeks).

    Args:
        pressure: The checkpoints' own pressure at each place.
        multiplier: This week's multiplier of it at each place (the forces' support).
        base: The officials' base detection (``detect_base``).
        detect: Each good's detectability.

    Returns:
        The odds (places x goods), a new array.
    """
    n, k = pressure.size, detect.size
    out = np.empty((n, k))
    for i in range(n):
        at = base * (pressure[i] * multiplier[i])
        for j in range(k):
            out[i, j] = clip01(at * detect[j])
    return out
