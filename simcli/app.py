"""The command line: ``python -m sim [overrides]`` and ``python -m sim -m [sweep overrides]``.

Hydra composes the configuration from ``simcli/configs/`` (the schema is
:class:`sim.params.RunConfig`); :func:`sim.params.from_dict` then validates it. Before
Hydra starts, :func:`preflight` composes the same configuration so that a bad override
stops at once with one line naming the key and exit code 2, instead of a traceback (set
``SAHEL_SIM_TRACEBACK=1`` to see it).
"""

from __future__ import annotations

import copy
import dataclasses
import os
import shutil
import sys
from pathlib import Path

import hydra
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException, MissingConfigException, OverrideParseException
from hydra.types import RunMode
from omegaconf import DictConfig
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

from sim.checks import check_config
from sim.errors import ConfigError, SimError, interrupted, keep_ctrl_c
from sim.outcomes import headline
from sim.params import RunConfig, from_dict, iter_params
from sim.run import run
from sim.state import departure_week
from sim.sweep import run_block
from simcli import CONFIG_DIR, launchers
from simcli.compose import config_tree, to_dict
from simcli.progress import QUIET_ENV
from simcli.workers import mark_launcher, watch_launcher, worker_died

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
INTERRUPTED = "interrupted: finished runs are kept (sealed by manifest.json); the same command redoes the rest"

# Parameters that are mappings: users add entries to them with '+'.
MAPPING_PARAMS = {key for key, _f, default in iter_params(RunConfig) if isinstance(default, dict)}
# Switches: OmegaConf would read 5 or 'yes' as true, so overrides of these are checked first.
BOOL_PARAMS = {key for key, _f, default in iter_params(RunConfig) if isinstance(default, bool)}


def to_run_config(cfg: DictConfig) -> RunConfig:
    """Validate a composed configuration into a :class:`RunConfig`."""
    return _validated(to_dict(cfg))


def _validated(data: dict) -> RunConfig:
    """A :class:`RunConfig` from plain composed data, checked as every job's configuration is."""
    config = from_dict(RunConfig, data)
    check_config(config.scenario, config.policy)  # before any job starts, not in each run
    if config.branch_from is not None:
        departure_week(config)  # inside the run
    return config


def _describe(exc: BaseException) -> str:
    """One line saying what is wrong with an override, naming the key."""
    if isinstance(exc, OverrideParseException):
        return f"{exc.override}: not a valid override ({str(exc).splitlines()[0]}); see python -m sim --help"
    if isinstance(exc, MissingConfigException) and exc.options is not None:
        group = (exc.missing_cfg_file or "").rpartition("/")[0]
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


def _check_switches(overrides: list[str]) -> None:
    """A switch takes true or false, never a number or a word OmegaConf would read as true."""
    for o in OverridesParser.create().parse_overrides(overrides):
        if o.key_or_group in BOOL_PARAMS:
            for value in o.sweep_iterator() if o.is_sweep_override() else [o.value()]:
                if not isinstance(value, bool):
                    raise ConfigError(o.key_or_group, value, "true or false", "expected true or false")


def _check_resume_safe(overrides: list[str]) -> None:
    """A value that resolves to the clock (``${now:...}``) differs at each start: resume could never find its runs."""
    for o in OverridesParser.create().parse_overrides(overrides):
        key = o.get_key_element()
        if not key.startswith("hydra") and "${now:" in o.input_line.partition("=")[2]:
            raise ConfigError(
                key, o.input_line.partition("=")[2], "a fixed value", "changes with the clock (${now:...})"
            )


MIN_FREE_BYTES = 16 * 2**20  # less than this on the output's disk: a run could not write its files


def _check_output_dir(overrides: list[str], multirun: bool) -> None:
    """The output directory (or its nearest existing parent) must be a writable directory with free space."""
    key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    value = "multirun" if multirun else "outputs"
    for o in OverridesParser.create().parse_overrides(overrides):
        if o.get_key_element() == key:
            value = str(o.value())
    if "${" in value:
        return  # resolved by Hydra; checked when written
    path = Path(value).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    if not path.is_dir():
        raise ConfigError(key, value, "a directory, or a path that can become one", f"{path} is a file")
    if not os.access(path, os.W_OK):
        raise ConfigError(key, value, "a writable directory", f"{path} is not writable")
    if shutil.disk_usage(path).free < MIN_FREE_BYTES:
        raise ConfigError(key, value, f"a disk with at least {MIN_FREE_BYTES >> 20} MiB free", "the disk is full")


