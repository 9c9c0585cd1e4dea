"""Typed, validated parameters of the model.

Every field is declared with :func:`sim.paramspec.param`, which records where its default comes
from (a FACTS.md id and seed file, or ``assumption`` with a plausible range) and the hard limits
the model accepts. The same dataclasses are the Hydra schema (``simcli`` registers them), the
browser app's defaults and the source of ``docs/parameters.md`` (:mod:`sim.paramdoc`), so code,
configs and the table cannot drift apart.

Validation is our own rather than Hydra's so that every entry point (command line, Python,
browser) rejects unknown keys, wrong types and out-of-range values with the same one-line
message naming the key.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sim.errors import ConfigError
from sim.paramspec import from_dict, iter_params, limits_text, param, section, to_dict, validate
from sim.policies import PolicySet

__all__ = ["from_dict", "iter_params", "limits_text", "param", "section", "to_dict", "validate"]


@dataclass
class TransportParams:
    """Costs and speeds of moving goods (assumptions: no figures in the texts)."""

    cost_paved: float = param(
        0.10, doc="transport cost on paved roads", assumption=(0.05, 0.2), low=0, unit="USD per t-km"
    )
    cost_laterite: float = param(
        0.15, doc="transport cost on laterite roads", assumption=(0.08, 0.3), low=0, unit="USD per t-km"
    )
    cost_track: float = param(
        0.30, doc="transport cost on desert tracks", assumption=(0.15, 0.6), low=0, unit="USD per t-km"
    )
    cost_desert: float = param(
        0.40, doc="transport cost on open-desert pistes", assumption=(0.2, 0.8), low=0, unit="USD per t-km"
    )
    cost_river: float = param(
        0.06, doc="transport cost by river boat", assumption=(0.03, 0.12), low=0, unit="USD per t-km"
    )
    cost_air: float = param(4.0, doc="air freight cost", assumption=(2.0, 8.0), low=0, unit="USD per t-km")
    edge_cost_multiplier: dict[str, float] = param(
        {},
        doc="multiplier on the transport cost of named routes, keyed 'place-place' (road works, closures)",
        source="scenario input",
        low=0,
    )
    return_time_factor: float = param(
        0.5, doc="time of the empty return trip as a share of the outbound trip", assumption=(0.3, 1.0), low=0, high=2
    )
    services_share: float = param(
        0.005,
        doc="local services (drivers, guides, guards, fuel, food, lodging) a consignment pays at each place it passes,"
        " as a share of its value there; income of the community there (000: driving schools multiplying in the north;"
        " 002 §II: trade is the north's main livelihood)",
        assumption=(0.001, 0.02),
        low=0,
        high=1,
    )


@dataclass
class TraffickerParams:
    """Traffickers: crews of three kinds (002 §II; 000; FACTS M4)."""

    initial_crews_scale: float = param(
        1.0,
        doc="initial crews per good, as a multiple of the crews its weekly supply keeps busy",
        assumption=(0.5, 2.0),
        low=0,
        high=10,  # beyond, memory runs out before the first week (issue 21)
    )
    capacity_local: float = param(
        0.5,
        doc="cargo of a local, community-embedded crew, as a multiple of the good's crew capacity",
        assumption=(0.25, 1.0),
        low=0,
        low_open=True,
    )
    capacity_transnational: float = param(
        2.0,
        doc="cargo of a transnational network's crew, as a multiple of crew capacity",
        assumption=(1.0, 4.0),
        low=0,
        low_open=True,
    )
    capacity_mercenary: float = param(
        1.0,
        doc="cargo of a mercenary operator's crew, as a multiple of crew capacity",
        assumption=(0.5, 2.0),
        low=0,
        low_open=True,
    )
    risk_aversion_local: float = param(
        2.0,
        doc="exponent on perceived survival odds in route choice (local crews avoid risk)",
        assumption=(1.0, 4.0),
        low=0,
    )
    risk_aversion_transnational: float = param(
        1.0, doc="exponent on perceived survival odds for transnational crews", assumption=(0.5, 2.0), low=0
    )
    risk_aversion_mercenary: float = param(
        0.5, doc="exponent on perceived survival odds for mercenary crews", assumption=(0.25, 1.0), low=0
    )
    prior_risk: float = param(
        0.01, doc="seizure risk a crew expects at a place it knows nothing about", assumption=(0.0, 0.05), low=0, high=1
    )
    learning_rate_own: float = param(
        0.3,
        doc="weight of a crew's own latest encounter in its perceived risk of a place (NarcoLogic-style)",
        assumption=(0.1, 0.6),
        low=0,
        high=1,
    )
    learning_rate_network: float = param(
        0.05,
        doc="weight of each encounter by a network member in the network's perceived risk",
        assumption=(0.01, 0.2),
        low=0,
        high=1,
    )
    own_weight: float = param(
        0.5,
        doc="weight of own experience against the network's in perceived risk",
        assumption=(0.25, 0.75),
        low=0,
        high=1,
    )
    choice_noise: float = param(
        0.1, doc="spread of route choice (Gumbel scale, as a share of the good's margin)", assumption=(0.02, 0.3), low=0
    )
    upkeep_share: float = param(
        0.005,
        doc="weekly upkeep of a crew as a share of the value of a full cargo at source",
        assumption=(0.001, 0.02),
        low=0,
        unit="per week",
    )
    start_capital_trips: float = param(
        1.5, doc="cash a new crew brings, in full cargoes at source value", assumption=(1.0, 3.0), low=0, low_open=True
    )
    exit_cash_share: float = param(
        0.25,
        doc="a crew leaves when its cash falls below this share of a full cargo's cost",
        assumption=(0.1, 0.5),
        low=0,
        high=1,
    )
    patience_weeks: int = param(
        8, doc="idle weeks after which a crew leaves the trade", assumption=(4, 16), low=1, unit="weeks"
    )
    entry_rate: float = param(
        0.02,
        doc="weekly entrants per crew the market supports, per unit of recent return on a trip",
        assumption=(0.005, 0.05),
        low=0,
    )
    mercenary_profit_usd: float = param(
        50_000.0,
        doc="profit per trip at which half of a good's entrants are mercenary operators (FACTS M4)",
        assumption=(10_000.0, 250_000.0),
        low=0,
        low_open=True,
        unit="USD",
    )
    local_share_livelihood: float = param(
        0.8,
        doc="share of non-mercenary entrants that are local traders for livelihood goods",
        assumption=(0.6, 0.95),
        low=0,
        high=1,
    )
    local_share_other: float = param(
        0.3,
        doc="share of non-mercenary entrants that are local traders for other goods",
        assumption=(0.1, 0.5),
        low=0,
        high=1,
    )
    arrest_probability: float = param(
        0.3,
        doc="chance a crew is taken out of the trade when its cargo is seized",
        assumption=(0.1, 0.6),
        low=0,
        high=1,
    )
    n_transnational_networks: int = param(
        4, doc="transnational networks sharing risk information", assumption=(2, 8), low=1
    )
    n_mercenary_networks: int = param(
        8, doc="small mercenary networks sharing risk information", assumption=(4, 16), low=1
    )
    route_candidates: int = param(
        6, doc="alternative paths considered between each source and sink", assumption=(3, 10), low=1, high=20
    )


@dataclass
class CheckpointParams:
    """Stand-in checkpoints until officials take over (002 §II; 000; FACTS M3, M15)."""

    seizure_probability: float = param(
        0.02,
        doc="chance an encounter at a checkpoint of pressure 1 ends in seizure",
        assumption=(0.005, 0.05),
        low=0,
        high=1,
    )
    bribe_share: float = param(
        0.01,
        doc="bribe paid at a checkpoint of pressure 1, as a share of the cargo's value there",
        assumption=(0.002, 0.03),
        low=0,
        high=1,
    )
    toll_share: float = param(
        0.01,
        doc="toll taken at armed-group roadblocks in the toll regions, as a share of cargo value (FACTS M1)",
        assumption=(0.0, 0.03),
        low=0,
        high=1,
    )
    toll_regions: list[str] = param(
        ["Timbuktu", "Gao", "Kidal", "Ménaka"],
        doc="regions where armed groups hold roadblocks (002 Box A; FACTS M1)",
        source="002 Box A; 003",
    )
    pressure_crossing: float = param(1.0, doc="checkpoint pressure at border crossings", assumption=(0.5, 2.0), low=0)
    pressure_town: float = param(0.5, doc="checkpoint pressure in towns", assumption=(0.2, 1.0), low=0)
    pressure_gold_site: float = param(0.2, doc="checkpoint pressure at gold sites", assumption=(0.0, 0.5), low=0)
    livelihood_tolerance: float = param(
        0.5,
        doc="seizure odds of livelihood goods relative to others (food and fuel are waved through; 000)",
        assumption=(0.2, 1.0),
        low=0,
    )
    pressure_multiplier: dict[str, float] = param(
        {},
        doc="multiplier on the checkpoint pressure at named places (interdiction, crackdowns)",
        source="scenario input",
        low=0,
    )


@dataclass
class ArmedGroupParams:
    """Armed groups: rents, violence, recruitment and fragmentation (002 §II, Box A, Box B; 003; 000)."""

    fighters_scale: float = param(
        1.0, doc="multiplier on the fighters of every group in actors.yaml", assumption=(0.5, 2.0), low=0, low_open=True
    )
    funds_scale: float = param(
        1.0, doc="multiplier on the starting funds of every group in actors.yaml", assumption=(0.25, 4.0), low=0
    )
    toll_share: float = param(
        0.01,
        doc="toll at a group's roadblock, as a share of the value of the passing cargo (M1)",
        assumption=(0.0, 0.03),
        low=0,
        high=1,
    )
    protection_share: float = param(
        0.03,
        doc="protection fee for high-value cargo, as a share of its value, paid to the route's main bloc (M1, M3)",
        assumption=(0.01, 0.1),
        low=0,
        high=1,
    )
    protection_value_per_t: float = param(
        20_000.0,
        doc="value density above which a good needs protection (cigarettes, resin, cocaine, arms, gold; M3)",
        assumption=(10_000.0, 50_000.0),
        low=0,
        unit="USD per t at sink",
    )
    trafficking_share: float = param(
        0.1,
        doc="share of an affiliated crew's trip profit that goes to its group",
        assumption=(0.05, 0.3),
        low=0,
        high=1,
    )
    kidnap_rate_jihadist: float = param(
        0.01,
        doc="kidnappings per 100 jihadist fighters per week (M2: more than other groups)",
        assumption=(0.005, 0.05),
        low=0,
    )
    kidnap_rate_other: float = param(
        0.002, doc="kidnappings per 100 fighters of other groups per week", assumption=(0.0, 0.01), low=0
    )
    ransom_usd: float = param(
        200_000.0,
        doc="mean ransom per kidnapping, locals and foreigners together (M2)",
        assumption=(50_000.0, 1_000_000.0),
        low=0,
        unit="USD",
    )
    broker_share: float = param(
        0.1, doc="share of a ransom kept by the trafficker who brokers it (M21)", assumption=(0.05, 0.2), low=0, high=1
    )
    broker_weeks: int = param(
        52, doc="weeks a hostage broker is spared by officials (M21)", assumption=(26, 104), low=0, unit="weeks"
    )
    broker_shield: float = param(
        0.8, doc="reduction of a broker's seizure odds while spared (M21)", assumption=(0.5, 1.0), low=0, high=1
    )
    tax_share_jihadist: float = param(
        0.05,
        doc="share of the income of communities under a jihadist group taken as tax (M2)",
        assumption=(0.02, 0.1),
        low=0,
        high=1,
    )
    tax_share_other: float = param(
        0.01, doc="share of community income taken by other groups", assumption=(0.0, 0.03), low=0, high=1
    )
    rustle_jihadist: float = param(
        0.5,
        doc="cattle rustled per week per jihadist fighter of reach (basis: F11, 78,000-130,000 head a year in Mopti)",
        assumption=(0.2, 1.5),
        low=0,
        unit="head",
    )
    rustle_other: float = param(
        0.1, doc="cattle rustled per fighter of other groups per week", assumption=(0.0, 0.5), low=0
    )
    fence_share: float = param(
        0.3, doc="share of the source price a group gets for stolen cattle", assumption=(0.2, 0.6), low=0, high=1
    )
    wage_usd: float = param(
        100.0,
        doc="weekly cost of a fighter: pay, food, fuel",
        assumption=(50.0, 200.0),
        low=0,
        low_open=True,
        unit="USD",
    )
    budget_share: float = param(
        0.4,
        doc="share of its revenue a group spends on fighters; sets its starting revenue from its fighters",
        assumption=(0.2, 0.7),
        low=0,
        low_open=True,
        high=1,
    )
    spend_rate: float = param(
        0.02,
        doc="weekly share of a group's funds spent on arms, vehicles and patronage",
        assumption=(0.01, 0.05),
        low=0,
        high=1,
    )
    unit_size: float = param(
        200.0, doc="most fighters engaged on one side of a clash or hit by one raid", assumption=(100.0, 500.0), low=1
    )
    recruit_rate: float = param(
        0.002,
        doc="weekly recruits per young man in a group's recruitment pool",
        assumption=(0.0005, 0.005),
        low=0,
        high=1,
    )
    recruit_income_elasticity: float = param(
        3.0,
        doc="rise in recruitment per unit shortfall of licit income below its starting level (M9)",
        assumption=(1.0, 6.0),
        low=0,
    )
    desertion_rate: float = param(
        0.02, doc="weekly share of unpaid fighters who leave", assumption=(0.005, 0.05), low=0, high=1
    )
    attack_rate: float = param(
        0.05,
        doc="weekly chance a group contests its most attractive neighbouring node (M5)",
        assumption=(0.01, 0.2),
        low=0,
        high=1,
    )
    commit_share: float = param(
        0.3, doc="share of fighters committed to an attack", assumption=(0.1, 0.5), low=0, high=1
    )
    contest_exponent: float = param(
        1.0, doc="decisiveness of strength in clashes (Tullock contest exponent; M5)", assumption=(0.5, 2.0), low=0
    )
    defence_advantage: float = param(
        1.5, doc="multiplier on a defender's strength at a node it holds", assumption=(1.0, 3.0), low=0
    )
    clash_loss: float = param(
        0.1, doc="share of the losing side's engaged fighters killed in a clash", assumption=(0.05, 0.2), low=0, high=1
    )
    civilian_deaths_per_clash: float = param(2.0, doc="mean civilian deaths in a clash", assumption=(0.5, 5.0), low=0)
    split_rate: float = param(
        0.02,
        doc="weekly chance of a split per unit of excess rent concentration (M5: rents shared badly)",
        assumption=(0.005, 0.05),
        low=0,
        high=1,
    )
    switch_rate: float = param(
        0.01, doc="weekly chance a group reconsiders its alliance (M5)", assumption=(0.002, 0.05), low=0, high=1
    )
    switch_gain: float = param(
        0.5, doc="relative gain in expected rents that makes a group switch alliance", assumption=(0.2, 1.0), low=0
    )
    rebrand_rate: float = param(
        0.005,
        doc="weekly chance per unit of counter-terrorism pressure that a targeted faction rebrands (M6)",
        assumption=(0.001, 0.02),
        low=0,
        high=1,
    )
    rebrand_share: float = param(
        0.3, doc="share of fighters that leave with a rebranded faction", assumption=(0.1, 0.5), low=0, high=1
    )
    max_groups: int = param(
        30, doc="most groups alive at once (splits beyond it are ignored)", source="model design", low=1
    )
    # Identity, territory, size and violence against civilians (issue 14; sim/identity.py).
    outsider_recruit: float = param(
        0.2,
        doc="recruits from a community of another identity, relative to the group's own (002 Box B)",
        assumption=(0.05, 0.5),
        low=0,
        high=1,
    )
    kin_raid_share: float = param(
        0.2,
        doc="rustling aimed at communities of the group's own identity, relative to others (002 §II)",
        assumption=(0.0, 0.5),
        low=0,
        high=1,
    )
    exit_rate: float = param(
        0.005,
        doc="weekly share of fighters who go home or to other work (about four years' service)",
        assumption=(0.002, 0.01),
        low=0,
        high=1,
    )
    exit_elasticity: float = param(
        2.0,
        doc="rise in exits per unit rise of income in the group's regions above the start (002 Box D; M10)",
        assumption=(0.5, 5.0),
        low=0,
    )
    civilian_attack_rate: float = param(
        0.05,
        doc="weekly chance a group attacks the community that sides most with its enemies (002 §III; F15)",
        assumption=(0.01, 0.2),
        low=0,
        high=1,
    )
    civilian_attack_deaths: float = param(
        5.0, doc="mean civilians killed in an attack on a community", assumption=(2.0, 15.0), low=0
    )
    displaced_per_death: float = param(
        20.0,
        doc="people displaced per civilian killed in an attack on a community",
        assumption=(5.0, 50.0),
        low=0,
    )
    militia_threat: float = param(
        1.0,
        doc="attacks and raids by outsiders a community remembers (running sum) before it may arm (000)",
        assumption=(0.5, 3.0),
        low=0,
    )
    militia_rate: float = param(
        0.05,
        doc="weekly chance a threatened community without a militia of its own raises one (000; 002 §III)",
        assumption=(0.01, 0.2),
        low=0,
        high=1,
    )
    militia_share: float = param(
        0.01,
        doc="share of a community's young men who join the militia it raises",
        assumption=(0.005, 0.05),
        low=0,
        high=1,
    )
    clear_hold_weeks: float = param(
        26.0,
        doc="weeks the state holds a place it cleared by a raid before it falls free (002 §III; M6)",
        assumption=(4.0, 104.0),
        low=0,
        unit="weeks",
    )
    appraise_weeks: int = param(
        4, doc="weeks between a group's appraisals of its regions (0: regions never change)", assumption=(1, 13), low=0
    )
    leave_share: float = param(
        0.1,
        doc="a group leaves a region worth less than this share of its best region",
        assumption=(0.02, 0.3),
        low=0,
        high=1,
    )
    enter_share: float = param(
        0.5,
        doc="a group moves into a neighbouring region worth at least this share of its best region",
        assumption=(0.25, 1.0),
        low=0,
    )
    kin_weight: float = param(
        1.0,
        doc="rise in a region's value to a group per unit share of its kin among the people there (recruits)",
        assumption=(0.0, 3.0),
        low=0,
    )
    broker_tie_odds: float = param(
        5.0,
        doc="odds of a crew brokering a group's ransom, per tie to the group (shared identity, protection bought "
        "from its bloc, home in its regions), against a crew without ties (M21)",
        source="002 §III: brokers were 'prominent drug trafficking figures with links to armed groups'",
        assumption=(2.0, 20.0),
        low=1,
    )
    hostage_value_usd: float = param(
        500_000.0,
        doc="value the state puts on a hostage's release, weighed against enforcement when it decides to spare "
        "the broker (M21)",
        source="002 §III: traffickers 'were needed for other purposes'",
        assumption=(100_000.0, 2_000_000.0),
        low=0,
        unit="USD",
    )


@dataclass
class OfficialParams:
    """Officials: checkpoints, courts and patron-client ties (000; 002 §II, §III; M3, M12, M15)."""

    border_per_crossing: int = param(2, doc="border and customs officers at each crossing", assumption=(1, 4), low=0)
    police_per_town: int = param(2, doc="police and gendarmes at each town", assumption=(1, 4), low=0)
    senior_patrons: int = param(
        4, doc="senior patrons in the capital at the top of patron-client chains (M12)", assumption=(2, 8), low=1
    )
    integrity_mean: float = param(
        0.5,
        doc="mean integrity of officials (0: always for sale, 1: incorruptible)",
        assumption=(0.3, 0.7),
        low=0,
        high=1,
        low_open=True,
    )
    integrity_spread: float = param(
        4.0,
        doc="concentration of the Beta distribution of integrity (higher: more alike)",
        assumption=(2.0, 10.0),
        low=0,
        low_open=True,
    )
    pay_usd: float = param(
        60.0,
        doc="weekly pay of a border officer or policeman",
        assumption=(30.0, 120.0),
        low=0,
        low_open=True,
        unit="USD",
    )
    detect_base: float = param(
        0.05,
        doc="chance an official of capacity 1 detects contraband at an encounter of pressure 1",
        assumption=(0.01, 0.15),
        low=0,
        high=1,
    )
    capacity: float = param(
        0.5, doc="initial skill and equipment of police and justice", assumption=(0.3, 0.8), low=0, high=1
    )
    bribe_share: float = param(
        0.1, doc="bribe that buys off a detection, as a share of cargo value", assumption=(0.05, 0.3), low=0, high=1
    )
    routine_share: float = param(
        0.01,
        doc="routine payment a corrupt official demands at any encounter, as a share of cargo value",
        assumption=(0.002, 0.03),
        low=0,
        high=1,
    )
    take_gain: float = param(
        1.0, doc="weight of the bribe relative to pay in the decision to take it", assumption=(0.5, 2.0), low=0
    )
    take_integrity: float = param(6.0, doc="weight of integrity against taking a bribe", assumption=(3.0, 10.0), low=0)
    take_risk: float = param(4.0, doc="weight of the risk of being caught and punished", assumption=(1.0, 8.0), low=0)
    oversight: float = param(
        0.2, doc="chance a corrupt act is detected by oversight bodies", assumption=(0.05, 0.5), low=0, high=1
    )
    political_will: float = param(
        0.3,
        doc="will at the top to punish corruption at the start; it drifts here but for rents, events, cases (M12)",
        assumption=(0.0, 1.0),
        low=0,
        high=1,
    )
    kickback_share: float = param(
        0.3,
        doc="share of a bribe passed up to the official's patron (M15: complicity up to the top)",
        assumption=(0.1, 0.5),
        low=0,
        high=1,
    )
    arrest_probability: float = param(
        0.3, doc="chance a seizure comes with the arrest of the crew", assumption=(0.1, 0.6), low=0, high=1
    )
    trial_weeks: int = param(12, doc="weeks from arrest to verdict", assumption=(4, 26), low=1, unit="weeks")
    conviction_base: float = param(
        0.6, doc="chance an honest court of capacity 1 convicts", assumption=(0.3, 0.9), low=0, high=1
    )
    undo_base: float = param(
        0.5,
        doc="chance a well-connected network has a conviction undone higher up (M12)",
        assumption=(0.2, 0.8),
        low=0,
        high=1,
    )
    # Endogenous integrity and will (issue 15; 002 §II, §III; M3, M12, M15).
    integrity_drift: float = param(
        0.02,
        doc="weekly share of the gap to his integrity target an official closes (drift with rents, peers, risk)",
        assumption=(0.005, 0.05),
        low=0,
        high=1,
    )
    peer_weight: float = param(
        0.5,
        doc="weight of the region's officials' integrity in an official's target (the rest: his own disposition)",
        assumption=(0.2, 0.8),
        low=0,
        high=1,
    )
    rent_pull: float = param(
        0.3,
        doc="fall in integrity target when the rents at his post dwarf his pay (002 §II: state actors pulled in)",
        assumption=(0.1, 0.6),
        low=0,
    )
    risk_push: float = param(
        0.3, doc="rise in integrity target per unit of risk of being caught", assumption=(0.1, 0.6), low=0
    )
    rent_memory_weeks: float = param(
        12.0, doc="memory of rents and of colleagues removed (mean age of an EMA)", assumption=(4.0, 52.0), low=1
    )
    deterrence_step: float = param(
        0.1,
        doc="risk an official perceives when a colleague of his region is removed for corruption",
        assumption=(0.02, 0.3),
        low=0,
        high=1,
    )
    will_drift: float = param(
        0.02,
        doc="weekly share of the gap to its target the will at the top closes",
        assumption=(0.005, 0.1),
        low=0,
        high=1,
    )
    will_capture: float = param(
        0.5,
        doc="fall in the will target as the top's rents dwarf its pay (002 §III: a key source of revenue)",
        assumption=(0.2, 1.0),
        low=0,
    )
    will_record: float = param(
        0.3,
        doc="rise (fall) in the will target per net anti-corruption success (failure) in a week's cases",
        assumption=(0.1, 0.6),
        low=0,
    )


@dataclass
class CommunityParams:
    """Communities: livelihoods, food security, trust, tolerance, arms (000; 002 §II; M7, M9, M15-M17)."""

    income_south_usd: float = param(
        15.0, doc="starting licit income per person per week in the south", assumption=(8.0, 25.0), low=0, unit="USD"
    )
    income_north_usd: float = param(
        12.0, doc="starting licit income per person per week in the north", assumption=(6.0, 20.0), low=0, unit="USD"
    )
    trade_share_north: float = param(
        0.35,
        doc="share of northern licit income from informal trade (000: trade is the main livelihood)",
        assumption=(0.2, 0.5),
        low=0,
        high=1,
    )
    herding_share_north: float = param(
        0.4,
        doc="share of northern income from herding",
        assumption=(0.2, 0.5),  # at most 1 minus the top of trade_share_north's range: the shares' rule holds
        low=0,
        high=1,
    )
    herding_share_south: float = param(
        0.15, doc="share of southern income from herding", assumption=(0.05, 0.3), low=0, high=1
    )
    herd_per_capita: float = param(0.5, doc="cattle per person", assumption=(0.3, 1.0), low=0, unit="head")
    herd_regrowth: float = param(
        0.003, doc="weekly natural regrowth of herds toward their start size", assumption=(0.001, 0.01), low=0, high=1
    )
    import_dependence_north: float = param(
        0.4,
        doc="share of northern food that comes through informal imports (000; 002 §II; M7)",
        assumption=(0.2, 0.6),
        low=0,
        high=1,
    )
    adjust_rate: float = param(
        0.05,
        doc="weekly speed at which trust, tolerance and grievance move toward their targets",
        assumption=(0.02, 0.2),
        low=0,
        high=1,
    )
    trust_bribe_weight: float = param(
        1.0,
        doc="fall in trust per unit of bribe rate at the community's checkpoints (M15)",
        assumption=(0.5, 2.0),
        low=0,
    )
    trust_seizure_weight: float = param(
        2.0,
        doc="fall in trust per unit share of livelihood cargo seized in the region (M7: conflict with the state)",
        assumption=(0.5, 4.0),
        low=0,
    )
    trust_abuse_weight: float = param(
        0.05,
        doc="fall in trust per civilian killed by state or allied forces per 10,000 people",
        assumption=(0.01, 0.2),
        low=0,
    )
    trust_presence_weight: float = param(
        0.5, doc="rise in trust per unit of state presence (services; M15)", assumption=(0.2, 1.0), low=0
    )
    tolerance_jihadist_weight: float = param(
        1.0,
        doc="fall in tolerance of smuggling per unit share of passing crews protected by jihadist groups (M17)",
        assumption=(0.5, 2.0),
        low=0,
    )
    arms_per_capita: float = param(0.02, doc="arms held per person at the start", assumption=(0.005, 0.05), low=0)
    arms_decay: float = param(
        0.0003, doc="weekly share of arms lost or worn out", assumption=(0.0, 0.002), low=0, high=1
    )
    community_arms_share: float = param(
        0.5,
        doc="share of arms delivered to a market bought by communities rather than groups (M16)",
        assumption=(0.2, 0.8),
        low=0,
        high=1,
    )
    self_arming: float = param(
        2.0,
        doc="rise of the arms price at a market per unit of insecurity in its region (M16)",
        assumption=(0.5, 4.0),
        low=0,
    )
    banditry: float = param(
        2.0,
        doc="robbery odds of an unprotected crew per unit of arms per person where the state is absent (M16)",
        assumption=(0.5, 5.0),
        low=0,
    )
    transit_wage_usd: float = param(
        40.0,
        doc="weekly pay of a trafficking job (driver, guide, guard, mechanic): services income over it counts the jobs,"
        " which take young men out of the recruitment pool (000: trafficking as a local livelihood)",
        assumption=(20.0, 100.0),
        low=0,
        low_open=True,
        unit="USD",
    )
    youth_share: float = param(
        0.1, doc="share of the population in the recruitment pool", assumption=(0.05, 0.2), low=0, high=1
    )
    licit_shock: float = param(
        1.0,
        doc="multiplier on licit income from week 1 on (drought, crisis); 1 is none",
        source="scenario input",
        low=0,
        high=10,
    )

    def check(self, prefix: str) -> None:
        """Herding and trade shares of licit income leave farming a share that is not negative."""
        from sim.agents.community import SOUTH_TRADE_SHARE

        for region, trade in (("north", self.trade_share_north), ("south", SOUTH_TRADE_SHARE)):
            herding = getattr(self, f"herding_share_{region}")
            if herding + trade > 1 + 1e-12:
                raise ConfigError(
                    f"{prefix}herding_share_{region}",
                    herding,
                    f"at most {1 - trade:.4g} (with a trade share of {trade:.4g}, the shares of income sum to 1)",
                    "shares sum to more than 1",
                )


@dataclass
class ForceParams:
    """State, mission, counter-terrorism and regional forces (002 §II, §III; Box E; M6, M19, M20, M24)."""

    mission_strength: float = param(
        11_200.0, doc="MINUSMA military personnel", source="F12 (002 §II): up to 11,200", low=0, unit="personnel"
    )
    mission_oc_weight: float = param(
        0.1,
        doc="weight of organized crime among the mission's tasks (a priority only from 2018; F21)",
        source="F21 (002 §III)",
        low=0,
    )
    mission_poc_weight: float = param(
        0.5, doc="weight of protection of civilians among the mission's tasks", assumption=(0.2, 0.6), low=0
    )
    mission_state_weight: float = param(
        0.4,
        doc="weight of support to the state (police, justice, presence) among the mission's tasks",
        assumption=(0.2, 0.6),
        low=0,
    )
    mission_top_tasks: int = param(
        3,
        doc="a task is operational only if it is among this many main tasks",
        source="F21 (002 §III): one of the 2-3 main ones",
        low=1,
    )
    force_protection_base: float = param(
        0.2,
        doc="share of mission capacity spent on force protection without attacks",
        assumption=(0.1, 0.3),
        low=0,
        high=1,
    )
    force_protection_max: float = param(
        0.9, doc="largest force-protection share", assumption=(0.8, 0.95), low=0, high=1
    )
    attack_rate: float = param(
        0.015,
        doc="attacks a week on one kind of target (convoy, patrol, base) per 100 fighters of a group in a base"
        " region, when the attack pays fully (basis: F13, 268 killed)",
        assumption=(0.005, 0.05),
        low=0,
    )
    deaths_per_attack: float = param(
        1.0,
        doc="mean peacekeepers killed by a successful attack without an IED on an unprotected target",
        assumption=(0.3, 2.0),
        low=0,
    )
    support_effect: float = param(
        0.3,
        doc="rise in official capacity and state presence per 1,000 effective personnel on state support",
        assumption=(0.1, 0.6),
        low=0,
    )
    oc_effect: float = param(
        0.5,
        doc="rise in checkpoint pressure per 1,000 effective personnel on organized crime",
        assumption=(0.2, 1.0),
        low=0,
    )
    oc_capacity_effect: float = param(
        0.2,
        doc="rise in the capacity of Malian police and judges per 1,000 effective personnel on organized crime"
        " (co-located police cell, specialized judicial unit; the mission has no arrest powers: 003; 002 §III)",
        assumption=(0.05, 0.4),
        low=0,
    )
    poc_effect: float = param(
        0.3,
        doc="fall in civilian deaths per 1,000 effective personnel on protection of civilians",
        assumption=(0.1, 0.6),
        low=0,
        high=1,
    )
    ct_raids_per_1000: float = param(
        0.5, doc="counter-terrorism raids per 1,000 personnel per week", assumption=(0.2, 1.0), low=0
    )
    ct_strength_scale: float = param(
        1.0, doc="multiplier on counter-terrorism forces' strength (0: none)", source="scenario input", low=0, high=20
    )
    ct_targeting: str = param(
        "jihadist_only",
        doc="whom counter-terrorism raids target: jihadist-labelled groups only (Serval; M6) or all armed groups",
        source="002 §III early years",
        choices=("jihadist_only", "all_armed"),
    )
    raid_kill_share: float = param(
        0.1, doc="share of a targeted group's local fighters killed in a raid", assumption=(0.05, 0.2), low=0, high=1
    )
    raid_retake: float = param(
        0.3, doc="chance a raid retakes the node from the group", assumption=(0.1, 0.6), low=0, high=1
    )
    abuse_rate: float = param(
        0.2, doc="civilians killed per week per state base in an insecure region", assumption=(0.05, 0.5), low=0
    )
    wagner_abuse_multiplier: float = param(
        5.0,
        doc="abuses of joint operations with Wagner relative to state forces alone (M24)",
        assumption=(2.0, 10.0),
        low=0,
    )
    g5_pressure: float = param(
        0.5,
        doc="rise in checkpoint pressure at crossings in the G5 Sahel task force's zone (F17)",
        assumption=(0.2, 1.0),
        low=0,
    )

    # The war on the mission (sim/agents/mission_war.py; 002 §III later years; F8).
    attack_success: float = param(
        0.5, doc="odds an attack on an unprotected target kills or wounds", assumption=(0.3, 0.8), low=0, high=1
    )
    protection_effect: float = param(
        0.7,
        doc="fall in an attack's odds of success and in its deaths at full force protection (1: none get through)",
        assumption=(0.4, 0.9),
        low=0,
        high=1,
    )
    ied_materials_per_rifle: float = param(
        0.1,
        doc="IED kits reaching a region's groups per rifle delivered to its markets (F8: IED materials"
        " trafficked with the arms since 2013, 002 Box A)",
        assumption=(0.02, 0.5),
        low=0,
        unit="kits",
    )
    ied_lethality: float = param(
        2.5,
        doc="deaths of an IED attack relative to a direct attack (002 Box A: one of the deadliest threats)",
        assumption=(1.5, 4.0),
        low=0,
    )
    jihadist_attack_value_usd: float = param(
        30_000.0,
        doc="worth to a jihadist group of a successful attack on the mission (standing, recruits, pressure"
        " to leave); also the worth of revenge to any group hit by the mission's offensive action (M20)",
        assumption=(10_000.0, 100_000.0),
        low=0,
        unit="USD",
    )
    convoy_loot_usd: float = param(
        20_000.0,
        doc="fuel, vehicles and arms a group takes from a convoy it hits",
        assumption=(5_000.0, 100_000.0),
        low=0,
        unit="USD",
    )
    ambush_losses: float = param(
        2.0,
        doc="fighters a group expects to lose ambushing a convoy or patrol without an IED",
        assumption=(0.5, 5.0),
        low=0,
    )
    base_assault_losses: float = param(
        1.0,
        doc="fighters a group expects to lose attacking a base (mostly rockets and mortars)",
        assumption=(0.5, 10.0),
        low=0,
    )
    losses_to_bunker: float = param(
        50.0,
        doc="remembered peacekeeper deaths that take force protection about two thirds of the way to its largest"
        " share (M19: the mission 'bunkerized' as attacks rose)",
        assumption=(20.0, 150.0),
        low=0,
        low_open=True,
        unit="deaths",
    )
    loss_memory_decay: float = param(
        0.01, doc="weekly fading of the memory of peacekeepers killed", assumption=(0.005, 0.03), low=0, high=1
    )
    posture_relax: float = param(
        0.002,
        doc="largest weekly fall of the force-protection share once losses fade (the ratchet)",
        assumption=(0.0005, 0.01),
        low=0,
        high=1,
    )
    caveat_per_death: float = param(
        0.005,
        doc="share of the remaining personnel placed under troop contributors' caveats per peacekeeper killed"
        " (002 §III note 129)",
        assumption=(0.001, 0.02),
        low=0,
        high=1,
    )
    caveat_decay: float = param(0.01, doc="weekly lifting of caveats", assumption=(0.005, 0.05), low=0, high=1)
    caveats_max: float = param(
        0.5, doc="largest share of the remaining personnel under caveats", assumption=(0.3, 0.7), low=0, high=1
    )

    def check(self, prefix: str) -> None:
        """The force-protection share starts at or below its largest value."""
        if self.force_protection_base > self.force_protection_max:
            raise ConfigError(
                f"{prefix}force_protection_base",
                self.force_protection_base,
                f"at most force_protection_max ({self.force_protection_max})",
                "above the largest share",
            )


@dataclass
class GoldParams:
    """Gold sites: artisanal claims, semi-industrial operators, licences, raids, auctions (002 Box D, §III)."""

    artisanal_claims: int = param(10, doc="artisanal claims (miners' groups) per gold site", assumption=(5, 40), low=1)
    operators_per_site: int = param(
        1, doc="semi-industrial operators (often foreign) per gold site (002 Box D)", assumption=(0, 3), low=0
    )
    operator_share: float = param(
        0.15,
        doc="share of a site's gold mined by its operators (002 Box D: most gold is artisanal)",
        assumption=(0.05, 0.4),
        low=0,
        high=1,
    )
    operator_capital_usd: float = param(
        2_000_000.0, doc="cash an operator can put up", assumption=(500_000.0, 10_000_000.0), low=0, unit="USD"
    )
    artisanal_cash_usd: float = param(
        5_000.0, doc="cash an artisanal claim can put up", assumption=(1_000.0, 20_000.0), low=0, unit="USD"
    )
    equipment_usd: float = param(
        500_000.0, doc="cost of an operator's machines", assumption=(100_000.0, 2_000_000.0), low=0, unit="USD"
    )
    licence_fee_usd: float = param(
        3_000.0, doc="official fee of a mining licence", assumption=(500.0, 20_000.0), low=0, unit="USD"
    )
    licence_bribe_usd: float = param(
        20_000.0,
        doc="bribe a venal administrator asks for a licence (002 Box D: operators 'pay bribes to get around them')",
        assumption=(5_000.0, 100_000.0),
        low=0,
        unit="USD",
    )
    artisanal_admin_capacity: float = param(
        0.01,
        doc="weekly odds an artisanal claim completes the licence file (002 Box D: 'beyond the capacity of many')",
        assumption=(0.0, 0.05),
        low=0,
        high=1,
    )
    operator_admin_capacity: float = param(
        0.2, doc="weekly odds an operator completes the licence file", assumption=(0.05, 0.5), low=0, high=1
    )
    royalty_share: float = param(
        0.06,
        doc="share of licensed gold paid to the state in royalties and taxes (002 Box D: gold fills State coffers)",
        assumption=(0.03, 0.12),
        low=0,
        high=1,
    )
    raid_rate: float = param(
        0.05,
        doc="weekly odds police of capacity 1 and full presence raid an unlicensed operator",
        assumption=(0.01, 0.2),
        low=0,
        high=1,
    )
    auction_weeks: int = param(
        12, doc="weeks from seizure of machines to their public auction", assumption=(4, 52), low=1, unit="weeks"
    )
    resale_share: float = param(
        0.4, doc="what outside bidders pay for used machines, share of their cost", assumption=(0.2, 0.7), low=0
    )
    horizon_weeks: int = param(
        52, doc="weeks of gold a miner sets against a licence or an auction bid", assumption=(26, 156), low=1
    )
    artisanal_productivity: float = param(
        0.3,
        doc="gold mined by hand where an operator lost his machines, share of what they mined",
        assumption=(0.1, 0.6),
        low=0,
        high=1,
    )
    wagner_concessions_per_year: float = param(
        2.0,
        doc="mining concessions the top hands Wagner / Africa Corps per year (002 §III: paid in mining licences)",
        assumption=(0.5, 4.0),
        low=0,
    )


@dataclass
class KnowledgeParams:
    """Knowledge of networks held by the mission, the state and the Panel of Experts (002 §III, §IV; M13)."""

    decay: float = param(
        0.02,
        doc="weekly fading of what a holder knows of an entity when its sources go silent",
        assumption=(0.005, 0.05),
        low=0,
        high=1,
    )
    mission_sources: float = param(
        0.05,
        doc="weekly odds that the mission learns of an active entity in a region of its bases, at full trust"
        " (002 §IV: JMAC and ASIFU lacked local sources)",
        assumption=(0.01, 0.2),
        low=0,
        high=1,
    )
    state_sources: float = param(
        0.1,
        doc="weekly odds that the state's services learn of an active entity where the state is present, at full trust",
        assumption=(0.02, 0.3),
        low=0,
        high=1,
    )
    panel_investigation: float = param(
        0.03,
        doc="weekly odds that the Panel of Experts finds the largest operator in Mali (less for smaller ones)",
        assumption=(0.005, 0.1),
        low=0,
        high=1,
    )
    evidence: float = param(
        0.5,
        doc="odds that a seizure or a bribe recorded at a checkpoint puts the crew on the holder's record",
        assumption=(0.2, 0.9),
        low=0,
        high=1,
    )
    chain: float = param(
        0.2,
        doc="weekly odds per known corrupt client that knowledge of him leads to his patron (002 §III)",
        assumption=(0.05, 0.5),
        low=0,
        high=1,
    )


@dataclass
class ActorSwitches:
    """Which actors take part (all by default; off gives the core model of traffickers and checkpoints)."""

    armed_groups: bool = param(True, doc="armed groups hold places, tax, fight and recruit", source="model design")
    officials: bool = param(True, doc="officials replace the stand-in checkpoints in Mali", source="model design")
    communities: bool = param(True, doc="communities live on the informal economy", source="model design")
    forces: bool = param(True, doc="state, mission and counter-terrorism forces act", source="model design")


@dataclass
class ScenarioConfig:
    """A scenario: the world, its starting state and its parameters."""

    name: str = param("default", doc="scenario name", source="scenario input")
    start_date: str = param("2013-01-07", doc="calendar date of week 0 (ISO)", source="scenario input")
    steps: int = param(520, doc="default number of weeks to run", source="DESIGN §2: ten years", low=1, high=100_000)
    data_dir: str | None = param(
        None,
        doc="directory with places.csv, routes.csv and goods.yaml replacing the packaged tables",
        source="scenario input",
    )
    goods: list[str] = param([], doc="goods traded (empty: every good in goods.yaml)", source="scenario input")
    supply_scale: float = param(
        1.0, doc="multiplier on every good's weekly supply", source="scenario input", low=0, low_open=True, high=100
    )
    supply_noise: float = param(
        0.2, doc="week-to-week variation of supply (lognormal sigma)", assumption=(0.0, 0.5), low=0, high=2
    )
    stock_cap_weeks: float = param(
        4.0,
        doc="weeks of supply a source holds before producers stop delivering",
        assumption=(2.0, 8.0),
        low=0,
        low_open=True,
        high=520,  # ten years; far beyond, the cap overflows and supply stops silently (issue 21)
    )
    price_elasticity: float = param(
        0.5,
        doc="fall of a Malian market's price for livelihood goods as deliveries exceed its population's share",
        assumption=(0.2, 1.0),
        low=0,
    )
    burn_in_weeks: int = param(
        26,
        doc="weeks run before week 1 so flows settle; indices are 1.0 at its end",
        source="model design",
        low=0,
        high=520,
    )
    actors_file: str = param(
        "actors.yaml", doc="actors table in the data directory (groups, forces, population)", source="scenario input"
    )
    timeline: str | None = param(
        None,
        doc="timeline of dated events (timeline_<name>.yaml in the data directory), e.g. history",
        source="scenario input",
    )
    timeline_skip: list[str] = param(
        [], doc="ids of timeline events left out (counterfactuals)", source="scenario input"
    )
    actors: ActorSwitches = section(ActorSwitches)
    transport: TransportParams = section(TransportParams)
    traffickers: TraffickerParams = section(TraffickerParams)
    checkpoints: CheckpointParams = section(CheckpointParams)
    armed_groups: ArmedGroupParams = section(ArmedGroupParams)
    officials: OfficialParams = section(OfficialParams)
    communities: CommunityParams = section(CommunityParams)
    forces: ForceParams = section(ForceParams)
    gold: GoldParams = section(GoldParams)
    knowledge: KnowledgeParams = section(KnowledgeParams)

    def check(self, prefix: str) -> None:
        """The start date must be a date."""
        try:
            dt.date.fromisoformat(self.start_date)
        except ValueError:
            raise ConfigError(
                f"{prefix}start_date", self.start_date, "an ISO date such as 2013-01-07", "not a date"
            ) from None


@dataclass
class OutputConfig:
    """What a run writes besides its summary."""

    timeseries: bool = param(True, doc="write timeseries.parquet (one row per week)", source="DESIGN §5")
    route_flows: bool = param(False, doc="write route_flows.parquet (units per link and week)", source="DESIGN §5")
    edges: bool = param(True, doc="write edges.parquet (units per link and good over the run)", source="DESIGN §5")
    progress: bool = param(True, doc="show a progress bar on a terminal", source="user interface")
    geojson: bool = param(
        False, doc="write places.geojson and routes.geojson (for QGIS; sim/gis.py)", source="user interface"
    )


@dataclass
class RunConfig:
    """One run: a scenario, a seed and the number of weeks."""

    seed: int = param(0, doc="seed of the model's random generators", source="run input", low=0, high=2**63 - 1)
    steps: int | None = param(
        None, doc="weeks to run (empty: the scenario's default)", source="run input", low=1, high=100_000
    )
    seeds: int = param(
        1,
        doc="runs with consecutive seeds from `seed` in one job (sweeps run blocks of seeds)",
        source="run input",
        low=1,
    )
    scenario: ScenarioConfig = section(ScenarioConfig)
    policy: PolicySet = section(PolicySet)
    output: OutputConfig = section(OutputConfig)
    # A week, an ISO date or a list of them (Any: OmegaConf has no union of a scalar and a list);
    # the shape is checked in check(), the weeks against the run in sim.state.branch_points.
    branch_from: Any = param(
        None,
        doc=(
            "week or ISO date (or a list of them) where the variants of a sweep depart: the past before it is"
            " computed once, saved and shared; with a list each run departs from the latest point it shares"
            " (same outputs, fewer weeks run; sim/state.py)"
        ),
        source="run input",
        low=2,
    )

    @property
    def weeks(self) -> int:
        """Number of weeks this run simulates."""
        return self.steps if self.steps is not None else self.scenario.steps

    def check(self, prefix: str) -> None:
        """The run must end on a calendar date, and every policy must start before the run ends.

        A policy whose window opens after the last week would do nothing, silently.
        """
        _check_branch_from(self.branch_from, f"{prefix}branch_from")
        start = dt.date.fromisoformat(self.scenario.start_date)
        weeks = self.weeks + self.scenario.burn_in_weeks
        if (dt.date.max - start).days // 7 < weeks + 1:
            last = dt.date.max - dt.timedelta(weeks=weeks + 1)
            raise ConfigError(
                f"{prefix}scenario.start_date",
                self.scenario.start_date,
                f"a date on or before {last} for {self.weeks} weeks",
                "the run would end after the year 9999",
            )
        for name, cfg in self.policy.active():
            first = cfg.start
            if isinstance(first, str):
                first = (dt.date.fromisoformat(first) - start).days // 7 + 1
            if first > self.weeks:
                raise ConfigError(
                    f"{prefix}policy.{name}.start",
                    cfg.start,
                    f"week {self.weeks} or before ({start + dt.timedelta(weeks=self.weeks)}), the run's last week",
                    "starts after the run ends",
                )


def _check_branch_from(value: Any, key: str) -> None:
    """``branch_from`` is empty, a week (>= 2), an ISO date, or a non-empty list of those."""
    if value is None:
        return
    points = value if isinstance(value, list) else [value]
    if not points:
        raise ConfigError(key, value, "a week, an ISO date or a list of them, or null", "an empty list")
    for point in points:
        if isinstance(point, bool) or not isinstance(point, (int, str)):
            raise ConfigError(
                key, value, "a week, an ISO date or a list of them, or null", f"{point!r} is not a week or a date"
            )
        if isinstance(point, int) and point < 2:
            raise ConfigError(key, value, "weeks >= 2", f"week {point}")
        if isinstance(point, str):
            try:
                dt.date.fromisoformat(point)
            except ValueError:
                raise ConfigError(key, value, "ISO dates (YYYY-MM-DD)", f"{point!r} is not a date") from None
