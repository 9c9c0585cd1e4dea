"""Compiled kernels of an armed group's turn (issue 18, fifth pass; :mod:`sim.compiled`).

A group's taxes, cattle rustling, pay and recruits (:meth:`sim.agents.armed_group.ArmedGroups.economy`)
run as one compiled call on the communities' columns, with the group's two Poisson draws from
the model's generator where the numpy form made them (:mod:`sim.kernel_rng`), and the
communities' week (:func:`community_week`). The kernels change arrays in place (cash, income,
herds, threat, pools, the grudges, the week's cattle stolen) and return the amounts Python then books
(ledger payments, revenue, the phase's totals) in the order the model always made them.

The arithmetic is the one the numpy forms did, operation for operation: sums are numpy's
pairwise sums (:func:`sim.compiled.pairwise_sum`), ``np.minimum``/``np.maximum`` and Python's
``min``/``max`` keep their own rules for ties and NaN (:func:`sim.compiled.np_minimum` and the rest), and a fancy
indexed write on distinct rows is a loop over them. ``tests/test_turn_kernels.py`` checks the
kernel against the numpy forms bit for bit, with the generator's state after.
"""

from __future__ import annotations

import math

import numpy as np

from sim.compiled import kernel, np_maximum, np_minimum, pairwise_sum
from sim.kernel_rng import generator

# Slots of the ``out`` array the kernel fills (Python reads them by these names).
TAX_HELD, TAX_ROAMED, TAXED, HELD_ANY, ROAMED_ANY = 0, 1, 2, 3, 4
RUSTLED, STOLEN, RUSTLE_PAID = 5, 6, 7
WAGES, WAGES_BOOKED, ZONE_ANY, SPEND, GONE, RECRUITS = 8, 9, 10, 11, 12, 13
FIGHTERS, FUNDS = 14, 15
# Which operand Python's min/max returned where the numpy form mixed numpy scalars and floats:
# the caller gives each result the type it had (a numpy scalar or a float), since later code
# treats the two differently (see ``ArmedGroups._economy``).
RUSTLE_PAID_PRICED, WAGES_CHOSEN, WAGES_POSITIVE, LEAVE_BELOW_ONE, RECRUITS_AFFORDABLE = 16, 17, 18, 19, 20
DRAW_RECRUITS, WANT, AFFORDABLE = 21, 22, 23  # recruits drawn; their Poisson mean; what revenue affords
# Where a turn stopped for Python (``STAGE``) and the draws it stopped on.
STAGE, HOSTAGES, PUNISH_U, ATTACK_U = 24, 25, 26, 27
STAGE_DONE, STAGE_KIDNAP, STAGE_PUNISH, STAGE_ATTACK = 0.0, 1.0, 2.0, 3.0
# Where the week's loop (group_turns) left a group: skipped (no fighters), stopped for Python
# before its turn (PYTHON: the whole turn in Python) or after its economy (APPRAISE: the phase's
# first appraisal is due and Python takes its terms), or with its turn ended by the appraisal of
# its regions in the loop (APPRAISED, tenth pass; before, the loop stopped for Python at each),
# ``LEFT`` and ``ENTERED`` the regions it left and entered (-1 for none), which Python books.
STAGE_SKIPPED, STAGE_PYTHON, STAGE_APPRAISE, STAGE_APPRAISED = -1.0, 4.0, 5.0, 6.0
LEFT, ENTERED = 28, 29
OUT_SIZE = 30
# Slots of ``params`` (group_turns): the economy's and the appraisal's terms no group changes.
P_WAGE, P_SPEND, P_EXIT, P_EXIT_ELASTICITY, P_DESERTION, P_BUDGET, P_RECRUIT, P_PRICE = 0, 1, 2, 3, 4, 5, 6, 7
P_UNIT_SIZE, P_HALF, P_LEAVE, P_ENTER, P_SIZE = 8, 9, 10, 11, 12
# Columns of ``terms`` (group_turns), one row per group: its tax shares and rustling rate.
T_TAX, T_ROAM, T_RUSTLE = 0, 1, 2
# Columns of ``state`` (group_turns), one row per group: read from the groups when a batch starts.
S_FIGHTERS, S_FUNDS, S_REVENUE_EMA, S_ARMS = 0, 1, 2, 3
# Slots of ``gates`` (group_economy) and where a call starts.
G_FROM, G_KIDNAP_RATE, G_PUNISH_RATE, G_ATTACK_RATE, G_REFERENCE = 0, 1, 2, 3, 4
FROM_KIDNAP, FROM_ECONOMY, ECONOMY_ONLY = 0.0, 1.0, 2.0


@kernel
def _py_min(a, b):
    """Python's ``min(a, b)``: ``b`` only if ``b < a``."""
    return b if b < a else a


@kernel
def _py_max(a, b):
    """Python's ``max(a, b)``: ``b`` only if ``b > a``."""
    return b if b > a else a


@kernel
def _take_income(rows, share, cash, inflow, licit):
    """An armed group's tax on distinct ``rows``: a share of this week's income out of their cash, summed (M2)."""
    n = rows.size
    taken = np.empty(n)
    for i in range(n):
        r = rows[i]
        c, f = cash[r], inflow[r]
        due = share * (licit[r] + f)
        t = np_maximum(np_minimum(c, due), 0.0)  # cash may be -1e-12 after rounding
        taken[i] = t
        cash[r] = c - t
        inflow[r] = f - t
    return pairwise_sum(taken)


@kernel
def group_economy(
    rng_handles,
    gates,
    out,
    do_tax,
    do_rustle,
    do_pay,
    has_communities,
    group,
    identity,
    fighters,
    funds,
    revenue_ema,
    tax_share,
    roam_share,
    per_fighter,
    price,
    wage_usd,
    spend_rate,
    exit_rate,
    exit_elasticity,
    desertion_rate,
    budget_share,
    recruit_rate,
    holder,
    community_rows,
    community_places,
    zone_rows,
    zone_places,
    zone_population,
    zone_people,
    zone_identity,
    raid_weights,
    outsider,
    recruit_weights,
    grudge,
    cash,
    inflow,
    licit,
    herd,
    threat,
    pool,
    cattle_week,
    licit_terms,
    income_now,
    income_ref,
    has_ref,
    jobs,
    push,
    pull,
):
    """A group's turn up to its attack (kidnapping's and punishment's draws, the economy, the attack's draw).

    The turn (``ArmedGroup.step``) is kidnapping, the economy, punishment, an attack, its
    regions, one after another with their draws in this order. Most weeks kidnapping draws no
    hostage and punishment and the attack draw a uniform above their rate and stop: this call
    makes those draws where the numpy form made them and runs the economy
    (:func:`_economy_steps`) between them, and stops where Python must act (``out[STAGE]``):
    after a kidnapping draw of hostages (``out[HOSTAGES]``; Python kidnaps, then calls again
    with ``gates[G_FROM]`` = FROM_ECONOMY), after a punishment draw below its rate
    (``out[PUNISH_U]``) or an attack draw below its rate (``out[ATTACK_U]``). ``gates``: where
    to start (``G_FROM``: FROM_KIDNAP, FROM_ECONOMY, or ECONOMY_ONLY for the single steps, no
    gates), the kidnapping rate a hundred fighters' reach (M2, M21), the punishment rate (below
    0: punishment draws nothing, as without communities; 002 §III, F15), the attack rate (M5)
    and the reach's reference fighters (reach: sqrt(reference x fighters), assumption).
    """
    rng = generator(rng_handles)
    reach = math.sqrt(gates[G_REFERENCE] * _py_max(fighters, 0.0))
    start = gates[G_FROM]
    out[STAGE] = STAGE_DONE
    if start == FROM_KIDNAP:
        hostages = rng.poisson(gates[G_KIDNAP_RATE] * reach / 100.0)
        if hostages != 0:
            for k in range(out.size):
                out[k] = 0.0
            out[HOSTAGES], out[STAGE] = hostages, STAGE_KIDNAP
            return
    head_mean = per_fighter * reach if do_rustle else 0.0
    _economy_steps(
        rng,
        head_mean,
        out,
        do_tax,
        do_rustle,
        do_pay,
        has_communities,
        group,
        identity,
        fighters,
        funds,
        revenue_ema,
        tax_share,
        roam_share,
        per_fighter,
        price,
        wage_usd,
        spend_rate,
        exit_rate,
        exit_elasticity,
        desertion_rate,
        budget_share,
        recruit_rate,
        holder,
        community_rows,
        community_places,
        zone_rows,
        zone_places,
        zone_population,
        zone_people,
        zone_identity,
        raid_weights,
        outsider,
        recruit_weights,
        grudge,
        cash,
        inflow,
        licit,
        herd,
        threat,
        pool,
        cattle_week,
        licit_terms,
        income_now,
        income_ref,
        has_ref,
        jobs,
        push,
        pull,
    )
    out[STAGE] = STAGE_DONE
    if start == ECONOMY_ONLY:
        return
    if gates[G_PUNISH_RATE] >= 0.0:
        u = rng.random()
        out[PUNISH_U] = u
        if u < gates[G_PUNISH_RATE]:
            out[STAGE] = STAGE_PUNISH
            return
    u = rng.random()
    out[ATTACK_U] = u
    if u < gates[G_ATTACK_RATE]:
        out[STAGE] = STAGE_ATTACK