def _split(overrides: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """(plain overrides, swept keys with their values), leaving out Hydra's own keys."""
    base, sweeps = [], {}
    for o in OverridesParser.create().parse_overrides(overrides):
        key = o.get_key_element()
        if key.startswith("hydra"):
            continue
        if o.is_sweep_override():
            sweeps[key] = [f"{key}={v}" for v in o.sweep_string_iterator()]
        else:
            base.append(o.input_line)
    return base, sweeps


def _sweep_variants(base: list[str], swept: dict[str, list[str]]) -> list[list[str]]:
    """One override list per value of each swept key, the other keys at their first value."""
    sweeps = list(swept.values())
    if not sweeps:
        return [base]
    first = [v[0] for v in sweeps]
    variants = []
    for i, values in enumerate(sweeps):
        for v in values:
            variants.append(base + first[:i] + [v] + first[i + 1 :])
    return variants


def _compose_sweep(overrides: list[str], own: list[str]) -> DictConfig:
    """A sweep's configuration with Hydra's node, the launcher's settings checked (one-line error)."""
    try:
        return hydra.compose(config_name="config", overrides=overrides + own, return_hydra_config=True)
    except HydraException as exc:
        key = getattr(exc.__cause__, "full_key", None) or ""
        missing = isinstance(exc.__cause__, (ConfigKeyError, ConfigAttributeError))
        if not (missing and key.startswith("hydra.launcher.")):
            raise
        rest = [o for o in own if not o.lstrip("+~").startswith("hydra.launcher.")]
        cfg = hydra.compose(config_name="config", overrides=overrides + rest, return_hydra_config=True)
        raise SimError(launchers.describe_bad_key(key, launchers.chosen(cfg), cfg)) from exc


def _is_group(key: str) -> bool:
    """Whether an override key chooses a config group (``scenario=large``) rather than sets a value."""
    return "@" in key or "/" in key or (CONFIG_DIR / key).is_dir()


def _set_value(data: dict, key: str, line: str) -> bool:
    """Set ``key`` (dotted) in plain configuration data to the value of the override ``line``.

    Only a value of the same type as the one it replaces (or an integer for a float) is set;
    anything else (a new key, a list for a number, a string that Hydra might convert) is left to a
    full composition, so the fast path accepts nothing that Hydra would refuse. Returns whether it
    was set.
    """
    *parents, leaf = key.split(".")
    node = data
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, dict) or leaf not in node:
        return False
    value = OverridesParser.create().parse_override(line).value()
    old = node[leaf]
    if type(value) is type(old) and not isinstance(value, (dict, list)):
        node[leaf] = value
    elif type(value) is int and type(old) is float:
        node[leaf] = float(value)
    elif value is None and old is None:
        pass
    else:
        return False
    return True


def _variant_configs(base: list[str], swept: dict[str, list[str]]) -> list[RunConfig]:
    """The validated configuration of every variant of :func:`_sweep_variants`, composed cheaply.

    Hydra composes a configuration in 0.1-0.3 s, and a sweep of thousands of values would spend
    minutes here, before its first job. The first variant is composed; a variant that differs
    from it only in the value of one plain key (not a config group, not added or removed with
    ``+``/``~``) is that composition with the value set, then validated as every configuration
    is (:func:`to_run_config`'s checks). Any other variant, and any value the fast path cannot set
    exactly as Hydra would, is composed in full (so errors are Hydra's, as before).
    """
    variants = _sweep_variants(base, swept)
    first = to_dict(hydra.compose(config_name="config", overrides=variants[0]))
    configs = [_validated(copy.deepcopy(first))]
    for variant in variants[1:]:
        changed = [(i, line) for i, line in enumerate(variant) if variants[0][i] != line]
        if not changed:
            configs.append(configs[0])
            continue
        key = changed[0][1].split("=", 1)[0]
        if len(changed) == 1 and key[:1] not in "+~" and not _is_group(key):
            data = copy.deepcopy(first)
            if _set_value(data, key, changed[0][1]):
                configs.append(_validated(data))
                continue
        configs.append(to_run_config(hydra.compose(config_name="config", overrides=variant)))
    return configs


