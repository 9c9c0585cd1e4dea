"""The registry of named outcomes: what the model reports each week and over a run.

Each :class:`Outcome` reads one number from the model's state for the week just run; the
DataCollector records the weekly series, the run summary reduces each series (sum, mean
or last value) or computes its own total. The browser view and sweep analysis use the
same names. ``better`` says which direction is desirable where that is unambiguous
(EMA Workbench's convention); flows of livelihood goods are neither.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim import libm
from sim.lazy import lazy_module
from sim.names import REVENUE_SOURCES, GroupKind, Kind

if TYPE_CHECKING:
    import pandas as pd

    from sim.model import SahelModel

collection_kernels = lazy_module("sim.collection_kernels")


@dataclass(frozen=True)
class Outcome:
    """A named outcome.

    Attributes:
        name: Column in timeseries.parquet and key in summary.json.
        series: Value for the week just run.
        reduce: How the run's value follows from the weekly series: ``sum``, ``mean``,
            ``last``, or a function of the model and the series (a float64 array in a run).
        unit: Unit of the value.
        better: ``higher``, ``lower`` or None.
        doc: What it measures.
        tags: Families the outcome belongs to (see :data:`TAGS`); reports, figures, the browser
            and the command line choose what to show by tag, never by hand-kept lists.
    """

    name: str
    series: Callable[[SahelModel], float]
    reduce: str | Callable[[SahelModel, np.ndarray | pd.Series], float]
    unit: str
    better: str | None
    doc: str
    tags: tuple[str, ...] = ()

    def total(self, model: SahelModel, values: np.ndarray | pd.Series) -> float:
        """Value of the outcome over the whole run; ``sum`` and ``mean`` skip NaN weeks, as pandas' do."""
        if callable(self.reduce):
            return float(self.reduce(model, values))
        if len(values) == 0:
            return 0.0
        if isinstance(values, np.ndarray):
            return float(skipna_reduce(values, self.reduce))
        return float({"sum": values.sum, "mean": values.mean, "last": lambda: values.iloc[-1]}[self.reduce]())


def skipna_reduce(values: np.ndarray, how: str) -> np.float64:
    """``pd.Series(values).sum()``, ``.mean()`` or ``.iloc[-1]`` of a float64 array, in numpy.

    pandas' ``nansum`` sets the NaN weeks to 0 and sums the array as numpy does (pairwise), and its
    ``nanmean`` divides that sum by the count of the others (NaN if none): so here, and the same
    float (``tests/test_run_tables.py`` compares them). A run's process then needs no pandas.
    """
    if how == "last":
        return values[-1]
    missing = np.isnan(values)
    total = np.where(missing, 0.0, values).sum()
    if how == "sum":
        return total
    if how != "mean":
        raise ValueError(f"unknown reduction {how!r}: sum, mean, last or a function")
    count = values.size - missing.sum()
    return total / np.float64(count) if count else np.float64(np.nan)


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
    "diagnostic": "measures the evidence suites read: revenue by kind of group, crews' mix, illicit value, levels",
}


def tagged(outcomes: list[Outcome], tag: str) -> list[Outcome]:
    """The outcomes carrying ``tag``, in registry order.

    Raises:
        KeyError: For a tag outside :data:`TAGS` (a typo would otherwise select nothing).
    """
    if tag not in TAGS:
        raise KeyError(f"unknown outcome tag {tag!r}; known: {', '.join(TAGS)}")
    return [o for o in outcomes if tag in o.tags]


def format_value(value: float, unit: str) -> str:
    """A value with its unit, for one line of text: ``$2.31 bn``, ``12.5%``, ``0.97``, ``3,764 deaths``."""
    if unit == "USD":
        for scale, word in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
            if abs(value) >= scale:
                return f"${value / scale:.2f} {word}"
        return f"${value:,.0f}"
    if unit == "share":
        return f"{100 * value:.1f}%"
    if unit == "index":
        return f"{value:.2f}"
    return f"{value:,.0f} {unit}" if abs(value) >= 100 else f"{value:.3g} {unit}"


def headline(summary: dict, outcomes: list[Outcome]) -> str:
    """The run's headline outcomes (tag ``headline``) as ``name value unit`` separated by commas."""
    return ", ".join(f"{o.name} {format_value(summary[o.name], o.unit)}" for o in tagged(outcomes, "headline"))


# Weekly readers. Every reader is a module-level function, bound to its arguments with
# functools.partial, so the registry (and a model's DataCollector) can be pickled.


def _week_sum(m: SahelModel, key: str) -> float:
    return float(m.stats.week[key].sum())


def _week_at(m: SahelModel, key: str, index) -> float:
    return float(m.stats.week[key][index])


def _week(key: str, index: int | None = None) -> Callable[[SahelModel], float]:
    if index is None:
        return functools.partial(_week_sum, key=key)
    return functools.partial(_week_at, key=key, index=index)


def _week_places(m: SahelModel, key: str, places: np.ndarray) -> float:
    return float(m.stats.week[key][places].sum())


def _share_week(m: SahelModel, num: str, den: tuple[str, str]) -> float:
    a = m.stats.week[num].sum()
    b = m.stats.week[den[0]].sum() + m.stats.week[den[1]].sum()
    return float(a / b) if b > 0 else 0.0


def _share(num: str, den: tuple[str, str]) -> Callable[[SahelModel], float]:
    return functools.partial(_share_week, num=num, den=den)


def _share_run(m: SahelModel, _values: pd.Series, num: str, den: tuple[str, str]) -> float:
    a = m.stats.to_date(num).sum()
    b = m.stats.to_date(den[0]).sum() + m.stats.to_date(den[1]).sum()
    return float(a / b) if b > 0 else 0.0


