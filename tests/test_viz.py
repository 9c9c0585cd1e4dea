"""The browser view in-process: both pages render, Step/Play/Reset, tabs apart, sweeps and bad ones.

The pages are rendered with ``solara.render`` (no server, no browser) and driven through their
widgets as a click would; ``tests/test_browser.py`` does the same in a real Chromium.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import ipyvuetify as v
import ipywidgets
import numpy as np
import pytest
import solara

from sim.params import RunConfig, from_dict
from sim.sweep import run_block
from simviz import app, assets, charts, events, guard
from simviz import map as vmap
from simviz import scenario_page as sp
from simviz.__main__ import parse_args
from simviz.borders import BOX, COUNTRIES
from simviz.session import Session, Settings, parse_seed, policy_config, scenario_config
from simviz.vega import LiveVega

ROOT = Path(__file__).resolve().parent.parent
FAST = Settings(scenario="small", seed=1, burn_in_weeks=0)


@pytest.fixture(autouse=True)
def sweep_roots(monkeypatch, tmp_path_factory):
    """The sweep page opens sweeps under the test's temporary directories and caches its tables there."""
    base = tmp_path_factory.getbasetemp()
    monkeypatch.setenv(guard.ENV_ROOTS, str(base))
    monkeypatch.setenv(guard.ENV_CACHE, str(base / "viz-cache"))


@pytest.fixture(scope="module")
def small_sweep(tmp_path_factory):
    """A sweep as the command line lays it out: 2 policies x 2 seeds of the small scenario, 12 weeks."""
    root = tmp_path_factory.mktemp("sweep")
    scenario = {"name": "small", "steps": 104, "supply_scale": 0.1, "burn_in_weeks": 4}
    for job, policy in enumerate(["none", "border_control"]):
        data = {"steps": 12, "seeds": 2, "scenario": scenario, "output": {"progress": False}}
        if policy != "none":
            data["policy"] = {policy: {"enabled": True}}
        run_block(from_dict(RunConfig, data), root, job=str(job), overrides=[f"policy={policy}"])
    return root


@pytest.fixture
def fast_pages(monkeypatch):
    """New tabs start with the small scenario and no burn-in (a model in milliseconds)."""
    monkeypatch.setattr(sp, "initial_settings", lambda query="": FAST)


def render_scenario():
    """The scenario page inside the app layout (its sidebar needs one), as a tab would get it."""
    return solara.render(solara.AppLayout(children=[sp.ScenarioPage()]), handle_error=False)


def button(rc, label: str):
    return rc.find(v.Btn, children=[label]).widget


def week_label(rc) -> str:
    return rc.find(v.Html, class_="sahel-week").widget.children[0]


