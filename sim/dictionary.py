"""Data dictionaries: what each column and outcome of the model's tables means, from the registry.

A run directory holds ``dictionary.json`` and every Parquet file the model or the sweep analysis
writes carries the same dictionary in its schema metadata (key :data:`METADATA_KEY`), so a table
read in pandas, polars, duckdb or R still says each outcome's unit, direction, description and
tags. Nothing here is written by hand: outcomes come from :mod:`sim.outcomes`, parameters from
the parameter dataclasses, goods' units from ``goods.yaml``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

if TYPE_CHECKING:
    from sim.model import SahelModel
    from sim.outcomes import Outcome

METADATA_KEY = b"sahel_sim.dictionary"
FILE = "dictionary.json"
FORMAT = 1

# Summary keys that are not in the registry (the registry holds weekly outcomes).
EXTRA_OUTCOMES = (
    {
        "name": "n_agents_initial",
        "unit": "agents",
        "direction": None,
        "description": "agents at the start",
        "tags": [],
        "aggregation": "last",
    },
    {
        "name": "n_traffickers_final",
        "unit": "crews",
        "direction": None,
        "description": "crews in the trade at the end",
        "tags": [],
        "aggregation": "last",
    },
)

# Columns of the tables that are not outcomes, by file.
COLUMNS = {
    "timeseries.parquet": {
        "week": ("week", "week of the run (1 is the first recorded week)"),
        "date": ("ISO date", "last day of the week"),
    },
    "route_flows.parquet": {
        "week": ("week", "week of the run"),
        "a": ("place id", "one end of the link"),
        "b": ("place id", "the other end of the link"),
        "units": ("units of each good", "units carried on the link that week, all goods (see goods)"),
    },
    "edges.parquet": {
        "a": ("place id", "one end of the link"),
        "b": ("place id", "the other end of the link"),
        "good": ("good id", "the good (its unit: see goods)"),
        "units": ("units of the good", "units carried on the link over the run"),
    },
    "runs.parquet": {
        "run": ("", "the run's key (hash of its configuration)"),
        "variant": ("", "the sweep variant: its swept settings"),
        "seed": ("", "the run's seed"),
        "outcome": ("", "name of the outcome (see outcomes)"),
        "value": ("the outcome's unit", "value of the outcome over the run"),
    },
    "series.parquet": {
        "variant": ("", "the sweep variant"),
        "week": ("week", "week of the run"),
        "date": ("ISO date", "last day of the week"),
        "outcome": ("", "name of the outcome (see outcomes)"),
        "mean": ("the outcome's unit", "mean over seeds"),
        "lo": ("the outcome's unit", "lower end of the 95% t-interval of the mean"),
        "hi": ("the outcome's unit", "upper end of the 95% t-interval of the mean"),
        "n": ("runs", "seeds in the mean"),
    },
    "edges.parquet (sweep)": {
        "variant": ("", "the sweep variant"),
        "a": ("place id", "one end of the link"),
        "b": ("place id", "the other end of the link"),
        "good": ("good id", "the good (its unit: see goods)"),
        "units": ("units of the good", "mean over the variant's runs of the units carried over the run"),
        "n": ("runs", "runs in the mean"),
    },
}


def outcome_entry(outcome: Outcome) -> dict:
    """One outcome's entry: name, unit, direction (``higher``, ``lower`` or None), description, tags.

    ``aggregation`` says how the run's value follows from the weekly series (``sum`` for flows,
    ``mean`` or ``last`` for levels, ``custom`` for a ratio over the whole run), so a reader knows
    whether weeks add up.
    """
    return {
        "name": outcome.name,
        "unit": outcome.unit,
        "direction": outcome.better,
        "description": outcome.doc,
        "tags": list(outcome.tags),
        "aggregation": outcome.reduce if isinstance(outcome.reduce, str) else "custom",
    }


def outcome_entries(outcomes: Iterable[Outcome]) -> list[dict]:
    """Entries of a registry's outcomes, then the summary's counts of agents."""
    return [outcome_entry(o) for o in outcomes] + [dict(e) for e in EXTRA_OUTCOMES]


def column_entries(table: str) -> list[dict]:
    """Entries of the columns of a table (``timeseries.parquet``, ``runs.parquet``, ...) that are not outcomes."""
    return [{"name": k, "unit": u, "description": d} for k, (u, d) in COLUMNS[table].items()]


def run_dictionary(model: SahelModel) -> dict:
    """The dictionary of one run's files: outcomes, other columns per file, and each good's unit."""
    return {
        "format": FORMAT,
        "outcomes": outcome_entries(model.outcomes),
        "columns": {
            name: column_entries(name) for name in ("timeseries.parquet", "route_flows.parquet", "edges.parquet")
        },
        "goods": {g.id: g.unit for g in model.world.goods},
    }


def merge(dictionaries: Iterable[dict]) -> dict:
    """One dictionary for tables gathered from several runs: the union of their outcomes and goods, in order."""
    outcomes: dict[str, dict] = {}
    goods: dict[str, str] = {}
    for d in dictionaries:
        for entry in d.get("outcomes", []):
            outcomes.setdefault(entry["name"], entry)
        goods.update(d.get("goods", {}))
    return {"format": FORMAT, "outcomes": list(outcomes.values()), "goods": goods}


def sweep_dictionary(runs_dictionary: dict, parameters: Iterable[str] = ()) -> dict:
    """The dictionary of a sweep's tables: the runs' outcomes and goods, the tables' columns, the parameters."""
    from sim.params import RunConfig, iter_params

    meta = {key: f.metadata for key, f, _ in iter_params(RunConfig)}
    params = [
        {"name": k, "unit": meta.get(k, {}).get("unit", ""), "description": meta.get(k, {}).get("doc", "")}
        for k in parameters
    ]
    return {
        **merge([runs_dictionary]),
        "columns": {
            "runs.parquet": column_entries("runs.parquet") + params,
            "series.parquet": column_entries("series.parquet"),
            "edges.parquet": column_entries("edges.parquet (sweep)"),
        },
    }


