"""Compare checkouts of the code: the same bytes, and the CPU time of a week against BoltzmannWealth.

How the speed work of issue 18 was measured (docs/performance.md). Each tree is a checkout of
this repository (``git worktree add ../before <commit>``); every measurement runs in a fresh
process with the tree first on ``PYTHONPATH``, and the trees alternate, so load that drifts
hits both sides of a ratio::

    python -m experiments.treecompare hashes                      # this tree's outputs, hashed
    python -m experiments.treecompare hashes --tree ../before     # the same, for another checkout
    python -m experiments.treecompare cpu ../before . --repeats 3 # CPU of a default run and of BoltzmannWealth

``hashes`` prints one line per file a run writes (its manifest and timings left out) for the
default (156 weeks, seed 3), history (200 weeks, seed 1) and small (100 weeks, seed 7)
scenarios: two trees whose lines are equal give byte-identical results. ``cpu`` prints, per
tree, the medians of the CPU seconds (``time.process_time``) of a default run with its build and
burn-in, of its armed groups' phase, and of BoltzmannWealth with as many agents and steps in the
same process, and the ratio of the two.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASES = (("default", 156, 3), ("history", 200, 1), ("small", 100, 7))
VOLATILE = ("wall_seconds", "git_revision")  # summary keys that differ between identical runs


def output_hashes(cases=CASES) -> list[str]:
    """``scenario file hash`` lines of every file the runs of ``cases`` write, in this process's tree."""
    from sim.run import run
    from simcli.compose import compose

    lines = []
    for name, steps, seed in cases:
        config = compose([f"scenario={name}", f"steps={steps}", f"seed={seed}", "output.progress=false"])
        with tempfile.TemporaryDirectory() as out:
            run(config, out)
            for path in sorted(p for p in Path(out).iterdir() if p.is_file() and p.name != "manifest.json"):
                data = path.read_bytes()
                if path.name == "summary.json":
                    summary = {k: v for k, v in json.loads(data).items() if k not in VOLATILE}
                    data = json.dumps(summary, sort_keys=True).encode()
                lines.append(f"{name} {path.name} {hashlib.sha256(data).hexdigest()[:16]}")
    return lines


def cpu_once(seed: int, steps: int = 520) -> dict:
    """CPU seconds of a default run, of its armed groups' phase, and of BoltzmannWealth, in this process."""
    from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannScenario, BoltzmannWealth

    from sim.run import run
    from simcli.compose import compose

    box = {"groups": 0.0}

    class Phases:
        def start(self, model) -> None:
            box["agents"] = model.n_agents_initial

            def timed(step):
                def call(*args):
                    start = time.process_time()
                    step(*args)
                    box["groups"] += time.process_time() - start

                return call

            model.phases = [(p, timed(f) if p == "armed_groups" else f) for p, f in model.phases]

        def after_week(self, model) -> None:
            pass

    config = compose(["scenario=default", f"steps={steps}", f"seed={seed}", "output.progress=false"])
    start = time.process_time()
    run(config, observers=[Phases()])
    sahel = time.process_time() - start
    side = math.ceil(math.sqrt(box["agents"]))
    start = time.process_time()
    model = BoltzmannWealth(BoltzmannScenario(rng=seed, n=box["agents"], width=side, height=side))
    for _ in range(steps):
        model.step()
    return {"sahel": sahel, "groups": box["groups"], "boltzmann": time.process_time() - start, "agents": box["agents"]}


def in_tree(tree: Path, *args: str) -> str:
    """This module's command line run in a fresh process with ``tree`` first on the path; its stdout."""
    env = {**os.environ, "PYTHONPATH": str(tree.resolve())}
    code = "import sys; from experiments.treecompare import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run([sys.executable, "-c", code, *args], env=env, cwd=tree, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"error: in {tree}: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ''}")
    return proc.stdout


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
    once = sub.add_parser("once", help=argparse.SUPPRESS)  # one measurement, in the tree on the path
    once.add_argument("seed", type=int)
    once.add_argument("steps", type=int)
    args = parser.parse_args(argv)
    if args.command == "once":
        print(json.dumps(cpu_once(args.seed, args.steps)))
    elif args.command == "hashes":
        sys.stdout.write(in_tree(args.tree, "hashes") if args.tree else "\n".join(output_hashes()) + "\n")
    else:
        missing = [t for t in args.trees if not (t / "sim" / "__init__.py").exists()]
        if missing:
            raise SystemExit(f"error: not a checkout of this repository: {', '.join(map(str, missing))}")
        seen: dict[Path, list[dict]] = {t: [] for t in args.trees}
        for i in range(args.repeats):
            for tree in args.trees:
                seen[tree].append(json.loads(in_tree(tree, "once", str(i), str(args.steps)).splitlines()[-1]))
                print(f"repeat {i + 1}/{args.repeats}: {tree} {seen[tree][-1]}", file=sys.stderr, flush=True)
        for tree, runs in seen.items():

            def median(key, runs=runs):
                return statistics.median(key(r) for r in runs)

            print(
                f"{tree}: run {median(lambda r: r['sahel']):.2f} s CPU "
                f"(armed groups {median(lambda r: r['groups']):.2f} s), "
                f"BoltzmannWealth {median(lambda r: r['boltzmann']):.2f} s, "
                f"ratio {median(lambda r: r['sahel'] / r['boltzmann']):.2f} ({runs[0]['agents']} agents; "
                f"medians of {len(runs)}; load average {os.getloadavg()[0]:.1f})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
