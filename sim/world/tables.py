"""Load and check the world tables: places, routes and goods.

The tables are human-readable files under ``sim/world/data/`` (or a user's replacement
directory). Every problem is reported with the file and row so the user can fix it.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import yaml

from sim.errors import DataError
from sim.names import PLACE_KINDS, TERRAINS

DATA_DIR = Path(__file__).parent / "data"
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
    protected: bool = False
    protected_basis: str = ""
    sink_factors: tuple[tuple[str, GoodParam], ...] = ()
    sources_basis: str = ""

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


def _read_text(path: Path) -> str:
    """A file's text (UTF-8, with or without the byte-order mark spreadsheets add)."""
    if not path.is_file():
        raise DataError(str(path), None, "file not found")
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(
            str(path), line, f"not UTF-8 text (byte {data[exc.start]:#x}); save the file as UTF-8"
        ) from None


def _read_csv(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict]]:
    """Rows of a CSV file as (row number, {column: text}), each with every column of the header.

    Row numbers are line numbers, the header being row 1, as a spreadsheet or an editor shows them
    (blank lines count, and are skipped).
    """
    reader = csv.reader(io.StringIO(_read_text(path), newline=""), strict=True)
    header, rows = None, []
    while True:
        row_no = reader.line_num + 1  # where the record starts
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise DataError(str(path), row_no, f"malformed CSV ({exc}; a quote left open?)") from None
        if header is None:
            header = _check_header(path, fields, columns)
            continue
        if not any(f.strip() for f in fields):
            continue
        if len(fields) < len(header):  # a value or a comma missing: the columns after it would shift
            raise DataError(str(path), row_no, f"{len(fields)} fields where the header has {len(header)}")
        if any(f.strip() for f in fields[len(header) :]):
            raise DataError(
                str(path),
                row_no,
                f"{len(fields)} fields where the header has {len(header)} (a comma inside a value needs quotes)",
            )
        rows.append((row_no, dict(zip(header, fields, strict=False))))
    if header is None:
        raise DataError(str(path), None, f"empty file; expected a header with {', '.join(columns)}")
    return rows


def _check_header(path: Path, fields: list[str], columns: tuple[str, ...]) -> list[str]:
    header = [h.strip() for h in fields]
    duplicated = sorted({h for h in header if h and header.count(h) > 1})
    if duplicated:
        raise DataError(str(path), 1, f"duplicate column(s) {', '.join(duplicated)}")
    missing = [c for c in columns if c not in header]
    if missing:
        raise DataError(str(path), 1, f"missing column(s) {', '.join(missing)}")
    return header


def _text(path: Path, row: int, column: str, row_data: dict, what: str) -> str:
    """A required text field, stripped; empty is an error."""
    value = (row_data.get(column) or "").strip()
    if not value:
        raise DataError(str(path), row, f"empty {column} of {what}")
    return value


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
        name, region, country = (_text(path, row_no, c, row, repr(pid)) for c in ("name", "region", "country"))
        places.append(Place(pid, name, lat, lon, kind, region, country, (row.get("note") or "").strip()))
    if not places:
        raise DataError(str(path), None, "no places")
    return tuple(places)


