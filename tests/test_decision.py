"""Decision support: scenario discovery (PRIM, CART), the robust policy search, GeoJSON export."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest
import yaml

from experiments import discover, search
from sim.errors import ConfigError

# A tiny economy: a few recorded weeks after a short burn-in.
TINY = ["--set", "scenario.burn_in_weeks=2", "--set", "scenario.supply_scale=0.05"]


def test_prim_finds_a_known_box():
    """Cases of interest where a > 0.6 and b < 0.3, with 5% of labels flipped; c is noise."""
    rng = np.random.default_rng(11)
    x = pd.DataFrame({"a": rng.uniform(0, 1, 400), "b": rng.uniform(0, 1, 400), "c": rng.uniform(0, 1, 400)})
    y = ((x.a > 0.6) & (x.b < 0.3)).to_numpy() ^ (rng.uniform(size=400) < 0.05)
    box, _ = discover.prim_boxes(x, y)
    assert set(box.limits) == {"a", "b"}  # c's restriction, if any, is dropped as noise
    assert box.limits["a"][0] == pytest.approx(0.6, abs=0.06) and box.limits["b"][1] == pytest.approx(0.3, abs=0.06)
    assert box.coverage > 0.7 and box.density > 0.7
    assert all(q < 0.01 for q in box.qp.values())
    cart, _ = discover.cart_boxes(x, y)
    assert cart and set(cart[0].limits) <= {"a", "b", "c"} and cart[0].density > 0.8


def test_criteria_classify_pairs():
    pairs = pd.DataFrame(
        {
            "out:delivered_value_usd": [80.0, 99.0, 70.0],
            "out:delivered_value_usd:base": [100.0, 100.0, 100.0],
            "out:food_security_north_index": [1.0, 1.0, 0.9],
            "out:food_security_north_index:base": [1.0, 1.0, 1.0],
        }
    )
    success = [discover.Criterion.parse("delivered_value_usd<=-10%", "--success")]
    harm = [discover.Criterion.parse("food_security_north_index <= -0.05", "--harm")]
    assert list(discover.classify(pairs, success, harm)) == ["success", "failure", "harm"]
    with pytest.raises(ConfigError, match="not an outcome"):
        discover.classify(pairs, [discover.Criterion.parse("delivered_valu<=1", "--success")], [])
    with pytest.raises(ConfigError, match="--harm"):
        discover.Criterion.parse("food security down", "--harm")


def test_discovery_end_to_end_on_a_tiny_sweep(tmp_path):
    sweep = tmp_path / "sweep"
    args = ["sample", str(sweep), "--policy", "border_control", "--n", "4", "--seeds", "1", "--steps", "3"]
    args += [*TINY, "--factor", "scenario.communities.import_dependence_north"]
    args += ["--factor", "scenario.officials.integrity_mean", "--set", "policy.border_control.crime_sensitive=true"]
    assert discover.main(args) == 0
    assert len(list(sweep.glob("runs/*/summary.json"))) == 8
    configs = [yaml.safe_load(p.read_text()) for p in sweep.glob("runs/*/config.yaml")]
    # the policy's settings only where it is on: the base runs keep its defaults
    assert {
        (c["policy"]["border_control"]["enabled"], c["policy"]["border_control"]["crime_sensitive"]) for c in configs
    } == {
        (False, False),
        (True, True),
    }
    assert discover.main(args) == 0  # a re-run finds every run done
    code = discover.main(
        [str(sweep), "--policy", "border_control", "--success", "delivered_value_usd<=-1%", "--harm", "fatalities>0"]
    )
    assert code == 0
    result = json.loads((sweep / "discovery" / "discovery.json").read_text())
    assert result["pairs"] == 4 and sum(result["counts"].values()) == 4
    assert "When does `border_control` fail" in (sweep / "discovery" / "discovery.md").read_text()
    assert discover.main([str(sweep), "--policy", "ddr", "--harm", "fatalities>0"]) == 2  # not in the sweep


# --- the robust search ------------------------------------------------------------------------


def _settings(**kw) -> search.Settings:
    base = dict(
        policies=["border_control", "livelihoods"],
        objectives=[list(o) for o in search.OBJECTIVES],
        factors=["scenario.communities.import_dependence_north"],
        scenarios=1,
        seeds=1,
        steps=3,
        scenario={"name": "small", "supply_scale": 0.05, "burn_in_weeks": 2},
        population=4,
        measure="p90_regret",
    )
    return search.Settings(**{**base, **kw})


class KilledError(Exception):
    pass


def test_a_killed_search_resumes_and_ends_where_an_unbroken_one_does(tmp_path, monkeypatch):
    whole = search.search(tmp_path / "whole", _settings(), generations=2)
    assert whole["generations"] == 2 and len(whole["evaluated"]) == 8

    # Kill the second run while it evaluates its second generation.
    real = search.Evaluator.values
    calls = {"n": 0}

    def dying(self, packages):
        calls["n"] += 1
        if calls["n"] == 3:  # reference, generation 1, then generation 2
            raise KilledError
        return real(self, packages)

    monkeypatch.setattr(search.Evaluator, "values", dying)
    with pytest.raises(KilledError):
        search.search(tmp_path / "resumed", _settings(), generations=2)
    kept = pickle.loads((tmp_path / "resumed" / search.ARCHIVE).read_bytes())
    assert kept["generations"] == 1
    monkeypatch.setattr(search.Evaluator, "values", real)
    resumed = search.search(tmp_path / "resumed", _settings(), generations=2)
    assert resumed["generations"] == 2
    assert [e["score"] for e in resumed["evaluated"]] == [e["score"] for e in whole["evaluated"]]
    assert [e["package"] for e in resumed["front"]] == [e["package"] for e in whole["front"]]
    # the runs are the same runs: the same hashed directories
    assert sorted(p.name for p in (tmp_path / "whole" / "runs").iterdir()) == sorted(
        p.name for p in (tmp_path / "resumed" / "runs").iterdir()
    )
    text = search.report(tmp_path / "whole", whole)
    assert "nearest_single" in text and (tmp_path / "whole" / "front.png").exists()
    with pytest.raises(ConfigError, match="other settings"):
        search.search(tmp_path / "whole", _settings(seeds=2), generations=2)


def test_packages_decode_within_their_ranges():
    space = search.Space(["border_control", "counter_terrorism", "ddr"])
    rng = np.random.default_rng(0)
    for _ in range(50):
        pkg = space.decode(rng.uniform(size=space.n), weeks=52, max_start=0.5)
        for name, cfg in pkg.items():
            assert cfg["enabled"] and 0.25 <= cfg["intensity"] <= 2.0 and 1 <= cfg["start"] <= 27
            if name == "border_control":
                assert cfg["targets"] in search.TARGETS["border_control"]
    assert space.decode(np.zeros(space.n), 52, 0.5) == {}


# --- GeoJSON --------------------------------------------------------------------------------


def test_a_run_writes_geojson_that_parses_back(tmp_path):
    import geojson

    from sim.gis import PLACES, ROUTES
    from sim.params import RunConfig, from_dict
    from sim.run import run

    config = from_dict(
        RunConfig,
        {
            "seed": 2,
            "steps": 6,
            "scenario": {"name": "small", "supply_scale": 0.1, "burn_in_weeks": 4},
            "policy": {"border_control": {"enabled": True}},
            "output": {"geojson": True},
        },
    )
    result = run(config, tmp_path)
    places = geojson.loads((tmp_path / PLACES).read_text())
    routes = geojson.loads((tmp_path / ROUTES).read_text())
    for collection in (places, routes):
        assert collection.is_valid, collection.errors()
        assert collection["type"] == "FeatureCollection"
    world = result.model.world
    assert len(places["features"]) == world.n_places and len(routes["features"]) == world.n_edges
    timbuktu = next(f for f in places["features"] if f["properties"]["name"] == "Timbuktu")
    lon, lat = timbuktu["geometry"]["coordinates"]
    assert -4 < lon < -2 and 16 < lat < 18  # longitude first (RFC 7946)
    assert any(f["properties"]["checkpoint"] for f in places["features"])
    assert any(f["properties"]["holder"] for f in places["features"])
    edges = pd.read_parquet(tmp_path / "edges.parquet")
    carried = sum(f["properties"]["units"] for f in routes["features"])
    assert carried == pytest.approx(edges["units"].sum(), rel=1e-6) and carried > 0


def test_a_sweep_comparison_writes_change_against_the_base(tmp_path):
    import geojson

    from experiments.gis import main as gis_main

    edges = pd.DataFrame(
        {
            "variant": ["none", "none", "border_control", "border_control"],
            "a": ["bamako", "bamako", "bamako", "bamako"],
            "b": ["koulikoro", "kayes", "koulikoro", "kayes"],
            "good": ["fuel", "fuel", "fuel", "fuel"],
            "units": [100.0, 50.0, 80.0, 0.0],
        }
    )
    edges.to_parquet(tmp_path / "edges.parquet")
    assert gis_main([str(tmp_path), "--variant", "border_control", "--base", "none"]) == 0
    assert gis_main([str(tmp_path), "--variant", "ddr", "--base", "none"]) == 2
    routes = geojson.loads((tmp_path / "gis" / "border_control" / "routes.geojson").read_text())
    assert routes.is_valid
    props = {f["properties"]["id"]: f["properties"] for f in routes["features"]}
    assert props["bamako-koulikoro"]["change"] == pytest.approx(-20.0)
    assert props["bamako-koulikoro"]["change_pct"] == pytest.approx(-20.0)
    assert props["bamako-kayes"]["change_pct"] == pytest.approx(-100.0)
    assert props["bamako-kayes"]["change.fuel"] == pytest.approx(-50.0)


def test_the_sweep_page_panel_shows_boxes_and_the_front(tmp_path):
    import solara

    from simviz.decision import DecisionResults, boxes_table, has_results

    assert not has_results(tmp_path)
    box = {
        "method": "PRIM",
        "coverage": 0.8,
        "density": 0.9,
        "mass": 0.2,
        "limits": {"a": [0.6, 1.0]},
        "qp": {"a": 0.001},
    }
    result = {
        "policy": "border_control",
        "base": "none",
        "pairs": 10,
        "counts": {"success": 4, "failure": 5, "harm": 1},
        "questions": {"fails or harms": {"cases": 6, "boxes": [box]}},
    }
    (tmp_path / "discovery").mkdir()
    (tmp_path / "discovery" / "discovery.json").write_text(json.dumps(result))
    pd.DataFrame({"package": ["ddr(x1, from w3)"], "civilian_fatalities": [1.5]}).to_csv(tmp_path / "front.csv")
    assert has_results(tmp_path)
    assert boxes_table(result).iloc[0]["box"] == "a in [0.6, 1] (qp 0.001)"
    _box, rc = solara.render(DecisionResults(str(tmp_path)), handle_error=False)
    html = " ".join(w.unsafe_innerHTML or "" for w in rc.find(solara.widgets.HTML).widgets)
    assert "Scenario discovery: border_control" in html and "a in [0.6, 1] (qp 0.001)" in html
    assert "Pareto front: 1 packages" in html and "ddr(x1, from w3)" in html


# --- a package of the front, opened in the scenario page ------------------------------------


def test_a_front_package_opens_as_its_saved_run(tmp_path):
    from sim.sweep import run_key
    from simviz.decision import package_links
    from simviz.package import PackageError, open_run, page_totals, same_total, saved_summary, settings_for_run
    from simviz.session import Session, run_config

    root = tmp_path / "search"
    archive = search.search(root, _settings(), generations=1)
    search.report(root, archive)
    front = json.loads((root / "front.json").read_text())
    assert len(front["front"]) == len(archive["front"]) and front["objectives"] == list(archive["directions"])
    # the first package with a policy in it (doing nothing can be on the front too, and opens as no levers)
    index = next(i for i, e in enumerate(front["front"]) if e["package"])
    entry = front["front"][index]
    assert entry["package"] == archive["front"][index]["package"] and len(entry["runs"]) == 1  # 1 scenario x 1 seed
    assert (root / "runs" / entry["runs"][0]["key"] / "summary.json").is_file()

    opened = open_run(root, index, 0)
    settings = opened.settings
    # the controls hold the package's levers; the rest (run length, assumption values...) rides beside them
    assert sorted(settings.active()) == sorted(entry["package"])
    for name, levers in entry["package"].items():
        assert settings.policy(name).intensity == levers["intensity"] and settings.policy(name).start == levers["start"]
    assert "steps=3" in settings.extra and any(e.startswith("scenario.communities.") for e in settings.extra)
    assert run_key(run_config(settings)) == entry["runs"][0]["key"]
    assert all(e in settings.command() for e in settings.extra)

    # stepped as the page steps it, the run's totals are the saved run's, every outcome
    session = Session(settings)
    assert session.horizon == 3
    session.step(session.horizon)
    totals = page_totals(session.model, session.run.frame())
    saved = saved_summary(opened.run_dir)
    shared = [k for k in totals if k in saved]
    assert len(shared) > 100 and all(same_total(totals[k], saved[k]) for k in shared)

    # the page's panel says so, outcome by outcome
    from simviz.scenario_page import package_panel

    panel = package_panel(opened, session, session.run.frame())
    assert panel.count(">identical<") == len(front["objectives"]) and f"{len(shared)} of {len(shared)}" in panel

    # moved levers make another run, and the panel says it is no longer the saved one; a bad index says why
    moved = settings.with_policy(next(iter(entry["package"])), intensity=0.1)
    assert run_key(run_config(moved)) != opened.key
    session.reset(moved)
    assert "no longer the saved run" in package_panel(opened, session, session.run.frame())
    with pytest.raises(PackageError, match="packages 0 to"):
        open_run(root, len(front["front"]), 0)
    with pytest.raises(PackageError, match=r"no front\.json"):
        open_run(tmp_path, 0, 0)
    assert settings_for_run(yaml.safe_load((opened.run_dir / "config.yaml").read_text())) == settings
    links = package_links(root)
    assert links.count("sahel-open-package") == len(front["front"]) and "package=0&amp;run=0" in links


def test_hydra_values_survive_the_override_grammar():
    from simcli.compose import compose
    from simviz.package import differences, hydra_value

    assert hydra_value(["region:Timbuktu", "region:Ménaka"]) == "['region:Timbuktu','region:Ménaka']"
    assert hydra_value([True, None, 0.25, "in_khalil"]) == "[true,null,0.25,in_khalil]"
    overrides = [
        "policy=[livelihoods]",
        "policy.livelihoods.targets=" + hydra_value(["region:Gao", "region:Ménaka"]),
        "scenario.officials.integrity_mean=" + hydra_value(0.31981452146962586),
    ]
    cfg = compose(overrides)
    assert cfg.policy.livelihoods.targets == ["region:Gao", "region:Ménaka"]
    assert cfg.scenario.officials.integrity_mean == 0.31981452146962586
    assert differences({"a": {"b": 1, "c": [1]}}, {"a": {"b": 2, "c": [1]}}) == ["a.b=1"]


def test_the_ray_launcher_sends_each_block_as_a_task_and_names_a_missing_cluster(tmp_path, monkeypatch):
    """The search's runs go to Ray through the studies' runner: a stand-in ``ray`` records what it is asked."""
    import importlib.machinery
    import sys
    import types

    from experiments.runner import ClusterFailedError, run_blocks

    asked: dict = {"tasks": []}

    def remote(**options):
        def wrap(fn):
            return types.SimpleNamespace(remote=lambda *a, **kw: asked["tasks"].append(options) or fn(*a, **kw))

        return wrap

    fake = types.SimpleNamespace(
        __spec__=importlib.machinery.ModuleSpec("ray", None),
        is_initialized=lambda: False,
        init=lambda **kw: asked.update(init=kw),
        remote=remote,
        get=lambda refs: refs,
    )
    monkeypatch.setitem(sys.modules, "ray", fake)
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:6399")
    settings = _settings(policies=["livelihoods"], population=2)
    config = next(search.package_configs(settings, search.assumption_points(settings), {}))[0]
    run_blocks([("[none]", config)], tmp_path / "relative" / ".." / "root", launcher="ray")
    assert asked["init"]["address"] == "127.0.0.1:6399" and asked["tasks"] == [{"num_cpus": 1, "max_retries": 0}]
    assert len(list((tmp_path / "root" / "runs").glob("*/summary.json"))) == 1

    def refuse(**kw):
        raise ConnectionError("Could not find any running Ray instance.\nmore")

    fake.init = refuse
    with pytest.raises(ClusterFailedError, match=r"Ray cluster failed or could not be reached"):
        run_blocks([("[none]", config)], tmp_path / "other", launcher="ray")
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    with pytest.raises(ConfigError, match=r"ray installed"):
        run_blocks([("[none]", config)], tmp_path / "other", launcher="ray")
