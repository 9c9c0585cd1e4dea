"""Policy targets: one resolution of names, shared by the pre-flight and the model.

A target is ``kind:name`` (``place:Kidal``, ``region:Kidal``, ``country:Algeria``,
``group:CMA``, ``good:gold``) or a bare name. Names match case-insensitively. A bare name is
accepted when it names exactly one thing among the kinds the policy acts on; otherwise the
error lists the prefixed candidates (every Malian region shares its capital's name, so
``Kidal`` alone is ambiguous for a policy that acts on places and regions). A region of
places abroad that bears its country's name (``Algeria``) is that country, so for border
control ``Algeria`` means the crossings between Mali and Algeria. A place name that several
places share must be given by id (``place:<id>``). A target that selects nothing (a region
without crossings for border control, a country with no crossing into Mali) is an error too,
so no policy is ever a silent no-op.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import numpy as np

from sim.errors import ConfigError
from sim.names import PLACE_KINDS, GroupKind

# The prefix of each kind of target, by the plural a policy's ``target_kinds`` uses.
PREFIX = {"places": "place", "regions": "region", "countries": "country", "groups": "group", "goods": "good"}
KIND_OF_PREFIX = {v: k for k, v in PREFIX.items()}


@dataclass
class Catalog:
    """Every name a target can take, by kind, keyed by its lower-case form."""

    places: dict[str, list[int]] = field(default_factory=dict)  # id or name -> place indices
    regions: dict[str, str] = field(default_factory=dict)
    countries: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    goods: dict[str, str] = field(default_factory=dict)


def catalog(world, group_names: set[str]) -> Catalog:
    """The names of a world and a scenario's armed groups (names, ids, blocs, kinds)."""
    cat = Catalog()
    for i, (pid, name) in enumerate(zip(world.place_ids, world.names, strict=True)):
        cat.places.setdefault(pid.lower(), [])
        if i not in cat.places[pid.lower()]:
            cat.places[pid.lower()].append(i)
        if name.lower() != pid.lower():
            cat.places.setdefault(name.lower(), []).append(i)
    cat.regions = {r.lower(): r for r in world.region}
    cat.countries = {c.lower(): c for c in world.country}
    cat.groups = {g.lower(): g for g in group_names} | {k.name.lower(): k.name.lower() for k in GroupKind}
    cat.goods = {g.id.lower(): g.id for g in world.goods}
    return cat


@dataclass(frozen=True)
class Target:
    """A resolved target: its kind (plural, as in ``target_kinds``) and canonical name."""

    kind: str
    name: str
    places: tuple[int, ...] = ()  # for a place: the place's index


def _candidates(cat: Catalog, kind: str, low: str) -> list[Target]:
    if kind == "places":
        return [Target("places", f"{i}", (i,)) for i in cat.places.get(low, [])]
    found = getattr(cat, kind).get(low)
    return [Target(kind, found)] if found is not None else []


def _spell(world, t: Target) -> str:
    if t.kind == "places":
        i = t.places[0]
        return f"place:{world.place_ids[i]} ({world.names[i]})"
    return f"{PREFIX[t.kind]}:{t.name}"


def _display(world, cat: Catalog, kind: str, low: str) -> str:
    if kind == "places":
        return world.names[cat.places[low][0]]
    return getattr(cat, kind)[low]


def resolve(world, cat: Catalog, target: str, kinds: tuple[str, ...], key: str) -> Target:
    """The one thing a target names among ``kinds``.

    Raises:
        ConfigError: unknown (with a close match if any), of a kind the policy does not act on,
            or ambiguous (listing the prefixed candidates).
    """
    allowed = " or ".join(kinds) if kinds else "none (this policy takes no targets)"
    prefix, sep, rest = target.partition(":")
    if sep and prefix.strip().lower() in KIND_OF_PREFIX:
        kind = KIND_OF_PREFIX[prefix.strip().lower()]
        if kind not in kinds:
            raise ConfigError(key, target, allowed, "not a target of this policy")
        search, name = (kind,), rest.strip()
    else:
        search, name = kinds, target.strip()
    found = [t for kind in search for t in _candidates(cat, kind, name.lower())]
    if "countries" in search and any(t.kind == "countries" for t in found):
        # A region abroad named after its country is the country.
        found = [t for t in found if not (t.kind == "regions" and t.name.lower() == name.lower())]
    if len(found) == 1:
        return found[0]
    if found:
        options = ", ".join(_spell(world, t) for t in found)
        raise ConfigError(key, target, f"one of {options}", "ambiguous target")
    known = {n: _display(world, cat, kind, n) for kind in search for n in getattr(cat, kind)}
    near = [known[n] for n in difflib.get_close_matches(name.lower(), sorted(known), n=3, cutoff=0.75)]
    if not near and not sep:
        others = [k for k in PREFIX if k not in kinds and _candidates(cat, k, name.lower())]
        if others:
            raise ConfigError(key, target, allowed, "not a target of this policy")
    hint = f" (did you mean {', '.join(near)}?)" if near else ""
    examples = "e.g. place:Gao, region:Kidal, country:Algeria, group:CMA"
    raise ConfigError(key, target, f"{allowed}, by name or as kind:name, {examples}", f"unknown target{hint}")


def crossings_to(world, country: str) -> np.ndarray:
    """Crossings on Mali's border with ``country``: those in it, or linked to a place in it."""
    crossing = world.kind == PLACE_KINDS.index("crossing")
    out = []
    for c in np.flatnonzero(crossing):
        ends = {world.country[n] for n in world.graph.neighbors(int(c))} | {world.country[c]}
        if country in ends and (world.country[c] == "Mali" or "Mali" in ends):
            out.append(int(c))
    return np.array(out, dtype=np.int64)


def places_of(world, t: Target, crossings_only: bool) -> set[int]:
    """Place indices a resolved place, region or country target acts on."""
    crossing = world.kind == PLACE_KINDS.index("crossing")
    if t.kind == "places":
        return set(t.places)
    if t.kind == "regions":
        sel = np.array(world.region) == t.name
        return set(np.flatnonzero(sel & (crossing if crossings_only else True)).tolist())
    if t.kind == "countries":
        return set(crossings_to(world, t.name).tolist())
    return set()
