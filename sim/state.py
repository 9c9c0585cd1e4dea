"""Save a model at any week, restore it bit for bit, and branch counterfactuals from it.

A *state* is the pickled model after some recorded weeks (with the weekly link flows when the
run keeps them). A run restored from a state saved after week ``k`` and continued writes the
same bytes as the run that never stopped (``tests/test_state.py``).

Branching: a counterfactual differs from its base only in policies and timeline events that
start at some *departure week* ``d``. Everything before ``d`` is a common past, shared by every
variant with the same configuration otherwise. :func:`common_config` removes what starts at or
after ``d`` from a configuration; the hash of the result (:func:`state_key`) names the saved
common past in a cache directory, written atomically so concurrent jobs can share it. A run
with ``branch_from`` set restores that state (or computes and saves it), then :func:`diverge`
adds the policies and timeline changes that start later and the run goes on.

A tree of pasts: ``branch_from`` may list several points. Each run departs from the latest
point at or before the week it first differs from the others (:func:`departure_week`), and a
past is computed from the one before the previous point, so the runs of a sweep that share a
trunk (the factual history, say) compute it once per seed, in segments saved at every point,
whichever run gets there first (:func:`cached_past`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import pickle
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.errors import ConfigError
from sim.params import RunConfig, to_dict
from sim.policies import POLICIES
from sim.policies.base import week_of
from sim.timeline import load_timeline

if TYPE_CHECKING:
    from sim.model import SahelModel

FORMAT = 1  # bump when the layout of a state file changes


@dataclass
class State:
    """A model after ``model.steps`` recorded weeks, with the link flows recorded so far."""

    model: SahelModel
    edge_weekly: list[np.ndarray] | None = None
    origin: bytes | None = None  # the model before week 1: policies added later are built against it


def dumps(state: State) -> bytes:
    """The state as bytes (pickle; the model drops and rebuilds its outcome functions)."""
    return pickle.dumps((FORMAT, state), protocol=pickle.HIGHEST_PROTOCOL)


def loads(data: bytes) -> State:
    """A state from :func:`dumps`'s bytes."""
    fmt, state = pickle.loads(data)  # our own cache files
    if fmt != FORMAT:
        raise ValueError(f"state format {fmt}, expected {FORMAT}")
    return state


def save(state: State, path: str | Path) -> Path:
    """Write a state atomically (a temporary file renamed into place), so readers never see half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_bytes(dumps(state))
    os.replace(tmp, path)
    return path


def load(path: str | Path) -> State:
    """Read a state written by :func:`save`."""
    return loads(Path(path).read_bytes())


# --- branching ---------------------------------------------------------------------------


def _week(value: int | str, start_date: str) -> int:
    """Week number (1-based) of a week or ISO date, for a scenario starting on ``start_date``."""

    class _Clock:  # week_of needs only a start date
        pass

    import datetime as dt

    clock = _Clock()
    clock.start_date = dt.date.fromisoformat(start_date)
    return week_of(value, clock, 1)


def branch_points(config: RunConfig) -> list[int]:
    """The weeks of ``config.branch_from`` (a week, an ISO date or a list of them) that the run can use.

    A point is the first week after a shared past, from week 2 to the week after the run's last
    (there the whole run is the shared past: a shorter run of a longer one). Points of a list
    outside that range are for other runs of the sweep and ignored; a single point must be inside.

    Raises:
        ConfigError: if no point is inside the run.
    """
    value = config.branch_from
    if value is None:
        raise ConfigError("branch_from", value, "a week or an ISO date inside the run", "not set")
    weeks = sorted({_week(v, config.scenario.start_date) for v in (value if isinstance(value, list) else [value])})
    inside = [w for w in weeks if 2 <= w <= config.weeks + 1]
    if not inside or (not isinstance(value, list) and len(inside) < len(weeks)):
        raise ConfigError(
            "branch_from",
            value,
            f"a week or date from week 2 to {config.weeks + 1} (the run's end), or null (no branching)",
            f"week {weeks[0]}" if len(weeks) == 1 else f"weeks {', '.join(map(str, weeks))}",
        )
    return inside


def divergence_week(config: RunConfig) -> int:
    """The first week at which ``config`` differs from the past it may share with other runs.

    That is the first week of a policy it switches on or of a timeline event it skips, or the
    week after its last (a run also differs from a longer one once it has ended).
    """
    firsts = _timeline_firsts(config)
    starts = [_week(cfg.start, config.scenario.start_date) for _, cfg in config.policy.active()]
    starts += [firsts[s] for s in config.scenario.timeline_skip if s in firsts]
    return min([*starts, config.weeks + 1])


def departure_week(config: RunConfig) -> int:
    """The week from which ``config`` runs on its own after a saved past (:func:`branch_points`).

    With one point, that point. With a list, the latest point at or before the run's
    :func:`divergence_week`, whose past is the one the runs of the sweep share; if every point
    is later, the earliest (a past holding the run's own earlier changes, shared with the
    variants that have them too).

    Raises:
        ConfigError: if no point is inside the run.
    """
    points = branch_points(config)
    shared = [w for w in points if w <= divergence_week(config)]
    return shared[-1] if shared else points[0]


def _timeline_firsts(config: RunConfig) -> dict[str, int]:
    """The first week of each timeline event of ``config``'s scenario, by id."""
    scenario = config.scenario
    if not scenario.timeline:
        return {}
    return dict(_firsts(scenario.timeline, scenario.data_dir, scenario.start_date))


