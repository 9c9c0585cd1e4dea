"""What a run pays once (build, writing) is cut without changing a byte (issue 18, docs/performance.md)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import scipy.sparse as sp
import yaml

from conftest import run_small
from sim import run as runmod
from sim.params import to_dict
from sim.world import build_routes, build_world, load_tables, load_world
from sim.world import network as network_mod
from sim.world import routes as routes_mod
from simcli import CONFIG_DIR
from simcli.compose import compose


def _files(d):
    out = {}
    for f in sorted(d.iterdir()):
        data = f.read_bytes()
        if f.name == "summary.json":
            summary = json.loads(data)
            summary.pop("wall_seconds")
            data = json.dumps(summary, sort_keys=True).encode()
        if f.name != "manifest.json":  # it seals the summary, whose wall time differs
            out[f.name] = data
    return out


def _same_arrays(a, b) -> bool:
    if sp.issparse(a):
        return all(np.array_equal(x, y) for x, y in ((a.data, b.data), (a.indices, b.indices), (a.indptr, b.indptr)))
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    return a == b


def test_transit_graphs_shared_between_pairs_find_the_same_paths():
    """One copy of the transit graph per set of open terminal markets gives each pair's paths as its own copy."""
    world = load_world()
    transit = routes_mod._TransitGraphs(world)
    pairs = 0
    for good in world.goods:
        for src in good.sources:
            for sink in good.sinks:
                s, t = world.index[src], world.index[sink]
                assert routes_mod._paths(world, s, t, 6, transit.between(s, t)) == routes_mod._paths(world, s, t, 6)
                pairs += 1
    assert len(transit.graphs) < pairs  # the copies are shared


def test_cached_routes_equal_a_fresh_build():
    """The world and routes every later model of a process reuses are, field by field, a fresh build's."""
    world = load_world()
    goods = tuple(range(len(world.goods)))
    cached = build_routes(world, goods, 6)
    assert load_world() is world and build_routes(world, goods, 6) is cached  # what SahelModel gets
    fresh_world = build_world(load_tables(None))
    fresh = build_routes.__wrapped__(fresh_world, goods, 6)
    for f in dataclasses.fields(fresh):
        assert _same_arrays(getattr(cached, f.name), getattr(fresh, f.name)), f.name
    for f in dataclasses.fields(fresh_world):
        if isinstance(getattr(fresh_world, f.name), np.ndarray):
            assert _same_arrays(getattr(world, f.name), getattr(fresh_world, f.name)), f.name


def test_shared_world_and_routes_cannot_be_written():
    """Every model of a process shares them: a write would leak into the next run, so it raises."""
    world = load_world()
    routes = build_routes(world, tuple(range(len(world.goods))), 6)
    with pytest.raises(ValueError, match="read-only"):
        routes.cum_weeks[0, 0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        routes.node_incidence.data[0] = 2.0
    with pytest.raises(ValueError, match="read-only"):
        world.edge_weeks[0] = 0.0
    assert (routes.node_incidence @ np.ones(world.n_places)).flags.writeable  # results are the caller's


def test_a_run_on_cached_world_and_routes_has_the_bytes_of_a_fresh_process(tmp_path):
    """Caches warm (a run before) or cleared (as in a new process): the same files, byte for byte."""
    run_small(5, steps=6, outdir=tmp_path / "warm", burn_in_weeks=2)
    network_mod._load_world_cached.cache_clear()
    build_routes.cache_clear()
    run_small(5, steps=6, outdir=tmp_path / "cold", burn_in_weeks=2)
    warm, cold = _files(tmp_path / "warm"), _files(tmp_path / "cold")
    assert set(warm) >= {"config.yaml", "timeseries.parquet", "summary.json", "dictionary.json"}
    assert warm == cold


@pytest.mark.parametrize(
    "overrides",
    [[f"scenario={p.stem}"] for p in sorted((CONFIG_DIR / "scenario").glob("*.yaml"))]
    + [["experiment=history_counterfactuals"], ["experiment=sensitivity_morris"], ["policy=[ddr,sanctions]"]],
    ids=lambda o: o[0],
)
def test_config_yaml_is_the_pure_python_emitters_text(overrides):
    """``config.yaml`` is written with libyaml's emitter: the same text as PyYAML's own, scenarios and presets."""
    config = compose(overrides)
    assert runmod.config_text(config) == yaml.safe_dump(to_dict(config), sort_keys=False, allow_unicode=True)


def test_yaml_emitters_agree_on_awkward_strings():
    """Strings a configuration could hold (names, notes, dates, numbers as text) come out the same."""
    data = {
        "name": "Kidal–Tessalit (Adrar des Ifoghas) «nord»",
        "long": "a description that goes on well past the eighty columns of the emitter's line width " * 3,
        "quoted": ["yes", "no", "on", "null", "~", "1e3", "0x1F", "2013-07-01", "", " padded ", "a: b", "#x"],
        "lines": "first line\nsecond line\n",
        "numbers": [0.1, 1e-300, -0.0, 123456789.123456789, 3, True, None],
        "nested": {"x": [[1, 2], {"y": "z"}], "empty": {}, "none": []},
    }
    expected = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    assert yaml.dump(data, Dumper=runmod._YAML_DUMPER, sort_keys=False, allow_unicode=True) == expected
