"""The war on the mission: armed groups' attacks on MINUSMA and the mission's posture.

- **Attacks are choices.** Each week every armed group in a region where the mission has a base
  weighs three targets: the mission's convoys, its patrols and its bases (002 §III later years:
  peacekeepers "coming under attack - from armed groups, but also from improvised explosive
  devices"). The gain of a target is the odds the attack succeeds times what success is worth to
  the group: to a jihadist group, hurting the mission (the value of a successful attack); to any
  group, the fuel, vehicles and arms of a convoy; to a group that the mission's offensive action
  harmed, revenge (004, M20). The cost is the fighters it expects to lose, at a year's wage each
  (the same price groups put on fighters when they contest places). A group attacks a target at a
  rate that grows with its fighters in the region and with the appeal of the target (gain over
  gain plus cost); a target that costs more than it gains is left alone.
- **IEDs come through the arms trade.** IED materials travel with the arms trade (F8, 002 Box A:
  "a steady rise in the trafficking of materials used to make IEDs" since 2013). Every rifle
  delivered to a market in a region brings ``ied_materials_per_rifle`` IED kits to the groups of
  that region, shared by their fighters as the rifles are. A group with a kit attacks convoys and
  patrols with an IED: deadlier (``ied_lethality``) and without exposing its fighters. Bases are
  shelled or stormed, never mined.
- **The posture ratchets with losses and caveats.** Peacekeepers killed push force protection up at
  once; it relaxes only slowly when the losses stop (002 §III later years: by 2023 about 80% of the
  force's capacity protected convoys, personnel and equipment). Losses also add "undisclosed
  caveats" that troop contributors place on their contingents (002 §III, note 129: after prominent
  attacks some suspended movements). Force protection lowers the mission's exposure (attacks
  succeed less often and kill fewer) and, with the caveats, its patrols and its effect on its tasks
  (M19: "as the mission became more 'bunkerized' ... even regular, well-resourced policing and
  justice initiatives became less effective").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.names import GroupKind

if TYPE_CHECKING:
    from sim.agents.force import Force
    from sim.model import SahelModel

TARGETS = ("convoy", "patrol", "base")


class MissionWar:
    """Attacks chosen by armed groups against the mission, and the mission's posture.

    Args:
        model: The model.
    """

    def __init__(self, model: SahelModel):
        self.model = model
        self.p = model.params.forces
        world = model.world
        self.region = np.array(world.region)
        goods = [g.id for g in world.goods]
        self.arms_good = goods.index("arms") if "arms" in goods else -1
        self.kits: dict[int, float] = {}  # IED kits held, by group (unique_id)
        self.losses = 0.0  # peacekeepers killed, remembered with decay (the ratchet's memory)
        self.force_protection = self.p.force_protection_base
        self.caveats = 0.0
        self.attacks = 0.0  # attacks on the mission this week
        self.ied_attacks = 0.0  # ... of which with IEDs
        self.deaths = 0.0  # peacekeepers killed this week

    # --- IED materials --------------------------------------------------------------------

    def supply_kits(self) -> None:
        """IED kits reach the groups of each region with the rifles delivered there (F8), mission or not."""
        model, groups = self.model, self.model.armed_groups
        if groups is None or self.arms_good < 0 or self.p.ied_materials_per_rifle <= 0:
            return
        delivered = model.market.delivered_last[self.arms_good]
        places = np.flatnonzero(delivered)
        if not len(places):
            return
        by_region: dict[str, float] = {}
        for place in places.tolist():
            r = str(self.region[place])
            by_region[r] = by_region.get(r, 0.0) + float(delivered[place]) * self.p.ied_materials_per_rifle
        active = groups.active  # groups with fighters (kits change no one's fighters)
        for region, kits in by_region.items():
            buyers = [g for g in active if region in g.regions]
            total = sum(g.fighters for g in buyers)
            for g in buyers:
                self.kits[g.unique_id] = self.kits.get(g.unique_id, 0.0) + kits * g.fighters / total

    # --- attacks --------------------------------------------------------------------------

    def exposure(self) -> float:
        """How exposed the mission is: odds and lethality of an attack fall with force protection."""
        return 1.0 - self.p.protection_effect * self.force_protection

    def appraise(self, group, provoked: float) -> dict[str, tuple[float, float, bool]]:
        """The group's view of each target: (gain, cost, with an IED), in US dollars.

        Args:
            group: The armed group.
            provoked: Revenge owed to the mission's offensive action in the group's region (M20).
        """
        p, model = self.p, self.model
        fighter_value = model.params.armed_groups.wage_usd * 52.0
        success = p.attack_success * self.exposure()
        value = (p.jihadist_attack_value_usd if group.kind == GroupKind.JIHADIST else 0.0) + provoked
        has_kit = self.kits.get(group.unique_id, 0.0) >= 1.0
        out = {}
        for target in TARGETS:
            ied = has_kit and target != "base"
            loot = p.convoy_loot_usd if target == "convoy" else 0.0
            losses = 0.0 if ied else (p.base_assault_losses if target == "base" else p.ambush_losses)
            out[target] = (success * (value + loot), losses * fighter_value, ied)
        return out

    def opportunities(self) -> dict[str, float]:
        """Targets on offer: convoys and bases stay; patrols shrink with force protection and caveats."""
        return {"convoy": 1.0, "patrol": (1.0 - self.force_protection) * (1.0 - self.caveats), "base": 1.0}

    def step(self, mission: Force, regions: np.ndarray, retaliation: np.ndarray) -> float:
        """Groups attack the mission in its base regions; returns peacekeepers killed this week.

        Args:
            mission: The mission force.
            regions: Regions of its bases.
            retaliation: Expected attacks provoked at each place by offensive action (M20).
        """
        p, model = self.p, self.model
        rng, groups = model.rng, model.armed_groups
        self.attacks = self.ied_attacks = self.deaths = 0.0
        if groups is None:
            return 0.0
        offer = self.opportunities()
        lethality = p.deaths_per_attack * self.exposure()
        success = p.attack_success * self.exposure()
        bases = self._bases_by_region(mission.bases, regions)
        # A group's own appraisal depends only on whether it is jihadist and holds a kit (the
        # posture moves after the attacks): computed once a week for each, looked up per group.
        plans: dict[tuple[bool, bool], list[tuple[str, float, float, bool]]] = {}
        kits = self.kits
        # The groups of each region, in the groups' order (fighters are checked when the region's turn comes).
        members: dict[str, list] = {r: [] for r in regions.tolist()}
        for g in groups.groups:
            for r in dict.fromkeys(g.regions):
                if r in members:
                    members[r].append(g)
        provoking = bool(retaliation.any())  # offensive action anywhere this week (most weeks, none)
        for region in regions.tolist():
            # Attacks provoked in the region; where none are provoked anywhere, each region's sum is 0.0.
            provoked_attacks = float(retaliation[self._places_in(region)].sum()) if provoking else 0.0
            local = [g for g in members[region] if g.fighters > 0]
            for g in local:
                # p.attack_rate * fighters / 100.0, the rate's first factors, once per group (the same
                # left-to-right products as written per target).
                scale = p.attack_rate * (g.fighters / max(1, len(g.regions))) / 100.0
                key = (g.kind == GroupKind.JIHADIST, kits.get(g.unique_id, 0.0) >= 1.0)
                plan = plans.get(key)
                if plan is None:  # the targets worth more than they cost, in TARGETS order
                    plan = plans[key] = [(t, *v) for t, v in self.appraise(g, 0.0).items() if not v[0] <= v[1]]
                for target, gain, cost, ied in plan:
                    rate = scale * offer[target] * gain / (gain + cost)
                    n = int(rng.poisson(rate)) if rate > 0 else 0
                    for _ in range(n):
                        self._attack(g, target, ied, success, lethality, bases[region])
            # Offensive action provokes attacks beyond the groups' own appraisal (004, M20): any group
            # of the region strikes back, valuing revenge as a jihadist values an attack.
            if provoked_attacks > 0 and local:
                for _ in range(int(rng.poisson(provoked_attacks))):
                    g = local[int(rng.integers(len(local)))]
                    plan = self.appraise(g, p.jihadist_attack_value_usd)
                    target = max(TARGETS, key=lambda t: plan[t][0] - plan[t][1])
                    self._attack(g, target, plan[target][2], success, lethality, bases[region])
        self._posture()
        return self.deaths

    def _places_in(self, region: str) -> np.ndarray:
        """Places of a region, in place order (cached: places never move; comparing strings over all is slow)."""
        masks = self.__dict__.setdefault("_region_masks", {})
        mask = masks.get(region)
        if mask is None:
            mask = masks[region] = np.flatnonzero(self.region == region)
        return mask

    def _bases_by_region(self, bases: np.ndarray, regions: np.ndarray) -> dict[str, list[int]]:
        """The mission's bases in each of its regions, in base order (cached by the bases; a timeline replaces them)."""
        cache = self.__dict__.setdefault("_bases_cache", {})
        key = bases.tobytes()
        found = cache.get(key)
        if found is None:
            found = cache[key] = {r: [int(b) for b in bases if self.region[b] == r] for r in regions.tolist()}
        return found

    def _attack(self, group, target: str, ied: bool, success: float, lethality: float, bases: list[int]) -> None:
        p, model = self.p, self.model
        rng = model.rng
        self.attacks += 1
        if ied:
            self.ied_attacks += 1
            self.kits[group.unique_id] -= 1.0
        if rng.random() < success:
            self.deaths += float(rng.poisson(lethality * (p.ied_lethality if ied else 1.0)))
        if not ied:
            losses = p.base_assault_losses if target == "base" else p.ambush_losses
            dead = min(group.fighters, float(rng.poisson(losses)))
            if dead:
                group.fighters -= dead
                place = bases[int(rng.integers(len(bases)))]
                model.stats.events["combatant_deaths"] += dead
                model.stats.week["deaths"][place] += dead

    # --- posture --------------------------------------------------------------------------

    def _posture(self) -> None:
        """Losses ratchet force protection up at once; it relaxes slowly. Caveats follow losses (M19)."""
        p = self.p
        self.losses = self.losses * (1.0 - p.loss_memory_decay) + self.deaths
        span = p.force_protection_max - p.force_protection_base
        target = p.force_protection_base + span * (1.0 - np.exp(-self.losses / p.losses_to_bunker))
        relaxed = max(target, self.force_protection - p.posture_relax)
        # np.clip's value (min of max) without its call overhead on a scalar.
        self.force_protection = float(min(max(relaxed, p.force_protection_base), p.force_protection_max))
        self.caveats = float(
            min(p.caveats_max, self.caveats * (1.0 - p.caveat_decay) + p.caveat_per_death * self.deaths)
        )

    def effect_share(self) -> float:
        """Share of the mission's personnel free for its tasks: neither protecting it nor held by caveats."""
        return (1.0 - self.force_protection) * (1.0 - self.caveats)
