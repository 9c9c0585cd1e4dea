"""Benchmark: speed against Mesa's BoltzmannWealth, scaling, sweep throughput and peak memory.

``python -m experiments.bench`` measures, each as the median of repeated runs and as ratios
taken within this one process run:

- ``boltzmann``: the default scenario against Mesa's own BoltzmannWealth example
  (``mesa.examples.basic.boltzmann_wealth_model``, as shipped) with as many agents as ours on a
  square grid of side ceil(sqrt(n)), for the same number of steps, the two alternated;
- ``scaling``: the ``large`` scenario (about ten times the agents) and the default scenario
  over ten times the weeks, each over the default's time, against the size ratio;
- ``sweep``: runs per minute of ``experiment=policy_comparison`` with one joblib worker and
  with two (parallel efficiency), and the share of wall time that is not simulation (Hydra,
  process start, writing outputs): 1 - sum of the runs' ``wall_seconds`` / (wall x workers);
- ``memory``: peak resident memory of one default run (``python -m sim``), of aggregating
  a sweep of 1,000 small runs (``python -m experiments.aggregate``), and of aggregating
  ``--linked-runs N`` copies of one ten-year small run (hard links, so a 10,000-run sweep costs
  no simulation and little disk), each in its own process;
- ``design``: ``--design-runs N`` runs of the default scenario (seeds as the factor, blocks of
  10 seeds) through the study runner (:mod:`experiments.runner`, joblib, 2 workers, longest
  blocks first), in its own process: runs a minute, the share of worker time that is not a run
  (efficiency) and the time 10,000 such runs would take at that rate. The clock starts before
  the blocks are made (the scenario composed once, each block's seeds set in a copy, as
  :func:`experiments.design.point_config` makes a design's blocks), so it counts them;
- ``history``: the history counterfactuals (every arm of ``history_no_wagner``,
  ``history_oc_priority`` and ``history_sanctions_continue``; ``--history-seeds`` seeds, a tenth
  of the supply, 2 joblib workers) three ways, one after the other: the three presets straight
  (``branch_from=null``), the three presets branched from their departure dates, and
  ``history_counterfactuals``, one sweep whose arms share a tree of pasts (:mod:`sim.state`):
  wall and CPU seconds of each, the weeks each simulates (:func:`sim.state.simulated_weeks`, the
  bound of the speed-up), and how many runs of the shared sweep have the straight runs' bytes.

``--profile FILE`` writes a pyinstrument call tree of the default scenario to FILE and of the
history scenario to FILE_history (where the time of a week goes), each headed by the seconds and
share of each weekly phase, also printed (the ``dev`` and ``test`` extras install pyinstrument).

``--write`` puts the results into ``docs/performance.md`` (between its ``bench`` markers) with
the machine's description; ``--json FILE`` saves them and ``--before FILE`` adds a column from
an earlier run (e.g. of an older commit). ``--quick`` runs every item at a toy size (CI proves
the script works; it asserts nothing about times).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannScenario, BoltzmannWealth

from sim.params import OutputConfig, RunConfig, ScenarioConfig, from_dict, to_dict
from sim.run import run
from simcli.compose import compose, compose_cfg

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
ITEMS = ("boltzmann", "scaling", "sweep", "memory", "design", "history")
SMALL_RUNS_DIR = ROOT / ".bench" / "small_runs"  # kept between benchmark runs (git-ignored)


# --- timing in this process ----------------------------------------------------------------


def scenario(name: str, **overrides) -> ScenarioConfig:
    """A scenario as ``python -m sim scenario=<name>`` composes it, with overrides."""
    data = to_dict(compose([f"scenario={name}"]).scenario)
    return from_dict(RunConfig, {"scenario": {**data, **overrides}}).scenario


class _Clock:
    """Observer noting the number of agents when the model is built."""

    def start(self, model) -> None:
        self.agents = model.n_agents_initial

    def after_week(self, model) -> None:
        pass


def time_sahel(config: ScenarioConfig, steps: int, seed: int) -> tuple[float, int]:
    """Seconds to build and run the model (through ``sim.run.run``, no files); its initial number of agents."""
    clock = _Clock()
    run_config = RunConfig(scenario=config, seed=seed, steps=steps, output=OutputConfig(progress=False))
    start = time.perf_counter()
    run(run_config, observers=[clock])
    return time.perf_counter() - start, clock.agents


def time_boltzmann(n: int, steps: int, seed: int) -> float:
    """Seconds to build and run Mesa's BoltzmannWealth with ``n`` agents."""
    side = math.ceil(math.sqrt(n))
    start = time.perf_counter()
    model = BoltzmannWealth(BoltzmannScenario(rng=seed, n=n, width=side, height=side))
    for _ in range(steps):
        model.step()
    return time.perf_counter() - start


