"""The one way into the configuration tree: Hydra's compose API over ``simcli/configs``.

The command line, the browser, the evidence code and the benchmark all build their
configurations here, so a preset, a scenario file or a policy file means the same thing
everywhere and nothing else parses ``simcli/configs/*.yaml`` by hand.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import hydra
import yaml
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, OmegaConf

from sim.params import RunConfig, from_dict
from simcli import CONFIG_DIR

# The structured schema config.yaml names in its defaults, stored once per process (about 50 ms):
# composing must work without importing the command line first, and the command line imports this.
ConfigStore.instance().store(name="run_schema", node=RunConfig)


@contextmanager
def config_tree() -> Iterator[None]:
    """Hydra initialised on the packaged configuration tree, cleared again on exit."""
    GlobalHydra.instance().clear()
    try:
        with hydra.initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            yield
    finally:
        GlobalHydra.instance().clear()


def compose_cfg(overrides: Sequence[str] = (), *, hydra_config: bool = False) -> DictConfig:
    """The composed (not yet validated) configuration for a list of overrides.

    Args:
        overrides: Hydra overrides, e.g. ``["scenario=small", "policy=[ddr]", "seed=3"]``.
        hydra_config: Also return the ``hydra`` node (sweeper parameters, launcher).
    """
    with config_tree():
        return hydra.compose(config_name="config", overrides=list(overrides), return_hydra_config=hydra_config)


def to_dict(cfg: DictConfig) -> dict:
    """A composed configuration as plain, resolved data without Hydra's own node."""
    data = OmegaConf.to_container(cfg, resolve=True)
    data.pop("hydra", None)
    return data


def compose(overrides: Sequence[str] = ()) -> RunConfig:
    """A validated run configuration from overrides, exactly as ``python -m sim OVERRIDES`` builds it.

    Raises:
        ConfigError: For a value out of range or a name the world does not know (one line naming the key).
        hydra.errors.HydraException: For an override Hydra cannot parse or an unknown option.
    """
    return from_dict(RunConfig, to_dict(compose_cfg(overrides)))


def _changed(value: dict, default: dict) -> dict:
    out = {}
    for k, v in value.items():
        d = default.get(k)
        if isinstance(v, dict) and isinstance(d, dict):
            sub = _changed(v, d)
            if sub:
                out[k] = sub
        elif v != d:
            out[k] = v
    return out


def changed(overrides: Sequence[str] = ()) -> dict:
    """What a composition sets apart from the schema's defaults, as nested plain data.

    A preset or scenario file read through Hydra, reduced to the values it changes: e.g.
    ``changed(["experiment=sensitivity_morris"])["scenario"]`` is
    ``{"name": "sensitivity", "supply_scale": 0.1}``.
    """
    from sim.params import to_dict as params_to_dict

    return _changed(params_to_dict(compose(overrides)), params_to_dict(RunConfig()))


def sweep_overrides(preset: str) -> list[list[str]]:
    """The override lists of the jobs a preset's sweep launches, in Hydra's order (last parameter fastest).

    E.g. ``sweep_overrides("history_no_wagner")`` is ``[["experiment=history_no_wagner",
    "scenario.timeline_skip=[]"], ["experiment=history_no_wagner", "scenario.timeline_skip=[wagner]"]]``:
    the evidence code runs the same arms as ``python -m sim -m experiment=history_no_wagner``.
    """
    import itertools

    from hydra.core.override_parser.overrides_parser import OverridesParser

    base = [f"experiment={preset}"]
    params = compose_cfg(base, hydra_config=True).hydra.sweeper.get("params") or {}
    parser = OverridesParser.create()
    choices = []
    for key, values in params.items():
        (override,) = parser.parse_overrides([f"{key}={values}"])
        choices.append([f"{key}={v}" for v in override.sweep_string_iterator()])
    return [base + list(combo) for combo in itertools.product(*choices)]


def group_dir(group: str) -> Path:
    """Where the options of a config group live in the shipped tree (written by studies such as calibration)."""
    return Path(CONFIG_DIR) / group


def read_option(path: Path) -> dict:
    """A written option of a config group (a YAML file of nested keys) as dotted keys and values."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}

    def flat(node: dict, prefix: str = "") -> dict:
        out = {}
        for k, v in node.items():
            out |= flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v}
        return out

    return flat(data)
