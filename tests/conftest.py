"""Shared helpers: small configurations and runs."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sim.params import RunConfig, from_dict
from sim.run import run

ROOT = Path(__file__).resolve().parent.parent
# How a command stopped by Ctrl-C ends: exit code 130, or (rarely) by the signal itself, which a
# shell also shows as 130. CPython ends a process by SIGINT after its exit when a KeyboardInterrupt
# left an ``exec`` or ``eval`` of a string (a dataclass, numba's generated code), even one the
# program caught (bpo-1054041); docs/reliability.md.
CTRL_C_EXITS = (130, -signal.SIGINT)
# The core model: traffickers and stand-in checkpoints only, to test its mechanisms in isolation.
CORE = {"actors": {"armed_groups": False, "officials": False, "communities": False, "forces": False}}


def small_config(seed: int = 0, steps: int | None = None, **scenario) -> RunConfig:
    """The small scenario (as simcli/configs/scenario/small.yaml) with scenario overrides."""
    data = {"name": "small", "steps": 104, "supply_scale": 0.1, **scenario}
    return from_dict(RunConfig, {"seed": seed, "steps": steps, "scenario": data})


def run_small(seed: int = 0, steps: int | None = None, outdir=None, **scenario):
    """Run the small scenario in-process."""
    return run(small_config(seed, steps, **scenario), outdir)


def frozen_small(weeks: int = 4, seed: int = 0) -> bytes:
    """A small model some weeks in, pickled: tests unpickle their own copies and change them freely."""
    import pickle

    from sim.model import SahelModel

    model = SahelModel(small_config(seed).scenario, seed=seed)
    for _ in range(weeks):
        model.step()
    return pickle.dumps(model)


def cli(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``python -m sim`` with arguments, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=cwd or ROOT, timeout=timeout
    )


@pytest.fixture(scope="session")
def small_runs():
    """Small-scenario runs shared by several tests, by seed."""
    cache: dict[int, object] = {}

    def get(seed: int):
        if seed not in cache:
            cache[seed] = run_small(seed)
        return cache[seed]

    return get
