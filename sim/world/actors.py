"""The actors table (``actors.yaml``): loaded and checked like the world tables, with file and row.

A user's actors file (``scenario.data_dir``, ``scenario.actors_file``) may be empty, not YAML,
name a place or region the world does not know, or give a negative number of fighters; each
stops with one line naming the file and the line of the entry (``DataError``), before any
model is built. The file is a name in the data directory, never a path elsewhere, and a data
directory must hold it: there is no silent fallback to the packaged table.
"""

from __future__ import annotations

import math
from pathlib import Path

import yaml

from sim.errors import ConfigError, DataError

SECTIONS = ("armed_groups", "forces", "population")
GROUP_KINDS = ("signatory", "pro_government", "jihadist", "self_defence")
FORCE_KINDS = ("state", "mission", "counter_terrorism", "regional", "wagner")
LIMIT = 1e12  # beyond any group's fighters or funds, force's strength or region's people: a typo


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of each mapping (by object id)."""

    def __init__(self, stream):
        super().__init__(stream)
        self.lines: dict[int, int] = {}

    def construct_yaml_map(self, node):
        data: dict = {}
        self.lines[id(data)] = node.start_mark.line + 1
        yield data
        data.update(self.construct_mapping(node))


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_yaml_map)


def actors_path(data_dir: str | None, name: str, packaged: Path) -> Path:
    """Where the actors file is: in the data directory if one is given, else among the packaged tables.

    Raises:
        ConfigError: for a name with a directory part, or a data directory without the file.
    """
    if not name or Path(name).name != name or name in (".", ".."):
        raise ConfigError(
            "scenario.actors_file", name, "a file name in the data directory, e.g. actors.yaml", "not a file name"
        )
    path = (Path(data_dir) if data_dir else packaged) / name
    if not path.is_file():
        where = f"the data directory {data_dir}" if data_dir else "the packaged tables"
        raise ConfigError("scenario.actors_file", name, f"a YAML file in {where}, e.g. actors.yaml", "not found")
    return path


def read_actors(path: Path, place_ids: set[str], regions: set[str]) -> dict:
    """Parse and check an actors file.

    Raises:
        DataError: naming the file and the line of the bad entry.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise DataError(
            str(path), line, f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); save the file as UTF-8"
        ) from None
    loader = _LineLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DataError(str(path), mark.line + 1 if mark else None, f"not valid YAML ({problem})") from None
    finally:
        loader.dispose()
    if not data:
        raise DataError(str(path), None, f"empty file; expected a mapping with {', '.join(SECTIONS)}")
    if not isinstance(data, dict):
        raise DataError(str(path), 1, f"expected a mapping with {', '.join(SECTIONS)}, found {type(data).__name__}")
    _Checker(path, loader.lines, place_ids, regions).check(data)
    return data


class _Checker:
    def __init__(self, path: Path, lines: dict[int, int], place_ids: set[str], regions: set[str]):
        self.path, self.lines, self.places, self.regions = str(path), lines, place_ids, regions

    def fail(self, obj: object, message: str) -> DataError:
        return DataError(self.path, self.lines.get(id(obj)), message)

    def check(self, data: dict) -> None:
        for section in SECTIONS:
            if section not in data:
                raise self.fail(data, f"missing section {section}")
        for section in ("armed_groups", "forces"):
            if not isinstance(data[section], list) or not all(isinstance(e, dict) for e in data[section]):
                raise self.fail(data, f"{section} must be a list of mappings")
        seen: set[str] = set()
        for g in data["armed_groups"]:
            self.entry(g, "armed group", seen, kinds=GROUP_KINDS)
            for key in ("fighters", "funds_usd", "arms"):
                self.number(g, key, required=key == "fighters")
            self.names(g, "holds", self.places, "place id of places.csv")
            self.names(g, "regions", self.regions, "region of places.csv")
        for f in data["forces"]:
            self.entry(f, "force", seen, kinds=FORCE_KINDS)
            self.number(f, "strength", required=True)
            self.names(f, "bases", self.places, "place id of places.csv")
        pop = data["population"]
        if not isinstance(pop, dict) or not isinstance(pop.get("regions"), dict):
            raise self.fail(pop if isinstance(pop, dict) else data, "population must have regions: {region: people}")
        for region in pop["regions"]:
            if region not in self.regions:
                raise self.fail(pop["regions"], f"population of unknown region {region!r}")
            self.number(pop["regions"], region, required=True)
        self.names(pop, "north", self.regions, "region of places.csv")

    def entry(self, e: dict, what: str, seen: set[str], kinds: tuple[str, ...]) -> None:
        for key in ("id", "name", "kind"):
            if not isinstance(e.get(key), str) or not e[key].strip():
                raise self.fail(e, f"{what} without {key}")
        if e["id"] in seen:
            raise self.fail(e, f"{what} {e['id']!r} listed twice")
        seen.add(e["id"])
        if e["kind"].lower() not in kinds:
            raise self.fail(e, f"{what} {e['id']!r}: unknown kind {e['kind']!r}; allowed: {', '.join(kinds)}")

    def number(self, e: dict, key: str, required: bool) -> None:
        if key not in e and not required:
            return
        value = e.get(key)
        name = e.get("id", "entry")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(e, f"{name}: {key}={value!r} is not a finite number")
        if value < 0 or value > LIMIT:
            raise self.fail(e, f"{name}: {key}={value!r} out of range; allowed: 0 to {LIMIT:.0e}")

    def names(self, e: dict, key: str, known: set[str], what: str) -> None:
        values = e.get(key) or []
        if not isinstance(values, list):
            raise self.fail(e, f"{e.get('id', key)}: {key} must be a list")
        for v in values:
            if v not in known:
                raise self.fail(
                    e, f"{e.get('id', key)}: unknown {what.split(' of ')[0]} {v!r} in {key}; allowed: a {what}"
                )
