"""GeoJSON of a run, for QGIS or any GIS: places and routes with what happened on them.

``places.geojson``: one Point per place (longitude, latitude in WGS 84, the order GeoJSON
requires, RFC 7946 §3.1.1) with its kind, region, country, the armed group holding it at the end,
the state's presence, whether a checkpoint is staffed, and the units that passed it, in all and
by good. ``routes.geojson``: one LineString per link with its terrain, length and the units
carried over the run, in all and by good. :func:`change_routes` adds a variant's change against
a base (used for a sweep's comparison by :mod:`experiments.gis`). Plain ``json``: no GIS library
is needed to write them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.integrity import write_durable
from sim.names import PLACE_KINDS, TERRAINS

if TYPE_CHECKING:
    from sim.model import SahelModel
    from sim.world import World

PLACES = "places.geojson"
ROUTES = "routes.geojson"


def _collection(features: list[dict], name: str) -> dict:
    return {"type": "FeatureCollection", "name": name, "features": features}


def _num(x) -> float:
    return round(float(x), 6)


def places(model: SahelModel) -> dict:
    """Places at the end of a run: holders, presence, checkpoints, units passed (by good)."""
    world, territory = model.world, model.territory
    units = model.stats.to_date("place_good_units")
    staffed = np.asarray(model.enforcement.rates.staffed, dtype=bool)
    groups = model.armed_groups.groups if model.armed_groups is not None else []
    features = []
    for i, pid in enumerate(world.place_ids):
        holder = int(territory.holder[i])
        group = groups[holder] if 0 <= holder < len(groups) else None
        props = {
            "id": pid,
            "name": world.names[i],
            "kind": PLACE_KINDS[int(world.kind[i])],
            "region": world.region[i],
            "country": world.country[i],
            "in_mali": bool(world.in_mali[i]),
            "holder": group.name if group is not None else None,
            "holder_kind": group.kind.name.lower() if group is not None else None,
            "state_presence": _num(territory.presence[i]),
            "checkpoint": bool(staffed[i]),
            "units": _num(units[i].sum()),
            **{f"units.{g.id}": _num(units[i, k]) for k, g in enumerate(world.goods)},
        }
        geometry = {"type": "Point", "coordinates": [_num(world.lon[i]), _num(world.lat[i])]}
        features.append({"type": "Feature", "id": pid, "geometry": geometry, "properties": props})
    return _collection(features, "places")


def routes(world: World, units: np.ndarray) -> dict:
    """Links with the units carried over a run: ``units`` is (links, goods)."""
    features = []
    for e, (u, v) in enumerate(zip(world.edge_u.tolist(), world.edge_v.tolist(), strict=True)):
        a, b = world.place_ids[u], world.place_ids[v]
        props = {
            "id": f"{a}-{b}",
            "a": a,
            "b": b,
            "terrain": TERRAINS[int(world.edge_terrain[e])],
            "km": _num(world.edge_km[e]),
            "units": _num(units[e].sum()),
            **{f"units.{g.id}": _num(units[e, k]) for k, g in enumerate(world.goods)},
        }
        coords = [[_num(world.lon[u]), _num(world.lat[u])], [_num(world.lon[v]), _num(world.lat[v])]]
        features.append(
            {
                "type": "Feature",
                "id": f"{a}-{b}",
                "geometry": {"type": "LineString", "coordinates": coords},
                "properties": props,
            }
        )
    return _collection(features, "routes")


def change_routes(world: World, base: np.ndarray, variant: np.ndarray, label: str, base_label: str) -> dict:
    """Routes of a variant with its change against a base, in units and in % (by good too)."""
    out = routes(world, variant)
    for e, feature in enumerate(out["features"]):
        props = feature["properties"]
        props["variant"], props["base"] = label, base_label
        props["units_base"] = _num(base[e].sum())
        props["change"] = _num(variant[e].sum() - base[e].sum())
        props["change_pct"] = _pct(base[e].sum(), variant[e].sum())
        for k, g in enumerate(world.goods):
            props[f"change.{g.id}"] = _num(variant[e, k] - base[e, k])
    return out


def _pct(base: float, new: float) -> float | None:
    """% change; ``None`` (null) where the base carried nothing, as GeoJSON has no infinity."""
    return _num(100 * (new - base) / base) if base > 0 else None


def write(collection: dict, path: str | Path) -> Path:
    """Write a FeatureCollection atomically."""
    path = Path(path)
    text = json.dumps(collection, ensure_ascii=False, allow_nan=False) + "\n"
    write_durable(path, lambda p: p.write_text(text, encoding="utf-8"))
    return path


def write_run(model: SahelModel, outdir: str | Path) -> None:
    """``places.geojson`` and ``routes.geojson`` of a finished run."""
    outdir = Path(outdir)
    write(places(model), outdir / PLACES)
    write(routes(model.world, model.stats.to_date("edge_good_units")), outdir / ROUTES)


__all__ = ["PLACES", "ROUTES", "change_routes", "places", "routes", "write", "write_run"]
