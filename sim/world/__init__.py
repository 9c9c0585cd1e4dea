"""The world: places, routes and goods, loaded from human-readable tables."""

from sim.world.network import World, build_world, load_world
from sim.world.routes import RouteSet, build_routes
from sim.world.tables import DATA_DIR, PLACE_KINDS, TERRAINS, Good, Tables, load_tables

__all__ = [
    "DATA_DIR",
    "PLACE_KINDS",
    "TERRAINS",
    "Good",
    "RouteSet",
    "Tables",
    "World",
    "build_routes",
    "build_world",
    "load_tables",
    "load_world",
]
