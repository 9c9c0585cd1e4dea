"""EMA Workbench as an outside client: 16 experiments of the model, then PRIM, in a few lines."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("ema_workbench")  # the [ema] extra; the test extra includes it, so CI runs this

from ema_workbench import ScalarOutcome, perform_experiments
from ema_workbench.analysis import feature_scoring, prim

from sahel_sim import ema

UNCERTAIN = ["scenario.officials.integrity_mean", "scenario.traffickers.patience_weeks"]


def test_uncertainties_levers_and_outcomes_come_from_the_model():
    unc = {u.name: u for u in ema.uncertainties()}
    assert "scenario__officials__integrity_mean" in unc and len(unc) > 20
    integrity = unc["scenario__officials__integrity_mean"]
    from sim.params import RunConfig, iter_params

    meta = {k: f.metadata for k, f, _ in iter_params(RunConfig)}
    assert (integrity.lower_bound, integrity.upper_bound) == tuple(
        meta["scenario.officials.integrity_mean"]["assumption"]
    )
    with pytest.raises(KeyError, match="not an assumption"):
        ema.uncertainties(["scenario.name"])
    levers = {lv.name for lv in ema.levers(["counter_terrorism"])}
    assert levers == {"policy__counter_terrorism__intensity", "policy__counter_terrorism__targeting"}
    kinds = {o.name: o.kind for o in ema.outcomes()}
    assert kinds["fatalities"] == ScalarOutcome.MINIMIZE
    assert kinds["community_income_index"] == ScalarOutcome.MAXIMIZE
    assert "delivered_value_usd" not in kinds  # no direction: not an objective unless asked for


def test_sixteen_experiments_and_prim():
    model = ema.build_model(
        "scenario=small",
        steps=4,
        uncertainties=UNCERTAIN,
        levers=["border_control"],
        outcomes=["delivered_value_usd", "seized_value_usd", "fatalities"],
        **{"scenario.burn_in_weeks": 0},
    )
    experiments, outcomes = perform_experiments(model, scenarios=4, policies=4)
    assert len(experiments) == 16 and outcomes["delivered_value_usd"].shape == (16,)
    assert np.all(np.isfinite(outcomes["delivered_value_usd"])) and outcomes["delivered_value_usd"].std() > 0
    # Experiments with the border-control lever on seize more: the levers reach the model.
    seized = outcomes["seized_value_usd"]
    y = seized > np.median(seized)
    x = experiments[[*(ema.name(k) for k in UNCERTAIN), "policy__border_control__intensity"]].astype(float)
    box = prim.Prim(x, y).find_box()
    assert len(box.peeling_trajectory) >= 1
    assert 0 < box.peeling_trajectory["coverage"].iloc[-1] <= 1
    # Feature scoring over the same experiments: one score per input and outcome.
    scores = feature_scoring.get_feature_scores_all(x, {k: outcomes[k] for k in ("seized_value_usd", "fatalities")})
    assert scores.shape == (3, 2) and set(scores.index) == set(x.columns)
    assert (scores["seized_value_usd"] >= 0).all() and scores["seized_value_usd"].sum() > 0
