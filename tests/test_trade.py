"""The trade where the sources put it: transit income, neighbours that enforce, closed borders (issue 13).

- a consignment passing a place pays local services there: income of the community (000; 002 §II);
- a neighbour that enforces displaces flows to another neighbour (000; 001; FACTS M8);
- a border closed in a timeline (the ECOWAS closure of 2022; 002 Box C, F27) stops flows across it.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import yaml

from conftest import CORE, run_small, small_config
from sim.agents.trafficker import State
from sim.model import SahelModel
from sim.neighbours import border_places, closing_links, load_neighbours
from sim.params import ScenarioConfig
from sim.world import load_world
from sim.world.tables import DATA_DIR


def test_neighbours_table_covers_every_neighbour():
    """Every state bordering Mali has its own row; their first posts are where the texts put the crossings."""
    table = load_neighbours()
    for country in ("Algeria", "Niger", "Burkina Faso", "Mauritania", "Senegal", "Guinea", "Côte d'Ivoire", "Libya"):
        assert country in table
    world = load_world()
    first = {world.place_ids[i] for i in np.flatnonzero(border_places(world))}
    assert {"bordj_badji_mokhtar", "tamanrasset", "niamey", "bobo_dioulasso", "fassala"} <= first
    assert not first & {world.place_ids[i] for i in np.flatnonzero(world.in_mali)}
    assert "algiers" not in first  # terminal markets hold no checkpoint


def test_consignment_passing_a_place_pays_its_community():
    """One crew moving through Malian places: each place passed earns the services share of the cargo's value."""
    model = SahelModel(ScenarioConfig(supply_scale=0.05, burn_in_weeks=0, goods=["cigarettes"]), seed=3)
    crews, routes = model.crews, model.routes
    alive = crews.alive_rows()
    crews.cols["state"][alive] = State.IDLE
    # A route whose first week passes a Malian place where a community lives.
    rows_of = model.communities.row_of_place
    first_week = (routes.cum_weeks > 0) & (routes.cum_weeks <= 1.0)
    malian = np.where(routes.nodes >= 0, rows_of[np.maximum(routes.nodes, 0)] >= 0, False)
    r = int(np.flatnonzero((first_week & malian).any(axis=1))[0])
    slot = int(alive[0])
    c = crews.cols
    c["good"][slot], c["group"][slot], c["home"][slot] = routes.good[r], routes.group[r], routes.source[r]
    c["state"][slot], c["route"][slot], c["progress"][slot] = State.MOVING, r, 0.0
    c["cargo"][slot], c["cash"][slot], c["bloc"][slot] = 100, 1e7, -1
    crews._route_costs()
    model.enforcement.rates.seize[:] = 0.0  # nothing lost on the way
    model.banditry.rob[:] = 0.0
    passed = np.flatnonzero(first_week[r] & malian[r])
    rows = rows_of[routes.nodes[r, passed]]
    before = model.communities.inflow[rows].copy()
    crews._travel()
    gained = model.communities.inflow[rows] - before
    share = model.params.transport.services_share
    expected = share * 100 * crews.value_at[r, passed]
    np.testing.assert_allclose(gained, expected, rtol=1e-9)
    assert (gained > 0).all()
    # Every place passed is paid (abroad too, out of the modelled economy), and nothing else.
    everywhere = share * 100 * crews.value_at[r, np.flatnonzero(first_week[r])].sum()
    assert model.ledger.week_flows["services"] == pytest.approx(everywhere)


ALGERIA = {"bordj_badji_mokhtar": 10.0, "tamanrasset": 10.0, "reggane": 10.0, "djanet": 10.0}


def _illicit_units_in(res, country: str) -> float:
    world, stats = res.model.world, res.model.stats
    places = np.flatnonzero(np.array(world.country) == country)
    illicit = ~np.array([g.livelihood for g in world.goods])
    return float(stats.to_date("place_good_units")[np.ix_(places, illicit)].sum())


def test_enforcing_neighbour_displaces_flows_to_another():
    """Algeria's checkpoints at ten times their pressure: illicit flows through Algeria fall, Niger's rise.

    Criterion over 4 seeds (core model, 104 weeks): Algeria's illicit units fall by at least 20% in
    every seed, and Niger's rise on average with a paired t statistic above 2.
    """
    ratio, gain = [], []
    for seed in range(4):
        base = run_small(seed, steps=104, **CORE)
        hit = run_small(seed, steps=104, **CORE, checkpoints={"pressure_multiplier": ALGERIA})
        ratio.append(_illicit_units_in(hit, "Algeria") / _illicit_units_in(base, "Algeria"))
        gain.append(_illicit_units_in(hit, "Niger") - _illicit_units_in(base, "Niger"))
    assert max(ratio) < 0.8, ratio
    gain = np.array(gain)
    assert gain.mean() / (gain.std(ddof=1) / np.sqrt(len(gain))) > 2, gain


def test_closed_border_in_timeline_stops_flows(tmp_path):
    """A timeline closing Burkina Faso's border with Mali: after the trips under way end, nothing crosses it."""
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    entries = [{"id": "closure", "date": "2020-01-06", "close_borders": ["Burkina Faso"], "basis": "test"}]
    (data / "timeline_test.yaml").write_text(yaml.safe_dump(entries), encoding="utf-8")
    scenario = {"start_date": "2020-01-01", "data_dir": str(data)}
    world = load_world(data)
    links = np.flatnonzero(closing_links(world, ["Burkina Faso"]))
    assert {tuple(sorted((world.place_ids[world.edge_u[e]], world.place_ids[world.edge_v[e]]))) for e in links} >= {
        ("bobo_dioulasso", "koury"),
        ("koro", "ouagadougou"),
    }

    def late_crossings(**extra) -> float:
        """Units crossing the links from week 11 to 30 (trips started before the closure are over by then)."""
        model = SahelModel(small_config(0, **CORE, **scenario, **extra).scenario, seed=0)
        total = 0.0
        for week in range(30):
            model.step()
            if week >= 10:
                total += model.stats.week["edge_units"][links].sum()
        return total

    assert late_crossings() > 0
    assert late_crossings(timeline="test") == 0
