"""GeoJSON of a sweep's comparison: each variant's flows per link and their change against a base.

::

    python -m experiments.gis multirun/policy_comparison --variant policy=border_control --base policy=none

reads the sweep's ``edges.parquet`` (mean units per variant, link and good; made by
``python -m experiments.aggregate`` if missing) and writes ``<sweep>/gis/<variant>/routes.geojson``
(each link's units, the base's, and the change, in all and by good) and ``places.geojson`` (the
places). They open in QGIS as they are (WGS 84 longitude and latitude). A single run writes its
own with ``output.geojson=true`` (:mod:`sim.gis`).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import ConfigError, SimError
from sim.gis import PLACES, ROUTES, change_routes, write
from sim.world import load_world

EXIT_USAGE = 2


def link_units(edges: pd.DataFrame, variant: str, world) -> np.ndarray:
    """(links, goods) units of one variant; links keyed either way round."""
    units = np.zeros((world.n_edges, len(world.goods)))
    goods = {g.id: k for k, g in enumerate(world.goods)}
    index = world.index
    for row in edges[edges["variant"] == variant].itertuples(index=False):
        a, b = index.get(row.a, -1), index.get(row.b, -1)
        e = world.edge_index.get((a, b), world.edge_index.get((b, a)))
        if e is not None and row.good in goods:
            units[e, goods[row.good]] += float(row.units)
    return units


def places_only(world) -> dict:
    """Places as Points with their names, kinds and regions (no run state in a comparison)."""
    from sim.world.tables import PLACE_KINDS

    features = [
        {
            "type": "Feature",
            "id": pid,
            "geometry": {
                "type": "Point",
                "coordinates": [round(float(world.lon[i]), 6), round(float(world.lat[i]), 6)],
            },
            "properties": {
                "id": pid,
                "name": world.names[i],
                "kind": PLACE_KINDS[int(world.kind[i])],
                "region": world.region[i],
                "country": world.country[i],
            },
        }
        for i, pid in enumerate(world.place_ids)
    ]
    return {"type": "FeatureCollection", "name": "places", "features": features}


def main(argv: list[str] | None = None) -> int:
    """``python -m experiments.gis SWEEP_DIR --variant LABEL [--base LABEL]``."""
    p = argparse.ArgumentParser(prog="python -m experiments.gis", description=__doc__.split("\n\n")[0])
    p.add_argument("dir", type=Path, help="sweep directory")
    p.add_argument("--variant", action="append", required=True, help="variant label (repeat)")
    p.add_argument("--base", default="none", help="label of the base variant")
    p.add_argument("--out", type=Path, default=None, help="default: SWEEP_DIR/gis")
    args = p.parse_args(argv)
    try:
        path = args.dir / "edges.parquet"
        if not path.exists():
            if not args.dir.is_dir():
                raise ConfigError("SWEEP_DIR", str(args.dir), "an existing sweep directory", "not found")
            from experiments.aggregate import aggregate

            aggregate(args.dir)
        edges = pd.read_parquet(path)
        labels = sorted(edges["variant"].unique())
        for name, option in [(args.base, "--base"), *[(v, "--variant") for v in args.variant]]:
            if name not in labels:
                raise ConfigError(option, name, ", ".join(labels), "no such variant in edges.parquet")
        world = load_world()
        base = link_units(edges, args.base, world)
        out = args.out or args.dir / "gis"
        for variant in args.variant:
            folder = out / re.sub(r"[^\w.=+-]+", "_", variant)
            folder.mkdir(parents=True, exist_ok=True)
            write(change_routes(world, base, link_units(edges, variant, world), variant, args.base), folder / ROUTES)
            write(places_only(world), folder / PLACES)
            print(f"{variant} against {args.base} -> {folder}")
    except SimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return 0


if __name__ == "__main__":
    sys.exit(main())
