"""Sweep analysis: aggregation of real sweeps, the figures and the report."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from conftest import ROOT, cli
from experiments import aggregate as aggregate_module
from experiments import figures
from experiments.aggregate import META, Run, aggregate, error_line, long_table, planned_jobs, stored_report
from experiments.bench import linked_runs, measure
from sim import dictionary
from sim.world import load_world

VARIANTS = {"policy=none", "policy=border_control"}
T95_2 = 12.706204736  # Student t, 97.5% quantile, 1 degree of freedom (2 seeds)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """A real sweep: 2 policies x 2 seeds of the small scenario, 20 weeks (read-only: copy to change it)."""
    root = tmp_path_factory.mktemp("sweep")
    proc = cli("-m", "scenario=small", "steps=20", "seeds=2", "policy=none,border_control", f"hydra.sweep.dir={root}")
    assert proc.returncode == 0, proc.stderr
    return root


@pytest.fixture(scope="module")
def tables(sweep, tmp_path_factory):
    """The aggregated sweep: (report, runs, series, edges)."""
    report = aggregate(sweep, tmp_path_factory.mktemp("agg"), progress=False)
    return (
        report,
        pd.read_parquet(report.runs_path),
        pd.read_parquet(report.series_path),
        pd.read_parquet(report.edges_path),
    )


def copy_of(sweep, tmp_path):
    return shutil.copytree(sweep, tmp_path / "sweep")


def job(root, name):
    (path,) = (root / "jobs").glob(f"{name}-*.json")
    return json.loads(path.read_text())


def run_python(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_aggregate_counts_runs_and_writes_the_long_table(sweep, tables):
    report, runs, _, _ = tables
    assert len(report.completed) == 4 and not report.failed and not report.partial and report.missing == 0
    assert (report.jobs_expected, report.jobs_started) == (2, 2)
    assert report.variants == dict.fromkeys(VARIANTS, 2)
    summary = json.loads(next((sweep / "runs").glob("*/summary.json")).read_text())
    n_outcomes = sum(1 for k, v in summary.items() if k not in META and isinstance(v, (int, float)))
    assert "n_traffickers_final" in set(runs.outcome) and "wall_seconds" not in set(runs.outcome)
    assert len(runs) == report.rows == 4 * n_outcomes
    assert {"run", "variant", "seed", "policy.border_control.enabled", "outcome", "value"} <= set(runs.columns)
    assert not runs.duplicated(["run", "outcome"]).any()
    by_variant = runs.groupby("variant")
    assert by_variant["policy.border_control.enabled"].unique().to_dict() == {
        "policy=border_control": [True],
        "policy=none": [False],
    }
    assert all(set(seeds) == {0, 1} for seeds in by_variant["seed"].unique())
    assert runs.value.dtype == float and np.isfinite(runs.value).all()


def test_failed_run_is_reported_and_the_others_still_aggregated(sweep, tmp_path):
    root = copy_of(sweep, tmp_path)
    key = job(root, "1")["runs"][0]
    (root / "runs" / key / "summary.json").unlink()
    trace = 'Traceback (most recent call last):\n  File "sim/run.py", line 1, in run\n    step()\nRuntimeError: boom\n'
    (root / "runs" / key / "error.txt").write_text(trace)
    proc = run_python("experiments.aggregate", str(root), "--progress")
    assert proc.returncode == 0, proc.stderr
    assert "3 completed, 1 failed, 0 partial, 0 missing" in proc.stdout
    assert "runs: 100%" in proc.stderr and "3/3" in proc.stderr  # runs read of total, though not a terminal
    assert f"{key} [policy=border_control] seed=0: RuntimeError: boom" in proc.stdout
    failures = pd.read_csv(root / "failures.csv")
    assert failures.to_dict("records") == [
        {"run": key, "variant": "policy=border_control", "seed": 0, "error": "RuntimeError: boom"}
    ]
    runs = pd.read_parquet(root / "runs.parquet", columns=["run", "variant"])
    assert runs.run.nunique() == 3 and key not in set(runs.run)


def test_deleted_runs_and_jobs_are_missing_and_empty_runs_partial(sweep, tmp_path):
    root = copy_of(sweep, tmp_path)
    gone = job(root, "0")["runs"][1]
    shutil.rmtree(root / "runs" / gone)
    report = aggregate(root, progress=False)
    assert report.missing == 1 and report.missing_runs == [gone] and len(report.completed) == 3
    # A job that never started leaves no record: all its runs are missing.
    for key in job(root, "1")["runs"]:
        shutil.rmtree(root / "runs" / key)
    next((root / "jobs").glob("1-*.json")).unlink()
    (root / "runs" / "0123456789abcdef").mkdir()  # killed before writing anything
    report = aggregate(root, progress=False)
    assert (report.jobs_expected, report.jobs_started) == (2, 1)
    assert len(report.completed) == 1 and report.partial == ["0123456789abcdef"] and report.missing == 3


def test_series_are_means_with_bands_over_seeds(sweep, tables):
    _, _, series, _ = tables
    assert set(series.variant) == VARIANTS and (series.n == 2).all()
    assert (series.lo <= series["mean"]).all() and (series["mean"] <= series.hi).all()
    assert set(series.week) == set(range(1, 21)) and series.date.notna().all()
    keys = job(sweep, "0")["runs"]
    values = np.array([pd.read_parquet(sweep / "runs" / k / "timeseries.parquet").fatalities.iloc[4] for k in keys])
    cell = series[(series.variant == "policy=none") & (series.outcome == "fatalities") & (series.week == 5)].iloc[0]
    half = T95_2 * values.std(ddof=1) / np.sqrt(2)  # t-interval with 1 degree of freedom
    assert cell["mean"] == pytest.approx(values.mean()) and cell.hi == pytest.approx(values.mean() + half)


def test_edges_are_means_over_seeds_with_absent_links_as_zero(sweep, tables):
    _, _, _, edges = tables
    keys = job(sweep, "1")["runs"]
    per_run = [pd.read_parquet(sweep / "runs" / k / "edges.parquet").set_index(["a", "b", "good"]).units for k in keys]
    expected = pd.concat(per_run, axis=1).fillna(0).mean(axis=1)
    got = edges[edges.variant == "policy=border_control"].set_index(["a", "b", "good"])
    assert (got.n == 2).all()
    pd.testing.assert_series_equal(got.units.sort_index(), expected.sort_index(), check_names=False)


def test_tables_do_not_depend_on_how_runs_are_batched(sweep, tables, tmp_path, monkeypatch):
    report, runs, _, _ = tables
    monkeypatch.setattr(aggregate_module, "BATCH_ROWS", 1)  # one row group per run, not one for all
    small = aggregate(sweep, tmp_path / "small", progress=False)
    assert pq.ParquetFile(small.runs_path).num_row_groups == 4 > pq.ParquetFile(report.runs_path).num_row_groups
    for ours, theirs in [(small.runs_path, report.runs_path), (small.series_path, report.series_path),
                         (small.edges_path, report.edges_path)]:  # fmt: skip
        assert pq.read_table(ours).equals(pq.read_table(theirs), check_metadata=True), ours.name
    assert (tmp_path / "small" / "dictionary.json").read_text() == (report.out_dir / "dictionary.json").read_text()
    # The in-memory table (no streaming) has the same rows.
    in_memory = long_table(sorted((sweep / "runs").iterdir()))
    pd.testing.assert_frame_equal(
        in_memory.drop(columns="variant").sort_values(["run", "outcome"], ignore_index=True),
        runs.drop(columns="variant").sort_values(["run", "outcome"], ignore_index=True),
    )


def test_run_dictionaries_merge_as_if_all_were_held(tmp_path):
    def entry(name, unit):
        return {"name": name, "unit": unit}

    first = {"outcomes": [entry("a", "usd"), entry("b", "t")], "goods": {"gold": "kg", "fuel": "l"}}
    second = {"outcomes": [entry("a", "xof"), entry("c", "")], "goods": {"gold": "g"}}
    runs = []
    for i, d in enumerate([first, second, first, None, second]):  # None: a run from before dictionaries
        path = tmp_path / str(i)
        path.mkdir()
        if d is not None:
            (path / "dictionary.json").write_text(json.dumps(d))
        runs.append(Run(str(i), path, "completed"))
    held = dictionary.merge(json.loads((r.path / "dictionary.json").read_text()) for r in runs if r.key != "3")
    assert dictionary.merge(aggregate_module._run_dictionaries(runs)) == held
    assert held["goods"] == {"gold": "g", "fuel": "l"} and [e["unit"] for e in held["outcomes"]] == ["usd", "t", ""]


def test_aggregation_memory_does_not_grow_with_runs(sweep, tmp_path):
    """Peak memory of aggregating 160 copies of a run is that of 40, both over several row groups."""
    source = next(p for p in (sweep / "runs").iterdir() if (p / "summary.json").exists())
    peaks = {}
    for n in (40, 160):
        linked = linked_runs(source, n, tmp_path / f"linked{n}")
        code = f"from experiments import aggregate as a; a.BATCH_ROWS = 8192; a.main([{str(linked)!r}])"
        _, peaks[n] = measure([sys.executable, "-c", code])
        assert len(pd.read_parquet(linked / "runs.parquet", columns=["run"]).run.unique()) == n
    assert peaks[160] < peaks[40] + 20, peaks


def test_stored_report_is_up_to_date_until_a_run_changes(sweep, tmp_path):
    root = copy_of(sweep, tmp_path)
    aggregate(root, progress=False)
    assert stored_report(root) is not None
    shutil.rmtree(root / "runs" / job(root, "0")["runs"][0])
    assert stored_report(root) is None


def test_paired_change_by_seed_and_unpaired_difference_of_means():
    base = [("policy=none", 0, 100.0), ("policy=none", 1, 200.0)]
    paired = [("policy=x", 0, 110.0), ("policy=x", 1, 260.0)]  # +10% and +30%
    unpaired = [("policy=y", 2, 165.0), ("policy=y", 3, 185.0)]
    runs = pd.DataFrame(base + paired + unpaired, columns=["variant", "seed", "value"]).assign(outcome="o")
    effects = figures.relative_effects(runs, ["o"], "policy=none").set_index("variant")
    half = T95_2 * np.std([10.0, 30.0], ddof=1) / np.sqrt(2)
    assert effects.loc["policy=x", ["mean", "lo", "hi"]].tolist() == pytest.approx([20.0, 20.0 - half, 20.0 + half])
    assert effects.loc["policy=x", "paired"] and not effects.loc["policy=y", "paired"]
    # Unpaired: (175 - 150) / 150, with the uncertainty of both means.
    assert effects.loc["policy=y", "mean"] == pytest.approx(100 * 25 / 150)
    se_y, se_b = np.std([165.0, 185.0], ddof=1) / np.sqrt(2), np.std([100.0, 200.0], ddof=1) / np.sqrt(2)
    se = 100 * np.sqrt(se_y**2 + (175 / 150) ** 2 * se_b**2) / 150
    assert effects.loc["policy=y", "hi"] == pytest.approx(100 * 25 / 150 + T95_2 * se)


def test_default_baseline():
    assert figures.default_baseline(["policy=ddr", "policy=none"]) == "policy=none"
    # The status quo: intensity 0 and the other switch off too (c.enabled=true at intensity 0 still acts).
    swept = ["b.intensity=1, c.enabled=true", "b.intensity=0, c.enabled=true", "b.intensity=0.0, c.enabled=false"]
    assert figures.default_baseline(swept) == "b.intensity=0.0, c.enabled=false"
    assert figures.default_baseline(["seed=2", "scenario=small"]) == "scenario=small"


def test_planned_jobs_follow_hydra_sweeps_and_error_lines():
    record = {"hydra": {"sweeper": {"params": {"a": "1,2,3", "c": "x,y"}}, "overrides": {"task": ["b=u,v", "a=5"]}}}
    assert planned_jobs(record) == (4, {"b", "c"})
    assert error_line("Traceback (most recent call last):\n  File 'x'\n    f()\nValueError: bad\n  detail\n") == (
        "ValueError: bad"
    )
    assert error_line("plain message\nmore") == "plain message"


def markers(ax):
    """Points drawn as circles (errorbar's data markers, not its caps)."""
    return sum(len(line.get_xdata()) for line in ax.lines if line.get_marker() == "o")


def test_effects_and_do_no_harm_draw_one_point_per_variant_and_outcome(tables):
    _, runs, _, _ = tables
    fig = figures.plot_effects(runs, ["delivered_value_usd", "fatalities", "bribe_rate", "food_security_index"])
    assert len(fig.axes) == 4 and [markers(ax) for ax in fig.axes] == [1, 1, 1, 1]
    assert all(any(set(line.get_xdata()) == {0} for line in ax.lines) for ax in fig.axes)  # reference line at 0
    fig = figures.plot_do_no_harm(runs, "policy=none")
    assert len(fig.axes) == 2 and [markers(ax) for ax in fig.axes] == [
        len(figures.LIVELIHOOD),
        len(figures.CRIME_VIOLENCE),
    ]
    plt.close("all")


def test_series_plot_draws_a_line_and_band_per_variant(tables):
    _, _, series, _ = tables
    fig = figures.plot_series(series, "delivered_value_usd")
    (ax,) = fig.axes
    assert len(ax.lines) == 2 and len(ax.collections) == 2
    assert {t.get_text() for t in ax.get_legend().get_texts()} == VARIANTS
    plt.close(fig)


def test_flow_map_draws_one_line_per_link_with_flow(tables):
    _, _, _, edges = tables
    world = load_world()
    box = figures._extent(world)
    links = {  # a link with both ends off the map (e.g. Kufra - Cairo) is not drawn
        frozenset((world.place_ids[u], world.place_ids[v]))
        for u, v in zip(world.edge_u, world.edge_v, strict=True)
        if figures._inside(world.lon[u], world.lat[u], box) or figures._inside(world.lon[v], world.lat[v], box)
    }
    with_flow = {frozenset(ab) for ab in zip(edges.a, edges.b, strict=True)} & links
    fig = figures.plot_flow_change(edges, "policy=border_control", "policy=none")
    map_ax = fig.axes[0]
    assert len(fig.axes) == 2  # the map and its colorbar
    (flow,) = [c for c in map_ax.collections if c.get_label() == "flow"]
    (idle,) = [c for c in map_ax.collections if c.get_label() == "no flow"]
    assert len(flow.get_segments()) == len(with_flow) and len(idle.get_segments()) == len(links) - len(with_flow)
    texts = {t.get_text() for t in map_ax.texts}
    assert {"Gao", "Kidal", "Timbuktu", "Bamako", "MALI", "NIGER", "ALGERIA", "to Dubai →"} <= texts
    lon0, lon1 = map_ax.get_xlim()
    lat0, lat1 = map_ax.get_ylim()
    # West Africa to Chad (Faya-Largeau, 19.1 E, since the trade geography of issue 13)
    assert -19 < lon0 < -17 and 19.1 < lon1 < 23 and 3 < lat0 < 5 and 36 < lat1 < 39
    fig = figures.plot_flow_change(edges, "policy=border_control", "policy=none", good="cocaine", places=world)
    assert "cocaine" in fig.axes[0].get_title()
    plt.close("all")


def test_report_writes_figures_and_markdown(sweep, tmp_path):
    root = copy_of(sweep, tmp_path)
    proc = run_python("experiments.report", str(root))
    assert proc.returncode == 0, proc.stderr
    names = {p.name for p in (root / "figures").iterdir()}
    stems = {"effects", "do_no_harm", "series_fatalities", "flow_01_policy-border_control_all"}
    stems.add("flow_01_policy-border_control_cocaine")
    assert {f"{s}.{ext}" for s in stems for ext in ("png", "svg")} <= names
    text = (root / "report.md").read_text()
    assert "4 completed, 0 failed" in text and "baseline: `policy=none`" in text
    assert "figures/effects.png" in text and "figures/do_no_harm.svg" in text
    assert "report.md" in proc.stdout
    again = run_python("experiments.report", str(root), "--outcomes", "fatalities,bribe_rate")
    assert again.returncode == 0 and "up to date" in again.stdout
    wrong = run_python("experiments.report", str(root), "--baseline", "policy=nothing")
    assert wrong.returncode == 2 and wrong.stderr.startswith("error: baseline 'policy=nothing'")


@pytest.mark.parametrize("module", ["experiments.report", "experiments.aggregate"])
def test_bad_directory_gives_one_line_and_exit_code_2(module, tmp_path):
    proc = run_python(module, str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.startswith("error:") and len(proc.stderr.strip().splitlines()) == 1
