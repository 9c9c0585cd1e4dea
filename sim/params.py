"""Typed, validated parameters of the model.

Every field is declared with :func:`param`, which records where its default comes from
(a FACTS.md id and seed file, or ``assumption`` with a plausible range) and the hard limits
the model accepts. The same dataclasses are the Hydra schema (``simcli`` registers them),
the browser app's defaults and the source of ``docs/parameters.md``
(:mod:`sim.paramdoc`), so code, configs and the table cannot drift apart.

Validation is our own rather than Hydra's so that every entry point (command line, Python,
browser) rejects unknown keys, wrong types and out-of-range values with the same one-line
message naming the key.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from sim.errors import ConfigError


def param(
    default: Any,
    *,
    doc: str,
    source: str | None = None,
    assumption: tuple[float, float] | None = None,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    choices: tuple[str, ...] | None = None,
    unit: str = "",
) -> Any:
    """Declare a parameter with its provenance and limits.

    Args:
        default: Default value.
        doc: What the parameter means, in a few words.
        source: Where the value comes from (FACTS.md id, seed file and section).
        assumption: Plausible (low, high) range when the value has no source.
        low: Smallest value accepted.
        high: Largest value accepted.
        low_open: Whether ``low`` itself is excluded.
        choices: Accepted values of a string parameter.
        unit: Unit of the value.
    """
    if source is None and assumption is None:
        raise ValueError(f"parameter {doc!r} needs a source or an assumption range")
    meta = {
        "doc": doc,
        "source": source,
        "assumption": assumption,
        "low": low,
        "high": high,
        "low_open": low_open,
        "choices": choices,
        "unit": unit,
    }
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: copy.deepcopy(default), metadata=meta)
    return field(default=default, metadata=meta)


def section(cls: type) -> Any:
    """A nested parameter group with its defaults."""
    return field(default_factory=cls)


@dataclass
class TransportParams:
    """Costs and speeds of moving goods (assumptions: no figures in the texts)."""

    cost_paved: float = param(
        0.10, doc="transport cost on paved roads", assumption=(0.05, 0.2), low=0, unit="USD per t-km"
    )
    cost_laterite: float = param(
        0.15, doc="transport cost on laterite roads", assumption=(0.08, 0.3), low=0, unit="USD per t-km"
    )
    cost_track: float = param(
        0.30, doc="transport cost on desert tracks", assumption=(0.15, 0.6), low=0, unit="USD per t-km"
    )
    cost_desert: float = param(
        0.40, doc="transport cost on open-desert pistes", assumption=(0.2, 0.8), low=0, unit="USD per t-km"
    )
    cost_river: float = param(
        0.06, doc="transport cost by river boat", assumption=(0.03, 0.12), low=0, unit="USD per t-km"
    )
    cost_air: float = param(4.0, doc="air freight cost", assumption=(2.0, 8.0), low=0, unit="USD per t-km")
    edge_cost_multiplier: dict[str, float] = param(
        {},
        doc="multiplier on the transport cost of named routes, keyed 'place-place' (road works, closures)",
        source="scenario input",
        low=0,
    )
    return_time_factor: float = param(
        0.5, doc="time of the empty return trip as a share of the outbound trip", assumption=(0.3, 1.0), low=0, high=2
    )


@dataclass
class TraffickerParams:
    """Traffickers: crews of three kinds (002 §II; 000; FACTS M4)."""

    initial_crews_scale: float = param(
        1.0,
        doc="initial crews per good, as a multiple of the crews its weekly supply keeps busy",
        assumption=(0.5, 2.0),
        low=0,
    )
    capacity_local: float = param(
        0.5,
        doc="cargo of a local, community-embedded crew, as a multiple of the good's crew capacity",
        assumption=(0.25, 1.0),
        low=0,
        low_open=True,
    )
    capacity_transnational: float = param(
        2.0,
        doc="cargo of a transnational network's crew, as a multiple of crew capacity",
        assumption=(1.0, 4.0),
        low=0,
        low_open=True,
    )
    capacity_mercenary: float = param(
        1.0,
        doc="cargo of a mercenary operator's crew, as a multiple of crew capacity",
        assumption=(0.5, 2.0),
        low=0,
        low_open=True,
    )
    risk_aversion_local: float = param(
        2.0,
        doc="exponent on perceived survival odds in route choice (local crews avoid risk)",
        assumption=(1.0, 4.0),
        low=0,
    )
    risk_aversion_transnational: float = param(
        1.0, doc="exponent on perceived survival odds for transnational crews", assumption=(0.5, 2.0), low=0
    )
    risk_aversion_mercenary: float = param(
        0.5, doc="exponent on perceived survival odds for mercenary crews", assumption=(0.25, 1.0), low=0
    )
    prior_risk: float = param(
        0.01, doc="seizure risk a crew expects at a place it knows nothing about", assumption=(0.0, 0.05), low=0, high=1
    )
    learning_rate_own: float = param(
        0.3,
        doc="weight of a crew's own latest encounter in its perceived risk of a place (NarcoLogic-style)",
        assumption=(0.1, 0.6),
        low=0,
        high=1,
    )
    learning_rate_network: float = param(
        0.05,
        doc="weight of each encounter by a network member in the network's perceived risk",
        assumption=(0.01, 0.2),
        low=0,
        high=1,
    )
    own_weight: float = param(
        0.5,
        doc="weight of own experience against the network's in perceived risk",
        assumption=(0.25, 0.75),
        low=0,
        high=1,
    )
    choice_noise: float = param(
        0.1, doc="spread of route choice (Gumbel scale, as a share of the good's margin)", assumption=(0.02, 0.3), low=0
    )
    upkeep_share: float = param(
        0.005,
        doc="weekly upkeep of a crew as a share of the value of a full cargo at source",
        assumption=(0.001, 0.02),
        low=0,
        unit="per week",
    )
    start_capital_trips: float = param(
        1.5, doc="cash a new crew brings, in full cargoes at source value", assumption=(1.0, 3.0), low=0, low_open=True
    )
    exit_cash_share: float = param(
        0.25,
        doc="a crew leaves when its cash falls below this share of a full cargo's cost",
        assumption=(0.1, 0.5),
        low=0,
        high=1,
    )
    patience_weeks: int = param(
        8, doc="idle weeks after which a crew leaves the trade", assumption=(4, 16), low=1, unit="weeks"
    )
    entry_rate: float = param(
        0.02,
        doc="weekly entrants per crew the market supports, per unit of recent return on a trip",
        assumption=(0.005, 0.05),
        low=0,
    )
    mercenary_profit_usd: float = param(
        50_000.0,
        doc="profit per trip at which half of a good's entrants are mercenary operators (FACTS M4)",
        assumption=(10_000.0, 250_000.0),
        low=0,
        low_open=True,
        unit="USD",
    )
    local_share_livelihood: float = param(
        0.8,
        doc="share of non-mercenary entrants that are local traders for livelihood goods",
        assumption=(0.6, 0.95),
        low=0,
        high=1,
    )
    local_share_other: float = param(
        0.3,
        doc="share of non-mercenary entrants that are local traders for other goods",
        assumption=(0.1, 0.5),
        low=0,
        high=1,
    )
    arrest_probability: float = param(
        0.3,
        doc="chance a crew is taken out of the trade when its cargo is seized",
        assumption=(0.1, 0.6),
        low=0,
        high=1,
    )
    n_transnational_networks: int = param(
        4, doc="transnational networks sharing risk information", assumption=(2, 8), low=1
    )
    n_mercenary_networks: int = param(
        8, doc="small mercenary networks sharing risk information", assumption=(4, 16), low=1
    )
    route_candidates: int = param(
        6, doc="alternative paths considered between each source and sink", assumption=(3, 10), low=1, high=20
    )


@dataclass
class CheckpointParams:
    """Stand-in checkpoints until officials take over (002 §II; 000; FACTS M3, M15)."""

    seizure_probability: float = param(
        0.02,
        doc="chance an encounter at a checkpoint of pressure 1 ends in seizure",
        assumption=(0.005, 0.05),
        low=0,
        high=1,
    )
    bribe_share: float = param(
        0.01,
        doc="bribe paid at a checkpoint of pressure 1, as a share of the cargo's value there",
        assumption=(0.002, 0.03),
        low=0,
        high=1,
    )
    toll_share: float = param(
        0.01,
        doc="toll taken at armed-group roadblocks in the toll regions, as a share of cargo value (FACTS M1)",
        assumption=(0.0, 0.03),
        low=0,
        high=1,
    )
    toll_regions: list[str] = param(
        ["Timbuktu", "Gao", "Kidal", "Ménaka"],
        doc="regions where armed groups hold roadblocks (002 Box A; FACTS M1)",
        source="002 Box A; 003",
    )
    pressure_crossing: float = param(1.0, doc="checkpoint pressure at border crossings", assumption=(0.5, 2.0), low=0)
    pressure_town: float = param(0.5, doc="checkpoint pressure in towns", assumption=(0.2, 1.0), low=0)
    pressure_gold_site: float = param(0.2, doc="checkpoint pressure at gold sites", assumption=(0.0, 0.5), low=0)
    pressure_abroad: float = param(0.3, doc="checkpoint pressure at towns outside Mali", assumption=(0.0, 1.0), low=0)
    livelihood_tolerance: float = param(
        0.5,
        doc="seizure odds of livelihood goods relative to others (food and fuel are waved through; 000)",
        assumption=(0.2, 1.0),
        low=0,
    )
    pressure_multiplier: dict[str, float] = param(
        {},
        doc="multiplier on the checkpoint pressure at named places (interdiction, crackdowns)",
        source="scenario input",
        low=0,
    )


@dataclass
class ScenarioConfig:
    """A scenario: the world, its starting state and its parameters."""

    name: str = param("default", doc="scenario name", source="scenario input")
    start_date: str = param("2013-01-07", doc="calendar date of week 0 (ISO)", source="scenario input")
    steps: int = param(520, doc="default number of weeks to run", source="DESIGN §2: ten years", low=1, high=100_000)
    data_dir: str | None = param(
        None,
        doc="directory with places.csv, routes.csv and goods.yaml replacing the packaged tables",
        source="scenario input",
    )
    goods: list[str] = param([], doc="goods traded (empty: every good in goods.yaml)", source="scenario input")
    supply_scale: float = param(
        1.0, doc="multiplier on every good's weekly supply", source="scenario input", low=0, low_open=True, high=100
    )
    supply_noise: float = param(
        0.2, doc="week-to-week variation of supply (lognormal sigma)", assumption=(0.0, 0.5), low=0, high=2
    )
    stock_cap_weeks: float = param(
        4.0,
        doc="weeks of supply a source holds before producers stop delivering",
        assumption=(2.0, 8.0),
        low=0,
        low_open=True,
    )
    transport: TransportParams = section(TransportParams)
    traffickers: TraffickerParams = section(TraffickerParams)
    checkpoints: CheckpointParams = section(CheckpointParams)


@dataclass
class OutputConfig:
    """What a run writes besides its summary."""

    timeseries: bool = param(True, doc="write timeseries.parquet (one row per week)", source="DESIGN §5")
    route_flows: bool = param(False, doc="write route_flows.parquet (units per route and week)", source="DESIGN §5")
    progress: bool = param(True, doc="show a progress bar on a terminal", source="user interface")


@dataclass
class RunConfig:
    """One run: a scenario, a seed and the number of weeks."""

    seed: int = param(0, doc="seed of the model's random generators", source="run input", low=0, high=2**63 - 1)
    steps: int | None = param(
        None, doc="weeks to run (empty: the scenario's default)", source="run input", low=1, high=100_000
    )
    scenario: ScenarioConfig = section(ScenarioConfig)
    output: OutputConfig = section(OutputConfig)

    @property
    def weeks(self) -> int:
        """Number of weeks this run simulates."""
        return self.steps if self.steps is not None else self.scenario.steps


# --- conversion and validation -------------------------------------------------------------


def _type_name(tp: Any) -> str:
    names = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}
    return names.get(tp, getattr(tp, "__name__", str(tp)))


def _coerce(value: Any, tp: Any, key: str) -> Any:
    """Check ``value`` against the annotation ``tp``; return it in canonical form."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _coerce(value, args[0], key)
    if dataclasses.is_dataclass(tp):
        if dataclasses.is_dataclass(value):
            value = dataclasses.asdict(value)
        if not isinstance(value, dict):
            raise ConfigError(key, value, "a group of parameters", "expected a mapping")
        return from_dict(tp, value, prefix=key)
    if origin is list:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(key, value, "a list", "expected a list")
        (item,) = typing.get_args(tp)
        return [_coerce(v, item, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(key, value, "a mapping", "expected a mapping")
        _, item = typing.get_args(tp)
        return {str(k): _coerce(v, item, f"{key}.{k}") for k, v in value.items()}
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(key, value, "true or false", "expected true or false")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ConfigError(key, value, _type_name(int), "expected an integer")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if value != value or value in (float("inf"), float("-inf")):
                raise ConfigError(key, value, "a finite number", "not a finite number")
            return float(value)
        raise ConfigError(key, value, _type_name(float), "expected a number")
    if tp is str:
        if isinstance(value, str):
            return value
        raise ConfigError(key, value, _type_name(str), "expected a string")
    raise TypeError(f"unsupported parameter type {tp!r} for {key}")


def _check_limits(value: Any, meta: dict, key: str) -> None:
    if value is None:
        return
    values = value.values() if isinstance(value, dict) else [value]
    for v in values:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            low, high = meta.get("low"), meta.get("high")
            allowed = _limits_text(meta)
            if low is not None and (v < low or (meta.get("low_open") and v == low)):
                raise ConfigError(key, value, allowed, "out of range")
            if high is not None and v > high:
                raise ConfigError(key, value, allowed, "out of range")
        if meta.get("choices") and v not in meta["choices"]:
            raise ConfigError(key, value, ", ".join(meta["choices"]), "not one of the choices")


def _limits_text(meta: dict) -> str:
    low, high = meta.get("low"), meta.get("high")
    lo = "" if low is None else (f"> {low}" if meta.get("low_open") else f">= {low}")
    hi = "" if high is None else f"<= {high}"
    return " and ".join(p for p in (lo, hi) if p) or "any value"


def limits_text(meta: dict) -> str:
    """Human-readable limits of a parameter, for messages and the parameter table."""
    if meta.get("choices"):
        return "one of " + ", ".join(meta["choices"])
    return _limits_text(meta)


def from_dict[T](cls: type[T], data: dict, prefix: str = "") -> T:
    """Build the dataclass ``cls`` from a mapping, rejecting unknown keys and bad values.

    Args:
        cls: A parameter dataclass.
        data: Values by field name; missing fields keep their defaults.
        prefix: Dotted path of ``cls`` in the whole configuration, for messages.

    Raises:
        ConfigError: naming the first offending key.
    """
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in data:
        if key not in fields:
            path = f"{prefix}.{key}" if prefix else str(key)
            raise ConfigError(path, data[key], "the keys listed in docs/parameters.md", "unknown key")
    kwargs = {}
    for name, f in fields.items():
        if name not in data:
            continue
        path = f"{prefix}.{name}" if prefix else name
        value = _coerce(data[name], hints[name], path)
        _check_limits(value, dict(f.metadata), path)
        kwargs[name] = value
    obj = cls(**kwargs)
    _check_rules(obj, prefix)
    return obj


def _check_rules(obj: Any, prefix: str) -> None:
    """Cross-field rules that single-field limits cannot express."""
    p = f"{prefix}." if prefix else ""
    if isinstance(obj, ScenarioConfig):
        try:
            dt.date.fromisoformat(obj.start_date)
        except ValueError:
            raise ConfigError(
                f"{p}start_date", obj.start_date, "an ISO date such as 2013-01-07", "not a date"
            ) from None


def validate[T](obj: T, prefix: str = "") -> T:
    """Re-check a dataclass built in Python (not through :func:`from_dict`)."""
    return from_dict(type(obj), dataclasses.asdict(obj), prefix)


def to_dict(obj: Any) -> dict:
    """Plain nested dictionary of a parameter dataclass (for YAML and JSON)."""
    return dataclasses.asdict(obj)


def iter_params(cls: type, prefix: str = ""):
    """Yield (dotted key, field, default) for every leaf parameter of ``cls``."""
    instance = cls()
    for f in dataclasses.fields(cls):
        path = f"{prefix}.{f.name}" if prefix else f.name
        value = getattr(instance, f.name)
        if dataclasses.is_dataclass(value):
            yield from iter_params(type(value), path)
        else:
            yield path, f, value
