"""The world tables: coverage of the places the texts name, consistency, and clear errors."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest

from sim.errors import DataError
from sim.world import DATA_DIR, build_routes, build_world, load_tables, load_world

NAMED_TOWNS = [
    "Bamako",
    "Kayes",
    "Sikasso",
    "Ségou",
    "Koulikoro",
    "Mopti",
    "Timbuktu",
    "Gao",
    "Kidal",
    "Ménaka",
    "Anéfis",
]
NEIGHBOURS = ["Algeria", "Niger", "Burkina Faso", "Mauritania", "Senegal", "Guinea", "Côte d'Ivoire"]


def great_circle_km(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    d = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(d))


@pytest.fixture(scope="module")
def world():
    return load_world()


def test_places_cover_the_texts(world):
    assert world.n_places >= 45
    for name in NAMED_TOWNS:
        assert name in world.names, name
    regions = {world.region[i] for i in range(world.n_places) if world.in_mali[i]}
    assert {
        "Kayes",
        "Koulikoro",
        "Sikasso",
        "Ségou",
        "Mopti",
        "Timbuktu",
        "Gao",
        "Kidal",
        "Ménaka",
        "Bamako",
    } <= regions
    gold_regions = {world.region[i] for i in world.places_of_kind("gold_site")}
    assert {"Kayes", "Sikasso", "Kidal", "Gao"} <= gold_regions  # FACTS F4


def test_a_crossing_to_every_neighbour(world):
    crossings = world.places_of_kind("crossing")
    for country in NEIGHBOURS:
        linked = False
        for c in crossings:
            ends = {world.country[n] for n in world.graph.neighbors(int(c))} | {world.country[c]}
            linked |= country in ends and "Mali" in ends | {world.country[c]}
        assert linked, f"no crossing between Mali and {country}"


def test_outside_nodes(world):
    goods = {g.id: g for g in world.goods}
    countries = lambda ids: {world.country[world.index[p]] for p in ids}  # noqa: E731
    assert countries(goods["cocaine"].sources) <= {"Guinea-Bissau", "Guinea", "Mauritania", "Senegal"}
    assert countries(goods["cannabis_resin"].sources) == {"Morocco"}
    assert "Libya" in countries(goods["arms"].sources)
    assert countries(goods["gold"].sinks) == {"United Arab Emirates"}
    assert {"Algeria", "Libya"} <= countries(goods["cocaine"].sinks)
    assert "Egypt" in countries(goods["cannabis_resin"].sinks)


def test_route_lengths_agree_with_coordinates(world):
    """A road is never shorter than the great circle, and rarely more than twice as long."""
    for e in range(world.n_edges):
        u, v = world.edge_u[e], world.edge_v[e]
        gc = great_circle_km(world.lat[u], world.lon[u], world.lat[v], world.lon[v])
        km = world.edge_km[e]
        assert km >= 0.45 * gc, (world.place_ids[u], world.place_ids[v], km, gc)
        assert km <= 2.2 * gc + 30, (world.place_ids[u], world.place_ids[v], km, gc)


def test_goods_have_provenance(world):
    assert [g.id for g in world.goods] == [
        "cocaine", "cannabis_resin", "arms", "migrants", "gold", "fuel", "food", "cigarettes", "medicines", "cattle"
    ]  # fmt: skip
    for g in world.goods:
        for name, p in g.params.items():
            assert (p.source is None) != (p.assumption is None), (g.id, name)
    livelihood = {g.id for g in world.goods if g.livelihood}
    assert {"food", "fuel"} <= livelihood and "cocaine" not in livelihood


def test_every_source_reaches_a_sink(world):
    routes = build_routes(world, tuple(range(len(world.goods))), 6)
    for g, good in enumerate(world.goods):
        for src in good.sources:
            mine = (routes.good == g) & (routes.source == world.index[src])
            assert mine.any(), (good.id, src)
    # Paths are simple, travel times accumulate and no route passes through a market abroad.
    for r in range(routes.n_routes):
        nodes = routes.nodes[r][routes.nodes[r] >= 0]
        assert len(set(nodes.tolist())) == len(nodes)
        assert np.all(np.diff(routes.cum_weeks[r, : len(nodes)]) > 0)
        assert all(world.region[n] != "Outside" for n in nodes[1:-1])


# --- bad tables -------------------------------------------------------------------------------


@pytest.fixture
def data_copy(tmp_path):
    for f in ("places.csv", "routes.csv", "goods.yaml"):
        shutil.copy(DATA_DIR / f, tmp_path / f)
    return tmp_path


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("routes.csv", "bamako,koulikoro,60", "bamako,atlantis,60", "routes.csv, row 2: unknown place 'atlantis'"),
        ("routes.csv", "bamako,koulikoro,60", "bamako,koulikoro,-60", "routes.csv, row 2: length -60.0 km"),
        ("routes.csv", "bamako,koulikoro,60", "bamako,koulikoro,abc", "row 2: km 'abc' is not a number"),
        ("places.csv", "koulikoro,Koulikoro", "bamako,Koulikoro", "places.csv, row 3: duplicate id 'bamako'"),
        ("places.csv", "12.639,-8.003", "72.639,-8.003", "places.csv, row 2: coordinates (72.639, -8.003)"),
        ("places.csv", "12.639,-8.003,town", "12.639,-8.003,village", "row 2: kind 'village'"),
        ("goods.yaml", "sinks: [dubai]", "sinks: []", "gold has no sink"),
        ("goods.yaml", "sources: {rif: 1.0}", "sources: {rif: 0.5}", "source shares must be positive and sum to 1"),
        ("goods.yaml", "sinks: [cairo, tripoli]", "sinks: [cairo, narnia]", "unknown place 'narnia'"),
    ],
)
def test_bad_tables_are_reported_with_file_and_row(data_copy, file, old, new, message):
    edit(data_copy / file, old, new)
    with pytest.raises(DataError) as err:
        load_tables(data_copy)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_disconnected_source_is_reported(data_copy):
    # Cut Rif, the only resin source, from the network.
    edit(data_copy / "routes.csv", "zouerat,rif,2900,paved", "zouerat,dakar,2900,paved")
    world = build_world(load_tables(data_copy))
    with pytest.raises(DataError, match="source 'rif' of cannabis_resin is not connected"):
        build_routes(world, tuple(range(len(world.goods))), 6)
