"""The weekly collection of outcomes: reporters of one kind computed together, with the same numbers.

The registry (:mod:`sim.outcomes`) gives every outcome its own reporter, a function of the
model, so that any one outcome can be read alone (the browser, a test, a reduction). Called one
by one, the 454 reporters of the default scenario cost a tenth of a week, mostly in the fixed
cost of each call and of each small numpy operation. :class:`Collector` therefore groups the
reporters that read the same thing: all counter entries in one gather from the flat buffer of the week's counters
(:meth:`sim.stats.Stats.flat`), all regional sums of a counter in one row-wise sum, all community
indices of a variable in one product, the armed groups' revenue in one pass over the groups.

Every batch does the arithmetic of its reporters in the same order, so each value is the same
float, bit for bit, as the reporter's own (``tests/test_collection.py`` compares them; a change
to a reporter must change its batch). Reporters without a batch are called one by one.
"""

from __future__ import annotations

import copy
import functools
import types
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, override

import mesa
import numpy as np

from sim import libm
from sim import outcomes as o
from sim.lazy import lazy_module
from sim.names import REVENUE_SOURCES, GroupKind, Kind

kernels = lazy_module("sim.collection_kernels")

if TYPE_CHECKING:
    from sim.model import SahelModel

_NUMBERS = (float, int, bool, np.float64, np.int64, np.bool_)  # immutable: stored as returned
_FLOATS = frozenset({float, np.float64})  # the values pandas makes a float64 column of, as they are


class Batch:
    """The reporters of one reader function, computed in one call.

    Subclasses set ``reader`` (the module-level function the reporters are partials of), or
    ``readers`` for a batch of several, and compute the values of all the calls, in their order,
    in :meth:`values`.

    Args:
        model: The model (for what does not change during a run: indices, names).
        calls: The keyword arguments of each reporter's partial.
    """

    reader: ClassVar[Callable]
    gives_array: ClassVar[bool] = False  # values() gives a new float64 array (its tolist: the values)

    def __init__(self, model: SahelModel, calls: list[dict]):
        self.calls = calls

    @classmethod
    def serves(cls) -> tuple[Callable, ...]:
        """The reader functions whose reporters this batch computes (``readers``, else ``reader``)."""
        return cls.__dict__.get("readers") or (cls.reader,)

    @classmethod
    def call(cls, reader: Callable, kwargs: dict) -> dict:
        """A reporter's call as the batch is given it: its keyword arguments, and ``reader`` in a batch of several."""
        return {**kwargs, "reader": reader} if "readers" in cls.__dict__ else kwargs

    def values(self, m: SahelModel) -> list[float] | np.ndarray:
        """Every reporter's value for the week just run, in the order of ``calls`` (an array if ``gives_array``)."""
        raise NotImplementedError


def _segments(model: SahelModel, entries: list[tuple]) -> tuple[np.ndarray, np.ndarray]:
    """Where each (counter, index) of ``entries`` sits in the flat buffers, end to end, and where each starts.

    An index of ``None`` is the whole counter, in its C order: the order numpy sums it in. Each
    counter's positions are found once (``Stats.positions``) and indexed for each entry of it.
    """
    counters: dict[str, np.ndarray] = {}
    at = []
    for key, index in entries:
        whole = counters.get(key)
        if whole is None:
            whole = counters[key] = np.asarray(model.stats.positions(key), dtype=np.int64)
        at.append(np.ravel(whole if index is None else whole[index]))
    positions = np.concatenate(at) if at else np.zeros(0, dtype=np.int64)
    return positions, np.cumsum([0, *map(len, at)]).astype(np.int64)