def _share_to_date(num: str, den: tuple[str, str]) -> Callable[[SahelModel, pd.Series], float]:
    return functools.partial(_share_run, num=num, den=den)


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
        h += value[g] / total * float(-(p * libm.log(p)).sum() / libm.log(n))
    return h


def _kind_count(m: SahelModel, kind: Kind) -> float:
    return float((m.crews.alive & (m.crews.kind == kind)).sum())


def _count_kind(kind: Kind) -> Callable[[SahelModel], float]:
    return functools.partial(_kind_count, kind=kind)


def _event_value(m: SahelModel, key: str) -> float:
    return float(m.stats.events[key])


def _event(key: str) -> Callable[[SahelModel], float]:
    return functools.partial(_event_value, key=key)


def _groups_value(m: SahelModel, attr: str) -> float:
    g = m.armed_groups
    if g is None:
        return 0.0
    value = getattr(g, attr)
    return float(value) if not isinstance(value, dict) else 0.0


def _groups(attr: str) -> Callable[[SahelModel], float]:
    return functools.partial(_groups_value, attr=attr)


def _group_event_value(m: SahelModel, key: str) -> float:
    return float(m.armed_groups.events[key]) if m.armed_groups is not None else 0.0


def _group_event(key: str) -> Callable[[SahelModel], float]:
    return functools.partial(_group_event_value, key=key)


def _revenue_value(m: SahelModel, source: str | None) -> float:
    if m.armed_groups is None:
        return m.ledger.week_flows.get("tolls", 0.0) if source in (None, "tolls") else 0.0
    rev = m.armed_groups.revenue_by_source()
    return float(sum(rev.values()) if source is None else rev[source])


def _revenue(source: str | None) -> Callable[[SahelModel], float]:
    return functools.partial(_revenue_value, source=source)


def _held_by_value(m: SahelModel, kind: GroupKind) -> float:
    groups = m.armed_groups
    if groups is None:
        return 0.0
    holder = m.territory.holder
    kinds = np.array([g.kind for g in groups.groups] + [-1])
    return float((kinds[holder[holder >= 0]] == kind).sum())


def _held_by(kind: GroupKind) -> Callable[[SahelModel], float]:
    return functools.partial(_held_by_value, kind=kind)


def _official_event_value(m: SahelModel, key: str) -> float:
    return float(m.officials.events[key]) if m.officials is not None else 0.0


def _official_event(key: str) -> Callable[[SahelModel], float]:
    return functools.partial(_official_event_value, key=key)


def _community_index_value(m: SahelModel, name: str, north_only: bool = False, region: str | None = None) -> float:
    if m.communities is None:
        return 1.0
    return m.communities.index(name, north_only=north_only, region=region)


def _community_index(name: str, north_only: bool = False, region: str | None = None) -> Callable[[SahelModel], float]:
    return functools.partial(_community_index_value, name=name, north_only=north_only, region=region)


def _arms_per_capita(m: SahelModel) -> float:
    return m.communities.arms_per_capita() if m.communities is not None else 0.0


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


def _bribes(m: SahelModel) -> float:
    return m.ledger.week_flows.get("bribes", 0.0)


def _crews_alive(m: SahelModel) -> float:
    return float(len(alive_crews(m)))  # the live crews' rows, kept for the week's other outcomes


def _policy_cost(m: SahelModel) -> float:
    return float(m.levers.cost)


def _formal_gold(m: SahelModel) -> float:
    return float(m.market.formal_week)


