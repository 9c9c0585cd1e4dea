"""The shared interface of interventions: a time window, an intensity, targets, a cost.

A policy is a config dataclass (what the user sets, validated like every parameter) and a
:class:`Policy` that, in each week of its window, sets :class:`sim.levers.Levers` or calls the
hooks agents already use (starsim's intervention pattern). Targets are names resolved against
the world and the scenario's groups by :mod:`sim.policies.targets` (``place:Kidal``,
``region:Kidal``, ``country:Algeria``, or a bare name that names one thing).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sim.errors import ConfigError
from sim.names import PLACE_KINDS
from sim.paramspec import param
from sim.policies.targets import Target, crossings_to, places_of, resolve

if TYPE_CHECKING:
    from sim.levers import Levers
    from sim.model import SahelModel


@dataclass
class PolicyConfig:
    """Fields every policy has."""

    enabled: bool = param(
        False, doc="whether the policy is on (the files in simcli/configs/policy/ switch it on)", source="policy input"
    )
    start: int | str = param(
        1, doc="first week (1 is the first recorded week) or ISO date", source="policy input", low=1
    )
    end: int | str | None = param(
        None, doc="last week or ISO date (empty: to the end of the run)", source="policy input", low=1
    )
    intensity: float = param(
        1.0, doc="strength of the policy (1 is its nominal level)", source="policy input", low=0, high=10
    )
    targets: list[str] = param(
        [], doc="places, regions, countries, groups or goods it targets (empty: its default)", source="policy input"
    )

    def check(self, prefix: str) -> None:
        """End after start, when both are weeks or both are dates."""
        for key in ("start", "end"):
            value = getattr(self, key)
            if isinstance(value, str):
                try:
                    dt.date.fromisoformat(value)
                except ValueError:
                    raise ConfigError(f"{prefix}{key}", value, "a week number or an ISO date", "not a date") from None
        a, b = self.start, self.end
        if b is not None and type(a) is type(b) and b < a:
            raise ConfigError(f"{prefix}end", b, f"at or after start ({a})", "ends before it starts")


def week_of(value: int | str | None, model: SahelModel, default: int) -> int:
    """A week number (1-based) from a week or an ISO date."""
    if value is None:
        return default
    if isinstance(value, int):
        return value
    days = (dt.date.fromisoformat(value) - model.start_date).days
    return days // 7 + 1


class Policy:
    """A policy in a run: its window and the hooks it sets.

    Args:
        model: The model.
        config: The policy's validated config.
        key: Its name in the configuration (``policy.<key>``), for messages.
    """

    name: ClassVar[str] = ""
    target_kinds: ClassVar[tuple[str, ...]] = ()  # places, regions, countries, groups, goods

    def __init__(self, model: SahelModel, config: PolicyConfig, key: str):
        self.model, self.cfg, self.key = model, config, key
        self.first = week_of(config.start, model, 1)
        self.last = week_of(config.end, model, 10**9)
        if self.last < self.first:
            raise ConfigError(
                f"policy.{key}.end", config.end, f"at or after start ({config.start})", "ends before it starts"
            )

    @property
    def active(self) -> bool:
        """Whether this week (a recorded week) lies in the policy's window."""
        week = self.model.steps
        return self.model.recording and self.first <= week <= self.last

    def apply(self, levers: Levers) -> None:
        """Set this week's levers; called only in active weeks."""

    # --- target resolution (sim/policies/targets.py) ----------------------------------------

    crossings_only: ClassVar[bool] = False  # whether a region target means only its crossings

    @classmethod
    def selection(cls, world, target: Target) -> set[int]:
        """Place indices a resolved place, region or country target acts on."""
        return places_of(world, target, cls.crossings_only)

    def resolved(self) -> list[Target]:
        """The targets, resolved once (the pre-flight checked them with the same rules)."""
        if not hasattr(self, "_resolved"):
            world, cat = self.model.world, self.model.target_catalog
            self._resolved = [
                resolve(world, cat, raw, self.target_kinds, f"policy.{self.key}.targets[{i}]")
                for i, raw in enumerate(self.cfg.targets)
            ]
        return self._resolved

    def target_places(self, default: np.ndarray) -> np.ndarray:
        """Node indices named by the targets (places, regions, countries), or ``default`` if none."""
        if not self.cfg.targets:
            return default
        out: set[int] = set()
        for t in self.resolved():
            out |= self.selection(self.model.world, t)
        return np.array(sorted(out), dtype=np.int64)

    def target_names(self) -> set[str]:
        """Lower-case canonical names of group, country or good targets (prefixes removed)."""
        return {t.name.lower() for t in self.resolved() if t.kind != "places"}


def mali_crossings(world) -> np.ndarray:
    """Every crossing on Mali's borders."""
    crossing = world.kind == PLACE_KINDS.index("crossing")
    countries = sorted({c for c in world.country if c != "Mali"})
    found = set()
    for country in countries:
        found.update(crossings_to(world, country).tolist())
    return np.array(sorted(found & set(np.flatnonzero(crossing).tolist())), dtype=np.int64)
