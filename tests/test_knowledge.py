"""Knowledge of networks and the decisions that use it (sim/knowledge.py; 002 §III, §IV; M13, M14).

Each test branches counterfactuals from one model state (pickled copies), so the only difference
is the one the test makes. Models are the small scenario after 30 recorded weeks, three seeds.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from conftest import small_config
from sim.agents.force import ForceKind
from sim.knowledge import MISSION, PANEL, STATE, fuse
from sim.model import SahelModel
from sim.names import GroupKind
from sim.policies.sanctions import Sanctions, SanctionsConfig

SEEDS = (0, 1, 2)


@pytest.fixture(scope="module", params=SEEDS)
def frozen(request) -> bytes:
    m = SahelModel(small_config(request.param).scenario, seed=request.param)
    for _ in range(30):
        m.step()
    return pickle.dumps(m)


def copy(frozen: bytes) -> SahelModel:
    return pickle.loads(frozen)


def test_knowledge_accumulates_in_every_silo(frozen):
    """After 30 weeks every holder knows something of the crews, and the state knows officials' rents."""
    k = copy(frozen).knowledge
    for h in (MISSION, STATE, PANEL):
        assert k.crews[h].max() > 0.05, h
    assert k.officials[STATE].max() > 0.05
    assert 0.0 < k.fused_share() < 1.0


def test_a_source_network_cut_off_from_the_mission_stops_informing(frozen):
    """Trust zeroed in the mission's regions, or the mission gone: its sources there fall to zero and its
    knowledge of crews stops growing and decays week by week (by exactly the decay, bar shared evidence,
    which the mission gets only where it supports the police; that support is zeroed too). The intact
    copy keeps learning."""
    intact, cut, gone = copy(frozen), copy(frozen), copy(frozen)
    mission = intact.forces.of_kind(ForceKind.MISSION)[0]
    region = np.asarray(intact.world.region)
    theirs = np.isin(region, region[mission.bases]) & intact.world.in_mali
    cut.communities.cols["trust"][cut.communities.row_of_place[theirs & (cut.communities.row_of_place >= 0)]] = 0.0
    gone.forces.of_kind(ForceKind.MISSION)[0].active = False
    before = intact.knowledge.crews[MISSION].copy()
    keep = 1.0 - intact.knowledge.p.decay
    for model in (intact, cut, gone):
        model.forces.oc_support.fill(0.0)
        for _ in range(4):
            model.knowledge.update()
            if model is not intact:
                assert model.knowledge.sources[MISSION][theirs].max() == 0.0
    assert intact.knowledge.sources[MISSION][theirs].max() > 0.0
    for model in (cut, gone):
        after = model.knowledge.crews[MISSION][: len(before)]
        alive = model.crews.cols["alive"][: len(before)]
        assert (after[alive] <= before[alive] * keep**4 + 1e-12).all()
        assert after[alive].sum() < before[alive].sum()
    grown = intact.knowledge.crews[MISSION][: len(before)] > before * keep**4 + 1e-9
    assert grown.any()


def test_fused_knowledge_is_at_least_each_silo(frozen):
    """Fusion never loses what a silo knows: for crews, groups and officials, and for what h_bargain reads."""
    m = copy(frozen)
    k = m.knowledge
    for scores in (k.crews, k.groups, k.officials):
        fused = fuse(scores)
        assert (fused >= scores.max(axis=0) - 1e-12).all()
        for h in (MISSION, STATE, PANEL):
            assert (k.view(scores, h, 1.0) >= k.view(scores, h, 0.0) - 1e-12).all()
    siloed = [k.group_trade_known(g.index) for g in m.armed_groups.groups]
    m.levers.fusion = 1.0
    fused = [k.group_trade_known(g.index) for g in m.armed_groups.groups]
    assert all(0.0 <= a <= b <= 1.0 for a, b in zip(siloed, fused, strict=True))
    assert sum(fused) > sum(siloed)
    assert k.group_trade_known(10**6) == 0.0


def _listed_value(m: SahelModel) -> float:
    """Mean value per trip of the crews one large review lists."""
    policy = Sanctions(m, SanctionsConfig(enabled=True, per_review=20), "sanctions")
    policy._review(m.levers)
    assert len(policy.listed) > 0
    return float(m.crews.cols["cargo_value_ref"][policy.listed].mean())


def test_a_listing_chosen_with_knowledge_hits_higher_value_traffickers(frozen):
    """The Panel's knowledge (fused) picks crews that move more value than the evidence-only fallback
    (the same state with the Panel knowing no one), by at least a quarter on average."""
    informed, blind = copy(frozen), copy(frozen)
    informed.levers.fusion = 1.0
    informed.knowledge.groups[:] = 0.0  # compare crews with crews
    informed.knowledge.officials[:] = 0.0
    blind.knowledge.crews[:] = blind.knowledge.groups[:] = blind.knowledge.officials[:] = 0.0
    assert _listed_value(informed) > 1.25 * _listed_value(blind)


