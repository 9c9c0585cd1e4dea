"""The pattern suite and the historical validation (experiments/validate.py).

The quick mode runs every experiment with a few seeds and weeks: it checks that each produces
finite effects and that the report is written, not whether the patterns hold (that is the full
run's job, reported in docs/validation.md).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml

from experiments import validate as v
from experiments.stats import mean_interval
from sim.params import RunConfig


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("validation")
    assert v.main(["--quick", "--out", str(out), "--data", str(out / "data")]) == 0
    return out


def test_every_experiment_gives_finite_effects(quick):
    stats = pd.read_csv(quick / "data" / "statistics.csv")
    assert set(stats["experiment"]) == {e.id for e in v.EXPERIMENTS}
    assert len(stats) == sum(len(e.stats) for e in v.EXPERIMENTS)
    assert np.isfinite(stats[["mean", "lo", "hi"]].to_numpy()).all(), stats[~np.isfinite(stats["mean"])]


def test_history_table_and_counterfactuals(quick):
    hist = pd.read_csv(quick / "data" / "history.csv")
    assert list(hist["id"]) == [f.id for f in v.HISTORY_FIGURES]
    assert np.isfinite(hist["mean"]).all() and set(hist["verdict"]) <= {"match", "borderline", "mismatch"}
    cf = pd.read_csv(quick / "data" / "counterfactuals.csv")
    assert set(cf["counterfactual"]) == set(v.COUNTERFACTUALS)


def test_report_has_tables_and_figures(quick):
    text = (quick / "validation.md").read_text()
    assert "| claim | statistic | kind | effect (95% CI) | n | MDE |" in text and "| FACTS | what | figure |" in text
    for exp in v.EXPERIMENTS:
        assert f"### {exp.id}:" in text
        assert (quick / "figures" / f"validation_{exp.id.lower()}.png").stat().st_size > 0
    assert (quick / "figures" / "validation_history.png").exists()
    assert "## 3. Where the trade runs" in text  # the trade geography fragment survives a regeneration


def test_report_can_be_rebuilt_from_saved_runs(quick, tmp_path):
    assert v.main(["--quick", "--reuse", "--out", str(tmp_path), "--data", str(quick / "data")]) == 0
    a = pd.read_csv(quick / "data" / "statistics.csv")
    b = v.evaluate(v.load_results(quick / "data", v.QUICK))
    np.testing.assert_allclose(a["mean"], b["mean"])


def test_a_killed_validation_reruns_only_its_missing_runs(quick, tmp_path, monkeypatch):
    """What a kill leaves (run directories without summary.json, a partial file) is redone; nothing else.

    Runs in place on the quick suite's runs, for M4 only; the suite's tables are put back after.
    The redone runs give the same bytes, so M4's statistics are unchanged.
    """
    import shutil

    from experiments import runner

    data = quick / "data"
    saved = tmp_path / "saved"
    saved.mkdir()
    tables = [p for p in data.iterdir() if p.is_file()]
    for p in tables:
        shutil.copy2(p, saved / p.name)
    before = pd.read_csv(data / "statistics.csv")
    summaries = sorted((data / "runs").glob("*/summary.json"))
    arms = {a for e in v.EXPERIMENTS for a in e.arms} | {"history", *v.COUNTERFACTUALS}
    assert len(summaries) == sum(len(v.seeds_for(v.ARMS[a], v.QUICK)) for a in arms)
    killed = [p for p in summaries if "/cig_dear" in (p.parent / "config.yaml").read_text()][:2]
    assert len(killed) == 2
    for path in killed:
        path.unlink()
        (path.parent / "timeseries.parquet").write_bytes(b"partial")
    ran = []
    real = runner._block
    monkeypatch.setattr(runner, "_block", lambda label, c, root: ran.append(label) or real(label, c, root))
    try:
        assert v.main(["--quick", "--only", "M4", "--out", str(tmp_path), "--data", str(data)]) == 0
        assert ran == ["cig_dear", "cig_dear"] and all(p.exists() for p in killed)
        after = pd.read_csv(data / "statistics.csv")
        expected = before[before["experiment"] == "M4"].reset_index(drop=True)
        pd.testing.assert_frame_equal(after, expected, check_dtype=False)  # "why" is empty (NaN) in M4's rows
    finally:
        for p in tables:
            shutil.copy2(saved / p.name, p)


@pytest.fixture(scope="module")
def composed(tmp_path_factory) -> dict[str, RunConfig]:
    """Every arm's configuration in the full mode (seed 4), composed once."""
    root = tmp_path_factory.mktemp("arms")
    return {name: v.arm_config(arm, v.FULL, root, seed=4) for name, arm in v.ARMS.items()}


