"""The weekly update of what the holders know of crews, groups and officials, compiled (issue 18, "war2", "rest7").

Why compiled: :meth:`sim.knowledge.Knowledge.update`'s crews, groups and officials parts were some
ten to twenty numpy operations each on three rows of scores a week, each paying numpy's fixed cost.
Here each is one loop, with the same arithmetic in the same order for each score (the same floats). The
mechanisms and their sources (002 §III, §IV; M13) are those of :mod:`sim.knowledge`.
"""

from __future__ import annotations

import numpy as np

from sim.compiled import clip01, kernel

MISSION, STATE, PANEL = 0, 1, 2  # sim.knowledge.HOLDERS, in that order


@kernel
def sources(trust, in_mali, mission, presence, mission_sources, state_sources, panel_investigation):
    """Weekly odds that each holder learns of an entity active at each place (holders x places; 002 §III, §IV).

    The mission hears communities that trust it where it has access, the state where it is
    present; abroad nobody's trust counts. The Panel investigates across Mali. Each product is
    taken left to right, as the numpy form ``p.mission_sources * mission * trust`` did.

    Args:
        trust: The communities' trust at each place (0.5 where none).
        in_mali: Whether each place is in Mali.
        mission: The mission's access at each place.
        presence: The state's presence at each place.
        mission_sources: ``knowledge.mission_sources``.
        state_sources: ``knowledge.state_sources``.
        panel_investigation: ``knowledge.panel_investigation``.
    """
    n = trust.size
    out = np.empty((3, n))
    for p in range(n):
        t = trust[p] if in_mali[p] else 0.0
        out[MISSION, p] = mission_sources * mission[p] * t
        out[STATE, p] = state_sources * presence[p] * t
        out[PANEL, p] = panel_investigation * (1.0 if in_mali[p] else 0.0)
    return out


@kernel
def update_crews(
    scores,
    keep,
    born,
    last_born,
    alive,
    cargo,
    home,
    route,
    sources,
    route_places,
    value,
    evidence,
    last,
    support,
    level,
):
    """Forget crews new in their rows, fade every score, then add what this week's sources told of the crews moving.

    A crew that entered a freed row (``born`` differs from ``last_born``) is a stranger to every
    holder: its scores and its evidence seen are zeroed and its entry week kept. Scores fade by
    ``keep`` (the dead are forgotten at once). Each crew carrying goods is seen with
    the best of the sources at its home and along its route; the Panel's odds scale with the value
    the crew moves against the most any crew moves (it follows the money); evidence recorded this
    week lifts the state's odds, and the mission's where it supports the police (``shared``).
    A score moves toward 1 by the odds it is seen with: ``k + (1 - k) * clip(seen, 0, 1)``.

    Args:
        scores: Holders x crews, updated in place.
        keep: 1 - decay.
        born: Each crew's entry week now.
        last_born: ... when its scores were last updated (updated in place).
        alive: Which crews are alive.
        cargo: Units each crew carries.
        home: Each crew's home place.
        route: Each crew's route (-1: none).
        sources: Holders x places: the weekly odds a holder learns of an entity active there.
        route_places: Places along each route (positions x routes; the place count pads them).
        value: Each crew's reference cargo value.
        evidence: Each crew's evidence on record now.
        last: ... and last week (set to ``evidence`` at the end, in place).
        support: The mission's support to the police at each place (shared where positive).
        level: The odds evidence on record gives (``knowledge.evidence``).
    """
    holders, n = scores.shape
    n_places = sources.shape[1]
    # One pass over every row: forget the new, fade, note who moves (and whether this week's
    # evidence is fresh, before it is kept), the most any moving crew carries; then the movers.
    moving = np.empty(n, dtype=np.int64)
    fresh = np.empty(n, dtype=np.bool_)
    n_moving = 0
    most = -np.inf
    for i in range(n):
        if born[i] != last_born[i]:
            for h in range(holders):
                scores[h, i] = 0.0
            last[i] = 0.0
            last_born[i] = born[i]
        fade = keep * (1.0 if alive[i] else 0.0)
        for h in range(holders):
            scores[h, i] = scores[h, i] * fade
        if alive[i] and cargo[i] > 0:
            moving[n_moving] = i
            fresh[n_moving] = evidence[i] > last[i]
            n_moving += 1
            if most == most and (value[i] > most or value[i] != value[i]):  # np.max: a NaN wins
                most = value[i]
        last[i] = evidence[i]
    most = 1e-9 if most < 1e-9 else most  # Python's max(most, 1e-9)
    seen = np.empty(holders)
    # The best source along each route, per holder: the same for every crew on it, so taken once a
    # call for each route a mover is on (issue 18, fifteenth pass; the same comparisons in order).
    along = np.empty((holders, route_places.shape[1]))
    done = np.zeros(route_places.shape[1], dtype=np.bool_)
    for m in range(n_moving):
        i = moving[m]
        r = route[i]
        if r >= 0 and not done[r]:
            for h in range(holders):
                best = -np.inf
                for pos in range(route_places.shape[0]):
                    place = route_places[pos, r]
                    v = sources[h, place] if place < n_places else 0.0
                    if v > best:
                        best = v
                along[h, r] = best
            done[r] = True
        for h in range(holders):
            s = sources[h, home[i]]
            if r >= 0 and along[h, r] > s:
                s = along[h, r]
            seen[h] = s
        seen[PANEL] = seen[PANEL] * (value[i] / most)
        if fresh[m]:
            if level > seen[STATE]:
                seen[STATE] = level
            if support[home[i]] > 0 and level > seen[MISSION]:
                seen[MISSION] = level
        for h in range(holders):
            k = scores[h, i]
            scores[h, i] = k + (1.0 - k) * clip01(seen[h])


