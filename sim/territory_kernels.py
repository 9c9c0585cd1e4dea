"""The territory's weekly arithmetic, compiled (issue 18, "state12").

Why compiled: :meth:`sim.territory.Territory.update_presence` and
:meth:`~sim.territory.Territory.end_week` were some fifteen numpy calls a week on the 69 places
(masks, ``where``, ``clip``, a guarded division, two running averages, the counters zeroed), each
paying numpy's fixed cost. Here each is one loop with the same elementwise arithmetic in the same
order, so the same floats. The mechanism and its sources are those of :mod:`sim.territory`.
"""

from __future__ import annotations

import numpy as np

from sim.compiled import clip01, kernel, np_maximum


@kernel
def presence(holder, hostile, base, support, services, in_mali, held_share):
    """State presence per place: the base, cut where a hostile group holds it, plus support and services.

    ``np.clip(np.where(held, held_share * base, base) + (support + services), 0, 1)``, then zero
    outside Mali, place by place (a new array: the last week's is not written).

    Args:
        holder: The group holding each place (-1 for none).
        hostile: Whether the place's holder is hostile to the state.
        base: The state's base presence at each place.
        support: Presence added by the forces this week.
        services: Presence added by policies' services this week.
        in_mali: Whether each place is in Mali.
        held_share: The share of its base presence the state keeps where a hostile group holds.

    Returns:
        The presence at each place.
    """
    n = base.size
    out = np.empty(n)
    for i in range(n):
        b = base[i]
        kept = held_share * b if holder[i] >= 0 and hostile[i] else b
        out[i] = clip01(kept + (support[i] + services[i])) if in_mali[i] else 0.0
    return out


@kernel
def fold_violence(insecurity, abuse_rate, violence, abuses, population, cleared, decay, fresh):
    """This week's violence and abuses per 10,000 people folded into their running averages.

    ``decay * old + fresh * week * scale`` (``scale`` is ``1e4 / population``, 0 where nobody
    lives), as numpy took it; the week's counters are zeroed and the weeks of cleared ground
    counted down (``np.maximum(cleared - 1, 0)``) in place.

    Args:
        insecurity: Last week's running average of violence per 10,000 people.
        abuse_rate: Last week's running average of abuses per 10,000 people.
        violence: Deaths and robberies this week (zeroed).
        abuses: Civilians killed by state or allied forces this week (zeroed).
        population: People at each place.
        cleared: Weeks the state still holds ground it cleared (counted down in place).
        decay: The running averages' weight of the past.
        fresh: ``1 - decay``, as Python took it.

    Returns:
        The new insecurity and abuse rate (new arrays).
    """
    n = insecurity.size
    new_insecurity = np.empty(n)
    new_abuse = np.empty(n)
    for i in range(n):
        people = population[i]
        scale = 1e4 / people if people > 0 else 0.0
        new_insecurity[i] = decay * insecurity[i] + fresh * violence[i] * scale
        new_abuse[i] = decay * abuse_rate[i] + fresh * abuses[i] * scale
        violence[i] = 0.0
        abuses[i] = 0.0
        cleared[i] = np_maximum(cleared[i] - 1.0, 0.0)
    return new_insecurity, new_abuse
