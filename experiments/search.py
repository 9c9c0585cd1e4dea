"""Robust policy search: packages of policies on the Pareto front of several outcomes.

::

    python -m experiments.search DIR --generations 4 --population 8 --scenarios 3 --seeds 2 --steps 52

A *package* is a set of the fourteen policies, each with an intensity, a start week and, where
a policy takes them, a target choice. Each package is run over a few *assumption scenarios*
(a Latin hypercube over assumption ranges of the parameter table) and seeds, every run through
``sim.sweep`` (``DIR/runs/<hash>/``: a run is never computed twice). Its score on each
objective is the mean over scenarios and seeds, or (``--measure p90_regret``, the default) the
90th percentile of its *regret*: in each scenario and seed, how much worse it does than the best
of the reference set (doing nothing and each of the fourteen policies alone, at their defaults).

The optimiser is pymoo's NSGA-II (Deb et al. 2002), asked and told one generation at a time: a
maintained library with a plain ask-and-tell loop, so evaluations go through our own sweep
machinery rather than the optimiser's, and its whole state pickles, so ``DIR/archive.pkl``
after each generation lets a killed search resume where it stopped (the runs of an unfinished
generation are found in ``DIR/runs``). ``DIR/search.md`` reports the front: each package's
content, its scores, and its distance from the nearest single policy; ``DIR/front.json`` lists
the front's packages with the runs each was scored on, which the browser opens
(:mod:`simviz.package`).

Runs go through the studies' one batch runner (:func:`experiments.runner.run_blocks`): local
processes (``--jobs N``), or with ``--launcher ray`` the Ray cluster at ``RAY_ADDRESS``, or with
``--launcher slurm`` SLURM jobs, all writing into the same ``DIR/runs`` (an absolute path every
worker must share). Where a run is computed does not change its key or its bytes.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import pickle
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.design import factors_named, latin_hypercube, point_config, run_all
from experiments.runner import LAUNCHERS, ClusterFailedError
from sim.errors import ConfigError, SimError
from sim.outcomes import Outcome
from sim.policies import POLICIES
from sim.sweep import run_key, single_runs

EXIT_USAGE = 2
ARCHIVE = "archive.pkl"
SETTINGS = "search.json"
# (outcome, direction): the four of issue 17. delivered_value_usd has no declared direction in
# the registry (flows are not good or bad in themselves); for this search less illicit value
# delivered is better.
OBJECTIVES = (
    ("delivered_value_usd", "lower"),
    ("civilian_fatalities", None),
    ("food_security_north_index", None),
    ("policy_cost_usd", None),
)
FACTORS = (
    "scenario.communities.import_dependence_north",
    "scenario.officials.integrity_mean",
    "scenario.traffickers.patience_weeks",
)
# Target choices of the policies that take them (the rest act on their defaults): every crossing,
# or those to one neighbour, by place id (a country's name resolves to no crossing in
# sim/policies/base.py today: the region of the places abroad carries the same name).
TARGETS: dict[str, list[list[str]]] = {
    "border_control": [
        [],
        ["in_khalil", "tinzaouaten"],  # Algeria
        ["labbezanga", "anderamboukane"],  # Niger
        ["gogui", "nara", "fassala"],  # Mauritania
        ["koury", "koro"],  # Burkina Faso
    ],
}
EXTRA: dict[str, tuple[str, list]] = {  # a choice among values of one more field
    "border_control": ("crime_sensitive", [False, True]),
    "counter_terrorism": ("targeting", ["jihadist_only", "all_armed"]),
}
INTENSITY = (0.25, 2.0)


@dataclass
class Settings:
    """What a search runs; stored in ``search.json`` so a resume with other settings is refused."""

    policies: list[str]
    objectives: list[tuple[str, str]]
    factors: list[str]
    scenarios: int
    seeds: int
    steps: int
    scenario: dict
    population: int
    measure: str
    seed: int = 1
    max_start: float = 0.5  # latest start, as a share of the run

    def digest(self) -> str:
        """Hash of the settings (the generations may grow on resume)."""
        return hashlib.sha256(json.dumps(dataclasses.asdict(self), sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class Space:
    """The genes of a package: per policy a switch, an intensity, a start, and its choices."""

    policies: list[str]
    genes: list[tuple[str, str]] = field(default_factory=list)  # (policy, what)

    def __post_init__(self):
        for p in self.policies:
            self.genes += [(p, "on"), (p, "intensity"), (p, "start")]
            if p in TARGETS:
                self.genes.append((p, "targets"))
            if p in EXTRA:
                self.genes.append((p, "extra"))

    @property
    def n(self) -> int:
        """Number of genes."""
        return len(self.genes)

    def decode(self, x: np.ndarray, weeks: int, max_start: float) -> dict:
        """The policy section of a package (genes in [0, 1])."""
        out: dict = {}
        for (p, what), v in zip(self.genes, np.clip(x, 0.0, 1.0), strict=True):
            cfg = out.setdefault(p, {})
            if what == "on":
                cfg["enabled"] = bool(v >= 0.5)
            elif what == "intensity":
                cfg["intensity"] = round(INTENSITY[0] + v * (INTENSITY[1] - INTENSITY[0]), 2)
            elif what == "start":
                cfg["start"] = 1 + round(float(v) * max_start * (weeks - 1))
            elif what == "targets":
                choices = TARGETS[p]
                cfg["targets"] = choices[min(int(v * len(choices)), len(choices) - 1)]
            else:
                key, choices = EXTRA[p]
                cfg[key] = choices[min(int(v * len(choices)), len(choices) - 1)]
        return {p: c for p, c in out.items() if c["enabled"]}


def describe(package: dict) -> str:
    """A package in one line: ``border_control(x1.2 from w10, Algeria, crime_sensitive)``."""
    if not package:
        return "nothing"
    parts = []
    for p, c in package.items():
        bits = [f"x{c.get('intensity', 1.0):g}", f"from w{c.get('start', 1)}"]
        if c.get("targets"):
            bits.append("+".join(c["targets"]))
        if p in EXTRA and EXTRA[p][0] in c:
            bits.append(f"{EXTRA[p][0]}={c[EXTRA[p][0]]}")
        parts.append(f"{p}({', '.join(bits)})")
    return " + ".join(parts)


# --- evaluation through the sweep machinery -------------------------------------------------


def assumption_points(settings: Settings) -> pd.DataFrame:
    """The assumption scenarios of a search (Latin hypercube points over its factors), one row each."""
    return latin_hypercube(factors_named(settings.factors), settings.scenarios, seed=settings.seed)


def package_configs(settings: Settings, points: pd.DataFrame, package: dict):
    """(block of seeds, point index) of a package in each assumption scenario, as the search runs them."""
    base = {"steps": settings.steps, "scenario": settings.scenario}
    for i, row in points.iterrows():
        point = row.to_dict()
        for p, cfg in package.items():
            for k, v in cfg.items():
                point[f"policy.{p}.{k}"] = v
        yield point_config(base, point, 1, settings.seeds), i


def package_runs(settings: Settings, points: pd.DataFrame, package: dict) -> list[dict]:
    """The single runs a package was scored on: run key, assumption scenario, seed, assumption values."""
    out = []
    for block, i in package_configs(settings, points, package):
        values = {k: (v.item() if hasattr(v, "item") else v) for k, v in points.loc[i].to_dict().items()}
        for single in single_runs(block):
            out.append({"key": run_key(single), "point": int(i), "seed": int(single.seed), "assumptions": values})
    return out


class Evaluator:
    """Runs packages over the scenarios and seeds under ``root/runs`` and scores them."""

    def __init__(
        self, root: Path, settings: Settings, outcomes: dict[str, str], jobs: int = 1, launcher: str = "joblib"
    ):
        self.root, self.s, self.jobs, self.launcher = root, settings, jobs, launcher
        self.directions = outcomes  # name -> "lower" | "higher"
        self.points = assumption_points(settings)
        self.reference: dict[str, np.ndarray] = {}

    def _configs(self, package: dict):
        return package_configs(self.s, self.points, package)

    def values(self, packages: list[dict]) -> list[np.ndarray]:
        """Outcome values of each package, (objectives, scenarios x seeds), oriented to minimise."""
        blocks = [[c for c, _ in self._configs(pkg)] for pkg in packages]
        run_all(
            [(c, f"[{describe(pkg)[:60]}]") for pkg, cs in zip(packages, blocks, strict=True) for c in cs],
            self.root,
            self.jobs,
            self.launcher,
        )
        out = []
        for cs in blocks:
            rows = []
            for c in cs:
                for single in single_runs(c):
                    path = self.root / "runs" / run_key(single) / "summary.json"
                    if not path.exists():
                        raise RuntimeError(f"run failed: {path.parent}/error.txt")
                    rows.append(json.loads(path.read_text(encoding="utf-8")))
            v = np.array([[r[name] for r in rows] for name in self.directions], dtype=float)
            sign = np.array([1.0 if d == "lower" else -1.0 for d in self.directions.values()])
            out.append(v * sign[:, None])
        return out

    def set_reference(self) -> dict[str, np.ndarray]:
        """Doing nothing and each policy alone at its defaults: the baseline of regret and distance."""
        names = ["none", *self.s.policies]
        packages = [{}] + [{p: {"enabled": True}} for p in self.s.policies]
        self.reference = dict(zip(names, self.values(packages), strict=True))
        return self.reference

    def score(self, values: np.ndarray) -> np.ndarray:
        """One number per objective (smaller is better)."""
        if self.s.measure == "mean":
            return values.mean(axis=1)
        best = np.min(np.stack(list(self.reference.values())), axis=0)
        return np.percentile(values - best, 90, axis=1)


# --- the optimiser -----------------------------------------------------------------------------


def _problem(space: Space, n_obj: int):
    from pymoo.core.problem import Problem

    return Problem(n_var=space.n, n_obj=n_obj, xl=0.0, xu=1.0)


def _algorithm(settings: Settings, space: Space):
    from pymoo.algorithms.moo.nsga2 import NSGA2

    algorithm = NSGA2(pop_size=settings.population, eliminate_duplicates=True)
    algorithm.setup(
        _problem(space, len(settings.objectives)), termination=("n_gen", 10**9), seed=settings.seed, verbose=False
    )
    return algorithm


def _save(path: Path, payload: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_bytes(pickle.dumps(payload))
    os.replace(tmp, path)


def search(root: Path, settings: Settings, generations: int, jobs: int = 1, launcher: str = "joblib") -> dict:
    """Run (or resume) a search; returns the archive (every package evaluated, and the front)."""
    from pymoo.core.evaluator import Evaluator as PymooEvaluator
    from pymoo.problems.static import StaticProblem

    root.mkdir(parents=True, exist_ok=True)
    known = {o.name: o for o in _registry()}
    directions = {}
    for name, direction in settings.objectives:
        if name not in known:
            raise ConfigError("--objective", name, "an outcome of sim/outcomes.py", "unknown outcome")
        direction = direction or known[name].better
        if direction not in ("lower", "higher"):
            raise ConfigError(
                "--objective", name, f"{name}:lower or {name}:higher", "the registry declares no direction"
            )
        directions[name] = direction
    settings_file = root / SETTINGS
    if settings_file.exists():
        stored = json.loads(settings_file.read_text(encoding="utf-8"))
        if stored["digest"] != settings.digest():
            raise ConfigError("DIR", str(root), "the settings it was started with (search.json)", "other settings")
    else:
        body = {"digest": settings.digest(), "settings": dataclasses.asdict(settings)}
        settings_file.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
    space = Space(settings.policies)
    evaluator = Evaluator(root, settings, directions, jobs, launcher)
    evaluator.set_reference()
    archive_file = root / ARCHIVE
    if archive_file.exists():
        archive = pickle.loads(archive_file.read_bytes())  # our own file
        algorithm = archive["algorithm"]
    else:
        algorithm = _algorithm(settings, space)
        archive = {"algorithm": algorithm, "evaluated": [], "generations": 0}
    weeks = settings.steps
    while archive["generations"] < generations:  # our loop: a resume may ask for more
        pop = algorithm.ask()
        packages = [space.decode(x, weeks, settings.max_start) for x in pop.get("X")]
        values = evaluator.values(packages)
        scores = np.array([evaluator.score(v) for v in values])
        PymooEvaluator().eval(StaticProblem(algorithm.problem, F=scores), pop)
        algorithm.tell(infills=pop)
        archive["generations"] += 1
        for pkg, sc, v in zip(packages, scores, values, strict=True):
            archive["evaluated"].append(
                {"generation": archive["generations"], "package": pkg, "score": sc.tolist(), "mean": v.mean(1).tolist()}
            )
        _save(archive_file, archive)
        print(f"generation {archive['generations']}: {len(packages)} packages evaluated -> {root}", file=sys.stderr)
    archive["front"] = _front(archive["evaluated"])
    archive["reference"] = {
        k: {"score": evaluator.score(v).tolist(), "mean": v.mean(1).tolist()} for k, v in evaluator.reference.items()
    }
    archive["directions"] = directions
    _save(archive_file, archive)
    return archive


def _registry() -> list[Outcome]:
    from sim.outcomedoc import registry_of_world

    return registry_of_world()


def _front(evaluated: list[dict]) -> list[dict]:
    """The non-dominated packages among all evaluated (duplicates once)."""
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    unique = {}
    for e in evaluated:
        unique.setdefault(json.dumps(e["package"], sort_keys=True), e)
    items = list(unique.values())
    scores = np.array([e["score"] for e in items])
    idx = NonDominatedSorting().do(scores, only_non_dominated_front=True)
    return [items[i] for i in sorted(idx, key=lambda i: scores[i][0])]


# --- the report --------------------------------------------------------------------------------


def report(root: Path, archive: dict) -> str:
    """``search.md`` and ``front.csv``: the front, each package, its distance from single policies."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(archive["directions"])
    ref = archive["reference"]
    ref_scores = np.array([r["score"] for r in ref.values()])
    spread = np.ptp(np.vstack([ref_scores, [e["score"] for e in archive["front"]]]), axis=0)
    spread[spread == 0] = 1.0
    rows = []
    for e in archive["front"]:
        d = np.sqrt((((ref_scores - np.array(e["score"])) / spread) ** 2).sum(axis=1))
        nearest = list(ref)[int(np.argmin(d))]
        dominated = [k for k, r in ref.items() if np.all(np.array(e["score"]) <= np.array(r["score"]))]
        rows.append(
            {
                "package": describe(e["package"]),
                "policies": len(e["package"]),
                **dict(zip(names, e["score"], strict=True)),
                "nearest_single": nearest,
                "distance": round(float(d.min()), 3),
                "at_least_as_good_as": len(dominated),
            }
        )
    front = pd.DataFrame(rows)
    front.to_csv(root / "front.csv", index=False)
    write_front_json(root, archive)
    fig, axes = plt.subplots(1, len(names) - 1, figsize=(4 * (len(names) - 1), 3.6))
    for k, ax in enumerate(np.atleast_1d(axes)):
        ax.scatter(ref_scores[:, 0], ref_scores[:, k + 1], marker="x", c="0.5", label="single policies, none")
        f = np.array([e["score"] for e in archive["front"]])
        ax.scatter(f[:, 0], f[:, k + 1], c="tab:red", label="front")
        ax.set_xlabel(names[0], fontsize=8)
        ax.set_ylabel(names[k + 1], fontsize=8)
    np.atleast_1d(axes)[0].legend(fontsize=7)
    measure = json.loads((root / SETTINGS).read_text())["settings"]["measure"]
    what = "90th percentile of regret against the best reference" if measure == "p90_regret" else "mean"
    fig.suptitle(f"scores: {what} (smaller is better; higher-is-better outcomes negated)", fontsize=9)
    fig.tight_layout()
    fig.savefig(root / "front.png", dpi=110)
    plt.close(fig)
    lines = [
        "# Robust policy search",
        "",
        f"{archive['generations']} generations, {len(archive['evaluated'])} packages evaluated; "
        f"score per objective: {what} over scenarios and seeds, oriented so that smaller is better "
        "(objectives where higher is better are negated).",
        "",
        "Directions: " + ", ".join(f"`{n}` {d}" for n, d in archive["directions"].items()) + ".",
        "",
        "## The front",
        "",
        _markdown(front),
        "",
        "`distance`: from the nearest reference package (none or one policy alone), each objective scaled by its",
        "range; `at_least_as_good_as`: reference packages it matches or beats on every objective.",
        "",
        "![front](front.png)",
        "",
        "## Reference: none and each policy alone",
        "",
        "| package | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
        *[f"| {k} | " + " | ".join(f"{s:.4g}" for s in r["score"]) + " |" for k, r in ref.items()],
        "",
    ]
    text = "\n".join(lines)
    (root / "search.md").write_text(text, encoding="utf-8")
    return text


