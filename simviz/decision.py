"""Decision-support results on the sweep page: scenario-discovery boxes and a search's Pareto front.

Reads what the commands wrote (``discovery/discovery.json`` and its figures from
``python -m experiments.discover``; ``front.csv``, ``front.png`` and ``front.json`` from
``python -m experiments.search``) in a sweep or search directory; draws nothing itself. The sweep
page shows :func:`DecisionResults` under its figures when a directory holds either. Each package
of a front links to the scenario page, which opens one of the runs it was scored on
(:mod:`simviz.package`).
"""

# ruff: noqa: N802
from __future__ import annotations

import html
import json
import urllib.parse
from pathlib import Path

import pandas as pd
import solara

DISCOVERY = Path("discovery") / "discovery.json"
FRONT = "front.csv"
FRONT_JSON = "front.json"


def has_results(directory: str | Path) -> bool:
    """Whether a directory holds discovery or search results."""
    d = Path(directory)
    return (d / DISCOVERY).exists() or (d / FRONT).exists()


def boxes_table(result: dict) -> pd.DataFrame:
    """One row per box of a discovery result: question, method, coverage, density, restrictions."""
    rows = []
    for question, found in result.get("questions", {}).items():
        for box in found.get("boxes", []):
            limits = "; ".join(
                f"{name} in [{lo:.3g}, {hi:.3g}]"
                + (f" (qp {box['qp'][name]:.2g})" if name in box.get("qp", {}) else "")
                for name, (lo, hi) in box["limits"].items()
            )
            rows.append(
                {
                    "where it": question,
                    "method": box["method"],
                    "coverage": round(box["coverage"], 2),
                    "density": round(box["density"], 2),
                    "box": limits or "(whole space)",
                }
            )
    return pd.DataFrame(rows)


def _table_html(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in df.itertuples(index=False)
    )
    return f"<table class='decision'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def package_links(directory: Path) -> str:
    """Links that open each package of a front in the scenario page, one per run it was scored on."""
    try:
        front = json.loads((directory / FRONT_JSON).read_text(encoding="utf-8"))["front"]
    except (OSError, ValueError, KeyError) as exc:
        return f"<p>{html.escape(FRONT_JSON)} cannot be read: {html.escape(str(exc))}</p>"
    items = []
    for i, entry in enumerate(front):
        links = []
        for r, run in enumerate(entry.get("runs", [])):
            query = urllib.parse.urlencode({"search": str(directory.resolve()), "package": i, "run": r})
            links.append(
                f"<a class='sahel-open-package' data-package='{i}' data-run='{r}' href='./?{html.escape(query)}'>"
                f"scenario {run['point'] + 1}, seed {run['seed']}</a>"
            )
        items.append(f"<li><b>{i + 1}</b>. {html.escape(entry['describe'])}: {' · '.join(links)}</li>")
    return (
        "<p>Open a package in the scenario page, in one of the runs it was scored on "
        "(assumption scenario and seed):</p><ol style='list-style:none;padding-left:0'>" + "".join(items) + "</ol>"
    )


@solara.component
def DecisionResults(directory: str):
    """Discovery boxes and the Pareto front found in ``directory``, with their figures."""
    d = Path(directory)
    with solara.Column():
        if (d / DISCOVERY).exists():
            result = json.loads((d / DISCOVERY).read_text(encoding="utf-8"))
            c = result["counts"]
            solara.HTML(
                tag="div",
                unsafe_innerHTML=(
                    f"<h3>Scenario discovery: {html.escape(result['policy'])}</h3>"
                    f"<p>{result['pairs']} runs against {html.escape(result['base'])}: {c['success']} success, "
                    f"{c['failure']} failure, {c['harm']} harm.</p>" + _table_html(boxes_table(result))
                ),
            )
            for png in sorted((d / "discovery").glob("prim_*.png")):
                solara.Image(str(png), width="48%")
        if (d / FRONT).exists():
            front = pd.read_csv(d / FRONT)
            solara.HTML(
                tag="div",
                unsafe_innerHTML=f"<h3>Pareto front: {len(front)} packages</h3>" + _table_html(front),
            )
            if (d / FRONT_JSON).exists():
                solara.HTML(tag="div", unsafe_innerHTML=package_links(d), classes=["sahel-front-links"])
            if (d / "front.png").exists():
                solara.Image(str(d / "front.png"), width="100%")


__all__ = ["DecisionResults", "boxes_table", "has_results", "package_links"]
