"""The designs: factors (every numeric assumption), settings, the configuration of a sample, and running a design."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.runner import run_tasks
from sim.params import CommunityParams as CommunityDefaults
from sim.params import RunConfig, from_dict, iter_params
from sim.policies import POLICIES
from simcli.compose import changed

ROOT = Path(__file__).resolve().parent.parent.parent
PRESET = "sensitivity_morris"  # simcli/configs/experiment/
SEED = "seed"
SEED_BLOCK = 1000  # seeds of one Morris trajectory: SEED_BLOCK * trajectory + level
NUM_LEVELS = 4

# Key outcomes. Indices are relative to each run's own start (the end of the burn-in), so they
# measure change over the run; the levels (population-weighted means over the run) measure where
# the parameters put communities in the first place.
OUTCOMES = (
    "delivered_value_usd",
    "seized_value_usd",
    "armed_group_revenue_usd",
    "fatalities",
    "bribe_rate",
    "food_security_north_index",
    "state_trust_index",
    "level.food_security_north",
    "level.trust",
)
# Sobol decomposes all but seizures, whose top factors would enlarge its design (N x (k + 2) runs) past ~2,000 runs.
SOBOL_OUTCOMES = tuple(o for o in OUTCOMES if o != "seized_value_usd")


@dataclass(frozen=True)
class Factor:
    """An uncertain input: a parameter's dotted key and its assumption range."""

    name: str
    lo: float
    hi: float
    default: float
    integer: bool = False


@dataclass(frozen=True)
class Settings:
    """Size of a sensitivity study."""

    name: str
    steps: int
    scenario: dict
    trajectories: int  # Morris
    sobol_n: int  # Sobol base sample (a power of 2)
    top: int  # top factors per outcome taken to Sobol
    factors: tuple[str, ...] | None = None  # restrict the designs (quick)

    @property
    def quick(self) -> bool:
        """Whether this is the CI smoke run."""
        return self.name == "quick"


def base_point() -> tuple[dict, int]:
    """Scenario and weeks of the design's base point, from the preset."""
    preset = changed([f"experiment={PRESET}"])
    return dict(preset.get("scenario", {})), int(preset["steps"])


def full_settings() -> Settings:
    """The study run for docs/sensitivity.md."""
    scenario, steps = base_point()
    return Settings("full", steps, scenario, trajectories=10, sobol_n=64, top=5)


QUICK_FACTORS = (
    "scenario.armed_groups.kidnap_rate_jihadist",
    "scenario.officials.integrity_mean",
    "scenario.traffickers.patience_weeks",
    "scenario.communities.import_dependence_north",
    "scenario.forces.attack_rate",
    "policy.sanctions.review_weeks",
    "policy.ddr.relapse_rate",
)


def quick_settings() -> Settings:
    """A smoke run: a few factors, two trajectories, a few weeks of a tiny economy."""
    scenario, _ = base_point()
    scenario = {**scenario, "supply_scale": 0.05, "burn_in_weeks": 4}
    return Settings("quick", 8, scenario, trajectories=2, sobol_n=4, top=1, factors=QUICK_FACTORS)


# --- factors and runs ----------------------------------------------------------------------------


def assumption_factors(prefix: str = "") -> list[Factor]:
    """Every numeric parameter marked as an assumption (booleans and strings have none)."""
    out = []
    for key, f, default in iter_params(RunConfig):
        rng = f.metadata.get("assumption")
        if rng is None or not key.startswith(prefix):
            continue
        if isinstance(default, bool) or not isinstance(default, (int, float)):
            continue
        out.append(Factor(key, float(rng[0]), float(rng[1]), float(default), isinstance(default, int)))
    return out


def design_factors(design: str, settings: Settings) -> list[Factor]:
    """Factors of a design (``model`` or ``policies``), the seed last."""
    factors = assumption_factors("scenario." if design == "model" else "policy.")
    if settings.factors is not None:
        factors = [f for f in factors if f.name in settings.factors]
    return [*factors, Factor(SEED, 0.0, 1.0, 0.0)]


