"""Decision-support results on the sweep page: scenario-discovery boxes and a search's Pareto front.

Reads what the commands wrote (``discovery/discovery.json`` and its figures from
``python -m experiments.discover``; ``front.csv`` and ``front.png`` from
``python -m experiments.search``) in a sweep or search directory; draws nothing itself. The sweep
page shows :func:`DecisionResults` under its figures when a directory holds either.
"""

# ruff: noqa: N802
from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd
import solara

DISCOVERY = Path("discovery") / "discovery.json"
FRONT = "front.csv"


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
            if (d / "front.png").exists():
                solara.Image(str(d / "front.png"), width="100%")


__all__ = ["DecisionResults", "boxes_table", "has_results"]