def great_circle_km(a: Place, b: Place) -> float:
    """Distance between two places along the earth's surface."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b.lon - a.lon) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))


# A link may be no shorter than this share of the straight line between its ends, less a few
# kilometres for coordinates that mark a town's centre (a wrong length or wrong coordinates).
MIN_STRAIGHT_LINE_SHARE, STRAIGHT_LINE_SLACK_KM = 0.8, 10.0


def load_routes(path: Path, place_ids: set[str] | dict[str, Place]) -> tuple[Route, ...]:
    """Read routes.csv; reject unknown places, loops, duplicates, non-positive lengths and times.

    Given the places (not only their ids), a length shorter than the straight line between the
    ends is rejected too.
    """
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
        if isinstance(place_ids, dict):
            straight = great_circle_km(place_ids[a], place_ids[b])
            if km < MIN_STRAIGHT_LINE_SHARE * straight - STRAIGHT_LINE_SLACK_KM:
                raise DataError(
                    str(path),
                    row_no,
                    f"length {km} km of {a}-{b} is shorter than the straight line between them ({straight:.0f} km):"
                    " check the length or the coordinates in places.csv",
                )
        routes.append(Route(a, b, km, terrain, weeks, (row.get("note") or "").strip()))
    return tuple(routes)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _yaml_lines(path: Path, text: str) -> dict:
    """Line of each good (``lines[gid]``) and of each of its fields (``lines[gid, field]``).

    Raises:
        DataError: for a good listed twice (YAML would silently keep the last).
    """
    lines: dict = {}
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        return lines
    for key, value in root.value:
        gid = key.value
        if gid in lines:
            raise DataError(str(path), key.start_mark.line + 1, f"duplicate good {gid!r} (first on row {lines[gid]})")
        lines[gid] = key.start_mark.line + 1
        if isinstance(value, yaml.MappingNode):
            for field_key, _ in value.value:
                lines[gid, field_key.value] = field_key.start_mark.line + 1
    return lines


def _good_param(path: Path, gid: str, name: str, raw: object, row: int | None) -> GoodParam:
    where = f"{gid}.{name}"
    if not isinstance(raw, dict) or "value" not in raw:
        raise DataError(str(path), row, f"{where} must be a mapping with a value")
    value = raw["value"]
    if not _is_number(value) or value < 0:
        raise DataError(str(path), row, f"{where} value {value!r} must be a non-negative number")
    source, assumption = raw.get("source"), raw.get("assumption")
    if (source is None) == (assumption is None):
        raise DataError(str(path), row, f"{where} needs exactly one of source or assumption")
    if assumption is not None:
        if not (
            isinstance(assumption, list)
            and len(assumption) == 2
            and all(_is_number(a) for a in assumption)
            and assumption[0] <= value <= assumption[1]
        ):
            raise DataError(
                str(path), row, f"{where} assumption {assumption!r} must be [low, high] around the value {value}"
            )
        assumption = (float(assumption[0]), float(assumption[1]))
    return GoodParam(float(value), source, assumption, str(raw.get("basis", "")))


# Public names for the other tables that share the provenance format (neighbours.yaml).
read_text = _read_text
provenance_param = _good_param


def load_goods(path: Path, place_ids: set[str]) -> tuple[Good, ...]:
    """Read goods.yaml; every good needs its parameters, a source and a sink.

    Problems are reported with the line of the good or of its field, as ``row``.
    """
    text = _read_text(path)
    try:
        data = yaml.safe_load(text)
        lines = _yaml_lines(path, text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        raise DataError(str(path), row, f"not valid YAML: {exc}".splitlines()[0]) from None
    if not isinstance(data, dict) or not data:
        raise DataError(str(path), None, "expected a mapping of goods")
    goods = []
    for gid, entry in data.items():
        row = lines.get(str(gid))

        def fail(message: str, field: str | None = None, gid=gid, row=row):
            raise DataError(str(path), lines.get((str(gid), field), row) if field else row, message)

        if not isinstance(entry, dict):
            fail(f"{gid} must be a mapping")
        missing = [k for k in (*GOOD_PARAMS, "unit", "livelihood", "sources", "sinks") if k not in entry]
        if missing:
            fail(f"{gid} is missing {', '.join(missing)}")
        params = {k: _good_param(path, gid, k, entry[k], lines.get((str(gid), k), row)) for k in GOOD_PARAMS}
        for positive in ("crew_capacity", "bulk_t"):
            if params[positive].value <= 0:
                fail(f"{gid}.{positive} must be positive", positive)
        if params["value_sink_usd"].value <= params["value_source_usd"].value:
            fail(f"{gid}: value at sinks must exceed value at sources", "value_sink_usd")
        if not isinstance(entry["unit"], str) or not entry["unit"].strip():
            fail(f"{gid}.unit must be a name such as kg or head", "unit")
        sources, sinks = entry["sources"], entry["sinks"]
        if not isinstance(sources, dict) or not sources:
            fail(f"{gid} has no source", "sources")
        if not isinstance(sinks, list) or not sinks:
            fail(f"{gid} has no sink", "sinks")
        for pid in [*sources, *sinks]:
            if not isinstance(pid, str) or pid not in place_ids:
                fail(f"{gid}: unknown place {pid!r} (not in places.csv)", "sinks" if pid in sinks else "sources")
        if len(set(sinks)) < len(sinks):
            fail(f"{gid}: a sink is listed twice", "sinks")
        both = sorted(set(sources) & set(sinks))
        if both:
            fail(f"{gid}: {', '.join(both)} is both a source and a sink", "sinks")
        shares = list(sources.values())
        if not all(_is_number(s) for s in shares):
            fail(f"{gid}: source shares must be numbers (got {shares!r})", "sources")
        if any(s <= 0 for s in shares) or abs(sum(shares) - 1.0) > 1e-6:
            fail(f"{gid}: source shares must be positive and sum to 1 (got {sum(shares):.4g})", "sources")
        if not isinstance(entry["livelihood"], bool):
            fail(f"{gid}.livelihood must be true or false", "livelihood")
        if not isinstance(entry.get("protected", False), bool):
            fail(f"{gid}.protected must be true or false", "protected")
        factors = entry.get("sink_factors") or {}
        if not isinstance(factors, dict) or any(pid not in sinks for pid in factors):
            fail(f"{gid}.sink_factors must map some of its sinks to a price factor", "sink_factors")
        sink_factors = tuple(
            (str(pid), _good_param(path, gid, f"sink_factors.{pid}", raw, lines.get((str(gid), "sink_factors"), row)))
            for pid, raw in factors.items()
        )
        goods.append(
            Good(
                id=str(gid),
                unit=str(entry["unit"]),
                livelihood=entry["livelihood"],
                livelihood_basis=str(entry.get("livelihood_basis", "")),
                params=params,
                sources={str(k): float(v) for k, v in sources.items()},
                sinks=tuple(str(s) for s in sinks),
                protected=bool(entry.get("protected", False)),
                protected_basis=str(entry.get("protected_basis", "")),
                sink_factors=sink_factors,
                sources_basis=str(entry.get("sources_basis", "")),
            )
        )
    return tuple(goods)


def load_tables(data_dir: str | Path | None = None) -> Tables:
    """Load the three tables from ``data_dir`` (default: the packaged data)."""
    root = Path(data_dir) if data_dir else DATA_DIR
    if not root.is_dir():
        raise DataError(str(root), None, "data directory not found")
    places = load_places(root / "places.csv")
    by_id = {p.id: p for p in places}
    routes = load_routes(root / "routes.csv", by_id)
    goods = load_goods(root / "goods.yaml", set(by_id))
    return Tables(places, routes, goods, root)
