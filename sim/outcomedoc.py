"""Generate ``docs/outcomes.md`` from the outcome registry (:mod:`sim.outcomes`).

Run ``python -m sim.outcomedoc`` after adding or changing an outcome; ``tests/test_package.py``
fails while the committed table differs from what the registry says. Families of outcomes (one
per region, good or crossing) are shown once, with ``{region}``, ``{good}`` or ``{crossing}`` in
the name, and their members listed below the table.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from sim.outcomes import TAGS, Outcome, build_registry, mali_regions, region_slug
from sim.paramdoc import write_or_check
from sim.world import load_world

DOC = Path(__file__).resolve().parent.parent / "docs" / "outcomes.md"


def registry_of_world(data_dir: str = "") -> list[Outcome]:
    """The registry for a world's tables, every good traded (no model is built)."""
    world = load_world(data_dir)
    stand_in = SimpleNamespace(world=world, routes=SimpleNamespace(good=np.arange(len(world.goods))))
    return build_registry(stand_in)


def _patterns(world) -> list[tuple[str, str, str, str]]:
    """(placeholder, slug in names, word in descriptions) for every member of every family."""
    out = []
    for region in mali_regions(SimpleNamespace(world=world)):
        out.append(("{region}", region_slug(region), region, "region"))
    for p in world.places_of_kind("crossing"):
        out.append(("{crossing}", world.place_ids[p], world.names[p], "crossing"))
    for good in world.goods:
        out.append(("{good}", good.id, good.id, "good"))
    return out


def family(outcome: Outcome, patterns: Iterable[tuple[str, str, str, str]]) -> tuple[str, str, dict[str, str]]:
    """An outcome's family name and description, and the members it stands for by kind."""
    parts = outcome.name.split(".")
    doc = outcome.doc
    members: dict[str, str] = {}
    for placeholder, slug, word, kind in patterns:
        if kind in members or slug not in parts[1:]:
            continue
        parts = [placeholder if (i > 0 and p == slug) else p for i, p in enumerate(parts)]
        doc = doc.replace(word, placeholder, 1)
        members[kind] = slug
    return ".".join(parts), doc, members


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _reduce(outcome: Outcome) -> str:
    return outcome.reduce if isinstance(outcome.reduce, str) else "to date"


def render(data_dir: str = "") -> str:
    """The Markdown of the outcome table."""
    world = load_world(data_dir)
    registry = registry_of_world(data_dir)
    patterns = _patterns(world)
    rows: dict[str, tuple[Outcome, str, str]] = {}
    members: dict[str, dict[str, list[str]]] = {}
    for o in registry:
        name, doc, of = family(o, patterns)
        unit = "unit of the good" if "good" in of else o.unit
        rows.setdefault(name, (o, doc, unit))
        for kind, slug in of.items():
            members.setdefault(name, {}).setdefault(kind, [])
            if slug not in members[name][kind]:
                members[name][kind].append(slug)
    lines = [
        "# Outcomes",
        "",
        "Generated from the registry in `sim/outcomes.py` by `python -m sim.outcomedoc`; do not edit by hand",
        "(`tests/test_package.py` fails while this file is stale). Every outcome is a column of a run's",
        "`timeseries.parquet` (its weekly value) and a key of its `summary.json` (its value over the run:",
        "the sum, mean or last value of the weekly series, or its own total *to date*). Reports, figures,",
        "the browser and the command line choose outcomes by tag.",
        "",
        "## Tags",
        "",
        "| tag | outcomes (families count once) | meaning |",
        "|---|---|---|",
    ]
    for tag, meaning in TAGS.items():
        n = sum(1 for o, _, _ in rows.values() if tag in o.tags)
        lines.append(f"| `{tag}` | {n} | {_cell(meaning)} |")
    lines += [
        "",
        "## Registry",
        "",
        "| outcome | unit | better | over the run | tags | what it measures |",
        "|---|---|---|---|---|---|",
    ]
    for name, (o, doc, unit) in rows.items():
        tags = ", ".join(o.tags)
        better = o.better or "neither"
        lines.append(f"| `{_cell(name)}` | {_cell(unit)} | {better} | {_reduce(o)} | {tags} | {_cell(doc)} |")
    kinds = {kind: sorted({s for m in members.values() for s in m.get(kind, [])}) for kind in ("region", "crossing")}
    lines += [
        "",
        "## Families",
        "",
        "A name with `{region}` stands for one outcome per region of Mali with places: "
        + ", ".join(f"`{s}`" for s in kinds["region"])
        + ". Fatalities by region count fighters, civilians and soldiers where they died; peacekeepers are"
        " counted only in `peacekeeper_fatalities`.",
        "",
        "A name with `{crossing}` stands for one outcome per border crossing: "
        + ", ".join(f"`{s}`" for s in kinds["crossing"])
        + ".",
        "",
        "A name with `{good}` stands for one outcome per good the scenario trades (the default scenario: "
        + ", ".join(f"`{g.id}`" for g in world.goods)
        + ").",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    """Write the table; with ``--check``, only report whether it is up to date."""
    return write_or_check(DOC, render(), "sim.outcomedoc", sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
