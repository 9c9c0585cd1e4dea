"""Parameters: unknown keys, wrong types and out-of-range values stop with one line naming the key."""

from __future__ import annotations

import pytest

from sim.errors import ConfigError
from sim.model import SahelModel
from sim.params import RunConfig, ScenarioConfig, TraffickerParams, from_dict, iter_params


@pytest.mark.parametrize(
    ("data", "key", "problem"),
    [
        ({"nope": 1}, "nope", "unknown key"),
        (
            {"scenario": {"traffickers": {"learning_rate_owm": 0.2}}},
            "scenario.traffickers.learning_rate_owm",
            "unknown key",
        ),
        ({"seed": "abc"}, "seed", "expected an integer"),
        ({"seed": True}, "seed", "expected an integer"),
        ({"steps": 2.5}, "steps", "expected an integer"),
        ({"scenario": {"supply_scale": "lots"}}, "scenario.supply_scale", "expected a number"),
        ({"scenario": {"supply_scale": 0}}, "scenario.supply_scale", "out of range"),
        ({"scenario": {"supply_scale": float("nan")}}, "scenario.supply_scale", "not a finite number"),
        (
            {"scenario": {"traffickers": {"learning_rate_own": 1.5}}},
            "scenario.traffickers.learning_rate_own",
            "out of range",
        ),
        (
            {"scenario": {"checkpoints": {"pressure_multiplier": {"gao": -1}}}},
            "scenario.checkpoints.pressure_multiplier",
            "out of range",
        ),
        ({"scenario": {"start_date": "2013-02-30"}}, "scenario.start_date", "not a date"),
        ({"scenario": {"goods": "gold"}}, "scenario.goods", "expected a list"),
        ({"output": {"timeseries": "yes"}}, "output.timeseries", "expected true or false"),
    ],
)
def test_bad_values_name_the_key(data, key, problem):
    with pytest.raises(ConfigError) as err:
        from_dict(RunConfig, data)
    message = str(err.value)
    assert message.startswith(key), message
    assert problem in message
    assert "allowed" in message and "\n" not in message


def test_world_references_are_checked():
    with pytest.raises(ConfigError, match=r"scenario.goods\[0\]='gould': unknown good"):
        SahelModel(ScenarioConfig(goods=["gould"]))
    with pytest.raises(ConfigError, match=r"pressure_multiplier.timbuctoo=2.0: unknown place"):
        SahelModel(
            ScenarioConfig(
                checkpoints=from_dict(
                    ScenarioConfig, {"checkpoints": {"pressure_multiplier": {"timbuctoo": 2}}}
                ).checkpoints
            )
        )


def test_defaults_are_valid_and_documented():
    cfg = from_dict(RunConfig, {})
    assert cfg.weeks == 520
    for key, f, _default in iter_params(RunConfig):
        meta = f.metadata
        assert meta["doc"], key
        assert meta["source"] or meta["assumption"], key
        if meta["assumption"]:
            lo, hi = meta["assumption"]
            assert lo <= hi, key


def test_assumption_ranges_contain_the_default():
    t = TraffickerParams()
    for key, f, default in iter_params(RunConfig):
        rng = f.metadata["assumption"]
        if rng is not None and isinstance(default, (int, float)):
            assert rng[0] <= default <= rng[1], key
    assert t.learning_rate_own > t.learning_rate_network
