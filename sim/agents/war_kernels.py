"""The mission war's week compiled: every group's attacks on the mission, with their random draws.

Why compiled (issue 18, docs/performance-log.md "war"): a week of the war is about 60 scalar Poisson
draws, one per group and worthwhile target, each followed at once by the draws of the attacks it
triggers. The order is the model's and so is the random stream, so the draws cannot be made as one
array; in Python each costs a call of a microsecond or more. The kernel makes the same draws from
the model's generator in the same order (``tests/test_compiled.py``, ``tests/test_war_kernels.py``),
reached through :mod:`sim.kernel_rng` (numba's own unboxing of a generator costs more than the week).

The mechanisms and their sources are those of :mod:`sim.agents.mission_war` (002 §III later years,
004, M20, F8); the kernel holds only their arithmetic. Python objects (groups, the ledger of
events) stay outside: the kernel returns what happened and the caller applies it in order.
"""

from __future__ import annotations

import numpy as np

from sim.compiled import kernel
from sim.kernel_rng import generator

CONVOY, PATROL, BASE = 0, 1, 2  # sim.agents.mission_war.TARGETS, in that order

# The week's terms, passed as one array (see ``terms``): their positions in it.
TERMS = (
    "success",  # odds an attack succeeds (attack_success times the mission's exposure)
    "lethality",  # peacekeepers an attack kills on average without an IED (deaths_per_attack times exposure)
    "attack_rate",
    "ied_lethality",
    "jihadist_value",  # jihadist_attack_value_usd
    "convoy_loot",  # convoy_loot_usd
    "ambush",  # ambush_losses
    "assault",  # base_assault_losses
    "fighter_value",  # a fighter's year of wages (the price groups put on fighters)
)
SUCCESS, LETHALITY, ATTACK_RATE, IED_LETHALITY, JIHADIST_VALUE, CONVOY_LOOT, AMBUSH, ASSAULT, FIGHTER_VALUE = range(9)


def terms(p, success: float, lethality: float, fighter_value: float) -> np.ndarray:
    """The week's terms for the kernels, in ``TERMS`` order, from the ``forces`` parameters ``p``."""
    values = (success, lethality, p.attack_rate, p.ied_lethality, p.jihadist_attack_value_usd, p.convoy_loot_usd)
    return np.array((*values, p.ambush_losses, p.base_assault_losses, fighter_value), dtype=np.float64)


@kernel
def _poisson(rng, lam):
    """``rng.poisson(lam)``, refusing a negative or nan mean as numpy does (numba's returns 0)."""
    if not lam >= 0:
        raise ValueError("lam < 0 or lam is NaN")
    return rng.poisson(lam)


@kernel
def appraise_target(t, jihadist, has_kit, provoked, terms):
    """A group's view of target ``t``: (gain, cost, with an IED), as ``MissionWar.appraise`` gives it.

    Gain is the odds of success times what success is worth (a jihadist's value of hurting the
    mission, revenge owed for offensive action (004, M20), a convoy's loot); cost is the fighters
    it expects to lose at a year's wage each. With an IED kit, convoys and patrols are mined
    without exposing fighters (F8, 002 Box A); bases are shelled or stormed.
    """
    value = (terms[JIHADIST_VALUE] if jihadist else 0.0) + provoked
    ied = has_kit and t != BASE
    loot = terms[CONVOY_LOOT] if t == CONVOY else 0.0
    losses = 0.0 if ied else (terms[ASSAULT] if t == BASE else terms[AMBUSH])
    return terms[SUCCESS] * (value + loot), losses * terms[FIGHTER_VALUE], ied


