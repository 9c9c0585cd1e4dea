"""Dated events and policy windows of a run, as the charts and the map annotate them.

The events are the entries of the scenario's timeline (``sim/world/data/timeline_<name>.yaml``,
read by :class:`sim.timeline.Timeline`); the best known of them carry a short name on the
charts (:data:`KEY_EVENTS`), the others a dashed rule with a hover text. Policy windows are the
timeline's policy entries and the policies chosen on the page, from their first week to their
last (or the horizon).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simviz.session import Settings, week_date

if TYPE_CHECKING:
    from sim.model import SahelModel

# Timeline ids with the name an analyst knows them by (FACTS.md part C).
KEY_EVENTS = {
    "mnla_offensive": "MNLA offensive",
    "coup_2012": "2012 coup",
    "azawad": "Azawad declared",
    "serval": "Serval",
    "minusma": "MINUSMA",
    "barkhane": "Barkhane",
    "algiers": "Algiers accord",
    "jnim": "JNIM formed",
    "coups": "2020-21 coups",
    "wagner": "Wagner",
    "barkhane_out": "Barkhane leaves",
    "minusma_exit": "MINUSMA leaves",
}


def _name(entry: dict) -> str:
    return KEY_EVENTS.get(entry["id"], entry["id"].replace("_", " "))


def event_table(model: SahelModel) -> list[dict]:
    """One record per dated event of the scenario's timeline within the run."""
    timeline = getattr(model, "timeline", None)
    if timeline is None:
        return []
    start, horizon = model.start_date, int(model.params.steps)
    rows = []
    for e in timeline.entries:
        if "policy" in e or e["first"] > horizon:
            continue
        rows.append(
            {
                "date": week_date(start, e["first"]).isoformat(),
                "label": _name(e),
                "key": e["id"] in KEY_EVENTS,
                "basis": str(e.get("basis", "")),
            }
        )
    return rows


def window_table(model: SahelModel, settings: Settings) -> list[dict]:
    """One record per policy window: the timeline's and the page's policies, first to last week."""
    start, horizon = model.start_date, int(model.params.steps)
    rows = []
    timeline = getattr(model, "timeline", None)
    for e in timeline.entries if timeline is not None else []:
        if "policy" in e:
            last = min(e["last"], horizon)
            rows.append(_window(start, e["first"], last, f"{e['policy'].replace('_', ' ')} ({_name(e)})"))
    for name in settings.active():
        first = int(settings.policy(name).start)
        rows.append(_window(start, first, horizon, f"{name.replace('_', ' ')} (chosen on the page)"))
    return rows


def _window(start, first: int, last: int, label: str) -> dict:
    return {"date": week_date(start, first - 1).isoformat(), "end": week_date(start, last).isoformat(), "label": label}


def latest_event(model: SahelModel) -> str | None:
    """The most recent named event up to the model's week, with its date (for the map's title)."""
    timeline = getattr(model, "timeline", None)
    if timeline is None:
        return None
    past = [e for e in timeline.entries if e["first"] <= model.steps and "policy" not in e and e["id"] in KEY_EVENTS]
    if not past:
        return None
    e = max(past, key=lambda e: e["first"])
    return f"{_name(e)} ({week_date(model.start_date, e['first']):%b %Y})"