@kernel
def group_turns(
    rng_handles,
    order,
    start,
    state,
    terms,
    identity,
    python,
    due,
    n_regions,
    gates,
    outs,
    sums,
    touched,
    refused,
    params,
    holder,
    community_rows,
    community_places,
    zone_ptr,
    zone_rows,
    zone_places,
    zone_population,
    zone_people,
    zone_identity,
    raid_weights,
    outsider,
    recruit_weights,
    grudge,
    cash,
    inflow,
    licit,
    herd,
    threat,
    pool,
    cattle_week,
    licit_terms,
    income_now,
    income_ref,
    has_ref,
    jobs,
    push,
    pull,
    hostile,
    current,
    n_current,
    spread,
    mali,
    of_mali,
    rents,
    garrison,
    kin,
    tax,
    cattle,
    community_region,
    home,
    region_adjacent,
    region_ptr,
    region_places,
    resume,
):
    """The week's group turns from position ``start`` of ``order`` to the first needing Python (issue 18, seventh pass).

    The groups act one after another in the week's ``order`` (``ArmedGroups.step``), each on the
    live columns the groups before it left: for each, :func:`group_economy` from the kidnapping's
    draw (``gates[group]``), exactly the call ``ArmedGroups.turn`` makes, with the same draws in
    the same order. A group without fighters (``not state[group, S_FIGHTERS] > 0``, as the
    loop's test) is skipped (``STAGE_SKIPPED``). The loop stops and returns the position of the
    group where Python must act: before its turn when ``python[group]`` (``STAGE_PYTHON``: Python
    runs the whole turn), or after its call when it stopped for a kidnapping, punishment or
    attack (``outs[pos, STAGE]``). It returns ``order.size`` when every group's turn ran.
    ``outs[pos]`` receives each group's ``out`` (the amounts Python books afterwards, in the
    order of the positions). Nothing in a turn before its stop changes another group's fighters,
    arms, funds or revenue, so those are read once a batch (``state``).
    Zones are in ``zone_*`` from ``zone_ptr[group]`` to ``zone_ptr[group + 1]``.

    Each economy not stopped for hostages is booked as it ends (:func:`book_out`, eighth pass) on
    the ledger's running ``sums``, in the order ``ArmedGroups._book`` booked them after the call;
    nothing in the loop reads the ledger. An amount ``Ledger.pay`` would refuse stops the loop at
    that group, unbooked, with its position in ``refused[0]`` (else -1).

    When the appraisal of a group's regions is due this week (``due[group]``, the week's gate,
    and the appraisal's own gates on its ``n_regions`` Malian regions and its fighters after the
    economy) and nothing stopped its turn, it runs in the loop (tenth pass; before, the loop
    stopped there for Python; 002 §III): :func:`appraise` on the strength of its enemies at that
    moment (:func:`enemy_strength`: ``state``'s fighters and arms, each group's fighters written
    back as its economy ends, its Malian regions ``current[g, :n_current[g]]`` in the order of
    its ``regions``, ``spread[g]`` regions in all), with the terms ``ArmedGroups.appraise_regions``
    passes (``kin``, ``tax``, ``cattle``, ``home``: one row per group). The regions left and
    entered go to ``outs[pos, LEFT]`` and ``[ENTERED]`` (``STAGE_APPRAISED``) and into
    ``current``, ``n_current`` and ``spread``, which the groups after it read, as they read the
    places it gave up in ``holder``. The appraisal draws nothing; the turns' order is kept.
    Without those terms yet (``kin`` empty) the loop stops at the phase's first appraisal
    (``STAGE_APPRAISE``, its economy booked): Python takes them then, as ``_phase_fixed`` did at
    the first appraisal, and calls again from that position with ``resume`` set to it, which
    makes only its appraisal (else ``resume`` is -1).
    """
    refused[0] = -1
    for pos in range(start, order.size):
        g = order[pos]
        out = outs[pos]
        if pos != resume:  # else its economy ran in the call before, which stopped for the terms
            if not state[g, S_FIGHTERS] > 0:
                out[STAGE] = STAGE_SKIPPED
                continue
            if python[g]:
                out[STAGE] = STAGE_PYTHON
                return pos
            a, b = zone_ptr[g], zone_ptr[g + 1]
            group_economy(
                rng_handles,
                gates[g],
                out,
                True,
                True,
                True,
                True,
                g,
                identity[g],
                state[g, S_FIGHTERS],
                state[g, S_FUNDS],
                state[g, S_REVENUE_EMA],
                terms[g, T_TAX],
                terms[g, T_ROAM],
                terms[g, T_RUSTLE],
                params[P_PRICE],
                params[P_WAGE],
                params[P_SPEND],
                params[P_EXIT],
                params[P_EXIT_ELASTICITY],
                params[P_DESERTION],
                params[P_BUDGET],
                params[P_RECRUIT],
                holder,
                community_rows,
                community_places,
                zone_rows[a:b],
                zone_places[a:b],
                zone_population[a:b],
                zone_people[g],
                zone_identity[a:b],
                raid_weights[a:b],
                outsider[a:b],
                recruit_weights[a:b],
                grudge,
                cash,
                inflow,
                licit,
                herd,
                threat,
                pool,
                cattle_week,
                licit_terms,
                income_now,
                income_ref,
                has_ref,
                jobs,
                push,
                pull,
            )
            if out[STAGE] != STAGE_KIDNAP:
                if not book_out(out, sums, touched):
                    refused[0] = pos
                    return pos
                state[g, S_FIGHTERS] = out[FIGHTERS]  # as ArmedGroups._book sets it: the appraisals after read it
            if out[STAGE] != STAGE_DONE:
                return pos
            # ArmedGroups.appraise_regions returns at once without regions in Mali, or with one
            # region and too few fighters to enter another (its values would go unused).
            if not (due[g] and n_regions[g] > 0) or (n_regions[g] == 1 and out[FIGHTERS] / 2 < params[P_UNIT_SIZE]):
                continue
            if kin.shape[0] == 0:  # the phase's first appraisal: Python takes its terms (ArmedGroups._phase_fixed)
                out[STAGE] = STAGE_APPRAISE
                return pos
        fighters = out[FIGHTERS]
        enemies = enemy_strength(g, state, hostile, current, n_current, spread, params[P_HALF], garrison.size)
        left, entered = appraise(
            g, group_strength(fighters, state[g, S_ARMS], params[P_HALF]), fighters, current[g, : n_current[g]],
            enemies, holder, mali, of_mali, rents, garrison, kin[g], tax[g], cattle[g], community_region,
            community_rows, herd, home[g], params[P_LEAVE], params[P_ENTER], params[P_UNIT_SIZE],
            region_adjacent, region_ptr, region_places,
        )  # fmt: skip
        _move(g, left, entered, current, n_current, spread)
        out[STAGE], out[LEFT], out[ENTERED] = STAGE_APPRAISED, left, entered
    return order.size


@kernel
def group_strength(fighters, arms, half):
    """``ArmedGroup.strength``: fighters, discounted when they lack arms (``half``, 0.5: see :func:`enemy_strength`)."""
    armed = 0.0
    if fighters > 0:
        ratio = arms / fighters
        armed = ratio if ratio < 1.0 else 1.0  # Python's min(1.0, ratio): 1.0 unless ratio < 1.0 (NaN too)
    return fighters * armed**half


