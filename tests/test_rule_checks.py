"""Rule checks: the claims of FACTS.md part B whose tested statistic a single rule writes.

experiments/validate/classification.py names, for each claim, whether the pattern suite's
statistic emerges from interacting decisions (evidence) or is written by one rule (a rule
check). A rule check is tested here, exactly and fast, on one small model: each test sets the
rule's inputs, runs the rule alone and asserts its formula or its direction, so it fails when
the rule changes. Statistical checks state their tolerance in standard deviations.
"""

from __future__ import annotations

import dataclasses
import inspect
import pickle
import re

import numpy as np
import pytest

from conftest import frozen_small
from sim.agents.community import MAX_ROBBERY
from sim.agents.force import Force, ForceKind
from sim.model import SahelModel
from sim.names import GroupKind, Kind
from sim.policies.border_control import BorderControl, BorderControlConfig
from sim.policies.ddr import DDR, DDRConfig
from sim.policies.hub_raids import HubRaids, HubRaidsConfig
from sim.policies.intelligence import Intelligence, IntelligenceConfig
from sim.policies.livelihoods import Livelihoods, LivelihoodsConfig


@pytest.fixture(scope="module")
def frozen() -> bytes:
    """A small model four weeks in, pickled once: every test unpickles its own copy."""
    return frozen_small(weeks=4)


@pytest.fixture
def m(frozen) -> SahelModel:
    return pickle.loads(frozen)


def _group(m: SahelModel, kind: GroupKind):
    return next(g for g in m.armed_groups.groups if g.kind == kind and g.fighters > 0)


def _within(count: float, expected: float, sds: float = 5.0) -> bool:
    """A Poisson or binomial count within ``sds`` standard deviations of its mean."""
    return abs(count - expected) <= sds * np.sqrt(max(expected, 1.0))


def test_m1_protection_is_a_share_of_high_value_cargo(m):
    """M1: goods denser than protection_value_per_t (or protected) pay protection_share of their sink value."""
    crews, p = m.crews, m.params.armed_groups
    density = m.market.value_sink / crews.bulk
    protected = np.array([g.protected for g in m.world.goods])
    np.testing.assert_array_equal(crews.needs_protection, (density >= p.protection_value_per_t) | protected)
    crews._route_costs()
    routes = m.routes
    paying = crews.route_bloc >= 0
    assert paying.any() and (~paying).any()
    np.testing.assert_allclose(crews.protection_unit[paying], p.protection_share * crews.sink_value[paying])
    assert (crews.protection_unit[~paying] == 0).all()
    assert crews.needs_protection[routes.good[paying]].all()


def test_m2_jihadists_tax_and_kidnap_at_their_rates(m):
    """M2: jihadists tax the communities they hold at tax_share_jihadist (roamed at ROAMING_TAX of it), others at
    tax_share_other; kidnappings are Poisson(rate x reach / 100) with the kind's rate (5 sd over 3,000 weeks)."""
    from sim.agents import armed_group

    groups, p, c = m.armed_groups, m.params.armed_groups, m.communities
    c.cols["cash"][:] = 1e12  # taxes take the share due, not the cash left
    for kind, rate in ((GroupKind.JIHADIST, p.tax_share_jihadist), (GroupKind.SIGNATORY, p.tax_share_other)):
        g = _group(m, kind)
        zone = groups._zone(g)
        m.territory.holder[zone.places[0]] = g.index  # it holds one place of its regions, roams the rest
        held = m.territory.holder[c.place[c.rows]] == g.index
        roamed = np.zeros(len(c.rows), dtype=bool)
        roamed[zone.rows] = ~held[zone.rows]
        assert held.any() and roamed.any()
        due = c.licit[c.rows] + c.inflow[c.rows]
        before = c.cash[c.rows].copy()
        groups.tax_communities(g)
        taken = before - c.cash[c.rows]
        assert taken[held] == pytest.approx(rate * due[held])
        assert taken[roamed] == pytest.approx(rate * armed_group.ROAMING_TAX * due[roamed])
        assert not taken[~held & ~roamed].any()
    for kind, rate in ((GroupKind.JIHADIST, p.kidnap_rate_jihadist), (GroupKind.SIGNATORY, p.kidnap_rate_other)):
        g = _group(m, kind)
        g.fighters = 1000.0
        groups.events["kidnappings"] = 0
        for _ in range(3000):
            groups.kidnap(g)
        assert _within(groups.events["kidnappings"], 3000 * rate * armed_group.reach(1000.0) / 100.0)
    assert p.kidnap_rate_jihadist > p.kidnap_rate_other and p.tax_share_jihadist > p.tax_share_other


