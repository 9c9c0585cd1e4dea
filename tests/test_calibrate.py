"""History matching (experiments/calibrate): the quick synthetic study end to end, and its parts."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy.stats import qmc

from experiments.calibrate import ensemble as ens
from experiments.calibrate import errors as err
from experiments.calibrate.emulate import fit
from experiments.calibrate.report import main
from experiments.calibrate.study import full_study, quick_study
from experiments.calibrate.targets import FIGURES, held_out, targets
from experiments.calibrate.waves import calibrate, implausibility, maximin, to_unit, to_values
from experiments.design import point_config
from sim.params import RunConfig


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """The quick study run once (24 short history runs); later calls reuse its runs."""
    root = tmp_path_factory.mktemp("calibrate")
    return root, calibrate(quick_study(), root, progress=False)


def _run_dirs(root):
    return sorted(p.name for p in (root / "runs").iterdir())


def test_quick_study_keeps_the_known_truth_and_rules_out_space(quick):
    _, cal = quick
    (wave,) = cal.waves
    assert all(e.valid for e in wave.emulators.values())
    # The synthetic figures are the model's own output at `truth`: no valid emulator may rule it out.
    for f in cal.targets:
        i = implausibility(f, wave.emulators[f.id], wave.seed_var[f.id], cal.truth[None, :])[0]
        assert i <= cal.study.cutoff, (f.id, i)
    # With 5% observation error and no discrepancy, the two targets must rule out part of the box.
    assert 0 < wave.share < 0.9
    assert cal.stop.startswith("wave 1")


def test_killed_calibration_resumes_without_rerunning(quick):
    root, cal = quick
    before = _run_dirs(root)
    s = quick_study()
    # truth's seeds, the design's points x seeds, the check's points x seeds
    assert len(before) == 2 + s.points * s.seeds + s.ensemble * s.seeds
    again = calibrate(quick_study(), root, progress=False)
    assert _run_dirs(root) == before
    np.testing.assert_array_equal(again.waves[0].kept, cal.waves[0].kept)


def test_command_writes_report_ensemble_and_error_table(quick, capsys):
    root, cal = quick
    assert main(["--quick", "--out", str(root), "--quiet"]) == 0
    doc = (root / "calibration.md").read_text(encoding="utf-8")
    assert "<!-- results:start -->" in doc and "| Q3:" in doc
    for name in ("calibration_loo", "calibration_space", "calibration_bands"):
        assert (root / "figures" / f"{name}.png").stat().st_size > 5000
    table = pd.read_csv(root / "calibration_errors.csv")
    assert list(table["id"]) == ["Q1", "Q2", "Q3"]
    assert list(table["role"]) == ["target", "target", "held_out"]
    points = sorted((root / "calibration").glob("p*.yaml"))
    assert 1 <= len(points) <= quick_study().ensemble
    factors = {f.name: f for f in cal.factors}
    for path in points:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# @package _global_") and "code revision:" in text and "targets: Q1, Q2" in text
        values = ens.read(path)
        assert set(values) == set(factors)
        assert all(factors[k].lo <= v <= factors[k].hi for k, v in values.items())
        config = point_config({"scenario": {"name": "history"}}, values, seed=1, seeds=1)
        assert isinstance(config, RunConfig)
        assert config.scenario.armed_groups.ransom_usd == pytest.approx(values["scenario.armed_groups.ransom_usd"])
    preset = (root / "experiment" / "calibrated.yaml").read_text(encoding="utf-8")
    assert "# Question:" in preset and f"calibration: {','.join(p.stem for p in points)}" in preset
    # A second invocation compares with the table the first one kept.
    assert main(["--quick", "--out", str(root), "--quiet"]) == 0
    assert "| same |" in (root / "calibration.md").read_text(encoding="utf-8")


def test_impossible_targets_give_an_empty_space(quick):
    root, _ = quick
    base = quick_study()
    figures = tuple(replace(f, observed=f.observed, lo=0, hi=1) for f in base.figures)
    far = tuple(replace(f, observed=1e15) if f.role == "target" else f for f in figures)
    study = replace(base, synthetic=False, figures=far)
    cal = calibrate(study, root, progress=False)
    assert cal.empty and "implausible" in cal.empty
    assert not cal.waves[-1].kept.any()
    assert ens.select(cal) == []


def test_command_says_so_when_the_space_is_empty(quick, monkeypatch, capsys):
    root, _ = quick
    from experiments.calibrate import report

    base = quick_study()
    far = tuple(replace(f, observed=1e15, lo=0, hi=1) for f in base.figures)
    monkeypatch.setattr(report, "quick_study", lambda: replace(base, synthetic=False, figures=far))
    out = root / "empty"
    out.mkdir()
    (out / "runs").symlink_to(root / "runs")  # the design's runs are reused
    assert main(["--quick", "--out", str(out), "--quiet"]) == 1
    assert "empty non-implausible space" in capsys.readouterr().err
    assert not (out / "calibration").exists() and not (out / "calibration_errors.csv").exists()
    assert "every point of the box is implausible" in (out / "calibration.md").read_text(encoding="utf-8")


def test_bad_input_is_refused(capsys):
    assert main(["--targets", "F99"]) == 2
    assert "F99" in capsys.readouterr().err
    assert main(["--quick", "--waves", "0"]) == 2
    assert "--waves" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:  # argparse: an unknown launcher is a usage error
        main(["--quick", "--launcher", "mpi"])
    assert stop.value.code == 2 and "--launcher" in capsys.readouterr().err


def test_emulator_learns_a_known_function_and_passes_leave_one_out():
    x = qmc.LatinHypercube(d=2, seed=1).random(20)
    f = lambda p: np.sin(3 * p[:, 0]) + 0.5 * p[:, 1]  # noqa: E731
    em = fit("known", x, f(x), np.full(20, 1e-4))
    assert em.valid
    new = qmc.LatinHypercube(d=2, seed=2).random(50)
    mean, var = em.predict(new)
    assert np.max(np.abs(mean - f(new))) < 0.15
    # The emulator knows where it is unsure: errors mostly within 3 sd.
    assert np.mean(np.abs(mean - f(new)) <= 3 * np.sqrt(var + 1e-4)) >= 0.9


def test_design_helpers():
    factors = full_study_factors()
    u = qmc.Sobol(d=len(factors), seed=3).random(64)
    np.testing.assert_allclose(to_unit(factors, to_values(factors, u)), u, atol=1e-12)
    chosen = maximin(u, 8)
    assert len({tuple(r) for r in chosen}) == 8
    # Maximin spreads points: their smallest gap beats that of the first 8 points of the sample.
    gap = lambda p: min(np.linalg.norm(a - b) for i, a in enumerate(p) for b in p[i + 1 :])  # noqa: E731
    assert gap(chosen) > gap(u[:8])


def full_study_factors():
    from experiments.design import factors_named

    return factors_named(full_study().factors)


def test_error_table_flags_a_history_that_got_worse():
    prev = pd.DataFrame({"id": ["F13", "F14", "F2"], "error": [0.1, 0.02, 0.3], "hit": [True, True, False]})
    now = pd.DataFrame(
        {"id": ["F13", "F14", "F2", "F9"], "error": [0.5, -0.03, 0.1, 1.0], "hit": [False, True, True, False]}
    )
    out = err.compare(now, prev).set_index("id")["change"].to_dict()
    assert out == {"F13": "worse", "F14": "same", "F2": "better", "F9": "new"}


def test_declared_figures_are_complete():
    ids = [f.id for f in FIGURES]
    assert len(ids) == len(set(ids))
    assert {"F13", "F14", "F11a", "F25"} <= {f.id for f in targets()}
    assert {"F2", "F11b", "F11c", "F11d", "F15", "F9", "F5"} <= {f.id for f in held_out()}
    for f in FIGURES:
        assert f.why and f.source and f.lo <= f.observed <= f.hi and f.scale in ("log", "linear")
        if f.role == "target":
            assert f.obs_basis and f.discrepancy_basis and f.obs_sd > 0 and f.discrepancy_sd > 0


def test_declared_figures_read_registered_outcomes(quick):
    root, _ = quick
    ts = pd.read_parquet(next((root / "runs").glob("*/timeseries.parquet")))
    for f in FIGURES:
        for name in f.outcomes():
            assert name in ts.columns, (f.id, name)


def test_committed_ensemble_composes():
    from simcli.compose import compose

    points = sorted(ens.GROUP_DIR.glob("p*.yaml"))
    if not points:
        pytest.skip("no calibrated ensemble committed yet")
    # Any study can run its arms over the ensemble: one task per point and seed, the point's values set.
    tasks = ens.configs(["experiment=history_no_wagner", "scenario.timeline_skip=[wagner]"], seeds=[0, 1])
    assert [label for label, _ in tasks] == [p.stem for p in points for _ in (0, 1)]
    assert all(c.scenario.timeline_skip == ["wagner"] and c.seeds == 1 for _, c in tasks)
    first = ens.read(points[0])["scenario.forces.attack_rate"]
    assert tasks[0][1].scenario.forces.attack_rate == pytest.approx(first)
    # The preset sweeps exactly the committed points.
    assert f"calibration: {','.join(p.stem for p in points)}" in ens.PRESET.read_text(encoding="utf-8")
    for path in points[:3]:
        config = compose(["scenario=history", f"calibration={path.stem}"])
        for key, value in ens.read(path).items():
            node = config
            for k in key.split("."):
                node = getattr(node, k)
            assert node == pytest.approx(value), (path.name, key)
