"""Property-based tests: random valid configurations run clean, random invalid ones fail clean.

Valid configurations are drawn from the parameter metadata itself (``iter_params`` over
``RunConfig``): every numeric parameter may be drawn inside its assumption range, anywhere inside
its hard limits, or exactly at a limit; switches, choices, goods, toll regions, pressure and
transport multipliers and a random mix of policies (window, intensity, targets) are drawn too.
Each configuration runs a small scenario with the ledger checked every week and the state checked
for negatives, shares out of range and NaN or infinity; its time series and summary must be
finite. Invalid configurations are valid ones with one mutation (wrong type, out of range,
unknown key, end before start, unknown target, bad date, NaN): they must raise ``ConfigError``
with one line that starts with the key, never another exception, and on the command line exit
with code 2, one line on stderr and no traceback, within a timeout.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import typing

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from conftest import cli
from sim.agents.community import SOUTH_TRADE_SHARE as SOUTH_TRADE
from sim.agents.trafficker import State
from sim.checks import check_scenario_refs, group_names, load_actors
from sim.errors import ConfigError
from sim.model import SahelModel
from sim.names import GroupKind
from sim.params import RunConfig, from_dict, iter_params
from sim.policies import POLICIES, check_targets
from sim.policies.targets import PREFIX, catalog, resolve
from sim.run import summarize, timeseries
from sim.timeline import load_timeline
from sim.world import load_world

WORLD = load_world()
ACTORS = load_actors("")
GROUPS = sorted(group_names(ACTORS))
KINDS = [k.name.lower() for k in GroupKind]
PLACES = sorted(set(WORLD.place_ids) | set(WORLD.names))
REGIONS = sorted(set(WORLD.region))
COUNTRIES = sorted(set(WORLD.country))
GOODS = [g.id for g in WORLD.goods]
ROUTES = [f"{WORLD.place_ids[u]}-{WORLD.place_ids[v]}" for u, v in zip(WORLD.edge_u, WORLD.edge_v, strict=True)]
# What each policy resolves its targets to (sim/policies/*): places, groups, countries, or nothing.
PLACE_TARGETS = {"border_control", "capacity_building", "community_policing", "livelihoods", "hub_raids"}
GROUP_TARGETS = {"ddr", "peace_deals", "accommodation"}
COUNTRY_TARGETS = {"regional_cooperation"}
CATALOG = catalog(WORLD, set(GROUPS))
WINDOW = ("enabled", "start", "end", "intensity", "targets")

LEAVES = {key: (f, default) for key, f, default in iter_params(RunConfig)}
# Drawn by dedicated strategies, or fixed to keep runs small.
SPECIAL = {
    "branch_from",  # where a sweep's variants share their past: tests/test_state.py
    "seed",
    "steps",
    "seeds",
    "scenario.name",
    "scenario.steps",
    "scenario.data_dir",
    "scenario.supply_scale",
    "scenario.burn_in_weeks",
    "scenario.start_date",
    "scenario.goods",
    "scenario.checkpoints.toll_regions",
    "scenario.checkpoints.pressure_multiplier",
    "scenario.transport.edge_cost_multiplier",
}

# Hard upper bound drawn for a parameter without one: this many times its assumption range's top.
UNBOUNDED_FACTOR = 4


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _optional_number(key: str, f: dataclasses.Field) -> bool:
    """``float | None`` parameters with limits (e.g. a policy's political will), not windows."""
    return key.rpartition(".")[2] not in WINDOW and (f.metadata.get("low") is not None or f.metadata.get("high"))


def number_strategy(f: dataclasses.Field, default: float | int) -> st.SearchStrategy:
    """A valid value: inside the assumption range, anywhere inside the limits, or at a limit."""
    meta = f.metadata
    is_int = isinstance(default, int)
    low, high, assumption = meta.get("low"), meta.get("high"), meta.get("assumption")
    typical_hi = assumption[1] if assumption else max(abs(default), 1)
    lo = low if low is not None else (assumption[0] if assumption else min(0, default))
    hi = high if high is not None else UNBOUNDED_FACTOR * max(typical_hi, default, 1)
    if meta.get("low_open"):
        lo = lo + 1 if is_int else lo + 1e-3 * max(typical_hi, 1e-3)
    if is_int:
        lo, hi = math.ceil(lo), math.floor(hi)
        edges = st.sampled_from(sorted({lo, hi}))
        wide = st.integers(lo, hi)
        typical = st.integers(math.ceil(assumption[0]), math.floor(assumption[1])) if assumption else st.just(default)
    else:
        edges = st.sampled_from(sorted({float(lo), float(hi)}))
        wide = st.floats(lo, hi, allow_nan=False)
        typical = st.floats(assumption[0], assumption[1]) if assumption else st.just(float(default))
    return st.one_of(typical, typical, wide, edges)


def leaf_strategy(key: str, f: dataclasses.Field, default: object) -> st.SearchStrategy | None:
    """A strategy for one parameter, or None to leave it at its default."""
    if key in SPECIAL or key.startswith("output."):
        return None
    if key.startswith("policy.") and key.rpartition(".")[2] in WINDOW:
        return None  # drawn with the policy mix
    if isinstance(default, bool):
        return st.booleans()
    if _is_number(default):
        return number_strategy(f, default)
    if isinstance(default, str) and f.metadata.get("choices"):
        return st.sampled_from(f.metadata["choices"])
    if default is None and _optional_number(key, f):
        meta = f.metadata
        return st.one_of(st.none(), st.floats(meta["low"] or 0.0, meta["high"] or 10.0))
    return None  # names, files, timelines: the defaults


GENERIC = {key: s for key, (f, d) in LEAVES.items() if (s := leaf_strategy(key, f, d)) is not None}


def nest(flat: dict[str, object]) -> dict:
    """{'a.b.c': 1} -> {'a': {'b': {'c': 1}}}."""
    out: dict = {}
    for key, value in flat.items():
        node = out
        *parents, leaf = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return out


def iso(day: dt.date) -> str:
    return day.isoformat()


@st.composite
def window(draw: st.DrawFn) -> dict:
    """A policy's start and end: weeks, ISO dates, or a week and a far date, end never before start."""
    form = draw(st.sampled_from(["weeks", "dates", "mixed"]))
    if form == "weeks":
        start = draw(st.integers(1, 60))
        end = draw(st.one_of(st.none(), st.integers(start, start + 80)))
    elif form == "dates":
        day = draw(st.dates(dt.date(2005, 1, 1), dt.date(2030, 12, 31)))
        start = iso(day)
        end = draw(st.one_of(st.none(), st.integers(0, 600).map(lambda d: iso(day + dt.timedelta(days=d)))))
    else:
        start, end = draw(st.integers(1, 60)), "2099-01-01"
    return {"start": start, "end": end}


def target_pool(name: str) -> list[str]:
    """Targets the policy can act on, as kind:name, each selecting something; none if it takes no targets."""
    cls = POLICIES[name]
    pool = []
    for kind, names in (("places", PLACES), ("regions", REGIONS), ("countries", COUNTRIES), ("groups", GROUPS + KINDS)):
        if kind not in cls.target_kinds:
            continue
        for n in names:
            raw = f"{PREFIX[kind]}:{n}"
            if kind == "places" and n not in WORLD.index and WORLD.names.count(n) > 1:
                continue
            target = resolve(WORLD, CATALOG, raw, cls.target_kinds, "k")
            if kind == "groups" or cls.selection(WORLD, target):
                pool.append(raw)
    return pool


def within_run(data: dict) -> dict:
    """Move a policy window that opens after the run's last week to the last week (else it is refused)."""
    start = dt.date.fromisoformat(data["scenario"]["start_date"])
    for entry in data.get("policy", {}).values():
        first = entry.get("start", 1)
        week = first if isinstance(first, int) else (dt.date.fromisoformat(first) - start).days // 7 + 1
        if week > data["steps"]:
            entry["start"], week = data["steps"], data["steps"]
            if isinstance(entry.get("end"), str) and dt.date.fromisoformat(entry["end"]) < start + dt.timedelta(
                weeks=data["steps"]
            ):
                entry["end"] = None
        # A dated end before the window opens (a scenario start moved after the draw) is refused too.
        if isinstance(entry.get("end"), str) and dt.date.fromisoformat(entry["end"]) < start + dt.timedelta(
            weeks=week - 1
        ):
            entry["end"] = None
    return data


@st.composite
def policy_mix(draw: st.DrawFn) -> dict:
    """Zero to four policies switched on, each with a random window, intensity and targets."""
    names = draw(st.lists(st.sampled_from(list(POLICIES)), unique=True, max_size=4))
    out = {}
    for name in names:
        entry = {"enabled": True, **draw(window())}
        entry["intensity"] = draw(st.one_of(st.floats(0.0, 2.0), st.floats(0.0, 10.0), st.sampled_from([0.0, 10.0])))
        pool = target_pool(name)
        if pool and draw(st.booleans()):
            entry["targets"] = draw(st.lists(st.sampled_from(pool), unique=True, max_size=3))
        out[name] = entry
    return out


def keep_cross_field_rules(flat: dict[str, object]) -> None:
    """Bring drawn values inside the cross-field rules: shares of income sum to at most 1, the
    force-protection share starts at or below its largest value."""
    com = "scenario.communities."
    trade = {"north": flat.get(f"{com}trade_share_north", LEAVES[f"{com}trade_share_north"][1]), "south": SOUTH_TRADE}
    for region, share in trade.items():
        key = f"{com}herding_share_{region}"
        if flat.get(key, LEAVES[key][1]) + share > 1:
            flat[key] = 1 - share
    forces = "scenario.forces.force_protection_"
    base, top = (flat.get(forces + k, LEAVES[forces + k][1]) for k in ("base", "max"))
    if base > top:
        flat[forces + "base"] = top


@st.composite
def valid_configs(draw: st.DrawFn, max_weeks: int = 40) -> dict:
    """A random valid configuration (as the plain mapping a user would write) of a small run."""
    flat = draw(st.fixed_dictionaries({}, optional=GENERIC))
    flat.update(
        {
            "seed": draw(st.integers(0, 2**31)),
            "steps": draw(st.integers(10, max_weeks)),
            "scenario.name": "property",
            "scenario.supply_scale": draw(st.floats(0.05, 0.2)),
            "scenario.burn_in_weeks": draw(st.integers(2, 6)),
            "scenario.start_date": iso(draw(st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)))),
            "scenario.goods": draw(st.lists(st.sampled_from(GOODS), unique=True, max_size=4)),
            "output.progress": False,
        }
    )
    keep_cross_field_rules(flat)
    if draw(st.booleans()):
        flat["scenario.checkpoints.toll_regions"] = draw(st.lists(st.sampled_from(REGIONS), unique=True, max_size=4))
    multipliers = st.one_of(st.floats(0.0, 5.0), st.sampled_from([0.0, 100.0]))
    flat["scenario.checkpoints.pressure_multiplier"] = draw(
        st.dictionaries(st.sampled_from(list(WORLD.place_ids)), multipliers, max_size=3)
    )
    flat["scenario.transport.edge_cost_multiplier"] = draw(
        st.dictionaries(st.sampled_from(ROUTES), multipliers, max_size=3)
    )
    data = nest(flat)
    data.setdefault("policy", {})
    for name, entry in draw(policy_mix()).items():
        data["policy"].setdefault(name, {}).update(entry)
    return within_run(data)