def test_m4_mercenary_share_of_entrants_follows_profit_per_trip(m):
    """M4: an entrant is mercenary with probability a / (a + mercenary_profit_usd) (5 sd over 4,000 entrants)."""
    crews, p = m.crews, m.params.traffickers
    good = m.world.good_index("cigarettes")
    shares = []
    for a in (0.5 * p.mercenary_profit_usd, 2.0 * p.mercenary_profit_usd):
        crews.profit_ema[good] = a
        before = set(crews.alive_rows().tolist())
        crews.enter(good, 4000)
        new = np.array(sorted(set(crews.alive_rows().tolist()) - before))
        merc = int((crews.kind[new] == Kind.MERCENARY).sum())
        q = a / (a + p.mercenary_profit_usd)
        assert abs(merc - 4000 * q) <= 5 * np.sqrt(4000 * q * (1 - q)), (a, merc)
        shares.append(merc / 4000)
    assert shares[1] > shares[0]


def test_m6_no_rebrand_without_counter_terrorism_pressure(m):
    """M6 (rebrands): a jihadist faction rebrands only under counter-terrorism pressure, which only raids create."""
    groups = m.armed_groups
    groups.p.rebrand_rate = 1.0
    g = _group(m, GroupKind.JIHADIST)
    n = len(groups.groups)
    g.ct_pressure = 0.0
    for _ in range(50):
        groups._maybe_rebrand(g, m.rng)
    assert len(groups.groups) == n
    g.ct_pressure = 1.0
    groups._maybe_rebrand(g, m.rng)
    assert len(groups.groups) == n + 1 and groups.groups[-1].kind == GroupKind.SIGNATORY


def test_m7_crime_sensitive_control_spares_livelihood_goods(m):
    """M7: crime-sensitive control leaves food and fuel uninspected and unseized; blunt control targets them."""
    livelihood = np.array([g.livelihood for g in m.world.goods])
    sens = BorderControl(m, BorderControlConfig(enabled=True, intensity=2.0, crime_sensitive=True), "border_control")
    blunt = BorderControl(m, BorderControlConfig(enabled=True, intensity=2.0), "border_control")
    assert (sens.factor[livelihood] == 1.0).all() and (sens.seize[livelihood] == 0).all()
    assert (blunt.factor[livelihood] >= 3.0).all() and (blunt.seize[livelihood] > 0).all()
    np.testing.assert_array_equal(sens.factor[~livelihood], blunt.factor[~livelihood])


def test_m9_livelihoods_multiply_licit_income(m):
    """M9: licit income in the programme's places is 1 + income_gain x intensity times what it would be; and no
    crew decision reads licit income (if this changes, M9 may become evidence: reclassify it)."""
    import sim.agents.trafficker as trafficker

    twin = pickle.loads(pickle.dumps(m))
    programme = Livelihoods(twin, LivelihoodsConfig(enabled=True, intensity=1.5), "livelihoods")
    programme.apply(twin.levers)
    m.communities.step()
    twin.communities.step()
    c, t = m.communities, twin.communities
    rows = c.row_of_place[programme.places]
    rows = rows[rows >= 0]
    ratio = t.licit[rows] / c.licit[rows]
    np.testing.assert_allclose(ratio, 1.0 + programme.cfg.income_gain * 1.5)
    others = np.setdiff1d(c.rows, rows)
    np.testing.assert_allclose(t.licit[others], c.licit[others])
    assert not re.search(r"(?<!il)licit", inspect.getsource(trafficker))