def profile_default(path: Path, weeks: int, seed: int = 0, name: str = "default") -> Path:
    """Write the call tree of a scenario's weeks (the burn-in left out) to ``path``, with phase shares."""
    try:
        from pyinstrument import Profiler
    except ImportError as exc:  # pragma: no cover - the extras install it
        raise SystemExit('error: --profile needs pyinstrument: pip install -e ".[dev]"') from exc
    profiler = Profiler(interval=0.0005)
    phases: dict[str, float] = {}

    def timed(phase: str, function: Callable[..., None]) -> Callable[..., None]:
        def call(*args) -> None:
            start = time.perf_counter()
            function(*args)
            phases[phase] = phases.get(phase, 0.0) + time.perf_counter() - start

        return call

    class Profile:
        def start(self, model) -> None:  # the burn-in is done: profile the weeks only
            model.phases = [(phase, timed(phase, f)) for phase, f in model.phases]
            collect = model.datacollector.collect
            model.datacollector.collect = timed("outcome collection", collect)
            profiler.start()

        def after_week(self, model) -> None:  # stop before the run's summary is computed
            if model.steps >= weeks:
                profiler.stop()

    config = RunConfig(scenario=scenario(name), seed=seed, steps=weeks, output=OutputConfig(progress=False))
    run(config, observers=[Profile()])
    total = sum(phases.values())
    table = [f"Phases of {weeks} weeks of scenario={name} (seed {seed}), {total:.2f} s in all:"]
    table += [f"  {p:<20} {s:7.3f} s  {s / total:5.1%}" for p, s in sorted(phases.items(), key=lambda x: -x[1])]
    path.write_text("\n".join(table) + "\n\n" + profiler.output_text(unicode=False, color=False))
    return path


def alternate(cases: dict[str, Callable[[int], float]], repeats: int) -> dict[str, float]:
    """Median seconds of each case, the cases alternated within each repeat (load drifts equally)."""
    seconds: dict[str, list[float]] = {name: [] for name in cases}
    for i in range(repeats):
        for name, case in cases.items():
            seconds[name].append(case(i))
    return {name: statistics.median(s) for name, s in seconds.items()}


CORE = {"actors": {"armed_groups": False, "officials": False, "communities": False, "forces": False}}


def bench_boltzmann(quick: bool, repeats: int) -> dict:
    """The default scenario against BoltzmannWealth with as many agents, same steps; and the core model alone."""
    name = "small" if quick else "default"
    config, core = scenario(name), scenario(name, **CORE)
    steps = 20 if quick else config.steps
    agents = {}

    def ours(seed: int) -> float:
        t, agents["n"] = time_sahel(config, steps, seed)
        return t

    def theirs(seed: int) -> float:
        return time_boltzmann(agents["n"], steps, seed)

    def traffickers_only(seed: int) -> float:
        t, agents["core"] = time_sahel(core, steps, seed)
        return t

    med = alternate({"sahel": ours, "boltzmann": theirs, "core": traffickers_only}, repeats)
    return {
        "scenario": config.name,
        "agents": agents["n"],
        "steps": steps,
        "repeats": repeats,
        "sahel_s": med["sahel"],
        "boltzmann_s": med["boltzmann"],
        "ratio": med["sahel"] / med["boltzmann"],
        "core_agents": agents["core"],
        "core_s": med["core"],
        "actors_ratio": med["sahel"] / med["core"],
    }