class FlatWeek(Batch):
    """The outcomes read from the week's counters alone, in one compiled call (``week_values``).

    Entries (``_week_at``), sums over places (``_week_places``), whole (``_week_sum``) and over
    illicit goods (``_illicit_week``), ratios of two entries (``_ratio_week_at``) and shares of one
    counter in the sum of two (``_share_week``): each a program of segments of the flat buffer of
    the week's counters (:meth:`sim.stats.Stats.flat`), fixed for the run, so each week is one call
    and one ``tolist``. Each value is the reporter's float: the same entries summed in the same
    order (numpy's sum), one division.
    """

    readers = (o._week_at, o._week_places, o._week_sum, o._illicit_week, o._ratio_week_at, o._share_week)

    def __init__(self, model: SahelModel, calls: list[dict]):
        super().__init__(model, calls)
        illicit = o._illicit(model)  # goods do not change during a run
        entries: list[tuple] = []
        op, first = [], []
        for c in calls:
            reader, kind, at = c["reader"], kernels.SUM, [(c.get("key"), None)]
            if reader is o._week_at:
                kind, at = kernels.ENTRY, [(c["key"], c["index"])]
            elif reader is o._week_places:
                at = [(c["key"], c["places"])]
            elif reader is o._illicit_week:
                at = [(c["key"], illicit)]
            elif reader is o._ratio_week_at:
                kind, at = kernels.RATIO, [(c["num"], c["g"]), (c["den"], c["g"])]
            elif reader is o._share_week:
                kind, at = kernels.SHARE, [(c["num"], None), (c["den"][0], None), (c["den"][1], None)]
            op.append(kind)
            first.append(len(entries))
            entries += at
        self.program = (*_segments(model, entries), np.array(op, dtype=np.int64), np.array(first, dtype=np.int64))

    gives_array = True

    @override
    def values(self, m: SahelModel) -> np.ndarray:
        return kernels.week_values(m.stats.flat("week"), *self.program)


_NO_REFERENCE = np.zeros((0, 0))  # the indices' references before any is set: each index against itself


class CommunityIndex(Batch):
    """Population-weighted community indices (``_community_index_value``; :meth:`Communities.index`).

    The weights of every index (population, times the north's or a region's membership) are one
    matrix, and each variable is read once (income is computed once, not once per region). A
    membership of 1.0 or 0.0 multiplies as the booleans ``Communities.index`` uses, and the
    weighted sums are numpy's (:func:`sim.collection_kernels.community_indices`), so the values
    are the same.
    """

    reader = o._community_index_value

    def __init__(self, model: SahelModel, calls: list[dict]):
        super().__init__(model, calls)
        c = model.communities
        if c is None:
            return
        region = np.asarray(model.world.region)[c.place[c.rows]]  # communities never move
        north = c.north[c.rows]
        masks: dict[tuple, int] = {}
        for call in calls:
            masks.setdefault((call.get("north_only", False), call.get("region")), len(masks))
        self.membership = np.ones((len(masks), len(c.rows)))
        for (north_only, name), row in masks.items():
            if north_only:
                self.membership[row] *= north
            if name is not None:
                self.membership[row] *= region == name
        self.regional = np.array([name is not None for _north, name in masks])
        self.names = list(dict.fromkeys(call["name"] for call in calls))
        self.at = (
            np.array([self.names.index(call["name"]) for call in calls], dtype=np.int64),
            np.array([masks[(call.get("north_only", False), call.get("region"))] for call in calls], dtype=np.int64),
        )

    gives_array = True

    @override
    def values(self, m: SahelModel) -> np.ndarray:
        c = m.communities
        if c is None:
            return np.ones(len(self.calls))
        r = c.rows
        weights, empty, denominator = self._fixed(c)
        now = np.empty((len(self.names), len(r)))
        for i, name in enumerate(self.names):
            now[i] = c.income() if name == "income" else c.cols[name].take(r)
        # Only the (variable, weights) pairs asked for, each weighted sum as numpy sums the vector
        # of that variable's weighted values (compiled); no references yet: each index against itself.
        reference = denominator if denominator is not None else _NO_REFERENCE
        empty = empty if empty is not None else np.zeros(len(weights), dtype=bool)
        return kernels.community_indices(weights, now, reference, empty, *self.at)

    @staticmethod
    def _den(weights: np.ndarray, ref: np.ndarray) -> np.ndarray:
        return np.maximum((weights * ref[:, None]).sum(axis=2), 1e-12)

    def _fixed(self, c) -> tuple:
        """The weights, the empty indices and the references' sums: kept while their inputs are the same arrays.

        Populations never change, and the references are replaced, never changed in place
        (:meth:`Communities.set_reference`, and the first recorded week when there is no burn-in):
        inputs that are the same objects give the same numbers.
        """
        refs = tuple(c.ref[name] for name in self.names) if c.ref is not None else None
        kept = self.__dict__.get("_kept")
        if kept is not None:
            rows, population, kept_refs = kept[0]
            if rows is c.rows and population is c.population and _same(kept_refs, refs):
                return kept[1]
        key = (c.rows, c.population, refs)
        weights = c.population[c.rows] * self.membership
        empty = self.regional & ~weights.any(axis=1)
        denominator = self._den(weights, np.stack(refs)) if refs is not None else None  # None: against itself
        fixed = (weights, empty if empty.any() else None, denominator)
        self._kept = (key, fixed)
        return fixed


