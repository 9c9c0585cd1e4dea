"""History matching in waves: run a design, emulate each target, rule out implausible space, draw again inside.

For a target with observed value ``z`` (on its scale), a point ``x`` is implausible when

    I(x) = |z - E[f(x)]| / sqrt(Var_em(x) + Var_obs + Var_discrepancy + Var_seed) > cutoff

where ``E[f(x)]`` and ``Var_em(x)`` are the emulator's mean and variance of the seed-mean,
``Var_obs`` and ``Var_discrepancy`` are declared per figure (targets.py) and ``Var_seed`` is the
variance of one run about its seed-mean (the history is one realisation), pooled over the design
points with several seeds. A point is non-implausible when every valid emulator of every wave so
far keeps it (max I <= cutoff). The space is measured on a fixed scrambled Sobol sample of the
factors' box; the next wave's design is a maximin subset of the non-implausible part of it, and
after the last wave such a subset is run as a check (the ensemble is drawn from what was run). Every
run goes through ``experiments.runner.run_tasks`` (hashed run directories), and each wave's design
follows deterministically from the runs before it, so a killed calibration re-run with the same
command recomputes the same designs and runs only what is missing.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.stats import qmc

from experiments.calibrate.emulate import Emulator, fit
from experiments.calibrate.study import Study
from experiments.calibrate.targets import Figure, measure
from experiments.design import SWEEP_SEED, factors_named, point_config
from experiments.runner import Record, run_tasks
from experiments.sensitivity import Factor
from sim.run import git_revision
from simcli.compose import compose_cfg, to_dict


@dataclass
class Wave:
    """One wave: its design, what the runs gave, its emulators and the space left after it."""

    number: int
    design: np.ndarray  # unit cube, points x factors
    values: dict[str, np.ndarray]  # figure id -> points x seeds (original scale)
    seed_var: dict[str, float]  # target id -> pooled variance of one run about its seed-mean (target scale)
    emulators: dict[str, Emulator]
    kept: np.ndarray = field(default_factory=lambda: np.empty(0, bool))  # over the candidate sample, after this wave
    share: float = 1.0  # non-implausible share of the original box after this wave
    ruled_out_by: dict[str, float] = field(default_factory=dict)  # target -> share of the box it alone rules out


@dataclass
class Calibration:
    """The result of a study: its waves, the reference (defaults) runs, and why it stopped."""

    study: Study
    factors: list[Factor]
    figures: list[Figure]  # with observed values (synthetic ones filled in)
    waves: list[Wave]
    candidates: np.ndarray
    reference: dict[str, np.ndarray]  # figure id -> seeds, at the defaults
    check: tuple[np.ndarray, dict[str, np.ndarray]] | None = None  # points drawn in the final space and run
    stop: str = ""
    empty: str = ""  # why the space is empty ("" when it is not)
    truth: np.ndarray | None = None
    runs: int = 0
    seconds: float = 0.0
    run_seconds: float = 0.0  # the runs' own time, summed (as recorded when each ran)
    revision: str = ""  # code revision when the calibration started

    @property
    def targets(self) -> list[Figure]:
        """The calibration targets."""
        return [f for f in self.figures if f.role == "target"]


def to_values(factors: list[Factor], unit: np.ndarray) -> np.ndarray:
    """Unit-cube points as parameter values (integers rounded)."""
    lo, hi = np.array([f.lo for f in factors]), np.array([f.hi for f in factors])
    x = lo + np.atleast_2d(unit) * (hi - lo)
    for i, f in enumerate(factors):
        if f.integer:
            x[:, i] = np.rint(x[:, i])
    return x


def to_unit(factors: list[Factor], values: np.ndarray) -> np.ndarray:
    """Parameter values on the unit cube."""
    lo, hi = np.array([f.lo for f in factors]), np.array([f.hi for f in factors])
    return (np.atleast_2d(values) - lo) / (hi - lo)


def maximin(candidates: np.ndarray, n: int) -> np.ndarray:
    """``n`` of the candidates chosen greedily to be far from each other (space-filling inside a region)."""
    if len(candidates) <= n:
        return candidates.copy()
    chosen = [int(np.argmin(np.sum((candidates - candidates.mean(axis=0)) ** 2, axis=1)))]
    dist = np.sum((candidates - candidates[chosen[0]]) ** 2, axis=1)
    while len(chosen) < n:
        i = int(np.argmax(dist))
        chosen.append(i)
        dist = np.minimum(dist, np.sum((candidates - candidates[i]) ** 2, axis=1))
    return candidates[chosen]


class Runner:
    """Runs points of a study through the one batch runner and measures the figures."""

    def __init__(
        self, study: Study, factors: list[Factor], root: Path, jobs: int, progress: bool, launcher: str = "joblib"
    ):
        self.study, self.factors, self.root, self.jobs, self.progress = study, factors, root, jobs, progress
        self.launcher = launcher
        base = to_dict(compose_cfg([*study.overrides, f"steps={study.steps}"]))
        base.setdefault("output", {}).update({"progress": False, "edges": False})
        self.base = base
        self.runs = 0
        self.run_seconds = 0.0

    def config(self, point: np.ndarray | None, seed: int):
        """The run configuration of a point (None: the defaults) and seed."""
        values = (
            {}
            if point is None
            else dict(zip([f.name for f in self.factors], to_values(self.factors, point)[0], strict=True))
        )
        return point_config(self.base, values, seed, 1)

    def run(self, label: str, points: list[np.ndarray | None], seeds: int, first_seed: int) -> list[list[Record]]:
        """Run every point over ``seeds`` seeds (skipping finished runs); the records per point."""
        tasks = [(f"{label}:{i}", self.config(p, first_seed + s)) for i, p in enumerate(points) for s in range(seeds)]
        records = run_tasks(tasks, self.root, self.jobs, self.progress, self.launcher)
        self.runs += len(records)
        self.run_seconds += sum(float(r.summary.get("wall_seconds", 0.0)) for r in records)
        return [records[i * seeds : (i + 1) * seeds] for i in range(len(points))]

    def measure(self, figures: list[Figure], records: list[list[Record]]) -> dict[str, np.ndarray]:
        """Each figure's value per point and seed."""
        tables = [[r.timeseries() for r in rs] for rs in records]
        return {f.id: np.array([[measure(f, ts) for ts in row] for row in tables], dtype=float) for f in figures}


