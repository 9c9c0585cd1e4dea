"""Route choice's odds at each group's places (issue 18, twelfth pass) against the whole table, bit for bit.

``Crews._route_odds`` used to compute the perceived risk at every place for each planning crew
(``perceived_risk``), take numpy's ``log1p`` of the whole (crews x places + 1) table, sum each
candidate's terms (``candidate_log_sums``) and take numpy's ``exp``. Now it computes the risk only
at the places of each crew's group's candidates, packed crew after crew
(``perceived_risk_grouped``), and sums from the packed values (``candidate_log_sums_grouped``).
The replaced form lives on here, and both run on a model's planning crews and on random cases
(random risks, crews in any group order, NaN and signed zeros, groups without candidates).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from sim.agents import route_kernels
from sim.agents.trafficker import Crews, State
from sim.model import SahelModel
from sim.params import ScenarioConfig


def _bits(a) -> bytes:
    a = np.asarray(a)
    return a.dtype.str.encode() + str(a.shape).encode() + a.tobytes()


def _whole_table(crews, group, network, own, net, w, aversion, group_routes, csr):
    """The form before the twelfth pass: risk and ``log1p`` at every place, then the candidates' sums."""
    risk = np.empty((len(crews), own.shape[1]))
    route_kernels.perceived_risk(crews, network, own, net, w, risk)
    np.log1p(risk, out=risk)
    sums = route_kernels.candidate_log_sums(risk, aversion, group, group_routes, *csr)
    return np.exp(sums, out=sums)


@pytest.fixture(scope="module")
def model():
    m = SahelModel(ScenarioConfig(supply_scale=0.1, burn_in_weeks=2), seed=5)
    for _ in range(4):
        m.step()
    return m


def _planning(crews, rng):
    idle = np.flatnonzero(crews.alive & (crews.state == State.IDLE))
    return idle[rng.permutation(len(idle))]


def test_route_odds_in_the_model_are_the_whole_tables(model):
    """The model's odds for its idle crews, in random orders and with a random group each time, are the old form's."""
    crews = model.crews
    rng = np.random.default_rng(1)
    csr = crews._incidence_csr
    for trial in range(20):
        rows = _planning(crews, rng)[: rng.integers(0, 300)]
        group = crews.group[rows] if trial % 2 else rng.integers(0, len(crews.routes.group_routes), len(rows))
        aversion = crews.kind_risk_aversion[crews.kind[rows]]
        want = _whole_table(
            rows, group, crews.network, crews.own_risk, crews.network_risk, crews.p.own_weight, aversion,
            crews.routes.group_routes, csr,
        )  # fmt: skip
        got = crews._route_odds(rows, group)
        assert _bits(got) == _bits(want)


def test_group_places_are_the_places_the_candidates_pass(model):
    """The kept table of places, taken afresh from the incidence: each group's places and their positions."""
    crews = model.crews
    starts, places, local_of = crews._group_places
    inc = crews.routes.node_incidence.tocsr()
    for g, cands in enumerate(crews.routes.group_routes):
        cands = cands[cands >= 0]
        fresh = np.unique(inc[cands].indices) if len(cands) else np.zeros(0, dtype=np.int64)
        mine = places[starts[g] : starts[g + 1]]
        assert np.array_equal(mine, fresh)
        assert np.array_equal(local_of[g, mine], np.arange(len(mine)))
        assert (np.delete(local_of[g], mine) == -1).all()


def _random_case(rng):
    n_places, n_routes, n_groups, n_cand = rng.integers(3, 40), rng.integers(1, 60), rng.integers(1, 12), 6
    dense = (rng.random((n_routes, n_places + 1)) < 0.3) * rng.integers(1, 3, (n_routes, n_places + 1)).astype(float)
    if rng.random() < 0.5:
        dense[:, -1] = 0.0
    inc = sparse.csr_matrix(dense)
    csr = inc.indptr.astype(np.int64), inc.indices.astype(np.int64), inc.data.astype(np.float64)
    group_routes = np.full((n_groups, n_cand), -1, dtype=np.int64)
    for g in range(n_groups):
        k = rng.integers(0, n_cand + 1)  # some groups have no candidate
        group_routes[g, :k] = rng.choice(n_routes, k, replace=True)
    n_rows, n_net, n = rng.integers(1, 50), rng.integers(1, 5), rng.integers(0, 40)
    own = rng.random((n_rows, n_places + 1)) * rng.choice([0.5, 1.5])
    net = rng.random((n_net, n_places + 1))
    own[rng.random(own.shape) < 0.05] = -0.0
    own[rng.random(own.shape) < 0.02] = np.nan
    net[rng.random(net.shape) < 0.05] = 0.0
    crews = rng.integers(0, n_rows, n)
    network = rng.integers(0, n_net, n_rows)
    group = rng.integers(0, n_groups, n)
    aversion = rng.choice([0.5, 1.0, 2.0, -0.0], 3)  # by kind
    return crews, group, network, own, net, rng.random(), aversion, group_routes, csr, n_places


def _stub_crews(case):
    """A ``Crews`` with just what ``_route_odds`` reads (each row's kind is its row modulo 3)."""
    _rows, _group, network, own, net, w, aversion, group_routes, csr, n_places = case
    stub = object.__new__(Crews)
    kinds = (np.arange(own.shape[0]) % 3).astype(np.int8)
    stub.__dict__.update(
        cols={"network": network, "kind": kinds},
        own_risk=own,
        network_risk=net,
        kind=kinds,
        kind_risk_aversion=aversion,
        n_places=n_places,
        _incidence_csr=csr,
        routes=type("R", (), {"group_routes": group_routes})(),
        p=type("P", (), {"own_weight": w})(),
    )
    return stub


@pytest.mark.parametrize("seed", range(6))
def test_route_odds_are_the_whole_tables_on_random_cases(seed):
    """Random incidences, candidates (some groups without), risks with NaN and signed zeros, any crews' order."""
    rng = np.random.default_rng(seed)
    for _ in range(40):
        case = _random_case(rng)
        crews_rows, group, network, own, net, w, aversion, group_routes, csr, _ = case
        stub = _stub_crews(case)
        by_crew = aversion[stub.kind[crews_rows]]
        want = _whole_table(crews_rows, group, network, own, net, w, by_crew, group_routes, csr)
        got = stub._route_odds(crews_rows, group)
        assert _bits(got) == _bits(want)
        assert _bits(stub._route_odds(crews_rows, group)) == _bits(want)  # the kept buffer, reused


def test_group_places_follow_the_routes():
    """The kept places are those of the routes they were taken from: other candidates, other places."""
    rng = np.random.default_rng(3)
    case = _random_case(rng)
    stub = _stub_crews(case)
    first = stub._group_places
    group_routes = case[7]
    other = group_routes.copy()
    other[:, 0] = np.where(other[:, 0] >= 0, (other[:, 0] + 1) % (len(case[8][0]) - 1), 0)
    stub2 = _stub_crews((*case[:7], other, *case[8:]))
    second = stub2._group_places
    indptr, indices, _ = case[8]
    for g, cands in enumerate(other):
        rows = [indices[indptr[r] : indptr[r + 1]] for r in cands[cands >= 0]]
        fresh = np.unique(np.concatenate(rows)) if rows else np.zeros(0)
        assert np.array_equal(second[1][second[0][g] : second[0][g + 1]], fresh)
    assert first is stub._group_places  # kept: the routes are fixed for a run