def actor_outcomes() -> list[Outcome]:
    """Outcomes of the actors: armed groups, officials, communities, forces (ODD §7)."""
    out = [
        Outcome(
            "armed_group_revenue_usd",
            _revenue(None),
            "sum",
            "USD",
            "lower",
            "revenue of all armed groups",
            ("headline", "armed_groups"),
        ),
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
                ("armed_groups",),
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
            ("headline", "violence"),
        ),
        Outcome(
            "civilian_fatalities",
            _event("civilian_deaths"),
            "sum",
            "deaths",
            "lower",
            "civilians killed in clashes and abuses",
            ("violence", "livelihood"),
        ),
        Outcome(
            "clashes",
            _group_event("clashes"),
            "sum",
            "clashes",
            "lower",
            "armed clashes over places (M5)",
            ("violence", "armed_groups"),
        ),
        Outcome(
            "alliance_switches",
            _group_event("alliance_switches"),
            "sum",
            "events",
            None,
            "groups changing bloc (M5)",
            ("armed_groups",),
        ),
        Outcome(
            "group_splits",
            _group_event("group_splits"),
            "sum",
            "events",
            None,
            "groups splitting (M5)",
            ("armed_groups",),
        ),
        Outcome(
            "rebrands",
            _group_event("rebrands"),
            "sum",
            "events",
            None,
            "factions rebranding under CT pressure (M6)",
            ("armed_groups",),
        ),
        Outcome(
            "fighters_final", _fighters, "last", "fighters", "lower", "fighters of all armed groups", ("armed_groups",)
        ),
        *[
            Outcome(
                f"places_held.{k.name.lower()}",
                _held_by(k),
                "mean",
                "places",
                None,
                f"places held by {k.name.lower()} groups",
                ("armed_groups",),
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
            ("headline", "corruption"),
        ),
        Outcome(
            "convictions",
            _official_event("convictions"),
            "sum",
            "cases",
            None,
            "traffickers convicted",
            ("corruption",),
        ),
        Outcome(
            "convictions_undone",
            _official_event("convictions_undone"),
            "sum",
            "cases",
            "lower",
            "convictions undone higher up (M12)",
            ("corruption",),
        ),
        Outcome(
            "community_income_index",
            _community_index("income"),
            "mean",
            "index",
            "higher",
            "community income (1.0 = start)",
            ("headline", "livelihood"),
        ),
        Outcome(
            "food_security_index",
            _community_index("food_security"),
            "mean",
            "index",
            "higher",
            "food security (1.0 = start)",
            ("livelihood",),
        ),
        Outcome(
            "community_income_north_index",
            _community_index("income", north_only=True),
            "mean",
            "index",
            "higher",
            "income of the north's communities (1.0 = start)",
            ("livelihood",),
        ),
        Outcome(
            "food_security_north_index",
            _community_index("food_security", north_only=True),
            "mean",
            "index",
            "higher",
            "food security of the north, which imports food and fuel informally (1.0 = start; M7)",
            ("headline", "livelihood"),
        ),
        Outcome(
            "state_trust_index",
            _community_index("trust"),
            "mean",
            "index",
            "higher",
            "trust in the state (1.0 = start)",
            ("headline", "livelihood"),
        ),
        Outcome(
            "smuggling_tolerance_index",
            _community_index("tolerance"),
            "mean",
            "index",
            None,
            "tolerance of smuggling (1.0 = start)",
            ("livelihood",),
        ),
        Outcome(
            "arms_per_capita",
            _arms_per_capita,
            "last",
            "arms per person",
            "lower",
            "arms held by communities per person (M16)",
            ("violence",),
        ),
        Outcome(
            "cattle_stolen",
            _groups("cattle_stolen"),
            "sum",
            "head",
            "lower",
            "cattle rustled by armed groups",
            ("livelihood", "armed_groups"),
        ),
        Outcome(
            "kidnappings",
            _group_event("kidnappings"),
            "sum",
            "people",
            "lower",
            "kidnappings for ransom (M2)",
            ("violence", "armed_groups"),
        ),
        Outcome(
            "recruits",
            _groups("recruits"),
            "sum",
            "fighters",
            "lower",
            "fighters recruited from communities (M9)",
            ("armed_groups",),
        ),
        Outcome(
            "robberies", _event("robberies"), "sum", "events", "lower", "crews robbed by bandits (M16)", ("violence",)
        ),
        Outcome(
            "peacekeeper_fatalities",
            _event("peacekeeper_deaths"),
            "sum",
            "deaths",
            "lower",
            "peacekeepers killed (F13)",
            ("violence", "mission"),
        ),
        Outcome(
            "mission_force_protection_share",
            _force_protection,
            "mean",
            "share",
            "lower",
            "share of the mission's capacity on force protection (M19; F14)",
            ("mission",),
        ),
        Outcome(
            "mission_attacks",
            _war("attacks"),
            "sum",
            "attacks",
            "lower",
            "attacks by armed groups on the mission's convoys, patrols and bases",
            ("violence", "mission"),
        ),
        Outcome(
            "mission_ied_attacks",
            _war("ied_attacks"),
            "sum",
            "attacks",
            "lower",
            "attacks on the mission with IEDs, made from materials trafficked with the arms (F8)",
            ("violence", "mission"),
        ),
    ]
    return out


def _war(attr: str) -> Callable[[SahelModel], float]:
    """A weekly count of the war on the mission (sim/agents/mission_war.py); zero without forces."""
    return functools.partial(_war_value, attr=attr)


def _war_value(m: SahelModel, attr: str) -> float:
    return float(getattr(m.forces.war, attr)) if m.forces is not None else 0.0


def _policy_attr_value(m: SahelModel, name: str, attr: str) -> float:
    policy = m.policy(name)
    return float(getattr(policy, attr)) if policy is not None else 0.0


def _policy_attr(name: str, attr: str) -> Callable[[SahelModel], float]:
    return functools.partial(_policy_attr_value, name=name, attr=attr)


def policy_outcomes() -> list[Outcome]:
    """What the policies cost and did (zero when they are off)."""
    return [
        Outcome("policy_cost_usd", _policy_cost, "sum", "USD", "lower", "cost of the active policies", ("policy",)),
        Outcome(
            "formal_gold",
            _formal_gold,
            "sum",
            "kg",
            None,
            "gold sold through official channels (gold formalization)",
            ("policy", "trade"),
        ),
        Outcome(
            "ex_combatants",
            _policy_attr("ddr", "ex_combatants"),
            "last",
            "people",
            None,
            "demobilized, not relapsed",
            ("policy",),
        ),
        Outcome(
            "relapses",
            _policy_attr("ddr", "relapsed"),
            "last",
            "people",
            "lower",
            "ex-combatants back in their groups",
            ("policy",),
        ),
        Outcome("listed", _event("listed"), "sum", "crews", None, "crews listed under sanctions", ("policy",)),
        Outcome(
            "listed_top",
            _policy_attr("sanctions", "listed_top"),
            "last",
            "crews",
            None,
            "listed crews from the top tenth by value per trip",
            ("policy",),
        ),
        *_process_outcomes(),
    ]


def _process_value(m: SahelModel, name: str, attr: str) -> float:
    policy = m.policy(name)
    if policy is None:
        return 0.0
    value = getattr(policy.process, attr)
    return float(len(value) if isinstance(value, set) else value)