@kernel
def enemy_strength(group, state, hostile, current, n_current, spread, half, n):
    """Strength of ``group``'s enemies by region (``ArmedGroups._enemies``): each spread evenly over its regions.

    Every other group with fighters that ``hostile[group]`` marks adds its strength over
    ``spread[g]`` (all its regions, 1 if none) once to each of its Malian regions, groups in
    index order, as the Python loop added them. The exponent ``half`` (0.5) comes in as an
    argument: with the literal, LLVM computes ``sqrt``, which differs from Python's ``** 0.5``
    (the C library's ``pow``) in the last bit for some values (docs/performance-log.md, groups8).
    """
    enemies = np.zeros(n)
    for g in range(state.shape[0]):
        fighters = state[g, S_FIGHTERS]
        if fighters > 0 and g != group and hostile[group, g]:
            ratio = state[g, S_ARMS] / fighters
            armed = ratio if ratio < 1.0 else 1.0
            strength = fighters * armed**half / (spread[g] if spread[g] else 1)
            for i in range(n_current[g]):
                r = current[g, i]
                seen = False
                for j in range(i):  # each region once (a name may repeat in its regions)
                    seen = seen or current[g, j] == r
                if not seen:
                    enemies[r] += strength
    return enemies


@kernel
def _move(group, left, entered, current, n_current, spread):
    """A group's regions after its appraisal: every entry of ``left`` dropped, ``entered`` added last."""
    if left >= 0:
        k = 0
        for i in range(n_current[group]):
            if current[group, i] != left:
                current[group, k] = current[group, i]
                k += 1
        spread[group] -= n_current[group] - k
        n_current[group] = k
    if entered >= 0:
        current[group, n_current[group]] = entered
        n_current[group] += 1
        spread[group] += 1


@kernel
def _economy_steps(
    rng,
    head_mean,
    out,
    do_tax,
    do_rustle,
    do_pay,
    has_communities,
    group,
    identity,
    fighters,
    funds,
    revenue_ema,
    tax_share,
    roam_share,
    per_fighter,
    price,
    wage_usd,
    spend_rate,
    exit_rate,
    exit_elasticity,
    desertion_rate,
    budget_share,
    recruit_rate,
    holder,
    community_rows,
    community_places,
    zone_rows,
    zone_places,
    zone_population,
    zone_people,
    zone_identity,
    raid_weights,
    outsider,
    recruit_weights,
    grudge,
    cash,
    inflow,
    licit,
    herd,
    threat,
    pool,
    cattle_week,
    licit_terms,
    income_now,
    income_ref,
    has_ref,
    jobs,
    push,
    pull,
):
    """One group's taxes, rustling, pay and recruits, with its draws, in the model's order.

    ``do_tax``, ``do_rustle``, ``do_pay`` select the steps (a turn runs all three; tests and
    the single-step methods run one). The steps and their sources are those of ``ArmedGroups.tax_communities``,
    ``rustle`` and ``pay_and_recruit`` (``sim/agents/armed_group.py``):

    1. taxes: a share of this week's income from the communities whose place it holds, at
       ``roam_share`` from the other communities of its regions (M2);
    2. rustling: ``head`` (``poisson(head_mean)``, the mean ``per_fighter x reach``) from the
       herds of its regions, by herd times ``raid_weights`` (mostly other identities), sold for
       ``price`` a head out of the communities' cash; the harm feeds the grudges and the
       outsiders' threat (F11; 002 Box A, §II);
    3. pay: wages at ``wage_usd`` times the zone's licit level, spent in its communities; the
       unpaid desert, some leave for licit work (002 Box D, M10); while revenue covers the wage
       bill at ``budget_share`` (M3), recruits come from the pools at a mean ``want`` weighted
       by kin over grudges (M9; :func:`take_recruits`).

    It is one group's turn among the groups acting one after another: the arrays passed in are
    the live columns, holding what the groups before it left. Its two draws come from the
    model's generator (``rng``, rebuilt by :func:`group_economy`) where the numpy form
    made them: ``head`` before the steps (no step before rustling draws; none drawn without
    communities or rustling), and, when the pay step finds recruits wanted, ``poisson(out[WANT])``
    at its end, taken from the pools by :func:`take_recruits` (issue 18, sixth pass: one call
    instead of a draw, the kernel, a draw and a second kernel). ``out`` receives the amounts to
    book (slots named at the top of this module).
    """
    for k in range(out.size):
        out[k] = 0.0
    head = rng.poisson(head_mean) if has_communities and do_rustle else 0
    # 1. Taxes (M2): held rows in row order, then the zone's other communities in its order.
    if has_communities and do_tax:
        n_rows = community_rows.size
        holders = np.empty(n_rows, dtype=np.int64)
        for i in range(n_rows):
            holders[i] = holder[community_places[i]]
        n_held = 0
        for i in range(n_rows):
            if holders[i] == group:
                n_held += 1
        held = np.empty(n_held, dtype=np.int64)
        j = 0
        for i in range(n_rows):
            if holders[i] == group:
                held[j] = community_rows[i]
                j += 1
        n_roamed = 0
        for i in range(zone_rows.size):
            if holders[zone_rows[i]] != group:
                n_roamed += 1
        roamed = np.empty(n_roamed, dtype=np.int64)
        j = 0
        for i in range(zone_rows.size):
            if holders[zone_rows[i]] != group:
                roamed[j] = zone_rows[i]
                j += 1
        on_held = on_roamed = 0.0  # no rows, no tax
        if n_held:
            on_held = _take_income(held, tax_share, cash, inflow, licit)
            out[TAX_HELD], out[HELD_ANY] = on_held, 1.0
        if n_roamed:
            on_roamed = _take_income(roamed, roam_share, cash, inflow, licit)
            out[TAX_ROAMED], out[ROAMED_ANY] = on_roamed, 1.0
        taxed = on_held + on_roamed
        out[TAXED] = taxed
        funds += taxed
    # 2. Rustling (F11): ``head`` drawn above (none drawn without communities).
    if has_communities and do_rustle and head != 0:
        out[RUSTLED] = 1.0
        n = zone_rows.size
        herds = np.empty(n)
        aim = np.empty(n)
        for i in range(n):
            herds[i] = herd[zone_rows[i]]
            aim[i] = herds[i] * raid_weights[i]
        aimed = pairwise_sum(aim)
        stolen = 0.0
        paid = 0.0
        if n and not aimed <= 0:  # as `not len(rows) or aimed <= 0` returns (NaN goes on)
            taken = np.empty(n)
            for i in range(n):
                taken[i] = np_minimum(herds[i], head * aim[i] / aimed)
                herd[zone_rows[i]] = herds[i] - taken[i]
                cattle_week[zone_places[i]] += taken[i]
            stolen = pairwise_sum(taken)
            before = np.empty(n)
            for i in range(n):
                before[i] = cash[zone_rows[i]]
            held_cash = pairwise_sum(before)
            priced = stolen * price
            paid = _py_max(0.0, _py_min(priced, held_cash))  # cash may sum to -1e-12
            out[RUSTLE_PAID_PRICED] = 1.0 if not held_cash < priced and priced > 0.0 else 0.0
            if paid > 0:
                for i in range(n):
                    cash[zone_rows[i]] = before[i] - paid * before[i] / held_cash
            if stolen > 0:
                # One raid's harm shared by head lost (np.add.at: in order, repeats added);
                # each outsider community remembers the share of its herd taken.
                for i in range(n):
                    grudge[zone_identity[i], identity] += taken[i] / stolen
                for i in range(n):
                    if outsider[i]:
                        threat[zone_rows[i]] += taken[i] / np_maximum(herds[i], 1e-9)
        out[STOLEN], out[RUSTLE_PAID] = stolen, paid
        funds += paid
    out[FIGHTERS], out[FUNDS] = fighters, funds
    if not do_pay:
        return
    # 3. Pay and recruits (M9, M3; 002 Box D, M10).
    n = zone_rows.size
    licit_level = 1.0
    income_level = 1.0
    if n:
        values = np.empty(n)
        for i in range(n):
            values[i] = licit_terms[zone_rows[i]]
        licit_level = pairwise_sum(values) / zone_people
        if has_ref:
            for i in range(n):
                values[i] = income_now[zone_rows[i]]
            now = pairwise_sum(values)
            for i in range(n):
                values[i] = income_ref[zone_rows[i]]
            ref = pairwise_sum(values)
            income_level = now / ref if ref > 0 else 1.0
    wage = wage_usd * licit_level
    wages = wage * fighters
    paid = _py_min(funds, wages)
    out[WAGES_CHOSEN] = 1.0 if wages < funds else 0.0
    out[WAGES_POSITIVE] = 1.0 if wages > 0 else 0.0
    funds -= paid
    out[WAGES] = paid
    if n:
        amounts = np.empty(n)
        for i in range(n):
            amounts[i] = paid * zone_population[i] / zone_people
        out[WAGES_BOOKED], out[ZONE_ANY] = pairwise_sum(amounts), 1.0
        for i in range(n):
            cash[zone_rows[i]] += amounts[i]
            inflow[zone_rows[i]] += amounts[i]
    spend = spend_rate * funds
    funds -= spend
    out[SPEND] = spend
    unpaid = 1.0 - (paid / wages if wages > 0 else 1.0)
    alternatives = income_level if n else 1.0
    # A doubling of income at home counts in full; more adds nothing (a bounded pull).
    leave = exit_rate * (1.0 + exit_elasticity * _py_min(1.0, _py_max(0.0, alternatives - 1.0)))
    share = desertion_rate * unpaid + leave
    out[LEAVE_BELOW_ONE] = 1.0 if share < 1.0 else 0.0
    gone = fighters * _py_min(1.0, share)
    fighters -= gone
    out[GONE] = gone
    out[FIGHTERS], out[FUNDS] = fighters, funds
    if not n or unpaid > 0:
        return
    affordable = budget_share * revenue_ema / _py_max(wage, 1e-9) - fighters
    if affordable <= 0:
        return
    idle = np.empty(n)
    for i in range(n):
        r = zone_rows[i]
        weight = recruit_weights[i] / (1.0 + grudge[zone_identity[i], identity])
        idle[i] = recruit_rate * (np_maximum(pool[r] - jobs[r], 0.0) * weight) * push[r] * pull[r]
    out[WANT], out[AFFORDABLE], out[DRAW_RECRUITS] = pairwise_sum(idle), affordable, 1.0
    take_recruits(out, float(rng.poisson(out[WANT])), zone_rows, pool)