@kernel
def attack_week(
    rng_handles,
    members_start,
    members,
    bases_start,
    bases,
    provoked,
    fighters,
    n_regions,
    jihadist,
    kits,
    offer,
    terms,
):
    """One week of attacks on the mission, region by region, group by group, draw by draw.

    The order of events is the model's, kept exactly: the mission's regions in turn; in each, the
    groups that have fighters when the region's turn comes, in the groups' order, each weighing
    convoy, patrol and base in that order and drawing its attacks on each (a Poisson draw at a
    rate that grows with its fighters in the region and the target's appeal, gain over gain plus
    cost), each attack drawn at once: success, then peacekeepers killed, then (without an IED)
    the attackers lost and the base where they fell. Then the attacks provoked in the region by
    offensive action (004, M20): a group of the region drawn for each, striking the target it
    values most with revenge valued as a jihadist values an attack. Each group acts on the
    fighters and kits that the attacks before it left.

    Args:
        rng_handles: The model's generator, as :func:`sim.kernel_rng.handles` (its stream
            advances as the draws are made).
        members_start: Where each region's groups start in ``members`` (one more than regions).
        members: The groups listed in each region (indices into the group arrays, in the groups'
            order); region ``r``'s are ``members[members_start[r]:members_start[r+1]]``.
        bases_start: Where each region's bases start in ``bases``.
        bases: The mission's bases (places) in each region, in base order.
        provoked: Attacks provoked by offensive action in each region this week.
        fighters: Each group's fighters (updated in place as attackers fall).
        n_regions: How many regions each group spreads its fighters over.
        jihadist: Whether each group is jihadist.
        kits: IED kits each group holds (updated in place as kits are used).
        offer: Targets on offer (convoy, patrol, base).
        terms: The week's odds, lethality and parameters, in ``TERMS`` order (:func:`terms`).

    Returns:
        (deaths, attacks, ied_attacks, kit_uses, fallen): peacekeepers killed; attacks and IED
        attacks; kits used by each group; and, one row per attack in which attackers fell, in the
        order they fell, (group, Poisson count drawn, place).
    """
    rng = generator(rng_handles)
    kit_uses = np.zeros(fighters.size, np.int64)
    fallen = np.empty((16, 3), np.int64)
    n_fallen = 0
    deaths = 0.0
    attacks = 0
    ied_attacks = 0
    for r in range(members_start.size - 1):
        listed = members[members_start[r] : members_start[r + 1]]
        local = listed[fighters[listed] > 0]
        b0 = bases_start[r]
        nb = bases_start[r + 1] - b0
        for k in range(local.size + 1):
            if k < local.size:  # the group's own appraisal, target by target
                g = local[k]
                scale = terms[ATTACK_RATE] * (fighters[g] / max(1, n_regions[g])) / 100.0
                has_kit = kits[g] >= 1.0
                plan_count = 3
            else:  # the attacks provoked in the region, after every group's own
                if not (provoked[r] > 0 and local.size > 0):
                    break
                plan_count = _poisson(rng, provoked[r])
            for j in range(plan_count):
                if k < local.size:
                    t = j
                    gain, cost, ied = appraise_target(t, jihadist[g], has_kit, 0.0, terms)
                    if gain <= cost:
                        continue
                    rate = scale * offer[t] * gain / (gain + cost)
                    n = _poisson(rng, rate) if rate > 0 else 0
                else:
                    g = local[rng.integers(0, local.size)]
                    has_kit = kits[g] >= 1.0
                    t = CONVOY
                    best = -np.inf
                    ied = False
                    for u in range(3):  # the first target of the largest gain less cost, as max() picks
                        gain, cost, with_ied = appraise_target(u, jihadist[g], has_kit, terms[JIHADIST_VALUE], terms)
                        if u == 0 or gain - cost > best:
                            t, best, ied = u, gain - cost, with_ied
                    n = 1
                for _ in range(n):  # each attack, drawn at once (MissionWar._attack)
                    attacks += 1
                    if ied:
                        ied_attacks += 1
                        kits[g] -= 1.0
                        kit_uses[g] += 1
                    if rng.random() < terms[SUCCESS]:
                        deaths += float(_poisson(rng, terms[LETHALITY] * (terms[IED_LETHALITY] if ied else 1.0)))
                    if not ied:
                        drawn = _poisson(rng, terms[ASSAULT] if t == BASE else terms[AMBUSH])
                        dead = fighters[g]
                        if drawn < dead:  # min(fighters, drawn), first on ties as Python's min
                            dead = float(drawn)
                        if dead != 0:
                            fighters[g] -= dead
                            place = bases[b0 + rng.integers(0, nb)]
                            if n_fallen == fallen.shape[0]:
                                grown = np.empty((2 * n_fallen, 3), np.int64)
                                grown[:n_fallen] = fallen
                                fallen = grown
                            fallen[n_fallen, 0] = g
                            fallen[n_fallen, 1] = drawn
                            fallen[n_fallen, 2] = place
                            n_fallen += 1
    return deaths, attacks, ied_attacks, kit_uses, fallen[:n_fallen]


@kernel
def abuse_draws(rng_handles, bases, insecurity, rate_scale):
    """Civilians killed in abuses at each base of a state force this week, drawn base by base (M24).

    ``_state_forces``' loop compiled (issue 18, docs/performance-log.md "state8"): at each base in
    the force's order the rate is ``rate_scale`` (``abuse_rate``, times Wagner's multiplier when
    it operates) times the region's insecurity capped at 1, and a Poisson draw at that rate is
    made only where the rate is positive, as the loop drew them, from the model's generator in
    the same order. Python applies the deaths, base by base in that order.

    Args:
        rng_handles: The model's generator, as :func:`sim.kernel_rng.handles`.
        bases: The force's bases (places), in its order.
        insecurity: Insecurity at each place.
        rate_scale: ``abuse_rate`` times the Wagner multiplier (1 without Wagner).

    Returns:
        Civilians killed at each base (floats, as the loop's ``float`` of each draw).
    """
    rng = generator(rng_handles)
    killed = np.zeros(bases.size)
    for i in range(bases.size):
        x = insecurity[bases[i]]
        rate = rate_scale * (x if x < 1.0 else 1.0)  # Python's min(1.0, x): x only when below 1.0
        if rate > 0:
            killed[i] = _poisson(rng, rate)
    return killed