def write_front_json(root: Path, archive: dict) -> None:
    """``front.json``: each package of the front (in ``front.csv``'s order) with the runs it was scored on.

    The browser's scenario page opens a package's run from it (:mod:`simviz.package`); JSON, so
    the page never unpickles a file.
    """
    stored = json.loads((root / SETTINGS).read_text(encoding="utf-8"))["settings"]
    settings = Settings(**stored)
    points = assumption_points(settings)
    body = {
        "objectives": list(archive["directions"]),
        "directions": archive["directions"],
        "front": [
            {
                "describe": describe(e["package"]),
                "package": e["package"],
                "score": e["score"],
                "mean": e["mean"],
                "runs": package_runs(settings, points, e["package"]),
            }
            for e in archive["front"]
        ],
    }
    tmp = root / f".front.json.tmp{os.getpid()}"
    tmp.write_text(json.dumps(body, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, root / "front.json")


def _markdown(df: pd.DataFrame) -> str:
    """A table in Markdown (numbers to four significant digits)."""

    def cell(v) -> str:
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    head = "| " + " | ".join(df.columns) + " |\n|" + "---|" * len(df.columns)
    return head + "".join("\n| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False))


def main(argv: list[str] | None = None) -> int:
    """``python -m experiments.search DIR [options]``."""
    p = argparse.ArgumentParser(prog="python -m experiments.search", description=__doc__.split("\n\n")[0])
    p.add_argument("dir", type=Path)
    p.add_argument("--generations", type=int, default=4)
    p.add_argument("--population", type=int, default=8)
    p.add_argument("--scenarios", type=int, default=3, help="assumption scenarios (Latin hypercube points)")
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument("--steps", type=int, default=52)
    p.add_argument("--scenario", default="small", choices=("small", "default"))
    p.add_argument(
        "--policies", default=",".join(POLICIES), help=f"comma-separated candidates (default: all {len(POLICIES)})"
    )
    p.add_argument("--objective", action="append", default=None, help="OUTCOME or OUTCOME:lower|higher (repeat)")
    p.add_argument("--factor", action="append", default=None, help="assumption varied across scenarios (repeat)")
    p.add_argument("--measure", default="p90_regret", choices=("p90_regret", "mean"))
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--launcher", default="joblib", choices=LAUNCHERS, help="where runs go (README: Launchers)")
    args = p.parse_args(argv)
    try:
        policies = [s.strip() for s in args.policies.split(",") if s.strip()]
        for name in policies:
            if name not in POLICIES:
                raise ConfigError("--policies", name, ", ".join(POLICIES), "unknown policy")
        objectives = [tuple(o.split(":", 1)) if ":" in o else (o, None) for o in args.objective or []]
        if objectives and len(objectives) < 2:
            raise ConfigError("--objective", objectives[0][0], "two or more objectives", "only one")
        scenario = {"name": args.scenario}
        if args.scenario == "small":
            scenario |= {"steps": 104, "supply_scale": 0.1}
        settings = Settings(
            policies=policies,
            objectives=[list(o) for o in objectives] if objectives else [list(o) for o in OBJECTIVES],
            factors=args.factor or list(FACTORS),
            scenarios=args.scenarios,
            seeds=args.seeds,
            steps=args.steps,
            scenario=scenario,
            population=args.population,
            measure=args.measure,
        )
        archive = search(args.dir, settings, args.generations, args.jobs, args.launcher)
    except ClusterFailedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except SimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    report(args.dir, archive)
    print(f"{len(archive['front'])} packages on the front -> {args.dir / 'search.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