@kernel
def take_recruits(out, drawn, zone_rows, pool):
    """The recruits of :func:`group_economy`'s turn, ``drawn`` from ``poisson(out[WANT])``, leave the pools (M9).

    As many as drawn, at most what revenue affords; they leave each pool by its size.
    """
    affordable = out[AFFORDABLE]
    out[RECRUITS_AFFORDABLE] = 1.0 if affordable < drawn else 0.0
    recruits = _py_min(drawn, affordable)
    if recruits > 0:
        n = zone_rows.size
        before = np.empty(n)
        for i in range(n):
            before[i] = pool[zone_rows[i]]
        total = pairwise_sum(before)
        if total > 0:
            for i in range(n):
                p = before[i]
                pool[zone_rows[i]] = p - np_minimum(p, recruits * p / total)
        out[RECRUITS] = recruits
        out[FIGHTERS] = out[FIGHTERS] + recruits


# --- appraising regions (ArmedGroups.appraise_regions) ---------------------------------------


@kernel
def _region_value(
    group, own, spread, fighters, holder, mali, of_mali, rents, enemies, state, kin, tax, cattle_terms, herd_by_region
):
    """The expected yearly value to a group of being in each region (USD; 002 §II, §III).

    Rents of the region's nodes it holds or could take (those of rivals at the odds of a
    contest), taxes on its communities where the state is absent (``tax``: one minus the
    region's mean state presence; 002 §II) and the herds it could rustle (``cattle_terms``:
    per-fighter head and price; none without communities), all scaled up by the share of its kin
    among the people there (``kin``: recruits) and down by the strength of its enemies and the
    state's garrisons (jihadists fight them, other groups cannot run rackets under them; 002
    §II). Herds are taken whatever the state's presence: rustled cattle move "with facilitation
    (direct or tacit) from the army or gendarmerie" (002 Box A, note 167). Sums by region are
    ``np.bincount``'s: one addition per place, in place order.
    """
    n = state.size
    rent = np.zeros(n)
    contested = np.zeros(n)
    for i in range(mali.size):
        held = holder[mali[i]]
        mine = 1.0 if held == group or held < 0 else 0.0
        rent[of_mali[i]] += rents[i] * mine
        contested[of_mali[i]] += rents[i] * (1.0 - mine)  # ~mine as a 0/1 factor
    own_share = own / _py_max(spread, 1)
    value = np.empty(n)
    cap = 0.0
    if cattle_terms.size:
        # per_fighter x reach(fighters / spread) x 52 head a year (reach: sqrt(1000 x fighters)).
        cap = cattle_terms[0] * np.sqrt(1000.0 * _py_max(fighters / _py_max(spread, 1), 0.0)) * 52.0
    for r in range(n):
        odds = own_share / (own_share + enemies[r] + state[r])
        extra = 0.0
        cattle = 0.0
        if cattle_terms.size:
            cattle = np_minimum(herd_by_region[r], cap) * cattle_terms[1]
            extra = tax[r]
        value[r] = (rent[r] + odds * contested[r] + extra + cattle) * odds * kin[r]
    return value


@kernel
def _np_argmax(values):
    """``np.argmax``: the first largest value, or the first NaN."""
    best = 0
    for i in range(values.size):
        if values[i] != values[i]:
            return i
        if values[i] > values[best]:
            best = i
    return best


@kernel
def _np_argmin(values):
    """``np.argmin``: the first smallest value, or the first NaN."""
    best = 0
    for i in range(values.size):
        if values[i] != values[i]:
            return i
        if values[i] < values[best]:
            best = i
    return best


@kernel
def appraise(
    group,
    strength,
    fighters,
    current,
    enemies,
    holder,
    mali,
    of_mali,
    rents,
    state,
    kin,
    tax,
    cattle_terms,
    community_region,
    community_rows,
    herd,
    home_weight,
    leave_share,
    enter_share,
    unit_size,
    region_adjacent,
    region_ptr,
    region_places,
):
    """A group's appraisal of its regions (``ArmedGroups.appraise_regions``; 002 §III): which to leave, which to enter.

    It values its ``current`` regions (:func:`_region_value`, its fighters spread over them),
    leaves the worst but its home (most kin by ``home_weight``; 002 Box B) when worth less than
    ``leave_share`` of the best, giving up the places it holds there (written to ``holder``), and
    then, if its fighters stretch to ``unit_size`` in one more region, values the neighbouring
    regions after that and enters the best if it is worth at least ``enter_share`` of its best.
    Returns the region left and the region entered (-1 for none), which the caller books.
    """
    n = state.size
    herd_by_region = np.zeros(n)
    if cattle_terms.size:  # np.bincount of the herds by region, in row order
        for i in range(community_rows.size):
            herd_by_region[community_region[i]] += herd[community_rows[i]]
    own = _py_max(strength, 1e-9)
    all_values = _region_value(
        group, own, current.size, fighters, holder, mali, of_mali, rents, enemies, state, kin, tax, cattle_terms,
        herd_by_region,
    )  # fmt: skip
    values = np.empty(current.size)
    for i in range(current.size):
        values[i] = all_values[current[i]]
    best = values[_np_argmax(values)]  # np.max: the largest, or NaN
    left = -1
    if current.size > 1:
        home = 0
        if home_weight.size:
            weights = np.empty(current.size)
            for i in range(current.size):
                weights[i] = home_weight[current[i]]
            home = _np_argmax(weights)
        masked = values.copy()
        masked[home] = np.inf
        worst = _np_argmin(masked)
        if values[worst] < leave_share * best:
            left = current[worst]
            for j in range(region_ptr[left], region_ptr[left + 1]):
                if holder[region_places[j]] == group:
                    holder[region_places[j]] = -1
            kept = np.empty(current.size - 1, dtype=np.int64)
            kept_values = np.empty(current.size - 1)
            k = 0
            for i in range(current.size):
                if i != worst:
                    kept[k], kept_values[k] = current[i], values[i]
                    k += 1
            current, values = kept, kept_values
            best = values[_np_argmax(values)]
    if fighters / (current.size + 1) < unit_size:
        return left, -1
    near = np.zeros(n, dtype=np.bool_)
    for i in range(current.size):
        for r in range(n):
            if region_adjacent[current[i], r]:
                near[r] = True
    for i in range(current.size):
        near[current[i]] = False
    count = 0
    for r in range(n):
        if near[r]:
            count += 1
    if not count:
        return left, -1
    all_offers = _region_value(
        group, own, current.size + 1, fighters, holder, mali, of_mali, rents, enemies, state, kin, tax, cattle_terms,
        herd_by_region,
    )  # fmt: skip
    offers = np.empty(count)
    regions = np.empty(count, dtype=np.int64)
    k = 0
    for r in range(n):
        if near[r]:
            offers[k], regions[k] = all_offers[r], r
            k += 1
    k = _np_argmax(offers)
    if offers[k] > 0 and offers[k] >= enter_share * best:
        return left, regions[k]
    return left, -1


