"""The registry of named outcomes: what the model reports each week and over a run.

Each :class:`Outcome` reads one number from the model's state for the week just run; the
DataCollector records the weekly series, the run summary reduces each series (sum, mean
or last value) or computes its own total. The browser view and sweep analysis use the
same names. ``better`` says which direction is desirable where that is unambiguous
(EMA Workbench's convention); flows of livelihood goods are neither.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.agents.armed_group import REVENUE_SOURCES, GroupKind
from sim.agents.trafficker import Kind

if TYPE_CHECKING:
    import pandas as pd

    from sim.model import SahelModel


@dataclass(frozen=True)
class Outcome:
    """A named outcome.

    Attributes:
        name: Column in timeseries.parquet and key in summary.json.
        series: Value for the week just run.
        reduce: How the run's value follows from the weekly series: ``sum``, ``mean``,
            ``last``, or a function of the model and the series.
        unit: Unit of the value.
        better: ``higher``, ``lower`` or None.
        doc: What it measures.
        tags: Families the outcome belongs to (see :data:`TAGS`); reports, figures, the browser
            and the command line choose what to show by tag, never by hand-kept lists.
    """

    name: str
    series: Callable[[SahelModel], float]
    reduce: str | Callable[[SahelModel, pd.Series], float]
    unit: str
    better: str | None
    doc: str
    tags: tuple[str, ...] = ()

    def total(self, model: SahelModel, values: pd.Series) -> float:
        """Value of the outcome over the whole run."""
        if callable(self.reduce):
            return float(self.reduce(model, values))
        if len(values) == 0:
            return 0.0
        return float({"sum": values.sum, "mean": values.mean, "last": lambda: values.iloc[-1]}[self.reduce]())


# The tag vocabulary: an outcome may carry several.
TAGS = {
    "headline": "the few numbers a run or a sweep is summarised by",
    "trade": "flows, seizures and the crews that carry them",
    "violence": "fatalities, clashes, attacks and abuses",
    "livelihood": "community income, food security and trust (do no harm)",
    "corruption": "bribes, complicity and justice",
    "armed_groups": "armed groups' revenue, size and territory",
    "mission": "the peace operation's capacity and losses",
    "policy": "what the interventions did and cost",
    "per_region": "one value per region of Mali",
    "per_good": "one value per good",
    "per_crossing": "one value per border crossing",
}


def tagged(outcomes: list[Outcome], tag: str) -> list[Outcome]:
    """The outcomes carrying ``tag``, in registry order.

    Raises:
        KeyError: For a tag outside :data:`TAGS` (a typo would otherwise select nothing).
    """
    if tag not in TAGS:
        raise KeyError(f"unknown outcome tag {tag!r}; known: {', '.join(TAGS)}")
    return [o for o in outcomes if tag in o.tags]


def _week(key: str, index: int | None = None) -> Callable[[SahelModel], float]:
    if index is None:
        return lambda m: float(m.stats.week[key].sum())
    return lambda m: float(m.stats.week[key][index])


def _share(num: str, den: tuple[str, str]) -> Callable[[SahelModel], float]:
    def f(m: SahelModel) -> float:
        a = m.stats.week[num].sum()
        b = m.stats.week[den[0]].sum() + m.stats.week[den[1]].sum()
        return float(a / b) if b > 0 else 0.0

    return f


def _share_to_date(num: str, den: tuple[str, str]) -> Callable[[SahelModel, pd.Series], float]:
    def f(m: SahelModel, _values: pd.Series) -> float:
        a = m.stats.to_date(num).sum()
        b = m.stats.to_date(den[0]).sum() + m.stats.to_date(den[1]).sum()
        return float(a / b) if b > 0 else 0.0

    return f


def route_entropy(model: SahelModel) -> float:
    """Dispersion of flows over candidate routes since the start, in [0, 1].

    For each good, the Shannon entropy of the units shipped on each of its candidate routes,
    divided by its largest possible value (log of the number of routes); goods are weighted
    by the value of what they shipped at sink prices. 0: every unit on one route; 1: spread
    evenly over all candidates.
    """
    routes = model.routes
    units = model.stats.to_date("route_units")
    value = np.bincount(routes.good, weights=units, minlength=len(model.world.goods)) * model.market.value_sink
    total = value.sum()
    if total <= 0:
        return 0.0
    h = 0.0
    for g in np.flatnonzero(value):
        u = units[routes.good == g]
        n = len(u)
        if n < 2:
            continue
        p = u[u > 0] / u.sum()
        h += value[g] / total * float(-(p * np.log(p)).sum() / np.log(n))
    return h


def _count_kind(kind: Kind) -> Callable[[SahelModel], float]:
    return lambda m: float((m.crews.alive & (m.crews.kind == kind)).sum())


def _event(key: str) -> Callable[[SahelModel], float]:
    return lambda m: float(m.stats.events[key])


def _groups(attr: str) -> Callable[[SahelModel], float]:
    def f(m: SahelModel) -> float:
        g = m.armed_groups
        if g is None:
            return 0.0
        value = getattr(g, attr)
        return float(value) if not isinstance(value, dict) else 0.0

    return f


def _group_event(key: str) -> Callable[[SahelModel], float]:
    return lambda m: float(m.armed_groups.events[key]) if m.armed_groups is not None else 0.0


def _revenue(source: str | None) -> Callable[[SahelModel], float]:
    def f(m: SahelModel) -> float:
        if m.armed_groups is None:
            return m.ledger.week_flows.get("tolls", 0.0) if source in (None, "tolls") else 0.0
        rev = m.armed_groups.revenue_by_source()
        return float(sum(rev.values()) if source is None else rev[source])

    return f


def _held_by(kind: GroupKind) -> Callable[[SahelModel], float]:
    def f(m: SahelModel) -> float:
        groups = m.armed_groups
        if groups is None:
            return 0.0
        holder = m.territory.holder
        kinds = np.array([g.kind for g in groups.groups] + [-1])
        return float((kinds[holder[holder >= 0]] == kind).sum())

    return f


def _official_event(key: str) -> Callable[[SahelModel], float]:
    return lambda m: float(m.officials.events[key]) if m.officials is not None else 0.0


def _community_index(name: str) -> Callable[[SahelModel], float]:
    return lambda m: m.communities.index(name) if m.communities is not None else 1.0


def _fatalities(m: SahelModel) -> float:
    e = m.stats.events
    return float(e["combatant_deaths"] + e["civilian_deaths"] + e["state_deaths"] + e["peacekeeper_deaths"])


def _fighters(m: SahelModel) -> float:
    return float(sum(g.fighters for g in m.armed_groups.groups)) if m.armed_groups is not None else 0.0


def _bribe_rate_to_date(m: SahelModel, _values: pd.Series) -> float:
    staffed = m.stats.to_date("enc_staffed").sum()
    return float(m.stats.to_date("enc_bribed").sum() / staffed) if staffed > 0 else 0.0


def _force_protection(m: SahelModel) -> float:
    return float(m.forces.force_protection_share) if m.forces is not None else 0.0


def actor_outcomes() -> list[Outcome]:
    """Outcomes of the actors: armed groups, officials, communities, forces (ODD §7)."""
    out = [
        Outcome("armed_group_revenue_usd", _revenue(None), "sum", "USD", "lower", "revenue of all armed groups"),
    ]
    for source in REVENUE_SOURCES:
        out.append(
            Outcome(
                f"armed_group_revenue.{source}",
                _revenue(source),
                "sum",
                "USD",
                "lower",
                f"armed groups' revenue from {source}",
            )
        )
    out += [
        Outcome(
            "fatalities",
            _fatalities,
            "sum",
            "deaths",
            "lower",
            "all conflict deaths: fighters, civilians, soldiers, peacekeepers",
        ),
        Outcome(
            "civilian_fatalities",
            _event("civilian_deaths"),
            "sum",
            "deaths",
            "lower",
            "civilians killed in clashes and abuses",
        ),
        Outcome("clashes", _group_event("clashes"), "sum", "clashes", "lower", "armed clashes over places (M5)"),
        Outcome(
            "alliance_switches", _group_event("alliance_switches"), "sum", "events", None, "groups changing bloc (M5)"
        ),
        Outcome("group_splits", _group_event("group_splits"), "sum", "events", None, "groups splitting (M5)"),
        Outcome(
            "rebrands", _group_event("rebrands"), "sum", "events", None, "factions rebranding under CT pressure (M6)"
        ),
        Outcome("fighters_final", _fighters, "last", "fighters", "lower", "fighters of all armed groups"),
        *[
            Outcome(
                f"places_held.{k.name.lower()}",
                _held_by(k),
                "mean",
                "places",
                None,
                f"places held by {k.name.lower()} groups",
            )
            for k in GroupKind
        ],
        Outcome(
            "bribe_rate",
            _share("enc_bribed", ("enc_staffed", "enc_none")),
            _bribe_rate_to_date,
            "share",
            "lower",
            "share of checkpoint encounters in Mali settled by a bribe",
        ),
        Outcome("convictions", _official_event("convictions"), "sum", "cases", None, "traffickers convicted"),
        Outcome(
            "convictions_undone",
            _official_event("convictions_undone"),
            "sum",
            "cases",
            "lower",
            "convictions undone higher up (M12)",
        ),
        Outcome(
            "community_income_index",
            _community_index("income"),
            "mean",
            "index",
            "higher",
            "community income (1.0 = start)",
        ),
        Outcome(
            "food_security_index",
            _community_index("food_security"),
            "mean",
            "index",
            "higher",
            "food security (1.0 = start)",
        ),
        Outcome(
            "community_income_north_index",
            lambda m: m.communities.index("income", north_only=True) if m.communities is not None else 1.0,
            "mean",
            "index",
            "higher",
            "income of the north's communities (1.0 = start)",
        ),
        Outcome(
            "food_security_north_index",
            lambda m: m.communities.index("food_security", north_only=True) if m.communities is not None else 1.0,
            "mean",
            "index",
            "higher",
            "food security of the north, which imports food and fuel informally (1.0 = start; M7)",
        ),
        Outcome(
            "state_trust_index",
            _community_index("trust"),
            "mean",
            "index",
            "higher",
            "trust in the state (1.0 = start)",
        ),
        Outcome(
            "smuggling_tolerance_index",
            _community_index("tolerance"),
            "mean",
            "index",
            None,
            "tolerance of smuggling (1.0 = start)",
        ),
        Outcome(
            "arms_per_capita",
            lambda m: m.communities.arms_per_capita() if m.communities is not None else 0.0,
            "last",
            "arms per person",
            "lower",
            "arms held by communities per person (M16)",
        ),
        Outcome("cattle_stolen", _groups("cattle_stolen"), "sum", "head", "lower", "cattle rustled by armed groups"),
        Outcome("kidnappings", _group_event("kidnappings"), "sum", "people", "lower", "kidnappings for ransom (M2)"),
        Outcome(
            "recruits", _groups("recruits"), "sum", "fighters", "lower", "fighters recruited from communities (M9)"
        ),
        Outcome("robberies", _event("robberies"), "sum", "events", "lower", "crews robbed by bandits (M16)"),
        Outcome(
            "peacekeeper_fatalities",
            _event("peacekeeper_deaths"),
            "sum",
            "deaths",
            "lower",
            "peacekeepers killed (F13)",
        ),
        Outcome(
            "mission_force_protection_share",
            _force_protection,
            "mean",
            "share",
            "lower",
            "share of the mission's capacity on force protection (M19; F14)",
        ),
    ]
    return out


def _policy_attr(name: str, attr: str) -> Callable[[SahelModel], float]:
    def f(m: SahelModel) -> float:
        policy = m.policy(name)
        return float(getattr(policy, attr)) if policy is not None else 0.0

    return f


def policy_outcomes() -> list[Outcome]:
    """What the policies cost and did (zero when they are off)."""
    return [
        Outcome(
            "policy_cost_usd", lambda m: float(m.levers.cost), "sum", "USD", "lower", "cost of the active policies"
        ),
        Outcome(
            "formal_gold",
            lambda m: float(m.market.formal_week),
            "sum",
            "kg",
            None,
            "gold sold through official channels (gold formalization)",
        ),
        Outcome(
            "ex_combatants", _policy_attr("ddr", "ex_combatants"), "last", "people", None, "demobilized, not relapsed"
        ),
        Outcome(
            "relapses", _policy_attr("ddr", "relapsed"), "last", "people", "lower", "ex-combatants back in their groups"
        ),
        Outcome("listed", _event("listed"), "sum", "crews", None, "crews listed under sanctions"),
        Outcome(
            "listed_top",
            _policy_attr("sanctions", "listed_top"),
            "last",
            "crews",
            None,
            "listed crews from the top tenth by evidence",
        ),
    ]


def _ratio_week(num: str, den: str, g: int) -> Callable[[SahelModel], float]:
    def f(m: SahelModel) -> float:
        b = m.stats.week[den][g]
        return float(m.stats.week[num][g] / b) if b > 0 else 0.0

    return f


def _ratio_to_date(num: str, den: str, g: int) -> Callable[[SahelModel, pd.Series], float]:
    def f(m: SahelModel, _values: pd.Series) -> float:
        b = m.stats.to_date(den)[g]
        return float(m.stats.to_date(num)[g] / b) if b > 0 else 0.0

    return f


def _north_services(m: SahelModel) -> float:
    return float(m.stats.week["services"][m.territory.north].sum())


def _north_jobs(m: SahelModel) -> float:
    c = m.communities
    if c is None:
        return 0.0
    rows = c.rows[c.north[c.rows]]
    return float(c.trafficking_jobs(rows).sum())


def trade_geography_outcomes(model: SahelModel) -> list[Outcome]:
    """Where the trade runs and what it earns (issue 13): north shares, value per crossing, margins, transit."""
    world, out = model.world, []
    for g in np.unique(model.routes.good):
        good = world.goods[g]
        if not good.livelihood:
            out.append(
                Outcome(
                    f"north_share.{good.id}",
                    _ratio_week("north_departed", "departed", int(g)),
                    _ratio_to_date("north_departed", "departed", int(g)),
                    "share",
                    None,
                    f"share of the {good.id} shipped on routes through northern Mali (Timbuktu, Gao, Kidal, Ménaka)",
                    ("trade", "per_good"),
                )
            )
        out.append(
            Outcome(
                f"margin.{good.id}",
                _ratio_week("trip_profit", "delivered", int(g)),
                _ratio_to_date("trip_profit", "delivered", int(g)),
                f"USD per {good.unit}",
                None,
                f"realised margin of {good.id}: crews' trip profit (losses included) per unit delivered",
                ("trade", "per_good"),
            )
        )
    for p in world.places_of_kind("crossing"):
        out.append(
            Outcome(
                f"illicit_value_through.{world.place_ids[p]}",
                _week("illicit_value", int(p)),
                "sum",
                "USD",
                None,
                f"value of illicit goods that passed {world.names[p]}",
                ("trade", "per_crossing"),
            )
        )
    if "timbuktu" in world.index and any(g.id == "migrants" for g in world.goods):
        t, mg = world.index["timbuktu"], world.good_index("migrants")
        out.append(
            Outcome(
                "migrants_through_timbuktu",
                lambda m: float(m.stats.week["place_good_units"][t, mg]),
                "mean",
                "people per week",
                None,
                "migrants passing or reaching Timbuktu each week (F9: 500-1,000 in 2021)",
                ("trade",),
            )
        )
    out += [
        Outcome(
            "transit_income_north_usd",
            _north_services,
            "sum",
            "USD",
            None,
            "local services (drivers, guides, guards, fuel, food, lodging) sold to consignments passing the north",
            ("trade", "livelihood"),
        ),
        Outcome(
            "trafficking_jobs_north",
            _north_jobs,
            "mean",
            "jobs",
            None,
            "trafficking jobs in the north's communities (services income over the transit wage)",
            ("trade", "livelihood"),
        ),
    ]
    return out


def build_registry(model: SahelModel) -> list[Outcome]:
    """Outcomes for this model's goods and places, in column order."""
    world = model.world
    out = [
        Outcome("delivered_value_usd", _week("delivered_value"), "sum", "USD", None, "value of goods sold at sinks"),
        Outcome("seized_value_usd", _week("seized_value"), "sum", "USD", None, "value of goods seized, where seized"),
        Outcome(
            "seizure_share",
            _share("seized_value", ("seized_value", "delivered_value")),
            _share_to_date("seized_value", ("seized_value", "delivered_value")),
            "share",
            None,
            "share of the value of finished trips that was seized",
        ),
        Outcome(
            "bribes_usd",
            lambda m: m.ledger.week_flows.get("bribes", 0.0),
            "sum",
            "USD",
            "lower",
            "bribes paid at checkpoints",
        ),
        Outcome("trips", _week("trips"), "sum", "trips", None, "trips finished (delivered or seized)"),
        Outcome("n_traffickers", lambda m: float(m.crews.n_alive), "last", "crews", None, "crews in the trade"),
    ]
    for kind in Kind:
        out.append(
            Outcome(
                f"n_traffickers.{kind.name.lower()}",
                _count_kind(kind),
                "last",
                "crews",
                None,
                f"{kind.name.lower()} crews in the trade",
            )
        )
    out += [
        Outcome(
            "entrants", lambda m: float(m.stats.events["entered"]), "sum", "crews", None, "crews entering the trade"
        ),
        Outcome(
            "exits", lambda m: float(m.stats.events["exited"]), "sum", "crews", None, "crews leaving (arrests included)"
        ),
        Outcome(
            "arrests",
            lambda m: float(m.stats.events["arrested"]),
            "sum",
            "crews",
            None,
            "crews arrested with their cargo",
        ),
        Outcome(
            "route_entropy", route_entropy, "last", "share", None, "dispersion of flows over candidate routes, to date"
        ),
    ]
    out += actor_outcomes()
    out += policy_outcomes()
    for g in np.unique(model.routes.good):
        good = world.goods[g]
        out.append(
            Outcome(f"delivered.{good.id}", _week("delivered", g), "sum", good.unit, None, f"{good.id} sold at sinks")
        )
        out.append(Outcome(f"seized.{good.id}", _week("seized", g), "sum", good.unit, None, f"{good.id} seized"))
    for p in world.places_of_kind("crossing"):
        out.append(
            Outcome(
                f"flow_through.{world.place_ids[p]}",
                _week("place_units", int(p)),
                "sum",
                "units",
                None,
                f"units that passed {world.names[p]}",
            )
        )
    out += trade_geography_outcomes(model)
    return out