def build(data: dict) -> RunConfig:
    """Everything the command line and the model check before a run starts."""
    config = from_dict(RunConfig, data)
    check_scenario_refs(config.scenario, WORLD)
    check_targets(config.policy, WORLD, set(GROUPS))
    return config


# --- invariants ------------------------------------------------------------------------------

TOL = 1e-6


def _bad(name: str, values, low: float | None = None, high: float | None = None) -> list[str]:
    """Problems with an array of values: not finite, below ``low`` or above ``high`` (with a tolerance)."""
    arr = np.asarray(values, dtype=float).ravel()
    if arr.size == 0:
        return []
    out = []
    if not np.isfinite(arr).all():
        out.append(f"{name}: not finite ({arr[~np.isfinite(arr)][:3]})")
        arr = arr[np.isfinite(arr)]
    if arr.size and low is not None and arr.min() < low - TOL * max(1.0, abs(low)):
        out.append(f"{name}: {arr.min()!r} < {low}")
    if arr.size and high is not None and arr.max() > high + TOL * max(1.0, abs(high)):
        out.append(f"{name}: {arr.max()!r} > {high}")
    return out


def state_problems(model: SahelModel) -> list[str]:
    """Every negative stock, cash, population, herd, fighter or arm; every share outside [0, 1]."""
    p = model.params
    bad: list[str] = []
    crews = model.crews
    alive = crews.alive
    tol_money = 1e-9 * max(1.0, model.ledger.turnover)
    bad += _bad("crews.cash", crews.cash[alive], -tol_money)
    for col in ("cargo", "capacity", "idle_weeks", "progress", "outlay", "evidence"):
        bad += _bad(f"crews.{col}", crews.cols[col][alive], 0)
    returning = alive & (crews.state == State.RETURNING)
    bad += _bad("crews.return_left (returning)", crews.return_left[returning], 0)
    bad += _bad("crews.own_risk", crews.cols["own_risk"][alive], 0, 1)
    bad += _bad("crews.network_risk", crews.network_risk, 0, 1)
    bad += _bad("market.stock", model.market.stock, 0)
    bad += _bad("market.stock over cap", model.market.stock - model.market.stock_cap, None, 0)
    bad += _bad("market.price_multiplier", model.market.price_multiplier, 0)
    t = model.territory
    bad += _bad("territory.presence", t.presence, 0, 1)
    for name in ("insecurity", "abuse_rate", "violence", "abuses", "clashes"):
        bad += _bad(f"territory.{name}", getattr(t, name), 0)
    if model.communities is not None:
        c, r = model.communities, model.communities.rows
        for col in ("population", "herd", "arms", "pool", "licit", "trade_ema", "food_ema", "fuel_ema"):
            bad += _bad(f"communities.{col}", c.cols[col][r], 0)
        # Net money income of the week (sales, upkeep, wages less taxes), beside licit income.
        bad += _bad("communities.licit + inflow", c.cols["licit"][r] + c.cols["inflow"][r], -tol_money)
        bad += _bad("communities.cash", c.cols["cash"][r], -tol_money)
        for col in ("food_security", "trust", "tolerance", "grievance", "bribe_rate", "predation", "jihadist_share"):
            bad += _bad(f"communities.{col}", c.cols[col][r], 0, 1)
        bad += _bad("communities.robbery_odds", c.rob, 0, 1)
    if model.armed_groups is not None:
        for g in model.armed_groups.groups:
            bad += _bad(f"group {g.name}.fighters", g.fighters, 0)
            bad += _bad(f"group {g.name}.arms", g.arms, 0)
            bad += _bad(f"group {g.name}.funds", g.funds, -tol_money)
            bad += _bad(f"group {g.name}.ct_pressure", g.ct_pressure, 0)
    if model.officials is not None:
        o = model.officials
        rows = o.alive
        bad += _bad("officials.wealth", o.cols["wealth"][rows], -tol_money)
        bad += _bad("officials.integrity", o.cols["integrity"][rows], 0, 1)
        bad += _bad("officials.capacity", o.cols["capacity"][rows], 0, 1)
        bad += _bad("officials.pay", o.cols["pay"][rows], 0)
    if model.forces is not None:
        f, fp = model.forces, p.forces
        share = f.force_protection_share
        bad += _bad("forces.force_protection_share", share, fp.force_protection_base, fp.force_protection_max)
        bad += _bad("forces.mission_access", f.mission_access, 0, 1)
        bad += _bad("forces.shield", f.shield, 0, 1)
        bad += _bad("forces.strength", [x.strength for x in f.forces], 0)
    bad += _bad("ledger.balances", list(model.ledger.balances.values()))
    for policy in model.policies:
        for attr in ("relapsed", "ex_combatants", "listed_top"):
            if isinstance(getattr(type(policy), attr, None), property) or hasattr(policy, attr):
                value = getattr(policy, attr)
                if _is_number(value):
                    bad += _bad(f"policy {policy.name}.{attr}", value, 0)
    return bad


