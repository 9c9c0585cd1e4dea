"""Candidate routes from each source to each sink, as padded arrays.

Crews choose among a fixed set of paths per (good, source, sink), found once per world with
networkx: the quickest path of each *corridor* (the sequence of borders it crosses, entering
each country once), the ``k`` quickest corridors, filled up with the next quickest simple paths
when there are fewer. Taking
the ``k`` quickest paths alone would offer variants of one corridor (detours past a gold site)
and hide slower corridors whose costs or risks may be lower, which would impose the geography
rather than let crews choose it. Everything that changes
during a run (transport costs, checkpoint rates, perceived risk) is then evaluated over
all candidate routes at once with numpy, so no crew runs a shortest-path search.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp

from sim.errors import DataError
from sim.world.network import TERMINAL_REGIONS, World, read_only


@dataclass(frozen=True, eq=False)
class RouteSet:
    """Candidate routes of all goods.

    Arrays are indexed by route ``r``; per-position arrays have ``max_len`` columns, padded
    with node ``-1``, edge ``-1`` and cumulative time ``inf``. Position 0 is the source.

    Attributes:
        good, source, sink: Good index and node indices of each route.
        group: Index of the route's (good, source) group: the routes open to one crew.
        nodes: Node at each position.
        edges: Link travelled to reach each position (-1 at position 0).
        cum_weeks: Travel time from the source to each position.
        km_frac: Share of the route's length covered at each position.
        weeks: Total travel time.
        group_routes: Routes of each group, padded with -1 to the largest group.
        node_incidence: Sparse (routes x places) matrix of the places passed after departure.
        edge_incidence: Sparse (routes x links) matrix of the links travelled.
    """

    good: np.ndarray
    source: np.ndarray
    sink: np.ndarray
    group: np.ndarray
    group_good: np.ndarray
    group_source: np.ndarray
    nodes: np.ndarray
    edges: np.ndarray
    cum_weeks: np.ndarray
    km_frac: np.ndarray
    weeks: np.ndarray
    km: np.ndarray
    group_routes: np.ndarray
    node_incidence: sp.csr_matrix
    edge_incidence: sp.csr_matrix

    @property
    def n_routes(self) -> int:
        """Number of candidate routes."""
        return len(self.good)

    @property
    def n_groups(self) -> int:
        """Number of (good, source) groups."""
        return len(self.group_good)

    @property
    def max_len(self) -> int:
        """Longest route, in places."""
        return self.nodes.shape[1]


def _transit_graph(world: World, source: int, sink: int) -> nx.Graph:
    """The graph without terminal markets other than this route's ends."""
    blocked = [i for i in range(world.n_places) if world.region[i] in TERMINAL_REGIONS and i not in (source, sink)]
    return nx.restricted_view(world.graph, blocked, [])


class _TransitGraphs:
    """Plain copies of the transit graphs, one per set of terminal markets left open.

    Searches on a view are slow, so each pair's view is copied; pairs that leave the same
    terminal markets open (most pairs share their sink's) share one copy. The searches only read
    the graph, and a copy is built exactly as before, so the paths found are the same.
    """

    def __init__(self, world: World) -> None:
        self.world = world
        self.terminal = {i for i in range(world.n_places) if world.region[i] in TERMINAL_REGIONS}
        self.graphs: dict[tuple[int, ...], nx.Graph] = {}

    def between(self, source: int, sink: int) -> nx.Graph:
        """The transit graph of a route from ``source`` to ``sink``."""
        key = tuple(sorted(self.terminal & {source, sink}))
        if key not in self.graphs:
            self.graphs[key] = nx.Graph(_transit_graph(self.world, source, sink))
        return self.graphs[key]


def _border_links(world: World) -> list[tuple[int, int]]:
    """Links between places of different countries, in both directions."""
    out = []
    for u, v in zip(world.edge_u.tolist(), world.edge_v.tolist(), strict=True):
        if world.country[u] != world.country[v]:
            out += [(u, v), (v, u)]
    return out


def _corridor(world: World, path: list[int]) -> tuple[tuple[int, int], ...]:
    """The borders a path crosses, in order: what tells one corridor from another."""
    return tuple((a, b) for a, b in itertools.pairwise(path) if world.country[a] != world.country[b])


def _enters_each_country_once(world: World, path: list[int]) -> bool:
    """No zig-zag across a border and back: the countries a path visits do not repeat."""
    seq = [world.country[path[0]]] + [
        world.country[b] for a, b in itertools.pairwise(path) if world.country[a] != world.country[b]
    ]
    return len(seq) == len(set(seq))


def _weeks(graph: nx.Graph, path: list[int]) -> float:
    return sum(graph.edges[a, b]["weeks"] for a, b in itertools.pairwise(path))


