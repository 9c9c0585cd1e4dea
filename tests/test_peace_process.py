"""Peace processes, conditional accommodation and ransom brokers as choices (issue 15 item 5; M11, M18, M21).

Each decision is tested as a counterfactual in one model state (a pickled copy changes one thing);
the broker test is statistical over three seeds with a stated tolerance.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from test_groups16_kernels import broker_ties

from conftest import frozen_small
from sim.model import SahelModel
from sim.names import GroupKind
from sim.policies.accommodation import Accommodation, AccommodationConfig
from sim.policies.peace_deals import PeaceDeals, PeaceDealsConfig


@pytest.fixture(scope="module")
def frozen() -> bytes:
    """A small model four weeks in, pickled once: every test unpickles its own copy."""
    return frozen_small(weeks=4)


@pytest.fixture
def m(frozen) -> SahelModel:
    return pickle.loads(frozen)


def _holding(m: SahelModel, kind: GroupKind):
    """An active group of a kind that holds at least one place (given one if it holds none)."""
    g = next(g for g in m.armed_groups.groups if g.kind == kind and g.fighters > 0)
    if not len(g.places):
        place = int(m.armed_groups._region_places(g)[0])
        m.territory.holder[place] = g.index
    return g


def _set_rents(m: SahelModel, group, yearly: float) -> None:
    """Give the group's places rents summing to ``yearly`` US dollars a year."""
    places = group.places
    m.armed_groups.rent[places] = yearly / len(places)


def _accommodation(m: SahelModel, **fields) -> Accommodation:
    return Accommodation(m, AccommodationConfig(enabled=True, **fields), "accommodation")


def test_accommodation_is_accepted_when_rents_are_low_and_refused_when_high(m):
    """000, M18: the same group in the same state accepts the offer with low rents and refuses with high ones;
    while in, it sells no protection and takes no tolls at its places."""
    g = _holding(m, GroupKind.SIGNATORY)
    policy = _accommodation(m)
    allowance = policy.process.allowance(g)
    assert allowance > 0
    rich = pickle.loads(pickle.dumps((m, policy)))
    _set_rents(m, g, 0.1 * allowance)
    policy.process.decide(g)
    assert g.index in policy.process.members and policy.process.joined == 1
    rm, rpolicy = rich
    rg = rm.armed_groups.groups[g.index]
    _set_rents(rm, rg, 10.0 * allowance)
    rpolicy.process.decide(rg)
    assert rg.index not in rpolicy.process.members and rpolicy.process.refusals == 1
    # The member leaves the trade: its places sell nothing, the refuser's still do.
    policy.apply(m.levers)
    rpolicy.apply(rm.levers)
    assert g.index in m.levers.disengaged
    assert (m.armed_groups.protecting[g.places] == -1).all() and (m.armed_groups.toll[g.places] == 0).all()
    assert (rm.armed_groups.toll[rg.places] > 0).all()


def test_members_defect_when_their_rents_rise_above_the_payoff(m):
    """M11: a member of the deal leaves at its next review once its own rents exceed its share inside."""
    a, b = _holding(m, GroupKind.SIGNATORY), _holding(m, GroupKind.PRO_GOVERNMENT)
    policy = PeaceDeals(m, PeaceDealsConfig(enabled=True, targets=["signatory", "pro_government"]), "peace_deals")
    process = policy.process
    for g in (a, b):
        _set_rents(m, g, 1_000.0)
    process.decide(a)
    process.decide(b)
    assert {a.index, b.index} <= process.members
    stay = pickle.loads(pickle.dumps((m, policy)))
    _set_rents(m, a, 1e9)  # its routes now pay far more than the pool and the allowance
    process.decide(a)
    assert a.index not in process.members and process.defections == 1
    sm, spolicy = stay
    spolicy.process.decide(sm.armed_groups.groups[a.index])
    assert a.index in spolicy.process.members and spolicy.process.defections == 0


def test_an_accommodated_groups_forgone_rents_follow_the_trade_until_cheating_pays(m):
    """000: out of the trade, a member's rents are those it gave up, moved with the other groups' rents; when
    the trade booms past the allowance it expects to lose if caught, it returns to the trade in secret."""
    groups = m.armed_groups
    g = _holding(m, GroupKind.SIGNATORY)
    process = _accommodation(m).process
    others = np.flatnonzero((m.territory.holder >= 0) & (m.territory.holder != g.index))
    assert len(others) and groups.rent[others].sum() > 0
    gave_up = 0.1 * process.known(g) * process.allowance(g)
    _set_rents(m, g, gave_up)
    process.decide(g)
    assert g.index in process.members and g.index not in process.cheating
    groups.rent[g.places] = 0.0  # its places no longer pay it
    assert process.rents(g) == pytest.approx(gave_up)
    groups.rent[others] *= 2.0
    assert process.rents(g) == pytest.approx(2 * gave_up)
    groups.rent[others] *= 10.0  # a boom: 20 times what it gave up, above what it risks
    process.decide(g)
    assert g.index in process.cheating and g.index in process.members


