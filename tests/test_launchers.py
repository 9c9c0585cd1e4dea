"""Launchers apart from experiments: every preset composes with every launcher config."""

from __future__ import annotations

import hydra

import simcli.app  # noqa: F401  (registers the run schema the configs build on)
from simcli import CONFIG_DIR
from simcli.compose import config_tree

PRESETS = sorted(p.stem for p in (CONFIG_DIR / "experiment").glob("*.yaml"))
LAUNCHERS = ["basic", *sorted(p.stem for p in (CONFIG_DIR / "hydra" / "launcher").glob("*.yaml"))]
TARGETS = {
    "basic": "BasicLauncher",
    "local": "JoblibLauncher",
    "ray_local": "RayLauncher",
    "ray_cluster": "RayLauncher",
    "slurm": "SlurmLauncher",
}


def test_the_launcher_configs_are_the_documented_ones():
    assert set(LAUNCHERS) == set(TARGETS)


def test_presets_set_no_launcher_keys():
    """A preset may choose the default launcher (local, all cores) but sets none of its keys."""
    with config_tree():
        for preset in PRESETS:
            cfg = hydra.compose(config_name="config", overrides=[f"experiment={preset}"], return_hydra_config=True)
            assert cfg.hydra.launcher._target_.endswith("JoblibLauncher") and cfg.hydra.launcher.n_jobs == -1
            text = (CONFIG_DIR / "experiment" / f"{preset}.yaml").read_text()
            assert "launcher:" not in text.replace("/hydra/launcher:", ""), preset


def test_every_preset_composes_with_every_launcher():
    with config_tree():
        for preset in PRESETS:
            for launcher in LAUNCHERS:
                overrides = [f"experiment={preset}", f"hydra/launcher={launcher}"]
                cfg = hydra.compose(config_name="config", overrides=overrides, return_hydra_config=True)
                assert cfg.hydra.launcher._target_.endswith(TARGETS[launcher]), overrides