def pooled_seed_var(fig: Figure, rows: list[np.ndarray]) -> float:
    """Variance of one run about its seed-mean (target scale), pooled over points (rows of seeds) with several seeds."""
    rows = [np.asarray(fig.transform(np.asarray(r, float))) for r in rows]
    rows = [r[np.isfinite(r)] for r in rows]
    rows = [r for r in rows if len(r) > 1]
    if not rows:
        return float("nan")
    ss = sum(float(np.sum((r - r.mean()) ** 2)) for r in rows)
    dof = sum(len(r) - 1 for r in rows)
    return ss / dof


def implausibility(fig: Figure, em: Emulator, seed_var: float, x: np.ndarray) -> np.ndarray:
    """I(x) of one target under one emulator (see the module docstring)."""
    mu, var = em.predict(x)
    return np.abs(fig.z - mu) / np.sqrt(var + fig.obs_sd**2 + fig.discrepancy_sd**2 + seed_var)


def simulated_implausibility(fig: Figure, values: np.ndarray, seed_var: float) -> np.ndarray:
    """I of run points from their own seed-means (no emulator: the mean's own noise instead)."""
    z = fig.transform(values)
    n = np.sum(np.isfinite(z), axis=1)
    mean = np.nanmean(z, axis=1)
    return np.abs(fig.z - mean) / np.sqrt(
        seed_var / np.maximum(n, 1) + fig.obs_sd**2 + fig.discrepancy_sd**2 + seed_var
    )


def _say(progress: bool, text: str) -> None:
    if progress:
        print(text, file=sys.stderr, flush=True)


