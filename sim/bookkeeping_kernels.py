"""The week's count of encounters by place and kind, compiled (issue 18, docs/performance-log.md "war2").

Why compiled: :meth:`sim.model.SahelModel.record_encounters` was some thirty numpy operations a
week on the week's encounters (a few hundred). Here it is one loop over them. Every counter gets
what the numpy form added, in the same way: the amounts of each place are summed from zero in the
encounters' order (as ``np.bincount`` sums them), then added to the counter once, at every place
(as ``sim.stats.accumulate`` adds its whole ``bincount``), and not at all when no encounter counts;
the kinds' counts are whole numbers, exact in any order.
"""

from __future__ import annotations

import numpy as np

from sim.compiled import kernel

# sim.enforcement.Outcome
ROUTINE, SETTLED, SEIZED, ROBBED = 1, 2, 3, 4


@kernel
def _add_once(target, added, used):
    """``target += added`` at every place, if any encounter counted (``accumulate``'s addition)."""
    if used:
        for p in range(target.size):
            target[p] += added[p]


@kernel
def record_encounters(
    place,
    good,
    units,
    value,
    outcome,
    crew,
    staffed,
    in_mali,
    livelihood,
    crew_bloc,
    jihadist,
    kinds,
    livelihood_units,
    seized_value_at,
    violence,
    counts,
):
    """Add this week's encounters to the per-place counters; return how many ended in robbery.

    Args:
        place: Where each encounter happened.
        good: The good carried.
        units: The units carried.
        value: The consignment's value.
        outcome: What happened (``sim.enforcement.Outcome``).
        crew: The crew met.
        staffed: Whether officials or checkpoints work at each place.
        in_mali: Whether each place is in Mali.
        livelihood: Whether each good is a livelihood good.
        crew_bloc: Each crew's protecting bloc (-1: none).
        jihadist: The blocs with a jihadist member (empty without armed groups).
        kinds: Which of the 32 combinations of kinds each counter counts (counters x 32).
        livelihood_units: Units of livelihood goods not seized or robbed, per place (added to).
        seized_value_at: Value seized per place (added to).
        violence: Violence per place (robberies added, one each).
        counts: The encounter counters, rows of ``sim.model.ENCOUNTER_COUNTS`` (added to).
    """
    n_places = counts.shape[1]
    combinations = kinds.shape[1]
    passed = np.zeros(n_places)
    seized = np.zeros(n_places)
    robbed = np.zeros(n_places, dtype=np.int64)
    pairs = np.zeros((n_places, combinations), dtype=np.int64)
    any_passed, any_seized, n_robbed = False, False, 0
    for i in range(place.size):
        p, o = place[i], outcome[i]
        at_post = staffed[p] and in_mali[p]
        carries = livelihood[good[i]]
        if carries and o <= SETTLED:
            passed[p] += units[i]
            any_passed = True
        if o == SEIZED:
            seized[p] += value[i]
            any_seized = True
        if o == ROBBED:
            robbed[p] += 1
            n_robbed += 1
        code = 1 if at_post else 0
        if at_post and ROUTINE <= o <= SETTLED:  # a routine payment or a settled detection
            code += 2
        if carries:
            code += 8
            if o == SEIZED:
                code += 16
        b = crew_bloc[crew[i]]
        if b >= 0:
            for j in range(jihadist.size):
                if jihadist[j] == b:
                    code += 4
                    break
        pairs[p, code] += 1
    _add_once(livelihood_units, passed, any_passed)
    _add_once(seized_value_at, seized, any_seized)
    if n_robbed:
        for p in range(n_places):
            violence[p] += robbed[p]
    for k in range(counts.shape[0]):
        for p in range(n_places):
            total = 0.0
            for c in range(combinations):
                total += kinds[k, c] * pairs[p, c]
            counts[k, p] += total
    return n_robbed
