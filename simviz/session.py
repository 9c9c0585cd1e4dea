"""One browser tab's run: the settings chosen in the controls, the models built from them, their history.

Kept free of Solara so it can be tested directly. Each tab makes its own :class:`Session` (the
page creates it with ``solara.use_memo``), so tabs never share a model. Play runs in a stepping
thread owned by the session (:meth:`Session.play`); the page never steps from a render and only
reads what the session has run, at a bounded rate, so a busy machine slows the weeks down but
cannot make the page re-render in a loop. A lock makes Step, Play and Reset take turns, and a
generation counter lets anything started before a Reset notice that the model was replaced.

The configuration comes from :func:`simcli.compose.compose`, the same function the command
line uses, so a run here is the run of :meth:`Settings.command` there.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import shlex
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

import simcli.app  # noqa: F401  (stores the schema node run_schema that config.yaml starts from)
from sim.model import SahelModel
from sim.params import RunConfig
from sim.policies import POLICIES
from simcli import CONFIG_DIR
from simcli.compose import compose

logger = logging.getLogger("simviz")

# Hydra's compose API keeps global state: one composition at a time across the server's tabs.
_COMPOSE_LOCK = threading.Lock()
SEED_RULE = "a non-negative integer"


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
        compare: Also run the same seed without the policies (the baseline) beside it.
        extra: Further Hydra overrides the controls cannot express (a search's package: its
            targets, assumption values, run length; :mod:`simviz.package`), applied last.
    """

    scenario: str = "default"
    seed: int = 0
    policies: tuple[tuple[str, PolicyChoice], ...] = ()
    burn_in_weeks: int | None = None
    compare: bool = False
    extra: tuple[str, ...] = ()

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

    def overrides(self, with_policies: bool = True) -> list[str]:
        """The Hydra overrides of this run, as ``python -m sim`` takes them."""
        out = [f"scenario={self.scenario}", f"seed={int(self.seed)}"]
        if self.burn_in_weeks is not None:
            out.append(f"scenario.burn_in_weeks={int(self.burn_in_weeks)}")
        active = self.active() if with_policies else []
        if active:
            out.append(f"policy=[{','.join(active)}]")
        for name in active:
            c = self.policy(name)
            out += [f"policy.{name}.intensity={float(c.intensity):g}", f"policy.{name}.start={int(c.start)}"]
        return out + [e for e in self.extra if with_policies or not e.lstrip("+").startswith("policy.")]

    def command(self) -> str:
        """The command line that reproduces this run (without the baseline)."""
        return "python -m sim " + " ".join(shlex.quote(o) for o in self.overrides())


def parse_seed(text: str) -> tuple[int | None, str | None]:
    """A seed typed in the page: (seed, None), or (None, a one-line message) as the command line says it."""
    text = str(text).strip()
    if not re.fullmatch(r"\d+", text):
        return None, f"seed {text!r}: must be {SEED_RULE}"
    seed = int(text)
    if seed > 2**63 - 1:
        return None, f"seed {text}: must be at most 2**63 - 1"
    return seed, None


def scenario_names() -> list[str]:
    """Scenarios in ``simcli/configs/scenario/``, the default first."""
    names = sorted(p.stem for p in (CONFIG_DIR / "scenario").glob("*.yaml"))
    return sorted(names, key=lambda n: n != "default") or ["default"]


def config_comment(kind: str, name: str) -> str:
    """The opening comment of a scenario's or policy's file: its description for people."""
    path = CONFIG_DIR / kind / f"{name}.yaml"
    if not path.is_file():
        return ""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        if not line.startswith("# @package"):
            lines.append(line.lstrip("#").strip())
    return " ".join(lines)


def run_config(settings: Settings, with_policies: bool = True) -> RunConfig:
    """The run configuration of the settings, composed as the command line composes it.

    Raises:
        ConfigError: For a value the scenario or policy files (or the levers) get wrong.
    """
    with _COMPOSE_LOCK:
        return compose(settings.overrides(with_policies))


def scenario_config(settings: Settings):
    """The scenario of the settings (composed from ``simcli/configs``)."""
    return run_config(settings).scenario


def policy_config(settings: Settings):
    """The policies switched on, each from its file in ``simcli/configs/policy/`` with the page's levers on top."""
    return run_config(settings).policy


def week_date(start: dt.date, week: int) -> dt.date:
    """Calendar date at the end of a week (as ``SahelModel.date``)."""
    return start + dt.timedelta(weeks=int(week))


