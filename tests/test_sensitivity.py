"""Sensitivity analysis: the analysis code against known answers, the design, and a smoke run on the model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from experiments import sensitivity as sa
from sim.params import RunConfig, from_dict, iter_params


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_indices_of_the_ishigami_function_are_recovered():
    """Analytic S1 = (0.314, 0.442, 0) and ST = (0.558, 0.442, 0.244); tolerance 0.05 with N = 2048."""
    prob = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
    x = sobol_sample.sample(prob, 2048, calc_second_order=False, seed=2)
    table = sa.analyze_sobol(prob, pd.DataFrame({"y": ishigami(x)}), ["y"])
    np.testing.assert_allclose(table["S1"], [0.3139, 0.4424, 0.0], atol=0.05)
    np.testing.assert_allclose(table["ST"], [0.5576, 0.4424, 0.2437], atol=0.05)


def test_morris_effects_of_a_linear_function_are_its_slopes_times_ranges():
    """For y = 3 x1 - 2 x2: mu* = |slope| x range = (3, 4, 0), sigma = 0; x3 and the seed are noise-free zeros."""
    factors = [
        sa.Factor("x1", 0, 1, 0),
        sa.Factor("x2", 0, 2, 0),
        sa.Factor("x3", 5, 6, 5),
        sa.Factor(sa.SEED, 0, 1, 0),
    ]
    prob = sa.problem(factors)
    x = morris_sample.sample(prob, 20, num_levels=sa.NUM_LEVELS, seed=3)
    y = pd.DataFrame({"y": 3 * x[:, 0] - 2 * x[:, 1]})
    table = sa.analyze_morris(prob, x, y, ["y"]).set_index("factor")
    np.testing.assert_allclose(table["mu_star"], [3, 4, 0, 0], atol=1e-9)
    np.testing.assert_allclose(table["mu"], [3, -4, 0, 0], atol=1e-9)
    np.testing.assert_allclose(table["sigma"], 0, atol=1e-9)
    assert table["above_noise"].tolist() == [True, True, False, False]
    assert table.loc["x2", "rank"] == 1
    # The seed's noise floor decides what Sobol gets.
    table["outcome"] = "y"
    assert sa.select_factors(table.reset_index(), ["y"], top=5) == ["x2", "x1"]


def test_every_numeric_assumption_is_a_factor_and_its_range_is_valid():
    """All numeric assumptions are factors; every factor at its low end (and at its high end) is a valid config."""
    numeric = [
        k
        for k, f, d in iter_params(RunConfig)
        if f.metadata.get("assumption") is not None and isinstance(d, (int, float)) and not isinstance(d, bool)
    ]
    settings = sa.full_settings()
    model, policies = sa.design_factors("model", settings), sa.design_factors("policies", settings)
    names = [f.name for f in model[:-1] + policies[:-1]]
    assert sorted(names) == sorted(numeric) and model[-1].name == policies[-1].name == sa.SEED
    for design, factors in (("model", model), ("policies", policies)):
        for end in (0, 1):
            x = np.array([(f.lo, f.hi)[end] for f in factors])
            cfg = sa.point_config(factors, x, 7, design, settings)
            from_dict(RunConfig, cfg)  # raises if a range leaves the parameter's limits
    ints = {f.name for f in model if f.integer}
    assert "scenario.traffickers.patience_weeks" in ints and "scenario.officials.integrity_mean" not in ints


def test_seed_factor_maps_to_seeds():
    """Morris: one block of four seeds per trajectory; Sobol: spread over 2**31."""
    seeds = sa.morris_seeds(np.array([0, 1 / 3, 2 / 3, 1, 0, 1]), trajectory_size=4)
    assert seeds.tolist() == [0, 1, 2, 3, sa.SEED_BLOCK, sa.SEED_BLOCK + 3]
    s = sa.sobol_seeds(np.array([0.0, 0.5, 1.0]))
    assert s[0] == 0 and 0 < s[1] < s[2] < 2**31


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("sensitivity")
    settings = sa.quick_settings()
    morris = sa.cmd_morris(settings, out, jobs=1, progress=False)
    sobol = sa.cmd_sobol(settings, out, jobs=1, progress=False)
    path = sa.cmd_report(settings, out, out)
    return out, morris, sobol, path


def test_quick_morris_and_sobol_on_the_model(quick):
    """The smoke run screens the model: finite indices for every outcome and factor, the seed included."""
    out, morris, sobol, _ = quick
    assert set(morris["design"]) == {"model", "policies"}
    assert set(sa.OUTCOMES) <= set(morris["outcome"])
    assert np.isfinite(morris[["mu", "mu_star", "sigma"]].to_numpy()).all()
    assert (morris["factor"] == sa.SEED).any()
    assert set(sobol["outcome"]) == set(sa.SOBOL_OUTCOMES) and sa.SEED in set(sobol["factor"])
    assert np.isfinite(sobol[["S1", "ST"]].to_numpy()).all()
    runs = pd.read_parquet(out / "morris_model_runs.parquet")
    assert len(runs) == sa.quick_settings().trajectories * (len(sa.design_factors("model", sa.quick_settings())) + 1)


def test_quick_report_has_tables_and_figures(quick):
    out, _, _, path = quick
    text = path.read_text()
    assert "## Morris screening" in text and "## Sobol indices" in text and "goods.yaml" in text
    for name in ("sensitivity_morris_model", "sensitivity_morris_policies", "sensitivity_sobol"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 0


def test_plots_take_axes_and_return_the_figure(quick):
    import matplotlib.pyplot as plt

    _, morris, sobol, _ = quick
    fig, ax = plt.subplots()
    assert sa.plot_morris(morris[morris["design"] == "model"], "bribe_rate", ax=ax) is fig
    assert sa.plot_sobol(sobol, "bribe_rate", ax=ax) is fig
    plt.close(fig)


def test_the_sensitivity_report_and_findings_name_only_parameters_that_exist():
    """docs/sensitivity.md and findings.md name parameters (``section.key`` or ``key``) of the parameter table.

    A parameter removed from the model (or renamed) makes both stale: every backticked lower-case
    name must be a parameter (a dotted tail of a key of ``RunConfig``), an outcome of docs/outcomes.md,
    a policy or a file.
    """
    import re

    from sim.policies import POLICIES

    root = sa.ROOT
    token = re.compile(r"`([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*)`")
    parts = [key.split(".") for key, _, _ in iter_params(RunConfig)]
    parameters = {".".join(p[i:]) for p in parts for i in range(len(p))}
    outcomes = set(token.findall((root / "docs" / "outcomes.md").read_text(encoding="utf-8")))
    known = parameters | outcomes | set(POLICIES)
    for path in (root / "docs" / "sensitivity.md", sa.FINDINGS_FILE):
        names = {t for t in token.findall(path.read_text(encoding="utf-8")) if "_" in t or "." in t}
        files = {t for t in names if re.search(r"\.(md|json|yaml|py|csv|png|parquet)$", t)}
        assert not names - files - known, f"{path.name} names what the parameter table lacks: {names - files - known}"


def test_a_killed_morris_design_reruns_only_its_missing_runs(quick, monkeypatch):
    """What a kill leaves (a run without summary.json) is redone by the same command; nothing else, same indices."""
    from experiments import runner

    out, morris, _, _ = quick
    summaries = sorted((out / "morris_model" / "runs").glob("*/summary.json"))
    killed = summaries[:2]
    for path in killed:
        path.unlink()
    ran = []
    real = runner._block
    monkeypatch.setattr(runner, "_block", lambda label, c, root: ran.append(label) or real(label, c, root))
    again = sa.cmd_morris(sa.quick_settings(), out, jobs=1, progress=False)
    assert len(ran) == 2 and all(p.exists() for p in killed)
    pd.testing.assert_frame_equal(again, morris)


def test_size_options_are_saved_by_morris_and_read_by_sobol_and_report(tmp_path, capsys):
    s = sa.sized(sa.full_settings(), tmp_path, "morris", {"trajectories": 3, "top": 1})
    assert (s.trajectories, s.top, s.sobol_n, s.steps) == (3, 1, 64, sa.full_settings().steps)
    assert sa.sized(sa.full_settings(), tmp_path, "report", {}) == s  # the design that ran, described
    assert sa.sized(sa.full_settings(), tmp_path, "sobol", {"sobol_n": 16}).sobol_n == 16
    for bad, says in ((["--sobol-n", "12"], "power of 2"), (["--trajectories", "0"], "at least 1")):
        with pytest.raises(SystemExit) as exc:
            sa.main(["morris", *bad, "--out", str(tmp_path)])
        assert exc.value.code == 2 and says in capsys.readouterr().err