# Outcomes that are shares of something, in [0, 1]; every other outcome is a count, a sum of money
# or an index, never negative.
SHARES = {"seizure_share", "bribe_rate", "route_entropy", "mission_force_protection_share"}


def _floor(name: str) -> float | None:
    # Realised margins count the losses (seizures, robberies) of the trips that ended: they may be negative.
    return None if name.startswith("margin.") else 0


def output_problems(ts, summary: dict) -> list[str]:
    bad = []
    numeric = ts.drop(columns=["date"])
    for name in numeric.columns:
        values = numeric[name].to_numpy(dtype=float)
        bad += _bad(f"timeseries[{name}]", values, _floor(name), 1 if name in SHARES else None)
    for name, value in summary.items():
        if _is_number(value):
            bad += _bad(f"summary[{name}]", value, _floor(name), 1 if name in SHARES else None)
    json.dumps(summary, allow_nan=False)  # what run.py writes: raises on NaN or infinity
    return bad


def run_checked(config: RunConfig) -> list[str]:
    """Run a configuration, checking the ledger and the state every week; return what went wrong."""
    model = SahelModel(config.scenario, seed=config.seed, policy=config.policy)
    problems = [f"after burn-in: {p}" for p in state_problems(model)]
    for week in range(1, config.weeks + 1):
        model.step()
        model.check_ledger()
        problems += [f"week {week}: {p}" for p in state_problems(model)]
        if problems:
            return problems
    ts = timeseries(model)
    assert len(ts) == config.weeks
    return output_problems(ts, summarize(model, ts, config))