def attach(table: pa.Table, dictionary: dict, compact: str | None = None) -> pa.Table:
    """The table with the dictionary in its schema metadata (values untouched).

    Args:
        table: The table.
        dictionary: The data dictionary.
        compact: ``json.dumps(dictionary, ensure_ascii=False)`` if the caller has it already: a run
            writes the same dictionary into two files and ``dictionary.json``, and each dump costs
            about 1.5 ms (collect12).
    """
    meta = dict(table.schema.metadata or {})
    text = compact if compact is not None else json.dumps(dictionary, ensure_ascii=False, sort_keys=False)
    meta[METADATA_KEY] = text.encode()
    return table.replace_schema_metadata(meta)


def schema_with(schema: pa.Schema, dictionary: dict) -> pa.Schema:
    """A schema carrying the dictionary in its metadata (for streamed writers)."""
    meta = dict(schema.metadata or {})
    meta[METADATA_KEY] = json.dumps(dictionary, ensure_ascii=False).encode()
    return schema.with_metadata(meta)


def read(path: str | Path) -> dict:
    """The dictionary a file carries: a Parquet file's metadata, or ``dictionary.json`` of a directory.

    Raises:
        KeyError: If the file carries none.
    """
    path = Path(path)
    if path.is_dir():
        return json.loads((path / FILE).read_text(encoding="utf-8"))
    meta = pq.read_schema(path).metadata or {}
    if METADATA_KEY not in meta:
        raise KeyError(f"{path}: no data dictionary in the Parquet metadata")
    return json.loads(meta[METADATA_KEY])


def frame(dictionary: dict):
    """The outcomes of a dictionary as a table (name, unit, direction, description, tags), for people."""
    import pandas as pd

    columns = ["name", "unit", "direction", "description", "tags", "aggregation"]
    return pd.DataFrame(dictionary["outcomes"], columns=columns)