def _process_outcomes() -> list[Outcome]:
    """Choices in peace processes (sim/agents/peace_process.py) and of ransom brokers (M11, M18, M21)."""
    out = []
    for name, what in (("peace_deals", "peace deal"), ("accommodation", "conditional accommodation")):
        short = "peace" if name == "peace_deals" else name
        out += [
            Outcome(
                f"{short}_members",
                functools.partial(_process_value, name=name, attr="members"),
                "mean",
                "groups",
                None,
                f"groups in the {what} (mean over weeks)",
                ("policy", "armed_groups"),
            ),
            Outcome(
                f"{short}_joined",
                functools.partial(_process_value, name=name, attr="joined"),
                "last",
                "decisions",
                None,
                f"times a group joined the {what}",
                ("policy", "armed_groups"),
            ),
            Outcome(
                f"{short}_refusals",
                functools.partial(_process_value, name=name, attr="refusals"),
                "last",
                "decisions",
                None,
                f"groups offered the {what} that refused it (first refusal each)",
                ("policy", "armed_groups"),
            ),
            Outcome(
                f"{short}_defections",
                functools.partial(_process_value, name=name, attr="defections"),
                "last",
                "decisions",
                None,
                f"members that left the {what} because outside paid more",
                ("policy", "armed_groups"),
            ),
            Outcome(
                f"{short}_spoiler_attacks",
                functools.partial(_process_value, name=name, attr="spoiler_attacks"),
                "last",
                "attacks",
                "lower",
                f"attacks by groups outside the {what} on its members",
                ("policy", "violence"),
            ),
        ]
    out += [
        Outcome(
            "accommodation_cheats_caught",
            functools.partial(_process_value, name="accommodation", attr="cheats_caught"),
            "last",
            "decisions",
            None,
            "members caught still in the trade and expelled",
            ("policy", "armed_groups"),
        ),
        Outcome(
            "accommodation_allowances_usd",
            functools.partial(_process_value, name="accommodation", attr="allowances_usd"),
            "last",
            "USD",
            None,
            "allowances paid to accommodated groups",
            ("policy",),
        ),
        Outcome(
            "ransoms_brokered",
            _group_event("ransoms_brokered"),
            "sum",
            "ransoms",
            None,
            "ransoms a trafficking crew brokered (M21)",
            ("armed_groups", "trade"),
        ),
        Outcome(
            "brokers_tied_by_chance",
            _group_event("brokers_tied_by_chance"),
            "sum",
            "ransoms",
            None,
            "ransoms that brokers with ties to the kidnappers would have brokered were brokers drawn at random (M21)",
            ("armed_groups", "trade"),
        ),
        Outcome(
            "brokers_tied",
            _group_event("brokers_tied"),
            "sum",
            "ransoms",
            None,
            "ransoms brokered by a crew with ties to the kidnappers (identity, protection, region; M21)",
            ("armed_groups", "trade"),
        ),
        Outcome(
            "brokers_spared",
            _group_event("brokers_spared"),
            "sum",
            "ransoms",
            None,
            "ransoms after which the state chose to spare the broker from its officials (M21)",
            ("armed_groups", "corruption"),
        ),
    ]
    return out


def region_slug(region: str) -> str:
    """A region's name as an outcome suffix: ASCII, lower case, ``_`` for spaces (``Ségou`` -> ``segou``)."""
    text = unicodedata.normalize("NFKD", region).encode("ascii", "ignore").decode()
    return "_".join(text.lower().replace("'", " ").split())


def mali_regions(model: SahelModel) -> list[str]:
    """The regions of Mali that have places, in alphabetical order."""
    world = model.world
    return sorted({r for r, mali in zip(world.region, world.in_mali, strict=True) if mali})


def region_outcomes(model: SahelModel) -> list[Outcome]:
    """Per-region outcomes of Mali: violence and livelihoods where analysts ask about them.

    Fatalities by region count fighters, civilians and soldiers where they died; peacekeepers
    are not placed (the mission's attacks are drawn over all its regions at once) and are
    counted only in ``peacekeeper_fatalities``.
    """
    world = model.world
    region = np.asarray(world.region)
    out = []
    for name in mali_regions(model):
        slug = region_slug(name)
        places = np.flatnonzero((region == name) & np.asarray(world.in_mali))
        tags = ("per_region",)
        out += [
            Outcome(
                f"fatalities.{slug}",
                functools.partial(_week_places, key="deaths", places=places),
                "sum",
                "deaths",
                "lower",
                f"fighters, civilians and soldiers killed in {name}",
                ("violence", *tags),
            ),
            Outcome(
                f"civilian_fatalities.{slug}",
                functools.partial(_week_places, key="civilian_deaths", places=places),
                "sum",
                "deaths",
                "lower",
                f"civilians killed in {name}",
                ("violence", "livelihood", *tags),
            ),
            Outcome(
                f"cattle_stolen.{slug}",
                functools.partial(_week_places, key="cattle_stolen", places=places),
                "sum",
                "head",
                "lower",
                f"cattle rustled from the herds of {name}",
                ("livelihood", *tags),
            ),
            Outcome(
                f"community_income_index.{slug}",
                _community_index("income", region=name),
                "mean",
                "index",
                "higher",
                f"income of the communities of {name} (1.0 = start)",
                ("livelihood", *tags),
            ),
            Outcome(
                f"food_security_index.{slug}",
                _community_index("food_security", region=name),
                "mean",
                "index",
                "higher",
                f"food security of {name} (1.0 = start)",
                ("livelihood", *tags),
            ),
            Outcome(
                f"state_trust_index.{slug}",
                _community_index("trust", region=name),
                "mean",
                "index",
                "higher",
                f"trust in the state in {name} (1.0 = start)",
                ("livelihood", *tags),
            ),
        ]
    return out