def test_cheats_are_caught_as_far_as_the_state_knows_the_trade(m):
    """000: a member that keeps its rents is caught at review with the chance the state knows its trade
    (``model.knowledge`` when present: here certain, or nil)."""

    class Known:
        def __init__(self, share):
            self.share = share

        def group_trade_known(self, group_index: int) -> float:
            return self.share

    g = _holding(m, GroupKind.SIGNATORY)
    results = {}
    for share in (0.0, 1.0):
        twin = pickle.loads(pickle.dumps(m))
        tg = twin.armed_groups.groups[g.index]
        process = _accommodation(twin).process
        twin.knowledge = Known(share)
        _set_rents(twin, tg, 0.5 * process.allowance(tg))
        tempted = process.would_cheat(tg)  # rents above what it expects to lose if caught
        process.members.add(tg.index)
        process.cheating.add(tg.index)
        process.decide(tg)
        results[share] = (tempted, process.cheats_caught, tg.index in process.members)
        assert (process.barred_until.get(tg.index, -1) > twin.week_index) == (share == 1.0)
    assert results[0.0] == (True, 0, True)  # nobody knows: cheating pays and is never caught
    assert results[1.0] == (False, 1, False)  # everything known: cheating does not pay; a cheat is expelled
    # Without a knowledge model the documented fallback applies.
    bare = pickle.loads(pickle.dumps(m))
    bare.knowledge = None
    process = _accommodation(bare, trade_known=0.3).process
    assert process.known(bare.armed_groups.groups[g.index]) == 0.3


def test_a_group_left_out_spoils_the_deal(m):
    """000 'spoilers': a group outside a deal whose members dominate its region attacks a member's place and,
    as it fights the state, adds attacks on the mission (004); with no spoil rate it does neither."""
    a, b = _holding(m, GroupKind.SIGNATORY), _holding(m, GroupKind.PRO_GOVERNMENT)
    outsider = _holding(m, GroupKind.JIHADIST)
    outsider.regions = tuple(sorted(set(a.regions) | set(b.regions)))
    results = {}
    for rate in (0.0, 1.0):
        twin = pickle.loads(pickle.dumps(m))
        policy = PeaceDeals(twin, PeaceDealsConfig(enabled=True, spoil_rate=rate), "peace_deals")
        process = policy.process
        process.members |= {a.index, b.index}
        spoiler = twin.armed_groups.groups[outsider.index]
        assert spoiler in process.spoilers() and process.threat(spoiler) > 0
        clashes = twin.armed_groups.events["clashes"]
        twin.levers.retaliation.fill(0.0)
        for _ in range(20):
            process.spoil(twin.levers)
        retaliation = float(twin.levers.retaliation.sum())
        results[rate] = (process.spoiler_attacks, twin.armed_groups.events["clashes"] - clashes, retaliation)
    assert results[0.0] == (0, 0, 0.0)
    assert results[1.0][0] > 0 and results[1.0][1] >= results[1.0][0] and results[1.0][2] > 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ransom_brokers_are_tied_to_the_kidnappers_more_often_than_chance(frozen, seed):
    """M21: over 150 kidnappings by one group, the share of brokers with a tie (identity, protection, region)
    exceeds the share of tied crews among those who could broker by more than four standard errors."""
    m = pickle.loads(frozen)
    m.rng = np.random.default_rng(seed)
    groups = m.armed_groups
    groups.p.kidnap_rate_jihadist = 1000.0
    g = next(g for g in groups.active if g.kind == GroupKind.JIHADIST)
    rows = m.crews.alive_rows()
    rows = rows[m.crews.kind[rows] != 0]
    chance = float((broker_ties(groups, g, rows) > 0).mean())
    assert 0 < chance < 0.9
    n = 150
    tied = 0
    for _ in range(n):
        groups.events["brokers_tied"] = 0
        groups.kidnap(g)
        tied += groups.events["brokers_tied"]
    share = tied / n
    assert share > chance + 4 * np.sqrt(chance * (1 - chance) / n), (share, chance)


def test_sparing_a_broker_is_the_states_choice(m):
    """M21: the state spares a broker when the hostages' release outweighs what pursuing him could take
    (his cash times the will at the top); a rich broker under a willing top is pursued."""
    crews = m.crews
    slot = int(crews.alive_rows()[0])
    until = m.week_index + 52
    p = m.params.armed_groups
    crews.cols["cash"][slot] = 0.1 * p.hostage_value_usd
    m.officials.political_will = 0.5
    assert crews.make_broker(slot, until, hostages=1) and crews.broker_until[slot] == until
    crews.cols["broker_until"][slot] = 0
    crews.cols["cash"][slot] = 10.0 * p.hostage_value_usd
    assert not crews.make_broker(slot, until, hostages=1) and crews.broker_until[slot] == 0
    m.officials.political_will = 0.05  # the same broker under an unwilling top is spared
    assert crews.make_broker(slot, until, hostages=1)


def test_accommodation_runs_end_to_end_from_its_config_file():
    """The policy file switches accommodation on; in a short small run every offered group decides (accepts or
    refuses) at its first review and the outcomes report it; without the policy they stay zero."""
    from sim.run import run
    from simcli.compose import compose

    base = ["scenario=small", "steps=20", "output.progress=false"]
    cfg = compose([*base, "policy=accommodation"])
    assert cfg.policy.accommodation.enabled and cfg.policy.accommodation.targets == ["signatory", "pro_government"]
    summary = run(cfg, check_ledger=True).summary
    decided = summary["accommodation_joined"] + summary["accommodation_refusals"]
    assert decided >= 2, summary
    assert summary["accommodation_allowances_usd"] > 0 or summary["accommodation_joined"] == 0
    off = run(compose(base)).summary
    assert off.get("accommodation_joined", 0.0) == 0.0
