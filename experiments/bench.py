"""Benchmark: the default scenario against Mesa's BoltzmannWealth, timed in one process.

``python -m experiments.bench`` runs the default scenario and Mesa's own BoltzmannWealth
example (``mesa.examples.basic.boltzmann_wealth_model``, as shipped) with as many agents as
ours on a square grid of side ceil(sqrt(n)), for the same number of steps, alternating the
two, and reports medians and their ratio. ``--quick`` uses the small scenario and fewer
repeats (CI proves the script works; it asserts nothing about times).
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import time
from dataclasses import dataclass

from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannScenario, BoltzmannWealth

from sim.model import SahelModel
from sim.params import RunConfig, ScenarioConfig, from_dict


@dataclass
class Timing:
    """Seconds of repeated runs."""

    label: str
    seconds: list[float]

    @property
    def median(self) -> float:
        """Median over repeats."""
        return statistics.median(self.seconds)


def time_sahel(scenario: ScenarioConfig, steps: int, seed: int) -> tuple[float, int]:
    """Seconds to build and run the model; and its initial number of agents."""
    start = time.perf_counter()
    model = SahelModel(scenario, seed=seed)
    n = model.n_agents_initial
    for _ in range(steps):
        model.step()
    return time.perf_counter() - start, n


def time_boltzmann(n: int, steps: int, seed: int) -> float:
    """Seconds to build and run Mesa's BoltzmannWealth with ``n`` agents."""
    side = math.ceil(math.sqrt(n))
    start = time.perf_counter()
    model = BoltzmannWealth(BoltzmannScenario(rng=seed, n=n, width=side, height=side))
    for _ in range(steps):
        model.step()
    return time.perf_counter() - start


def compare(scenario: ScenarioConfig, steps: int, repeats: int) -> dict:
    """Alternate our model and BoltzmannWealth ``repeats`` times; medians and ratio."""
    ours, theirs, n = [], [], 0
    for i in range(repeats):
        t, n = time_sahel(scenario, steps, seed=i)
        ours.append(t)
        theirs.append(time_boltzmann(n, steps, seed=i))
    a, b = Timing("sahel", ours), Timing("boltzmann", theirs)
    return {"agents": n, "steps": steps, "sahel_s": a.median, "boltzmann_s": b.median, "ratio": a.median / b.median}


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small scenario, 2 repeats")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    name = "small" if args.quick else "default"
    scenario = from_dict(RunConfig, {"scenario": {"name": name, "supply_scale": 0.1 if args.quick else 1.0}}).scenario
    steps = 104 if args.quick else scenario.steps
    repeats = 2 if args.quick else args.repeats
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    res = compare(scenario, steps, repeats)
    print(
        f"{name} scenario, {res['agents']} agents, {steps} weeks, median of {repeats}: "
        f"sahel {res['sahel_s']:.3f} s, BoltzmannWealth {res['boltzmann_s']:.3f} s, ratio {res['ratio']:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