def crossing_good_outcomes(model: SahelModel, goods: np.ndarray) -> list[Outcome]:
    """Units of each traded good through each border crossing."""
    world = model.world
    out = []
    for p in world.places_of_kind("crossing"):
        for g in goods:
            good = world.goods[g]
            out.append(
                Outcome(
                    f"flow_through.{world.place_ids[p]}.{good.id}",
                    _week("place_good_units", (int(p), int(g))),
                    "sum",
                    good.unit,
                    None,
                    f"{good.id} that passed {world.names[p]}",
                    ("trade", "per_crossing", "per_good"),
                )
            )
    return out


def _kind_revenue(m: SahelModel, kind: GroupKind, source: str) -> float:
    groups = m.armed_groups
    if groups is None:
        return 0.0
    total = 0.0
    for g in groups.groups:
        if g.kind == kind:
            total += g.revenue[source]
    return total


def _crew_tally(m: SahelModel) -> tuple[np.ndarray, np.ndarray]:
    """Crews alive and mercenary crews, by the good they carry (one pass for every good's outcome).

    Kept in ``m.week_memo`` between the end of a week and the start of the next, when the
    crews cannot change (:meth:`sim.model.SahelModel._run_week`); computed afresh otherwise.
    """
    memo = m.__dict__.get("week_memo")
    if memo is not None and "crew_tally" in memo:
        return memo["crew_tally"]
    c = m.crews.cols
    alive = alive_crews(m)
    goods = c["good"].take(alive)
    n = len(m.world.goods)
    tally = (
        np.bincount(goods, minlength=n),
        np.bincount(goods[c["kind"].take(alive) == int(Kind.MERCENARY)], minlength=n),
    )
    if memo is not None:
        memo["crew_tally"] = tally
    return tally


def alive_crews(m: SahelModel) -> np.ndarray:
    """Rows of the live crews, in row order (kept in ``m.week_memo`` as :func:`_crew_tally` is)."""
    memo = m.__dict__.get("week_memo")
    if memo is not None and "alive_crews" in memo:
        return memo["alive_crews"]
    rows = np.flatnonzero(m.crews.cols["alive"])
    if memo is not None:
        memo["alive_crews"] = rows
    return rows


def _crews_carrying(m: SahelModel, good: int) -> float:
    return float(_crew_tally(m)[0][good])


def _mercenary_share(m: SahelModel, good: int) -> float:
    carrying, mercenary = _crew_tally(m)
    n = int(carrying[good])
    return float(mercenary[good] / n) if n else 0.0


def _finite_mean(values) -> float:
    """Mean of the finite values, summed in week order (0 if none is finite)."""
    total, n = collection_kernels.finite_sum(np.ascontiguousarray(values, dtype=np.float64))
    return float(total) / max(1, n)