def _same(a, b) -> bool:
    """Whether two keys of kept values hold the same objects (tuples compared item by item)."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))
    return a is b


def _ground(m: SahelModel) -> tuple:
    """Who holds each place and the kind of each group: what the places held by kind (and region) follow from.

    The hold changes in a few weeks of a run (a place changes hands in about one week in five),
    so the batches that count places held keep their values while this key is the same. The
    places' regions never change.
    """
    memo = m.__dict__.get("week_memo")
    found = memo.get("ground") if memo is not None else None
    if found is None:
        found = (m.territory.holder.tobytes(), tuple(int(g.kind) for g in m.armed_groups.groups))
        if memo is not None:
            memo["ground"] = found
    return found


class HeldIn(Batch):
    """Places held by kind of group and region (``_held_in_value``): one table, many entries."""

    reader = o._held_in_value

    def __init__(self, model: SahelModel, calls: list[dict]):
        super().__init__(model, calls)
        groups = model.armed_groups
        if groups is not None:
            self.at = (
                np.array([int(c["kind"]) for c in calls]),
                np.array([groups.region_names.index(c["region"]) for c in calls]),
            )

    @override
    def values(self, m: SahelModel) -> list[float]:
        groups = m.armed_groups
        if groups is None:
            return [0.0] * len(self.calls)
        key = _ground(m)
        kept = self.__dict__.get("_kept")
        if kept is None or kept[0] != key:
            kept = self._kept = (key, groups.held_by_kind_and_region()[self.at].tolist())
        return kept[1]


class GroupRevenue(Batch):
    """Armed groups' revenue, all and by source (``_revenue_value``) and by kind and source (``_kind_revenue``).

    One pass over the groups, in their order: each source's sum adds the groups' revenue from
    0.0 as :meth:`ArmedGroups.revenue_by_source` does (the whole is Python's ``sum`` of the
    sources, in their order), and each kind's as ``_kind_revenue`` does. Kinds are looked up as
    plain integers: an enum member's hash is a Python-level call.
    """

    readers = (o._revenue_value, o._kind_revenue)

    def __init__(self, model: SahelModel, calls: list[dict]):
        super().__init__(model, calls)
        self.wanted: dict[int, list[tuple[str, int]]] = {}
        self.sources: list[tuple[int, str | None]] = []  # where each ``_revenue_value`` goes, and its source
        for i, c in enumerate(calls):
            if c["reader"] is o._kind_revenue:
                self.wanted.setdefault(int(c["kind"]), []).append((c["source"], i))
            else:
                self.sources.append((i, c["source"]))

    @override
    def values(self, m: SahelModel) -> list[float]:
        groups = m.armed_groups
        totals = [0.0] * len(self.calls)
        if groups is None:
            for i, source in self.sources:
                totals[i] = o._revenue_value(m, source)
            return totals
        by_source = dict.fromkeys(REVENUE_SOURCES, 0.0)
        wanted = self.wanted
        for g in groups.groups:
            revenue = g.revenue
            for source, amount in revenue.items():
                by_source[source] += amount
            for source, i in wanted.get(int(g.kind), ()):
                totals[i] += revenue[source]
        for i, source in self.sources:
            totals[i] = float(sum(by_source.values()) if source is None else by_source[source])
        return totals


_NO_SCORES = np.zeros((1, 0))  # the holders' scores when there is no knowledge: no crew has any


def _crews_week(m: SahelModel) -> tuple:
    """The live crews' tallies and the holders' knowledge of them, in one compiled pass (kept for the week).

    :func:`sim.collection_kernels.crews_week` gives, for the batches that read the live crews
    (:class:`CrewsCarrying`, :class:`MercenaryShare`, :class:`KindCount`, :class:`ValueKnown`,
    :class:`FusedShare`), what each of them computed from them, with the same numbers.
    """
    memo = m.__dict__.get("week_memo")
    found = memo.get("crews_week") if memo is not None else None
    if found is None:
        c = m.crews.cols
        k = getattr(m, "knowledge", None)
        known = k.crews if k is not None else _NO_SCORES
        found = kernels.crews_week(
            o.alive_crews(m),
            c["good"],
            c["kind"],
            m.crews.livelihood,
            c["cargo_value_ref"],
            known,
            len(m.world.goods),
            len(Kind),
            int(Kind.MERCENARY),
        )
        if memo is not None:
            memo["crews_week"] = found
    return found


class CrewsCarrying(Batch):
    """Crews carrying each good (``_crews_carrying``): one tally of the crews."""

    reader = o._crews_carrying

    @override
    def values(self, m: SahelModel) -> list[float]:
        carrying = _crews_week(m)[0]
        return [float(carrying[c["good"]]) for c in self.calls]


class MercenaryShare(Batch):
    """Mercenary share of each good's crews (``_mercenary_share``): the same tally."""

    reader = o._mercenary_share

    @override
    def values(self, m: SahelModel) -> list[float]:
        carrying, mercenary = _crews_week(m)[:2]
        out = []
        for c in self.calls:
            n = int(carrying[c["good"]])
            out.append(float(mercenary[c["good"]] / n) if n else 0.0)
        return out


