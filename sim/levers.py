"""Levers: the weekly hooks through which policies act on the agents' own rules.

Every week the model resets the levers to neutral, the active policies set them, and agents
read them where they decide: officials when they inspect, communities when they earn, groups
when they fight or sell protection, forces when they plan. No policy edits an outcome.
"""

from __future__ import annotations

import numpy as np


def either(p, q):
    """Odds that at least one of two independent chances comes off: 1 - (1 - p)(1 - q)."""
    return 1 - (1 - p) * (1 - q)


class Levers:
    """Neutral values, reset every week.

    Args:
        n_places: Places in the world.
        n_goods: Goods in the world.
    """

    def __init__(self, n_places: int, n_goods: int, n_groups: int = 0, n_edges: int = 0):
        self.inspection = np.ones((n_places, n_goods))  # multiplier on checkpoint detection
        self.raid_seize = np.zeros((n_places, n_goods))  # seizure odds of honest raid units
        self.licit = np.ones(n_places)  # multiplier on licit income
        self.presence = np.zeros(n_places)  # state presence added (services)
        self.trust = np.zeros(n_places)  # added to the target of trust in the state
        self.capacity = np.zeros(n_places)  # added to officials' capacity
        self.retaliation = np.zeros(n_places)  # expected attacks on the mission provoked at each place (M20)
        self.supply = np.ones(n_groups)  # multiplier on the supply of each (good, source)
        self.closed = np.zeros(n_edges, dtype=bool)  # links across a closed border (002 Box C)
        self.reset()

    def reset(self) -> None:
        """Back to neutral for a new week."""
        self.inspection.fill(1.0)
        self.raid_seize.fill(0.0)
        self.licit.fill(1.0)
        self.presence.fill(0.0)
        self.trust.fill(0.0)
        self.capacity.fill(0.0)
        self.retaliation.fill(0.0)
        self.supply.fill(1.0)
        self.closed.fill(False)
        self.oversight = 1.0  # multiplier on the risk that corrupt acts are caught
        self.political_will: float | None = None  # the will the top drifts toward, in place of the scenario's
        self.pressure = 0.0  # external pressure on the top, added to its will target (timeline)
        self.investigations = 0  # anti-corruption cases opened this week (M12)
        self.ct_strength = 1.0  # multiplier on counter-terrorism forces
        self.ct_targeting: str | None = None
        self.mission_strength: float | None = None
        self.mission_oc_weight: float | None = None
        self.deals: list[frozenset[int]] = []  # groups sharing rents and not fighting (M11)
        self.no_protection_groups: set[int] = set()  # groups that chose to stop selling protection (M14)
        self.disengaged: set[int] = set()  # groups out of the trade under conditional accommodation (M18)
        self.formal_gold = 0.0  # share of artisanal gold sold through official channels
        self.licence_cost = 1.0  # multiplier on the fee of a mining licence (gold formalization)
        self.licence_help = 0.0  # added to miners' odds of completing the licence file (gold formalization)
        self.formal_premium = 0.0  # price gain of selling to an official buyer, share of the site price
        self.jobs = 0.0  # share of ex-combatants' needs met by licit work (M10)
        self.intel_acted = False  # whether raids and listings act on knowledge of people this week (M13)
        self.fusion = 0.0  # how far decisions read every holder's knowledge, not only their own (M13)
        self.cost = 0.0  # what the policies cost this week, in US dollars