def _paths(world: World, source: int, sink: int, k: int, graph: nx.Graph | None = None) -> list[list[int]]:
    """The quickest path of each corridor, the ``k`` quickest corridors first, then the quickest others.

    ``graph`` is the pair's transit graph if already built (:class:`_TransitGraphs`); it is only read.
    """
    if graph is None:
        graph = nx.Graph(_transit_graph(world, source, sink))  # a plain copy: searches on views are slow
    if not nx.has_path(graph, source, sink):
        return []
    _, from_source = nx.single_source_dijkstra(graph, source, weight="weeks")
    _, from_sink = nx.single_source_dijkstra(graph, sink, weight="weeks")
    found: dict[tuple, list[int]] = {}
    candidates = [from_source[sink]]
    for u, v in _border_links(world):
        if u in from_source and v in from_sink:
            path = from_source[u] + from_sink[v][::-1]
            if len(set(path)) == len(path) and _enters_each_country_once(world, path):
                candidates.append(path)
    for path in sorted(candidates, key=lambda p: (_weeks(graph, p), p)):
        found.setdefault(_corridor(world, path), path)
    chosen = sorted(found.values(), key=lambda p: (_weeks(graph, p), p))[:k]
    if len(chosen) < k:
        for p in itertools.islice(nx.shortest_simple_paths(graph, source, sink, weight="weeks"), 4 * k):
            if p not in chosen:
                chosen.append(list(p))
            if len(chosen) == k:
                break
    return chosen


@functools.lru_cache(maxsize=16)
def build_routes(world: World, goods: tuple[int, ...], k: int) -> RouteSet:
    """Enumerate up to ``k`` candidate paths for each (good, source, sink): the quickest corridors.

    Built once per world (its identity: :func:`sim.world.load_world` keeps one per data directory),
    goods and ``k`` in a process; every later model of a sweep job gets the same read-only arrays
    (``tests/test_fixed_costs.py`` checks them against a fresh build).

    Args:
        world: The world.
        goods: Indices of the goods traded.
        k: Paths per source-sink pair.

    Raises:
        DataError: when a source of a good cannot reach any of its sinks.
    """
    paths, good_of, group_of, groups = [], [], [], []
    transit = _TransitGraphs(world)
    for g in goods:
        good = world.goods[g]
        for src_id in good.sources:
            src = world.index[src_id]
            found = []
            for sink_id in good.sinks:
                sink = world.index[sink_id]
                found += _paths(world, src, sink, k, transit.between(src, sink))
            if not found:
                raise DataError(
                    str(world.tables.data_dir / "routes.csv"),
                    None,
                    f"source {src_id!r} of {good.id} is not connected to any of its sinks",
                )
            groups.append((g, src))
            for p in found:
                paths.append(p)
                good_of.append(g)
                group_of.append(len(groups) - 1)
    n = len(paths)
    max_len = max(len(p) for p in paths)
    nodes = np.full((n, max_len), -1, dtype=np.int64)
    edges = np.full((n, max_len), -1, dtype=np.int64)
    cum = np.full((n, max_len), np.inf)
    frac = np.zeros((n, max_len))
    for r, p in enumerate(paths):
        nodes[r, : len(p)] = p
        e = [world.edge_index[(a, b)] for a, b in itertools.pairwise(p)]
        edges[r, 1 : len(p)] = e
        cum[r, : len(p)] = np.concatenate([[0.0], np.cumsum(world.edge_weeks[e])])
        km = np.concatenate([[0.0], np.cumsum(world.edge_km[e])])
        frac[r, : len(p)] = km / km[-1]
    lengths = np.array([len(p) for p in paths])
    weeks = cum[np.arange(n), lengths - 1]
    km_total = np.array([world.edge_km[edges[r, 1 : lengths[r]]].sum() for r in range(n)])
    group = np.array(group_of, dtype=np.int64)
    members = [np.flatnonzero(group == j) for j in range(len(groups))]
    width = max(len(m) for m in members)
    group_routes = np.full((len(groups), width), -1, dtype=np.int64)
    for j, m in enumerate(members):
        group_routes[j, : len(m)] = m
    rows = np.repeat(np.arange(n), max_len).reshape(n, max_len)
    passed = nodes >= 0
    passed[:, 0] = False
    node_inc = sp.csr_matrix((np.ones(passed.sum()), (rows[passed], nodes[passed])), shape=(n, world.n_places))
    travelled = edges >= 0
    edge_inc = sp.csr_matrix((np.ones(travelled.sum()), (rows[travelled], edges[travelled])), shape=(n, world.n_edges))
    return read_only(
        RouteSet(
            good=np.array(good_of, dtype=np.int64),
            source=nodes[:, 0].copy(),
            sink=nodes[np.arange(n), lengths - 1].copy(),
            group=group,
            group_good=np.array([g for g, _ in groups], dtype=np.int64),
            group_source=np.array([s for _, s in groups], dtype=np.int64),
            nodes=nodes,
            edges=edges,
            cum_weeks=cum,
            km_frac=frac,
            weeks=weeks,
            km=km_total,
            group_routes=group_routes,
            node_incidence=node_inc,
            edge_incidence=edge_inc,
        )
    )
