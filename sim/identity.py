"""Communal identity of communities and armed groups (002 §II, Box B; 000).

The texts name the communities the conflict runs through: Tuareg and Arab communities of the
north with their own armed groups (002 §II; Box B: the MNLA "predominantly Tuareg", GATIA the
"Self-Defence Group of Imghad Tuareg", the Arab Movement of Azawad), Katiba Macina in Mopti and
Ségou, and "local self-defence organizations" in central Mali (002 §III; F15). Recruitment,
alliances, grievances and violence against civilians depend on identity (see
:mod:`sim.agents.armed_group`).

Each Malian place gets one identity, the largest group of its people: the population shares of
each region (``population.identities`` in actors.yaml, an assumption with its basis there) are
met as closely as the region's few places allow, largest place first. One identity a place is a
simplification: a town of mixed people counts as its largest group.
"""

from __future__ import annotations

import numpy as np

IDENTITIES = ("tuareg", "arab", "songhai", "fulani", "dogon", "bambara", "other")
OTHER = IDENTITIES.index("other")


def identity_index(name: str | None) -> int:
    """Index of a named identity (``None``: ``other``).

    Raises:
        ValueError: For a name outside :data:`IDENTITIES`.
    """
    if name is None:
        return OTHER
    key = name.lower()
    if key not in IDENTITIES:
        raise ValueError(f"unknown identity {name!r}; known: {', '.join(IDENTITIES)}")
    return IDENTITIES.index(key)


def assign(population: np.ndarray, region: np.ndarray, shares: dict[str, dict[str, float]]) -> np.ndarray:
    """Identity of each place, meeting each region's population shares as well as its places allow.

    Places are taken largest first (ties by index); each goes to the identity furthest below its
    share of the region's people. Regions without shares are ``other``.

    Args:
        population: People at each place.
        region: Region name of each place.
        shares: ``{region: {identity: share}}``; shares of a region need not sum to 1 (they are
            normalised).

    Returns:
        Index into :data:`IDENTITIES` for each place.
    """
    out = np.full(len(population), OTHER, dtype=np.int64)
    for name, parts in shares.items():
        places = np.flatnonzero(region == name)
        if not len(places):
            continue
        ids = np.array([identity_index(k) for k in parts], dtype=np.int64)
        weight = np.array([float(v) for v in parts.values()])
        if weight.sum() <= 0:
            raise ValueError(f"identity shares of {name} sum to zero")
        target = weight / weight.sum() * population[places].sum()
        got = np.zeros(len(ids))
        for p in places[np.lexsort((places, -population[places]))]:
            k = int(np.argmax(target - got))
            out[p] = ids[k]
            got[k] += population[p]
    return out
