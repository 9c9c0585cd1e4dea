"""The benchmark script measures every item in quick mode; it asserts nothing about times."""

from __future__ import annotations

import json
import math

from experiments import bench


def test_quick_benchmark_measures_every_item_and_writes_the_table(tmp_path, monkeypatch):
    doc = tmp_path / "performance.md"
    doc.write_text(f"# Performance\n\nprose kept\n{bench.BEGIN}\nold figures\n{bench.END}\nmore prose\n")
    monkeypatch.setattr(bench, "DOC", doc)
    saved = tmp_path / "results.json"
    assert bench.main(["--quick", "--json", str(saved), "--write"]) == 0
    results = json.loads(saved.read_text())

    b = results["boltzmann"]
    assert b["agents"] > 100 and b["steps"] == 20
    assert math.isclose(b["ratio"], b["sahel_s"] / b["boltzmann_s"])
    assert b["core_agents"] < b["agents"]  # no groups, officials, communities or forces
    assert math.isclose(b["actors_ratio"], b["sahel_s"] / b["core_s"])
    s = results["scaling"]
    assert s["large_agents"] > 5 * s["base_agents"]  # twelve times the supply, ten times the officers
    assert s["long_s"] > s["base_s"]
    w = results["sweep"]
    assert w["runs_1"] == w["runs_2"] == 3  # three policies, one seed each
    assert w["efficiency"] > 0 and w["overhead_1"] < 1
    m = results["memory"]
    assert m["aggregated_runs"] == 20 and 50 < m["run_mib"] < 2000 and 50 < m["aggregate_mib"] < 2000
    assert (m["linked_runs"], m["linked_weeks"]) == (20, 4) and 50 < m["linked_mib"] < 2000
    d = results["design"]
    assert d["runs"] == 4 and 0 < d["efficiency"] <= 1.0 and d["hours_for_10000"] > 0
    assert 0 < d["setup_s"] < d["wall_s"]  # making the blocks is inside the clock
    h = results["history"]  # through python -m sim -m: the shared sweep's runs are the straight ones
    assert h["shared"]["weeks"] < h["branched"]["weeks"] < h["straight"]["weeks"]
    assert h["compared_runs"] == h["shared"]["runs"] == 3 and h["identical_runs"] == 3 and not h["different_files"]

    text = doc.read_text()
    assert "prose kept" in text and "more prose" in text and "old figures" not in text
    for row in (
        "ratio to BoltzmannWealth",
        "over the core model",
        "large over default",
        "parallel efficiency",
        "aggregating a sweep of small runs",
        "aggregating linked copies of one small run",
        "10,000 such runs, extrapolated",
        "shared sweep over straight",
    ):
        assert row in text, row
    assert "(20 runs)" in text

    # a column from an earlier run, matched row by row
    table = bench.markdown(results, before=results)
    assert "| measure | before (" in table
    assert f"| ratio to BoltzmannWealth | {b['ratio']:.2f} | {b['ratio']:.2f} |" in table


def test_profile_shows_where_a_week_goes(tmp_path):
    path = bench.profile_default(tmp_path / "profile.txt", weeks=5)
    text = path.read_text()
    for phase in ("Crews.step", "ArmedGroups.step", "collect"):
        assert phase in text, phase
    head = text.split("\n\n", 1)[0]  # the phases' seconds and shares, largest first
    assert head.startswith("Phases of 5 weeks of scenario=default")
    for phase in ("traffickers", "armed_groups", "outcome collection"):
        assert phase in head, phase


def test_measure_survives_a_command_that_writes_much_to_stderr():
    """A sweep's progress lines exceed a pipe's buffer; measuring must not block on them, and a failure shows them."""
    import sys

    import pytest

    wall, mib = bench.measure([sys.executable, "-c", "import sys; sys.stderr.write('x' * 300_000)"])
    assert wall < 60 and mib > 1
    with pytest.raises(RuntimeError, match="boom"):
        bench.measure([sys.executable, "-c", "import sys; sys.stderr.write('y' * 300_000 + 'boom'); sys.exit(3)"])


def test_linked_runs_are_hard_links_of_one_run(tmp_path):
    source = tmp_path / "one"
    source.mkdir()
    (source / "summary.json").write_text("{}")
    (source / ".hydra").mkdir()  # directories are not linked
    sweep = bench.linked_runs(source, 3, tmp_path / "sweep")
    runs = sorted((sweep / "runs").iterdir())
    assert [r.name for r in runs] == ["00000000", "00000001", "00000002"]
    assert all(sorted(p.name for p in r.iterdir()) == ["summary.json"] for r in runs)
    assert (source / "summary.json").stat().st_nlink == 4
    bench.linked_runs(source, 3, sweep)  # made once, reused
    assert (source / "summary.json").stat().st_nlink == 4


def test_a_commands_peak_memory_is_its_own_not_the_benchmarks():
    """On Linux a child's peak starts at its parent's size; the benchmark had run the large scenario in-process."""
    import sys

    import numpy as np

    held = np.ones(40_000_000)  # 305 MiB in this process
    _, small = bench.measure([sys.executable, "-c", "pass"])
    _, big = bench.measure([sys.executable, "-c", "import numpy as np; a = np.ones(20_000_000)"])  # 153 MiB
    assert held.sum() > 0 and small < 100 and 150 < big < 300
