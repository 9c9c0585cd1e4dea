"""Interventions: one module each, one shared interface (:mod:`sim.policies.base`).

:class:`PolicySet` is the ``policy`` section of a run's configuration: each field is one
policy's settings, with ``enabled`` saying whether it is on. ``policy=[border_control,ddr]`` on
the command line switches on two; ``policy.border_control.intensity=0.8`` overrides a field.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from sim.errors import ConfigError
from sim.paramspec import section
from sim.policies.accommodation import Accommodation, AccommodationConfig
from sim.policies.anti_corruption import AntiCorruption, AntiCorruptionConfig
from sim.policies.base import Policy, PolicyConfig
from sim.policies.border_control import BorderControl, BorderControlConfig
from sim.policies.capacity_building import CapacityBuilding, CapacityBuildingConfig
from sim.policies.community_policing import CommunityPolicing, CommunityPolicingConfig
from sim.policies.counter_terrorism import CounterTerrorism, CounterTerrorismConfig
from sim.policies.ddr import DDR, DDRConfig
from sim.policies.gold_formalization import GoldFormalization, GoldFormalizationConfig
from sim.policies.hub_raids import HubRaids, HubRaidsConfig
from sim.policies.intelligence import Intelligence, IntelligenceConfig
from sim.policies.livelihoods import Livelihoods, LivelihoodsConfig
from sim.policies.mission_mandate import MissionMandate, MissionMandateConfig
from sim.policies.peace_deals import PeaceDeals, PeaceDealsConfig
from sim.policies.regional_cooperation import RegionalCooperation, RegionalCooperationConfig
from sim.policies.sanctions import Sanctions, SanctionsConfig
from sim.policies.targets import catalog, resolve

# Order of application each week: intelligence first (others use it), then the rest.
POLICIES: dict[str, type[Policy]] = {
    "intelligence": Intelligence,
    "border_control": BorderControl,
    "regional_cooperation": RegionalCooperation,
    "hub_raids": HubRaids,
    "counter_terrorism": CounterTerrorism,
    "ddr": DDR,
    "livelihoods": Livelihoods,
    "gold_formalization": GoldFormalization,
    "sanctions": Sanctions,
    "anti_corruption": AntiCorruption,
    "capacity_building": CapacityBuilding,
    "peace_deals": PeaceDeals,
    "accommodation": Accommodation,
    "mission_mandate": MissionMandate,
    "community_policing": CommunityPolicing,
}


@dataclass
class PolicySet:
    """The policies of a run; each is off unless its ``enabled`` is true.

    Every policy's settings are always present (so any field can be overridden), and the
    policy files in ``simcli/configs/policy/`` switch them on.
    """

    intelligence: IntelligenceConfig = section(IntelligenceConfig)
    border_control: BorderControlConfig = section(BorderControlConfig)
    regional_cooperation: RegionalCooperationConfig = section(RegionalCooperationConfig)
    hub_raids: HubRaidsConfig = section(HubRaidsConfig)
    counter_terrorism: CounterTerrorismConfig = section(CounterTerrorismConfig)
    ddr: DDRConfig = section(DDRConfig)
    livelihoods: LivelihoodsConfig = section(LivelihoodsConfig)
    gold_formalization: GoldFormalizationConfig = section(GoldFormalizationConfig)
    sanctions: SanctionsConfig = section(SanctionsConfig)
    anti_corruption: AntiCorruptionConfig = section(AntiCorruptionConfig)
    capacity_building: CapacityBuildingConfig = section(CapacityBuildingConfig)
    peace_deals: PeaceDealsConfig = section(PeaceDealsConfig)
    accommodation: AccommodationConfig = section(AccommodationConfig)
    mission_mandate: MissionMandateConfig = section(MissionMandateConfig)
    community_policing: CommunityPolicingConfig = section(CommunityPolicingConfig)

    def active(self) -> list[tuple[str, PolicyConfig]]:
        """The policies switched on, in application order."""
        return [(f.name, getattr(self, f.name)) for f in fields(self) if getattr(self, f.name).enabled]

    def names(self) -> list[str]:
        """Names of the policies switched on ('none' if none)."""
        return [n for n, _ in self.active()] or ["none"]


def check_targets(policies: PolicySet, world, group_names: set[str]):
    """Resolve every target of the active policies (:mod:`sim.policies.targets`) and return the catalog.

    Each policy says which kinds of name it targets; a target must name exactly one of them and
    select something.

    Args:
        policies: The policy section of a configuration.
        world: The world (places, regions, countries, goods).
        group_names: Names, ids and blocs of the armed groups of the scenario (timeline blocs too).

    Raises:
        ConfigError: naming the policy's field, e.g. ``policy.ddr.targets[0]``.
    """
    cat = catalog(world, group_names)
    for name, cfg in policies.active():
        cls = POLICIES[name]
        for i, raw in enumerate(cfg.targets):
            key = f"policy.{name}.targets[{i}]"
            target = resolve(world, cat, raw, cls.target_kinds, key)
            if target.kind in ("places", "regions", "countries") and not cls.selection(world, target):
                what = "no crossing into Mali" if target.kind == "countries" or cls.crossings_only else "no place"
                raise ConfigError(key, raw, "a target that selects at least one place", f"selects nothing ({what})")
    return cat


assert list(POLICIES) == [f.name for f in fields(PolicySet)], "POLICIES and PolicySet must list the same policies"

__all__ = ["POLICIES", "Policy", "PolicyConfig", "PolicySet", "check_targets"]
