"""Reports that read on their own: the status-quo baseline, short keys, t-intervals, units, borders, value maps."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from experiments import figures, report
from experiments.stats import half_width as interval_half_width

CT = [
    f"policy.counter_terrorism.intensity={i}, policy.counter_terrorism.targeting={t}"
    for i in (0, 1, 3)
    for t in ("all_armed", "jihadist_only")
]


def preset_variants(name: str) -> list[str]:
    """The variant labels a preset's sweep gives (as aggregation labels them: its swept settings)."""
    import itertools

    from simcli.compose import compose_cfg

    params = compose_cfg([f"experiment={name}"], hydra_config=True).hydra.sweeper.params
    keys = list(params)
    values = [str(params[k]).split(",") for k in keys]
    return [", ".join(f"{k}={v}" for k, v in zip(keys, combo, strict=True)) for combo in itertools.product(*values)]


def test_ct_targeting_baseline_is_the_status_quo():
    assert sorted(preset_variants("ct_targeting")) == sorted(CT)
    # At intensity 0, all_armed still switches whom counter-terrorism raids: not the status quo.
    assert figures.default_baseline(preset_variants("ct_targeting")) == (
        "policy.counter_terrorism.intensity=0, policy.counter_terrorism.targeting=jihadist_only"
    )
    # The scenario's targeting default is jihadist_only: that is what the rule compares with.
    from sim.params import RunConfig, iter_params

    defaults = {k: d for k, _f, d in iter_params(RunConfig)}
    assert defaults["policy.counter_terrorism.targeting"] == "jihadist_only"


def test_border_control_baseline_has_every_switch_off():
    variants = [
        f"policy.border_control.intensity={i}, policy.border_control.crime_sensitive={c}, "
        f"policy.regional_cooperation.enabled={r}"
        for i in (0, 1, 3)
        for c in ("false", "true")
        for r in ("false", "true")
    ]
    assert figures.default_baseline(variants) == (
        "policy.border_control.intensity=0, policy.border_control.crime_sensitive=false, "
        "policy.regional_cooperation.enabled=false"
    )


def test_baseline_accepts_a_short_key_and_says_when_it_is_ambiguous():
    assert report.choose_baseline(CT, "intensity=0,targeting=all_armed") == CT[0]
    assert report.choose_baseline(CT, "intensity=0, targeting=jihadist_only") == CT[1]
    assert report.choose_baseline(CT, CT[4]) == CT[4]
    with pytest.raises(report.ReportError, match="matches several variants"):
        report.choose_baseline(CT, "intensity=0")
    with pytest.raises(report.ReportError, match="matches no variant"):
        report.choose_baseline(CT, "intensity=2")


def test_intervals_are_student_t_with_the_seeds_degrees_of_freedom():
    x = np.array([1.0, 2.0, 4.0, 3.0, 5.0])
    m2 = ((x - x.mean()) ** 2).sum()
    expected = stats.t.ppf(0.975, 4) * x.std(ddof=1) / np.sqrt(5)
    assert float(interval_half_width(m2, 5)) == pytest.approx(expected)
    assert float(interval_half_width(m2, 5)) / (1.96 * x.std(ddof=1) / np.sqrt(5)) == pytest.approx(1.4166, abs=1e-3)
    assert float(interval_half_width(0.0, 1)) == 0.0


def runs_table():
    rows = []
    for seed in range(5):
        rows.append(("base", seed, "fatalities", 100.0 + seed))
        rows.append(("cut", seed, "fatalities", 80.0 + seed))  # 20% fewer: better (lower is better)
        rows.append(("base", seed, "delivered_value_usd", 1e8 + seed))
        rows.append(("cut", seed, "delivered_value_usd", 1e8 + seed * (1 if seed % 2 else -1)))
    return pd.DataFrame(rows, columns=["variant", "seed", "outcome", "value"])


