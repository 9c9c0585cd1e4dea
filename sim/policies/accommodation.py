"""Conditional accommodation: payments and positions for groups that leave the trade (000; FACTS M18).

The political accommodation of key actors made "contingent upon their disengagement from illicit
activities" (000). The targeted groups (default: the Algiers signatories and pro-government
groups, 002 §II) are offered an allowance per fighter and a truce among members; a member stops
selling protection and taking tolls at the places it holds. Each group decides whether to accept,
stay, cheat or leave by weighing the allowance against the illicit rents it gives up
(:mod:`sim.agents.peace_process`): well-resourced groups have little incentive to join (M18).
Cheats are caught as far as the state knows their part in the trade (``model.knowledge`` when
present, else ``trade_known``). ``intensity`` multiplies the allowance.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.paramspec import param
from sim.policies.base import PolicyConfig
from sim.policies.offer import GroupOffer


@dataclass
class AccommodationConfig(PolicyConfig):
    """Conditional accommodation settings."""

    targets: list[str] = param(
        ["signatory", "pro_government"],
        doc="groups, kinds or blocs offered accommodation",
        source="002 §II: the Algiers signatories; 000: 'key actors'",
    )
    cost_usd_per_week: float = param(
        10_000.0, doc="weekly cost of the process (mediation, monitoring)", assumption=(2_000.0, 50_000.0), low=0
    )
    allowance_usd_per_fighter_week: float = param(
        15.0,
        doc="payments and positions a member receives per fighter a week, at intensity 1",
        assumption=(5.0, 50.0),
        low=0,
        unit="USD",
    )
    review_weeks: int = param(
        13, doc="weeks between a group's decisions to accept, stay, cheat or leave", assumption=(4, 26), low=1
    )
    spoil_rate: float = param(
        0.05,
        doc="weekly chance a group outside attacks a member, when the members dominate its regions",
        assumption=(0.01, 0.2),
        low=0,
        high=1,
    )
    trade_known: float = param(
        0.3,
        doc="chance the state knows a group's part in the trade when no intelligence model runs (cheats caught)",
        assumption=(0.1, 0.6),
        low=0,
        high=1,
    )
    barred_weeks: int = param(
        52, doc="weeks a member caught cheating stays out", assumption=(26, 104), low=0, unit="weeks"
    )


class Accommodation(GroupOffer):
    """Accommodation offered on condition of leaving the trade; accepting is the groups' choice."""

    name = "accommodation"
    conditional = True
