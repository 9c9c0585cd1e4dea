"""What the peace deal and conditional accommodation share: an offer the targeted groups weigh (002 §III; 000).

Both policies make the same kind of offer (an allowance per fighter and a truce among members)
and leave the choice to the groups (:mod:`sim.agents.peace_process`); they differ only in their
terms: a deal pools the members' rents (Anéfis, M11), accommodation asks members to leave the
trade and catches cheats (M18).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.names import GroupKind
from sim.policies.base import Policy

if TYPE_CHECKING:  # the configuration layer loads no agents (tests/test_package.py)
    from sim.agents.peace_process import Terms


class GroupOffer(Policy):
    """An offer to the targeted groups, blocs or kinds; who is in is the groups' choice."""

    target_kinds = ("groups",)
    pooled: bool = False  # members pool their rents (a deal, M11)
    conditional: bool = False  # members must leave the trade, and cheats are caught (accommodation, M18)

    def __init__(self, model, config, key: str):
        from sim.agents.peace_process import PeaceProcess

        super().__init__(model, config, key)
        self.process = PeaceProcess(model, self.terms(config), self._targeted)

    def terms(self, config) -> Terms:
        """The offer's terms, from the policy's settings and the kind of offer (``pooled``, ``conditional``)."""
        from sim.agents.peace_process import Terms

        return Terms(
            allowance_usd_per_fighter_week=config.allowance_usd_per_fighter_week * config.intensity,
            pooled=self.pooled,
            conditional=self.conditional,
            review_weeks=config.review_weeks,
            spoil_rate=config.spoil_rate,
            trade_known=config.trade_known if self.conditional else 0.0,
            barred_weeks=config.barred_weeks if self.conditional else 0,
        )

    def _targeted(self, group) -> bool:
        names = self.target_names()
        bloc = self.model.armed_groups.bloc_names[group.bloc]
        return group.name.lower() in names or GroupKind(group.kind).name.lower() in names or bloc.lower() in names

    def apply(self, levers) -> None:
        """Let the targeted groups decide and pay the members (the process registers truce and exits)."""
        if self.model.armed_groups is None:
            return
        self.process.week(levers)
        levers.cost += self.cfg.cost_usd_per_week

    @property
    def members(self) -> int:
        """Groups that have accepted the offer."""
        return len(self.process.members)
