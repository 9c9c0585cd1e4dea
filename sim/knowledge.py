"""Knowledge of networks: who moves and protects the value, as each holder knows it (002 §III, §IV; M13).

Three holders gather information on people: the mission's analysis cells (JMAC and ASIFU), the
Malian state's services, and the UN Panel of Experts (002 §III, §IV). Each holds a score in
[0, 1] for every crew, armed group and official (senior patrons included): how well it knows
that entity's part in moving and protecting illicit value. Scores grow from sources and fade
when the sources go silent (``decay`` a week):

- communities inform those they trust, where those are present: the mission in the regions of
  its bases, the state where it is present (000: the lack of local analysis; 002 §IV: JMAC and
  ASIFU "lacked the languages, background, and relevant local sources");
- seizures and cases put crews on record (the evidence officials record at checkpoints); the
  state holds that record, the mission shares it where it supports Malian police and justice
  (co-location, 002 §III);
- the Panel of Experts investigates on its own across Mali, following the money: the more value
  an entity moves, the likelier the Panel finds it (002 §III, §IV, Box C);
- evidence on officials leads up the chain: what a holder knows of an official's rents tells it
  about his patron ("led straight to the top", 002 §III).

Holders keep their knowledge in silos (002 §IV: "information silos"; the Panel's work "tended
to be siloed from the larger political focus of the mission"). Fusion, which the intelligence
policy buys, lets a decision read all holders at once: the fused score of an entity is the
chance that at least one holder knows it, 1 - prod(1 - k). Whether a decision acts on knowledge
is decided by the policies that use it (raids, listings, mediation), not here.

Everything is a few numpy arrays; the weekly update is one pass over them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.lazy import lazy_module

kernels = lazy_module("sim.knowledge_kernels")

if TYPE_CHECKING:
    from sim.model import SahelModel

HOLDERS = ("mission", "state", "panel")
MISSION, STATE, PANEL = range(3)
TRADE_SOURCES = ("tolls", "protection", "trafficking")  # a group's revenue from the trade (M1)


def fuse(k: np.ndarray) -> np.ndarray:
    """Fused knowledge over holders (axis 0): the chance that at least one of them knows."""
    return 1.0 - np.prod(1.0 - k, axis=0)


def _bincount_rows(index: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """``np.bincount(index, weights=row, minlength=n)`` for each row of ``weights``, in one call.

    Row ``h``'s entries go to bins ``h * n + index``; bincount adds each bin's weights in the
    order they come, from zero, so every sum is the one a bincount of that row alone gives.
    """
    rows = len(weights)
    bins = (np.arange(rows)[:, None] * n + index).ravel()
    return np.bincount(bins, weights=np.ravel(weights), minlength=rows * n).reshape(rows, n)


def _fit(a: np.ndarray, n: int) -> np.ndarray:
    """``a`` with its last axis grown to ``n`` entries (new ones zero); tables and groups grow."""
    if a.shape[-1] >= n:
        return a
    out = np.zeros((*a.shape[:-1], n))
    out[..., : a.shape[-1]] = a
    return out


class Knowledge:
    """What the mission, the state and the Panel know of crews, groups and officials.

    Args:
        model: The model (crews, officials, forces, communities and groups are read each week).
    """

    def __init__(self, model: SahelModel):
        self.model = model
        self.p = model.params.knowledge
        n = len(HOLDERS)
        self.crews = np.zeros((n, model.crews.size))
        self.groups = np.zeros((n, len(model.armed_groups.groups) if model.armed_groups is not None else 0))
        self.officials = np.zeros((n, model.officials.size if model.officials is not None else 0))
        self._born = np.full(model.crews.size, -1, dtype=np.int64)  # entry week of the crew each score is about
        self._evidence = np.zeros(model.crews.size)  # evidence seen last week
        self._disposition = np.zeros(self.officials.shape[1])  # a new official in a row has a new disposition
        self.sources = np.zeros((n, model.world.n_places))
        self.trade_share = np.zeros(self.groups.shape[1])  # each group's share of revenue from the trade

    # --- the week ----------------------------------------------------------------------------

    def update(self) -> None:
        """Fade every score, then add what this week's sources tell each holder.

        The sources, then the crews', the groups' and the officials' scores, in one compiled call
        (``knowledge_kernels.update_week``; issue 18, "state10"); :meth:`_update_crews`,
        :meth:`_update_groups` and :meth:`_update_officials` do each part alone from ``sources``.
        """
        keep = 1.0 - self.p.decay
        officials = self._official_inputs()
        inputs = (self._source_inputs(), self._crew_inputs(), self._group_inputs(), officials)
        self.sources = kernels.update_week(keep, *inputs)
        if officials is not None:
            self._disposition = self.model.officials.cols["disposition"].copy()

    def _sources(self) -> np.ndarray:
        """Weekly odds that each holder learns of an entity active at each place (holders x places)."""
        return kernels.sources(*self._source_inputs())

    def _source_inputs(self) -> tuple:
        """What the sources are computed from (``knowledge_kernels.sources``' arguments)."""
        model, p = self.model, self.p
        world = model.world
        places = self._places()
        trust = model.communities.trust_at(places) if model.communities is not None else np.full(world.n_places, 0.5)
        presence = model.territory.presence
        # One pass over the places (compiled, issue 18 "state10"); the products as numpy took them.
        args = (p.mission_sources, p.state_sources, p.panel_investigation)
        return (trust, world.in_mali, self._mission_access(), presence, *args)

    def _places(self) -> np.ndarray:
        """Every place, in order (kept: places never change)."""
        places = getattr(self, "_all_places", None)  # absent in states saved before it was kept
        if places is None:
            places = self._all_places = np.arange(self.model.world.n_places)
        return places

    def _mission_access(self) -> np.ndarray:
        """The mission's access at each place: in the regions of its bases in Mali, 0 elsewhere.

        Bases and access change in few weeks; the vector is rebuilt only when one of them did
        (bases compared by content, so a base moved in place is seen).
        """
        model = self.model
        world = model.world
        if model.forces is None:
            return np.zeros(world.n_places)
        from sim.agents.force import ForceKind  # policies import this module, and no agents (layering)

        forces = model.forces.of_kind(ForceKind.MISSION)
        key = (model.forces.mission_access, tuple(np.asarray(f.bases).tobytes() for f in forces))
        kept = getattr(self, "_mission_kept", None)  # absent in states saved before it was kept
        if kept is not None and kept[0] == key:
            return kept[1]
        region = self._region_codes()
        mission = np.zeros(world.n_places)
        for force in forces:
            covered = np.zeros(region.max() + 1, dtype=bool)  # the regions of the force's bases
            covered[region[force.bases]] = True
            mission[covered[region] & world.in_mali] = model.forces.mission_access
        self._mission_kept = (key, mission)
        return mission

    def _update_crews(self, keep: float) -> None:
        """The crews' part of :meth:`update`, from ``sources``."""
        scores, born, last_born, *rest = self._crew_inputs()
        kernels.update_crews(scores, keep, born, last_born, *rest[:4], self.sources, *rest[4:])

    def _crew_inputs(self) -> tuple:
        """The crews' scores (rows fitted) and what ``knowledge_kernels.update_crews`` reads besides the sources."""
        crews = self.model.crews
        c = crews.cols
        if len(self._born) < crews.size:
            self.crews = _fit(self.crews, crews.size)
            self._born = np.concatenate([self._born, np.full(crews.size - len(self._born), -1, dtype=np.int64)])
            self._evidence = _fit(self._evidence, crews.size)
        forces = self.model.forces
        support = forces.oc_support if forces is not None else np.zeros(self.model.world.n_places)
        route_places = self._route_places(crews.routes.nodes)
        # A crew that entered in a freed row (a new entry week) is a stranger to everyone; the kernel
        # forgets it, fades, learns, and keeps this week's evidence (issue 18, "state10").
        moving = (c["alive"], c["cargo"], c["home"], c["route"], route_places, c["cargo_value_ref"])
        return (self.crews, c["born"], self._born, *moving, c["evidence"], self._evidence, support, self.p.evidence)

    def _region_codes(self) -> np.ndarray:
        """Each place's region as a small integer (regions never change): lookups instead of string sets."""
        codes = getattr(self, "_regions", None)  # absent in states saved before it was kept
        if codes is None:
            codes = self._regions = np.unique(np.asarray(self.model.world.region), return_inverse=True)[1]
        return codes

    def _route_places(self, nodes: np.ndarray) -> np.ndarray:
        """Places along each route (positions x routes), -1 padding pointing past the last place; kept per run.

        The candidate routes do not change during a run; the table is rebuilt if they are other ones.
        """
        cached = getattr(self, "_route_table", None)  # absent in states saved before it existed
        if cached is None or cached[0] is not nodes:
            n_places = self.model.world.n_places
            cached = (nodes, np.ascontiguousarray(np.where(nodes >= 0, nodes, n_places).T))
            self._route_table = cached
        return cached[1]

    def _update_groups(self, keep: float) -> None:
        """The groups' part of :meth:`update`, from ``sources``."""
        inputs = self._group_inputs()
        if inputs is not None:
            scores, holder, trade_share = inputs
            kernels.update_groups(scores, keep, holder, self.sources, trade_share)

    def _group_inputs(self) -> tuple | None:
        """The groups' scores (fitted), the places' holders and the groups' trade shares (None: no groups)."""
        groups = self.model.armed_groups
        if groups is None:
            return None
        n = len(groups.groups)
        self.groups = _fit(self.groups, n)
        self.trade_share = _fit(self.trade_share, n)
        tolls, protection, trafficking = TRADE_SOURCES
        share = self.trade_share
        for g in groups.groups:
            revenue = g.revenue
            total = sum(revenue.values())
            if total > 0 and g.fighters > 0:
                get = revenue.get
                # Added left to right from 0, as sum() adds them (a generator costs more than the sum).
                share[g.index] = (0 + get(tolls, 0.0) + get(protection, 0.0) + get(trafficking, 0.0)) / total
            else:  # no revenue or no fighters: no share (the trade's sum is not needed)
                share[g.index] = 0.0
        # Fade, then learn from the sources at the places each group holds (compiled, issue 18).
        return self.groups, self.model.territory.holder, self.trade_share

    def _update_officials(self, keep: float) -> None:
        """The officials' part of :meth:`update`, from ``sources``."""
        inputs = self._official_inputs()
        if inputs is not None:
            kernels.update_officials(*inputs[:1], keep, *inputs[1:-1], self.sources, inputs[-1])
            self._disposition = self.model.officials.cols["disposition"].copy()

    def _official_inputs(self) -> tuple | None:
        """The officials' scores (fitted) and what ``knowledge_kernels.update_officials`` reads (None: none)."""
        officials = self.model.officials
        if officials is None:
            return None
        c = officials.cols
        self.officials = _fit(self.officials, officials.size)
        self._disposition = _fit(self._disposition, officials.size)
        # New men (anti-corruption replaced them) and the dead are unknown; then fade and learn (compiled).
        args = (c["disposition"], self._disposition, c["alive"], c["rents"], c["pay"], c["post"], c["patron"])
        return (self.officials, *args, self.p.chain)

    # --- reading it ------------------------------------------------------------------------

    def fitted(self, kind: str, n: int) -> np.ndarray:
        """The scores of ``kind`` (crews, groups, officials) for ``n`` rows: rows added since the update are unknown."""
        return _fit(getattr(self, kind), n)

    def view(self, scores: np.ndarray, holder: int, fusion: float) -> np.ndarray:
        """What ``holder`` can act on: its own silo, blended toward the fused view by ``fusion`` (0 to 1)."""
        f = min(1.0, max(0.0, fusion))
        return (1.0 - f) * scores[holder] + f * fuse(scores)

    def fused_share(self) -> float:
        """Share of what all holders know of live crews that no single holder knows alone (0: all in silos)."""
        alive = self.model.crews.cols["alive"][: self.crews.shape[1]]
        k = self.crews[:, alive]
        fused = float(fuse(k).sum())
        best = float(k.max(axis=0).sum()) if k.size else 0.0
        return (fused - best) / fused if fused > 0 else 0.0

    def group_trade_known(self, group_index: int) -> float:
        """How well the state and the mission can verify a group's part in the trade (0 to 1).

        The knowledge the parties to a deal can check it against: the fused view of all holders
        when the intelligence policy fuses the silos this week (``levers.fusion``), otherwise the
        larger of the mission's and the state's own silos. Scores grow with the share of the
        group's revenue that comes from the trade, so a group outside it is little known here.
        """
        if not 0 <= group_index < self.groups.shape[1]:
            return 0.0
        k = self.groups[:, group_index]
        f = min(1.0, max(0.0, float(getattr(self.model.levers, "fusion", 0.0))))
        own = max(float(k[MISSION]), float(k[STATE]))
        return float(min(1.0, max(0.0, (1.0 - f) * own + f * float(fuse(k[:, None])[0]))))


__all__ = ["HOLDERS", "MISSION", "PANEL", "STATE", "Knowledge", "fuse"]
