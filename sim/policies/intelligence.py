"""Intelligence: acting on knowledge of people, and fusing the silos it sits in (001; 002 §III, §IV; M13).

JMAC, ASIFU, the Malian services and the Panel of Experts each know part of the networks
(:mod:`sim.knowledge`); their information stayed in silos and there was "no appetite or interest
from the mission leadership in using" it (002 §IV). This policy decides two things each week:

- whether raids and listings act on knowledge of people at all (``acted_on``): always, never, or
  only when organized crime is one of the mission's main tasks (the mission's will, F21); without
  it they fall back on the obvious targets;
- how far decisions read every holder's knowledge rather than their own silo (``fuse``, by
  ``intensity``: an integrated fusion cell, 002 §III "intelligence fusion cells").

What the knowledge is worth is then up to the decisions that use it: which hubs are raided,
whom counter-terrorism strikes, who is listed, which deals can be verified.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.paramspec import param
from sim.policies.base import Policy, PolicyConfig


@dataclass
class IntelligenceConfig(PolicyConfig):
    """Intelligence settings."""

    acted_on: str = param(
        "when_priority",
        doc="whether knowledge is acted on: always, never, or when organized crime is a main task of the mission",
        source="002 §III, §IV (M13)",
        choices=("always", "never", "when_priority"),
    )
    fuse: bool = param(
        True,
        doc="whether holders' silos are fused (false: each decision reads only its own holder's knowledge)",
        source="002 §IV: information silos (M13)",
    )
    cost_usd_per_week: float = param(
        50_000.0,
        doc="weekly cost of analysts and sources per unit of intensity",
        assumption=(10_000.0, 200_000.0),
        low=0,
        unit="USD",
    )


class Intelligence(Policy):
    """Whether knowledge of people is acted on this week, and how far it is fused."""

    name = "intelligence"

    def apply(self, levers) -> None:
        """Set whether knowledge is acted on and the fusion of silos."""
        cfg, model = self.cfg, self.model
        mandate = model.policy("mission_mandate")
        if cfg.acted_on == "when_priority" and mandate is not None and mandate.active:
            mandate.set_mandate(levers)  # this week's mandate, set before its turn in the week
        acted = {
            "always": True,
            "never": False,
            "when_priority": model.forces is not None and model.forces.oc_is_main_task(levers),
        }[cfg.acted_on]
        if acted and cfg.intensity > 0:
            levers.intel_acted = True
            if cfg.fuse:
                levers.fusion = max(levers.fusion, min(1.0, cfg.intensity))
        levers.cost += cfg.cost_usd_per_week * cfg.intensity