def test_every_arm_is_an_override_list_composed_through_hydra(composed, tmp_path):
    """Arms are Hydra overrides (simcli.compose), as `python -m sim` takes them; each composes to one run."""
    for arm in v.ARMS.values():
        assert all(isinstance(o, str) and "=" in o for o in arm.overrides), arm.name
        cfg = composed[arm.name]
        assert isinstance(cfg, RunConfig) and cfg.seed == 4 and cfg.seeds == 1 and cfg.branch_from is None
    assert v.arm_config(v.ARMS["hub"], v.FULL, tmp_path, seed=4) == composed["hub"]  # one arm alone, the same
    assert composed["bc_alg"].policy.border_control.targets == ["in_khalil", "tinzaouaten"]
    assert "cocaine" not in composed["no_drugs"].scenario.goods


def test_no_statistic_compares_an_arm_with_itself(composed):
    """Every statistic compares configurations that differ (an arm identical to its reference cannot fail)."""
    for exp in v.EXPERIMENTS:
        for st in exp.stats:
            configs = [composed[a] for a in st.arms]
            assert len(configs) == 1 or all(c != configs[0] for c in configs[1:]), (exp.id, st.label)


def test_goods_edits_land_in_a_copy_of_the_data(tmp_path):
    path = v.goods_data_dir(v.ARMS["arms_flood"], tmp_path)
    goods = yaml.safe_load((path / "goods.yaml").read_text())
    assert goods["arms"]["supply_per_week"]["value"] == 750
    assert (path / "places.csv").exists() and (path / "timeline_history.yaml").exists()


def test_counterfactual_arms_are_the_presets_sweeps(composed):
    """A counterfactual is defined once, in its preset: the arm is the last job of its sweep, the first is history."""
    from simcli.compose import compose, sweep_overrides

    history = composed["history"]
    for arm, (_, preset) in v.COUNTERFACTUALS.items():
        text = (v.ROOT / preset).read_text()
        assert "override /scenario: history" in text and "# Question:" in text
        assert v.ARMS[arm].preset and not v.ARMS[arm].overrides
        first, last = sweep_overrides(arm)[0], sweep_overrides(arm)[-1]
        cfg = composed[arm]
        point = f"calibration={v.calibration_point(v.ARMS[arm], v.FULL, 4)}"  # seed 4's calibrated point
        assert cfg.policy == compose(last).policy
        assert cfg.scenario == compose([*last, point, f"steps={cfg.steps}"]).scenario
        assert history.scenario == compose([*first, point, f"steps={cfg.steps}"]).scenario
        assert cfg != history