def test_m10_jobs_cut_the_relapse_rate(m):
    """M10 (relapse): ex-combatants relapse at relapse_rate x (1 + relapse_shortfall x shortfall) x (1 - jobs)."""
    groups = m.armed_groups
    g = _group(m, GroupKind.SIGNATORY)
    relapsed = {}
    for jobs in (0.0, 0.5, 1.0):
        ddr = DDR(m, DDRConfig(enabled=True, intensity=0.0), "ddr")
        ddr.pool = {g.index: 20_000.0}
        m.levers.jobs = jobs
        ddr.apply(m.levers)
        relapsed[jobs] = ddr.relapsed
        cfg = ddr.cfg
        shortfall = max(0.0, 1.0 - m.communities.licit_level(groups._region_places(g)))
        rate = min(1.0, cfg.relapse_rate * (1 + cfg.relapse_shortfall * shortfall) * (1 - jobs))
        assert abs(relapsed[jobs] - 20_000 * rate) <= 5 * np.sqrt(20_000 * rate * (1 - rate)) + 1e-9, jobs
    assert relapsed[1.0] == 0 and relapsed[0.0] > relapsed[0.5] > 0


def test_m11_deal_members_never_fight(m):
    """M11: members of a peace deal are never hostile to each other, whatever their blocs."""
    groups = m.armed_groups
    a = _group(m, GroupKind.SIGNATORY)
    b = next(g for g in groups.active if g.bloc != a.bloc and g.kind != GroupKind.JIHADIST)  # rival blocs
    assert groups.hostile(a, b)
    m.levers.deals.append(frozenset({a.index, b.index}))
    assert not groups.hostile(a, b) and not groups.hostile(b, a)
    blocs = groups.effective_blocs()
    assert blocs[a.index] == blocs[b.index]


def test_m13_intelligence_not_acted_on_changes_nothing(m):
    """M13: knowledge never acted on leaves every lever of the raids as without it (identical runs)."""
    twin = pickle.loads(pickle.dumps(m))
    Intelligence(twin, IntelligenceConfig(enabled=True, acted_on="never"), "intelligence").apply(twin.levers)
    assert not twin.levers.intel_acted and twin.levers.fusion == 0
    for model in (m, twin):
        HubRaids(model, HubRaidsConfig(enabled=True), "hub_raids").apply(model.levers)
    np.testing.assert_array_equal(twin.levers.raid_seize, m.levers.raid_seize)
    np.testing.assert_array_equal(twin.levers.retaliation, m.levers.retaliation)
    Intelligence(twin, IntelligenceConfig(enabled=True, acted_on="always"), "intelligence").apply(twin.levers)
    assert twin.levers.intel_acted and twin.levers.fusion == 1.0
    twin.levers.reset()
    Intelligence(twin, IntelligenceConfig(enabled=True, acted_on="always", fuse=False), "intelligence").apply(
        twin.levers
    )
    assert twin.levers.intel_acted and twin.levers.fusion == 0


def test_m14_deterred_group_stops_selling_protection(m):
    """M14 (protection revenue): the places of a group that chose to stop selling protection sell none;
    every other place still does (the decision itself: tests/test_knowledge.py)."""
    groups = m.armed_groups
    g = _group(m, GroupKind.SIGNATORY)
    m.levers.no_protection_groups.add(g.index)
    groups.refresh()
    holder = m.territory.holder
    mine = holder == g.index
    assert mine.any()
    assert (groups.protecting[mine] == -1).all() and (groups.alliance[mine] >= 0).all()
    others = (holder >= 0) & ~mine
    np.testing.assert_array_equal(groups.protecting[others], groups.alliance[others])


def test_m15_trust_falls_with_the_bribe_rate(m):
    """M15 (trust): trust moves toward a target lowered by trust_bribe_weight x the bribe rate at checkpoints."""
    c, p = m.communities, m.params.communities
    twin = pickle.loads(pickle.dumps(m))
    for model, share in ((m, 0.0), (twin, 1.0)):
        last = model.stats.last
        last["enc_bribed"][:] = share * last["enc_staffed"]
        model.communities._trust_and_tolerance(model.communities.rows, model.communities.place[c.rows])
    t = twin.communities
    seen = t.bribe_rate[c.rows] > c.bribe_rate[c.rows]
    assert seen.any()
    drop = (c.trust - t.trust)[c.rows][seen]
    bound = (c.adjust_rate * p.trust_bribe_weight * (t.bribe_rate - c.bribe_rate))[c.rows][seen]
    assert (drop <= bound + 1e-12).all() and (drop >= 0).all()
    assert np.isclose(drop, bound).mean() > 0.5  # exact wherever the target is not clipped to [0, 1]


