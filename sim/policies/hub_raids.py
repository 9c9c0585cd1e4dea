"""Raids on trafficking hubs by specialised units (002 §III; 004; FACTS M13, M20).

Specialised units that officials cannot buy off raid the targeted hubs: every encounter there
with a good that is not livelihood trade is seized with extra odds ``raid_seizure × intensity``.
Unless knowledge of people is acted on, the units raid the obvious hubs, the regional capitals
of the north. When it is acted on (the intelligence policy; M13) they raid the places on the
routes of the crews they know, weighted by the value those crews move: the Malian services'
knowledge (:mod:`sim.knowledge`), fused with the mission's and the Panel's as far as the silos
are fused. What they know, not the flows themselves, sets where they strike.
Offensive action against criminal spoilers provokes retaliation and threatens livelihoods (004,
M20): violence at the raided hubs rises with intensity; where the mission is based, the spoilers
strike back at it (``mission_retaliation`` attacks a week per hub, which feed its deaths and its
force protection, M19); and the raids disrupt the licit and informal trade that passes the same
hubs (``collateral`` odds of seizing or spoiling a livelihood cargo), which the communities there
live on (M7).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.levers import either
from sim.paramspec import param
from sim.policies.base import Policy, PolicyConfig
from sim.stats import accumulate

OBVIOUS_HUBS = ("timbuktu", "gao", "kidal", "menaka", "mopti")


@dataclass
class HubRaidsConfig(PolicyConfig):
    """Hub raid settings."""

    hubs: int = param(5, doc="number of hubs raided", assumption=(2, 10), low=1)
    raid_seizure: float = param(
        0.1,
        doc="extra seizure odds of an illicit cargo at a raided hub, per unit of intensity",
        assumption=(0.02, 0.3),
        low=0,
        high=1,
    )
    retaliation: float = param(
        0.5,
        doc="violent incidents a week at each raided hub, per unit of intensity (M20)",
        assumption=(0.1, 2.0),
        low=0,
    )
    mission_retaliation: float = param(
        0.1,
        doc="attacks on the mission a week at each raided hub in its base regions, per unit of intensity (M20)",
        assumption=(0.02, 0.5),
        low=0,
    )
    collateral: float = param(
        0.02,
        doc="odds that a livelihood cargo at a raided hub is seized or spoiled, per unit of intensity (M20)",
        assumption=(0.0, 0.1),
        low=0,
        high=1,
    )
    cost_usd_per_hub: float = param(
        30_000.0,
        doc="weekly cost per raided hub, per unit of intensity",
        assumption=(10_000.0, 100_000.0),
        low=0,
        unit="USD",
    )


class HubRaids(Policy):
    """Honest raids at hubs, chosen by evidence or by intelligence."""

    name = "hub_raids"
    target_kinds = ("places", "regions")

    def __init__(self, model, config: HubRaidsConfig, key: str):
        super().__init__(model, config, key)
        self.target_places(np.zeros(0, dtype=np.int64))  # an unknown target stops the run before week 1
        self.informed = 0  # hubs picked from knowledge this week

    def known_value(self, levers) -> np.ndarray:
        """Illicit value the acting holder knows passes each place: known crews' trips on their routes."""
        model = self.model
        knowledge, crews = model.knowledge, model.crews
        out = np.zeros(model.world.n_places)
        if knowledge is None:
            return out
        from sim.knowledge import STATE

        c = crews.cols
        rows = np.flatnonzero(c["alive"] & (c["route"] >= 0) & ~crews.livelihood[c["good"]])
        known = knowledge.view(knowledge.fitted("crews", crews.size)[:, rows], STATE, levers.fusion)
        nodes = crews.routes.nodes[c["route"][rows]]
        weight = np.broadcast_to((known * c["cargo_value_ref"][rows])[:, None], nodes.shape)
        on = nodes >= 0
        accumulate(out, nodes[on], weight[on])
        return np.where(model.world.in_mali, out, 0.0)

    def apply(self, levers) -> None:
        """Pick this week's hubs, add seizure odds for illicit goods there, and the retaliation."""
        model, cfg = self.model, self.cfg
        world = model.world
        obvious = np.array([world.index[p] for p in OBVIOUS_HUBS if p in world.index], dtype=np.int64)
        default = obvious[: cfg.hubs]
        self.informed = 0
        if levers.intel_acted:
            # Knowledge acted on (M13): the places where the crews it knows carry most value; the
            # obvious hubs fill the list only where it knows nothing.
            value = self.known_value(levers)
            ranked = np.argsort(-value, kind="stable")
            informed = ranked[value[ranked] > 0][: cfg.hubs]
            rest = obvious[~np.isin(obvious, informed)][: cfg.hubs - len(informed)]
            default = np.concatenate([informed, rest])
            self.informed = len(informed)
        hubs = self.target_places(default)
        livelihood = np.array([g.livelihood for g in world.goods])
        odds = min(1.0, cfg.raid_seizure * cfg.intensity)
        cells = np.ix_(hubs, ~livelihood)
        levers.raid_seize[cells] = either(levers.raid_seize[cells], odds)
        spoiled = np.ix_(hubs, livelihood)
        levers.raid_seize[spoiled] = either(levers.raid_seize[spoiled], min(1.0, cfg.collateral * cfg.intensity))
        model.territory.violence[hubs] += model.rng.poisson(cfg.retaliation * cfg.intensity, size=len(hubs))
        levers.retaliation[hubs] += cfg.mission_retaliation * cfg.intensity
        levers.cost += cfg.cost_usd_per_hub * cfg.intensity * len(hubs)
