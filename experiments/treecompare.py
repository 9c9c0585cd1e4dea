"""Compare checkouts of the code: the same bytes, and the CPU time of a week against BoltzmannWealth.

How the speed work of issue 18 was measured (docs/performance.md). Each tree is a checkout of
this repository (``git worktree add ../before <commit>``); every measurement runs in a fresh
process with the tree first on ``PYTHONPATH``, and the trees alternate, so load that drifts
hits both sides of a ratio::

    python -m experiments.treecompare hashes                      # this tree's outputs, hashed
    python -m experiments.treecompare hashes --tree ../before     # the same, for another checkout
    python -m experiments.treecompare cpu ../before . --repeats 3 # CPU of a default run and of BoltzmannWealth
    python -m experiments.treecompare cpu ../before . --warm-weeks 4   # the same after a short run in the process

``hashes`` prints one line per file a run writes (its manifest and timings left out) for the
default (156 weeks, seed 3), history (200 weeks, seed 1) and small (100 weeks, seed 7)
scenarios: two trees whose lines are equal give byte-identical results. ``cpu`` prints, per
tree, the medians of the CPU seconds (``time.process_time``) of a default run with its build and
burn-in, of its armed groups' phase, and of BoltzmannWealth with as many agents and steps in the
same process, and the ratio of the two.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

CASES = (("default", 156, 3), ("history", 200, 1), ("small", 100, 7))
VOLATILE = ("wall_seconds", "git_revision")  # summary keys that differ between identical runs
ROOT = Path(__file__).resolve().parent.parent


# The two measurements, run as ``python -c`` in a fresh process with the tree first on the path:
# so the code measured is the tree's, and older checkouts (which lack this module) work too.
_HASHES = """
import hashlib, json, sys, tempfile
from pathlib import Path
from sim.run import run
from simcli.compose import compose
for case in json.loads(sys.argv[1]):
    name, steps, seed = case
    config = compose([f"scenario={name}", f"steps={steps}", f"seed={seed}", "output.progress=false"])
    with tempfile.TemporaryDirectory() as out:
        run(config, out)
        for path in sorted(p for p in Path(out).iterdir() if p.is_file() and p.name != "manifest.json"):
            data = path.read_bytes()
            if path.name == "summary.json":
                volatile = json.loads(sys.argv[2])
                data = json.dumps({k: v for k, v in json.loads(data).items() if k not in volatile}, sort_keys=True)
                data = data.encode()
            print(name, path.name, hashlib.sha256(data).hexdigest()[:16])
"""
_CPU_ONCE = """
import json, math, sys, time
from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannScenario, BoltzmannWealth
from sim.run import run
from simcli.compose import compose
seed, steps, warm = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
box = {"groups": 0.0, "warm": 0.0}
def timed(step):
    def call(*args):
        start = time.process_time()
        step(*args)
        box["groups"] += time.process_time() - start
    return call
class Phases:
    def start(self, model):
        box["agents"] = model.n_agents_initial
        model.phases = [(p, timed(f) if p == "armed_groups" else f) for p, f in model.phases]
    def after_week(self, model):
        pass
if warm:  # a short run first: imports done, compiled kernels loaded, as in a sweep's worker
    start = time.process_time()
    run(compose(["scenario=default", f"steps={warm}", f"seed={seed + 1000}", "output.progress=false"]))
    box["warm"] = time.process_time() - start
config = compose(["scenario=default", f"steps={steps}", f"seed={seed}", "output.progress=false"])
box["groups"] = 0.0
start = time.process_time()
run(config, observers=[Phases()])
sahel = time.process_time() - start
side = math.ceil(math.sqrt(box["agents"]))
start = time.process_time()
boltzmann = BoltzmannWealth(BoltzmannScenario(rng=seed, n=box["agents"], width=side, height=side))
for _ in range(steps):
    boltzmann.step()
box.update(sahel=sahel, boltzmann=time.process_time() - start)
print(json.dumps(box))
"""


def in_tree(tree: Path, script: str, *args: str) -> str:
    """``script`` run by ``python -c`` in a fresh process with ``tree`` first on the path; its stdout."""
    env = {**os.environ, "PYTHONPATH": str(tree.resolve())}
    proc = subprocess.run([sys.executable, "-c", script, *args], env=env, cwd=tree, capture_output=True, text=True)
    if proc.returncode != 0:
        last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit code {proc.returncode}"
        raise SystemExit(f"error: in {tree}: {last}")
    return proc.stdout


def output_hashes(tree: Path = ROOT, cases=CASES) -> list[str]:
    """``scenario file hash`` lines of every file the runs of ``cases`` write, with the code of ``tree``."""
    return in_tree(tree, _HASHES, json.dumps(cases), json.dumps(VOLATILE)).splitlines()


def cpu_once(tree: Path, seed: int, steps: int = 520, warm: int = 0) -> dict:
    """CPU seconds of a default run, its armed groups' phase and BoltzmannWealth, in one fresh process.

    With ``warm`` weeks, a run that long goes first in the same process (its CPU is ``warm``), so
    the timed run is what a sweep's worker pays after its first run: imports and the compiled
    kernels' loading (:mod:`sim.compiled`) left out.
    """
    return json.loads(in_tree(tree, _CPU_ONCE, str(seed), str(steps), str(warm)).splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    hashes = sub.add_parser("hashes", help="hash every output of three scenarios' runs")
    hashes.add_argument("--tree", type=Path, help="a checkout to hash instead of this one")
    cpu = sub.add_parser("cpu", help="alternate trees: CPU of a default run and of BoltzmannWealth")
    cpu.add_argument("trees", type=Path, nargs="+", help="checkouts of this repository")
    cpu.add_argument("--repeats", type=int, default=3, help="alternations (medians reported)")
    cpu.add_argument("--steps", type=int, default=520, help="weeks of each run")
    cpu.add_argument(
        "--warm-weeks", type=int, default=0, help="a run this long first in each process (loads left out of the timing)"
    )
    args = parser.parse_args(argv)
    trees = args.trees if args.command == "cpu" else [args.tree or ROOT]
    missing = [t for t in trees if not (t / "sim" / "__init__.py").exists()]
    if missing:
        raise SystemExit(f"error: not a checkout of this repository: {', '.join(map(str, missing))}")
    if args.command == "hashes":
        print("\n".join(output_hashes(trees[0])))
    else:
        seen: dict[Path, list[dict]] = {t: [] for t in args.trees}
        for i in range(args.repeats):
            for tree in args.trees:
                seen[tree].append(cpu_once(tree, i, args.steps, args.warm_weeks))
                print(f"repeat {i + 1}/{args.repeats}: {tree} {seen[tree][-1]}", file=sys.stderr, flush=True)
        for tree, runs in seen.items():

            def median(key, runs=runs):
                return statistics.median(key(r) for r in runs)

            print(
                f"{tree}: run {median(lambda r: r['sahel']):.2f} s CPU "
                f"(armed groups {median(lambda r: r['groups']):.2f} s), "
                f"BoltzmannWealth {median(lambda r: r['boltzmann']):.2f} s, "
                f"ratio {median(lambda r: r['sahel'] / r['boltzmann']):.2f}, "
                f"warm-up run {median(lambda r: r['warm']):.2f} s ({runs[0]['agents']} agents; "
                f"medians of {len(runs)}; load average {os.getloadavg()[0]:.1f})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
