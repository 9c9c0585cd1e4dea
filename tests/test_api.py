"""The public Python API (sahel_sim) and the data dictionaries every run and sweep table carries."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

import sahel_sim as ss
from sim import dictionary
from sim.errors import ConfigError

FAST = {"steps": 4, "scenario.burn_in_weeks": 0}


def fast(*overrides):
    return ss.compose("scenario=small", *overrides, **FAST)


def test_compose_reads_presets_and_overrides_like_the_command_line():
    from simcli.compose import compose

    config = ss.compose("scenario=small", "policy=[border_control]", seed=3, steps=5)
    assert config == compose(["scenario=small", "policy=[border_control]", "seed=3", "steps=5"])
    assert config.policy.border_control.enabled and config.seed == 3 and config.scenario.supply_scale == 0.1
    preset = ss.compose("experiment=ct_targeting")
    assert preset.seeds == 5 and preset.policy.counter_terrorism.enabled
    with pytest.raises(ConfigError, match=r"scenario\.supply_scale"):
        ss.compose(**{"scenario.supply_scale": -1})
    assert "ct_targeting" in ss.presets()["experiment"] and "small" in ss.presets()["scenario"]


def test_run_with_observers_gives_the_same_results_and_sees_every_week(tmp_path):
    seen = []
    with_obs = ss.run(fast(), tmp_path / "a", observers=[lambda m: seen.append(m.week_index)])
    without = ss.run(fast())
    assert len(seen) == 4 and seen == sorted(seen)
    assert with_obs.summary["delivered_value_usd"] == without.summary["delivered_value_usd"]
    pd.testing.assert_frame_equal(with_obs.timeseries, without.timeseries)


def test_every_run_file_carries_the_dictionary_and_values_are_unchanged(tmp_path):
    out = tmp_path / "run"
    result = ss.run(fast(), out)
    entries = {e["name"]: e for e in dictionary.read(out)["outcomes"]}
    ts_columns = set(result.timeseries.columns) - {"week", "date"}
    assert ts_columns <= set(entries)
    assert set(entries) >= {k for k, v in result.summary.items() if isinstance(v, float) and k != "wall_seconds"}
    fat = entries["fatalities"]
    assert (fat["unit"], fat["direction"], fat["aggregation"]) == ("deaths", "lower", "sum")
    assert set(fat) == {"name", "unit", "direction", "description", "tags", "aggregation"}
    for name in ("timeseries.parquet", "edges.parquet"):
        assert dictionary.read(out / name) == dictionary.read(out)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "timeseries.parquet"), result.timeseries)
    table = ss.data_dictionary(out / "timeseries.parquet")
    assert table.set_index("name").loc["bribe_rate", "direction"] == "lower"


def test_sweep_through_the_hydra_app_then_load_its_tables(tmp_path):
    root = ss.sweep(
        "scenario=small", "policy=none,border_control", sweep_dir=tmp_path / "s", seeds=2, launcher="basic", **FAST
    )
    runs = ss.load_runs(root)
    assert set(runs["variant"]) == {"policy=none", "policy=border_control"} and runs["seed"].nunique() == 2
    series = ss.load_series(root)
    assert {"mean", "lo", "hi", "n"} <= set(series.columns)
    # Every aggregated table carries the dictionary, with the parameters of runs.parquet described.
    for name in ("runs.parquet", "series.parquet", "edges.parquet"):
        d = dictionary.read(root / name)
        assert "fatalities" in {e["name"] for e in d["outcomes"]}
    params = {c["name"]: c for c in dictionary.read(root / "runs.parquet")["columns"]["runs.parquet"]}
    assert params["scenario.supply_scale"]["description"]
    assert json.loads((root / "dictionary.json").read_text())["outcomes"]
    with pytest.raises(ss.SweepError, match=r"scenario\.supply_scale"):
        ss.sweep("scenario.supply_scale=-1", sweep_dir=tmp_path / "bad")


def test_outcomes_come_from_the_registry_with_units_and_directions():
    table = ss.outcomes()
    assert {"fatalities", "delivered.cocaine", "bribe_rate"} <= set(table["name"])
    assert table.set_index("name").loc["community_income_index", "direction"] == "higher"
    with pytest.raises(KeyError, match="unknown outcome tag"):
        ss.outcomes("nonsense")


def test_parquet_dictionary_is_metadata_only(tmp_path):
    import pyarrow as pa

    table = pa.table({"x": [1.0, 2.0]})
    tagged = dictionary.attach(table, {"outcomes": [{"name": "x", "unit": "kg"}]})
    assert tagged.equals(table) and dictionary.METADATA_KEY in tagged.schema.metadata
    pq.write_table(tagged, tmp_path / "t.parquet")
    assert pq.read_table(tmp_path / "t.parquet").column("x").to_pylist() == [1.0, 2.0]
    assert dictionary.read(tmp_path / "t.parquet")["outcomes"][0]["unit"] == "kg"
    pq.write_table(table, tmp_path / "plain.parquet")
    with pytest.raises(KeyError, match="no data dictionary"):
        dictionary.read(tmp_path / "plain.parquet")
