"""A package of a policy search's Pareto front, opened as a scenario run of the browser.

``python -m experiments.search DIR`` writes ``DIR/front.json``: each package on the front with
the runs it was scored on (one per assumption scenario and seed, ``DIR/runs/<key>/``). The
scenario page opens one of those runs (``/?search=DIR&package=K&run=R``): the policy controls
take the package's levers (on or off, intensity, first week) and whatever the controls cannot
express (targets, the assumption scenario's parameter values, the run's length, a policy's
extra choice) becomes Hydra overrides kept beside them, found by comparing the saved run's
``config.yaml`` with what the controls alone compose. Composing both gives the saved run's
configuration again, which :func:`open_run` checks by its run key, so the page steps the very run
the search scored and its totals can be set beside the saved ``summary.json``.

Kept free of Solara, like :mod:`simviz.session`; nothing here unpickles a file.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from sim.params import RunConfig, to_dict
from sim.sweep import run_key
from simviz.session import PolicyChoice, Settings, run_config

FRONT = "front.json"
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


class PackageError(ValueError):
    """A package or run the page cannot open; the message says why, in one line."""


@dataclass(frozen=True)
class OpenedRun:
    """One saved run of a front's package, as the scenario page opens it.

    Attributes:
        settings: The page's settings that compose the run's configuration.
        title: The package in one line, with where it sits on the front.
        assumptions: The assumption scenario's parameter values.
        run_dir: The saved run (``config.yaml``, ``summary.json``).
        key: Its run key; the page's configuration has the same one.
        objectives: The search's objectives, shown first beside the saved totals.
    """

    settings: Settings
    title: str
    assumptions: dict
    run_dir: Path
    key: str
    objectives: tuple[str, ...]


def read_front(search_dir: Path) -> dict:
    """``front.json`` of a search directory.

    Raises:
        PackageError: If the directory holds no readable front.
    """
    path = Path(search_dir) / FRONT
    if not path.is_file():
        raise PackageError(
            f"{search_dir}: no {FRONT} (write it with `python -m experiments.search {search_dir}` and the same options)"
        )
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PackageError(f"{path}: cannot be read ({exc})") from None


def hydra_value(value) -> str:
    """A value as a Hydra override writes it (strings quoted where the grammar needs it)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        if _PLAIN.fullmatch(value) and value not in ("null", "true", "false"):
            return value
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(hydra_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{hydra_value(v)}" for k, v in value.items()) + "}"
    raise PackageError(f"cannot write {value!r} as a Hydra override")


def differences(target: dict, composed: dict, prefix: str = "") -> list[str]:
    """Overrides that turn ``composed`` into ``target`` (both plain run configurations)."""
    out = []
    for key, value in target.items():
        name = f"{prefix}{key}"
        if key not in composed:
            out.append(f"+{name}={hydra_value(value)}")
        elif isinstance(value, dict) and isinstance(composed[key], dict) and value:
            out += differences(value, composed[key], name + ".")
        elif value != composed[key]:
            out.append(f"{name}={hydra_value(value)}")
    return out


def _plain(config: RunConfig) -> dict:
    data = to_dict(config)
    data["output"].pop("progress", None)  # display only (as sim.sweep.run_key)
    return data


def settings_for_run(config: dict) -> Settings:
    """Page settings that compose a saved run's configuration (``config.yaml`` as plain data).

    Raises:
        PackageError: If no composition gives that configuration back.
    """
    policies = []
    for name, section in config.get("policy", {}).items():
        if isinstance(section, dict) and section.get("enabled"):
            choice = PolicyChoice(True, float(section.get("intensity", 1.0)), int(section.get("start", 1)))
            policies.append((name, choice))
    settings = Settings(scenario=config["scenario"]["name"], seed=int(config["seed"]), policies=tuple(policies))
    target = {k: v for k, v in config.items()}
    target["output"] = {k: v for k, v in config.get("output", {}).items() if k != "progress"}
    extra = differences(target, _plain(run_config(settings)))
    settings = dataclasses.replace(settings, extra=tuple(extra))
    if _plain(run_config(settings)) != target:
        raise PackageError("the saved run's configuration cannot be composed again from the configuration tree")
    return settings


def open_run(search_dir: Path, package: int, run: int = 0) -> OpenedRun:
    """The ``run``-th saved run of the ``package``-th package of a search's front.

    Raises:
        PackageError: For an index out of range, a run that is missing or a configuration that
            does not compose to the same run.
    """
    front = read_front(search_dir)
    packages = front.get("front", [])
    if not 0 <= package < len(packages):
        raise PackageError(f"package {package}: the front has packages 0 to {len(packages) - 1}")
    entry = packages[package]
    runs = entry.get("runs", [])
    if not 0 <= run < len(runs):
        raise PackageError(f"run {run}: package {package} has runs 0 to {len(runs) - 1}")
    saved = runs[run]
    run_dir = Path(search_dir) / "runs" / saved["key"]
    if not (run_dir / "config.yaml").is_file() or not (run_dir / "summary.json").is_file():
        raise PackageError(f"{run_dir}: the saved run is missing or unfinished")
    config = yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8"))
    settings = settings_for_run(config)
    key = run_key(run_config(settings))
    if key != saved["key"]:
        raise PackageError(f"the page's configuration has run key {key}, the saved run {saved['key']}")
    title = (
        f"Package {package + 1} of {len(packages)} on the front of {Path(search_dir).name}: {entry['describe']}; "
        f"assumption scenario {saved['point'] + 1}, seed {saved['seed']}"
    )
    return OpenedRun(settings, title, saved.get("assumptions", {}), run_dir, key, tuple(front.get("objectives", [])))


def saved_summary(run_dir: Path) -> dict:
    """The saved run's totals (``summary.json``)."""
    return json.loads((Path(run_dir) / "summary.json").read_text(encoding="utf-8"))


def same_total(a: float | None, b) -> bool:
    """Whether two run totals are the same number (two NaNs, an outcome without value, count as the same)."""
    if a is None or b is None:
        return False
    return a == b or (math.isnan(a) and isinstance(b, float) and math.isnan(b))


def page_totals(model, frame, names=None) -> dict[str, float]:
    """Run totals of the registered outcomes (``names``, or all) for the weeks run, as ``summary.json`` has them."""
    wanted = set(names) if names is not None else None
    return {
        o.name: float(o.total(model, frame[o.name]))
        for o in model.outcomes
        if o.name in frame and (wanted is None or o.name in wanted)
    }


__all__ = [
    "FRONT",
    "OpenedRun",
    "PackageError",
    "differences",
    "hydra_value",
    "open_run",
    "page_totals",
    "read_front",
    "same_total",
    "saved_summary",
    "settings_for_run",
]
