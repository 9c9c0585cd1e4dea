"""Disarmament, demobilization and reintegration (000; 002 Box D; FACTS M9, M10).

Each week a share of the fighters of the targeted groups (default: the Algiers signatories,
signatory and pro-government groups) demobilizes with a reintegration package paid into their
communities for ``package_weeks``. Ex-combatants relapse into their group when licit income
at home falls short, unless licit work absorbs them: gold formalization and livelihood
programmes provide it (M10: DDR holds only with viable economic alternatives).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.names import GroupKind
from sim.paramspec import param
from sim.policies.base import Policy, PolicyConfig


@dataclass
class DDRConfig(PolicyConfig):
    """DDR settings."""

    targets: list[str] = param(
        ["signatory", "pro_government"],
        doc="groups, kinds or blocs whose fighters demobilize",
        source="002 §II: the Algiers signatories",
    )
    demobilize_per_year: float = param(
        0.2,
        doc="share of the targeted groups' fighters demobilized a year, per unit of intensity",
        assumption=(0.05, 0.5),
        low=0,
        high=1,
    )
    package_usd_per_week: float = param(
        30.0, doc="weekly reintegration package per ex-combatant", assumption=(10.0, 80.0), low=0, unit="USD"
    )
    package_weeks: int = param(52, doc="weeks a package is paid", assumption=(26, 104), low=1, unit="weeks")
    relapse_rate: float = param(
        0.01,
        doc="weekly relapse of ex-combatants without licit work and with licit income at its start level",
        assumption=(0.002, 0.03),
        low=0,
        high=1,
    )
    relapse_shortfall: float = param(
        5.0, doc="rise of relapse per unit shortfall of licit income (M9)", assumption=(1.0, 10.0), low=0
    )


class DDR(Policy):
    """Demobilization with packages, and relapse without alternatives."""

    name = "ddr"
    target_kinds = ("groups",)

    def __init__(self, model, config: DDRConfig, key: str):
        super().__init__(model, config, key)
        self.pool: dict[int, float] = {}  # ex-combatants by former group
        self.paid_until: list[tuple[int, float, int]] = []  # (group, ex-combatants, last week paid)
        self.relapsed = 0.0

    def _targeted(self, group) -> bool:
        names = self.target_names()
        bloc = self.model.armed_groups.bloc_names[group.bloc]
        return group.name.lower() in names or GroupKind(group.kind).name.lower() in names or bloc.lower() in names

    def apply(self, levers) -> None:
        """Demobilize, pay packages, let the unemployed relapse."""
        groups, model, cfg = self.model.armed_groups, self.model, self.cfg
        if groups is None or model.communities is None:
            return
        weekly = 1 - float(1 - min(1.0, cfg.demobilize_per_year * cfg.intensity)) ** (1 / 52)  # the C library's pow
        week = model.steps
        for g in groups.active:
            if self._targeted(g):
                n = groups.demobilize(g, g.fighters * weekly)
                if n > 0:
                    self.pool[g.index] = self.pool.get(g.index, 0.0) + n
                    self.paid_until.append((g.index, n, week + cfg.package_weeks))
        self.paid_until = [p for p in self.paid_until if p[2] >= week]
        for gi, n, _ in self.paid_until:
            places = groups._region_places(groups.groups[gi])
            amount = cfg.package_usd_per_week * n
            model.communities.receive_transfer(places, amount, model.ledger)
            levers.cost += amount
        for gi, n in list(self.pool.items()):
            g = groups.groups[gi]
            shortfall = max(0.0, 1.0 - model.communities.licit_level(groups._region_places(g)))
            rate = cfg.relapse_rate * (1 + cfg.relapse_shortfall * shortfall) * (1 - min(1.0, levers.jobs))
            back = float(model.rng.binomial(int(n), min(1.0, rate))) if n >= 1 else 0.0
            if back and g.fighters > 0:
                g.fighters += back
                self.pool[gi] = n - back
                self.relapsed += back

    @property
    def ex_combatants(self) -> float:
        """Ex-combatants not (yet) relapsed."""
        return float(sum(self.pool.values()))
