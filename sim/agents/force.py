"""Forces: the state's army, the UN mission, counter-terrorism forces and the G5 Sahel.

- **State forces** (FAMA) hold their bases, defend state-held places, and abuse civilians
  in insecure regions; joint operations with Wagner abuse far more and shut the mission out
  (002 §III later years; M24).
- **The mission** (MINUSMA) splits its capacity between force protection and its tasks:
  protection of civilians, support to the state (police, justice, presence) and organized
  crime. Groups choose to attack it and its posture ratchets with its losses
  (:mod:`sim.agents.mission_war`; M19; F13, F14); a task only works if it is among the few
  main ones (F21). Without arrest powers (003), its organized-crime task acts only through
  Malian police and judges.
- **Counter-terrorism** forces (Serval, then Barkhane) raid the groups they target: jihadist
  groups only, as Serval did, or all armed groups in the trade; traffickers are not
  targeted (002 §III; M6).
- **The G5 Sahel task force** tightens checkpoints at crossings in its zone (002 Box E; F17).

Forces are few, so they are plain Mesa agents; :class:`Forces` runs their week in a fixed
order and applies their effects through the shared territory and checkpoint pressure.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.agents.mission_war import MissionWar
from sim.draws import choice_cdf
from sim.lazy import lazy_module
from sim.names import GroupKind
from sim.world.tables import PLACE_KINDS

war_kernels = lazy_module("sim.agents.war_kernels")
kernel_rng = lazy_module("sim.kernel_rng")

if TYPE_CHECKING:
    from sim.model import SahelModel

OTHER_TASK_WEIGHTS = (0.3, 0.2, 0.15)  # the mission's other main tasks (political process, elections, human rights)
IDLE_TASK_EFFECT = 0.1  # what a task outside the main ones still achieves (F21: little; assumption)
REGION_COVER = 0.3  # share of a base's garrison that can defend the rest of its region (assumption)


class ForceKind(enum.IntEnum):
    """Kinds of force."""

    STATE = 0
    MISSION = 1
    COUNTER_TERRORISM = 2
    REGIONAL = 3
    WAGNER = 4


class Force(mesa.Agent):
    """A force: personnel at real bases."""

    def __init__(self, model, name: str, kind: ForceKind, strength: float, bases: np.ndarray):
        super().__init__(model)
        self.name, self.kind, self.strength = name, kind, float(strength)
        self.bases = np.asarray(bases, dtype=np.int64)
        self.active = True
        self.deaths = 0.0


class Forces:
    """All forces and their weekly effects.

    Args:
        model: The model.
        specs: Forces from actors.yaml.
    """

    def __init__(self, model: SahelModel, specs: list[dict]):
        self.model = model
        self.p = model.params.forces
        world = model.world
        self.world = world
        self.forces: list[Force] = []
        for spec in specs:
            kind = ForceKind[spec["kind"].upper()]
            strength = self.p.mission_strength if kind == ForceKind.MISSION else spec["strength"]
            bases = [world.index[b] for b in spec["bases"]]
            force = Force(model, spec["name"], kind, strength, bases)
            force.fid = spec["id"]
            force.active = spec.get("active", True)  # a historical timeline brings it in later
            self.forces.append(force)
        self.region = np.array(world.region)
        self.war = MissionWar(model)
        self.oc_support = np.zeros(world.n_places)  # capacity the organized-crime task gives Malian officials
        self.mission_access = 1.0
        self.targeting = self.p.ct_targeting
        self.shield = np.ones(world.n_places)
        crossing = world.kind == PLACE_KINDS.index("crossing")
        self.checkpoint_places = world.in_mali & np.isin(
            world.kind, [PLACE_KINDS.index("crossing"), PLACE_KINDS.index("town")]
        )
        self.crossings = crossing & world.in_mali
        self.update_garrisons()

    def by_id(self, fid: str) -> Force:
        """The force of an actors-table id."""
        for f in self.forces:
            if f.fid == fid:
                return f
        raise KeyError(fid)

    def of_kind(self, kind: ForceKind) -> list[Force]:
        """Active forces of one kind."""
        return [f for f in self.forces if f.kind == kind and f.active and f.strength > 0]

    def _base_regions(self, force: Force) -> np.ndarray:
        return self._bases_view(force.bases)[0]

    def _bases_view(self, bases: np.ndarray) -> tuple[np.ndarray, frozenset, np.ndarray, np.ndarray]:
        """Regions of a set of bases, as an array and a set; the Malian places in them, and those with checkpoints.

        Cached by the bases (a timeline may replace a force's bases, never edit them in place):
        the string comparisons over every place cost more than a week's arithmetic (issue 18).
        """
        cache = self.__dict__.setdefault("_bases_cache", {})
        key = bases.tobytes()
        view = cache.get(key)
        if view is None:
            regions = np.unique(self.region[bases])
            in_region = np.isin(self.region, regions) & self.world.in_mali
            checkpoints = np.flatnonzero(in_region & self.checkpoint_places)
            view = cache[key] = (regions, frozenset(regions.tolist()), np.flatnonzero(in_region), checkpoints)
        return view

    def update_garrisons(self) -> None:
        """State forces defending each place: a base's garrison, or a share of it in its region.

        Kept while the same forces hold the same bases with the same strengths (most weeks): the
        sums would be the same (issue 18, "state10").
        """
        forces = self.of_kind(ForceKind.STATE) + self.of_kind(ForceKind.WAGNER)
        key = [(f.strength, f.bases.tobytes()) for f in forces]  # in order: the order of the sums
        if key == self.__dict__.get("_garrison_key"):
            return
        garrison = np.zeros(self.world.n_places)
        for f in forces:
            per_base = f.strength / max(1, len(f.bases))
            in_region = self._bases_view(f.bases)[2]  # distinct places: the same single addition each
            garrison[in_region] += REGION_COVER * per_base
            garrison[f.bases] += (1 - REGION_COVER) * per_base
        self.garrison = garrison
        self._garrison_key = key

    def state_losses(self, place: int, dead: float) -> None:
        """Soldiers killed defending a place."""
        self.model.stats.events["state_deaths"] += dead
        forces = self.of_kind(ForceKind.STATE)
        if forces:
            forces[0].deaths += dead  # recruits replace the fallen: strength stays

    # --- the weekly phase --------------------------------------------------------------

    def step(self) -> None:
        """Attacks on the mission, its task split, raids, abuses and checkpoint pressure."""
        model = self.model
        model.territory.support.fill(0.0)
        model.pressure_multiplier.fill(1.0)
        self.shield.fill(1.0)
        self._mission()
        self._counter_terrorism()
        self._state_forces()
        self._regional()
        self.update_garrisons()
        model.territory.update_presence(model.levers.presence)

    @property
    def force_protection_share(self) -> float:
        """Share of the mission's capacity protecting its convoys, personnel and equipment (M19; F14)."""
        return self.war.force_protection

    def _mission(self) -> None:
        """Groups attack the mission (its posture ratchets); the rest of its capacity goes to its tasks (F21).

        The mission has no arrest powers and no border role (003): its organized-crime task works
        only through Malian officials, by raising the capacity of police and judges where it is
        deployed (a co-located police cell, a specialized judicial unit; 002 §III) and by the
        information it shares with them (officials' detection at checkpoints). Where no officials
        work, it seizes nothing.
        """
        p, model = self.p, self.model
        self.oc_support.fill(0.0)
        self.war.supply_kits()
        for mission in self.of_kind(ForceKind.MISSION):
            regions = self._base_regions(mission)
            deaths = self.war.step(mission, regions, model.levers.retaliation)
            mission.deaths += deaths  # troop contributors replace the fallen: strength stays
            model.stats.events["peacekeeper_deaths"] += deaths
            weights, cutoff, total = self._tasks(model.levers)
            strength = model.levers.mission_strength if model.levers.mission_strength is not None else mission.strength
            available = strength * self.war.effect_share() * self.mission_access
            effective = {
                task: available * w / total * (1.0 if w >= cutoff and w > 0 else IDLE_TASK_EFFECT)
                for task, w in weights.items()
            }
            # Each region of its bases gets the same share: one update over all their places, each
            # place once (the regions are distinct), as region by region did.
            _, _, sel, checkpoints = self._bases_view(mission.bases)
            per_k = 1.0 / len(regions) / 1000.0
            model.territory.support[sel] += p.support_effect * effective["state"] * per_k
            # Organized crime: Malian police and judges gain capacity; officials detect more (003; 002 §III).
            self.oc_support[sel] += p.oc_capacity_effect * effective["oc"] * per_k
            model.pressure_multiplier[checkpoints] += p.oc_effect * effective["oc"] * per_k
            self.shield[sel] *= 1.0 / (1.0 + p.poc_effect * effective["poc"] * per_k)
        officials = model.officials
        if officials is not None:
            officials.boost_capacity(model.territory.support, self.oc_support, model.levers.capacity)

    def _task_weights(self, levers) -> dict[str, float]:
        p = self.p
        oc = levers.mission_oc_weight if levers.mission_oc_weight is not None else p.mission_oc_weight
        return {"poc": p.mission_poc_weight, "state": p.mission_state_weight, "oc": oc}

    def _tasks(self, levers) -> tuple[dict[str, float], float, float]:
        """The mission's task weights, the weakest main task's weight and the weights' total (F21).

        Kept while the organized-crime weight the levers set is the same (the others are
        parameters): the same weights give the same cutoff and sums (issue 18, "state11").
        """
        key = (self.p, levers.mission_oc_weight)
        kept = self.__dict__.get("_tasks_kept")
        if kept is not None and kept[0][0] is key[0] and kept[0][1] == key[1]:
            return kept[1]
        weights = self._task_weights(levers)
        found = (weights, self._main_task_cutoff(weights), sum(weights.values()) + sum(OTHER_TASK_WEIGHTS))
        self._tasks_kept = (key, found)
        return found

    def _main_task_cutoff(self, weights: dict[str, float]) -> float:
        ranked = sorted([*weights.values(), *OTHER_TASK_WEIGHTS], reverse=True)
        return ranked[min(self.p.mission_top_tasks, len(ranked)) - 1]

    def oc_is_main_task(self, levers) -> bool:
        """Whether organized crime is among the mission's main tasks this week (F21; M13)."""
        if not self.of_kind(ForceKind.MISSION):
            return False
        weights = self._task_weights(levers)
        return weights["oc"] > 0 and weights["oc"] >= self._main_task_cutoff(weights)

    def _counter_terrorism(self) -> None:
        """Raids on targeted groups near the force's bases (M6: traffickers are not targeted)."""
        groups, model = self.model.armed_groups, self.model
        if groups is None:
            return
        p, levers = self.p, model.levers
        targeting = levers.ct_targeting or self.targeting
        known = self._ct_knowledge(levers)
        for force in self.of_kind(ForceKind.COUNTER_TERRORISM):
            strength = force.strength * p.ct_strength_scale * levers.ct_strength
            raids = model.rng.poisson(p.ct_raids_per_1000 * strength / 1000.0)
            regions = self._bases_view(force.bases)[1]
            targets = [
                g
                for g in groups.active
                if (g.kind == GroupKind.JIHADIST or targeting == "all_armed")
                and g.kind != GroupKind.PRO_GOVERNMENT
                and not regions.isdisjoint(g.regions)  # shares a region (no intersection built)
            ]
            if not targets:
                continue
            weight = np.array([g.fighters for g in targets])
            # Read before the raids, the same for each: choice's cumulative shares, taken once.
            cdf = choice_cdf(weight / weight.sum()) if raids else None
            for _ in range(raids):
                g = targets[int(cdf.searchsorted(model.rng.random(), side="right"))]  # as rng.choice(len(p), p=p)
                places = g.places
                # Knowledge acted on (M13): strike where the group earns most, and harder.
                k = float(known[g.index]) if known is not None else 0.0
                kill_share = min(1.0, p.raid_kill_share * (1.0 + k))
                if len(places) and k > 0 and model.rng.random() < k:
                    place = int(places[np.argmax(groups.rent[places])])
                elif len(places):
                    place = int(places[model.rng.integers(len(places))])
                else:
                    in_region = self._regions_places(g.regions)
                    place = int(in_region[model.rng.integers(len(in_region))])
                groups.raid(g, place, kill_share, p.raid_retake)

    def _regions_places(self, regions: tuple[str, ...]) -> np.ndarray:
        """Malian places in any of these regions, in place order (cached by the regions)."""
        cache = self.__dict__.setdefault("_regions_places_cache", {})
        found = cache.get(regions)
        if found is None:
            found = cache[regions] = np.flatnonzero(np.isin(self.region, list(regions)) & self.world.in_mali)
        return found

    def _ct_knowledge(self, levers) -> np.ndarray | None:
        """What counter-terrorism knows of each group's part in the trade, if it acts on it (M13).

        It acts on the Malian services' knowledge, fused with the mission's and the Panel's as far
        as the intelligence policy fuses them (:mod:`sim.knowledge`); ``None`` when not acted on.
        """
        knowledge = self.model.knowledge
        if knowledge is None or not levers.intel_acted:
            return None
        from sim.knowledge import STATE

        return knowledge.view(knowledge.fitted("groups", len(self.model.armed_groups.groups)), STATE, levers.fusion)

    def _state_forces(self) -> None:
        """Abuses by state forces in insecure regions, worse with Wagner (M24)."""
        model, p = self.model, self.p
        wagner = bool(self.of_kind(ForceKind.WAGNER))
        self.mission_access = 0.5 if wagner else 1.0
        mult = p.wagner_abuse_multiplier if wagner else 1.0
        insecurity = model.territory.insecurity
        for force in self.of_kind(ForceKind.STATE):
            # The draws base by base in one compiled call (war_kernels.abuse_draws); applied here in order.
            bases = force.bases
            killed_at = war_kernels.abuse_draws(kernel_rng.handles(model.rng), bases, insecurity, p.abuse_rate * mult)
            for i in killed_at.nonzero()[0].tolist():  # flatnonzero's indices (one row), no wrapper
                base, killed = int(bases[i]), float(killed_at[i])
                model.territory.abuses[base] += killed
                model.territory.violence[base] += killed
                model.stats.events["civilian_deaths"] += killed
                model.stats.week["civilian_deaths"][base] += killed
                model.stats.week["deaths"][base] += killed

    def _regional(self) -> None:
        """The G5 Sahel task force tightens the crossings of its zone (F17)."""
        model, p = self.model, self.p
        for force in self.of_kind(ForceKind.REGIONAL):
            sel = self._crossings_of(force.bases)
            model.pressure_multiplier[sel] += p.g5_pressure * force.strength / 5000.0

    def _crossings_of(self, bases: np.ndarray) -> np.ndarray:
        """Malian crossings in the regions of these bases (cached by the bases)."""
        cache = self.__dict__.setdefault("_crossings_cache", {})
        key = bases.tobytes()
        found = cache.get(key)
        if found is None:
            found = cache[key] = np.flatnonzero(np.isin(self.region, self._bases_view(bases)[0]) & self.crossings)
        return found
