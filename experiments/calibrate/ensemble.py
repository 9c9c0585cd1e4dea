"""The calibrated ensemble: the run points no target rules out, saved as a config group with provenance.

The ensemble is a set of parameter points, not a best fit: every run point (of any wave's design,
or of the check drawn in the final non-implausible space) whose
own runs are non-implausible for every target (simulated implausibility <= cutoff), the least
implausible first, up to the study's ``ensemble`` size. Each point is written to
``simcli/configs/calibration/pNN.yaml`` (``# @package _global_``: it sets scenario parameters),
its header recording the targets, waves, code revision and date, and the preset
``simcli/configs/experiment/calibrated.yaml`` sweeps the historical scenario over all of them, so a
sweep reports effects as bands over parameter points and seeds, e.g.
``python -m sim -m experiment=calibrated policy=none,ddr``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import yaml

from experiments.calibrate.waves import Calibration, simulated_implausibility, to_values
from sim.params import RunConfig
from sim.run import git_revision
from simcli.compose import compose, group_dir, read_option

GROUP = "calibration"
GROUP_DIR = group_dir(GROUP)
PRESET = group_dir("experiment") / "calibrated.yaml"
PRESET_SEEDS = 5


@dataclass(frozen=True)
class Member:
    """A point of the ensemble and where it came from."""

    wave: int  # 0: the check run after the last wave
    index: int
    unit: np.ndarray
    values: dict[str, float]
    implausibility: float  # max over targets, from its own runs
    runs: dict[str, np.ndarray]  # figure id -> seeds


def members(cal: Calibration) -> list[Member]:
    """Every design point of every wave with its simulated max implausibility (lowest first)."""
    out = []
    seed_var = cal.waves[-1].seed_var
    runs = [(w.number, w.design, w.values) for w in cal.waves]
    if cal.check is not None:
        runs.append((0, *cal.check))
    for number, design, values in runs:
        imp = np.max([simulated_implausibility(f, values[f.id], seed_var[f.id]) for f in cal.targets], axis=0)
        vals = to_values(cal.factors, design)
        for i in range(len(design)):
            point = {f.name: (int(v) if f.integer else float(v)) for f, v in zip(cal.factors, vals[i], strict=True)}
            out.append(Member(number, i, design[i], point, float(imp[i]), {k: v[i] for k, v in values.items()}))
    return sorted(out, key=lambda m: m.implausibility)


def select(cal: Calibration) -> list[Member]:
    """The ensemble: non-implausible run points, least implausible first, at most ``study.ensemble``."""
    return [m for m in members(cal) if m.implausibility <= cal.study.cutoff][: cal.study.ensemble]


def provenance(cal: Calibration) -> dict:
    """What the ensemble rests on."""
    return {
        "study": cal.study.name,
        "targets": [f.id for f in cal.targets],
        "held_out": [f.id for f in cal.figures if f.role != "target"],
        "factors": [f.name for f in cal.factors],
        "waves": len(cal.waves),
        "cutoff": cal.study.cutoff,
        "code_revision": cal.revision or git_revision(),
        "date": dt.date.today().isoformat(),
    }


def nest(values: dict[str, float]) -> dict:
    """Dotted keys as a nested mapping."""
    out: dict = {}
    for key, value in values.items():
        node = out
        *path, last = key.split(".")
        for k in path:
            node = node.setdefault(k, {})
        node[last] = round(value, 6) if isinstance(value, float) else value
    return out


def write(cal: Calibration, ensemble: list[Member], directory: Path = GROUP_DIR) -> list[Path]:
    """Write the ensemble as ``directory/pNN.yaml`` (old point files removed first); return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("p[0-9][0-9].yaml"):
        old.unlink()
    prov = provenance(cal)
    paths = []
    for n, m in enumerate(ensemble):
        head = [
            "# @package _global_",
            f"# Calibrated parameter point {n + 1} of {len(ensemble)}: written by python -m experiments.calibrate",
            "# (docs/calibration.md); do not edit by hand. Sweep them all with 'calibration=glob(p*)'.",
            f"# study: {prov['study']}; targets: {', '.join(prov['targets'])}; held out: {', '.join(prov['held_out'])}",
            f"# waves: {prov['waves']}; from {f'wave {m.wave}' if m.wave else 'the final check'}, point {m.index}; "
            "max implausibility of its runs: "
            f"{m.implausibility:.2f} (cutoff {prov['cutoff']})",
            f"# code revision: {prov['code_revision']}; date: {prov['date']}",
        ]
        path = directory / f"p{n:02d}.yaml"
        body = yaml.safe_dump(nest(m.values), sort_keys=False)
        path.write_text("\n".join(head) + "\n" + body, encoding="utf-8")
        paths.append(path)
    return paths


def write_preset(cal: Calibration, paths: list[Path], preset: Path = PRESET) -> Path:
    """Write the sweep preset over the ensemble's points (``experiment=calibrated``)."""
    prov = provenance(cal)
    text = f"""# @package _global_
# Question: what does the historical scenario give over the calibrated ensemble, the parameter
# points history matching left non-implausible (docs/calibration.md), not one best fit? Written by
# python -m experiments.calibrate; do not edit by hand. Targets: {", ".join(prov["targets"])};
# waves: {prov["waves"]}; code revision: {prov["code_revision"]}; date: {prov["date"]}.
#   python -m sim -m experiment=calibrated                  # {len(paths)} points x {PRESET_SEEDS} seeds
#   python -m sim -m experiment=calibrated policy=none,ddr  # a policy's effect as bands over points and seeds
defaults:
  - override /scenario: history
  - override /hydra/launcher: local

seeds: {PRESET_SEEDS}

hydra:
  sweep:
    dir: multirun/calibrated
  sweeper:
    params:
      {GROUP}: {",".join(p.stem for p in paths)}
"""
    preset.parent.mkdir(parents=True, exist_ok=True)
    preset.write_text(text, encoding="utf-8")
    return preset


def points(directory: Path = GROUP_DIR) -> list[str]:
    """The committed ensemble's point names (``p00``, ``p01``, ...), for ``calibration=NAME`` overrides."""
    return sorted(p.stem for p in directory.glob("p[0-9][0-9].yaml"))


def configs(overrides: Sequence[str], seeds: Sequence[int]) -> list[tuple[str, RunConfig]]:
    """``(label, configuration)`` tasks for ``run_tasks``: the overrides at every ensemble point and seed.

    How a study (a counterfactual of the history, a policy comparison) reports its effects as bands
    over parameter points and seeds: label ``pNN``, one configuration per seed.

    Raises:
        ValueError: When no ensemble is committed (run ``python -m experiments.calibrate`` first).
    """
    names = points()
    if not names:
        raise ValueError(f"no calibrated ensemble in {GROUP_DIR}: run python -m experiments.calibrate first")
    out = []
    for name in names:
        base = compose([*overrides, f"{GROUP}={name}"])
        out += [(name, replace(base, seed=int(s), seeds=1)) for s in seeds]
    return out


def read(path: Path) -> dict[str, float]:
    """A written point as dotted keys and values."""
    return read_option(path)


__all__ = [
    "GROUP",
    "GROUP_DIR",
    "PRESET",
    "Member",
    "configs",
    "members",
    "nest",
    "points",
    "provenance",
    "read",
    "select",
    "write",
    "write_preset",
]