def test_high_rents_keep_a_group_selling_protection_under_the_threat(frozen):
    """M14 as a decision: with the Panel knowing a group fully, the group stops selling protection when its
    rents are below the expected cost of a listing and keeps selling when they are above it (same state)."""
    results = {}
    for label, factor in (("low", 0.5), ("high", 2.0)):
        m = copy(frozen)
        g = next(g for g in m.armed_groups.groups if g.kind == GroupKind.SIGNATORY and g.fighters > 0)
        policy = Sanctions(m, SanctionsConfig(enabled=True), "sanctions")
        m.knowledge.groups[PANEL, g.index] = 1.0
        cost, exposed = policy.expected_cost(m.levers)
        assert exposed[g.index] and cost[g.index] > 0
        weekly = factor * cost[g.index] / 52.0
        policy.rents = np.zeros(len(m.armed_groups.groups))
        policy.rents[g.index] = weekly
        g.revenue["protection"] = weekly
        policy.apply(m.levers)
        m.armed_groups.refresh()
        mine = m.territory.holder == g.index
        results[label] = (g.index in m.levers.no_protection_groups, bool((m.armed_groups.protecting[mine] == -1).all()))
    assert results["low"] == (True, True)
    assert results["high"][0] is False


def test_jihadist_groups_do_not_weigh_the_listing_threat(frozen):
    """Groups already on terrorism lists are not deterred by a new listing, whatever the Panel knows."""
    m = copy(frozen)
    policy = Sanctions(m, SanctionsConfig(enabled=True), "sanctions")
    m.knowledge.groups[:] = 1.0
    _, exposed = policy.expected_cost(m.levers)
    kinds = np.array([g.kind for g in m.armed_groups.groups])
    assert not exposed[kinds == GroupKind.JIHADIST].any()


def _hubs(m: SahelModel, **intel) -> np.ndarray:
    """The hubs raided this week under the given intelligence settings (none: no intelligence policy)."""
    from sim.policies.hub_raids import HubRaids, HubRaidsConfig
    from sim.policies.intelligence import Intelligence, IntelligenceConfig

    m.levers.reset()
    if intel:
        Intelligence(m, IntelligenceConfig(enabled=True, **intel), "intelligence").apply(m.levers)
    HubRaids(m, HubRaidsConfig(enabled=True), "hub_raids").apply(m.levers)
    return np.flatnonzero(m.levers.raid_seize.max(axis=1) > 0)


def test_raids_follow_what_the_acting_holder_knows(frozen):
    """M13 through decisions: ignored knowledge raids the obvious hubs, exactly as without the policy;
    acted on, the hubs are where the known crews pass, away from the obvious ones; the fused view knows
    at least as much value at every place as the state's silo, and more in all (which hubs that changes
    is the run's business: docs/validation.md, M13)."""
    from sim.policies.hub_raids import OBVIOUS_HUBS, HubRaids, HubRaidsConfig

    m = copy(frozen)
    obvious = sorted(m.world.index[p] for p in OBVIOUS_HUBS)
    np.testing.assert_array_equal(_hubs(m), obvious)
    np.testing.assert_array_equal(_hubs(m, acted_on="never"), obvious)
    fused = _hubs(m, acted_on="always")
    siloed = _hubs(m, acted_on="always", fuse=False)
    assert not np.array_equal(fused, obvious)
    raids = HubRaids(m, HubRaidsConfig(enabled=True), "hub_raids")
    m.levers.fusion = 0.0
    own = raids.known_value(m.levers)
    m.levers.fusion = 1.0
    shared = raids.known_value(m.levers)
    assert (shared >= own - 1e-9).all() and shared.sum() > own.sum()
    assert len(siloed) == len(fused) == len(obvious)


def test_knowledge_is_acted_on_when_this_weeks_mandate_makes_organized_crime_a_main_task():
    """M13: with ``acted_on=when_priority`` the mission acts on knowledge only in weeks its mandate makes
    organized crime a main task, including a mandate set by the mission_mandate policy (applied after
    intelligence in the week's order)."""
    from sim.params import ScenarioConfig
    from sim.policies import PolicySet
    from sim.policies.intelligence import IntelligenceConfig
    from sim.policies.mission_mandate import MissionMandateConfig

    acted = {}
    for weight in (None, 0.4):
        mandate = {"mission_mandate": MissionMandateConfig(enabled=True, oc_weight=weight)} if weight else {}
        policy = PolicySet(intelligence=IntelligenceConfig(enabled=True), **mandate)
        m = SahelModel(ScenarioConfig(supply_scale=0.05, burn_in_weeks=0), seed=1, policy=policy)
        m.step()
        acted[weight] = m.levers.intel_acted
    assert acted == {None: False, 0.4: True}


