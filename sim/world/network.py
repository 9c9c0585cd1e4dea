"""The world as arrays: places, links and goods indexed for vectorized use."""

from __future__ import annotations

import dataclasses
import difflib
import functools
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse as sp

from sim.errors import DataError
from sim.world.tables import PLACE_KINDS, TERRAINS, Good, Tables, load_tables

# Regions whose places are markets at the end of a route, never passed through in transit.
TERMINAL_REGIONS = ("Outside",)


@dataclass(frozen=True, eq=False)
class World:
    """Places, links and goods of one data directory, as numpy arrays.

    Attributes:
        place_ids: Place ids; the position in this tuple is the node index.
        lat, lon: Coordinates in degrees.
        kind: Index into :data:`PLACE_KINDS` per place.
        region, country: Names per place.
        in_mali: Whether each place lies in Mali.
        edge_u, edge_v: Node indices of each link (undirected).
        edge_km, edge_weeks: Length and travel time of each link.
        edge_terrain: Index into :data:`TERRAINS` per link.
        goods: The goods, in table order.
        graph: Undirected graph with integer nodes and ``id``, ``name``, ``pos`` attributes.
    """

    tables: Tables
    place_ids: tuple[str, ...]
    names: tuple[str, ...]
    lat: np.ndarray
    lon: np.ndarray
    kind: np.ndarray
    region: tuple[str, ...]
    country: tuple[str, ...]
    in_mali: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_km: np.ndarray
    edge_weeks: np.ndarray
    edge_terrain: np.ndarray
    goods: tuple[Good, ...]
    graph: nx.Graph

    @property
    def n_places(self) -> int:
        """Number of places."""
        return len(self.place_ids)

    @property
    def n_edges(self) -> int:
        """Number of links."""
        return len(self.edge_u)

    @functools.cached_property
    def index(self) -> dict[str, int]:
        """Node index of each place id."""
        return {pid: i for i, pid in enumerate(self.place_ids)}

    @functools.cached_property
    def edge_index(self) -> dict[tuple[int, int], int]:
        """Link index of each (node, node) pair, in both directions."""
        out = {}
        for e, (u, v) in enumerate(zip(self.edge_u.tolist(), self.edge_v.tolist(), strict=True)):
            out[(u, v)] = e
            out[(v, u)] = e
        return out

    def places_of_kind(self, kind: str) -> np.ndarray:
        """Node indices of the places of one kind."""
        return np.flatnonzero(self.kind == PLACE_KINDS.index(kind))

    def good_index(self, good_id: str) -> int:
        """Position of a good in :attr:`goods`."""
        for i, g in enumerate(self.goods):
            if g.id == good_id:
                return i
        raise KeyError(good_id)

    def positions(self) -> dict[int, tuple[float, float]]:
        """Map positions (longitude, latitude) by node: the layout for Mesa's Network space."""
        return {i: (float(self.lon[i]), float(self.lat[i])) for i in range(self.n_places)}


def read_only[T](obj: T) -> T:
    """``obj`` (a frozen dataclass) with its arrays, and those of its sparse matrices, made read-only.

    Worlds and route sets are shared by every model a process builds (sweep jobs run many seeds):
    a write into one would leak into the next run, so it raises instead.
    """
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
        elif sp.issparse(value):
            for part in (value.data, value.indices, value.indptr):
                part.flags.writeable = False
    return obj


def _row(path: Path, prefix: str) -> int | None:
    """The line of a file (1-based) that starts with ``prefix``, for messages."""
    for i, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if line.lstrip().startswith(prefix):
            return i
    return None


def check_network(tables: Tables, graph: nx.Graph, index: dict[str, int]) -> None:
    """What a row-by-row check cannot see: isolated places, sinks no source reaches, a country's typo.

    Raises:
        DataError: naming the file and the row of the place or good.
    """
    places_csv, goods_yaml = tables.data_dir / "places.csv", tables.data_dir / "goods.yaml"
    component = {n: i for i, nodes in enumerate(nx.connected_components(graph)) for n in nodes}
    for good in tables.goods:
        sinks = {component[index[s]] for s in good.sinks}
        sources = {component[index[s]] for s in good.sources}
        for src in good.sources:  # as sim.world.routes reports it when the routes are built
            if component[index[src]] not in sinks:
                where = str(tables.data_dir / "routes.csv")
                raise DataError(where, None, f"source {src!r} of {good.id} is not connected to any of its sinks")
        for sink in good.sinks:
            if component[index[sink]] not in sources:
                problem = f"sink {sink!r} of {good.id} is not connected to any of its sources"
                raise DataError(str(goods_yaml), _row(goods_yaml, f"{good.id}:"), problem)
    for p in tables.places:
        if graph.degree(index[p.id]) == 0:
            raise DataError(str(places_csv), _row(places_csv, f"{p.id},"), f"{p.id} has no route in routes.csv")
    counts = Counter(p.country for p in tables.places)
    for p in tables.places:
        near = [c for c in counts if c != p.country and counts[c] > counts[p.country]]
        match = difflib.get_close_matches(p.country, near, n=1, cutoff=0.8)
        if match:
            typo = f"country {p.country!r} looks like a typo of {match[0]!r}"
            raise DataError(str(places_csv), _row(places_csv, f"{p.id},"), typo)


def build_world(tables: Tables) -> World:
    """Index the tables into a :class:`World`."""
    places = tables.places
    index = {p.id: i for i, p in enumerate(places)}
    graph = nx.Graph()
    for i, p in enumerate(places):
        graph.add_node(i, id=p.id, name=p.name, pos=(p.lon, p.lat), kind=p.kind)
    for e, r in enumerate(tables.routes):
        graph.add_edge(index[r.a], index[r.b], edge=e, km=r.km, weeks=r.weeks, terrain=r.terrain)
    return World(
        tables=tables,
        place_ids=tuple(p.id for p in places),
        names=tuple(p.name for p in places),
        lat=np.array([p.lat for p in places]),
        lon=np.array([p.lon for p in places]),
        kind=np.array([PLACE_KINDS.index(p.kind) for p in places], dtype=np.int8),
        region=tuple(p.region for p in places),
        country=tuple(p.country for p in places),
        in_mali=np.array([p.country == "Mali" for p in places]),
        edge_u=np.array([index[r.a] for r in tables.routes], dtype=np.int64),
        edge_v=np.array([index[r.b] for r in tables.routes], dtype=np.int64),
        edge_km=np.array([r.km for r in tables.routes]),
        edge_weeks=np.array([r.weeks for r in tables.routes]),
        edge_terrain=np.array([TERRAINS.index(r.terrain) for r in tables.routes], dtype=np.int8),
        goods=tables.goods,
        graph=graph,
    )


@functools.lru_cache(maxsize=8)
def _load_world_cached(data_dir: str) -> World:
    world = build_world(load_tables(data_dir or None))
    check_network(world.tables, world.graph, {pid: i for i, pid in enumerate(world.place_ids)})
    return read_only(world)


def load_world(data_dir: str | Path | None = None) -> World:
    """Load and index the world tables, once per directory and process (sweeps reuse it)."""
    key = str(Path(data_dir).resolve()) if data_dir else ""
    return _load_world_cached(key)