# --- splits, rebrands and switches (ArmedGroups._fragment) -------------------------------------

# What stopped :func:`fragment_draws` for Python (none: every group was drawn for).
FRAGMENT_NONE, FRAGMENT_SPLIT, FRAGMENT_REBRAND, FRAGMENT_SWITCH = 0, 1, 2, 3


@kernel
def fragment_draws(
    rng_handles, active, start, stage, n_groups, max_groups, held, holder, rent, revenue_ema, jihadist, ct_pressure,
    split_rate, rebrand_rate, switch_rate,
):  # fmt: skip
    """The weekly draws of splits, rebrands and switches (``ArmedGroups._fragment``; M5, M6) up to the first made.

    For each group of ``active`` in turn from position ``start`` (at ``stage`` 0, 1 or 2 of that
    group: its split, rebrand or switch), as ``_fragment`` drew them: while there are fewer than
    ``max_groups`` groups (tested once per group, before its split), a group holding two places
    or more (``held``, counted before the phase) draws its split when a commander gains more
    alone, with odds ``split_rate`` x his relative gain (the best rent of its places, by
    ``np.max``, against ``52 x revenue_ema`` shared by its places; ``ArmedGroups._maybe_split``),
    and a jihadist group under counter-terrorism pressure draws its rebrand with odds
    ``rebrand_rate`` x min(1, pressure) (``_maybe_rebrand``); every group draws its switch with
    odds ``switch_rate`` (NaN switches; ``_maybe_switch``). Returns the position and what came up
    (``FRAGMENT_*``): Python makes that split, rebrand or switch and calls again from the next
    stage of that group; the draws stay where the methods made them in the generator's stream.
    """
    rng = generator(rng_handles)
    for pos in range(start, active.size):
        g = active[pos]
        first = stage if pos == start else 0
        if first == 0:
            room = n_groups < max_groups
            if room and held[g] >= 2:
                count, alone = 0, 0.0
                for node in range(holder.size):  # group.places: in place order
                    if holder[node] == g:
                        alone = rent[node] if count == 0 else np_maximum(alone, rent[node])  # np.max
                        count += 1
                if count >= 2:
                    gain = alone - 52.0 * revenue_ema[g] / count
                    if not gain <= 0 and not rng.random() >= split_rate * gain / alone:
                        return pos, FRAGMENT_SPLIT
        else:
            room = True  # resumed after its split: the test was made before it
        if first <= 1 and room and jihadist[g] and not ct_pressure[g] <= 0:
            pressure = ct_pressure[g]
            if not rng.random() >= rebrand_rate * (pressure if pressure < 1.0 else 1.0):  # min(1.0, pressure)
                return pos, FRAGMENT_REBRAND
        if not rng.random() >= switch_rate:
            return pos, FRAGMENT_SWITCH
    return active.size, FRAGMENT_NONE


# --- the communities' week (Communities.step) -------------------------------------------------

# Which parts of the week :func:`community_week` runs (bits of ``parts``): income before food
# (herds, trade, licit income; M7), food (M7), trust and tolerance (M15, M17), then grievance,
# threat, pool and spending (000; 002 §III).
INCOME, FOOD, TRUST, GRIEVANCE = 1, 2, 4, 8
# Slots of the scalar arguments ``terms`` (Python fills them by these names).
(
    T_W, T_ADJUST, T_HERD_REGROWTH, T_LICIT_SHOCK, T_PRESENCE_W, T_BRIBE_W, T_SEIZURE_W, T_ABUSE_W,
    T_JIHADIST_W, T_YOUTH, T_FOOD_IMPORT, T_THREAT_MEMORY, T_POOL_REFILL, T_SPEND_SHARE, T_FOOD_TRADED,
    T_FUEL_TRADED,
) = range(16)  # fmt: skip
TERMS_SIZE = 16


@kernel
def _regional(values, places, region_index, n_regions):
    """``np.bincount(region_index, weights=values[places])[region_index]``: each row's region total."""
    by_region = np.zeros(n_regions)
    n = places.size
    for i in range(n):
        by_region[region_index[i]] += values[places[i]]
    found = np.empty(n)
    for i in range(n):
        found[i] = by_region[region_index[i]]
    return found


@kernel
def _herd_factor(herd, herd0, r):
    """Herds over their start size (1 where there were none at the start)."""
    return herd[r] / herd0[r] if herd0[r] > 0 else 1.0


@kernel
def community_week(
    parts, terms, totals, rows, places, region_index, n_regions, cols, shares, herd_factor, trade_sum, has_ref,
    ref_trade, ref_licit, last, territory, levers, delivered, pop, pop_region, import_need, import_dependence,
):  # fmt: skip
    """The communities' week but arms, in place on the columns; the two ledger totals in ``totals``.

    One call instead of about sixty numpy calls on a few hundred rows, each the numpy form's
    arithmetic operation for operation (``tests/test_turn_kernels.py`` compares them bit for
    bit). No draws. ``cols`` are the columns :data:`COMMUNITY_COLUMNS` names, in that order;
    ``last`` last week's stats per place (:data:`LAST_KEYS`); ``territory`` insecurity,
    presence and abuse per place; ``levers`` the licit and trust levers per place;
    ``delivered`` last week's food and fuel delivered per place (zeros for a good not traded).
    ``herd_factor`` is written by the income part and read by the food part.

    Parts (``parts``, bits): INCOME: herds regrow, trade through the place and services sold
    (M7), licit income from farming, herds and trade, shocked after the burn-in
    (``totals[0]``, paid by the local economy); FOOD: local food and the north's informal
    imports of food and fuel (M7); TRUST: trust in the state from presence, bribes, seizures
    and abuses (M15), tolerance of smuggling from the share of jihadist-protected crews (M17);
    GRIEVANCE: grievance from poverty, hunger, abuses, distrust and harm (000; 002 §III), the
    threat fades, pools refill, cash is spent (``totals[1]``).
    """
    w, adjust = terms[T_W], terms[T_ADJUST]
    herd, herd0, trade_ema, transit_ema, licit_base, licit, cash = cols[:7]
    n = rows.size
    if parts & INCOME:
        farm = np.empty(n)
        trade = np.empty(n)
        for i in range(n):
            r, place = rows[i], places[i]
            herd[r] += terms[T_HERD_REGROWTH] * (herd0[r] - herd[r])
            units = last[0][place]
            trade_ema[r] = (1 - w) * trade_ema[r] + w * units
            transit_ema[r] = (1 - w) * transit_ema[r] + w * last[1][place]
            if has_ref:
                base = ref_trade[i]
                trade[i] = np_minimum(1.5, trade_ema[r] / base if base > 0 else 1.0)
            else:
                trade_sum[i] += units
                trade[i] = 1.0
            herd_factor[i] = _herd_factor(herd, herd0, r)
            farm[i] = 1.0 / (1.0 + territory[0][place])
        earned = np.empty(n)
        for i in range(n):
            r = rows[i]
            mix = shares[i, 0] * farm[i] + shares[i, 1] * herd_factor[i] + shares[i, 2] * trade[i]
            value = licit_base[r] * mix * levers[0][places[i]]
            if has_ref:
                value = value * terms[T_LICIT_SHOCK]
            earned[i] = value
            licit[r] = value
            cash[r] += value
        totals[0] = pairwise_sum(earned)
    if parts & FOOD:
        food_ema, fuel_ema, food_security = cols[7], cols[8], cols[9]
        if not parts & INCOME:  # not given: herds over their start size now
            for i in range(n):
                herd_factor[i] = _herd_factor(herd, herd0, rows[i])
        food_traded, fuel_traded = terms[T_FOOD_TRADED] != 0.0, terms[T_FUEL_TRADED] != 0.0
        food_by_region = _regional(delivered[0], places, region_index, n_regions)
        fuel_by_region = _regional(delivered[1], places, region_index, n_regions)
        weight = terms[T_FOOD_IMPORT]
        for i in range(n):
            r = rows[i]
            food_in = food_by_region[i] * pop[i] / pop_region[i] if food_traded else 0.0
            fuel_in = fuel_by_region[i] * pop[i] / pop_region[i] if fuel_traded else 0.0
            food_ema[r] = (1 - w) * food_ema[r] + w * food_in
            fuel_ema[r] = (1 - w) * fuel_ema[r] + w * fuel_in
            food = food_ema[r] / import_need[0][i] if import_need[0][i] > 0 else 1.0
            fuel = fuel_ema[r] / import_need[1][i] if import_need[1][i] > 0 else 1.0
            imports = weight * np_minimum(food, 1.0) + (1 - weight) * np_minimum(fuel, 1.0)
            local = (0.7 + 0.3 * herd_factor[i]) / (1.0 + territory[0][places[i]])
            dep = import_dependence[i]
            food_security[r] = np_minimum(np_maximum((1 - dep) * local + dep * imports, 0.0), 1.0)
    if parts & TRUST:
        bribe_rate, predation, jihadist_share, trust, tolerance = cols[10], cols[11], cols[12], cols[13], cols[14]
        staffed = _regional(last[2], places, region_index, n_regions)
        bribed = _regional(last[3], places, region_index, n_regions)
        total = _regional(last[4], places, region_index, n_regions)
        jihadist = _regional(last[5], places, region_index, n_regions)
        carried = _regional(last[6], places, region_index, n_regions)
        lost = _regional(last[7], places, region_index, n_regions)
        for i in range(n):
            r, place = rows[i], places[i]
            rate = bribed[i] / staffed[i] if staffed[i] > 0 else bribe_rate[r]
            seized = lost[i] / carried[i] if carried[i] > 0 else predation[r]
            share = jihadist[i] / total[i] if total[i] > 0 else jihadist_share[r]
            bribe_rate[r] = (1 - w) * bribe_rate[r] + w * rate
            predation[r] = (1 - w) * predation[r] + w * seized
            jihadist_share[r] = (1 - w) * jihadist_share[r] + w * share
            target = (
                0.5
                + levers[1][place]
                + terms[T_PRESENCE_W] * (territory[1][place] - 0.5)
                - terms[T_BRIBE_W] * bribe_rate[r]
                - terms[T_SEIZURE_W] * predation[r]
                - terms[T_ABUSE_W] * territory[2][place]
            )
            trust[r] += adjust * (np_minimum(np_maximum(target, 0.0), 1.0) - trust[r])
            tolerated = np_minimum(np_maximum(0.8 - terms[T_JIHADIST_W] * jihadist_share[r], 0.0), 1.0)
            tolerance[r] += adjust * (tolerated - tolerance[r])
    if parts & GRIEVANCE:
        food_security, trust = cols[9], cols[13]
        grievance, threat, pool, population = cols[15:]
        spent = np.empty(n)
        for i in range(n):
            r, place = rows[i], places[i]
            index = 1.0
            if has_ref and ref_licit[i] > 0:
                index = licit[r] / ref_licit[i]
            poverty = np_maximum(0.0, 1.0 - index)
            abuse = np_minimum(1.0, territory[2][place])
            harmed = threat[r] / (1.0 + threat[r])
            target = 0.2 * (np_minimum(1.0, 2 * poverty) + (1 - food_security[r]) + abuse + (1 - trust[r]) + harmed)
            grievance[r] += adjust * (target - grievance[r])
            threat[r] *= terms[T_THREAT_MEMORY]
            pool[r] += terms[T_POOL_REFILL] * (terms[T_YOUTH] * population[r] - pool[r])
            spent[i] = terms[T_SPEND_SHARE] * np_maximum(cash[r], 0.0)
            cash[r] -= spent[i]
        totals[1] = pairwise_sum(spent)


