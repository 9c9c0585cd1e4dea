"""Local peace deals: rivals on shared routes agree to share rents (002 §III early years; FACTS M11).

Like the Anéfis 1 and 2 agreements (2015-2017), the targeted blocs or groups (default: the CMA
and the Platform) stop contesting each other's places and share the protection rents of the
routes they hold as if they were one bloc, reducing competition and conflict around
trafficking (M11). ``intensity`` is the weekly chance the deal holds (1: always).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.paramspec import param
from sim.policies.base import Policy, PolicyConfig


@dataclass
class PeaceDealsConfig(PolicyConfig):
    """Peace deal settings."""

    targets: list[str] = param(
        ["CMA", "Platform"], doc="blocs or groups party to the deal", source="002 §III: Anéfis (CMA and Platform)"
    )
    cost_usd_per_week: float = param(
        5_000.0, doc="weekly cost of mediation", assumption=(1_000.0, 20_000.0), low=0, unit="USD"
    )


class PeaceDeals(Policy):
    """Rent sharing and a truce among the targeted groups."""

    name = "peace_deals"
    target_kinds = ("groups",)

    def apply(self, levers) -> None:
        """Register the deal among the targeted groups, if it holds this week."""
        groups, model = self.model.armed_groups, self.model
        if groups is None or model.rng.random() >= min(1.0, self.cfg.intensity):
            return
        names = self.target_names()
        members = {
            g.index for g in groups.active if g.name.lower() in names or groups.bloc_names[g.bloc].lower() in names
        }
        if len(members) >= 2:
            levers.deals.append(frozenset(members))
        levers.cost += self.cfg.cost_usd_per_week
