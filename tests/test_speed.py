"""Speed work that must not change what is computed (issue 18).

The sweep's pre-flight composes a sweep's variants cheaply (``simcli.app._variant_configs``):
the configurations must be exactly those of a full Hydra composition of each variant.
"""

from __future__ import annotations

import hydra

from simcli.app import _sweep_variants, _variant_configs, to_run_config
from simcli.compose import config_tree


def test_cheap_sweep_composition_equals_hydra_composing_every_variant(monkeypatch):
    base = ["scenario=small", "policy=[ddr,sanctions]"]
    swept = {
        "seed": ["seed=0", "seed=7", "seed=40"],
        "scenario.supply_scale": ["scenario.supply_scale=0.05", "scenario.supply_scale=1", "scenario.supply_scale=0.2"],
        "policy.ddr.enabled": ["policy.ddr.enabled=true", "policy.ddr.enabled=false"],
        "scenario.timeline_skip": ["scenario.timeline_skip=[]", "scenario.timeline_skip=[wagner]"],
        "scenario": ["scenario=small", "scenario=default"],
        "policy.sanctions.start": ["policy.sanctions.start=2013-06-03", "policy.sanctions.start=10"],
    }
    composed = []
    compose = hydra.compose
    monkeypatch.setattr(hydra, "compose", lambda **kw: composed.append(kw) or compose(**kw))
    with config_tree():
        fast = _variant_configs(base, swept)
        # composed in full: the first variant, the other scenario, a list, a week number for a date
        assert len(composed) == 4
        full = [to_run_config(hydra.compose(config_name="config", overrides=v)) for v in _sweep_variants(base, swept)]
    assert len(fast) == len(full) == 14
    assert fast == full
    assert {c.seed for c in fast} == {0, 7, 40}
    assert {c.scenario.supply_scale for c in fast} == {0.05, 1.0, 0.2}


def test_study_blocks_run_longest_first_and_report_in_the_order_given(tmp_path):
    """The runner hands joblib the longest blocks first (LPT) and still returns reports by block."""
    from experiments import runner
    from simcli.compose import compose

    short = compose(["scenario=small", "steps=2", "seed=1"])
    long = compose(["scenario=small", "steps=6", "seed=2"])
    many = compose(["scenario=small", "steps=2", "seeds=2", "seed=3"])
    blocks = [("short", short), ("long", long), ("many", many)]
    assert runner.longest_first(blocks) == [2, 1, 0]  # 2 x (26 + 2) weeks, 26 + 6, 26 + 2 (burn-in 26)
    reports = runner._on_joblib(blocks, tmp_path, jobs=2)
    assert [len(r.done) for r in reports] == [1, 1, 2]