# The columns :func:`community_week` takes (``cols``), in its order; and last week's stats (``last``).
@kernel
def group_phase_terms(
    rows, population, licit, week_inflow, has_ref, ref_licit, ref_income, transit_ema, transit_wage, grievance,
    elasticity,
):  # fmt: skip
    """The arrays of ``Communities.group_phase`` (:class:`sim.agents.community.GroupPhase`) in one call (tenth pass).

    By row: the licit index (licit income over its reference where that is positive, else 1; 1
    without references) times the people; the people times this week's income (licit and money,
    at least 0); the people times the reference income (empty without references); trafficking
    jobs; 1 + ``elasticity`` x the licit shortfall; 0.5 + grievance. The numpy form's operations,
    element by element (``np.maximum`` as :func:`sim.compiled.np_maximum`).
    """
    n = rows.size
    licit_terms, income_now, jobs, push, pull = np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    income_ref = np.empty(n if has_ref else 0)
    for i in range(n):
        r = rows[i]
        pop = population[r]
        index = 1.0
        if has_ref and ref_licit[r] > 0:
            index = licit[r] / ref_licit[r]
        licit_terms[i] = index * pop
        income_now[i] = pop * np_maximum(licit[r] + week_inflow[r], 0.0)
        if has_ref:
            income_ref[i] = pop * ref_income[r]
        jobs[i] = transit_ema[r] / transit_wage
        push[i] = 1.0 + elasticity * np_maximum(0.0, 1.0 - index)
        pull[i] = 0.5 + grievance[r]
    return licit_terms, income_now, income_ref, jobs, push, pull


@kernel
def _round(x, scale):
    """``np.round(x, decimals)`` of one float, with ``scale`` = 10.0 ** decimals: numpy multiplies, rints, divides."""
    return np.rint(x * scale) / scale


@kernel
def _clip(x, low, high):
    """``np.clip(x, low, high)`` of one float, as numpy clips an array (NaN stays NaN: ``sim.compiled.clip01``)."""
    if x != x:
        return x
    v = x if x >= low else low
    return v if v <= high else high


@kernel
def community_arms(
    rows, places, arms, population, keep, row_of_place, delivered, to_communities, to_groups, groups_buy,
    region_index, n_regions, insecurity, region_counts, self_arming, presence, banditry, max_robbery, old_rob, mult,
    rob,
):  # fmt: skip
    """The communities' arms of a week (``Communities._arms``; M16), in one call (issue 18, tenth pass).

    Their arms keep ``keep`` (one minus the decay); at each place where arms were delivered last
    week (``delivered``; none when its size is 0) the community there gets ``to_communities`` of
    them, and also ``to_groups`` when no armed groups buy (``groups_buy`` false: Python gives the
    groups their part, place by place, in the same order). Insecure regions pay more for arms,
    drawing more of them (self-arming): ``mult`` gets, at the communities' places, 1 + ``self_arming``
    x the mean insecurity of their region's communities, rounded to 3 decimals (ones elsewhere;
    the sums by region are ``np.bincount``'s, in row order). Banditry: ``rob`` gets ``banditry`` x
    arms per head x the state's absence, clipped to [0, ``max_robbery``] and rounded to 4
    decimals (zeros elsewhere). Returns whether ``rob`` differs from ``old_rob`` (``np.array_equal``).
    """
    for i in range(rows.size):
        arms[rows[i]] = arms[rows[i]] * keep
    if delivered.size:
        for place in range(delivered.size):
            units = delivered[place]
            if units != 0:
                row = row_of_place[place]
                if row >= 0:
                    arms[row] += units * to_communities
                    if not groups_buy:
                        arms[row] += units * to_groups
        by_region = np.zeros(n_regions)
        for i in range(places.size):
            by_region[region_index[i]] += insecurity[places[i]]
        mult[:] = 1.0
        for i in range(places.size):
            region = region_index[i]
            mult[places[i]] = _round(1.0 + self_arming * (by_region[region] / region_counts[region]), 1e3)
    rob[:] = 0.0
    for i in range(rows.size):
        r = rows[i]
        per_capita = arms[r] / population[r] if population[r] > 0 else 0.0
        rob[places[i]] = _clip(banditry * per_capita * (1.0 - presence[places[i]]), 0.0, max_robbery)
    changed = rob.size != old_rob.size
    for i in range(rob.size):
        rob[i] = _round(rob[i], 1e4)
        changed = changed or rob[i] != old_rob[i]
    return changed


COMMUNITY_COLUMNS = (
    "herd", "herd0", "trade_ema", "transit_ema", "licit_base", "licit", "cash", "food_ema", "fuel_ema",
    "food_security", "bribe_rate", "predation", "jihadist_share", "trust", "tolerance", "grievance", "threat",
    "pool", "population",
)  # fmt: skip
LAST_KEYS = (
    "livelihood_units", "services", "enc_staffed", "enc_bribed", "enc_total", "enc_jihadist", "enc_livelihood",
    "enc_livelihood_seized",
)  # fmt: skip