def preflight(argv: list[str]) -> tuple[str, list[str]]:
    """Compose and validate the configuration(s) an invocation would run.

    Returns:
        The sweep's launcher (``basic`` for a single run) and the overrides it needs added
        (:mod:`simcli.launchers`: an absolute sweep directory, SLURM's seed blocks).

    Raises:
        ConfigError: (or Hydra's errors) for the first bad override.
    """
    overrides = [a for a in argv if not a.startswith("-")]
    multirun = "-m" in argv or "--multirun" in argv
    _check_switches(overrides)
    _check_resume_safe(overrides)
    _check_output_dir(overrides, multirun)
    base, swept = _split(overrides)
    launcher, extra = "basic", []
    with config_tree():
        if multirun:
            # Sweeps set in an experiment preset, overridden by those on the command line.
            first = [v[0] for v in swept.values()]
            own = [o for o in overrides if o.lstrip("+~").startswith("hydra")]
            cfg = _compose_sweep(base + first, own)
            preset = cfg.hydra.sweeper.get("params") or {}
            _, from_preset = _split([f"{k}={v}" for k, v in preset.items()])
            keys = {o.split("=")[0].lstrip("+~") for o in base} | set(swept)
            swept = {**from_preset, **swept}
            launcher = launchers.chosen(cfg)
            extra = launchers.absolute_sweep_dir(cfg) + launchers.merged_seed_blocks(cfg, dict.fromkeys(keys))
        configs = _variant_configs(base, swept)
    _check_policy_settings(overrides, configs)
    return launcher, extra


def _check_policy_settings(overrides: list[str], configs: list[RunConfig]) -> None:
    """A setting of a policy that no run switches on is read by no code: refuse it."""
    on = {name for c in configs for name, _ in c.policy.active()}
    for o in OverridesParser.create().parse_overrides(overrides):
        parts = o.get_key_element().lstrip("+~").split(".")
        if len(parts) >= 3 and parts[0] == "policy" and parts[2] != "enabled" and parts[1] not in on:
            raise ConfigError(
                o.get_key_element(),
                o.value() if not o.is_sweep_override() else o.get_value_element_as_str(),
                f"set it with policy={parts[1]} (or policy=[...,{parts[1]}]) on",
                f"policy {parts[1]} is not switched on",
            )


@hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")
def _task(cfg: DictConfig) -> None:
    hc = HydraConfig.get()
    if hc.mode == RunMode.MULTIRUN:
        watch_launcher()  # a joblib worker ends with its launcher
    try:
        config = to_run_config(cfg)
    except SimError as exc:
        if os.environ.get("SAHEL_SIM_TRACEBACK"):
            raise
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    if hc.mode == RunMode.MULTIRUN or config.seeds > 1:
        # A sweep job (or a block of seeds): runs go to <sweep or run dir>/runs/<key>/.
        root = Path(hc.sweep.dir if hc.mode == RunMode.MULTIRUN else hc.runtime.output_dir)
        label = " ".join(hc.overrides.task) or "defaults"
        job = str(hc.job.num) if hc.mode == RunMode.MULTIRUN else "0"
        # The launching process draws the sweep's one progress line (simcli/progress.py): no per-run output.
        quiet = hc.mode == RunMode.MULTIRUN and bool(os.environ.get(QUIET_ENV))
        if quiet:
            config = dataclasses.replace(config, output=dataclasses.replace(config.output, progress=False))
        report = run_block(config, root, label=f"[{label}]", job=job, overrides=list(hc.overrides.task), quiet=quiet)
        if quiet:
            return
        print(
            f"[{label}] {len(report.done)} runs done, {len(report.skipped)} already done, {len(report.failed)} failed"
            f" -> {root / 'runs'}"
        )
        return
    outdir = Path(hc.runtime.output_dir)
    try:
        result = run(config, outdir)
    except SystemError as exc:
        if interrupted(exc):  # a Ctrl-C inside a compiled kernel's call, before Hydra reports it as an error
            raise KeyboardInterrupt from exc
        raise
    except SimError as exc:
        if os.environ.get("SAHEL_SIM_TRACEBACK"):
            raise
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    except OSError as exc:  # a full disk, a read-only directory: no result, and the reason in one line
        if os.environ.get("SAHEL_SIM_TRACEBACK"):
            raise
        print(f"error: {exc.filename or outdir}: {exc.strerror or exc}; no run was recorded", file=sys.stderr)
        sys.exit(1)
    s = result.summary
    print(
        f"{config.scenario.name} seed={config.seed}: {s['steps']} weeks, {headline(s, result.model.outcomes)} "
        f"({s['wall_seconds']:.1f} s) -> {outdir}"
    )


