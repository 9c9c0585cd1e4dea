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

import functools
import math
from typing import TYPE_CHECKING

import numpy as np

from sim.lazy import lazy_module
from sim.names import GroupKind

war_kernels = lazy_module("sim.agents.war_kernels")
kernel_rng = lazy_module("sim.kernel_rng")

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

    def __getstate__(self) -> dict:
        """Pickled (a saved state) without the kernel's kept listings and the region names, which are rebuilt on use."""
        state = self.__dict__.copy()
        state.pop("_listing_kept", None)
        state.pop("_bases_ragged", None)
        state.pop("_region_names", None)
        state.pop("_terms_kept", None)
        return state

    # --- IED materials --------------------------------------------------------------------

    def supply_kits(self) -> None:
        """IED kits reach the groups of each region with the rifles delivered there (F8), mission or not."""
        model, groups = self.model, self.model.armed_groups
        if groups is None or self.arms_good < 0 or self.p.ied_materials_per_rifle <= 0:
            return
        delivered = model.market.delivered_last[self.arms_good]
        places = delivered.nonzero()[0]  # one row: flatnonzero's indices without its wrapper
        if not len(places):
            return
        by_region: dict[str, float] = {}
        names, per_rifle = self._region_names, self.p.ied_materials_per_rifle
        for place, rifles in zip(places.tolist(), delivered[places].tolist(), strict=True):
            r = names[place]
            by_region[r] = by_region.get(r, 0.0) + rifles * per_rifle
        active = groups.active  # groups with fighters (kits change no one's fighters)
        for region, kits in by_region.items():
            buyers = [g for g in active if region in g.regions]
            total = sum(g.fighters for g in buyers)
            for g in buyers:
                self.kits[g.unique_id] = self.kits.get(g.unique_id, 0.0) + kits * g.fighters / total

    @functools.cached_property
    def _region_names(self) -> list[str]:
        """Each place's region as a Python string (places never move; ``str`` of numpy's strings costs a call each)."""
        return [str(r) for r in self.region]

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
        jihadist, has_kit = group.kind == GroupKind.JIHADIST, self.kits.get(group.unique_id, 0.0) >= 1.0
        terms = self._terms()
        return {
            target: war_kernels.appraise_target(t, jihadist, has_kit, provoked, terms)
            for t, target in enumerate(TARGETS)
        }

    def _terms(self) -> np.ndarray:
        """The week's odds, lethality and parameters as the kernels take them (``war_kernels.TERMS``).

        Kept while force protection and the wage are the same (most weeks once the posture has
        settled): the same inputs give the same array, which the kernels only read (issue 18).
        """
        p, exposure = self.p, self.exposure()
        fighter_value = self.model.params.armed_groups.wage_usd * 52.0
        kept = self.__dict__.get("_terms_kept")
        if kept is not None and kept[0] is p and kept[1] == exposure and kept[2] == fighter_value:
            return kept[3]
        terms = war_kernels.terms(p, p.attack_success * exposure, p.deaths_per_attack * exposure, fighter_value)
        self._terms_kept = (p, exposure, fighter_value, terms)
        return terms

    def opportunities(self) -> dict[str, float]:
        """Targets on offer: convoys and bases stay; patrols shrink with force protection and caveats."""
        return {"convoy": 1.0, "patrol": (1.0 - self.force_protection) * (1.0 - self.caveats), "base": 1.0}

    def step(self, mission: Force, regions: np.ndarray, retaliation: np.ndarray) -> float:
        """Groups attack the mission in its base regions; returns peacekeepers killed this week.

        The attacks themselves are drawn in one compiled kernel (:func:`sim.agents.war_kernels.
        attack_week`), in the model's order: region by region, group by group, target by target,
        each attack's draws at once. Attackers who fell are applied here afterwards in the order
        they fell (the ledger's sums are floats: the order of additions is kept).

        Args:
            mission: The mission force.
            regions: Regions of its bases.
            retaliation: Expected attacks provoked at each place by offensive action (M20).
        """
        model = self.model
        groups = model.armed_groups
        self.attacks = self.ied_attacks = self.deaths = 0.0
        if groups is None:
            return 0.0
        listed = groups.groups
        region_list = regions.tolist()
        members_start, members_flat, n_regions, jihadist = self._listing(listed, region_list)
        bases_start, bases_flat = self._bases_by_region(mission.bases, regions)
        if np.count_nonzero(retaliation):  # offensive action anywhere this week (most weeks, none)
            provoked = np.array([float(retaliation[self._places_in(r)].sum()) for r in region_list])
        else:
            provoked = np.zeros(len(region_list))
        kits = self.kits
        fighters = np.array([g.fighters for g in listed], dtype=np.float64)
        offer = self.opportunities()
        deaths, attacks, ied_attacks, kit_uses, fallen = war_kernels.attack_week(
            kernel_rng.handles(model.rng),
            members_start,
            members_flat,
            bases_start,
            bases_flat,
            provoked,
            fighters,
            n_regions,
            jihadist,
            np.array([kits.get(g.unique_id, 0.0) for g in listed], dtype=np.float64),
            np.array([offer[t] for t in TARGETS]),
            self._terms(),
        )
        self.attacks, self.ied_attacks, self.deaths = float(attacks), float(ied_attacks), float(deaths)
        for i in kit_uses.nonzero()[0].tolist():
            uid = listed[i].unique_id
            for _ in range(int(kit_uses[i])):
                kits[uid] -= 1.0
        if len(fallen):
            events, week_deaths = model.stats.events, model.stats.week["deaths"]
            for i, drawn, place in fallen.tolist():
                g = listed[i]
                dead = min(g.fighters, float(drawn))
                g.fighters -= dead
                events["combatant_deaths"] += dead
                week_deaths[place] += dead
        self._posture()
        return self.deaths

    def _listing(self, listed: list, region_list: list[str]) -> tuple[np.ndarray, ...]:
        """Each region's groups in the groups' order (starts, groups); each group's regions counted; who is jihadist.

        Kept while the groups' regions and kinds and the mission's regions are the same (they change
        in a few weeks of a run); fighters are checked in the kernel when a region's turn comes.
        """
        key = (region_list, [(g.regions, g.kind) for g in listed])  # one pass over the groups
        kept = self.__dict__.get("_listing_kept")
        if kept is not None and kept[0] == key:
            return kept[1]
        members: dict[str, list[int]] = {r: [] for r in region_list}
        for i, g in enumerate(listed):
            for r in dict.fromkeys(g.regions):
                if r in members:
                    members[r].append(i)
        found = (
            *_ragged([members[r] for r in region_list]),
            np.array([len(g.regions) for g in listed], dtype=np.int64),
            np.array([g.kind == GroupKind.JIHADIST for g in listed], dtype=np.bool_),
        )
        self._listing_kept = (key, found)
        return found

    def _places_in(self, region: str) -> np.ndarray:
        """Places of a region, in place order (cached: places never move; comparing strings over all is slow)."""
        masks = self.__dict__.setdefault("_region_masks", {})
        mask = masks.get(region)
        if mask is None:
            mask = masks[region] = np.flatnonzero(self.region == region)
        return mask

    def _bases_by_region(self, bases: np.ndarray, regions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The mission's bases in each of its regions, in base order, as (starts, places).

        Cached by the bases (a timeline replaces them, never edits them in place).
        """
        cache = self.__dict__.setdefault("_bases_ragged", {})
        key = bases.tobytes()
        found = cache.get(key)
        if found is None:
            found = cache[key] = _ragged([[int(b) for b in bases if self.region[b] == r] for r in regions.tolist()])
        return found

    # --- posture --------------------------------------------------------------------------

    def _posture(self) -> None:
        """Losses ratchet force protection up at once; it relaxes slowly. Caveats follow losses (M19)."""
        p = self.p
        self.losses = self.losses * (1.0 - p.loss_memory_decay) + self.deaths
        span = p.force_protection_max - p.force_protection_base
        target = p.force_protection_base + span * (1.0 - math.exp(-self.losses / p.losses_to_bunker))
        relaxed = max(target, self.force_protection - p.posture_relax)
        # np.clip's value (min of max) without its call overhead on a scalar.
        self.force_protection = float(min(max(relaxed, p.force_protection_base), p.force_protection_max))
        self.caveats = float(
            min(p.caveats_max, self.caveats * (1.0 - p.caveat_decay) + p.caveat_per_death * self.deaths)
        )

    def effect_share(self) -> float:
        """Share of the mission's personnel free for its tasks: neither protecting it nor held by caveats."""
        return (1.0 - self.force_protection) * (1.0 - self.caveats)


def _ragged(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Lists of indices as one array and the start of each list (the last start is the end), for a kernel."""
    starts = np.zeros(len(rows) + 1, dtype=np.int64)
    starts[1:] = np.cumsum([len(row) for row in rows])
    return starts, np.array([i for row in rows for i in row], dtype=np.int64)
