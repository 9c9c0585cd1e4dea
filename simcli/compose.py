"""The one way into the configuration tree: Hydra's compose API over ``simcli/configs``.

The command line, the browser, the evidence code and the benchmark all build their
configurations here, so a preset, a scenario file or a policy file means the same thing
everywhere and nothing else parses ``simcli/configs/*.yaml`` by hand.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import hydra
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, OmegaConf

from sim.params import RunConfig, from_dict
from simcli import CONFIG_DIR

# config.yaml's defaults start from the schema: composing must work without the command line imported.
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