def _second_half_share(m: SahelModel, values: pd.Series, good_id: str) -> float:
    """Mean share over the weeks after the first half in which crews carried the good (0 if none did)."""
    crews = np.asarray(m.datacollector.records_of(f"crews.{good_id}"), dtype=float)
    later = slice(len(values) // 2, None)
    shares = np.asarray(values, dtype=float)[later]
    return _finite_mean(np.where(crews[later] > 0, shares, np.nan))


def _community_level(m: SahelModel, key: str) -> float:
    c = m.communities
    if c is None:
        return 0.0
    return float(np.average(c.cols[key][c.rows], weights=c.population[c.rows]))


def _north_food_level(m: SahelModel) -> float:
    c = m.communities
    if c is None:
        return 0.0
    north = c.population[c.rows] * c.north[c.rows]
    return float((c.food_security[c.rows] * north).sum() / north.sum())


def _level_mean(_m: SahelModel, values: pd.Series) -> float:
    return _finite_mean(np.asarray(values, dtype=float))


def _illicit(m: SahelModel) -> np.ndarray:
    return ~np.array([g.livelihood for g in m.world.goods])


def _illicit_week(m: SahelModel, key: str) -> float:
    return float(m.stats.week[key][_illicit(m)].sum())


def _illicit_to_date(m: SahelModel, _values: pd.Series, key: str) -> float:
    value = m.stats.total[key] + m.stats.week[key]
    return float(value[_illicit(m)].sum())


def _illicit_value_through(m: SahelModel, places: np.ndarray, week: bool) -> float:
    units = m.stats.week["place_good_units"] if week else m.stats.to_date("place_good_units")
    weights = np.where(_illicit(m), m.market.value_sink, 0.0)
    # Products summed by numpy, not a matrix product: BLAS adds in an order of its CPU's kind.
    return float((units[places] * weights).sum())


def _illicit_value_through_to_date(m: SahelModel, _values: pd.Series, places: np.ndarray) -> float:
    return _illicit_value_through(m, places, week=False)


def diagnostic_outcomes(model: SahelModel, goods: np.ndarray) -> list[Outcome]:
    """What the validation suite measures beyond the main outcomes, declared here so it reads no agent's state.

    Revenue of each kind of armed group by source (002 Box B), the mercenary share of each good's
    crews over the second half of a run (M4), population-weighted levels of trust and tolerance,
    the value of illicit (not livelihood) goods delivered, seized and passing Mali's crossings with
    Algeria and the others, and migrants passing Timbuktu (a FACTS figure of the history check).
    """
    from sim.policies.base import crossings_to, mali_crossings

    world = model.world
    tags = ("diagnostic",)
    out = [
        Outcome(
            f"armed_group_revenue.{k.name.lower()}.{source}",
            functools.partial(_kind_revenue, kind=k, source=source),
            "sum",
            "USD",
            "lower",
            f"{k.name.lower()} groups' revenue from {source}",
            ("armed_groups", *tags),
        )
        for k in GroupKind
        for source in REVENUE_SOURCES
    ]
    out += [
        Outcome(
            f"crews.{world.goods[g].id}",
            functools.partial(_crews_carrying, good=int(g)),
            "last",
            "crews",
            None,
            f"crews carrying {world.goods[g].id}",
            ("trade", "per_good", *tags),
        )
        for g in goods
    ]
    out += [
        Outcome(
            f"mercenary_share.{world.goods[g].id}",
            functools.partial(_mercenary_share, good=int(g)),
            functools.partial(_second_half_share, good_id=world.goods[g].id),
            "share",
            None,
            f"mercenary share of the crews carrying {world.goods[g].id} (over the second half of the run; M4)",
            ("trade", "per_good", *tags),
        )
        for g in goods
    ]
    out += [
        Outcome(
            f"level.{key}",
            functools.partial(_community_level, key=key),
            _level_mean,
            "level",
            None,
            f"population-weighted level of {key} (0-1), not relative to the start",
            ("livelihood", *tags),
        )
        for key in ("trust", "tolerance")
    ]
    out.append(
        Outcome(
            "level.food_security_north",
            _north_food_level,
            _level_mean,
            "level",
            None,
            "population-weighted food security of the north (0-1), not relative to the start",
            ("livelihood", *tags),
        )
    )
    out += [
        Outcome(
            f"illicit_{what}_value_usd",
            functools.partial(_illicit_week, key=f"{what}_value"),
            functools.partial(_illicit_to_date, key=f"{what}_value"),
            "USD",
            None,
            f"value of the goods other than livelihood goods {what}",
            ("trade", *tags),
        )
        for what in ("delivered", "seized")
    ]
    if "Algeria" in world.country:
        algeria = crossings_to(world, "Algeria")
        for name, places in (("algeria", algeria), ("other", np.setdiff1d(mali_crossings(world), algeria))):
            out.append(
                Outcome(
                    f"illicit_value_crossings.{name}",
                    functools.partial(_illicit_value_through, places=places, week=True),
                    functools.partial(_illicit_value_through_to_date, places=places),
                    "USD",
                    None,
                    f"sink value of illicit goods through Mali's crossings ({name}: "
                    + ("with Algeria)" if name == "algeria" else "all but Algeria's)"),
                    ("trade", "per_crossing", *tags),
                )
            )
    if "timbuktu" in world.index and any(g.id == "migrants" for g in world.goods):
        out.append(
            Outcome(
                "migrants_through_timbuktu",
                _week("place_good_units", (world.index["timbuktu"], world.good_index("migrants"))),
                "sum",
                "people",
                None,
                "migrants who passed Timbuktu (history check)",
                ("trade", *tags),
            )
        )
    return out


def _ratio_week_at(m: SahelModel, num: str, den: str, g: int) -> float:
    b = m.stats.week[den][g]
    return float(m.stats.week[num][g] / b) if b > 0 else 0.0


def _ratio_to_date_at(m: SahelModel, _values: pd.Series, num: str, den: str, g: int) -> float:
    b = m.stats.to_date(den)[g]
    return float(m.stats.to_date(num)[g] / b) if b > 0 else 0.0


def _ratio_week(num: str, den: str, g: int) -> Callable[[SahelModel], float]:
    return functools.partial(_ratio_week_at, num=num, den=den, g=g)


def _ratio_to_date(num: str, den: str, g: int) -> Callable[[SahelModel, pd.Series], float]:
    return functools.partial(_ratio_to_date_at, num=num, den=den, g=g)


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


def _will(m: SahelModel) -> float:
    return float(m.officials.political_will) if m.officials is not None else 0.0


def _integrity(m: SahelModel) -> float:
    off = m.officials
    if off is None:
        return 0.0
    c = off.cols  # the columns themselves: a table's attributes are looked up in Python
    return float(c["integrity"][c["alive"]].mean())


def _capture(m: SahelModel) -> float:
    return float(m.officials.capture) if m.officials is not None else 0.0


def _gold_event_value(m: SahelModel, key: str) -> float:
    return float(m.gold.events[key]) if m.gold is not None else 0.0


def _gold_event(key: str) -> Callable[[SahelModel], float]:
    return functools.partial(_gold_event_value, key=key)


def _gold_value(m: SahelModel, attr: str, **kwargs) -> float:
    return float(getattr(m.gold, attr)(**kwargs)) if m.gold is not None else 0.0


def state_outcomes() -> list[Outcome]:
    """The state in the network: will, integrity, anti-corruption cases, gold (issue 15; M3, M12, M22-M24)."""
    return [
        Outcome(
            "political_will",
            _will,
            "mean",
            "share",
            "higher",
            "will at the top to punish corruption (moves with rents, events and cases)",
            ("corruption",),
        ),
        Outcome("integrity_mean", _integrity, "mean", "share", "higher", "officials' mean integrity", ("corruption",)),
        Outcome(
            "top_capture",
            _capture,
            "mean",
            "share",
            "lower",
            "share of the top's income that is rents from the trade (002 §III)",
            ("corruption",),
        ),
        Outcome(
            "ac_successes",
            _official_event("ac_successes"),
            "sum",
            "cases",
            "higher",
            "anti-corruption cases that removed an official",
            ("corruption", "policy"),
        ),
        Outcome(
            "ac_failures",
            _official_event("ac_failures"),
            "sum",
            "cases",
            "lower",
            "anti-corruption cases blocked up the patron chain (M12)",
            ("corruption", "policy"),
        ),
        Outcome(
            "gold_licences",
            _gold_event("licences"),
            "sum",
            "licences",
            None,
            "mining licences granted",
            ("corruption", "trade"),
        ),
        Outcome(
            "gold_licensed_operators",
            functools.partial(_gold_value, attr="share_licensed", operators=True),
            "last",
            "share",
            None,
            "share of semi-industrial operators holding a licence (M23)",
            ("corruption", "trade"),
        ),
        Outcome(
            "gold_licensed_artisanal",
            functools.partial(_gold_value, attr="share_licensed", operators=False),
            "last",
            "share",
            "higher",
            "share of artisanal claims holding a licence (M23)",
            ("corruption", "trade", "livelihood"),
        ),
        Outcome(
            "equipment_seized",
            _gold_event("equipment_seized"),
            "sum",
            "seizures",
            None,
            "operators' machines seized at gold sites (M22)",
            ("corruption", "trade"),
        ),
        Outcome(
            "equipment_bought_back",
            _gold_event("bought_back"),
            "sum",
            "auctions",
            "lower",
            "auctions of seized machines won by the same operator (M22)",
            ("corruption", "trade"),
        ),
        Outcome(
            "gold_sites_wagner",
            functools.partial(_gold_value, attr="sites_wagner"),
            "last",
            "sites",
            None,
            "gold sites where Wagner / Africa Corps works a concession (M24)",
            ("armed_groups", "trade"),
        ),
        Outcome(
            "gold_share_held",
            functools.partial(_gold_value, attr="share_held"),
            "mean",
            "share",
            "lower",
            "share of Malian gold mined at sites armed groups hold",
            ("armed_groups", "trade"),
        ),
    ]


def build_registry(model: SahelModel) -> list[Outcome]:
    """Outcomes for this model's goods and places, in column order."""
    world = model.world
    out = [
        Outcome(
            "delivered_value_usd",
            _week("delivered_value"),
            "sum",
            "USD",
            None,
            "value of goods sold at sinks",
            ("headline", "trade"),
        ),
        Outcome(
            "seized_value_usd",
            _week("seized_value"),
            "sum",
            "USD",
            None,
            "value of goods seized, where seized",
            ("trade",),
        ),
        Outcome(
            "seizure_share",
            _share("seized_value", ("seized_value", "delivered_value")),
            _share_to_date("seized_value", ("seized_value", "delivered_value")),
            "share",
            None,
            "share of the value of finished trips that was seized",
            ("headline", "trade"),
        ),
        Outcome("bribes_usd", _bribes, "sum", "USD", "lower", "bribes paid at checkpoints", ("corruption",)),
        Outcome("trips", _week("trips"), "sum", "trips", None, "trips finished (delivered or seized)", ("trade",)),
        Outcome("n_traffickers", _crews_alive, "last", "crews", None, "crews in the trade", ("trade",)),
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
                ("trade",),
            )
        )
    out += [
        Outcome("entrants", _event("entered"), "sum", "crews", None, "crews entering the trade", ("trade",)),
        Outcome("exits", _event("exited"), "sum", "crews", None, "crews leaving (arrests included)", ("trade",)),
        Outcome("arrests", _event("arrested"), "sum", "crews", None, "crews arrested with their cargo", ("trade",)),
        Outcome(
            "route_entropy",
            route_entropy,
            "last",
            "share",
            None,
            "dispersion of flows over candidate routes, to date",
            ("headline", "trade"),
        ),
    ]
    out += actor_outcomes()
    out += policy_outcomes()
    out += state_outcomes()
    goods = np.unique(model.routes.good)
    for g in goods:
        good = world.goods[g]
        out.append(
            Outcome(
                f"delivered.{good.id}",
                _week("delivered", g),
                "sum",
                good.unit,
                None,
                f"{good.id} sold at sinks",
                ("trade", "per_good"),
            )
        )
        out.append(
            Outcome(
                f"seized.{good.id}",
                _week("seized", g),
                "sum",
                good.unit,
                None,
                f"{good.id} seized",
                ("trade", "per_good"),
            )
        )
    for p in world.places_of_kind("crossing"):
        out.append(
            Outcome(
                f"flow_through.{world.place_ids[p]}",
                _week("place_units", int(p)),
                "sum",
                "units",
                None,
                f"units that passed {world.names[p]}",
                ("trade", "per_crossing"),
            )
        )
    out += region_outcomes(model)
    out += crossing_good_outcomes(model, goods)
    out += diagnostic_outcomes(model, goods)
    out += trade_geography_outcomes(model)
    out += ground_outcomes(model)
    out += knowledge_outcomes()
    return out


