"""Configuration checks: every name a scenario and its policies use must exist in the tables.

They run before any job starts (the command line) and again when a model is built, so a typo
in a place, good, region or armed group fails at once with a one-line error naming the key.
"""

from __future__ import annotations

import functools

from sim.errors import ConfigError
from sim.params import ScenarioConfig
from sim.policies import PolicySet, check_targets
from sim.policies.targets import Catalog
from sim.timeline import load_timeline
from sim.world import World, load_world
from sim.world.actors import actors_path, read_actors
from sim.world.tables import DATA_DIR


@functools.lru_cache(maxsize=8)
def load_actors(data_dir: str, name: str = "actors.yaml") -> dict:
    """The actors table of a data directory (or of the packaged tables), checked (:mod:`sim.world.actors`)."""
    world = load_world(data_dir or None)
    return read_actors(actors_path(data_dir, name, DATA_DIR), set(world.place_ids), set(world.region))


def group_names(actors: dict, timeline: list[dict] | None = None) -> set[str]:
    """Names, ids and blocs of the armed groups of a scenario, with the blocs its timeline forms."""
    names = {g["name"] for g in actors["armed_groups"]} | {g["id"] for g in actors["armed_groups"]}
    names |= {g["alliance"] for g in actors["armed_groups"] if g.get("alliance")}
    return names | {bloc for e in timeline or [] for bloc in (e.get("blocs") or {}).values()}


def check_config(params: ScenarioConfig, policy: PolicySet) -> Catalog:
    """Every name a scenario and its policies use must be known to the world and actor tables.

    The command line calls this before any job starts; the model again when it is built.

    Returns:
        The catalog of target names the policies resolve their targets in.

    Raises:
        ConfigError: naming the key.
    """
    world = load_world(params.data_dir)
    check_scenario_refs(params, world)
    actors = load_actors(params.data_dir or "", params.actors_file)
    timeline = load_timeline(params.timeline, params.data_dir) if params.timeline else []
    return check_targets(policy, world, group_names(actors, timeline))


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