def test_history_arms_run_over_the_calibrated_ensemble_by_default(composed, tmp_path):
    """Issue 16: seed s of the history and its counterfactuals runs at point s mod n; --uncalibrated at the defaults."""
    import dataclasses

    from simcli.compose import group_dir, read_option

    names = sorted(p.stem for p in group_dir("calibration").glob("p[0-9][0-9].yaml"))
    assert len(names) >= 2
    history = v.ARMS["history"]
    assert [v.calibration_point(history, v.FULL, s) for s in range(len(names) + 1)] == [*names, names[0]]
    assert v.calibration_point(v.ARMS["history_no_wagner"], v.FULL, 4) == names[4 % len(names)]
    assert v.calibration_point(v.ARMS["base"], v.FULL, 4) is None  # pattern arms stay at the defaults
    point = read_option(group_dir("calibration") / f"{names[4 % len(names)]}.yaml")
    assert composed["history"].scenario.forces.attack_rate == pytest.approx(point["scenario.forces.attack_rate"])
    raw = dataclasses.replace(v.FULL, calibrated=False)
    assert v.calibration_point(history, raw, 4) is None
    assert v.arm_config(history, raw, tmp_path, seed=4) != composed["history"]


# --- honest classification and power (issue 16) ----------------------------------------------------


def test_every_claim_is_classified_and_every_rule_check_names_existing_unit_tests():
    from experiments.validate.classification import CLASSIFICATION, EVIDENCE, RULE, claims

    for claim in claims():
        assert any(k.rstrip("ab") == claim for k in CLASSIFICATION), f"{claim} is not classified"
    for exp in v.EXPERIMENTS:
        c = CLASSIFICATION[exp.id]
        assert c.kind in (RULE, EVIDENCE), exp.id
        assert all(0 <= i < len(exp.stats) for i in c.rule_stats), exp.id
        if c.kind == EVIDENCE:
            assert len(c.rule_stats) < len(exp.stats), f"{exp.id}: evidence with no evidence statistic"
    for key, c in CLASSIFICATION.items():
        for test in c.tests:
            path, name = test.split("::")
            assert f"def {name}(" in (v.ROOT / path).read_text(), f"{key}: {test} does not exist"


def test_minimum_detectable_effect_has_80_percent_power():
    """The MDE of a paired design: a mean effect of that size is detected in 80% of simulated designs."""
    import scipy.stats as sps

    rng = np.random.default_rng(1)
    x = rng.normal(0.0, 2.0, 20)
    d = v.mde(x)
    assert d == pytest.approx(2.9536 * x.std(ddof=1) / np.sqrt(20), rel=1e-3)  # (t_.975 + ~t_.80) sd / sqrt(n)
    y = rng.normal(d, x.std(ddof=1), (4000, 20))
    t = y.mean(axis=1) / (y.std(axis=1, ddof=1) / np.sqrt(20))
    hits = np.mean(np.abs(t) > sps.t.ppf(0.975, 19))
    assert 0.77 < hits < 0.83  # 80% within 4.7 sd of 4,000 simulated designs
    assert v.mde(np.ones(5)) == 0.0 and math.isnan(v.mde(np.array([1.0])))


def test_an_equivalence_band_wider_than_the_mde_fails():
    """A made-up band wider than the MDE earns no pass: a 'little effect' is judged inside the band and ±MDE."""
    rng = np.random.default_rng(2)
    x = rng.normal(0.0, 0.01, 20)
    d = v.mde(x)
    effect = x - x.mean() + 1.2 * d  # an effect the design detects (1.2 MDE)
    _, lo, hi, _ = mean_interval(effect)
    assert v.within(3 * d).lo < lo and hi < v.within(3 * d).hi  # inside a made-up band of 3 MDE...
    assert not v.within(3 * d).passes(lo, hi, d)  # ...but not a pass
    assert v.within(3 * d).failure(lo, hi, d) == "interval beyond the MDE"
    null = x - x.mean()  # no effect at all: inside the band and the MDE
    _, lo, hi, _ = mean_interval(null)
    assert v.within(3 * d).passes(lo, hi, d) and v.within(d).passes(lo, hi, d)
    assert not v.within(d / 4).passes(lo, hi, d)  # a band narrower than the interval: outside the band
    assert not v.within(d).passes(lo, hi)  # no MDE, no verdict