@kernel
def credit(row_of_place, places, amounts, cash, inflow):
    """Money paid at places, split between communities and the places without one (issue 18, seventh pass).

    ``Communities._credit``'s arithmetic in one call: the amounts at places with a community are
    added to its cash and this week's inflow one entry after another (as ``np.add.at``, repeats
    in order), and both parts are summed as numpy sums them (pairwise, in entry order). Returns
    the sum abroad, the sum at communities and whether any entry was at a community; Python
    books the two in the ledger (sales pay producers abroad, the rest the local economy).
    """
    n = places.size
    abroad = np.empty(n)
    inside = np.empty(n)
    n_abroad = n_inside = 0
    for i in range(n):
        row = row_of_place[places[i]]
        if row >= 0:
            inside[n_inside] = amounts[i]
            n_inside += 1
            cash[row] += amounts[i]
            inflow[row] += amounts[i]
        else:
            abroad[n_abroad] = amounts[i]
            n_abroad += 1
    return pairwise_sum(abroad[:n_abroad]), pairwise_sum(inside[:n_inside]), n_inside > 0


# --- the rents the groups collect from the crews (ArmedGroups' roadblock interface) -------------


@kernel
def tolls(holder, place, toll, rent_week, n_groups):
    """Tolls of a week's encounters by group (M1): ``ArmedGroups.collect``'s sums in one call (issue 18, seventh pass).

    Per group, the tolls paid (``toll > 0``) at the places it holds, added in entry order (as
    ``np.bincount`` with weights); each toll is also added to its place's ``rent_week`` in entry
    order (as ``np.add.at``). Returns the sums and whether every paid place is held; if one is
    not (``np.bincount`` would refuse the -1), nothing is changed and Python raises.
    """
    amounts = np.zeros(n_groups)
    for i in range(place.size):
        if toll[i] > 0:
            h = holder[place[i]]
            if h < 0:
                return amounts, False
            amounts[h] += toll[i]
    for i in range(place.size):
        if toll[i] > 0:
            rent_week[place[i]] += toll[i]
    return amounts, True


@kernel
def bloc_totals(bloc, amount):
    """The blocs paid, ascending (``sorted(set(bloc))``), and each one's total ``amount[bloc == b].sum()``.

    ``ArmedGroups._pay_bloc``'s selections in one call (issue 18, seventh pass): each total is
    numpy's pairwise sum of that bloc's amounts in entry order.
    """
    ordered = np.sort(bloc)
    blocs = np.empty(bloc.size, dtype=np.int64)
    n = 0
    for i in range(ordered.size):
        if n == 0 or ordered[i] != blocs[n - 1]:
            blocs[n] = ordered[i]
            n += 1
    totals = np.empty(n)
    picked = np.empty(bloc.size)
    for j in range(n):
        m = 0
        for i in range(bloc.size):
            if bloc[i] == blocs[j]:
                picked[m] = amount[i]
                m += 1
        totals[j] = pairwise_sum(picked[:m])
    return blocs[:n], totals


@kernel
def spread_rents(alliance, blocs, totals, rent_week):
    """Each bloc's protection fees spread evenly over the places of its bloc (``ArmedGroups.protect``; M1, M3).

    For each bloc in order: ``total / (places of the bloc)`` added to each of them, none if it
    holds none (issue 18, seventh pass: the numpy form's selections in one call).
    """
    for j in range(blocs.size):
        count = 0
        for p in range(alliance.size):
            if alliance[p] == blocs[j]:
                count += 1
        if count:
            share = totals[j] / count
            for p in range(alliance.size):
                if alliance[p] == blocs[j]:
                    rent_week[p] += share


# Slots of ``sums`` (book_turns): the ledger's running sums the groups' economies add to.
B_COMMUNITIES, B_GROUPS, B_LOCAL, B_TURNOVER = 0, 1, 2, 3
B_TAXATION, B_RUSTLING, B_WAGES, B_SPENDING = 4, 5, 6, 7  # week_flows by category
BOOK_SIZE = 8
BOOK_ACCOUNTS = ("communities", "armed_groups", "local_economy")
BOOK_FLOWS = ("group_community_taxation", "group_rustling", "wages", "group_spending")


@kernel
def _book_one(sums, touched, flow, payer, payee, x):
    """``Ledger.pay`` of ``x`` on the running ``sums`` (a non-zero amount only, as ``pay`` books)."""
    if x:
        sums[payer] -= x
        sums[payee] += x
        sums[B_TURNOVER] += x
        sums[flow] += x
        touched[flow - B_TAXATION] = True


@kernel
def _payable(x):
    """``Ledger.pay``'s test of an amount: non-negative and finite (NaN fails)."""
    return 0.0 <= x < math.inf


@kernel
def book_out(o, sums, touched):
    """The ledger's payments of one group's economy ``o`` on the running ``sums``; False if ``pay`` would refuse one.

    ``ArmedGroups._book`` made them one ``Ledger.pay`` at a time: the tax on held and on roamed
    communities, the rustled cattle's value when positive, the wages (to communities when the
    group has a zone, else to the local economy) and the spending (002 §III; M2). Here each is
    added to ``sums`` (the balances, ``turnover`` and ``week_flows`` Python read before) in the
    same order, so every running sum gets the same additions in the same order; ``touched`` marks
    the flows that got one (``pay`` creates a flow's entry only then). A group with an amount
    ``pay`` would refuse books nothing (Python books it the old way, which raises ``pay``'s error).
    """
    rustled = o[RUSTLED] != 0.0 and o[RUSTLE_PAID] > 0
    wages = o[WAGES_BOOKED] if o[ZONE_ANY] else o[WAGES]
    if (
        (o[HELD_ANY] and not _payable(o[TAX_HELD]))
        or (o[ROAMED_ANY] and not _payable(o[TAX_ROAMED]))
        or (rustled and not _payable(o[RUSTLE_PAID]))
        or not _payable(wages)
        or not _payable(o[SPEND])
    ):
        return False
    if o[HELD_ANY]:
        _book_one(sums, touched, B_TAXATION, B_COMMUNITIES, B_GROUPS, o[TAX_HELD])
    if o[ROAMED_ANY]:
        _book_one(sums, touched, B_TAXATION, B_COMMUNITIES, B_GROUPS, o[TAX_ROAMED])
    if rustled:
        _book_one(sums, touched, B_RUSTLING, B_COMMUNITIES, B_GROUPS, o[RUSTLE_PAID])
    _book_one(sums, touched, B_WAGES, B_GROUPS, B_COMMUNITIES if o[ZONE_ANY] else B_LOCAL, wages)
    _book_one(sums, touched, B_SPENDING, B_GROUPS, B_LOCAL, o[SPEND])
    return True


@kernel
def contest_candidates(
    group, holder, region_ptr, region_places, current, nb_ptr, nb_idx, contestable, garrison, cleared, held_count,
    fighters_arms, hostile, jihadist, unit_size, advantage, half,
):  # fmt: skip
    """The nodes ``group`` may take or contest (``ArmedGroups.contest``, M5; issue 18, eleventh pass).

    Within reach are the Malian places of its regions (``current``, rows of the region-places
    CSR) and the neighbours of the nodes it holds, less those it holds, in node order, where
    ``contestable``. Each one's defence is ``ArmedGroups._garrison``'s: a state garrison (kept at
    ``unit_size`` or more on ground the state cleared, 002 §III; M6) or the holder's strength
    (:func:`group_strength`, ``half`` 0.5) spread over the nodes it holds, at most ``unit_size``;
    times ``advantage``. Python's ``max``/``min`` rules for ties and NaN are kept. A node is kept if
    open (no holder, no defence) or hostile (``hostile[group]``; a garrison only to a jihadist).
    Returns the kept nodes, their defence, whether open and their holder (-1: none), as the numpy
    form's arrays; the odds (numpy's ``**``) stay in Python. No draws.
    """
    n = holder.shape[0]
    mark = np.zeros(n, dtype=np.bool_)
    for i in range(current.shape[0]):
        r = current[i]
        for j in range(region_ptr[r], region_ptr[r + 1]):
            mark[region_places[j]] = True
    for node in range(n):
        if holder[node] == group:
            for j in range(nb_ptr[node], nb_ptr[node + 1]):
                mark[nb_idx[j]] = True
    reach = np.empty(n, dtype=np.int64)
    defence = np.empty(n)
    open_ = np.empty(n, dtype=np.bool_)
    holders = np.empty(n, dtype=np.int64)
    k = 0
    for node in range(n):
        h = holder[node]
        if not mark[node] or h == group or not contestable[node]:
            continue
        if h < 0:
            d = garrison[node]
            if cleared[node] > 0:
                d = unit_size if unit_size > d else d  # Python's max(garrison, unit_size)
            d = d * advantage
            is_open = d <= 0
            ok = is_open or (d > 0 and jihadist)
        else:
            count = 1
            if h < held_count.shape[0]:
                count = max(1, int(held_count[h]))
            spread = group_strength(fighters_arms[h, 0], fighters_arms[h, 1], half) / count
            d = (unit_size if unit_size < spread else spread) * advantage  # Python's min(spread, unit_size)
            ok = hostile[group, h]
            is_open = False
        if ok:
            reach[k], defence[k], open_[k], holders[k] = node, d, is_open, h
            k += 1
    return reach[:k], defence[:k], open_[:k], holders[:k]