@kernel
def update_officials(scores, keep, disposition, last_disposition, alive, rents, pay, post, patron, sources, chain):
    """Forget new men and the dead, fade every score, then add what the sources and the chain tell (002 §III).

    A holder sees an official with its odds at his post times the share of his income that is
    rents; what it knows of clients' rents leads it up to their patron (``chain`` times the sum,
    over his clients in row order, of the knowledge of each times his share of rents, as
    ``np.bincount`` adds it; read before this week's fade). A score moves toward 1 by the odds it
    is seen with: ``k + (1 - k) * clip(seen, 0, 1)``.

    Args:
        scores: Holders x officials, updated in place.
        keep: 1 - decay.
        disposition: Every official's disposition now (a new one: a new man in the post).
        last_disposition: ... and last week.
        alive: Which officials are alive.
        rents: Every official's rents (moving average).
        pay: Every official's pay.
        post: Every official's post.
        patron: Every official's patron (-1: none).
        sources: Holders x places: the weekly odds a holder learns of an entity active there.
        chain: How far knowledge of clients leads to their patron (``knowledge.chain``).
    """
    holders, n = scores.shape
    for j in range(n):
        if disposition[j] != last_disposition[j] or not alive[j]:
            for h in range(holders):
                scores[h, j] = 0.0
    taking = np.zeros(n)
    lead = np.zeros((holders, n))
    for j in range(n):
        if alive[j]:
            total = rents[j] + pay[j]
            taking[j] = rents[j] / (total if total >= 1e-9 or total != total else 1e-9)
            boss = patron[j]
            if boss >= 0:
                for h in range(holders):
                    lead[h, boss] += scores[h, j] * taking[j]
    for h in range(holders):
        for j in range(n):
            scores[h, j] = scores[h, j] * keep
    for j in range(n):
        if not alive[j]:
            continue
        for h in range(holders):
            seen = sources[h, post[j]] * taking[j]
            led = chain * lead[h, j]
            if not (seen >= led or seen != seen):  # np.maximum: a NaN wins
                seen = led
            k = scores[h, j]
            scores[h, j] = k + (1.0 - k) * clip01(seen)


@kernel
def update_groups(scores, keep, holder, sources, trade_share):
    """Fade every holder's score of every group, then add what the sources at the places it holds told.

    A group is seen with the mean of each holder's sources over the places it holds (the sums in
    place order, from zero, as ``np.bincount`` adds them; a group holding none counts one place),
    scaled by its share of revenue from the trade (M13): ``k + (1 - k) * clip(seen * share, 0, 1)``.

    Args:
        scores: Holders x groups, updated in place.
        keep: 1 - decay.
        holder: The group holding each place (-1: none).
        sources: Holders x places, the weekly odds of learning of an entity active there.
        trade_share: Each group's share of revenue from the trade.
    """
    holders, n = scores.shape
    seen = np.zeros((holders, n))
    count = np.zeros(n, dtype=np.int64)
    for p in range(holder.size):
        g = holder[p]
        if g >= 0:
            count[g] += 1
            for h in range(holders):
                seen[h, g] += sources[h, p]
    for h in range(holders):
        for g in range(n):
            places = count[g] if count[g] > 1 else 1
            kept = scores[h, g] * keep
            scores[h, g] = kept + (1.0 - kept) * clip01(seen[h, g] / places * trade_share[g])


@kernel
def update_week(keep, source_inputs, crew_inputs, group_inputs, official_inputs):
    """The week's knowledge in one call (issue 18, "state10"): the sources, then the crews, groups and officials.

    The same steps, in the same order, as :func:`sources`, :func:`update_crews`,
    :func:`update_groups` and :func:`update_officials` called one after another.

    Args:
        keep: 1 - decay.
        source_inputs: :func:`sources`' arguments.
        crew_inputs: :func:`update_crews`' arguments but ``keep`` and ``sources``, in order.
        group_inputs: (scores, holder, trade_share) of :func:`update_groups`, or None (no groups).
        official_inputs: :func:`update_officials`' arguments but ``keep`` and ``sources``, or None.

    Returns:
        The sources (holders x places).
    """
    found = sources(*source_inputs)
    scores, born, last_born, alive, cargo, home, route, route_places, value, evidence, last, support, level = (
        crew_inputs
    )
    update_crews(
        scores,
        keep,
        born,
        last_born,
        alive,
        cargo,
        home,
        route,
        found,
        route_places,
        value,
        evidence,
        last,
        support,
        level,
    )
    if group_inputs is not None:
        update_groups(group_inputs[0], keep, group_inputs[1], found, group_inputs[2])
    if official_inputs is not None:
        held, disposition, last_disposition, alive_now, rents, pay, post, patron, chain = official_inputs
        update_officials(held, keep, disposition, last_disposition, alive_now, rents, pay, post, patron, found, chain)
    return found