def test_a_statistic_whose_arms_give_identical_runs_fails():
    """Arms identical to their reference by construction (seed by seed) are flagged and fail, whatever the band."""
    same = np.array([10.0, 12.0, 9.0, 11.0])
    values = {"a": {"x": same.copy(), "seed": np.arange(4.0)}, "b": {"x": same.copy(), "seed": np.arange(4.0)}}
    results = v.Results(v.QUICK, values, {}, 0.0, 0.0, 1, 8)
    exp = v.Experiment("M13", "t", "c", "d", (v.rel("x", "a", "b", v.within(0.5)), v.diff("x", "a", "b", v.ABOVE0)))
    table = v.evaluate(results, [exp])
    assert not table["pass"].any() and (table["why"] == v.IDENTICAL).all()
    values["a"]["x"] = same + np.array([0.5, -0.5, 0.2, -0.2])
    assert v.evaluate(results, [exp])["why"].iloc[0] != v.IDENTICAL


def test_equivalence_statistics_carry_their_mde(quick):
    stats = pd.read_csv(quick / "data" / "statistics.csv")
    bands = stats[stats["criterion"].str.contains("inside")]
    assert len(bands) >= 3 and np.isfinite(bands["mde"]).all() and (bands["mde"] > 0).all()
    by_id = {e.id: e for e in v.EXPERIMENTS}
    for _, r in bands.iterrows():
        band = by_id[r["experiment"]].stats[r["stat"]].criterion.hi
        tested = min(band, r["mde"])  # a wider band is judged at the MDE
        assert bool(r["pass"]) == (-tested <= r["lo"] and r["hi"] <= tested), r.to_dict()


def test_the_pass_rate_counts_evidence_only(quick):
    from experiments.validate.classification import CLASSIFICATION, EVIDENCE

    text = (quick / "validation.md").read_text()
    evidence = [e.id for e in v.EXPERIMENTS if CLASSIFICATION[e.id].kind == EVIDENCE]
    assert f" of {len(evidence)} evidence claims pass" in text
    for key, c in CLASSIFICATION.items():
        assert f"| {key} | {c.kind} |" in text
    rules = [e.id for e in v.EXPERIMENTS if CLASSIFICATION[e.id].kind != EVIDENCE]
    for exp_id in rules:
        assert f"### {exp_id}: " in text and text.split(f"### {exp_id}: ")[1].split("\n")[0].endswith("rule check")


def test_criteria_and_intervals():
    assert v.Criterion("below").passes(-2, -1) and not v.Criterion("below").passes(-2, 0.1)
    assert v.Criterion("above", 1).passes(1.5, 3) and not v.Criterion("above", 1).passes(0.5, 3)
    assert v.within(0.1).passes(-0.05, 0.09, 0.1) and not v.within(0.1).passes(-0.05, 0.2, 0.1)
    assert not v.Criterion("below").passes(math.nan, -1)
    mean, _lo, hi, n = mean_interval(np.array([1.0, 2.0, 3.0, 4.0]))
    assert (mean, n) == (2.5, 4) and hi - mean == pytest.approx(3.182446 * np.std([1, 2, 3, 4], ddof=1) / 2)


def test_paired_statistics():
    values = {"a": {"x": np.array([2.0, 4.0])}, "b": {"x": np.array([1.0, 3.0])}}
    np.testing.assert_allclose(v.diff("x", "a", "b", v.ABOVE0).effect(values), [1, 1])
    np.testing.assert_allclose(v.rel("x", "a", "b", v.ABOVE0).effect(values), [0.5, 0.5])
    values |= {"c": {"x": np.array([1.0, 3.0])}, "d": {"x": np.array([1.0, 3.0])}}
    np.testing.assert_allclose(v.did("x", ("a", "b"), ("c", "d"), v.ABOVE0, "").effect(values), [0.5, 0.5])