def bench_scaling(quick: bool, repeats: int) -> dict:
    """Time over the default's for ten times the agents and for ten times the weeks."""
    base = scenario("small") if quick else scenario("default")
    large = scenario("large", supply_scale=12 * base.supply_scale) if quick else scenario("large")
    steps = 10 if quick else base.steps
    agents = {}

    def run(name: str, config: ScenarioConfig, weeks: int) -> Callable[[int], float]:
        def case(seed: int) -> float:
            t, agents[name] = time_sahel(config, weeks, seed)
            return t

        return case

    med = alternate(
        {"base": run("base", base, steps), "large": run("large", large, steps), "long": run("long", base, 10 * steps)},
        repeats,
    )
    return {
        "steps": steps,
        "repeats": repeats,
        "base_agents": agents["base"],
        "large_agents": agents["large"],
        "base_s": med["base"],
        "large_s": med["large"],
        "long_s": med["long"],
        "agent_ratio": agents["large"] / agents["base"],
        "large_time_ratio": med["large"] / med["base"],
        "step_ratio": 10.0,
        "long_time_ratio": med["long"] / med["base"],
    }


# --- whole commands ---------------------------------------------------------------------------


def measure(cmd: list[str], cwd: Path = ROOT) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MiB) of a command and the processes it waited for."""
    wall, usage = _wait(cmd, cwd)
    return wall, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def measure_cpu(cmd: list[str], cwd: Path = ROOT) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user and system) of a command and the processes it waited for."""
    wall, usage = _wait(cmd, cwd)
    return wall, usage.ru_utime + usage.ru_stime


# Runs a command and writes the resource usage of it and the processes it waited for to a file.
# Through this small process, not straight from the benchmark's: on Linux a child's peak memory
# starts at its parent's resident size when it was spawned, so a command started by a benchmark
# that had run the large scenario in-process reported that size as its own peak.
_RUSAGE_WRAPPER = """
import json, resource, subprocess, sys
code = subprocess.run(sys.argv[3:], cwd=sys.argv[2]).returncode
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as f:
    json.dump({"ru_maxrss": usage.ru_maxrss, "ru_utime": usage.ru_utime, "ru_stime": usage.ru_stime}, f)
sys.exit(code)
"""


def _wait(cmd: list[str], cwd: Path) -> tuple[float, SimpleNamespace]:
    """Run a command to its end: wall seconds and its resource usage (with the children it waited for)."""
    # stderr goes to a file, not a pipe: a sweep's progress lines would fill a pipe nobody reads
    # until the command ends, and the command would block on it.
    with tempfile.TemporaryFile() as log, tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "usage.json"
        start = time.perf_counter()
        wrapped = [sys.executable, "-c", _RUSAGE_WRAPPER, str(report), str(cwd), *cmd]
        code = subprocess.run(wrapped, cwd=cwd, stdout=subprocess.DEVNULL, stderr=log).returncode
        wall = time.perf_counter() - start
        if code != 0:
            log.seek(0)
            stderr = log.read().decode(errors="replace")
            raise RuntimeError(f"{' '.join(cmd)} exited {code}:\n{stderr[-3000:]}")
        usage = SimpleNamespace(**json.loads(report.read_text()))
    return wall, usage


def sim_cmd(*args: str) -> list[str]:
    """``python -m sim`` with arguments, as a user runs it."""
    return [sys.executable, "-m", "sim", *args]


def run_summaries(sweep_dir: Path) -> list[dict]:
    """The summaries of the finished runs of a sweep."""
    return [json.loads(p.read_text()) for p in sorted(sweep_dir.glob("runs/*/summary.json"))]


def preset_seeds(name: str) -> int:
    """Seeds per job of an experiment preset."""
    return int(compose_cfg([f"experiment={name}"]).seeds)


