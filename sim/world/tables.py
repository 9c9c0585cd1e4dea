"""Load and check the world tables: places, routes and goods.

The tables are human-readable files under ``sim/world/data/`` (or a user's replacement
directory). Every problem is reported with the file and row so the user can fix it.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import yaml

from sim.errors import DataError

DATA_DIR = Path(__file__).parent / "data"
PLACE_KINDS = ("town", "crossing", "gold_site", "source", "market")
TERRAINS = ("paved", "laterite", "track", "desert", "river", "air")
# Longitude/latitude box that holds every place the model knows, from the Atlantic to the Gulf.
MAP_BOUNDS = {"lat": (0.0, 40.0), "lon": (-20.0, 60.0)}
GOOD_PARAMS = (
    "value_source_usd",
    "value_sink_usd",
    "bulk_t",
    "crew_capacity",
    "detectability",
    "supply_per_week",
)


@dataclass(frozen=True)
class Place:
    """A row of places.csv."""

    id: str
    name: str
    lat: float
    lon: float
    kind: str
    region: str
    country: str
    note: str


@dataclass(frozen=True)
class Route:
    """A row of routes.csv: an undirected road, track, river or air link."""

    a: str
    b: str
    km: float
    terrain: str
    weeks: float
    note: str


@dataclass(frozen=True)
class GoodParam:
    """A number in goods.yaml with its provenance."""

    value: float
    source: str | None
    assumption: tuple[float, float] | None
    basis: str


@dataclass(frozen=True)
class Good:
    """An entry of goods.yaml."""

    id: str
    unit: str
    livelihood: bool
    livelihood_basis: str
    params: dict[str, GoodParam]
    sources: dict[str, float]
    sinks: tuple[str, ...]

    def __getattr__(self, name: str) -> float:
        params = object.__getattribute__(self, "params")
        if name in params:
            return params[name].value
        raise AttributeError(name)


@dataclass(frozen=True)
class Tables:
    """The three world tables, checked against each other."""

    places: tuple[Place, ...]
    routes: tuple[Route, ...]
    goods: tuple[Good, ...]
    data_dir: Path


def _read_csv(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict]]:
    if not path.exists():
        raise DataError(str(path), None, "file not found")
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(str(path), 1, f"missing column(s) {', '.join(missing)}")
        # Row numbers count the header as row 1, as a spreadsheet shows them.
        return [(i, row) for i, row in enumerate(reader, start=2)]


def _number(path: Path, row: int, column: str, text: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise DataError(str(path), row, f"{column} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise DataError(str(path), row, f"{column} {text!r} is not a finite number")
    return value


def load_places(path: Path) -> tuple[Place, ...]:
    """Read places.csv; reject duplicate ids, unknown kinds and coordinates off the map."""
    cols = ("id", "name", "lat", "lon", "kind", "region", "country")
    places, seen = [], {}
    for row_no, row in _read_csv(path, cols):
        pid = (row["id"] or "").strip()
        if not pid:
            raise DataError(str(path), row_no, "empty id")
        if pid in seen:
            raise DataError(str(path), row_no, f"duplicate id {pid!r} (first on row {seen[pid]})")
        seen[pid] = row_no
        lat = _number(path, row_no, "lat", row["lat"])
        lon = _number(path, row_no, "lon", row["lon"])
        (lat0, lat1), (lon0, lon1) = MAP_BOUNDS["lat"], MAP_BOUNDS["lon"]
        if not (lat0 <= lat <= lat1 and lon0 <= lon <= lon1):
            raise DataError(
                str(path),
                row_no,
                f"coordinates ({lat}, {lon}) of {pid!r} are off the map (lat {lat0}..{lat1}, lon {lon0}..{lon1})",
            )
        kind = row["kind"].strip()
        if kind not in PLACE_KINDS:
            raise DataError(str(path), row_no, f"kind {kind!r} of {pid!r} is not one of {', '.join(PLACE_KINDS)}")
        places.append(
            Place(
                pid,
                row["name"].strip(),
                lat,
                lon,
                kind,
                row["region"].strip(),
                row["country"].strip(),
                (row.get("note") or "").strip(),
            )
        )
    if not places:
        raise DataError(str(path), None, "no places")
    return tuple(places)


def load_routes(path: Path, place_ids: set[str]) -> tuple[Route, ...]:
    """Read routes.csv; reject unknown places, loops, duplicates and non-positive lengths."""
    routes, seen = [], {}
    for row_no, row in _read_csv(path, ("a", "b", "km", "terrain", "weeks")):
        a, b = row["a"].strip(), row["b"].strip()
        for end in (a, b):
            if end not in place_ids:
                raise DataError(str(path), row_no, f"unknown place {end!r} (not in places.csv)")
        if a == b:
            raise DataError(str(path), row_no, f"route from {a!r} to itself")
        key = tuple(sorted((a, b)))
        if key in seen:
            raise DataError(str(path), row_no, f"duplicate route {a}-{b} (first on row {seen[key]})")
        seen[key] = row_no
        km = _number(path, row_no, "km", row["km"])
        weeks = _number(path, row_no, "weeks", row["weeks"])
        if km <= 0:
            raise DataError(str(path), row_no, f"length {km} km of {a}-{b} must be positive")
        if weeks <= 0:
            raise DataError(str(path), row_no, f"travel time {weeks} weeks of {a}-{b} must be positive")
        terrain = row["terrain"].strip()
        if terrain not in TERRAINS:
            raise DataError(str(path), row_no, f"terrain {terrain!r} of {a}-{b} is not one of {', '.join(TERRAINS)}")
        routes.append(Route(a, b, km, terrain, weeks, (row.get("note") or "").strip()))
    return tuple(routes)


def _good_param(path: Path, gid: str, name: str, raw: object) -> GoodParam:
    where = f"{gid}.{name}"
    if not isinstance(raw, dict) or "value" not in raw:
        raise DataError(str(path), None, f"{where} must be a mapping with a value")
    value = raw["value"]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise DataError(str(path), None, f"{where} value {value!r} must be a non-negative number")
    source, assumption = raw.get("source"), raw.get("assumption")
    if (source is None) == (assumption is None):
        raise DataError(str(path), None, f"{where} needs exactly one of source or assumption")
    if assumption is not None:
        if not (isinstance(assumption, list) and len(assumption) == 2 and assumption[0] <= value <= assumption[1]):
            raise DataError(
                str(path), None, f"{where} assumption {assumption!r} must be [low, high] around the value {value}"
            )
        assumption = (float(assumption[0]), float(assumption[1]))
    return GoodParam(float(value), source, assumption, str(raw.get("basis", "")))


def load_goods(path: Path, place_ids: set[str]) -> tuple[Good, ...]:
    """Read goods.yaml; every good needs its parameters, a source and a sink."""
    if not path.exists():
        raise DataError(str(path), None, "file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DataError(str(path), None, f"not valid YAML: {exc}".splitlines()[0]) from None
    if not isinstance(data, dict) or not data:
        raise DataError(str(path), None, "expected a mapping of goods")
    goods = []
    for gid, entry in data.items():
        if not isinstance(entry, dict):
            raise DataError(str(path), None, f"{gid} must be a mapping")
        missing = [k for k in (*GOOD_PARAMS, "unit", "livelihood", "sources", "sinks") if k not in entry]
        if missing:
            raise DataError(str(path), None, f"{gid} is missing {', '.join(missing)}")
        params = {k: _good_param(path, gid, k, entry[k]) for k in GOOD_PARAMS}
        for positive in ("crew_capacity", "bulk_t"):
            if params[positive].value <= 0:
                raise DataError(str(path), None, f"{gid}.{positive} must be positive")
        if params["value_sink_usd"].value <= params["value_source_usd"].value:
            raise DataError(str(path), None, f"{gid}: value at sinks must exceed value at sources")
        sources, sinks = entry["sources"], entry["sinks"]
        if not isinstance(sources, dict) or not sources:
            raise DataError(str(path), None, f"{gid} has no source")
        if not isinstance(sinks, list) or not sinks:
            raise DataError(str(path), None, f"{gid} has no sink")
        for pid in [*sources, *sinks]:
            if pid not in place_ids:
                raise DataError(str(path), None, f"{gid}: unknown place {pid!r} (not in places.csv)")
        shares = [float(s) for s in sources.values()]
        if any(s <= 0 for s in shares) or abs(sum(shares) - 1.0) > 1e-6:
            raise DataError(
                str(path), None, f"{gid}: source shares must be positive and sum to 1 (got {sum(shares):.4g})"
            )
        if not isinstance(entry["livelihood"], bool):
            raise DataError(str(path), None, f"{gid}.livelihood must be true or false")
        goods.append(
            Good(
                id=str(gid),
                unit=str(entry["unit"]),
                livelihood=entry["livelihood"],
                livelihood_basis=str(entry.get("livelihood_basis", "")),
                params=params,
                sources={str(k): float(v) for k, v in sources.items()},
                sinks=tuple(str(s) for s in sinks),
            )
        )
    return tuple(goods)


def load_tables(data_dir: str | Path | None = None) -> Tables:
    """Load the three tables from ``data_dir`` (default: the packaged data)."""
    root = Path(data_dir) if data_dir else DATA_DIR
    if not root.is_dir():
        raise DataError(str(root), None, "data directory not found")
    places = load_places(root / "places.csv")
    ids = {p.id for p in places}
    routes = load_routes(root / "routes.csv", ids)
    goods = load_goods(root / "goods.yaml", ids)
    return Tables(places, routes, goods, root)