# --- ground: territory, civilians and militias (issue 14) -------------------------------------


def _held_in_value(m: SahelModel, kind: GroupKind, region: str) -> float:
    groups = m.armed_groups
    if groups is None:
        return 0.0
    return float(groups.held_by_kind_and_region()[int(kind), groups.region_names.index(region)])


def ground_outcomes(model: SahelModel) -> list[Outcome]:
    """Who holds the ground, violence against civilians and militias, overall and per region.

    Places held per region and kind of group are the mean over the run's weeks; control
    changes count the weeks in which a place changed hands (M5, M6; 002 §III).
    """
    events = [
        ("civilian_attacks", "attacks", "lower", "attacks by armed groups on communities (punishment, reprisal; F15)"),
        ("reprisals", "attacks", "lower", "attacks on communities of an identity whose groups harmed the attacker's"),
        ("militias_formed", "groups", None, "self-defence militias raised by threatened communities (000)"),
        ("regions_entered", "events", None, "armed groups moving into a region (002 §III)"),
        ("regions_left", "events", None, "armed groups leaving a region that no longer pays"),
    ]
    out = [
        Outcome(name, _group_event(name), "sum", unit, better, doc, ("violence", "armed_groups"))
        for name, unit, better, doc in events
    ]
    out += [
        Outcome(
            "displaced",
            _week("displaced"),
            "sum",
            "people",
            "lower",
            "people displaced by attacks on communities",
            ("violence", "livelihood"),
        ),
        Outcome(
            "control_changes",
            _week("control_changes"),
            "sum",
            "changes",
            None,
            "places changing hands (taken, cleared, abandoned)",
            ("armed_groups",),
        ),
        Outcome(
            "fighter_exits",
            _groups("exits"),
            "sum",
            "fighters",
            None,
            "fighters leaving their groups for home or licit work (002 Box D)",
            ("armed_groups",),
        ),
    ]
    world = model.world
    region = np.asarray(world.region)
    for name in mali_regions(model):
        slug = region_slug(name)
        places = np.flatnonzero((region == name) & np.asarray(world.in_mali))
        out += [
            Outcome(
                f"displaced.{slug}",
                functools.partial(_week_places, key="displaced", places=places),
                "sum",
                "people",
                "lower",
                f"people displaced by attacks on communities in {name}",
                ("violence", "livelihood", "per_region"),
            ),
            Outcome(
                f"control_changes.{slug}",
                functools.partial(_week_places, key="control_changes", places=places),
                "sum",
                "changes",
                None,
                f"places of {name} changing hands",
                ("armed_groups", "per_region"),
            ),
        ]
        for kind in GroupKind:
            k = kind.name.lower()
            out.append(
                Outcome(
                    f"places_held.{k}.{slug}",
                    functools.partial(_held_in_value, kind=kind, region=name),
                    "mean",
                    "places",
                    None,
                    f"places of {name} held by {k} groups (mean over weeks)",
                    ("armed_groups", "per_region"),
                )
            )
    return out


