"""Local peace deals the groups choose to join: rent sharing and a truce (002 §III early years; FACTS M11).

Like the Anéfis 1 and 2 agreements (2015-2017), facilitated by the mission's political section,
the deal is offered to the targeted blocs or groups (default: the CMA and the Platform). Each
decides whether to join, stay or leave by comparing its share of the members' pooled rents and
an allowance with the rents it would keep outside against the members' strength
(:mod:`sim.agents.peace_process`); members share the rents of the routes they hold as if they
were one bloc and do not fight each other; groups outside may spoil it. ``intensity``
multiplies the allowance the mediation pays.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.paramspec import param
from sim.policies.base import PolicyConfig
from sim.policies.offer import GroupOffer


@dataclass
class PeaceDealsConfig(PolicyConfig):
    """Peace deal settings."""

    targets: list[str] = param(
        ["CMA", "Platform"],
        doc="blocs, groups or kinds of group offered the deal",
        source="002 §III: Anéfis (CMA and Platform)",
    )
    cost_usd_per_week: float = param(
        5_000.0, doc="weekly cost of mediation", assumption=(1_000.0, 20_000.0), low=0, unit="USD"
    )
    allowance_usd_per_fighter_week: float = param(
        5.0,
        doc="payments and positions a member receives per fighter a week, at intensity 1",
        assumption=(0.0, 20.0),
        low=0,
        unit="USD",
    )
    review_weeks: int = param(
        13, doc="weeks between a group's decisions to join, stay or leave", assumption=(4, 26), low=1, unit="weeks"
    )
    spoil_rate: float = param(
        0.05,
        doc="weekly chance a group outside attacks a member, when the members dominate its regions",
        assumption=(0.01, 0.2),
        low=0,
        high=1,
    )


class PeaceDeals(GroupOffer):
    """A deal offered to the targeted groups; membership and the truce are their choice."""

    name = "peace_deals"
    pooled = True
