"""Dated events of a historical scenario (FACTS.md part C), applied through the model's hooks.

A timeline is a YAML table (``timeline_<name>.yaml`` in the data directory) of entries, each
with an ``id``, a ``date`` (and for windows an ``end``) and one action:

- ``activate``: a dormant armed group of the actors table takes the field (with the places it
  ``holds``); ``take``: a group takes places (the 2012 offensives); ``blocs``: groups join blocs
  (the Algiers coalitions, JNIM); ``split``: part of a group forms another (ISGS from MUJAO);
- ``force``: a force arrives or leaves; ``drawdown``: a force shrinks to nothing by ``end``;
- ``supply``: a good's supply at a source is multiplied within the window (Libyan arms);
- ``state``: a shock to the state within the window (presence, capacity, the political will the
  top drifts toward, external ``pressure`` added to it; :mod:`sim.agents.official`);
- ``policy``: one of the interventions of ``sim/policies`` within the window, with its settings;
- ``close_borders``: the listed countries close their land borders with Mali within the window
  (the ECOWAS closure of 2022; 002 Box C): no consignment crosses the links between them and
  Mali (:mod:`sim.neighbours`);
- ``marker``: no effect; a date other entries can end with.

Entries listed in ``scenario.timeline_skip`` are left out (counterfactuals); an entry's
``ends_with`` names the entry whose date ends its window, so skipping that one keeps it going.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import yaml

from sim.errors import ConfigError, DataError
from sim.neighbours import closing_links
from sim.paramspec import from_dict
from sim.policies import POLICIES, PolicySet
from sim.policies.base import week_of
from sim.world.tables import DATA_DIR

if TYPE_CHECKING:
    from sim.levers import Levers
    from sim.model import SahelModel

ACTIONS = (
    "activate",
    "take",
    "blocs",
    "split",
    "force",
    "drawdown",
    "supply",
    "state",
    "policy",
    "close_borders",
    "marker",
)


def load_timeline(name: str, data_dir: str | None) -> list[dict]:
    """The entries of ``timeline_<name>.yaml`` (the user's data directory first, then the package's)."""
    for root in ([Path(data_dir)] if data_dir else []) + [DATA_DIR]:
        path = root / f"timeline_{name}.yaml"
        if path.exists():
            entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
            for i, e in enumerate(entries):
                if not isinstance(e, dict) or "id" not in e or "date" not in e:
                    raise DataError(str(path), i + 1, "each entry needs an id and a date")
                if sum(a in e for a in ACTIONS) != 1:
                    raise DataError(str(path), i + 1, f"entry {e['id']!r} needs exactly one of {', '.join(ACTIONS)}")
            return entries
    raise ConfigError("scenario.timeline", name, "a timeline_<name>.yaml in the data directory", "no such timeline")


class Timeline:
    """The entries of a timeline, resolved to weeks of one run.

    Args:
        model: The model.
        entries: Entries of the timeline file.
        skip: Ids of entries to leave out.
    """

    def __init__(self, model: SahelModel, entries: list[dict], skip: list[str]):
        self.model = model
        ids = {e["id"] for e in entries}
        for i, s in enumerate(skip):
            if s not in ids:
                raise ConfigError(f"scenario.timeline_skip[{i}]", s, ", ".join(sorted(ids)), "no such event")
        dates = {e["id"]: e["date"] for e in entries}
        self.entries = []
        for e in entries:
            if e["id"] in skip:
                continue
            end = e.get("end")
            if e.get("ends_with") is not None:
                end = None if e["ends_with"] in skip else dates[e["ends_with"]]
            e = {
                **e,
                "first": max(1, week_of(str(e["date"]), model, 1)),
                "last": week_of(str(end) if end else None, model, 10**9),
            }
            if e["last"] < 1:  # a window that closed before the run starts
                if "drawdown" not in e:
                    continue
                e = {**e, "force": e.pop("drawdown"), "active": False}  # the force is gone by then
            if "policy" in e:
                e["object"] = self._policy(e)
            if "close_borders" in e:
                unknown = sorted(set(e["close_borders"]) - set(model.world.country) - {"Mali"})
                if unknown:
                    raise ConfigError(
                        f"timeline.{e['id']}.close_borders", unknown, "countries of places.csv", "unknown"
                    )
                e["closed"] = closing_links(model.world, list(e["close_borders"]))
            self.entries.append(e)
        self.fired: list[str] = []

    def _policy(self, e: dict):
        name = e["policy"]
        if name not in POLICIES:
            raise ConfigError(f"timeline.{e['id']}.policy", name, ", ".join(POLICIES), "unknown policy")
        settings = {**e.get("settings", {}), "enabled": True, "start": str(e["date"])}
        if e["last"] < 10**9:
            settings["end"] = e["last"]
            settings["start"] = e["first"]
        cfg = getattr(from_dict(PolicySet, {name: settings}, "timeline"), name)
        return POLICIES[name](self.model, cfg, name)

    def apply(self, levers: Levers) -> None:
        """Fire the one-off events of this week and set the levers of the windows open now."""
        week = self.model.steps
        for e in self.entries:
            if e["first"] == week and e["id"] not in self.fired:
                self._fire(e)
                self.fired.append(e["id"])
            if e["first"] <= week <= e["last"]:
                self._window(e, levers, week)

    # --- one-off events -------------------------------------------------------------------

    def _fire(self, e: dict) -> None:
        model = self.model
        groups, forces, world = model.armed_groups, model.forces, model.world
        if "activate" in e and groups is not None:
            groups.activate(e["activate"], e.get("holds"), e.get("fighters"))
        elif "take" in e and groups is not None:
            g = groups.by_id(e["take"])
            for pid in e["places"]:
                model.territory.holder[world.index[pid]] = g.index
            groups.refresh()
        elif "blocs" in e and groups is not None:
            for gid, bloc in e["blocs"].items():
                groups.by_id(gid).bloc = groups.bloc_id(bloc)
            groups.refresh()
        elif "split" in e and groups is not None:
            groups.split_off(e["split"], e["into"], float(e.get("share", 0.3)), e.get("holds", []))
        elif "force" in e and forces is not None:
            f = forces.by_id(e["force"])
            f.active = bool(e.get("active", True))
            if "strength" in e:
                f.strength = float(e["strength"])
            if "bases" in e:
                f.bases = np.array([world.index[b] for b in e["bases"]], dtype=np.int64)
            forces.update_garrisons()

    # --- windows --------------------------------------------------------------------------

    def _window(self, e: dict, levers: Levers, week: int) -> None:
        model = self.model
        if "policy" in e:
            e["object"].apply(levers)
        elif "close_borders" in e:
            levers.closed |= e["closed"]
        elif "supply" in e:
            g, src = model.world.good_index(e["supply"]), model.world.index[e["source"]]
            sel = (model.market.group_good == g) & (model.market.group_source == src)
            levers.supply[sel] *= float(e["multiplier"])
        elif "state" in e:
            regions = e.get("regions")
            sel = np.isin(np.array(model.world.region), regions) if regions else model.world.in_mali
            levers.presence[sel] += float(e.get("presence", 0.0))
            levers.capacity[sel] += float(e.get("capacity", 0.0))
            if "political_will" in e:
                levers.political_will = float(e["political_will"])
            levers.pressure += float(e.get("pressure", 0.0))
        elif "drawdown" in e and model.forces is not None:
            f = model.forces.by_id(e["drawdown"])
            if not hasattr(f, "drawdown_from"):
                f.drawdown_from = f.strength
            span = max(1, e["last"] - e["first"])
            f.strength = f.drawdown_from * max(0.0, 1 - (week - e["first"]) / span)
            if week >= e["last"]:
                f.active = False


__all__ = ["Timeline", "load_timeline"]