@kernel
def kidnap_draws(
    rng_handles, n, scale, places, violence, alive, kind, home, crew_bloc, group_bloc, in_regions, place_region,
    row_of_place, identity, other, group_identity, odds,
):  # fmt: skip
    """A kidnapping's draws and its broker (``ArmedGroups.kidnap``, M2, M21; issue 18, sixteenth pass).

    What the numpy form did, with the same draws in the same order from the model's generator
    (:mod:`sim.kernel_rng`): ``n`` ransoms (``exponential(scale, size=n)``, summed as numpy sums);
    where the group has ``places``, ``n`` of them uniformly (``integers(0, len(places), size=n)``),
    whose ``violence`` rises by one each, once a place however often drawn (a fancy-indexed ``+=``);
    then, among the live crews of another kind than local (kind 0), in row order, the broker:
    each crew's ties to the group (its protecting bloc is the group's, its home in the group's
    regions, ``in_regions`` by ``place_region`` with -1 abroad the last entry, and, with
    ``identity`` non-empty, the identity of the community at its home, ``other`` where none) weigh
    it ``odds ** ties`` (the C library's ``pow``), drawn as ``choice`` draws (cumulative sums of the
    weights over their numpy sum, scaled by the last, one uniform searched from the right).

    Returns:
        The ransom, the broker's row (-1: no crew to broker; -2: weights that do not sum to a
        positive number, where ``choice`` raises), its ties, and the share of candidates with ties.
    """
    rng = generator(rng_handles)
    drawn = np.empty(n)
    for i in range(n):
        drawn[i] = rng.exponential(scale)
    ransom = pairwise_sum(drawn)
    if places.size > 0:
        hit = np.zeros(violence.size, dtype=np.bool_)
        for _ in range(n):
            hit[places[rng.integers(0, places.size)]] = True
        for node in range(violence.size):
            if hit[node]:
                violence[node] += 1.0
    rows = np.flatnonzero(alive)
    candidates = rows[kind[rows] != 0]
    m = candidates.size
    if m == 0:
        return ransom, -1, 0, 0.0
    ties = np.empty(m, dtype=np.int64)
    weights = np.empty(m)
    tied = 0
    for i in range(m):
        row = candidates[i]
        h = home[row]
        t = 1 if crew_bloc[row] == group_bloc else 0
        r = place_region[h]
        if r < 0:
            r += in_regions.size
        if in_regions[r]:
            t += 1
        if identity.size > 0:
            community = row_of_place[h]
            at_home = identity[community] if community >= 0 else other
            if at_home == group_identity:
                t += 1
        ties[i] = t
        tied += t != 0
        weights[i] = np.power(odds, np.float64(t))  # libm.power's pow_each
    total = pairwise_sum(weights)
    cdf = np.cumsum(weights / total)
    if not cdf[-1] > 0:
        return ransom, -2, 0, 0.0
    cdf /= cdf[-1]
    k = np.searchsorted(cdf, rng.random(), side="right")
    return ransom, candidates[k], ties[k], tied / m


@kernel
def _array_power(x, e):
    """One value of ``sim.libm.power(array, e)``: numpy's exact forms at 1, -1, 0, 0.5 and 2, else ``pow``."""
    if e == 1.0:
        return x
    if e == -1.0:
        return 1.0 / x
    if e == 0.0:
        return 1.0
    if e == 0.5:
        return np.sqrt(x)
    if e == 2.0:
        return x * x
    return np.power(x, e)


@kernel
def contest_target(
    group, holder, region_ptr, region_places, current, nb_ptr, nb_idx, contestable, garrison, cleared, held_count,
    fighters_arms, hostile, jihadist, unit_size, advantage, half, rent, committed, gamma, clash_loss, wage,
):  # fmt: skip
    """The node a group's contest weighs most (``ArmedGroups.contest``, M5; issue 18, sixteenth pass).

    :func:`contest_candidates` (the first 17 arguments), then the numpy form's odds, operation
    for operation: the odds of winning with ``committed`` fighters (1 where open; else
    ``committed ** gamma`` against the defence, at least 1e-9, to the power ``gamma`` as
    :func:`sim.libm.power` takes it), the gain (odds times the node's ``rent`` plus one), the
    cost of the fighters lost (``clash_loss``, ``wage`` a week for a year; none where open), the
    first node of the largest gain less cost (``np.argmax``'s rules for NaN), and the appeal
    (gain over gain plus cost, at least 1e-12 below, Python's ``max``). No draws.

    Returns:
        The node (-1: none within reach), the odds of winning there, its defence, whether it is
        open, its holder (-1: none) and the appeal.
    """
    reach, defence, open_, holders = contest_candidates(
        group, holder, region_ptr, region_places, current, nb_ptr, nb_idx, contestable, garrison, cleared,
        held_count, fighters_arms, hostile, jihadist, unit_size, advantage, half,
    )  # fmt: skip
    k = reach.size
    if k == 0:
        return -1, 0.0, 0.0, False, -1, 0.0
    strength = committed**gamma  # Python's float power: the C library's pow
    lost = clash_loss * committed
    win = np.empty(k)
    gain = np.empty(k)
    cost = np.empty(k)
    net = np.empty(k)
    for i in range(k):
        w = 1.0 if open_[i] else strength / (strength + _array_power(np_maximum(defence[i], 1e-9), gamma))
        win[i] = w
        gain[i] = w * (rent[reach[i]] + 1.0)
        cost[i] = 0.0 if open_[i] else lost * (1 - w) * wage * 52.0
        net[i] = gain[i] - cost[i]
    best = _np_argmax(net)
    appeal = gain[best] / _py_max(gain[best] + cost[best], 1e-12)  # nothing committed: no appeal, not NaN
    return reach[best], win[best], defence[best], open_[best], holders[best], appeal


@kernel
def punish_target(
    group, places, ident, sides_with_state, row_of_place, trust, hostile, fighters, identity_of, shares_region,
    grudge, n_identities,
):  # fmt: skip
    """The community a group's punishment weighs most (``ArmedGroups.punish``, 002 §III; F15; sixteenth pass).

    For each community of another identity in the group's regions (``places``, ``ident``): trust
    in the state where the group fights it (``sides_with_state``; 0.5 at a place without a
    community, as ``Communities.trust_at`` reads it; else 0), whether its identity is kin of a
    group the group fights that is in the field and shares a region with it (``hostile``,
    ``fighters``, ``identity_of``, ``shares_region``, by group), and the reprisal score of the harm
    its identity did to the group's (``grudge`` by identity, ``g / (1 + g)``): the largest of the
    three, taken as ``np.maximum.reduce`` takes it, then the first community of the largest score
    (``np.argmax``'s rules for NaN). No draws.

    Returns:
        The community's position in ``places``, its score and its grudge.
    """
    kin = np.zeros(n_identities)
    for g in range(fighters.size):  # the order does not matter: each sets a flag
        if fighters[g] > 0 and g != group and hostile[g] and shares_region[g]:
            kin[identity_of[g]] = 1.0
    n = places.size
    score = np.empty(n)
    for i in range(n):
        side = 0.0
        if sides_with_state:
            row = row_of_place[places[i]]
            side = trust[row] if row >= 0 else 0.5
        h = grudge[ident[i]]
        score[i] = np_maximum(np_maximum(side, kin[ident[i]]), h / (1.0 + h))
    best = _np_argmax(score)
    return best, score[best], grudge[ident[best]]
