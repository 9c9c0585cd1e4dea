"""The outcome registry: every outcome declared once with its tags; per-region values add up."""

from __future__ import annotations

import pickle
from types import SimpleNamespace

import pytest

from sim import outcomedoc
from sim.outcomes import TAGS, Outcome, format_value, headline, mali_regions, region_slug, tagged


@pytest.fixture(scope="module")
def registry():
    return outcomedoc.registry_of_world()


def test_every_outcome_has_known_tags_and_a_unique_name(registry):
    names = [o.name for o in registry]
    assert len(names) == len(set(names))
    for o in registry:
        assert o.tags, f"{o.name} has no tags"
        assert set(o.tags) <= set(TAGS), f"{o.name}: unknown tags {set(o.tags) - set(TAGS)}"
        assert o.better in ("higher", "lower", None)
        assert o.unit and o.doc


def test_per_region_outcomes_cover_every_region_of_mali(registry):
    slugs = [region_slug(r) for r in mali_regions(SimpleNamespace(world=outcomedoc.load_world("")))]
    assert {"kidal", "mopti", "segou", "menaka"} <= set(slugs)
    per_region = {o.name for o in tagged(registry, "per_region")}
    for base in (
        "fatalities",
        "civilian_fatalities",
        "cattle_stolen",
        "community_income_index",
        "food_security_index",
        "state_trust_index",
    ):
        assert {f"{base}.{s}" for s in slugs} <= per_region, base
    assert "flow_through.in_khalil.cocaine" in {o.name for o in tagged(registry, "per_crossing")}


def test_registry_pickles(registry):
    again = pickle.loads(pickle.dumps(registry))
    assert [o.name for o in again] == [o.name for o in registry]


def test_a_new_tagged_outcome_appears_in_the_generated_table(monkeypatch):
    original = outcomedoc.build_registry

    def extended(model):
        return [*original(model), Outcome("goats_rustled", len, "sum", "head", "lower", "goats taken", ("livelihood",))]

    monkeypatch.setattr(outcomedoc, "build_registry", extended)
    text = outcomedoc.render()
    assert "| `goats_rustled` | head | lower | sum | livelihood | goats taken |" in text
    assert text != outcomedoc.DOC.read_text(encoding="utf-8")  # the committed table would be stale


def test_outcome_table_is_up_to_date():
    assert outcomedoc.DOC.read_text(encoding="utf-8") == outcomedoc.render(), (
        "docs/outcomes.md is stale: run python -m sim.outcomedoc"
    )


def test_headline_line_uses_units(registry):
    summary = {o.name: 0.25 for o in registry} | {"delivered_value_usd": 2.31e9, "fatalities": 3764.0}
    line = headline(summary, registry)
    assert line.startswith("delivered_value_usd $2.31 bn, seizure_share 25.0%")
    assert "fatalities 3,764 deaths" in line
    assert len(line.split(", ")) == len(tagged(registry, "headline"))
    assert format_value(0.97, "index") == "0.97"


def test_region_fatalities_add_up_to_the_total():
    """Deaths placed in Mali's regions, abroad, and peacekeepers' make all fatalities (26 weeks, small)."""
    from conftest import run_small

    result = run_small(3, steps=26)
    s, model = result.summary, result.model
    regions = sum(s[f"fatalities.{region_slug(r)}"] for r in mali_regions(model))
    civilians = sum(s[f"civilian_fatalities.{region_slug(r)}"] for r in mali_regions(model))
    abroad = float(model.stats.to_date("deaths")[~model.world.in_mali].sum())
    assert s["fatalities"] > 0
    assert regions + abroad + s["peacekeeper_fatalities"] == pytest.approx(s["fatalities"])
    assert civilians <= s["civilian_fatalities"]
    assert sum(s[f"cattle_stolen.{region_slug(r)}"] for r in mali_regions(model)) <= s["cattle_stolen"] + 1e-9


def test_illicit_value_through_crossings_counts_only_illicit_goods():
    """The validation's diagnostic: sink value of the goods that are not livelihood goods (M7)."""
    import numpy as np

    from conftest import run_small
    from sim.policies.base import crossings_to, mali_crossings

    result = run_small(4, steps=8)
    s, m = result.summary, result.model
    illicit = ~np.array([g.livelihood for g in m.world.goods])
    units = m.stats.to_date("place_good_units")
    algeria = crossings_to(m.world, "Algeria")
    other = np.setdiff1d(mali_crossings(m.world), algeria)
    expected = {
        name: float((units[places][:, illicit] @ m.market.value_sink[illicit]).sum())
        for name, places in (("algeria", algeria), ("other", other))
    }
    assert expected["other"] > 0
    for name, value in expected.items():
        assert s[f"illicit_value_crossings.{name}"] == pytest.approx(value)
    delivered = m.stats.to_date("delivered_value")
    assert s["illicit_delivered_value_usd"] == pytest.approx(float(delivered[illicit].sum()))


@pytest.mark.parametrize("seed", [1, 2])
def test_income_indices_start_near_one_without_a_burn_in(seed):
    """Without a burn-in the references were fixed before any income existed (index ~1e26 before the fix)."""
    from sim.model import SahelModel
    from sim.params import ScenarioConfig

    model = SahelModel(ScenarioConfig(supply_scale=0.05, burn_in_weeks=0), seed=seed)
    for _ in range(3):
        model.step()
    series = model.datacollector.get_model_vars_dataframe()["community_income_index"]
    assert series.between(0.5, 2.0).all(), series.tolist()
    assert series.iloc[0] == pytest.approx(1.0, abs=1e-9)
