"""Shared enums and names: the bottom layer, importing nothing from the model.

Parameters, policies, outcomes and the analysis code name kinds of armed group, kinds of crew,
revenue sources and kinds of place. Declaring them here, rather than beside the agents that use
them, lets ``import sim.params`` (and every configuration tool) run without loading the agents,
Mesa or networkx.
"""

from __future__ import annotations

import enum

PLACE_KINDS = ("town", "crossing", "gold_site", "source", "market")
TERRAINS = ("paved", "laterite", "track", "desert", "river", "air")
REVENUE_SOURCES = ("tolls", "protection", "kidnapping", "rustling", "community_taxation", "trafficking")


class GroupKind(enum.IntEnum):
    """Kinds of armed group (002 Box B)."""

    SIGNATORY = 0
    PRO_GOVERNMENT = 1
    JIHADIST = 2
    SELF_DEFENCE = 3


class Kind(enum.IntEnum):
    """Kinds of crew (002 §II; 000)."""

    LOCAL = 0
    TRANSNATIONAL = 1
    MERCENARY = 2