# --- knowledge of people and what is done with it (sim/knowledge.py; M13, M14) ----------------


def _value_known(m: SahelModel, holder: str) -> float:
    """Share of the illicit value per trip of live crews that ``holder`` (or all, fused) knows."""
    from sim.knowledge import HOLDERS, fuse

    k = getattr(m, "knowledge", None)
    if k is None:
        return 0.0
    c = m.crews.cols
    n = min(k.crews.shape[1], m.crews.size)
    rows = np.flatnonzero(c["alive"][:n] & ~m.crews.livelihood[c["good"][:n]])
    value = c["cargo_value_ref"][rows]
    if not len(rows) or value.sum() <= 0:
        return 0.0
    scores = fuse(k.crews[:, rows]) if holder == "fused" else k.crews[HOLDERS.index(holder), rows]
    return float((scores * value).sum() / value.sum())


def _rents_known(m: SahelModel) -> float:
    """Share of officials' rents (patrons included) that the holders know, fused."""
    from sim.knowledge import fuse

    k, o = getattr(m, "knowledge", None), m.officials
    if k is None or o is None:
        return 0.0
    rows = o.alive_rows()
    rows = rows[rows < k.officials.shape[1]]
    rents = o.cols["rents"][rows]
    return float((fuse(k.officials[:, rows]) * rents).sum() / rents.sum()) if rents.sum() > 0 else 0.0


def _fused_share(m: SahelModel) -> float:
    k = getattr(m, "knowledge", None)
    return k.fused_share() if k is not None else 0.0


def knowledge_outcomes() -> list[Outcome]:
    """What the mission, the state and the Panel know of the networks, and what listings and raids did with it."""
    out = [
        Outcome(
            f"value_known.{holder}",
            functools.partial(_value_known, holder=holder),
            "last",
            "share",
            None,
            f"share of illicit value per trip moved by crews that {doc} knows (knowledge-weighted)",
            ("mission", "trade", "diagnostic"),
        )
        for holder, doc in (
            ("mission", "the mission (JMAC, ASIFU)"),
            ("state", "the Malian state's services"),
            ("panel", "the Panel of Experts"),
            ("fused", "at least one holder"),
        )
    ]
    out += [
        Outcome(
            "knowledge.fused_share",
            _fused_share,
            "last",
            "share",
            None,
            "share of what the holders know of crews that no single holder knows (what fusion would add)",
            ("mission", "diagnostic"),
        ),
        Outcome(
            "rents_known.fused",
            _rents_known,
            "last",
            "share",
            None,
            "share of officials' rents (patrons included) that at least one holder knows",
            ("corruption", "diagnostic"),
        ),
        Outcome(
            "listed_groups",
            _policy_attr("sanctions", "n_listed_groups"),
            "last",
            "groups",
            None,
            "armed-group leaders listed under sanctions",
            ("policy", "armed_groups"),
        ),
        Outcome(
            "listed_officials",
            _policy_attr("sanctions", "n_listed_officials"),
            "last",
            "officials",
            None,
            "officials and patrons listed under sanctions",
            ("policy", "corruption"),
        ),
        Outcome(
            "groups_deterred",
            _policy_attr("sanctions", "deterred"),
            "mean",
            "groups",
            None,
            "armed groups not selling protection for fear of a listing, weekly mean",
            ("policy", "armed_groups"),
        ),
        Outcome(
            "hubs_informed",
            _policy_attr("hub_raids", "informed"),
            "mean",
            "places",
            None,
            "hubs raided because knowledge of crews pointed there, weekly mean",
            ("policy", "trade"),
        ),
    ]
    return out