def wait_for(condition, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def html_text(rc) -> str:
    """Text of the page's HTML blocks (run information, numbers, sweep summary)."""
    return " ".join(w.unsafe_innerHTML or "" for w in rc.find(solara.widgets.HTML).widgets)


def charts_by_key(rc) -> dict[str, LiveVega]:
    """The map and each chart's widget, told apart by the name their export carries."""
    out = {}
    for w in rc.find(LiveVega).widgets:
        out[w.spec["usermeta"]["name"].removeprefix("sahel-")] = w
    assert len(out) == 1 + len(charts.CHARTS)
    return out


# --- Scenario page -------------------------------------------------------------------------------


def test_scenario_page_steps_and_map_and_charts_follow(fast_pages):
    _box, rc = render_scenario()
    assert week_label(rc).startswith("Week 0 of 104")
    shown = charts_by_key(rc)
    assert set(shown["map"].spec["datasets"]) == set(vmap.STATIC)  # outlines and labels are in the spec
    links_before = shown["map"].datasets["links"]
    for _ in range(3):
        button(rc, "Step").click()
    assert week_label(rc).startswith("Week 3 of 104 · 28 Jan 2013")
    shown = charts_by_key(rc)
    for c in charts.CHARTS:
        assert len(shown[c.key].datasets["table"]) == 3, c.key
    links_after = shown["map"].datasets["links"]
    assert sum(x["units"] for x in links_after) > 0
    assert [x["units"] for x in links_after] != [x["units"] for x in links_before]


def test_play_runs_weeks_until_pause_and_reset_returns_to_week_0(fast_pages):
    _box, rc = render_scenario()
    # 20 weeks a second: the 104 weeks take over 5 s, so Pause comes while it plays (as fast as the
    # small model runs, a fast machine reached the horizon first, and Pause found nothing to pause).
    rc.find(v.Slider, label=sp.speed_label(0)).widget.v_model = sp.SPEEDS.index(20)
    assert rc.find(v.Slider, label=sp.speed_label(20)).widgets
    button(rc, "Play").click()
    wait_for(lambda: not week_label(rc).startswith(("Week 0 ", "Week 1 ", "Week 2 ")))
    assert button(rc, "Step").disabled  # no stepping while it plays
    button(rc, "Pause").click()  # the stepping thread finishes its week and stops; the page shows it
    time.sleep(0.3)
    paused = week_label(rc)
    assert not paused.startswith("Week 104 ")  # paused before the horizon
    time.sleep(0.6)
    assert week_label(rc) == paused
    button(rc, "Play").click()
    button(rc, "Reset").click()  # Reset while playing: stops, and the new model stays at week 0
    time.sleep(0.5)
    assert week_label(rc).startswith("Week 0 of 104")
    assert not button(rc, "Step").disabled


def test_changed_policy_applies_on_reset(fast_pages):
    _box, rc = render_scenario()
    button(rc, "Step").click()
    checkbox = rc.find(v.Checkbox, label="border control").widget
    checkbox.v_model = True  # as a click on it does
    assert rc.find(v.Alert, children=["Settings changed: press Reset to build a model with them."]).widgets
    sliders = rc.find(v.Slider, label="intensity: 1.0").widgets
    assert len(sliders) == 1  # the levers of the policy switched on, each showing its value
    sliders[0].v_model = 0.5
    assert week_label(rc).startswith("Week 1 ")  # nothing changes before Reset
    button(rc, "Reset").click()
    assert week_label(rc).startswith("Week 0 ")
    assert "border control (intensity 0.5, from week 1)" in html_text(rc)
    assert not rc.find(v.Alert, children=["Settings changed: press Reset to build a model with them."]).widgets


def test_each_tab_has_its_own_model(fast_pages):
    _, tab1 = render_scenario()
    _, tab2 = render_scenario()
    for _ in range(2):
        button(tab1, "Step").click()
    assert week_label(tab1).startswith("Week 2 ")
    assert week_label(tab2).startswith("Week 0 ")
    button(tab2, "Step").click()
    assert week_label(tab1).startswith("Week 2 ") and week_label(tab2).startswith("Week 1 ")


def test_sessions_are_independent_and_play_never_steps_a_reset_model():
    a, b = Session(FAST), Session(FAST)
    assert a.model is not b.model
    a.step(3)
    assert (a.week, b.week) == (3, 0)
    generation = a.generation
    a.reset()
    assert a.step(5, generation=generation) == 0  # a play loop started before the reset stops
    assert a.week == 0


def test_session_builds_scenario_and_policy_from_the_configs():
    settings = Settings(scenario="small", seed=3).with_policy("ddr", enabled=True, intensity=0.7, start=10)
    assert scenario_config(settings).steps == 104
    policy = policy_config(settings)
    assert policy.ddr.enabled and policy.ddr.intensity == 0.7 and policy.ddr.start == 10
    assert policy.ddr.targets == ["signatory", "pro_government"]  # from simcli/configs/policy/ddr.yaml
    assert policy.names() == ["ddr"]


# --- Map and charts ------------------------------------------------------------------------------


def test_map_reads_as_the_sahel_at_real_coordinates():
    session = Session(FAST)
    session.step(2)
    chart = vmap.map_altair(session.model, vmap.MapScale())
    spec = chart.to_dict(validate=True)  # a valid Vega-Lite specification, data included
    data = spec["datasets"]
    names = {f["properties"]["name"] for f in data["countries"]}
    assert {"Mali", "Niger", "Burkina Faso", "Mauritania", "Algeria", "Senegal"} <= names
    labels = {r["label"] for r in data["country_labels"]}
    assert {"MALI", "NIGER", "ALGERIA", "MAURITANIA"} <= labels
    assert {"Timbuktu region", "Kidal region", "Gao region"} <= {r["label"] for r in data["regions"]}
    world = session.model.world
    gao = next(p for p in data["places"] if p["place"] == "Gao")
    assert (gao["lon"], gao["lat"]) == (pytest.approx(world.lon[world.index["gao"]]), pytest.approx(16.272))
    assert all(BOX[0] <= p["lon"] <= BOX[1] and BOX[2] <= p["lat"] <= BOX[3] for p in data["places"])
    # Off the map: Dubai by air; Cairo beyond Kufra (Sabha - Kufra - Cairo since issue 13)
    assert {"to Kufra", "to Dubai"} <= {e["label"] for e in data["far_ends"]}
    assert {p["marker"] for p in data["markers"]} == set(vmap.MARKERS)  # checkpoints and mission bases
    holders = {p["held_by"] for p in data["places"]}
    assert holders - {vmap.NO_GROUP}, "some places are held by armed groups"
    assert set(COUNTRIES["Mali"][0].split(",")[0].split()) and len(COUNTRIES) > 15


def test_charts_are_valid_and_follow_the_weeks():
    session = Session(FAST)
    session.step(4)
    df = session.frame()
    registry = charts.page_registry(session.model)
    domain = ("2013-01-07", "2015-01-05")
    for c in charts.CHARTS:
        charts.chart_altair(c, df, registry, domain).to_dict(validate=True)
        rows = charts.chart_data(c, df, registry)
        assert len(rows) == 4 and rows[0]["date"] == "2013-01-14"
        spec = charts.chart_template(c, df, registry, domain)
        y_scale = spec["layer"][1]["encoding"]["y"]["scale"]
        assert y_scale.get("zero") is True or y_scale.get("domain") == [0, 1]  # y from zero
        assert (
            spec["layer"][1]["encoding"]["x"]["scale"]["domain"][0]
            < spec["layer"][1]["encoding"]["x"]["scale"]["domain"][1]
        )
    flows = charts.CHARTS[0].columns(df, registry)
    assert len(flows) == len(session.model.world.goods)
    assert np.isclose(df[list(flows)].sum(axis=1), df["delivered_value_usd"]).all()
    # units and directions come from the registry
    assert charts.unit_label(charts.CHARTS[2].outcomes(registry), "weekly") == "deaths per week (lower is better)"
    assert charts.unit_label(charts.CHARTS[2].outcomes(registry), "monthly") == (
        "deaths per week, monthly mean (lower is better)"
    )


def test_monthly_and_smoothed_charts_aggregate_by_the_registry():
    session = Session(FAST)
    session.step(9)  # 14 Jan - 11 Mar 2013: three months
    df = session.frame()
    registry = charts.page_registry(session.model)
    fatal = charts.CHARTS[2]
    monthly = charts.chart_data(fatal, df, registry, "monthly")
    assert [r["date"] for r in monthly] == ["2013-01-01", "2013-02-01", "2013-03-01"]
    jan = df[df["date"].str.startswith("2013-01")]["fatalities"].mean()
    assert monthly[0]["all conflict deaths"] == pytest.approx(jan)  # the month's mean of its weeks
    bribe = charts.chart_data(charts.CHARTS[3], df, registry, "monthly")
    feb = df[df["date"].str.startswith("2013-02")]["bribe_rate"].mean()
    assert bribe[1][next(k for k in bribe[1] if k != "date")] == pytest.approx(feb)
    smooth = charts.chart_data(fatal, df, registry, "smoothed")
    assert smooth[3]["all conflict deaths"] == pytest.approx(df["fatalities"].iloc[:4].mean())


def test_force_protection_is_blank_before_a_mission_exists():
    session = Session(Settings(scenario="history", seed=1, burn_in_weeks=0))
    session.step(3)  # January 2012: MINUSMA arrives in July 2013
    df = session.frame()
    rows = charts.chart_data(charts.CHARTS[5], df, charts.page_registry(session.model))
    assert len(rows) == 3 and all(v is None for r in rows for k, v in r.items() if k != "date")


def test_history_events_annotate_the_charts_and_groups_keep_their_colours():
    session = Session(Settings(scenario="history", seed=1, burn_in_weeks=0))
    rows = events.event_table(session.model)
    named = {r["label"]: r["date"] for r in rows if r["key"]}
    assert {"2012 coup", "Serval", "MINUSMA", "Algiers accord", "JNIM formed", "Wagner"} <= set(named)
    assert named["Serval"].startswith("2013-01")
    windows = events.window_table(session.model, session.settings.with_policy("ddr", enabled=True, start=10))
    assert any("sanctions" in w["label"] for w in windows) and any("ddr" in w["label"] for w in windows)
    # the same group has the same colour in every scenario; jihadists are never blue
    assert vmap.group_colour("AQIM", "JIHADIST") == vmap.GROUP_COLOURS["AQIM"]
    assert vmap.group_colour("AQIM (rebranded)", "SIGNATORY") in vmap.FAMILY_COLOURS["SIGNATORY"]
    for colour in vmap.FAMILY_COLOURS["JIHADIST"]:
        r, _g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        assert r > b, colour


def test_seed_is_checked_like_the_command_line():
    assert parse_seed("12") == (12, None)
    for bad in ("-5", "abc", "1.5", ""):
        seed, message = parse_seed(bad)
        assert seed is None and "non-negative integer" in message


def test_settings_reproduce_on_the_command_line():
    settings = Settings(scenario="small", seed=3).with_policy("ddr", enabled=True, intensity=0.7, start=10)
    assert settings.command() == (
        "python -m sim scenario=small seed=3 'policy=[ddr]' policy.ddr.intensity=0.7 policy.ddr.start=10"
    )


def test_compare_runs_the_baseline_beside_the_policy_run():
    settings = dataclasses.replace(FAST, compare=True).with_policy("border_control", enabled=True, intensity=2.0)
    session = Session(settings)
    plain = Session(FAST)
    session.step(3)
    plain.step(3)
    base = session.frame(baseline=True)
    assert len(base) == 3
    # the baseline is the same seed without the policy: the plain run's numbers, byte for byte
    assert base["delivered_value_usd"].tolist() == plain.frame()["delivered_value_usd"].tolist()
    rows = charts.chart_data(charts.CHARTS[2], session.frame(), charts.page_registry(session.model), base_df=base)
    assert "all conflict deaths (baseline)" in rows[0]


def test_map_scale_only_grows_in_nice_steps():
    scale = vmap.MapScale()
    assert scale.update(np.array([10.0, 300.0])) == 300.0
    assert scale.update(np.array([5.0])) == 300.0
    assert [vmap.nice_ceiling(x) for x in (0.5, 3, 101, 4999, 5000)] == [1.0, 5.0, 200.0, 5000.0, 5000.0]


# --- Sweep page ----------------------------------------------------------------------------------


def render_sweep(monkeypatch, directory: str):
    monkeypatch.setenv(app.ENV_SWEEP, directory)
    _box, rc = solara.render(app.SweepPage(), handle_error=False)
    wait_for(lambda: not rc.find(v.Alert, children=[f"Reading {directory} ..."]).widgets)
    return rc


def test_sweep_page_shows_the_comparison_figures(monkeypatch, small_sweep):
    rc = render_sweep(monkeypatch, str(small_sweep))
    wait_for(
        lambda: len(rc.find(ipywidgets.Image).widgets) >= 4 or rc.find(v.Alert, class_="sahel-sweep-error").widgets
    )
    assert not rc.find(v.Alert, class_="sahel-sweep-error").widgets
    text = html_text(rc)
    assert "4 completed, 0 failed" in text and "policy=border_control" in text
    images = rc.find(ipywidgets.Image).widgets
    assert len(images) == 4  # effects, do no harm, series, flow change
    assert all(bytes(img.value).startswith(b"\x89PNG") and len(img.value) > 5000 for img in images)


def test_sweep_loads_aggregated_tables_alone(small_sweep, tmp_path):
    from experiments.aggregate import aggregate

    aggregate(small_sweep, tmp_path / "tables", progress=False)
    data = app.load_sweep(str(tmp_path / "tables" / "runs.parquet"))
    assert data.variants == ["policy=border_control", "policy=none"]
    png = app.draw("flow", data, variant="policy=border_control", baseline="policy=none", good="cocaine")
    assert png.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "missing", "no such directory"),
        (lambda tmp: tmp, "no runs found"),
        (lambda tmp: (tmp / "notes.txt").write_text("x") and tmp / "notes.txt", "not a directory"),
        (lambda tmp: "", "Enter the path"),
    ],
)
def test_bad_sweep_directory_gives_a_message_not_a_traceback(monkeypatch, tmp_path, make, message):
    target = str(make(tmp_path))
    with pytest.raises(app.SweepLoadError, match=message):
        app.load_sweep(target)
    if target:
        rc = render_sweep(monkeypatch, target)
        wait_for(lambda: rc.find(v.Alert, class_="sahel-sweep-error").widgets)
        text = rc.find(v.Alert, class_="sahel-sweep-error").widget.children[0]
        assert message in text and "Traceback" not in text


