"""Which claims the pattern suite tests as evidence, and which a single rule writes (issue 16).

A claim of FACTS.md part B counts as *evidence* for the model only when the statistic that
tests it is not written by any single rule but comes out of several interacting decisions
(docs/design.md, DESIGN §7). Where one rule or formula writes the tested statistic, the
comparison of arms only replays that rule: the claim is a *rule check*, kept as a unit test
in ``tests/`` (fast and exact) and shown in the report, but left out of the pass rate.

The classification was made by reading the code of each mechanism (November 2026) and revised
when the model issues on armed groups, the mission and the state were merged (M3, M5, M10, M12,
M19, M20, M22, M23). It is data: when a
mechanism changes, change its entry here (``kind``, ``basis``, ``rule_stats``) and the report
follows. ``rule_stats`` lists the statistics of an evidence claim that a rule writes: they are
shown, marked, and do not count in the claim's verdict.

Against the list in issue 16 ("Why"), read against the code: M1, M7 and M20 are rule checks too
(shares of cargo value; the crime-sensitive exemption and the food formula; retaliation and
collateral set by the raids); M14 is evidence for all three statistics since issue 15 (listings
chosen from the Panel's knowledge; groups decide whether the threat outweighs their protection
rents); M3, M6 and M10 are evidence with one rule-written statistic each.
"""

from __future__ import annotations

from dataclasses import dataclass

RULE, EVIDENCE, UNTESTED = "rule check", "evidence", "not tested"
KINDS = (RULE, EVIDENCE, UNTESTED)


@dataclass(frozen=True)
class Classification:
    """How a claim is tested.

    Attributes:
        kind: ``rule check``, ``evidence`` or ``not tested``.
        basis: For a rule check, the rule (file, function, formula) that writes the tested
            statistic; for evidence, the decisions whose interaction produces it.
        tests: Unit tests (``tests/FILE.py::NAME``) that check the rule (rule checks, and the
            rule-written statistics of evidence claims).
        rule_stats: Indices of the statistics of an evidence claim that a single rule writes.
    """

    kind: str
    basis: str
    tests: tuple[str, ...] = ()
    rule_stats: tuple[int, ...] = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind {self.kind!r}; allowed: {', '.join(KINDS)}")
        if self.kind == RULE and not self.tests:
            raise ValueError("a rule check names the unit tests that check its rule")
        if self.kind != EVIDENCE and self.rule_stats:
            raise ValueError("rule_stats mark rule-written statistics of an evidence claim only")


_R = "tests/test_rule_checks.py::"
_A = "tests/test_actors.py::"