class EventCounts(Batch):
    """Counts of the week's events of the model, the armed groups, the officials and the gold sites.

    The readers ``_event_value``, ``_group_event_value``, ``_official_event_value`` and
    ``_gold_event_value``: each holder's dictionary looked up once; an actor switched off counts 0.
    """

    readers = (o._event_value, o._group_event_value, o._official_event_value, o._gold_event_value)
    holders = ("stats", "armed_groups", "officials", "gold")  # the model's attribute each reader reads

    def __init__(self, model: SahelModel, calls: list[dict]):
        super().__init__(model, calls)
        holder = dict(zip(self.readers, self.holders, strict=True))
        self.at = [(holder[c["reader"]], c["key"]) for c in calls]
        self.read = tuple(dict.fromkeys(h for h, _key in self.at))

    @override
    def values(self, m: SahelModel) -> list[float]:
        actors = {h: getattr(m, h) for h in self.read}
        events = {h: actor.events for h, actor in actors.items() if actor is not None}
        return [float(events[h][key]) if h in events else 0.0 for h, key in self.at]


class PolicyAttr(Batch):
    """Attributes of the active policies (``_policy_attr_value``): each policy looked up once."""

    reader = o._policy_attr_value

    @override
    def values(self, m: SahelModel) -> list[float]:
        found = {name: m.policy(name) for name in {c["name"] for c in self.calls}}
        return [
            float(getattr(found[c["name"]], c["attr"])) if found[c["name"]] is not None else 0.0 for c in self.calls
        ]


class ValueKnown(Batch):
    """Share of illicit value per trip known to each holder (``_value_known``): from :func:`_crews_week`."""

    reader = o._value_known

    def __init__(self, model: SahelModel, calls: list[dict]):
        super().__init__(model, calls)
        from sim.knowledge import HOLDERS

        self.rows = [None if c["holder"] == "fused" else HOLDERS.index(c["holder"]) for c in calls]

    @override
    def values(self, m: SahelModel) -> list[float]:
        if getattr(m, "knowledge", None) is None:
            return [0.0] * len(self.calls)
        n, total, weighted, fused, *_ = _crews_week(m)[3:]
        if not n or total <= 0:
            return [0.0] * len(self.calls)
        fused = float(fused / total) if None in self.rows else 0.0
        return [fused if row is None else float(weighted[row] / total) for row in self.rows]