def problem(factors: Sequence[Factor]) -> dict:
    """A SALib problem."""
    return {
        "num_vars": len(factors),
        "names": [f.name for f in factors],
        "bounds": [[f.lo, f.hi] for f in factors],
    }


def _set(tree: dict, dotted: str, value) -> None:
    keys = dotted.split(".")
    for k in keys[:-1]:
        tree = tree.setdefault(k, {})
    tree[keys[-1]] = value


def all_policies() -> dict:
    """Every policy switched on with the settings of its simcli/configs/policy/ file (composed by Hydra)."""
    names = sorted(POLICIES)
    policies = changed([f"policy=[{','.join(names)}]"])["policy"]
    return {name: {**policies.get(name, {}), "enabled": True} for name in names}


def point_config(factors: Sequence[Factor], x: np.ndarray, seed: int, design: str, settings: Settings) -> dict:
    """The run configuration of one sample: the base point with the factors set."""
    cfg: dict = {
        "seed": int(seed),
        "steps": settings.steps,
        "scenario": copy.deepcopy(settings.scenario),
        "policy": all_policies() if design == "policies" else {},
        "output": {"progress": False, "timeseries": False, "edges": False},
    }
    for f, v in zip(factors, x, strict=True):
        if f.name == SEED:
            continue
        _set(cfg, f.name, int(np.rint(v)) if f.integer else float(v))
    respect_rules(cfg)
    return cfg


def respect_rules(cfg: dict) -> None:
    """Keep a sample inside the model's cross-field rules where two assumption ranges overlap.

    Herding and trade shares of northern income may not sum to more than 1 (farming takes the
    rest): the ranges (0.2-0.6 and 0.2-0.5) allow up to 1.1, so herding is capped at one minus
    trade in that corner.
    """
    com = cfg.get("scenario", {}).get("communities", {})
    if "herding_share_north" in com or "trade_share_north" in com:
        defaults = CommunityDefaults()
        trade = com.get("trade_share_north", defaults.trade_share_north)
        herding = com.get("herding_share_north", defaults.herding_share_north)
        if herding + trade > 1:
            com["herding_share_north"] = 1.0 - trade


def morris_seeds(x_seed: np.ndarray, trajectory_size: int) -> np.ndarray:
    """Seeds of a Morris sample: the seed factor's level within a block of its trajectory."""
    traj = np.arange(len(x_seed)) // trajectory_size
    level = np.rint(np.asarray(x_seed) * (NUM_LEVELS - 1)).astype(np.int64)
    return SEED_BLOCK * traj + level


def sobol_seeds(x_seed: np.ndarray) -> np.ndarray:
    """Seeds of a Sobol sample: the seed factor on [0, 1] spread over 2**31 seeds."""
    return np.floor(np.asarray(x_seed) * (2**31 - 1)).astype(np.int64)


LEVELS = ("level.trust", "level.food_security_north")  # registered outcomes (tag diagnostic)


def outcome_row(summary: dict) -> dict[str, float]:
    """A run's key outcomes (and the community levels over the run) from its summary."""
    row = {k: v for k, v in summary.items() if (k in OUTCOMES or k == "policy_cost_usd") and k not in LEVELS}
    return row | {k: summary[k] for k in LEVELS}


def run_design(
    configs: list[dict], jobs: int, root: Path, progress: bool = True, launcher: str = "joblib"
) -> pd.DataFrame:
    """Run every configuration not yet finished under ``root/runs`` (in order); one row of outcomes each."""
    tasks = [(f"point {i}", from_dict(RunConfig, c)) for i, c in enumerate(configs)]
    return pd.DataFrame([outcome_row(r.summary) for r in run_tasks(tasks, root, jobs, progress, launcher)])