CLASSIFICATION: dict[str, Classification] = {
    "M1": Classification(
        RULE,
        "the groups' trade revenue is three fixed shares of the cargo's value: tolls `toll_share` x value at held "
        "places (`Crews._travel`, `ArmedGroups.collect`), protection `protection_share` x sink value for goods "
        "denser than `protection_value_per_t` (`Crews._route_costs`, `ArmedGroups.protect`) and "
        "`trafficking_share` of the trip's profit (`route_kernels.after_encounters` at arrival, `Crews._travel`). "
        "Removing goods removes their shares; "
        "which goods bring most is read from goods.yaml (value x supply), not decided by anyone",
        (_A + "test_tolls_are_a_share_of_cargo_value", _R + "test_m1_protection_is_a_share_of_high_value_cargo"),
    ),
    "M2": Classification(
        RULE,
        "kidnapping (`ArmedGroups.kidnap`: Poisson(`kidnap_rate_jihadist` x reach) ransoms, 5x other groups' rate) "
        "and taxation (`ArmedGroups.tax_communities`: `tax_share_jihadist`, 5x other groups') against the small "
        "trade rents of a kind that holds few places: the ratio is set by the per-kind rates",
        (
            _A + "test_kidnapping_pays_a_broker_who_is_then_spared",
            _R + "test_m2_jihadists_tax_and_kidnap_at_their_rates",
        ),
    ),
    "M3": Classification(
        EVIDENCE,
        "fighters: groups recruit from communities' pools at their pace while the wage bill stays under a share of "
        "revenue, desert and leave for licit work, and fight over the places whose rents fall without high-value "
        "goods (`ArmedGroups.pay_and_recruit`, `appraise`, `contest`; issue 14). The bribe rate's direction is "
        "written by one rule: the official's odds of taking rise with the bribe a consignment offers, a share of its "
        "value (`Officials.encounter_odds`); patrons' cover up the chain and integrity drifting with the rents "
        "around a post only amplify it",
        ("tests/test_state_network.py::test_a_richer_consignment_buys_more_protection_up_the_chain",),
        rule_stats=(0,),
    ),
    "M4": Classification(
        RULE,
        "`Crews.enter`: an entrant is mercenary with probability a / (a + `mercenary_profit_usd`), a the "
        "good's recent profit per trip; dearer cigarettes raise a",
        (_R + "test_m4_mercenary_share_of_entrants_follows_profit_per_trip",),
    ),
    "M5": Classification(
        EVIDENCE,
        "clashes: groups' attack decisions (`ArmedGroups.contest`: rent x odds against the cost in fighters), rents "
        "made by crews' route choices, and groups moving into and out of regions by their worth (`appraise`); "
        "splits: a commander's node rent against his share of the group's revenue (`_maybe_split`); switches "
        "constrained by identity and feuds (`_maybe_switch`)",
    ),
    "M6": Classification(
        EVIDENCE,
        "places held: counter-terrorism raids (`Forces._counter_terrorism`) against groups' contests for the "
        "cleared nodes; cocaine delivered and trade revenue: crews' routes and protection around whoever holds the "
        "nodes. Rebrands are written by `ArmedGroups._maybe_rebrand` (a chance `rebrand_rate` x CT pressure, which "
        "only raids create): a rule",
        (_A + "test_targeted_jihadists_rebrand", _R + "test_m6_no_rebrand_without_counter_terrorism_pressure"),
        rule_stats=(2,),
    ),
    "M7": Classification(
        RULE,
        "blunt control inspects food and fuel at every crossing, crime-sensitive control exempts them "
        "(`BorderControl`, `crime_sensitive`), so less of them reaches the north and `Communities._food` lowers "
        "food security by formula; trust falls by `trust_seizure_weight` x the share of livelihood cargo seized "
        "(`Communities._trust_and_tolerance`). No crew can route around every crossing",
        (
            _A + "test_food_security_follows_informal_imports",
            _R + "test_m7_crime_sensitive_control_spares_livelihood_goods",
        ),
    ),
    "M8a": Classification(
        EVIDENCE,
        "crews' route choices by expected profit with risk learned from their own and their network's losses "
        "(`Crews._route_odds`, `route_kernels.choose_and_depart`, `route_kernels.learn_and_count`), "
        "over every alternative route",
    ),
    "M8b": Classification(
        EVIDENCE,
        "crews' route choices and learning against Malian officials and the neighbours' enforcers "
        "(`sim/neighbours.py`), with seizures and detours competing",
    ),
    "M9": Classification(
        RULE,
        "`Livelihoods.apply` multiplies licit income by 1 + `income_gain` x intensity (the income statistic), and no "
        "crew decision reads licit income (`Crews.enter` reads only trafficking returns), so the illicit trade "
        "cannot respond to the programme through the claimed mechanism: the 'little effect' holds by construction",
        (_R + "test_m9_livelihoods_multiply_licit_income",),
    ),
    "M10": Classification(
        EVIDENCE,
        "fighters: DDR's demobilization against groups' recruitment from communities' pools (their alternatives and "
        "grievances), desertion and exits to licit work (`ArmedGroups.pay_and_recruit`; no refill to what revenue "
        "pays for since issue 14). The relapse share is written by `DDR.apply` (rate x (1 + shortfall) x "
        "(1 - jobs)): a rule",
        (_R + "test_m10_jobs_cut_the_relapse_rate",),
        rule_stats=(1,),
    ),
    "M11": Classification(
        EVIDENCE,
        "clashes: the deal is offered, not imposed; each group joins, stays or leaves by comparing its share of the "
        "pooled rents and an allowance with the rents it keeps outside against the members' strength, and groups "
        "outside may spoil it (`sim/agents/peace_process.py`; issue 15). That members do not fight each other is "
        "a rule, unit-tested",
        (
            _R + "test_m11_deal_members_never_fight",
            "tests/test_peace_process.py::test_a_group_left_out_spoils_the_deal",
        ),
    ),
    "M12": Classification(
        EVIDENCE,
        "anti-corruption opens cases against officials chosen by their visible rents; a case needs evidence "
        "(integrity x capacity at the post) and a complicit patron chain blocks it with odds complicity x (1 - will); "
        "successes remove officials and deter colleagues, blocked cases lower the will; integrity drifts with the "
        "rents at a post, peers and risk, and the will at the top with the rents it captures "
        "(`sim/policies/anti_corruption.py`, `Officials`; issue 15). No lever is multiplied by the will",
        (
            "tests/test_state_network.py::test_anti_corruption_cases_are_blocked_up_a_complicit_chain_without_will",
            "tests/test_state_network.py::test_anti_corruption_without_will_fails_through_the_officials",
        ),
    ),
    "M13": Classification(
        EVIDENCE,
        "informed raids (`HubRaids.apply`: the places on the routes of the crews the Malian services know, fused "
        "with the mission's and the Panel's knowledge, `sim/knowledge.py`) against crews that learn to avoid "
        "raided places. 'Only when acted on' is a rule (`Intelligence.apply` sets nothing when `acted_on=never`): "
        "a unit test, no longer an arm",
        (_R + "test_m13_intelligence_not_acted_on_changes_nothing",),
    ),
    "M14": Classification(
        EVIDENCE,
        "value delivered and fatalities: listings chosen from the Panel's knowledge (`Sanctions._review`) freeze "
        "a few crews, group leaders or officials, against the trade's entry and routing and the groups' violence. "
        "Signatory groups' protection revenue falls only where a group decides the expected cost of a listing "
        "(what the Panel knows of it) outweighs its protection rents (`Sanctions.deterred_groups`)",
        (
            _R + "test_m14_deterred_group_stops_selling_protection",
            "tests/test_knowledge.py::test_high_rents_keep_a_group_selling_protection_under_the_threat",
        ),
    ),
    "M15": Classification(
        RULE,
        "`Officials.take_odds` subtracts `take_integrity` x integrity (the bribe rate), and "
        "`Communities._trust_and_tolerance` subtracts `trust_bribe_weight` x the bribe rate from trust",
        (
            _A + "test_bribe_odds_follow_gain_integrity_protection_and_will",
            _R + "test_m15_trust_falls_with_the_bribe_rate",
        ),
    ),
    "M16": Classification(
        RULE,
        "`Communities._arms`: communities keep `community_arms_share` of arms delivered, and the robbery odds are "
        "`banditry` x arms per person x (1 - presence)",
        (_A + "test_insecurity_makes_arms_dearer_and_arms_make_bandits", _R + "test_m16_robbery_odds_formula"),
    ),
    "M17": Classification(
        RULE,
        "`Communities._trust_and_tolerance`: tolerance moves to 0.8 - `tolerance_jihadist_weight` x the share of "
        "encounters with crews protected by a jihadist bloc; without protection that share is zero",
        (_R + "test_m17_tolerance_target_formula",),
    ),
    "M18": Classification(
        EVIDENCE,
        "groups accept accommodation when its allowance beats the illicit rents they give up, may cheat as far as "
        "the state does not know their trade, and leave (`sim/agents/peace_process.py`); the trade revenue and "
        "who joins follow from these choices and the rents the trade pays them",
        ("tests/test_peace_process.py::test_accommodation_is_accepted_when_rents_are_low_and_refused_when_high",),
    ),
    "M19": Classification(
        EVIDENCE,
        "the force-protection share is written by the mission's posture rule (`MissionWar._posture`: it ratchets "
        "with a fading memory of peacekeepers killed), so its rise under more attacks is a rule; the gain from the "
        "organized-crime task under attacks comes from groups' attack choices, the posture, caveats and Malian "
        "officials' use of the capacity the task lends them (`Forces._mission`, `Officials`)",
        ("tests/test_mission_war.py::test_a_mission_that_loses_more_bunkers_and_loses_fewer_per_attack",),
        rule_stats=(0,),
    ),
    "M20": Classification(
        RULE,
        "`HubRaids.apply` sets retaliation that `MissionWar.step` turns into Poisson(retaliation) extra attacks by the "
        "region's groups, each of which can kill peacekeepers, and spoils `collateral` of livelihood cargo at raided "
        "hubs, which the income formula reads",
        (_R + "test_m20_raids_provoke_attacks_on_the_mission",),
    ),
    "M21": Classification(
        EVIDENCE,
        "the share of tied brokers is written by the broker choice (`ArmedGroups.kidnap`: odds `broker_tie_odds` "
        "per tie): a rule. Seizures without sparing come from the state's choice to spare (`Crews.make_broker`: "
        "hostages' value against the broker's cash times the will) against the crews' routing and officials",
        (
            "tests/test_peace_process.py::test_ransom_brokers_are_tied_to_the_kidnappers_more_often_than_chance",
            "tests/test_peace_process.py::test_sparing_a_broker_is_the_states_choice",
        ),
        rule_stats=(0,),
    ),
    "M22": Classification(
        UNTESTED,
        "modelled since issue 15 (`sim/agents/gold.py`: police raid unlicensed operators, seized machines go to "
        "auction where the operator's bid meets outsiders'; a rule, unit-tested) but no pattern experiment: in "
        "default runs operators are licensed, mostly by bribe, before any raid, so seizures are rare",
        ("tests/test_state_network.py::test_equipment_seized_is_auctioned_back_to_its_operator",),
    ),
    "M23": Classification(
        EVIDENCE,
        "operators weigh a licence against expected raids, the official buyer's price and royalties; the regional "
        "administrator grants it for a complete file or for a bribe by his integrity; police raids and buy-offs "
        "(`sim/agents/gold.py`; issue 15): formal gold comes from these decisions, not from a formula",
        ("tests/test_state_network.py::test_venal_administrators_license_the_operators_who_pay_not_the_miners",),
    ),
    "M24": Classification(
        RULE,
        "`Forces._state_forces`: abuses are Poisson(`abuse_rate` x `wagner_abuse_multiplier` x insecurity) while "
        "Wagner is present, and trust subtracts `trust_abuse_weight` x abuses",
        (_R + "test_m24_wagner_multiplies_abuses",),
    ),
}


def kind_of(claim: str) -> Classification:
    """The classification of a claim or experiment id (``M8a`` and ``M8b`` have their own)."""
    return CLASSIFICATION[claim]


def claims() -> list[str]:
    """The claims of FACTS.md part B, M1 to M24 (the ids of its table)."""
    return [f"M{i}" for i in range(1, 25)]