class FusedShare(Batch):
    """What fusion would add (``_fused_share``; :meth:`sim.knowledge.Knowledge.fused_share`), row by row."""

    reader = o._fused_share

    @override
    def values(self, m: SahelModel) -> list[float]:
        k = getattr(m, "knowledge", None)
        if k is None:
            return [0.0] * len(self.calls)
        fused, best = (float(x) for x in _crews_week(m)[7:])
        return [(fused - best) / fused if fused > 0 else 0.0] * len(self.calls)


class RentsKnown(Batch):
    """Share of officials' rents the holders know, fused (``_rents_known``): one compiled pass (``rents_known``)."""

    reader = o._rents_known

    @override
    def values(self, m: SahelModel) -> list[float]:
        k, officials = getattr(m, "knowledge", None), m.officials
        if k is None or officials is None:
            return [0.0] * len(self.calls)
        total, weighted = kernels.rents_known(officials.alive_rows(), officials.cols["rents"], k.officials)
        if not total > 0:
            return [0.0] * len(self.calls)
        return [float(weighted / total)] * len(self.calls)


class HeldBy(Batch):
    """Places held by each kind of group (``_held_by_value``): the holders' kinds looked up once."""

    reader = o._held_by_value

    @override
    def values(self, m: SahelModel) -> list[float]:
        groups = m.armed_groups
        if groups is None:
            return [0.0] * len(self.calls)
        key = _ground(m)
        kept = self.__dict__.get("_kept")
        if kept is None or kept[0] != key:
            holder = m.territory.holder
            kinds = np.array([*key[1], -1])[holder[holder >= 0]]
            counts = np.bincount(kinds + 1, minlength=len(GroupKind) + 1)  # a count, exact: -1 first
            kept = self._kept = (key, [float(counts[int(c["kind"]) + 1]) for c in self.calls])
        return kept[1]


class KindCount(Batch):
    """Crews of each kind (``_kind_count``): the kinds of the live crews read once."""

    reader = o._kind_count

    @override
    def values(self, m: SahelModel) -> list[float]:
        counts = _crews_week(m)[2]
        return [float(counts[int(c["kind"])]) for c in self.calls]


class CommunityLevel(Batch):
    """Population-weighted levels (``_community_level``): ``np.average``'s arithmetic, weights summed once."""

    reader = o._community_level

    @override
    def values(self, m: SahelModel) -> list[float]:
        c = m.communities
        if c is None:
            return [0.0] * len(self.calls)
        weights = c.population[c.rows]
        scale = weights.sum()
        if scale == 0.0:
            raise ZeroDivisionError("Weights sum to zero, can't be normalized")
        return [float((c.cols[call["key"]][c.rows] * weights).sum() / scale) for call in self.calls]


class IllicitThrough(Batch):
    """Sink value of illicit goods through sets of places (``_illicit_value_through``): the weights built once."""

    reader = o._illicit_value_through

    def __init__(self, model: SahelModel, calls: list[dict]):
        super().__init__(model, calls)
        self.illicit = o._illicit(model)
        self.at = [(bool(c["week"]), np.asarray(c["places"])) for c in calls]
        self.to_date = not all(week for week, _places in self.at)

    @override
    def values(self, m: SahelModel) -> list[float]:
        weights = np.where(self.illicit, m.market.value_sink, 0.0)
        stats = m.stats
        units = {True: stats.week["place_good_units"]}
        if self.to_date:
            units[False] = stats.to_date("place_good_units")  # once, not once per reporter
        return [float((units[week][places] * weights).sum()) for week, places in self.at]