def test_corrupt_tables_give_a_message(tmp_path):
    for name in app.TABLES:
        (tmp_path / name).write_bytes(b"not parquet")
    with pytest.raises(app.SweepLoadError, match="could not be read as a sweep"):
        app.load_sweep(str(tmp_path))


# --- Server, assets, package ---------------------------------------------------------------------


def test_server_listens_on_localhost_unless_told_otherwise():
    args = parse_args([])
    assert (args.host, args.port) == ("127.0.0.1", 8765)
    assert parse_args(["--host", "0.0.0.0", "--port", "0"]).host == "0.0.0.0"


def test_assets_are_read_from_the_installed_solara():
    specs = assets.required_specs()
    for name in (
        "@widgetti/solara-vuetify-app@",
        "requirejs@",
        "font-awesome@",
        "vega@5",
        "vega-lite@5",
        "vega-embed@6",
    ):
        assert any(s.startswith(name) for s in specs), name
    assert not any("vuetify3" in s for s in specs)  # ipyvue < 3: the Vue 2 app


def test_assets_install_is_complete_or_absent_and_idempotent(tmp_path, monkeypatch):
    calls = []

    def fake_pack(specs, dest):
        calls.append(list(specs))
        out = []
        for i, spec in enumerate(specs):
            src = dest / f"src{i}" / "package"
            (src / "dist").mkdir(parents=True)
            (src / "package.json").write_text(json.dumps({"name": spec}))
            (src / "dist" / "main.js").write_text("// js")
            name = f"pkg{i}.tgz"
            with tarfile.open(dest / name, "w:gz") as tar:
                tar.add(src, arcname="package")
            out.append({"name": spec.rsplit("@", 1)[0], "version": "1.0.0", "filename": name, "integrity": "x"})
        return out

    monkeypatch.setattr(assets, "npm_pack", fake_pack)
    cache = tmp_path / "cdn"
    (cache / "vega@5").mkdir(parents=True)  # a partial copy without the marker is redone
    first = assets.ensure(cache, quiet=True)
    assert first.complete and (cache / "vega@5" / "dist" / "main.js").is_file()
    assert (cache / "@widgetti").is_dir() and not list(cache.glob(".sahel-assets-*"))
    assert assets.ensure(cache, quiet=True).complete and len(calls) == 1  # nothing fetched twice
    assert assets.main(["--check", "--cache-dir", str(cache)]) == 0


