"""Community policing: trust and information from communities (001; FACTS M15).

Balancing regional border control with local initiatives (001): in the targeted regions
(default: all of Mali) police work with communities, which raises the target of trust in the
state by ``trust_gain × intensity``, and communities that trust the police pass on information
about high-value trafficking (not their livelihood trade): detection of other goods rises by
``tip_gain × intensity × trust``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.paramspec import param
from sim.policies.base import Policy, PolicyConfig


@dataclass
class CommunityPolicingConfig(PolicyConfig):
    """Community policing settings."""

    trust_gain: float = param(
        0.15, doc="rise in the target of trust per unit of intensity", assumption=(0.05, 0.3), low=0, high=1
    )
    tip_gain: float = param(
        1.0,
        doc="rise in detection of non-livelihood goods per unit of intensity and trust",
        assumption=(0.2, 2.0),
        low=0,
    )
    cost_usd_per_week: float = param(
        30_000.0, doc="weekly cost per unit of intensity", assumption=(10_000.0, 100_000.0), low=0, unit="USD"
    )


class CommunityPolicing(Policy):
    """Trust and tips in the targeted regions."""

    name = "community_policing"
    target_kinds = ("places", "regions")

    def __init__(self, model, config: CommunityPolicingConfig, key: str):
        super().__init__(model, config, key)
        self.places = self.target_places(np.flatnonzero(model.world.in_mali))

    def apply(self, levers) -> None:
        """Raise trust's target and, with trust, detection of high-value goods."""
        cfg, model = self.cfg, self.model
        levers.trust[self.places] += cfg.trust_gain * cfg.intensity
        trust = (
            model.communities.trust_at(self.places) if model.communities is not None else np.full(len(self.places), 0.5)
        )
        livelihood = np.array([g.livelihood for g in model.world.goods])
        boost = 1.0 + cfg.tip_gain * cfg.intensity * trust
        levers.inspection[np.ix_(self.places, ~livelihood)] *= boost[:, None]
        levers.cost += cfg.cost_usd_per_week * cfg.intensity
