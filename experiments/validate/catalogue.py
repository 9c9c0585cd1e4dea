"""The catalogue of patterns: each experiment of FACTS.md part B with its claim, arms and statistics."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from experiments.fragments import sections
from experiments.stats import mean_interval
from experiments.validate.arms import TRADE_SOURCES
from experiments.validate.criteria import ABOVE0, BELOW0, Experiment, Values, did, diff, log_ratio, rel, within


def _num(x: float, percent: bool = False) -> str:
    if not math.isfinite(x):
        return "n/a"
    if percent:
        return f"{100 * x:+.1f}%"
    return f"{x:+.3g}" if abs(x) < 1000 else f"{x:+,.0f}"


ROOT = Path(__file__).resolve().parent.parent.parent


def _rev(kind: str, *sources: str) -> list[str]:
    return [f"rev.{kind}.{s}" for s in sources]


EXPERIMENTS = [
    Experiment(
        "M1",
        "Protection rackets, drug routes the most lucrative",
        "Armed groups profit from smuggling through tolls and protection; control of drug routes is the most "
        "lucrative protection racket (002 Box A).",
        "no policy vs the same economy without drugs (cocaine, resin) vs without the other protected goods "
        "(cigarettes, arms, gold)",
        (
            rel(
                "trade_revenue_usd",
                "no_drugs",
                "base",
                BELOW0,
                "groups' revenue from tolls, protection and trafficking shares: no drugs vs baseline",
            ),
            rel(
                "trade_revenue_usd",
                "no_drugs",
                "no_other",
                BELOW0,
                "the same: no drugs vs no other protected goods (drugs lose the groups more)",
            ),
        ),
    ),
    Experiment(
        "M2",
        "Jihadists earn more from kidnapping and taxation than from trafficking",
        "Jihadist groups earned more from kidnapping for ransom and illegal taxation than from trafficking itself "
        "(002 §II).",
        "no policy; jihadist groups' revenue by source",
        (
            log_ratio(
                _rev("jihadist", "kidnapping", "community_taxation"),
                _rev("jihadist", *TRADE_SOURCES),
                "base",
                ABOVE0,
                "log(kidnapping + taxation / tolls + protection + trafficking) of jihadist groups",
            ),
        ),
    ),
    Experiment(
        "M3",
        "High-value goods pull state actors into the trade and fund armed groups",
        "High-value goods need protection bought with violence or corruption; this pulls state actors in: a "
        "self-reinforcing cycle of trafficking, armed groups and corrupted state authority (002 §II).",
        "no policy vs the same economy without the high-value goods (cocaine, resin, cigarettes, arms, gold)",
        (
            diff(
                "bribe_rate", "no_high_value", "base", BELOW0, "bribe rate at checkpoints: no high-value goods - base"
            ),
            rel("fighters_final", "no_high_value", "base", BELOW0, "fighters at the end: no high-value goods vs base"),
        ),
    ),
    Experiment(
        "M4",
        "Higher profits bring mercenary entrants",
        "Higher profits attract mercenary and criminal entrants in place of local, community-embedded traders "
        "(002 §II, 000).",
        "no policy vs cigarettes worth 1.5x at their sinks (goods table edited in a copy)",
        (
            diff(
                "mercenary_share.cigarettes",
                "cig_dear",
                "base",
                ABOVE0,
                "mercenary share of cigarette crews (second half of the run): dearer - base",
            ),
        ),
    ),
    Experiment(
        "M5",
        "Route rents drive clashes and fragmentation",
        "Competition for route control drives militarization, clashes within and between factions, fragmentation "
        "and alliance switching (003, 002 §II, 000).",
        "no policy vs the same economy without drugs (less rent on the routes)",
        (
            rel("clashes", "no_drugs", "base", BELOW0, "clashes: no drugs vs base"),
            diff(
                "fragmentation_events",
                "no_drugs",
                "base",
                BELOW0,
                "splits + alliance switches: no drugs - base",
            ),
        ),
    ),
    Experiment(
        "M6",
        "Counter-terrorism on labels leaves the traffickers in place",
        "CT that targets only jihadist-labelled groups ousts them from territory, but unaffiliated narco-traffickers "
        "largely remain; some rebrand (002 §III early years).",
        "no policy vs CT forces x3 targeting jihadist groups only vs CT x3 targeting all armed groups in the trade",
        (
            rel(
                "places_held.jihadist",
                "ct_jihadist",
                "base",
                BELOW0,
                "places held by jihadist groups: CT on jihadists vs base",
            ),
            rel("delivered.cocaine", "ct_jihadist", "base", within(0.10), "cocaine delivered: CT on jihadists vs base"),
            diff("rebrands", "ct_jihadist", "base", ABOVE0, "rebranded factions: CT on jihadists - base"),
            rel(
                "trade_revenue_usd",
                "ct_all",
                "ct_jihadist",
                BELOW0,
                "groups' trade revenue: CT on all armed groups vs CT on jihadists",
            ),
        ),
    ),
    Experiment(
        "M7",
        "Blunt border control harms the north",
        "Border control that is not crime-sensitive harms remote regions where trade is the main livelihood and the "
        "source of food security, and causes conflict with the central authorities (000).",
        "no policy vs border control x2 at every crossing, not crime-sensitive vs crime-sensitive",
        (
            diff(
                "food_security_north_index",
                "bc_blunt",
                "bc_sens",
                BELOW0,
                "food security of the north: blunt - crime-sensitive",
            ),
            diff("state_trust_index", "bc_blunt", "base", BELOW0, "trust in the state: blunt - base"),
        ),
    ),
    Experiment(
        "M8a",
        "Interdiction displaces flows (core model)",
        "Interdiction in one place displaces flows to others (000, 001).",
        "core model (traffickers, stand-in checkpoints): baseline vs ten times the checkpoint pressure at In Khalil",
        (
            rel("flow_through.in_khalil", "core_in_khalil", "core_base", BELOW0, "flow through In Khalil"),
            diff(
                "flow_through.tinzaouaten",
                "core_in_khalil",
                "core_base",
                ABOVE0,
                "flow through Tinzaouaten (units)",
            ),
        ),
    ),
    Experiment(
        "M8b",
        "Displacement, and regional cooperation against it",
        "Interdiction in one place displaces flows to others; regional cooperation is needed to avoid the "
        "displacement effect (000, 001).",
        "no policy vs crime-sensitive border control x2 at the Algerian crossings, alone or with the neighbours "
        "inspecting too (regional cooperation)",
        (
            rel(
                "illicit_value_crossings.other",
                "bc_alg",
                "base",
                ABOVE0,
                "illicit value through Mali's other crossings: Algerian border control vs base",
            ),
            rel(
                "illicit_delivered_value_usd",
                "bc_alg_coop",
                "bc_alg",
                BELOW0,
                "illicit value delivered: with regional cooperation vs without",
            ),
        ),
    ),
    Experiment(
        "M9",
        "Livelihood programmes cannot compete with trafficking margins",
        "No alternative livelihood project has been able to compete with the margins of trafficking, kidnapping or "
        "banditry (000).",
        "no policy vs a livelihood programme in the north (intensity 1)",
        (
            diff(
                "community_income_north_index", "livelihoods", "base", ABOVE0, "income of the north: programme - base"
            ),
            rel(
                "illicit_delivered_value_usd",
                "livelihoods",
                "base",
                within(0.05),
                "illicit value delivered: programme vs base",
            ),
        ),
    ),
    Experiment(
        "M10",
        "DDR holds only with viable alternatives",
        "DDR reintegrates combatants only with viable economic alternatives; some CMA-linked groups left armed "
        "conflict for artisanal gold mining (000, 002 Box D).",
        "no policy vs DDR alone vs DDR with gold formalization and livelihoods",
        (
            rel("fighters_final", "ddr", "base", BELOW0, "fighters at the end: DDR vs base"),
            diff(
                "relapse_share",
                "ddr_alt",
                "ddr",
                BELOW0,
                "share of ex-combatants who relapsed: with alternatives - DDR alone",
            ),
            rel("fighters_final", "ddr_alt", "ddr", BELOW0, "fighters at the end: with alternatives vs DDR alone"),
        ),
    ),
    Experiment(
        "M11",
        "Local peace deals reduce clashes",
        "Local peace deals (Anéfis 1 and 2, 2015-2017) reduced competition and conflict around drug trafficking "
        "(002 §III).",
        "no policy vs a deal offered to the CMA and the Platform, which each group joins, stays in or leaves by "
        "comparing its share of the pooled rents with what it keeps outside; outsiders may spoil it",
        (rel("clashes", "peace", "base", BELOW0, "clashes: deal vs base"),),
    ),
    Experiment(
        "M12",
        "Anti-corruption and capacity building need political will",
        "Capacity building of police and justice without political will changes little; the state would have to "
        "police itself (002 §III).",
        "no policy vs anti-corruption with will 0.9 vs with will 0 vs capacity building (scenario's will, 0.3)",
        (
            diff("bribe_rate", "ac_will", "ac_nowill", BELOW0, "bribe rate: anti-corruption with will - without"),
            diff("bribe_rate", "ac_nowill", "base", within(0.02), "bribe rate: anti-corruption without will - base"),
            diff("bribe_rate", "capacity", "base", within(0.02), "bribe rate: capacity building - base"),
        ),
    ),
    Experiment(
        "M13",
        "Intelligence helps only when acted on",
        "Intelligence and analysis only help when the mission is positioned and willing to act on them "
        "(002 §III, §IV).",
        "hub raids alone vs with knowledge of people acted on, fused or left in silos (`sim/knowledge.py`); "
        "seizures of illicit goods only, since raids also spoil livelihood cargo (M20), which is no success "
        "against crime. (Knowledge never acted on gives runs identical to raids alone by construction, a "
        "statistic that could not fail: it is a unit test)",
        (
            rel(
                "illicit_seized_value_usd",
                "hub_acted",
                "hub",
                ABOVE0,
                "illicit value seized: intelligence acted on vs raids alone",
            ),
            rel(
                "illicit_seized_value_usd",
                "hub_acted",
                "hub_siloed",
                ABOVE0,
                "illicit value seized: silos fused vs each holder's own",
            ),
        ),
    ),
    Experiment(
        "M14",
        "Listing mid-level traffickers has little effect; the threat works on signatories",
        "The threat of listing initially changed signatory groups' behaviour; designating mid-level traffickers had "
        "little effect on traffic or violence (004).",
        "no policy vs sanctions (a review every 26 weeks, three listings each, chosen from the Panel's knowledge; "
        "groups weigh the threat against their protection rents)",
        (
            rel("delivered_value_usd", "sanctions", "base", within(0.05), "value delivered: sanctions vs base"),
            rel("fatalities", "sanctions", "base", within(0.10), "fatalities: sanctions vs base"),
            rel(
                "rev_y1.signatory.protection",
                "sanctions",
                "base",
                BELOW0,
                "signatory groups' protection revenue in year 1: sanctions vs base",
            ),
        ),
    ),
    Experiment(
        "M15",
        "Corruption costs the state its trust",
        "Corruption of officials creates impunity; the criminalized state loses trust (000).",
        "officials' mean integrity 0.7 vs 0.3",
        (
            diff("bribe_rate", "venal", "honest", ABOVE0, "bribe rate: venal - honest"),
            diff("level.trust", "venal", "honest", BELOW0, "mean trust in the state (level): venal - honest"),
        ),
    ),
    Experiment(
        "M16",
        "Arms availability drives banditry and self-arming",
        "Arms availability drives petty crime and banditry; insecurity makes communities arm themselves (000).",
        "no policy vs three times the arms supply (goods table edited in a copy)",
        (
            rel("robberies", "arms_flood", "base", ABOVE0, "robberies of crews: arms x3 vs base"),
            rel("arms_per_capita", "arms_flood", "base", ABOVE0, "arms held by communities: arms x3 vs base"),
        ),
    ),
    Experiment(
        "M17",
        "Tolerance of smuggling falls when traffickers ally with extremists",
        "Communities see smuggling as legitimate, but attitudes change once traffickers collaborate with extremist "
        "groups (000).",
        "no policy vs no protection bought from any group (no crew allied to a jihadist bloc)",
        (
            diff(
                "level.tolerance",
                "base",
                "no_protection",
                BELOW0,
                "mean tolerance of smuggling (level): with alliances - without",
            ),
        ),
    ),
    Experiment(
        "M18",
        "Well-resourced groups do not join; accommodation can be conditional on leaving the trade",
        "Well-resourced armed groups have little incentive to join peacebuilding; accommodation can be made "
        "conditional on disengagement from illicit activity (000).",
        "no policy vs accommodation offered to signatory and pro-government groups on condition of leaving the "
        "trade, in the default economy and in one without high-value goods (groups less well-resourced)",
        (
            rel(
                "trade_revenue_usd",
                "accom",
                "base",
                BELOW0,
                "groups' revenue from tolls, protection and trafficking: accommodation vs base",
            ),
            diff(
                "accommodation_members",
                "accom_no_hv",
                "accom",
                ABOVE0,
                "groups accommodated (mean over weeks): without high-value goods - with",
            ),
        ),
    ),
    Experiment(
        "M19",
        "Bunkerization: force protection eats the mission's policing",
        "As attacks on peacekeepers rose, force protection absorbed capacity and policing and justice support lost "
        "effect (002 §III).",
        "2x2: organized crime a main task of the mission or not x attacks on the mission at the default rate or x3",
        (
            diff(
                "mission_force_protection_share",
                "attacks",
                "base",
                ABOVE0,
                "force-protection share: attacks x3 - base",
            ),
            did(
                "seized_value_usd",
                ("oc_attacks", "attacks"),
                ("oc", "base"),
                BELOW0,
                "gain in value seized from the organized-crime task: under attacks x3 - at the default rate",
            ),
        ),
    ),
    Experiment(
        "M20",
        "Offensive mandates bring retaliation and harm livelihoods",
        "Offensive mandates against criminal spoilers expose peacekeepers to retaliation and threaten civilians' "
        "livelihoods (004).",
        "no policy vs raids on trafficking hubs",
        (
            diff("community_income_north_index", "hub", "base", BELOW0, "income of the north: hub raids - base"),
            diff("peacekeeper_fatalities", "hub", "base", ABOVE0, "peacekeepers killed: hub raids - base"),
        ),
    ),
    Experiment(
        "M21",
        "Ransom brokers are traffickers tied to the kidnappers, useful to those who should pursue them",
        "Prominent traffickers served as intermediaries in hostage negotiations, which made them useful to those "
        "who should pursue them (002 §III).",
        "no policy (brokers by their ties) vs a state that never spares a broker (hostages' release worth nothing)",
        (
            log_ratio(
                ["brokers_tied"],
                ["brokers_tied_by_chance"],
                "base",
                ABOVE0,
                "log(ransoms brokered by tied crews / the same were brokers drawn at random)",
            ),
            rel(
                "illicit_seized_value_usd",
                "no_spare",
                "base",
                ABOVE0,
                "illicit value seized: brokers never spared vs spared by the state's choice",
            ),
        ),
    ),
    Experiment(
        "M23",
        "Corruption hinders the formalization of gold",
        "Formalization of artisanal gold is hindered by a licensing process that favours operators able to pay "
        "bribes (002 Box D).",
        "gold formalization with officials' mean integrity 0.3 vs 0.7",
        (rel("formal_gold", "gold_venal", "gold_honest", BELOW0, "gold sold formally: venal vs honest"),),
    ),
    Experiment(
        "M24",
        "Wagner: abuses against civilians",
        "Wagner's joint operations with FAMA brought civilian abuses (Moura, March 2022) and reduced the mission's "
        "access (002 §III).",
        "historical scenario with and without the arrival of Wagner (late 2021); outcomes from 2022 on",
        (
            diff(
                "civilian_deaths_after_wagner",
                "history",
                "history_no_wagner",
                ABOVE0,
                "civilian deaths from 2022: history - no Wagner",
            ),
            diff(
                "trust_after_wagner",
                "history",
                "history_no_wagner",
                BELOW0,
                "mean trust in the state from 2022: history - no Wagner",
            ),
        ),
    ),
]

NOT_TESTED = {
    "M22": "not modelled: no seizure and auction of mining equipment.",
}

# Diagnoses written after the first full run, shown only when the experiment fails. They describe
# what the model lacks; no parameter was changed to make a pattern appear.
NOTES = sections(Path(__file__).with_name("notes.md"))  # why a pattern fails, by experiment id


def _diag_rel(values: Values, metric: str, arm: str, ref: str) -> str:
    if arm not in values or ref not in values or metric not in values[arm]:
        return "n/a"
    mean, lo, hi, _ = mean_interval(rel(metric, arm, ref, BELOW0).effect(values))
    return f"{_num(mean, True)} (95% CI {_num(lo, True)}, {_num(hi, True)})"


def _diag_diff(values: Values, metric: str, arm: str, ref: str) -> str:
    if arm not in values or ref not in values or metric not in values[arm]:
        return "n/a"
    mean, lo, hi, _ = mean_interval(values[arm][metric] - values[ref][metric])
    return f"{_num(mean)} (95% CI {_num(lo)}, {_num(hi)})"


def _mean(values: Values, arm: str, metric: str) -> str:
    return f"{np.mean(values[arm][metric]):.2f}" if arm in values and metric in values[arm] else "n/a"


# Post-hoc diagnostics (not part of any verdict): what else moved, with 95% intervals.
DIAGNOSTICS: dict[str, Callable[[Values], str]] = {
    "M3": lambda v: (
        f"bribes paid (USD), no high-value goods vs base: {_diag_rel(v, 'bribes_usd', 'no_high_value', 'base')}; "
        f"armed groups' revenue: {_diag_rel(v, 'armed_group_revenue_usd', 'no_high_value', 'base')}"
    ),
    "M5": lambda v: (
        f"splits, no drugs - base: {_diag_diff(v, 'group_splits', 'no_drugs', 'base')} (base mean "
        f"{_mean(v, 'base', 'group_splits')}); alliance switches: "
        f"{_diag_diff(v, 'alliance_switches', 'no_drugs', 'base')} (base mean {_mean(v, 'base', 'alliance_switches')})"
    ),
    "M6": lambda v: (
        f"places held by signatory groups, CT on all vs CT on jihadists: "
        f"{_diag_rel(v, 'places_held.signatory', 'ct_all', 'ct_jihadist')}; by pro-government groups: "
        f"{_diag_rel(v, 'places_held.pro_government', 'ct_all', 'ct_jihadist')}; places held by jihadist groups in "
        f"the baseline (mean over weeks): {_mean(v, 'base', 'places_held.jihadist')}"
    ),
    "M8b": lambda v: (
        f"illicit value through the Algerian crossings, border control - base: "
        f"{_diag_diff(v, 'illicit_value_crossings.algeria', 'bc_alg', 'base')} USD; through the other crossings: "
        f"{_diag_diff(v, 'illicit_value_crossings.other', 'bc_alg', 'base')} USD; illicit value delivered: "
        f"{_diag_rel(v, 'illicit_delivered_value_usd', 'bc_alg', 'base')}"
    ),
    "M10": lambda v: (
        f"recruits, DDR vs base: {_diag_rel(v, 'recruits', 'ddr', 'base')}; share of the demobilized who relapsed "
        f"(DDR alone, mean): {_mean(v, 'ddr', 'relapse_share')}"
    ),
    "M13": lambda v: (
        f"value seized, hub raids vs base: {_diag_rel(v, 'seized_value_usd', 'hub', 'base')}; illicit value "
        "delivered, intelligence acted on vs raids alone: "
        f"{_diag_rel(v, 'illicit_delivered_value_usd', 'hub_acted', 'hub')}"
    ),
    "M20": lambda v: (
        f"value seized, hub raids vs base: {_diag_rel(v, 'seized_value_usd', 'hub', 'base')}; fatalities: "
        f"{_diag_rel(v, 'fatalities', 'hub', 'base')}"
    ),
}
