"""Anti-corruption and judicial surge: the state policing itself (000; 002 §III; FACTS M12).

Oversight catches more corrupt acts (``1 + oversight_gain × intensity``) and corrupt officials
are replaced by more honest ones, but only as far as there is political will at the top (M12:
the evidence "led straight to the top"; the state would have to police itself). ``political_will``
overrides the scenario's will while the policy runs; leave it empty to keep the scenario's.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.paramspec import param
from sim.policies.base import Policy, PolicyConfig


@dataclass
class AntiCorruptionConfig(PolicyConfig):
    """Anti-corruption settings."""

    political_will: float | None = param(
        None, doc="will at the top while the policy runs (empty: the scenario's)", source="policy input", low=0, high=1
    )
    oversight_gain: float = param(
        2.0, doc="rise in the odds that corrupt acts are caught, per unit of intensity", assumption=(0.5, 5.0), low=0
    )
    purge_rate: float = param(
        0.02,
        doc="weekly share of corrupt officials replaced at full will and intensity 1",
        assumption=(0.005, 0.05),
        low=0,
        high=1,
    )
    cost_usd_per_week: float = param(
        50_000.0, doc="weekly cost per unit of intensity", assumption=(10_000.0, 200_000.0), low=0, unit="USD"
    )


class AntiCorruption(Policy):
    """More oversight and purges, scaled by political will."""

    name = "anti_corruption"

    def apply(self, levers) -> None:
        """Raise oversight; replace corrupt officials as far as the will at the top allows."""
        cfg, model = self.cfg, self.model
        if cfg.political_will is not None:
            levers.political_will = cfg.political_will
        will = levers.political_will if levers.political_will is not None else model.params.officials.political_will
        levers.oversight *= 1.0 + cfg.oversight_gain * cfg.intensity
        if model.officials is not None:
            model.officials.purge(cfg.purge_rate * cfg.intensity * will)
        levers.cost += cfg.cost_usd_per_week * cfg.intensity