def test_history_measures_on_a_synthetic_series():
    dates = pd.date_range("2012-01-02", "2024-01-01", freq="7D")
    weekly = pd.DataFrame({"date": [d.date().isoformat() for d in dates]})
    weekly["cattle_stolen_mopti"] = np.where(dates.year == 2021, 2.0, 1.0)
    weekly["civilian_deaths"] = np.where((dates >= "2018-11-01") & (dates <= "2019-03-31"), 4.0, 1.0)
    by_id = {f.id: f.measure(weekly) for f in v.HISTORY_FIGURES if f.id in ("F11c", "F15")}
    assert by_id["F11c"] == pytest.approx(2.0)
    assert by_id["F15"] == pytest.approx(4.0 * 21 / 22)  # 21 weeks in the surge window, 22 in the five months before


def test_one_command_runs_every_step_in_order_and_stops_at_a_failure(monkeypatch, tmp_path):
    """experiments.evidence calibrates (the history runs over its ensemble), validates, then Morris, Sobol and the
    sensitivity report; a failure stops it; the time of every step is written down."""
    import json

    from experiments import calibrate, evidence, sensitivity

    calls = []
    monkeypatch.setattr(v, "main", lambda argv: calls.append(("validate", list(argv))) or 0)
    monkeypatch.setattr(sensitivity, "main", lambda argv: calls.append(("sensitivity", list(argv))) or 0)
    monkeypatch.setattr(calibrate, "main", lambda argv: calls.append(("calibrate", list(argv))) or 0)
    assert evidence.main(["--quick", "--jobs", "1", "--out", str(tmp_path)]) == 0
    assert [(m, a[0] if m == "sensitivity" else "-") for m, a in calls] == [
        ("calibrate", "-"),
        ("validate", "-"),
        ("sensitivity", "morris"),
        ("sensitivity", "sobol"),
        ("sensitivity", "report"),
    ]
    assert all("--quick" in a and str(tmp_path) in " ".join(a) for _, a in calls)
    timing = json.loads((tmp_path / "timing.json").read_text())
    assert [s["module"] for s in timing["steps"]] == [m for m, _ in calls] and timing["jobs"] == 1
    assert all(s["seconds"] >= 0 for s in timing["steps"])
    text = (tmp_path / "evidence_timing.md").read_text()
    assert text.count("| `python -m experiments.") == 5 and "| | total |" in text
    calls.clear()
    monkeypatch.setattr(calibrate, "main", lambda argv: calls.append(("calibrate", list(argv))) or 3)
    assert evidence.main([]) == 3 and len(calls) == 1


def test_the_evidence_timing_replaces_its_own_section_only(tmp_path):
    from experiments import evidence

    doc = tmp_path / "calibration.md"
    doc.write_text("# Calibration\n\nprose\n<!-- results:start -->\nresults\n<!-- results:end -->\n")
    evidence.write_timing(doc, "first")
    evidence.write_timing(doc, "second")
    text = doc.read_text()
    assert "first" not in text and text.count("second") == 1 and text.count("## How long the evidence takes") == 1
    assert "prose" in text and "<!-- results:start -->\nresults\n<!-- results:end -->" in text


def test_the_shift_to_central_mali_on_a_synthetic_series():
    """S18a/b: share of regional fatalities in Mopti and Ségou after 2018, and its rise over 2013-2017."""
    dates = pd.date_range("2012-01-02", "2024-01-01", freq="7D")
    weekly = pd.DataFrame({"date": [d.date().isoformat() for d in dates]})
    weekly["fatalities_regions"] = 4.0
    weekly["fatalities_central"] = np.where(dates.year >= 2018, 3.0, 1.0)
    by_id = {f.id: f.measure(weekly) for f in v.HISTORY_FIGURES if f.id in ("S18a", "S18b")}
    assert by_id["S18a"] == pytest.approx(0.75)
    assert by_id["S18b"] == pytest.approx(0.5)