def main() -> None:
    """Entry point of ``python -m sim``."""
    keep_ctrl_c()  # a Ctrl-C stops the command even where Python only printed it
    argv = sys.argv[1:]
    info_flags = {"--help", "-h", "--hydra-help", "--info", "--cfg", "-c", "--shell-completion", "-sc"}
    launcher = "basic"
    if not info_flags.intersection(argv):
        try:
            launcher, extra = preflight(argv)
            if launcher == "slurm" and not launchers.check_slurm():
                launchers.watch_with_squeue()
                print("note: SLURM keeps no accounting here; job states come from squeue", file=sys.stderr)
        except (SimError, HydraException, OmegaConfBaseException, ValueError) as exc:
            if os.environ.get("SAHEL_SIM_TRACEBACK"):
                raise  # asked for: the full traceback
            message = str(exc) if isinstance(exc, SimError) else _describe(exc)
            print(f"error: {message}", file=sys.stderr)
            sys.exit(EXIT_USAGE)
        if extra:
            print(f"note: added for the {launcher} launcher: {' '.join(extra)}", file=sys.stderr)
            sys.argv.extend(extra)
    mark_launcher()
    if launcher in launchers.RAY:
        launchers.quiet_thread_errors()  # a dying head's client threads: one line each
    # Errors reach us rather than Hydra's printer: one line each, the traceback on request.
    os.environ.setdefault("HYDRA_FULL_ERROR", "1")
    for attempt in (1, 2):
        try:
            _task()
            return
        except KeyboardInterrupt:
            if os.environ.get("SAHEL_SIM_TRACEBACK"):
                raise
            # Runs are sealed by their manifest, written last: what finished is kept, the rest is redone.
            print(INTERRUPTED, file=sys.stderr)
            if launcher == "slurm":
                sweep = launchers.sweep_dir_of(sys.argv[1:])
                ids = launchers.cancel_sweep_jobs(sweep) if sweep is not None else []
                if ids:
                    print(f"cancelled this sweep's SLURM jobs: {' '.join(ids)}", file=sys.stderr)
                else:
                    name = launchers.SLURM_JOB_NAME
                    print(f"SLURM jobs already submitted go on: scancel --name={name}", file=sys.stderr)
            sys.exit(EXIT_INTERRUPTED)
        except Exception as exc:
            if os.environ.get("SAHEL_SIM_TRACEBACK"):
                raise
            message = launchers.describe_failure(exc, launcher)
            if message is not None:  # a cluster that failed or could not be reached
                print(f"error: {message}", file=sys.stderr)
                sys.exit(1)
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            if worker_died(exc) and attempt == 1:
                # A killed worker (the OOM killer, say) breaks the whole pool: redo what is unfinished, once.
                print(f"warning: a sweep worker died ({text}); running the unfinished runs again", file=sys.stderr)
                GlobalHydra.instance().clear()
                continue
            print(
                f"error: {type(exc).__name__}: {text}; finished runs are kept, the same command redoes the rest"
                " (SAHEL_SIM_TRACEBACK=1 shows the traceback)",
                file=sys.stderr,
            )
            sys.exit(1)