def test_m16_robbery_odds_formula(m):
    """M16: robbery odds are banditry x arms per person x (1 - state presence), capped."""
    c, p = m.communities, m.params.communities
    c.cols["arms"][c.rows] *= 3.0
    c._arms(c.rows, c.place[c.rows])
    places = c.place[c.rows]
    per_capita = c.arms[c.rows] / c.population[c.rows]
    expected = np.round(np.clip(p.banditry * per_capita * (1 - m.territory.presence[places]), 0, MAX_ROBBERY), 4)
    np.testing.assert_allclose(c.rob[places], expected)
    assert (c.rob[places] > 0).any()


def test_m17_tolerance_target_formula(m):
    """M17: tolerance moves toward 0.8 - tolerance_jihadist_weight x the share of encounters with jihadist-protected
    crews; with no such encounters the share decays and tolerance recovers."""
    c, p = m.communities, m.params.communities
    for share in (1.0, 0.0):
        last = m.stats.last
        last["enc_jihadist"][:] = share * last["enc_total"]
        before = c.tolerance[c.rows].copy()
        c._trust_and_tolerance(c.rows, c.place[c.rows])
        target = np.clip(0.8 - p.tolerance_jihadist_weight * c.jihadist_share[c.rows], 0.0, 1.0)
        np.testing.assert_allclose(c.tolerance[c.rows], before + c.adjust_rate * (target - before))
    assert p.tolerance_jihadist_weight > 0


def test_m20_raids_provoke_attacks_on_the_mission(m):
    """M20: raids set mission_retaliation x intensity of extra attacks at each hub and spoil collateral x intensity of
    livelihood cargo; the mission's war adds Poisson(provoked) attacks a week on top of the groups' own (5 sd over 300
    weeks), each of which can kill peacekeepers."""
    raids = HubRaids(m, HubRaidsConfig(enabled=True, intensity=1.0), "hub_raids")
    raids.apply(m.levers)
    hubs = np.flatnonzero(m.levers.retaliation)
    assert len(hubs) and np.allclose(m.levers.retaliation[hubs], raids.cfg.mission_retaliation)
    livelihood = np.array([g.livelihood for g in m.world.goods])
    np.testing.assert_allclose(m.levers.raid_seize[np.ix_(hubs, livelihood)], raids.cfg.collateral)
    forces = m.forces
    mission = forces.of_kind(ForceKind.MISSION)[0]
    regions = forces._base_regions(mission)
    war = forces.war
    war.p = dataclasses.replace(war.p, attack_rate=0.0)  # the groups' own attacks off: only provoked ones remain
    held = [r for r in regions.tolist() if any(r in g.regions and g.fighters > 0 for g in m.armed_groups.active)]
    provoked = float(m.levers.retaliation[np.isin(forces.region, held)].sum())
    attacks = {}
    for retaliation in (np.zeros_like(m.levers.retaliation), m.levers.retaliation.copy()):
        total = 0.0
        for _ in range(300):
            war.step(mission, regions, retaliation)
            total += war.attacks
        attacks[retaliation.any()] = total
    assert attacks[False] == 0
    assert provoked > 0 and _within(attacks[True], 300 * provoked, sds=6.0)
    assert m.params.forces.deaths_per_attack > 0 and m.params.forces.attack_success > 0


def test_m24_wagner_multiplies_abuses(m):
    """M24: with Wagner present, state forces' abuses are wagner_abuse_multiplier times as many (6 sd over 400 weeks)
    and the mission's access halves."""
    forces, p = m.forces, m.params.forces
    m.territory.insecurity[:] = 1.0
    bases = sum(len(f.bases) for f in forces.of_kind(ForceKind.STATE))
    killed = {}
    for wagner in (False, True):
        if wagner:
            forces.forces.append(Force(m, "Wagner", ForceKind.WAGNER, 1000.0, forces.of_kind(ForceKind.STATE)[0].bases))
        before = float(m.territory.abuses.sum())
        for _ in range(400):
            forces._state_forces()
        killed[wagner] = float(m.territory.abuses.sum()) - before
        assert forces.mission_access == (0.5 if wagner else 1.0)
    assert _within(killed[False], 400 * bases * p.abuse_rate, sds=6.0)
    assert _within(killed[True], 400 * bases * p.abuse_rate * p.wagner_abuse_multiplier, sds=6.0)