@functools.lru_cache(maxsize=32)
def _firsts(timeline: str, data_dir: str | None, start_date: str) -> tuple[tuple[str, int], ...]:
    """Read once per timeline and start: a sweep asks for every run and every branch point."""
    entries = load_timeline(timeline, data_dir)
    return tuple((e["id"], max(1, _week(str(e["date"]), start_date))) for e in entries)


def common_config(config: RunConfig, week: int) -> RunConfig:
    """The configuration of the past before ``week`` shared by every variant of ``config``.

    Policies starting at or after ``week`` are switched off, and every policy that is off gets
    its default settings (they act only later, if at all); timeline events skipped from ``week``
    on are kept (they have not happened yet), and the run stops after ``week - 1`` weeks. Output
    switches that do not change the state are reset to their defaults.
    """
    changes = {}
    for f in dataclasses.fields(config.policy):
        cfg = getattr(config.policy, f.name)
        if not cfg.enabled or _week(cfg.start, config.scenario.start_date) >= week:
            changes[f.name] = type(cfg)()
    policy = dataclasses.replace(config.policy, **changes)
    firsts = _timeline_firsts(config)
    skip = [s for s in config.scenario.timeline_skip if firsts.get(s, 0) < week]
    scenario = dataclasses.replace(config.scenario, timeline_skip=skip)
    output = dataclasses.replace(type(config.output)(), route_flows=config.output.route_flows)
    return dataclasses.replace(
        config, policy=policy, scenario=scenario, output=output, steps=week - 1, seeds=1, branch_from=None
    )


def state_key(common: RunConfig) -> str:
    """Hash of a common past's configuration and of the code that runs it (a cache entry's name)."""
    import sim

    data = to_dict(common)
    data["_code"] = [sim.__version__, FORMAT]
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def diverge(state: State, config: RunConfig) -> None:
    """Turn a state of the common past into one of ``config``: add what starts from now on.

    Policies of ``config`` not yet in the model are built as the straight run built them, against
    the model before week 1 (``state.origin``; some read the population then), and then act on the
    restored model (their windows lie ahead). Timeline events that ``config`` skips are dropped,
    and windows that end with them stay open.
    """
    from sim.timeline import Timeline

    model = state.model
    have = {p.name for p in model.policies}
    wanted = [(name, cfg) for name, cfg in config.policy.active() if name not in have]
    new = {}
    if wanted:
        before = pickle.loads(state.origin) if state.origin is not None else model
        for name, cfg in wanted:
            policy = POLICIES[name](before, cfg, name)
            policy.model = model
            new[name] = policy
    if new:
        order = {name: i for i, name in enumerate(POLICIES)}
        model.policies = sorted([*model.policies, *new.values()], key=lambda p: order[p.name])
    model.policy_config = config.policy
    skip = set(config.scenario.timeline_skip) - set(model.params.timeline_skip)
    if skip and model.timeline is not None:
        timeline: Timeline = model.timeline
        timeline.entries = [e for e in timeline.entries if e["id"] not in skip]
        for e in timeline.entries:
            if e.get("ends_with") in skip:
                e["last"] = 10**9
                if "object" in e:
                    e["object"].last = 10**9
    model.params = dataclasses.replace(model.params, timeline_skip=list(config.scenario.timeline_skip))