class Run:
    """One model and what the page keeps of each week it ran (beyond the DataCollector's columns)."""

    def __init__(self, model: SahelModel, weeks: int | None = None) -> None:
        self.model = model
        self.weeks = int(weeks if weeks is not None else model.params.steps)  # the run's horizon
        self.value_by_good: list[np.ndarray] = []
        self.mission_present: list[bool] = []
        self.holder: list[np.ndarray] = []
        self.presence: list[np.ndarray] = []
        self.illicit: list[np.ndarray] = []
        self.edge_units: list[np.ndarray] = []

    def step(self) -> None:
        """Run one week and keep its extras."""
        m = self.model
        m.step()
        self.value_by_good.append(m.stats.week["delivered_value"].copy())
        self.mission_present.append(mission_present(m))
        self.holder.append(m.territory.holder.copy())
        self.presence.append(np.round(m.territory.presence, 3))
        self.illicit.append(np.round(m.stats.week["illicit_value"]))
        self.edge_units.append(np.round(m.stats.week["edge_units"]))

    def state(self, week: int):
        """What the map draws of a week already run (1 = the first), for the week scrubber."""
        from simviz.map import WeekState

        i = min(max(int(week), 1), len(self.holder)) - 1
        return WeekState(self.holder[i], self.presence[i], self.illicit[i], self.edge_units[i])

    def frame(self) -> pd.DataFrame:
        """One row per week run: every outcome, ``week``, ``date``, ``value.<good>`` and ``mission_present``."""
        m = self.model
        df = m.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        goods = [g.id for g in m.world.goods]
        values = np.array(self.value_by_good) if self.value_by_good else np.zeros((0, len(goods)))
        df.insert(0, "week", np.arange(1, len(df) + 1))
        df.insert(1, "date", [week_date(m.start_date, w).isoformat() for w in df["week"]])
        n = min(len(df), len(values))
        for i, good in enumerate(goods):
            column = np.zeros(len(df))
            column[:n] = values[:n, i]
            df[f"value.{good}"] = column
        present = np.zeros(len(df), dtype=bool)
        present[:n] = self.mission_present[:n]
        df["mission_present"] = present
        return df


def mission_present(model: SahelModel) -> bool:
    """Whether a peace mission is deployed this week (its force-protection share means something)."""
    if model.forces is None:
        return False
    from sim.agents.force import ForceKind

    return any(f.active and f.strength > 0 for f in model.forces.of_kind(ForceKind.MISSION))


@dataclass
class Session:
    """The runs and what the page shows of them, for one browser tab.

    Args:
        settings: What to build.
    """

    settings: Settings = field(default_factory=Settings)
    generation: int = field(init=False, default=0)
    step_seconds: list[float] = field(init=False, default_factory=list)
    error: str | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self.run, self.baseline = self._build(self.settings)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.weeks_per_second: float | None = None

    @staticmethod
    def _build(settings: Settings) -> tuple[Run, Run | None]:
        cfg = run_config(settings)
        run = Run(SahelModel(cfg.scenario, seed=int(cfg.seed), policy=cfg.policy), cfg.weeks)
        baseline = None
        if settings.compare and settings.active():
            base = run_config(settings, with_policies=False)
            baseline = Run(SahelModel(base.scenario, seed=int(base.seed), policy=base.policy), base.weeks)
        return run, baseline

    @property
    def model(self) -> SahelModel:
        """The model of the run with the chosen policies."""
        return self.run.model

    @property
    def horizon(self) -> int:
        """Weeks the run lasts (the end of Play): the scenario's, or ``steps=`` if set."""
        return self.run.weeks

    @property
    def week(self) -> int:
        """Weeks run so far."""
        return int(self.model.steps)

    @property
    def at_end(self) -> bool:
        """Whether the scenario's horizon is reached."""
        return self.week >= self.horizon

    @property
    def playing(self) -> bool:
        """Whether the stepping thread is running."""
        return self._thread is not None and self._thread.is_alive()

    def reset(self, settings: Settings | None = None) -> None:
        """Stop playing and build new models from ``settings`` (or the current ones); week 0.

        Raises:
            SimError: If the settings make no valid model; the old model stays.
        """
        self.pause()
        settings = settings or self.settings
        run, baseline = self._build(settings)  # outside the lock: a running step finishes meanwhile
        with self.lock:
            self.settings, self.run, self.baseline = settings, run, baseline
            self.step_seconds = []
            self.error = None
            self.generation += 1

    def step(self, weeks: int = 1, generation: int | None = None) -> int:
        """Run up to ``weeks`` weeks (not past the horizon); return how many ran.

        Args:
            weeks: Weeks to run.
            generation: If given, run only while the model is still that generation (a play
                loop passes the one it started with, so it never steps a model Reset made).
        """
        done = 0
        for _ in range(weeks):
            with self.lock:
                if self.at_end or (generation is not None and generation != self.generation):
                    break
                started = time.perf_counter()
                self.run.step()
                if self.baseline is not None:
                    self.baseline.step()
                self.step_seconds.append(time.perf_counter() - started)
                done += 1
        return done

    def play(self, weeks_per_second: float | None = None) -> None:
        """Run weeks in a thread of this session until :meth:`pause`, the horizon or an error.

        Args:
            weeks_per_second: At most this many weeks a second (None: as fast as it runs).
        """
        self.weeks_per_second = weeks_per_second
        if self.playing or self.at_end:
            return
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._play_loop, args=(self._stop, self.generation), daemon=True, name="simviz-play"
        )
        self._thread.start()

    def _play_loop(self, stop: threading.Event, generation: int) -> None:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                if not self.step(1, generation=generation):
                    return
            except Exception as exc:  # shown on the page as a banner; details in the server log
                logger.exception("a week of the run failed")
                self.error = f"The run stopped at week {self.week + 1}: {type(exc).__name__}: {exc}"
                return
            rate = self.weeks_per_second
            wait = (1.0 / rate - (time.perf_counter() - started)) if rate else 0.0
            # Always yield a moment, so the page's reads and a Pause get the lock between weeks.
            stop.wait(max(wait, 0.002))

    def pause(self, timeout: float = 30.0) -> None:
        """Stop the stepping thread after the week it is running."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def frame(self, baseline: bool = False) -> pd.DataFrame:
        """The weekly table of the run (or of its baseline; empty without one)."""
        with self.lock:
            run = self.baseline if baseline else self.run
            if run is None:
                return pd.DataFrame()
            return run.frame()
