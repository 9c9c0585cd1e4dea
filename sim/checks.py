"""Configuration checks: every name a scenario and its policies use must exist in the tables.

They run before any job starts (the command line) and again when a model is built, so a typo
in a place, good, region or armed group fails at once with a one-line error naming the key.
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

from sim.errors import ConfigError
from sim.params import ScenarioConfig
from sim.policies import PolicySet, check_targets
from sim.timeline import load_timeline
from sim.world import World, load_world
from sim.world.tables import DATA_DIR


@functools.lru_cache(maxsize=8)
def load_actors(data_dir: str, name: str = "actors.yaml") -> dict:
    """An actors table of a data directory, or the packaged one."""
    path = (Path(data_dir) if data_dir else DATA_DIR) / name
    if not path.exists():
        path = DATA_DIR / name
    if not path.exists():
        raise ConfigError(
            "scenario.actors_file", name, "a YAML file in the data directory, e.g. actors.yaml", "not found"
        )
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def group_names(actors: dict, timeline: list[dict] | None = None) -> set[str]:
    """Names, ids and blocs of the armed groups of a scenario, with the blocs its timeline forms."""
    names = {g["name"] for g in actors["armed_groups"]} | {g["id"] for g in actors["armed_groups"]}
    names |= {g["alliance"] for g in actors["armed_groups"] if g.get("alliance")}
    return names | {bloc for e in timeline or [] for bloc in (e.get("blocs") or {}).values()}


def check_config(params: ScenarioConfig, policy: PolicySet) -> None:
    """Every name a scenario and its policies use must be known to the world and actor tables.

    The command line calls this before any job starts; the model again when it is built.

    Raises:
        ConfigError: naming the key.
    """
    world = load_world(params.data_dir)
    check_scenario_refs(params, world)
    actors = load_actors(params.data_dir or "", params.actors_file)
    timeline = load_timeline(params.timeline, params.data_dir) if params.timeline else []
    check_targets(policy, world, group_names(actors, timeline))


def check_scenario_refs(params: ScenarioConfig, world: World) -> None:
    """Reject names in the scenario that the world tables do not know.

    Raises:
        ConfigError: naming the key, e.g. an unknown good or place.
    """
    goods = [g.id for g in world.goods]
    for i, gid in enumerate(params.goods):
        if gid not in goods:
            raise ConfigError(f"scenario.goods[{i}]", gid, ", ".join(goods), "unknown good")
    for pid, value in params.checkpoints.pressure_multiplier.items():
        if pid not in world.index:
            raise ConfigError(
                f"scenario.checkpoints.pressure_multiplier.{pid}", value, "place ids of places.csv", "unknown place"
            )
    regions = sorted(set(world.region))
    for i, region in enumerate(params.checkpoints.toll_regions):
        if region not in regions:
            raise ConfigError(f"scenario.checkpoints.toll_regions[{i}]", region, ", ".join(regions), "unknown region")
    for key, value in params.transport.edge_cost_multiplier.items():
        a, _, b = key.partition("-")
        if (world.index.get(a, -1), world.index.get(b, -1)) not in world.edge_index:
            raise ConfigError(
                f"scenario.transport.edge_cost_multiplier.{key}",
                value,
                "'place-place' for a route in routes.csv",
                "unknown route",
            )