INFO = {
    "fatalities": {"unit": "deaths", "direction": "lower", "tags": ["headline", "violence"]},
    "delivered_value_usd": {"unit": "USD", "direction": None, "tags": ["headline", "trade"]},
    "bribe_rate": {"unit": "share", "direction": "lower", "tags": ["corruption"]},
}


def test_effect_table_gives_units_seeds_intervals_and_verdicts():
    table = report.effect_table(runs_table(), ["fatalities", "delivered_value_usd"], "base", INFO).set_index("outcome")
    f = table.loc["fatalities"]
    assert f.unit == "deaths" and f.seeds == 5 and f.paired and f.baseline == pytest.approx(102.0)
    assert f.lo_pct < f.change_pct < f.hi_pct < 0 and f.verdict == "better"
    assert table.loc["delivered_value_usd", "verdict"] == "no clear change"
    text = "\n".join(report.effect_markdown(table.reset_index()))
    assert "| fatalities (lower is better) | deaths |" in text and "95% t-interval" in text and "| 5 |" in text


def test_outcomes_are_chosen_by_tag_from_the_dictionary():
    runs = runs_table()
    assert report.choose_outcomes(runs, None, INFO) == ["fatalities", "delivered_value_usd"]
    assert report.choose_outcomes(runs, None, INFO, "violence") == ["fatalities"]
    with pytest.raises(report.ReportError, match="unknown tag"):
        report.choose_outcomes(runs, None, INFO, "nonsense")
    with pytest.raises(report.ReportError, match="carries the tag"):
        report.choose_outcomes(runs, None, INFO, "mission")


def weekly_series():
    dates = pd.date_range("2013-01-13", periods=13, freq="7D")
    return pd.DataFrame(
        {
            "variant": "v",
            "week": np.arange(1, 14),
            "date": [str(d.date()) for d in dates],
            "outcome": "delivered_value_usd",
            "mean": 2.5e7,
            "lo": 2.0e7,
            "hi": 3.0e7,
            "n": 5,
        }
    )


def test_series_are_monthly_in_labelled_units_without_offset():
    info = {"unit": "USD", "description": "value of goods sold at sinks", "aggregation": "sum"}
    fig = figures.plot_series(weekly_series(), "delivered_value_usd", info=info)
    (ax,) = fig.axes
    assert ax.get_ylabel() == "million USD per month"
    fig.canvas.draw()
    assert ax.yaxis.get_offset_text().get_text() == ""
    (line,) = ax.lines
    # January 2013 has 3 recorded weeks here (partial, left out); February and March have 4 and 4 or 5.
    assert all(y >= 4 * 25 for y in line.get_ydata())
    assert "value of goods sold at sinks" in ax.get_title()
    plt.close(fig)


def test_monthly_levels_are_averaged_not_summed():
    month = figures.monthly(weekly_series(), "mean")
    assert (month["mean"] == 2.5e7).all()


def test_flow_map_has_borders_and_all_goods_by_value():
    from sim.world import load_world

    world = load_world()
    a, b = world.place_ids[world.edge_u[0]], world.place_ids[world.edge_v[0]]
    edges = pd.DataFrame(
        {
            "variant": ["base", "base", "new", "new"],
            "a": [a] * 4,
            "b": [b] * 4,
            "good": ["cocaine", "cattle", "cocaine", "cattle"],
            "units": [1.0, 1000.0, 2.0, 1000.0],
        }
    )
    by_value = figures._link_units(edges, "new", None, world)
    price = {g.id: g.value_sink_usd for g in world.goods}
    assert by_value[(a, b)] == pytest.approx(2 * price["cocaine"] + 1000 * price["cattle"])
    fig = figures.plot_flow_change(edges, "new", "base", places=world)
    ax = fig.axes[0]
    assert "value" in ax.get_title() and "USD" in ax.get_title()
    n_rings = len(figures.border_lines())
    assert n_rings > 10 and any(len(c.get_segments()) == n_rings for c in ax.collections)
    plt.close(fig)
