"""One browser tab's run: the settings chosen in the controls, the model built from them, its history.

Kept free of Solara so it can be tested directly. Each tab makes its own :class:`Session` (the
page creates it with ``solara.use_memo``), so tabs never share a model; a lock makes Step, Play
and Reset take turns, and a generation counter lets a play loop notice that Reset replaced the
model under it and stop instead of stepping the new one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim.model import SahelModel
from sim.params import ScenarioConfig, from_dict
from sim.policies import POLICIES, PolicySet
from simcli import CONFIG_DIR

# Policy fields the page sets; everything else comes from the policy's file in simcli/configs/policy/.
LEVERS = ("enabled", "intensity", "start")


@dataclass(frozen=True)
class PolicyChoice:
    """One policy's levers as set in the controls."""

    enabled: bool = False
    intensity: float = 1.0
    start: int = 1


@dataclass(frozen=True)
class Settings:
    """What the controls choose; a model is built from it on Reset.

    Attributes:
        scenario: Name of a file in ``simcli/configs/scenario/`` (without ``.yaml``).
        seed: Seed of the model.
        policies: Levers of each policy, by name (missing: off).
        burn_in_weeks: Overrides the scenario's burn-in (tests use 0 for fast models).
    """

    scenario: str = "default"
    seed: int = 0
    policies: tuple[tuple[str, PolicyChoice], ...] = ()
    burn_in_weeks: int | None = None

    def policy(self, name: str) -> PolicyChoice:
        """The levers of one policy (off if never set)."""
        return dict(self.policies).get(name, PolicyChoice())

    def with_policy(self, name: str, **changes) -> Settings:
        """A copy with one policy's levers changed."""
        current = dict(self.policies)
        current[name] = dataclasses.replace(current.get(name, PolicyChoice()), **changes)
        ordered = tuple((n, current[n]) for n in POLICIES if n in current)
        return dataclasses.replace(self, policies=ordered)

    def active(self) -> list[str]:
        """Names of the policies switched on."""
        return [n for n, c in self.policies if c.enabled]


def scenario_names() -> list[str]:
    """Scenarios in ``simcli/configs/scenario/``, the default first."""
    names = sorted(p.stem for p in (CONFIG_DIR / "scenario").glob("*.yaml"))
    return sorted(names, key=lambda n: n != "default") or ["default"]


def _yaml(path: Path) -> dict:
    if not path.exists():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def scenario_config(settings: Settings) -> ScenarioConfig:
    """The scenario of the settings: its file's values over the schema's defaults.

    Raises:
        ConfigError: For a value the scenario file gets wrong.
    """
    data = _yaml(CONFIG_DIR / "scenario" / f"{settings.scenario}.yaml")
    data.setdefault("name", settings.scenario)
    if settings.burn_in_weeks is not None:
        data["burn_in_weeks"] = settings.burn_in_weeks
    return from_dict(ScenarioConfig, data, "scenario")


def policy_config(settings: Settings) -> PolicySet:
    """The policies switched on, each from its file in ``simcli/configs/policy/`` with the page's levers on top."""
    data = {}
    for name in settings.active():
        choice = settings.policy(name)
        section = _yaml(CONFIG_DIR / "policy" / f"{name}.yaml")
        section.update(enabled=True, intensity=float(choice.intensity), start=int(choice.start))
        data[name] = section
    return from_dict(PolicySet, data, "policy")


def week_date(start: dt.date, week: int) -> dt.date:
    """Calendar date at the end of a week (as ``SahelModel.date``)."""
    return start + dt.timedelta(weeks=int(week))


@dataclass
class Session:
    """A model and what the page shows of it, for one browser tab.

    Args:
        settings: What to build.
    """

    settings: Settings = field(default_factory=Settings)
    model: SahelModel = field(init=False)
    generation: int = field(init=False, default=0)
    step_seconds: list[float] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self.model = self._build(self.settings)
        self.value_by_good: list[np.ndarray] = []

    @staticmethod
    def _build(settings: Settings) -> SahelModel:
        return SahelModel(scenario_config(settings), seed=int(settings.seed), policy=policy_config(settings))

    @property
    def horizon(self) -> int:
        """Weeks the scenario runs (the end of Play)."""
        return int(self.model.params.steps)

    @property
    def week(self) -> int:
        """Weeks run so far."""
        return int(self.model.steps)

    @property
    def at_end(self) -> bool:
        """Whether the scenario's horizon is reached."""
        return self.week >= self.horizon

    def reset(self, settings: Settings | None = None) -> None:
        """Build a new model from ``settings`` (or the current ones); week 0.

        Raises:
            SimError: If the settings make no valid model; the old model stays.
        """
        settings = settings or self.settings
        model = self._build(settings)  # outside the lock: a running step finishes meanwhile
        with self.lock:
            self.settings, self.model = settings, model
            self.value_by_good = []
            self.step_seconds = []
            self.generation += 1

    def step(self, weeks: int = 1, generation: int | None = None) -> int:
        """Run up to ``weeks`` weeks (not past the horizon); return how many ran.

        Args:
            weeks: Weeks to run.
            generation: If given, run only while the model is still that generation (a play
                loop passes the one it started with, so it never steps a model Reset made).
        """
        done = 0
        with self.lock:
            for _ in range(weeks):
                if self.at_end or (generation is not None and generation != self.generation):
                    break
                started = time.perf_counter()
                self.model.step()
                self.step_seconds.append(time.perf_counter() - started)
                self.value_by_good.append(self.model.stats.week["delivered_value"].copy())
                done += 1
        return done

    def frame(self) -> pd.DataFrame:
        """One row per week run: every outcome, ``week``, ``date`` and ``value.<good>`` (USD delivered)."""
        with self.lock:
            df = self.model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
            goods = [g.id for g in self.model.world.goods]
            values = np.array(self.value_by_good) if self.value_by_good else np.zeros((0, len(goods)))
            start = self.model.start_date
        df.insert(0, "week", np.arange(1, len(df) + 1))
        df.insert(1, "date", [week_date(start, w).isoformat() for w in df["week"]])
        n = min(len(df), len(values))
        for i, good in enumerate(goods):
            column = np.zeros(len(df))
            column[:n] = values[:n, i]
            df[f"value.{good}"] = column
        return df