def test_sim_stays_importable_without_solara_and_experiments():
    code = (
        "import sys, sim, sim.model, sim.run, sim.sweep, sim.outcomes, sim.policies, sim.params\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('solara', 'experiments', 'altair', 'ipyvuetify')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=120)
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "sim").rglob("*.py")
        if any(
            line.lstrip().startswith(("import solara", "from solara", "import experiments", "from experiments"))
            for line in p.read_text(encoding="utf-8").splitlines()
        )
    ]
    assert not offenders


def test_sweep_labels_seeds_and_near_zero_baselines():
    assert app.variant_label("policy=border_control") == "border control"
    assert app.variant_label("policy=none") == "no policy"
    assert app.variant_label("policy=border_control, policy.border_control.intensity=2") == (
        "border control\nborder control: intensity 2"
    )
    assert "deaths" in app.outcome_labels()["fatalities"]
    import pandas as pd

    from experiments import figures

    rows = [("policy=none", s, "fatalities", 0.2) for s in range(3)]
    rows += [("policy=ddr", s, "fatalities", 3.2 + s) for s in range(3)]
    runs = pd.DataFrame(rows, columns=["variant", "seed", "outcome", "value"])
    assert figures.near_zero_baseline(runs, "fatalities", "policy=none")
    effect = figures.absolute_effects(runs, ["fatalities"], "policy=none").iloc[0]
    assert effect["mean"] == pytest.approx(4.0) and effect["n"] == 3 and effect["paired"]
    fig = figures.plot_effects(runs, ["fatalities"], "policy=none", labels={"fatalities": "deaths"}, show_n=True)
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("change (absolute")
    assert any(t.get_text() == "n=3" for t in ax.texts)


