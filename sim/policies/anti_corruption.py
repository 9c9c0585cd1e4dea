"""Anti-corruption and judicial surge: the state policing itself (000; 002 §III; FACTS M12).

The policy opens cases against officials (``cases_per_week × intensity``), chosen by their
visible rents; it acts on people, not on a rate. Whether a case works is the officials' and the
top's doing (:meth:`sim.agents.official.Officials.investigate`): evidence needs capacity at the
post, and evidence "led straight to the top", so a complicit patron chain blocks the case unless
the top wants it through. Successes remove officials (and, with will, their patrons), deter their
colleagues and raise the will at the top; blocked cases lower it (002 §III: "a political and
operational dead-end"). ``political_will`` sets the will the top drifts toward while the policy
runs (a government that commits to it, or not); leave it empty to keep the scenario's.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.paramspec import param
from sim.policies.base import Policy, PolicyConfig


@dataclass
class AntiCorruptionConfig(PolicyConfig):
    """Anti-corruption settings."""

    political_will: float | None = param(
        None,
        doc="will the top drifts toward while the policy runs (empty: the scenario's)",
        source="policy input",
        low=0,
        high=1,
    )
    cases_per_week: int = param(
        4,
        doc="anti-corruption cases opened per week at intensity 1 (M12)",
        assumption=(1, 20),
        low=0,
    )
    cost_usd_per_week: float = param(
        50_000.0, doc="weekly cost per unit of intensity", assumption=(10_000.0, 200_000.0), low=0, unit="USD"
    )


class AntiCorruption(Policy):
    """Cases against officials; their outcome is the officials' and the top's."""

    name = "anti_corruption"

    def apply(self, levers) -> None:
        """Open this week's cases; set the will the top is asked to show."""
        cfg = self.cfg
        if cfg.political_will is not None:
            levers.political_will = cfg.political_will
        levers.investigations += round(cfg.cases_per_week * cfg.intensity)
        levers.cost += cfg.cost_usd_per_week * cfg.intensity