def run_to(config: RunConfig, week: int | str) -> State:
    """The state of ``config`` after the recorded weeks before ``week`` (a week or an ISO date)."""
    from sim.run import advance, start_model

    stop = _week(week, config.scenario.start_date) - 1
    model = start_model(config)
    origin = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    state = State(model, [] if config.output.route_flows else None, origin)
    if stop > 0:
        advance(state, dataclasses.replace(config, steps=stop))
    return state


def cached_past(config: RunConfig, cache: str | Path) -> tuple[State, Path, bool]:
    """The state of ``config``'s common past before its departure week, from the cache or computed.

    A past not in the cache is computed from the past before the previous branch point (itself
    taken from the cache or computed, recursively) rather than from week 0, and every past
    computed on the way is saved: with ``branch_from`` a list, the runs of a sweep form a tree,
    whose shared trunk is computed once per seed whichever run gets there first.

    Returns:
        The state (ready to diverge), its file, and whether it came from the cache.
    """
    week = departure_week(config)
    points = [w for w in branch_points(config) if w <= week]
    return _past(config, points, Path(cache))


def _past(config: RunConfig, points: list[int], cache: Path) -> tuple[State, Path, bool]:
    """The common past of ``config`` before ``points[-1]``; the earlier points are its ancestors.

    Locks are taken from the latest point down, so two jobs never wait on each other in a cycle.
    """
    common = common_config(config, points[-1])
    path = cache / f"{state_key(common)}.state"
    with _computing(path):
        if path.exists():
            try:
                return load(path), path, True
            except (OSError, EOFError, pickle.UnpicklingError, ValueError, AttributeError):
                pass  # a damaged entry is recomputed and replaced
        if len(points) > 1:
            state, _, _ = _past(config, points[:-1], cache)
            diverge(state, common)  # what starts between the two points
        else:
            state = _start(common)
        from sim.run import advance

        advance(state, common)
        save(state, path)
    return state, path, False


def simulated_weeks(configs: Iterable[RunConfig]) -> int:
    """The weeks a sweep of these single-seed runs simulates, burn-ins included, each past once.

    A straight run simulates its burn-in and its weeks; a branched one only the weeks after its
    departure, plus the pasts before it that no earlier run of the list has computed (as
    :func:`cached_past` does, from the latest one already there). The bound of what sharing pasts
    can save, whatever the cost of a week.
    """
    done: set[str] = set()
    total = 0
    for config in configs:
        if config.branch_from is None:
            total += config.scenario.burn_in_weeks + config.weeks
            continue
        week = departure_week(config)
        points = [w for w in branch_points(config) if w <= week]
        keys = [state_key(common_config(config, p)) for p in points]
        i = len(points) - 1
        while i >= 0 and keys[i] not in done:
            i -= 1
        start = points[i] if i >= 0 else 1
        total += (week - start) + (config.scenario.burn_in_weeks if i < 0 else 0)
        done.update(keys)
        total += config.weeks - (week - 1)
    return total


@contextlib.contextmanager
def _computing(path: Path, wait: float = 3600.0):
    """Hold ``<entry>.lock`` while reading or computing a cache entry.

    Another job computing the same past holds the lock: wait for it rather than compute it
    twice. A lock left by a dead process on this machine, or older than ``wait`` seconds, is
    taken over (the entry itself is written atomically, so nothing half-written is ever read).
    """
    lock = path.with_name(path.name + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    me = f"{socket.gethostname()} {os.getpid()}"
    deadline = time.monotonic() + wait
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            if _stale(lock, wait) or time.monotonic() > deadline:
                lock.unlink(missing_ok=True)
            else:
                time.sleep(0.2)
            continue
        with os.fdopen(fd, "w") as f:
            f.write(me)
        break
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


def _stale(lock: Path, wait: float) -> bool:
    try:
        host, pid = lock.read_text().split()
        age = time.time() - lock.stat().st_mtime
    except (OSError, ValueError):
        return False  # being written, or just removed: look again
    if age > wait:
        return True
    if host != socket.gethostname():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _start(common: RunConfig) -> State:
    """A new model of ``common`` before week 1, with its pickled origin."""
    from sim.run import start_model

    model = start_model(common)
    origin = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    return State(model, [] if common.output.route_flows else None, origin)


__all__ = [
    "State",
    "branch_points",
    "cached_past",
    "common_config",
    "departure_week",
    "diverge",
    "divergence_week",
    "dumps",
    "load",
    "loads",
    "run_to",
    "save",
    "simulated_weeks",
    "state_key",
]
