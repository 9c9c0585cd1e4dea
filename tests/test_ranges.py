"""Documented assumption ranges agree with the cross-field rules (issue 21): any draw inside them is valid."""

from __future__ import annotations

import numpy as np
from test_properties import nest

from sim.params import RunConfig, from_dict
from sim.paramspec import iter_params

RANGES = {
    key: (f.metadata["assumption"], type(default))
    for key, f, default in iter_params(RunConfig)
    if f.metadata.get("assumption") is not None
}


def draw(rng: np.random.Generator, corner: str | None = None) -> dict:
    flat = {}
    for key, ((low, high), kind) in RANGES.items():
        x = {"low": low, "high": high}[corner] if corner else rng.uniform(low, high)
        flat[key] = round(x) if kind is int else float(x)
    return nest(flat)


def test_every_draw_inside_the_documented_ranges_is_a_valid_configuration():
    rng = np.random.default_rng(21)
    assert len(RANGES) > 60
    for data in [draw(rng, "low"), draw(rng, "high"), *(draw(rng) for _ in range(120))]:
        from_dict(RunConfig, data)  # raises ConfigError naming the key if a rule rejects the draw