def bench_sweep(quick: bool, seeds: int, workdir: Path) -> dict:
    """Runs per minute of policy_comparison with 1 and 2 joblib workers; the share that is overhead."""
    extra = ["scenario=small", "steps=4", "policy=none,ddr,sanctions"] if quick else []
    blocks = [f"seeds={seeds}", "seed=0"] if seeds else []  # 0: the preset's own seed blocks
    out: dict = {"seeds_per_job": seeds or preset_seeds("policy_comparison")}
    for workers in (1, 2):
        sweep_dir = workdir / f"sweep_{workers}"
        args = ["-m", "experiment=policy_comparison", *blocks, f"hydra.launcher.n_jobs={workers}"]
        wall, _ = measure(sim_cmd(*args, *extra, f"hydra.sweep.dir={sweep_dir}"))
        summaries = run_summaries(sweep_dir)
        simulated = sum(s["wall_seconds"] for s in summaries)
        out[f"runs_{workers}"] = len(summaries)
        out[f"wall_{workers}_s"] = wall
        out[f"runs_per_min_{workers}"] = 60 * len(summaries) / wall
        out[f"overhead_{workers}"] = 1 - simulated / (wall * workers)
    out["efficiency"] = out["runs_per_min_2"] / (2 * out["runs_per_min_1"])
    return out


# The blocks are made as a design makes them (experiments.design.point_config: the scenario composed
# once, each block's seeds set in a copy), and the clock runs from before that, so the wall counts
# everything the design pays besides the workers' start (issue 18: composing every block through
# Hydra took 66 ms a block, 66 s for 10,000 runs, outside the clock).
DESIGN_SCRIPT = """
import json, sys, time
from pathlib import Path
start = time.perf_counter()
from experiments.design import point_config
from experiments.runner import run_blocks
from sim.paramspec import to_dict
from simcli.compose import compose
runs, block, workers = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
root, extra = Path(sys.argv[4]), sys.argv[5:]
base = to_dict(compose(extra))
blocks = [(f"seed={s}", point_config(base, {}, s, min(block, runs - s))) for s in range(0, runs, block)]
setup = time.perf_counter() - start
report = run_blocks(blocks, root, jobs=workers)
wall = time.perf_counter() - start
print(json.dumps({"wall": wall, "setup": setup, "done": len(report.done), "failed": len(report.failed)}))
"""