def test_week_scrubber_draws_a_past_week_of_the_map():
    session = Session(FAST)
    session.step(6)
    scale = vmap.MapScale()
    _spec, now = vmap.map_parts(session.model, scale)
    _spec, past = vmap.map_parts(session.model, scale, session.run.state(2))
    units_past = [x["units"] for x in past["links"]]
    assert sum(units_past) > 0
    assert units_past != [x["units"] for x in now["links"]], "week 2's flows differ from week 6's"
    title, _boxes = sp.map_view(session, scale, sp.Boxes(), 2)
    assert title.startswith("Week 2 (21 Jan 2013, scrubbed back)")


def test_place_detail_tells_the_story_of_a_place():
    session = Session(FAST)
    session.step(3)
    text = sp.place_detail(session, "Gao")
    assert text.startswith("<p class='sahel-detail-place'><b>Gao</b>") and "over 3 weeks" in text
    assert "week 1 (" in text  # who held it from the first week
    _spec, data = vmap.map_parts(session.model)
    busiest = max(data["links"], key=lambda x: x["units"])["link"]
    link = sp.link_detail(session, busiest)
    assert "Units carried" in link and "of 3 weeks" in link


def test_region_borders_run_inside_mali_and_the_map_fits_its_box():
    import math
    import struct

    from simviz import make_regions
    from simviz.regions import REGION_LINES

    # the shapefile reader: two polylines, one of two parts, and a null shape between them
    def record(n: int, shape: bytes) -> bytes:
        return struct.pack(">2i", n, len(shape) // 2) + shape

    def polyline(parts: list[list[tuple[float, float]]]) -> bytes:
        points = [p for part in parts for p in part]
        starts = [sum(len(q) for q in parts[:i]) for i in range(len(parts))]
        head = struct.pack("<i4d2i", 3, 0, 0, 0, 0, len(parts), len(points))
        return head + struct.pack(f"<{len(parts)}i", *starts) + struct.pack(f"<{2 * len(points)}d", *sum(points, ()))

    body = record(1, polyline([[(0, 0), (1, 1)], [(2, 2), (3, 3), (4, 5)]])) + record(2, struct.pack("<i", 0))
    body += record(3, polyline([[(-1, -2), (-3, -4)]]))
    shp = struct.pack(">i20xi", 9994, (100 + len(body)) // 2) + bytes(72) + body
    assert make_regions.polylines(shp) == [[(0, 0), (1, 1)], [(2, 2), (3, 3), (4, 5)], [(-1, -2), (-3, -4)]]
    assert make_regions.join([[(0, 0), (1, 1)], [(2, 2), (1, 1)]]) == [[(0, 0), (1, 1), (2, 2)]]

    # the vendored lines: Natural Earth's borders between Mali's regions, inside Mali's outline
    mali = make_regions._rings("Mali")
    points = [tuple(float(v) for v in p.split()) for line in REGION_LINES for p in line.split(",")]
    assert len(REGION_LINES) >= 5 and len(points) > 100
    assert sum(make_regions.inside(p, mali) for p in points) >= 0.95 * len(points)
    assert not make_regions.inside((-3.0, 13.5), mali)  # Ouagadougou's side of the border is not Mali
    # Gao (16.27 N) and Kidal (18.44 N) regions meet between the towns, north of the river
    gao_kidal = [p for p in points if 0.0 <= p[0] <= 1.2]
    assert any(16.5 < lat < 18.5 for _lon, lat in gao_kidal)

    feature = vmap.region_border_features()[0]
    assert feature["geometry"]["type"] == "MultiLineString" and len(feature["geometry"]["coordinates"]) == len(
        REGION_LINES
    )
    # the projection fits the box at zoom 1: its width in radians of longitude, its height in mercator's y
    y = [math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) for lat in (BOX[2], BOX[3])]
    assert pytest.approx((math.radians(BOX[1] - BOX[0]), y[1] - y[0])) == vmap.BOX_RADIANS
    spec = vmap.map_layers(("a",), ("#000000",), 10.0).to_dict(validate=True)
    assert "view.k" in spec["projection"]["scale"]["expr"] and "view.x" in spec["projection"]["translate"]["expr"]
    declared = {p["name"] for p in spec["params"]}
    assert set(spec["usermeta"]["signalsOn"]) <= declared  # handlers only for signals Vega-Lite declares


def test_a_package_outside_the_roots_or_badly_named_is_refused_with_a_message(tmp_path):
    opened, problem = sp.opened_package("?search=/etc&package=0")
    assert opened is None and "not under the sweep roots" in problem
    opened, problem = sp.opened_package(f"?search={tmp_path}&package=first")
    assert opened is None and "whole numbers" in problem
    opened, problem = sp.opened_package(f"?search={tmp_path}&package=0")
    assert opened is None and "no front.json" in problem
    assert sp.opened_package("?scenario=small") == (None, None)
    assert sp.intensity_text(1.0) == "1.0" and sp.intensity_text(1.52) == "1.52"