# --- valid configurations ----------------------------------------------------------------------

# Examples per property in CI; SAHEL_SIM_EXAMPLES=500 for a deeper search on a quiet machine.
EXAMPLES = int(os.environ.get("SAHEL_SIM_EXAMPLES", "60"))
CLI_EXAMPLES = max(3, EXAMPLES // 20)  # each starts an interpreter: about 1.5 s
# numpy's divide-by-zero and invalid-value warnings are where NaN and infinity are born: errors here.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=valid_configs())
def test_random_valid_configurations_run_clean(data):
    note(json.dumps(data, sort_keys=True, default=str))
    config = build(data)
    problems = run_checked(config)
    assert not problems, "\n".join(problems[:20])


@settings(max_examples=max(5, EXAMPLES // 3), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=valid_configs(max_weeks=15),
    actors=st.fixed_dictionaries(
        {}, optional=dict.fromkeys(("armed_groups", "officials", "communities", "forces"), st.booleans())
    ),
)
def test_random_valid_configurations_with_actors_switched_off(data, actors):
    """The core model and every mix of actors: the stand-ins keep the accounts and the state sound."""
    data["scenario"]["actors"] = {k: False for k in ("armed_groups", "officials", "communities", "forces")} | actors
    note(json.dumps(data, sort_keys=True, default=str))
    problems = run_checked(build(data))
    assert not problems, "\n".join(problems[:20])


HISTORY_EVENTS = [e["id"] for e in load_timeline("history", None)]
HISTORY_LAST_START = dt.date(2024, 6, 30)


@settings(max_examples=max(5, EXAMPLES // 4), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=valid_configs(),
    start=st.dates(dt.date(2011, 10, 1), HISTORY_LAST_START),
    skip=st.lists(st.sampled_from(HISTORY_EVENTS), unique=True, max_size=4),
)
def test_random_valid_configurations_of_the_history_scenario(data, start, skip):
    """The actors of 2012 and the dated events of the history timeline, some left out, from a random
    date: the events that fall in the window act through the same hooks and keep the books sound."""
    data["scenario"] |= {
        "actors_file": "actors_history.yaml",
        "timeline": "history",
        "timeline_skip": skip,
        "start_date": iso(start),
    }
    for entry in data["policy"].values():  # the groups of 2012 are not those of actors.yaml
        if "targets" in entry:
            entry["targets"] = [t for t in entry["targets"] if not t.startswith("group:") or t[6:] in KINDS]
    within_run(data)
    note(json.dumps(data, sort_keys=True, default=str))
    problems = run_checked(build(data))
    assert not problems, "\n".join(problems[:20])


def test_history_scenario_starting_after_a_timeline_window_runs():
    """Windows that closed before the start are left out; a finished drawdown leaves the force gone."""
    data = _tiny({"steps": 2, "scenario": {"actors_file": "actors_history.yaml", "timeline": "history"}})
    data["scenario"]["start_date"] = "2024-06-03"
    config = build(data)
    model = SahelModel(config.scenario, seed=0, policy=config.policy)
    model.run_for(config.weeks)
    assert not model.forces.by_id("barkhane").active and not model.forces.by_id("minusma").active
    assert model.forces.by_id("wagner").active


def test_history_scenario_accepts_peace_deals_between_its_blocs():
    """The blocs the timeline forms (the CMA, the Platform) are known targets."""
    data = _tiny({"steps": 2, "scenario": {"actors_file": "actors_history.yaml", "timeline": "history"}})
    data["scenario"]["start_date"] = "2012-01-02"
    data["policy"] = {"peace_deals": {"enabled": True}}
    config = from_dict(RunConfig, data)
    SahelModel(config.scenario, seed=0, policy=config.policy).run_for(config.weeks)


def test_strategies_cover_every_numeric_parameter():
    """A new parameter is drawn automatically; this fails if one is silently left at its default."""
    numeric = {k for k, (f, d) in LEAVES.items() if _is_number(d) and k not in SPECIAL}
    numeric -= {k for k in numeric if k.startswith("policy.") and k.rpartition(".")[2] in WINDOW}
    assert numeric <= set(GENERIC)
    assert len(GENERIC) > 150


# --- invalid configurations --------------------------------------------------------------------


def _hints(cls: type, prefix: str = "") -> dict[str, object]:
    """Type annotation of every leaf parameter, by dotted key."""
    out, hints = {}, typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        key = f"{prefix}.{f.name}" if prefix else f.name
        if dataclasses.is_dataclass(hints[f.name]):
            out |= _hints(hints[f.name], key)
        else:
            out[key] = hints[f.name]
    return out


TYPES = _hints(RunConfig)
# branch_from is annotated Any for OmegaConf (it has no union of a scalar and a list); what it accepts:
TYPES["branch_from"] = int | str | list[int | str] | None
SECTIONS = sorted({k.rpartition(".")[0] for k in TYPES})  # "" is the top level
NOT_A_DATE = ["2013-02-30", "2013-13-01", "yesterday", "13.01.2013", "2013-1-7x", ""]
KNOWN = {t.lower() for t in PLACES + REGIONS + COUNTRIES + GROUPS + KINDS + GOODS}


def _args(tp: object) -> set:
    return set(typing.get_args(tp)) or {tp}


def wrong_values(tp: object) -> list[object]:
    """Values of the wrong type for a parameter annotated ``tp``."""
    if typing.get_origin(tp) is list:
        return ["abc", 5, {"a": 1}, [1, 2], [None], [["a"]]]
    if typing.get_origin(tp) is dict:
        return ["abc", 5, ["gao"], {"gao": "lots"}, {"gao": [1]}]
    args = _args(tp)
    out: list[object] = [{"a": 1}, ["a"]]
    if not args & {str}:
        out += ["abc", "1e3x"]
    if not args & {int, float}:
        out += [5, 2.5]
    if int in args and float not in args:
        out += [2.5, True]
    if float in args:
        out += [True]
    if bool in args:
        out += ["yes", 1, None]
    if str in args and type(None) not in args:
        out += [None]
    return out


def _number_key(key: str) -> bool:
    tp = TYPES[key]
    return bool(_args(tp) & {int, float}) and key.rpartition(".")[2] not in ("start", "end")


def out_of_range(key: str) -> list[object]:
    """Values of the right type outside a parameter's limits (empty if it has none)."""
    f, _default = LEAVES[key]
    meta, is_int = f.metadata, float not in _args(TYPES[key]) and typing.get_origin(TYPES[key]) is not dict
    out: list[object] = []
    low, high = meta.get("low"), meta.get("high")
    if low is not None:
        out += [low] if meta.get("low_open") else []
        out += [low - 1, -1e12] if is_int else [low - 1e-9 * max(1.0, abs(low)), low - 1.0, float("-inf")]
    if high is not None:
        out += [high + 1, 10**20] if is_int else [high + 1e-9 * max(1.0, abs(high)), high * 2 + 1, float("inf")]
    if not is_int and _is_number(LEAVES[key][1]):
        out += [float("nan")]
    if meta.get("choices"):
        out += ["bogus", meta["choices"][0].upper(), ""]
    return out


RANGED = sorted(k for k in TYPES if k in LEAVES and out_of_range(k) and k not in ("seeds",))
POLICY_NAMES = list(POLICIES)


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, str, dict]:
    """(kind of mistake, key the message must start with, the configuration) from a valid one."""
    flat = draw(st.fixed_dictionaries({}, optional=GENERIC))
    keep_cross_field_rules(flat)
    kind = draw(
        st.sampled_from(["wrong_type", "out_of_range", "unknown_key", "end_before_start", "bad_date", "unknown_target"])
    )
    if kind == "wrong_type":
        key = draw(st.sampled_from(sorted(TYPES)))
        value = draw(st.sampled_from(wrong_values(TYPES[key])))
        flat[key] = value
        expect = key
    elif kind == "out_of_range":
        key = draw(st.sampled_from(RANGED))
        value = draw(st.sampled_from(out_of_range(key)))
        if typing.get_origin(TYPES[key]) is dict:
            flat[key] = {draw(st.sampled_from(list(WORLD.place_ids))): value}
        else:
            flat[key] = value
        expect = key
    elif kind == "unknown_key":
        section = draw(st.sampled_from(SECTIONS))
        name = draw(st.from_regex(r"[a-z][a-z_]{0,11}", fullmatch=True))
        if name in {k.rpartition(".")[2] for k in TYPES if k.rpartition(".")[0] == section}:
            name += "_x"
        key = f"{section}.{name}" if section else name
        if any(t.startswith(key + ".") for t in TYPES):  # a section's name
            key += "_x"
        flat[key] = draw(st.sampled_from([1, "a", 0.5, True]))
        expect = key
    elif kind == "end_before_start":
        name = draw(st.sampled_from(POLICY_NAMES))
        if draw(st.booleans()):
            end = draw(st.integers(1, 200))
            start = end + draw(st.integers(1, 200))
        else:
            day = draw(st.dates(dt.date(2005, 1, 1), dt.date(2030, 12, 31)))
            start, end = iso(day), iso(day - dt.timedelta(days=draw(st.integers(1, 2000))))
        flat |= {f"policy.{name}.enabled": draw(st.booleans()), f"policy.{name}.start": start}
        flat[f"policy.{name}.end"] = end
        expect = f"policy.{name}.end"
    elif kind == "bad_date":
        key = draw(
            st.sampled_from(
                ["scenario.start_date"] + [f"policy.{n}.{w}" for n in POLICY_NAMES for w in ("start", "end")]
            )
        )
        flat[key] = draw(st.sampled_from(NOT_A_DATE))
        expect = key
    else:
        name = draw(st.sampled_from(POLICY_NAMES))
        bogus = draw(
            st.from_regex(r"[A-Za-z][A-Za-z _'-]{0,15}", fullmatch=True).filter(lambda t: t.lower() not in KNOWN)
        )
        pool = target_pool(name)
        targets = draw(st.lists(st.sampled_from(pool), unique=True, max_size=2)) if pool else []
        i = draw(st.integers(0, len(targets)))
        targets.insert(i, bogus)
        flat |= {f"policy.{name}.enabled": True, f"policy.{name}.targets": targets}
        expect = f"policy.{name}.targets[{i}]"
    return kind, expect, nest(flat)


def assert_one_line_naming(message: str, key: str) -> None:
    assert "\n" not in message, message
    assert message.startswith(key), f"{message!r} should start with {key!r}"
    assert message[len(key)] in "=.[", message  # the key itself, not a longer one
    assert "allowed:" in message, message


@settings(max_examples=max(60, 3 * EXAMPLES), deadline=None)
@given(case=mutations())
def test_random_invalid_configurations_give_one_clean_line(case):
    kind, key, data = case
    note(f"{kind}: {key}")
    with pytest.raises(ConfigError) as err:  # any other exception fails the test
        build(data)
    assert_one_line_naming(str(err.value), key)


CROSS_FIELD = [
    (
        {"communities": {"herding_share_north": 0.7, "trade_share_north": 0.31}},
        "scenario.communities.herding_share_north",
    ),
    ({"communities": {"herding_share_south": 0.86}}, "scenario.communities.herding_share_south"),
    ({"forces": {"force_protection_base": 0.5, "force_protection_max": 0.4}}, "scenario.forces.force_protection_base"),
]


@pytest.mark.parametrize(("scenario", "key"), CROSS_FIELD, ids=[c[1] for c in CROSS_FIELD])
def test_cross_field_rules_name_the_key(scenario, key):
    """Shares of income sum to at most one; the force-protection share starts at or below its top."""
    with pytest.raises(ConfigError) as err:
        build({"scenario": scenario})
    assert_one_line_naming(str(err.value), key)
    build({"scenario": {**scenario, **{k: {} for k in scenario}}})  # the defaults are fine


def _tiny(data: dict) -> dict:
    """A configuration that builds its model fast (no burn-in, a twentieth of the supply)."""
    data.setdefault("scenario", {}).update(supply_scale=0.05, burn_in_weeks=0)
    return data


@settings(max_examples=max(5, EXAMPLES // 10), deadline=None)
@given(
    name=st.sampled_from(POLICY_NAMES),
    start=st.integers(2, 500),
    end=st.dates(dt.date(1990, 1, 1), dt.date(2012, 12, 31)),
)
def test_a_window_ending_before_it_starts_stops_the_model_before_week_1(name, start, end):
    """Start a week number, end a date before the run: only the model can compare them."""
    data = _tiny({"policy": {name: {"enabled": True, "start": start, "end": iso(end)}}})
    config = build(data)  # types differ: from_dict cannot tell
    with pytest.raises(ConfigError) as err:
        SahelModel(config.scenario, seed=0, policy=config.policy)
    assert_one_line_naming(str(err.value), f"policy.{name}.end")


WRONG_KIND = list(zip(sorted(PLACE_TARGETS), ["JNIM", "cocaine", "jihadist", "MNLA", "gold"], strict=True))


@pytest.mark.parametrize(("name", "target"), WRONG_KIND)
def test_a_target_of_the_wrong_kind_stops_the_model_before_week_1(name, target):
    """A group or a good is a known name, but these policies act on places: the model refuses it at once."""
    data = _tiny({"policy": {name: {"enabled": True, "targets": ["place:gao", target]}}})
    config = from_dict(RunConfig, data)  # a known name: the field check alone accepts it
    with pytest.raises(ConfigError) as err:
        SahelModel(config.scenario, seed=0, policy=config.policy)
    assert_one_line_naming(str(err.value), f"policy.{name}.targets[1]")
    with pytest.raises(ConfigError) as err:  # and the pre-flight of the command line says the same
        build(data)
    assert_one_line_naming(str(err.value), f"policy.{name}.targets[1]")


# --- the command line ----------------------------------------------------------------------------

CLI_TIMEOUT = 60  # seconds: a bad configuration must never hang


def assert_clean_exit(proc, key: str, outdir) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr[-2000:]
    assert lines[0].startswith(f"error: {key}"), lines[0]
    assert not list(outdir.rglob("summary.json"))


# One case per path through the command line (tests/test_cli.py has unknown keys and ranges):
# our validation in the pre-flight, Hydra's own type check, the override parser, the switch check,
# the pre-flight's target check, and checks only the model can make (run inside the Hydra job).
CLI_CASES = [
    (["scenario.supply_scale=nan"], "scenario.supply_scale"),
    (["scenario.officials.trial_weeks=2.5"], "scenario.officials.trial_weeks"),
    (["scenario.supply_scale=[1,"], "scenario.supply_scale=[1,"),
    (["output.edges=5"], "output.edges"),
    (["policy=ddr", "policy.ddr.targets=[atlantis]"], "policy.ddr.targets[0]"),
    (["policy=ddr", "policy.ddr.start=2", "policy.ddr.end=2000-01-01"], "policy.ddr.end"),
    (["policy=hub_raids", "policy.hub_raids.targets=[JNIM]"], "policy.hub_raids.targets[0]"),
]


@pytest.mark.parametrize(("overrides", "key"), CLI_CASES, ids=[c[1] + "|" + " ".join(c[0]) for c in CLI_CASES])
def test_bad_configuration_on_the_command_line_exits_2_with_one_line(tmp_path, overrides, key):
    proc = cli("scenario=small", "steps=3", *overrides, f"hydra.run.dir={tmp_path}", timeout=CLI_TIMEOUT)
    assert_clean_exit(proc, key, tmp_path)


def test_bad_target_in_a_sweep_starts_no_job(tmp_path):
    """The pre-flight checks targets too: no job starts, no run directory is made."""
    proc = cli(
        "-m", "scenario=small", "steps=3", "policy=ddr", "policy.ddr.targets=[atlantis]", "seed=1,2",
        f"hydra.sweep.dir={tmp_path}", timeout=CLI_TIMEOUT,
    )  # fmt: skip
    assert_clean_exit(proc, "policy.ddr.targets[0]", tmp_path)
    assert not (tmp_path / "runs").exists()


def _hydra(value: object) -> str:
    """A value in Hydra's override grammar."""
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, list):
        return "[" + ",".join(_hydra(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{_hydra(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _override(key: str, value: object) -> str:
    return f"{key}={_hydra(value)}"


@st.composite
def cli_mistakes(draw: st.DrawFn) -> tuple[list[str], str]:
    """One wrong value or out-of-range number for a random parameter, as a command-line override."""
    if draw(st.booleans()):
        key = draw(st.sampled_from(sorted(k for k in TYPES if typing.get_origin(TYPES[k]) is not dict)))
        value = draw(st.sampled_from(wrong_values(TYPES[key])))
    else:
        key = draw(st.sampled_from([k for k in RANGED if typing.get_origin(TYPES[k]) is not dict]))
        value = draw(st.sampled_from(out_of_range(key)))
    return [_override(key, value)], key


@settings(max_examples=CLI_EXAMPLES, deadline=None)
@given(case=cli_mistakes())
def test_random_bad_overrides_exit_2_with_one_line(tmp_path_factory, case):
    overrides, key = case
    note(" ".join(overrides))
    out = tmp_path_factory.mktemp("cli")
    proc = cli("scenario=small", "steps=3", *overrides, f"hydra.run.dir={out}", timeout=CLI_TIMEOUT)
    assert_clean_exit(proc, key, out)


# --- bugs found here, fixed ----------------------------------------------------------------------


def test_income_index_is_never_negative():
    """Income is licit income plus money income net of taxes, floored at zero."""
    data = _tiny({"steps": 3, "scenario": {"communities": {"licit_shock": 0.0}}})
    data["scenario"] |= {"burn_in_weeks": 4, "supply_scale": 0.1}
    data["scenario"]["armed_groups"] = {"tax_share_jihadist": 1.0, "tax_share_other": 1.0}
    config = build(data)
    model = SahelModel(config.scenario, seed=0, policy=config.policy)
    model.run_for(config.weeks)
    ts = timeseries(model)
    assert ts["community_income_index"].min() >= 0
    assert ts["community_income_north_index"].min() >= 0


@pytest.mark.parametrize(("name", "target"), [("regional_cooperation", "Gao"), ("ddr", "gao"), ("sanctions", "Kidal")])
def test_a_target_the_policy_cannot_act_on_is_refused(name, target):
    """Each policy names the kinds it acts on (places, countries, groups); a town is no group."""
    config = from_dict(RunConfig, _tiny({"policy": {name: {"enabled": True, "targets": [target]}}}))
    with pytest.raises(ConfigError) as err:
        SahelModel(config.scenario, seed=0, policy=config.policy)
    assert_one_line_naming(str(err.value), f"policy.{name}.targets[0]")