def calibrate(
    study: Study, root: str | Path, jobs: int = 1, progress: bool = True, launcher: str = "joblib"
) -> Calibration:
    """Run the study's waves under ``root`` (resumable); return the waves and why they stopped.

    An empty non-implausible space does not raise here: ``Calibration.empty`` says which target
    ruled out what, so the report can show it; the command line then exits with an error.
    ``launcher`` (joblib, ray or slurm) is passed to ``run_tasks``: where runs go, not what they are.
    """
    started = time.perf_counter()
    revision = git_revision()
    root = Path(root)
    factors = factors_named(study.factors)
    d = len(factors)
    runner = Runner(study, factors, root, jobs, progress, launcher)
    figures = list(study.figures)
    truth = None
    if study.synthetic:
        from dataclasses import replace

        truth = np.array(study.truth, dtype=float)
        _say(progress, f"synthetic truth at {dict(zip(study.factors, to_values(factors, truth)[0], strict=True))}")
        got = runner.measure(figures, runner.run("truth", [truth], 2, 900))
        figures = [replace(f, observed=float(np.nanmean(got[f.id][0]))) for f in figures]
        figures = [replace(f, lo=f.observed * 0.5, hi=f.observed * 1.5) for f in figures]
    reference = {}
    if study.reference_seeds:
        _say(progress, f"defaults: {study.reference_seeds} seeds")
        ref = runner.measure(figures, runner.run("defaults", [None], study.reference_seeds, 0))
        reference = {k: v[0] for k, v in ref.items()}
    targets = [f for f in figures if f.role == "target"]
    if not targets:
        raise ValueError("no calibration target: name at least one with --targets")
    candidates = qmc.Sobol(d=d, scramble=True, seed=SWEEP_SEED).random_base2(study.candidates)
    kept = np.ones(len(candidates), bool)
    design = qmc.LatinHypercube(d=d, seed=SWEEP_SEED).random(study.points)
    cal = Calibration(study, factors, figures, [], candidates, reference, truth=truth, revision=revision)
    for number in range(1, study.max_waves + 1):
        _say(progress, f"wave {number}: {len(design)} points x {study.seeds} seeds")
        values = runner.measure(figures, runner.run(f"wave{number}", list(design), study.seeds, 1000 * number))
        seed_var = {}
        for f in targets:
            v = pooled_seed_var(f, [*values[f.id], *([reference[f.id]] if f.id in reference else [])])
            if not np.isfinite(v):
                raise ValueError(f"{f.id}: no point has two seeds, so seed noise cannot be estimated")
            seed_var[f.id] = v
        emulators = {}
        for f in targets:
            z = f.transform(values[f.id])
            n = np.sum(np.isfinite(z), axis=1)
            emulators[f.id] = fit(f.id, design, np.nanmean(z, axis=1), seed_var[f.id] / np.maximum(n, 1))
            s = emulators[f.id].summary()
            _say(
                progress,
                f"  {f.id}: LOO coverage(±2sd) {s['coverage_2sd']:.2f}, max |e| {s['loo_max_abs_std']:.1f}, "
                f"{'valid' if s['valid'] else 'NOT valid: not used to rule out'}",
            )
        wave = Wave(number, design, values, seed_var, emulators)
        before = kept.copy()
        for f in targets:
            if not emulators[f.id].valid:
                continue
            alone = implausibility(f, emulators[f.id], seed_var[f.id], candidates) <= study.cutoff
            wave.ruled_out_by[f.id] = float(np.mean(before & ~alone) / max(np.mean(before), 1e-12))
            kept &= alone
        wave.kept, wave.share = kept.copy(), float(np.mean(kept))
        cal.waves.append(wave)
        previous = float(np.mean(before))
        _say(
            progress,
            f"  non-implausible: {wave.share:.1%} of the box (was {previous:.1%}); ruled out alone: "
            + ", ".join(f"{k} {v:.0%}" for k, v in wave.ruled_out_by.items()),
        )
        if not any(e.valid for e in emulators.values()):
            cal.stop = f"wave {number}: no emulator passed leave-one-out; a larger design is needed"
            break
        if not kept.any():
            worst = max(wave.ruled_out_by, key=wave.ruled_out_by.get)
            cal.empty = (
                f"wave {number}: every point of the box is implausible; {worst} alone rules out "
                f"{wave.ruled_out_by[worst]:.0%} of what was left (model discrepancy or ranges too narrow)"
            )
            break
        if wave.share < study.small:
            cal.stop = f"wave {number}: the space is small ({wave.share:.1%} of the box, below {study.small:.0%})"
            break
        if number > 1 and wave.share > study.shrink * previous:
            cal.stop = f"wave {number}: the space stopped shrinking ({wave.share:.1%} after {previous:.1%})"
            break
        if number == study.max_waves:
            cal.stop = f"wave {number}: the last wave allowed (non-implausible {wave.share:.1%} of the box)"
            break
        design = maximin(candidates[kept], study.points)
    if kept.any() and study.ensemble:
        # The emulators say where the history may be matched; runs there say whether it is.
        points = maximin(candidates[kept], study.ensemble)
        _say(progress, f"check: {len(points)} points drawn in the final space x {study.seeds} seeds")
        cal.check = (points, runner.measure(figures, runner.run("check", list(points), study.seeds, 100_000)))
    cal.runs, cal.seconds, cal.run_seconds = runner.runs, time.perf_counter() - started, runner.run_seconds
    return cal


__all__ = [
    "Calibration",
    "Runner",
    "Wave",
    "calibrate",
    "implausibility",
    "maximin",
    "pooled_seed_var",
    "simulated_implausibility",
    "to_unit",
    "to_values",
]