class ProcessValue(Batch):
    """Choices in the peace processes (``_process_value``): each policy looked up once."""

    reader = o._process_value

    @override
    def values(self, m: SahelModel) -> list[float]:
        found = {name: m.policy(name) for name in {c["name"] for c in self.calls}}
        out = []
        for c in self.calls:
            policy = found[c["name"]]
            if policy is None:
                out.append(0.0)
                continue
            value = getattr(policy.process, c["attr"])
            out.append(float(len(value) if isinstance(value, set) else value))
        return out


class RouteEntropy(Batch):
    """Dispersion of flows over candidate routes (:func:`sim.outcomes.route_entropy`), the goods' routes side by side.

    The routes are put in order of good (stably: each good's routes keep their order), so each
    good's units are one contiguous slice: its sum, and the sum of ``p log p`` over its routes
    that carried something, are the same sums of the same numbers in the same order as the
    reporter's (compiled: :func:`sim.collection_kernels.route_shares` and ``route_entropy``). The
    logarithms are numpy's, taken for all routes at once.
    """

    reader = o.route_entropy

    def __init__(self, model: SahelModel, calls: list[dict]):
        super().__init__(model, calls)
        good = model.routes.good
        self.order = np.argsort(good, kind="stable")
        self.starts = np.searchsorted(good[self.order], np.arange(len(model.world.goods) + 1))
        n = np.diff(self.starts)
        self.log_n = np.where(n >= 2, libm.log(np.maximum(n, 1)), np.nan)  # the reporter's log(n); NaN: skipped

    @override
    def values(self, m: SahelModel) -> list[float]:
        stats = m.stats
        args = (stats.total["route_units"], stats.week["route_units"], m.routes.good, self.order, self.starts)
        value, p, ends, total = kernels.route_shares(*args, m.market.value_sink)
        if total <= 0:
            return [0.0] * len(self.calls)
        return [kernels.route_entropy(value, total, p, libm.log(p), ends, self.log_n)] * len(self.calls)


class GoldValue(Batch):
    """What the gold sites show (``_gold_value``): their methods, called in one pass."""

    reader = o._gold_value

    def __init__(self, model: SahelModel, calls: list[dict]):
        super().__init__(model, calls)
        self.methods = [(c["attr"], {k: v for k, v in c.items() if k != "attr"}) for c in calls]

    @override
    def values(self, m: SahelModel) -> list[float]:
        gold = m.gold
        if gold is None:
            return [0.0] * len(self.calls)
        return [float(getattr(gold, attr)(**kwargs)) for attr, kwargs in self.methods]


class WarValue(Batch):
    """The mission's war (``_war_value``): attributes of one object."""

    reader = o._war_value

    @override
    def values(self, m: SahelModel) -> list[float]:
        if m.forces is None:
            return [0.0] * len(self.calls)
        war = m.forces.war
        return [float(getattr(war, c["attr"])) for c in self.calls]


class GroupsValue(Batch):
    """Attributes of the armed groups as a whole (``_groups_value``); a dictionary reads as 0."""

    reader = o._groups_value

    @override
    def values(self, m: SahelModel) -> list[float]:
        groups = m.armed_groups
        if groups is None:
            return [0.0] * len(self.calls)
        out = []
        for c in self.calls:
            value = getattr(groups, c["attr"])
            out.append(float(value) if not isinstance(value, dict) else 0.0)
        return out


BATCHES: dict[Callable, type[Batch]] = {
    reader: b
    for b in (
        FlatWeek,
        CommunityIndex,
        HeldIn,
        GroupRevenue,
        CrewsCarrying,
        MercenaryShare,
        EventCounts,
        PolicyAttr,
        ValueKnown,
        RouteEntropy,
        FusedShare,
        RentsKnown,
        HeldBy,
        KindCount,
        CommunityLevel,
        IllicitThrough,
        ProcessValue,
        GoldValue,
        WarValue,
        GroupsValue,
    )
    for reader in b.serves()
}


def reader_and_calls(reporter) -> tuple[Callable, dict]:
    """The module-level function behind a reporter and its keyword arguments."""
    if isinstance(reporter, functools.partial) and not reporter.args:
        return reporter.func, reporter.keywords
    return reporter, {}


