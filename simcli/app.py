"""The command line: ``python -m sim [overrides]`` and ``python -m sim -m [sweep overrides]``.

Hydra composes the configuration from ``configs/`` (the schema is
:class:`sim.params.RunConfig`); :func:`sim.params.from_dict` then validates it. Before
Hydra starts, :func:`preflight` composes the same configuration so that a bad override
stops at once with one line naming the key and exit code 2, instead of a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import hydra
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException, MissingConfigException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

from sim.errors import ConfigError, SimError
from sim.model import check_scenario_refs
from sim.params import RunConfig, from_dict, iter_params
from sim.run import run
from sim.world import load_world

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
EXIT_USAGE = 2

ConfigStore.instance().store(name="run_schema", node=RunConfig)
# Parameters that are mappings: users add entries to them with '+'.
MAPPING_PARAMS = {key for key, _f, default in iter_params(RunConfig) if isinstance(default, dict)}


def to_run_config(cfg: DictConfig) -> RunConfig:
    """Validate a composed configuration into a :class:`RunConfig`."""
    data = OmegaConf.to_container(cfg, resolve=True)
    data.pop("hydra", None)
    config = from_dict(RunConfig, data)
    check_scenario_refs(config.scenario, load_world(config.scenario.data_dir))
    return config


def _describe(exc: BaseException) -> str:
    """One line saying what is wrong with an override, naming the key."""
    if isinstance(exc, MissingConfigException) and exc.options is not None:
        group = (exc.missing_cfg_file or "").split("/")[0]
        return (
            f"{group}={(exc.missing_cfg_file or '').split('/')[-1]}: unknown option; allowed: {', '.join(exc.options)}"
        )
    cause = exc
    while cause.__cause__ is not None and not getattr(cause, "full_key", None):
        cause = cause.__cause__
    key = getattr(cause, "full_key", None)
    text = str(getattr(cause, "msg", None) or cause).strip().splitlines()[0]
    if key and isinstance(cause, (ConfigKeyError, ConfigAttributeError)):
        parent = key.rpartition(".")[0]
        if parent in MAPPING_PARAMS:
            return f"{key}: not yet in the mapping {parent}; add entries with a leading '+', e.g. +{key}=..."
        return f"{key}: unknown key; allowed: the keys listed in docs/parameters.md"
    if key:
        return f"{key}: {text}"
    return text


def _sweep_variants(overrides: list[str]) -> list[list[str]]:
    """One override list per value of each swept key, the other keys at their first value."""
    parsed = OverridesParser.create().parse_overrides(overrides)
    base, sweeps = [], []
    for o in parsed:
        if o.get_key_element().startswith("hydra"):
            continue
        if o.is_sweep_override():
            values = [f"{o.get_key_element()}={v}" for v in o.sweep_string_iterator()]
            sweeps.append(values)
        else:
            base.append(o.input_line)
    if not sweeps:
        return [base]
    first = [v[0] for v in sweeps]
    variants = []
    for i, values in enumerate(sweeps):
        for v in values:
            variants.append(base + first[:i] + [v] + first[i + 1 :])
    return variants


def preflight(argv: list[str]) -> None:
    """Compose and validate the configuration(s) an invocation would run.

    Raises:
        ConfigError: (or Hydra's errors) for the first bad override.
    """
    overrides = [a for a in argv if not a.startswith("-")]
    GlobalHydra.instance().clear()
    with hydra.initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        for variant in _sweep_variants(overrides):
            to_run_config(hydra.compose(config_name="config", overrides=variant))
    GlobalHydra.instance().clear()


@hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")
def _task(cfg: DictConfig) -> None:
    try:
        config = to_run_config(cfg)
        outdir = Path(HydraConfig.get().runtime.output_dir)
        result = run(config, outdir)
    except SimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    s = result.summary
    print(
        f"{config.scenario.name} seed={config.seed}: {s['steps']} weeks, "
        f"delivered ${s['delivered_value_usd'] / 1e9:.2f} bn, seized ${s['seized_value_usd'] / 1e9:.3f} bn, "
        f"{s['n_traffickers_final']} crews at the end ({s['wall_seconds']:.1f} s) -> {outdir}"
    )


def main() -> None:
    """Entry point of ``python -m sim``."""
    argv = sys.argv[1:]
    info_flags = {"--help", "-h", "--hydra-help", "--info", "--cfg", "-c", "--shell-completion", "-sc"}
    if not info_flags.intersection(argv):
        try:
            preflight(argv)
        except (SimError, HydraException, OmegaConfBaseException, ValueError) as exc:
            message = str(exc) if isinstance(exc, ConfigError) else _describe(exc)
            print(f"error: {message}", file=sys.stderr)
            sys.exit(EXIT_USAGE)
    _task()
