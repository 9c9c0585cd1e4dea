"""Agent types, one module each."""

from sim.agents.trafficker import Crews, Kind, State, Trafficker

__all__ = ["Crews", "Kind", "State", "Trafficker"]