def plan(model: SahelModel, reporters: dict[str, Callable]) -> tuple[list, list]:
    """Split reporters into batches (names and a :class:`Batch`) and single reporters (name, reporter)."""
    grouped: dict[type[Batch], tuple[list[str], list[dict]]] = {}
    singles = []
    for name, reporter in reporters.items():
        reader, kwargs = reader_and_calls(reporter)
        batch = BATCHES.get(reader)
        if batch is not None:
            names, calls = grouped.setdefault(batch, ([], []))
            names.append(name)
            calls.append(batch.call(reader, kwargs))
        else:
            singles.append((name, reporter))
    batches = [(names, batch(model, calls)) for batch, (names, calls) in grouped.items()]
    return batches, singles


class Collector(mesa.DataCollector):
    """Mesa's DataCollector, computing reporters of one kind together and storing numbers as returned.

    Mesa deep-copies each reporter's value so later changes cannot reach the record; a number
    cannot change, so numbers are stored as returned and any other value is deep-copied. Reporters
    whose reader has a :class:`Batch` are computed by it (same values); reporters that are not
    functions, and agent reporters, go through Mesa's own ``collect``. The records are the same.

    A week's values are kept as one row, in the order of the plan (batches, then single
    reporters), and moved into Mesa's per-reporter lists (``model_vars``) when those are read:
    one list extended per batch instead of one append per reporter every week. The batches that
    give a float64 array (``Batch.gives_array``) keep it as it is, one array a week, and their
    records are the Python floats of its ``tolist`` when they are moved: no Python float is made
    for them while the run goes on.
    """

    @property
    def model_vars(self) -> dict[str, list]:
        """Every model reporter's recorded values, week by week (Mesa's records)."""
        self._flush()
        return self.__dict__["_model_vars"]

    @model_vars.setter
    def model_vars(self, value: dict[str, list]) -> None:
        self.__dict__["_model_vars"] = value
        self.__dict__["_rows"] = []
        self.__dict__["_array_rows"] = []

    def _flush(self) -> None:
        """Move the weeks kept as rows (and arrays) into the per-reporter lists, column by column."""
        records = self.__dict__.get("_model_vars")
        rows, arrays = self._pending_rows(), self._pending_arrays()
        if rows is not None:
            order = self._order
            for j, var in enumerate(order):
                records[var].extend(rows[j :: len(order)])
            self._rows.clear()
        if arrays is not None:
            for var, column in zip(self._array_order, arrays.T.tolist(), strict=True):
                records[var].extend(column)
            self._array_rows.clear()

    def _pending_rows(self) -> list | None:
        """The rows of the weeks not yet moved (None if none)."""
        rows = self.__dict__.get("_rows") or None
        if rows is not None and len(rows) % len(self._order):
            raise RuntimeError(f"collector rows hold {len(rows)} values, not whole weeks of {len(self._order)}")
        return rows

    def _pending_arrays(self) -> np.ndarray | None:
        """The arrays of the weeks not yet moved, as one matrix (week by reporter; None if none)."""
        arrays = self.__dict__.get("_array_rows") or None
        return np.concatenate(arrays).reshape(len(arrays), len(self._array_order)) if arrays is not None else None

    def records_of(self, name: str) -> list:
        """One reporter's recorded values, ``model_vars[name]``, without moving every reporter's rows.

        A run's totals read a few series besides their own column (``_second_half_share``): each
        takes its entries from the weeks' rows, a strided slice, where ``model_vars`` would first
        move all 454 reporters' rows into their lists.
        """
        recorded = self.__dict__["_model_vars"][name]
        if name in self.__dict__.get("_array_order", ()):
            arrays = self._pending_arrays()
            return recorded + arrays[:, self._array_order.index(name)].tolist() if arrays is not None else recorded
        rows = self._pending_rows()
        return recorded + rows[self._order.index(name) :: len(self._order)] if rows is not None else recorded

    def float_block(self) -> tuple[list[str], np.ndarray] | None:
        """The reporters' names and their records as one array (reporter by week), read from the weeks' rows.

        Only when every week is still a row (none moved into ``model_vars``) and every value is a
        Python float or a numpy float64 (the arrays' are): the numbers pandas' per-column
        conversion of ``model_vars`` gives, in its order, without moving the rows into 454 lists
        first (they stay rows until ``model_vars`` is read). Otherwise None.
        """
        records = self.__dict__.get("_model_vars")
        if records is None or "_order" not in self.__dict__ or any(records.values()):
            return None
        rows, arrays = self._pending_rows(), self._pending_arrays()
        order, array_order = self._order, self.__dict__.get("_array_order", [])
        at = {var: j for j, var in enumerate([*order, *array_order])}
        if (rows is None and arrays is None) or at.keys() != records.keys() or len(at) != len(records):
            return None
        parts = []
        if order:
            if rows is None or not _FLOATS.issuperset(map(type, rows)):
                return None
            parts.append(np.fromiter(rows, np.float64, len(rows)).reshape(-1, len(order)))
        if array_order:
            if arrays is None:
                return None
            parts.append(arrays)
        if len({len(p) for p in parts}) != 1:
            return None
        weeks = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
        return list(records), np.ascontiguousarray(weeks.T[[at[var] for var in records]])

    def __getstate__(self) -> dict:
        """Pickle the records as Mesa's lists, without the plan of the reporters (redone after loading)."""
        self._flush()
        plan_keys = ("_checked", "_plain", "_plan", "_order", "_array_order", "_parts")
        state = {k: v for k, v in self.__dict__.items() if k not in plan_keys}
        state["_rows"] = []
        state["_array_rows"] = []
        return state

    def __setstate__(self, state: dict) -> None:
        """Load a pickled collector, also one saved when the records were a plain attribute."""
        state = dict(state)
        if "model_vars" in state:
            state["_model_vars"] = state.pop("model_vars")
        state.setdefault("_rows", [])
        state.setdefault("_array_rows", [])
        self.__dict__.update(state)

    def collect(self, model) -> None:
        """Record every model reporter's value for this week."""
        reporters = self.model_reporters
        checked = self.__dict__.get("_checked", (None, None))
        if checked[0] is not reporters or checked[1] is not model:  # planned once per set of reporters
            self._flush()  # rows in the old plan's order go first
            self._plain = all(map(_is_function, reporters.values()))
            self._plan = plan(model, reporters) if self._plain else ([], [])
            batches, singles = self._plan
            arrays = [(names, b) for names, b in batches if b.gives_array]
            lists = [(names, b) for names, b in batches if not b.gives_array]
            self._parts = (arrays, lists, singles)
            self._order = [var for names, _batch in lists for var in names] + [var for var, _ in singles]
            self._array_order = [var for names, _batch in arrays for var in names]
            self._checked = (reporters, model)
        if self.agent_reporters or self.agenttype_reporters or not self._plain:
            super().collect(model)
            return
        if hasattr(self, "_collection_steps"):
            self._collection_steps.append(model.time)
        if not self._validated:
            for name, reporter in reporters.items():
                self._validate_model_reporter(name, reporter, model)
        arrays, lists, singles = self._parts
        if arrays:
            week = [_checked_values(batch, names, model) for names, batch in arrays]
            self._array_rows.append(week[0] if len(week) == 1 else np.concatenate(week))
        row = self._rows
        for names, batch in lists:
            row.extend(_checked_values(batch, names, model))
        for _var, reporter in singles:
            value = reporter(model)
            row.append(value if type(value) in _NUMBERS else copy.deepcopy(value))


def _checked_values(batch: Batch, names: list[str], model: SahelModel):
    """A batch's values for the week, one for each of its reporters."""
    values = batch.values(model)
    if len(values) != len(names):
        raise RuntimeError(f"{type(batch).__name__} gave {len(values)} values for {len(names)} reporters")
    return values


def _is_function(reporter) -> bool:
    return isinstance(reporter, types.FunctionType | functools.partial)