def bench_design(quick: bool, runs: int, workdir: Path, workers: int = 2) -> dict:
    """``runs`` default runs through the study runner on ``workers`` processes; 10,000 extrapolated."""
    extra = ["scenario=small", "steps=4"] if quick else ["scenario=default"]
    block = 2 if quick else 10
    root = workdir / "design"
    proc = subprocess.run(
        [sys.executable, "-c", DESIGN_SCRIPT, str(runs), str(block), str(workers), str(root), *extra],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"design runs failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    simulated = sum(s["wall_seconds"] for s in run_summaries(root))
    wall = out["wall"]
    return {
        "runs": out["done"],
        "workers": workers,
        "wall_s": wall,
        "setup_s": out["setup"],
        "runs_per_min": 60 * out["done"] / wall,
        "efficiency": simulated / (wall * workers),
        "hours_for_10000": 10_000 / (out["done"] / wall) / 3600,
        "scenario": extra[0].split("=")[1],
    }


HISTORY_PRESETS = ("history_no_wagner", "history_oc_priority", "history_sanctions_continue")
# --quick: the three ways on a toy, one sweep each (from June 2021, 34 weeks, the history and two
# counterfactuals departing in December 2021 and January 2022, one seed, one process: the script
# is what is tested, so no worker processes to start).
QUICK_HISTORY = [
    "scenario=history", "scenario.start_date=2021-06-07", "scenario.supply_scale=0.05",
    "scenario.burn_in_weeks=2", "steps=34", "hydra/launcher=basic",
    "scenario.timeline_skip=[],[wagner],[ecowas_closure]",
]  # fmt: skip


def history_sweeps(quick: bool) -> dict[str, list[list[str]]]:
    """The commands (``python -m sim -m`` arguments) of each way to run the history counterfactuals."""
    if quick:
        return {
            "straight": [[*QUICK_HISTORY, "branch_from=null"]],
            "branched": [[*QUICK_HISTORY, "branch_from=2021-12-15"]],
            "shared": [[*QUICK_HISTORY, "branch_from=[2021-12-15,2022-01-09]"]],
        }
    return {
        "straight": [[f"experiment={p}", "branch_from=null"] for p in HISTORY_PRESETS],
        "branched": [[f"experiment={p}"] for p in HISTORY_PRESETS],
        "shared": [["experiment=history_counterfactuals"]],
    }


def sweep_configs(args: list[str]) -> list[RunConfig]:
    """The single-seed configurations a ``python -m sim -m`` sweep runs, in its jobs' order."""
    import itertools

    from hydra.core.override_parser.overrides_parser import OverridesParser

    from sim.sweep import single_runs

    parser = OverridesParser.create()
    parsed = parser.parse_overrides(args)
    plain = [o.input_line for o in parsed if not o.is_sweep_override()]
    swept = {o.get_key_element(): o for o in parsed if o.is_sweep_override()}
    preset = compose_cfg(plain, hydra_config=True).hydra.sweeper.get("params") or {}
    for key, values in preset.items():
        if key not in swept and not any(o.get_key_element() == key for o in parsed):
            (swept[key],) = parser.parse_overrides([f"{key}={values}"])
    choices = [[f"{k}={v}" for v in o.sweep_string_iterator()] for k, o in swept.items()]
    return [s for combo in itertools.product(*choices) for s in single_runs(compose([*plain, *combo]))]


def bench_history(quick: bool, seeds: int, workdir: Path, workers: int = 2) -> dict:
    """The history counterfactuals straight, as three branched presets, and as one shared sweep."""
    from sim.state import simulated_weeks
    from sim.sweep import run_key

    workers = 1 if quick else workers
    extra = [f"seeds={seeds}"] + ([] if quick else ["scenario.supply_scale=0.1", f"hydra.launcher.n_jobs={workers}"])
    out: dict = {"seeds": seeds, "workers": workers, "quick": quick}
    dirs: dict[str, list[Path]] = {}
    for way, sweeps in history_sweeps(quick).items():
        wall = cpu = 0.0
        configs: list[RunConfig] = []
        dirs[way] = []
        for i, args in enumerate(sweeps):
            sweep_dir = workdir / f"history_{way}_{i}"
            w, c = measure_cpu(sim_cmd("-m", *args, *extra, f"hydra.sweep.dir={sweep_dir}"))
            wall, cpu = wall + w, cpu + c
            configs += sweep_configs([*args, *extra])
            dirs[way].append(sweep_dir)
        out[way] = {
            "sweeps": len(sweeps),
            "runs": len({run_key(c) for c in configs}),
            "wall_s": wall,
            "cpu_s": cpu,
            "weeks": simulated_weeks(configs),
        }
    for way in ("branched", "shared"):
        for unit in ("wall_s", "cpu_s", "weeks"):
            out[f"{way}_{unit.split('_')[0]}_ratio"] = out["straight"][unit] / out[way][unit]
    # the shared sweep's runs against the straight ones, file by file (the summary without its wall time)
    straight = {p.parent.name: p.parent for d in dirs["straight"] for p in d.glob("runs/*/timeseries.parquet")}
    compared, different = 0, []
    for d in dirs["shared"]:
        for run_dir in sorted(p.parent for p in d.glob("runs/*/timeseries.parquet")):
            other = straight.get(run_dir.name)
            if other is None:
                continue
            compared += 1
            different += [f"{run_dir.name}/{name}" for name in _different_files(run_dir, other)]
    out["compared_runs"], out["different_files"] = compared, different
    out["identical_runs"] = compared - len({f.split("/")[0] for f in different})
    if different:
        print(f"history: the shared sweep's runs differ from the straight ones: {' '.join(different)}", file=sys.stderr)
    return out


def _different_files(a: Path, b: Path) -> list[str]:
    """The output files of two runs that differ; the summary apart from its wall time and code revision.

    The revision says which code ran (with ``-dirty`` when a file was being edited), not what it computed.
    """
    names = ("timeseries.parquet", "edges.parquet", "route_flows.parquet", "dictionary.json")
    out = [n for n in names if _bytes(a / n) != _bytes(b / n)]
    sa, sb = (json.loads((d / "summary.json").read_text()) for d in (a, b))
    for summary in (sa, sb):
        summary.pop("wall_seconds"), summary.pop("git_revision")
    return out + ([] if sa == sb else ["summary.json"])


def _bytes(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


def small_runs(n: int, directory: Path, steps: int | None = None) -> Path:
    """A sweep of ``n`` small runs (blocks of 50 seeds), made once and reused (the sweep resumes)."""
    block = min(50, n)
    seeds = ",".join(str(s) for s in range(0, n, block))
    args = ["-m", "scenario=small", f"seeds={block}", f"seed={seeds}", "hydra/launcher=joblib"]
    args += [f"steps={steps}"] if steps else []
    measure(sim_cmd(*args, "hydra.launcher.n_jobs=-1", f"hydra.sweep.dir={directory}"))
    found = len(run_summaries(directory))
    if found < n:
        raise RuntimeError(f"{directory}: {found} finished runs, expected {n}")
    return directory


def linked_runs(source: Path, n: int, directory: Path) -> Path:
    """A synthetic sweep: ``n`` run directories ``directory/runs/<key>/`` hard-linked to one run's files.

    Aggregation reads every file of every run, as for a real sweep, but nothing is simulated and
    the disk holds one run; all copies are one variant with the same seed.
    """
    files = [p for p in source.iterdir() if p.is_file()]
    for i in range(n):
        run = directory / "runs" / f"{i:08x}"
        if not run.exists():
            run.mkdir(parents=True)
            for f in files:
                os.link(f, run / f.name)
    return directory


def bench_memory(quick: bool, n_runs: int, workdir: Path, n_linked: int = 1000) -> dict:
    """Peak memory of one default run, of aggregating ``n_runs`` small runs and ``n_linked`` linked copies."""
    one = ["scenario=small", "steps=4"] if quick else []
    wall, run_mib = measure(sim_cmd(*one, f"hydra.run.dir={workdir / 'one_run'}"))
    directory = small_runs(n_runs, workdir / "small_runs", steps=4) if quick else small_runs(n_runs, SMALL_RUNS_DIR)
    out = workdir / "aggregate"
    agg_wall, agg_mib = measure([sys.executable, "-m", "experiments.aggregate", str(directory), "--out", str(out)])
    weeks = 4 if quick else 520
    measure(sim_cmd("scenario=small", f"steps={weeks}", f"hydra.run.dir={workdir / 'linked_source'}"))
    linked = linked_runs(workdir / "linked_source", n_linked, workdir / "linked")
    out = workdir / "aggregate_linked"
    link_wall, link_mib = measure([sys.executable, "-m", "experiments.aggregate", str(linked), "--out", str(out)])
    return {"run_mib": run_mib, "run_wall_s": wall, "aggregated_runs": n_runs, "aggregate_mib": agg_mib,
            "aggregate_wall_s": agg_wall, "linked_runs": n_linked, "linked_weeks": weeks,
            "linked_mib": link_mib, "linked_wall_s": link_wall}  # fmt: skip


# --- report ------------------------------------------------------------------------------------


def machine() -> dict:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kib / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    import mesa
    import numpy

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "mesa": mesa.__version__,
        "numpy": numpy.__version__,
        "load_before": os.getloadavg()[0],
        "date": time.strftime("%Y-%m-%d"),
        "revision": _revision(),
    }


def _revision() -> str:
    try:
        proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        return proc.stdout.strip()
    except OSError:
        return ""


TARGETS = {
    "boltzmann": "at most 1.0x BoltzmannWealth (a stretch)",
    "scaling": "time ratio within 10% of the size ratio",
    "sweep": "efficiency at least 90%, overhead under 5%",
    "memory": "under 300 MiB for one run, 500 MiB for aggregating 10,000 runs",
    "design": "within 2 hours on 2 cores, efficiency at least 95%",
    "history": "at least 3x faster than straight",
}


def rows(results: dict) -> list[tuple[str, str, str]]:
    """(measure, figure, target) rows of whatever items were measured.

    The measure column does not depend on the results, so runs of two revisions line up row by row.
    """
    out = []
    if b := results.get("boltzmann"):
        out += [
            (f"{b['scenario']} scenario, {b['steps']} weeks (median of {b['repeats']})",
             f"{b['sahel_s']:.2f} s ({b['agents']} agents)", ""),
            ("BoltzmannWealth, as many agents, as many steps", f"{b['boltzmann_s']:.2f} s", ""),
            ("ratio to BoltzmannWealth", f"{b['ratio']:.2f}", TARGETS["boltzmann"]),
        ]  # fmt: skip
        if "core_s" in b:
            out += [
                ("core model alone (traffickers and stand-in checkpoints)",
                 f"{b['core_s']:.2f} s ({b['core_agents']} agents)", ""),
                ("with all actors over the core model", f"{b['actors_ratio']:.2f}", ""),
            ]  # fmt: skip
    if s := results.get("scaling"):
        out += [
            ("large over default (about ten times the agents)",
             f"agents x{s['agent_ratio']:.2f} ({s['large_agents']} / {s['base_agents']}), "
             f"time x{s['large_time_ratio']:.2f} ({s['large_time_ratio'] / s['agent_ratio']:.2f} of the size ratio)",
             TARGETS["scaling"]),
            (f"ten times the weeks ({10 * s['steps']} / {s['steps']})",
             f"time x{s['long_time_ratio']:.2f} ({s['long_time_ratio'] / s['step_ratio']:.2f} of the size ratio)", ""),
        ]  # fmt: skip
    if w := results.get("sweep"):
        size = f"{w['runs_1']} runs, {w['seeds_per_job']} seeds a job"
        out += [
            ("policy_comparison, 1 worker",
             f"{w['runs_per_min_1']:.1f} runs/min ({size}), overhead {w['overhead_1']:.1%}", ""),
            ("policy_comparison, 2 workers", f"{w['runs_per_min_2']:.1f} runs/min, overhead {w['overhead_2']:.1%}", ""),
            ("parallel efficiency on 2 cores", f"{w['efficiency']:.0%}", TARGETS["sweep"]),
        ]  # fmt: skip
    if m := results.get("memory"):
        out += [
            ("peak memory, one run (`python -m sim`)", f"{m['run_mib']:.0f} MiB", TARGETS["memory"]),
            ("peak memory, aggregating a sweep of small runs",
             f"{m['aggregate_mib']:.0f} MiB ({m['aggregated_runs']} runs)", ""),
        ]  # fmt: skip
        if "linked_mib" in m:  # results saved before the linked sweep have none
            out.append(("peak memory, aggregating linked copies of one small run",
                        f"{m['linked_mib']:.0f} MiB ({m['linked_runs']} runs of {m['linked_weeks']} weeks, "
                        f"{m['linked_wall_s']:.0f} s)", ""))  # fmt: skip
    if d := results.get("design"):
        out += [
            (f"{d['scenario']} runs through the study runner, {d['workers']} workers",
             f"{d['runs_per_min']:.1f} runs/min ({d['runs']} runs), efficiency {d['efficiency']:.0%}"
             + (f", {d['setup_s']:.1f} s of imports and blocks (in the wall)" if "setup_s" in d else ""), ""),
            ("10,000 such runs, extrapolated", f"{d['hours_for_10000']:.1f} h", TARGETS["design"]),
        ]  # fmt: skip
    if h := results.get("history"):
        size = f"{h['seeds']} seeds, {h['workers']} workers" + (", toy" if h["quick"] else "")
        for way, label in (("straight", "presets straight"), ("branched", "presets branched"),
                           ("shared", "one sweep sharing its pasts")):  # fmt: skip
            w = h[way]
            figure = f"{w['wall_s']:.0f} s wall, {w['cpu_s']:.0f} s CPU, {w['weeks']} weeks ({w['runs']} runs, {size})"
            out.append((f"history counterfactuals, {label}", figure, ""))
        out += [
            ("history counterfactuals, branched presets over straight",
             f"x{h['branched_wall_ratio']:.2f} wall, x{h['branched_cpu_ratio']:.2f} CPU "
             f"(bound in weeks x{h['branched_weeks_ratio']:.2f})", ""),
            ("history counterfactuals, shared sweep over straight",
             f"x{h['shared_wall_ratio']:.2f} wall, x{h['shared_cpu_ratio']:.2f} CPU "
             f"(bound in weeks x{h['shared_weeks_ratio']:.2f}); {h['identical_runs']} of {h['compared_runs']} runs "
             "the same bytes as straight", TARGETS["history"]),
        ]  # fmt: skip
    return out


def markdown(results: dict, before: dict | None = None) -> str:
    """The results as a table (with a column from an earlier run), and the machine."""
    mach = results["machine"]
    lines = [
        f"Measured {mach['date']} at revision `{mach['revision']}` on {mach['cpu']}, {mach['cores']} cores, "
        f"{mach['memory']}; {mach['os']}; Python {mach['python']}, Mesa {mach['mesa']}, numpy {mach['numpy']}; "
        f"load average {mach['load_before']:.2f} when it started.",
        "",
    ]
    now = rows(results)
    if before:
        then = {r[0]: r[1] for r in rows(before)}
        rev = before["machine"]["revision"]
        lines += [f"| measure | before (`{rev}`) | now | target |", "|---|---|---|---|"]
        lines += [f"| {m} | {then.get(m, '')} | {f} | {t} |" for m, f, t in now]
    else:
        lines += ["| measure | figure | target |", "|---|---|---|"]
        lines += [f"| {m} | {f} | {t} |" for m, f, t in now]
    return "\n".join(lines) + "\n"


def write_doc(text: str, path: Path | None = None) -> None:
    """Replace the block between the bench markers of the performance document."""
    path = path or DOC
    doc = path.read_text() if path.exists() else f"# Performance\n\n{BEGIN}\n{END}\n"
    if BEGIN not in doc or END not in doc:
        raise SystemExit(f"error: {path} has no {BEGIN} ... {END} block")
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{BEGIN}\n{text}{END}{tail}")


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=ITEMS, default=list(ITEMS), help="what to measure (default: all)")
    parser.add_argument("--quick", action="store_true", help="every item at a toy size (proves the script works)")
    parser.add_argument("--repeats", type=int, default=5, help="repeats of each timing (median reported)")
    parser.add_argument(
        "--sweep-seeds", type=int, default=0, help="seeds per policy in the sweep item, one job each (0: the preset's)"
    )
    parser.add_argument("--runs", type=int, default=1000, help="small runs to aggregate in the memory item")
    parser.add_argument(
        "--linked-runs", type=int, default=1000, help="linked copies of a ten-year small run to aggregate (memory item)"
    )
    parser.add_argument("--design-runs", type=int, default=200, help="default runs in the design item")
    parser.add_argument("--history-seeds", type=int, default=2, help="seeds per arm in the history item")
    parser.add_argument("--json", type=Path, help="save the results here")
    parser.add_argument("--before", type=Path, help="results of an earlier run (--json) to show beside these")
    parser.add_argument("--write", action="store_true", help="write the table into docs/performance.md")
    parser.add_argument("--profile", type=Path, help="profile the default scenario into FILE, history beside it")
    args = parser.parse_args(argv)
    if args.profile:
        for name in ("default", "history"):
            weeks = 20 if args.quick else scenario(name).steps
            path = args.profile if name == "default" else args.profile.with_stem(f"{args.profile.stem}_{name}")
            profile_default(path, weeks, name=name)
            print(f"profiled scenario={name} ({weeks} weeks) -> {path}", file=sys.stderr)
            print(path.read_text().split("\n\n", 1)[0], file=sys.stderr)
    repeats = 2 if args.quick else args.repeats
    results: dict = {"machine": machine(), "quick": args.quick}
    with tempfile.TemporaryDirectory(prefix="sahel-bench-") as tmp:
        work = Path(tmp)
        for item in args.only:
            print(f"measuring {item} ...", file=sys.stderr, flush=True)
            if item == "boltzmann":
                results[item] = bench_boltzmann(args.quick, repeats)
            elif item == "scaling":
                results[item] = bench_scaling(args.quick, max(1, repeats - 2))
            elif item == "sweep":
                results[item] = bench_sweep(args.quick, 1 if args.quick else args.sweep_seeds, work)
            elif item == "memory":
                n_runs, n_linked = (20, 20) if args.quick else (args.runs, args.linked_runs)
                results[item] = bench_memory(args.quick, n_runs, work, n_linked)
            elif item == "history":
                results[item] = bench_history(args.quick, 1 if args.quick else args.history_seeds, work)
            else:
                results[item] = bench_design(args.quick, 4 if args.quick else args.design_runs, work)
    before = json.loads(args.before.read_text()) if args.before else None
    text = markdown(results, before)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    if args.write:
        write_doc(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