def _ct_raids(m: SahelModel) -> list[tuple[int, int, float]]:
    """The (group, place, kill share) of each counter-terrorism raid of one week, from this state."""
    calls = []
    groups = m.armed_groups
    groups.raid = lambda g, place, kill_share, retake: calls.append((g.index, place, kill_share)) or 0.0
    m.levers.ct_strength = 20.0  # enough raids in one week to see every target
    m.forces._counter_terrorism()
    return calls


def test_counter_terrorism_strikes_harder_and_where_it_pays_when_it_acts_on_knowledge(frozen):
    """M13: acting on full knowledge of the groups, counter-terrorism kills twice the share per raid and
    strikes a group's most lucrative place; not acting on it, the base share (the same state)."""
    blind, informed = copy(frozen), copy(frozen)
    base = blind.params.forces.raid_kill_share
    plain = _ct_raids(blind)
    informed.levers.intel_acted = True
    informed.knowledge.groups[STATE] = 1.0
    known = _ct_raids(informed)
    assert plain and known
    assert all(k == pytest.approx(base) for _, _, k in plain)
    assert all(k == pytest.approx(min(1.0, 2 * base)) for _, _, k in known)
    groups = informed.armed_groups
    for g, place, _ in known:
        places = groups.groups[g].places
        if len(places):
            assert groups.rent[place] == groups.rent[places].max()


def test_the_best_source_along_each_route_is_the_maximum_over_its_places(frozen):
    """The kept table of places along routes gives every route's best source, as the places themselves do."""
    m = copy(frozen)
    k, nodes = m.knowledge, m.crews.routes.nodes
    s = k.sources
    assert s.max() > 0
    padded = np.concatenate([s, np.zeros((len(s), 1))], axis=1)
    table = padded[:, k._route_places(nodes)].max(axis=1)
    direct = np.where((nodes >= 0)[None], s[:, np.maximum(nodes, 0)], 0.0).max(axis=2)
    assert np.array_equal(table, direct)
    assert k._route_places(nodes) is k._route_places(nodes)  # built once per run


def test_the_mission_hears_sources_in_the_regions_of_its_bases_as_the_region_names_say(frozen):
    """Kept region codes give the same regions of the mission's bases as comparing the names."""
    m = copy(frozen)
    region = np.asarray(m.world.region)
    covered = np.zeros(m.world.n_places, dtype=bool)
    for force in m.forces.of_kind(ForceKind.MISSION):
        covered |= np.isin(region, region[force.bases]) & m.world.in_mali
    assert covered.any() and not covered.all()
    sources = m.knowledge._sources()
    assert sources[MISSION][covered].any() and not sources[MISSION][~covered].any()
    codes = m.knowledge._region_codes()
    assert all((codes == codes[i]).sum() == (region == region[i]).sum() for i in range(len(region)))


@pytest.mark.parametrize("seed", range(5))
def test_one_bincount_over_rows_sums_each_row_as_its_own_bincount(seed):
    """``_bincount_rows`` gives, bit for bit, one weighted bincount per row (sums in the same order)."""
    from sim.knowledge import _bincount_rows

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 30))
    index = rng.integers(0, n, size=int(rng.integers(0, 200)))
    weights = rng.random((3, len(index))) * 10.0 ** rng.integers(-3, 6, size=(3, len(index)))
    plain = np.stack([np.bincount(index, weights=w, minlength=n) for w in weights])
    assert _bincount_rows(index, weights, n).tobytes() == plain.tobytes()


def test_the_mission_access_kept_follows_its_bases_and_access(frozen):
    """The kept vector of the mission's access is rebuilt when a base is replaced or access changes."""
    m = copy(frozen)
    k = m.knowledge
    region = k._region_codes()

    def plain() -> np.ndarray:
        mission = np.zeros(m.world.n_places)
        for force in m.forces.of_kind(ForceKind.MISSION):
            covered = np.isin(region, region[force.bases]) & m.world.in_mali
            mission[covered] = m.forces.mission_access
        return mission

    assert np.array_equal(k._mission_access(), plain()) and k._mission_access() is k._mission_access()
    force = next(iter(m.forces.of_kind(ForceKind.MISSION)))
    outside = np.flatnonzero(m.world.in_mali & ~(k._mission_access() > 0))
    force.bases = np.concatenate([force.bases, outside[:1]])
    m.forces.mission_access = 0.5
    assert np.array_equal(k._mission_access(), plain()) and (k._mission_access() == 0.5).sum() > 0
