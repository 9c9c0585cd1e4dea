"""Launchers apart from experiments: every preset composes with every launcher config."""

from __future__ import annotations

import importlib
from pathlib import Path

import hydra
import pytest
from hydra.errors import MissingConfigException

import simcli.app  # noqa: F401  (registers the run schema the configs build on)
from conftest import cli
from sim.errors import ConfigError
from simcli import CONFIG_DIR, launchers
from simcli.app import _describe, preflight
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


def test_a_setting_the_launcher_lacks_stops_with_one_line_naming_its_settings():
    proc = cli("-m", "experiment=ct_targeting", "hydra/launcher=slurm", "hydra.launcher.n_jobs=2")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert proc.stderr.startswith("error: hydra.launcher.n_jobs: not a setting of the slurm launcher")
    assert "partition" in proc.stderr and "Traceback" not in proc.stderr


def test_an_unknown_launcher_names_the_ones_there_are():
    with pytest.raises(MissingConfigException) as info:
        preflight(["-m", "experiment=ct_targeting", "hydra/launcher=kubernetes"])
    assert _describe(info.value).startswith("hydra/launcher=kubernetes: unknown option; allowed: basic")


def test_cluster_launchers_get_an_absolute_sweep_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for launcher in ("ray_local", "ray_cluster", "slurm"):
        _, extra = preflight(["-m", "seed=1", f"hydra/launcher={launcher}"])
        assert extra[0].startswith(f"hydra.sweep.dir={tmp_path}/multirun/"), extra
    _, extra = preflight(["-m", "seed=1", "hydra/launcher=slurm", "hydra.sweep.dir=/x/y"])
    assert not [e for e in extra if e.startswith("hydra.sweep.dir")]
    assert preflight(["-m", "seed=1", "hydra/launcher=local"]) == ("local", [])


def test_slurm_merges_contiguous_seed_blocks_into_one_job():
    """policy_comparison runs seeds 0-3 and 4-7 as two jobs; on SLURM one job of 0-7, the same runs."""
    slurm = ["-m", "experiment=policy_comparison", "policy=none,ddr", "hydra/launcher=slurm", "hydra.sweep.dir=/s"]
    assert preflight(slurm)[1] == ["seed=0", "seeds=8"]
    assert preflight([*slurm, "seeds=2"])[1] == []  # 0-1 and 4-5: not contiguous, left alone
    assert preflight([*slurm, "seed=0,8"])[1] == []  # the command line chose the blocks
    assert preflight([o.replace("=slurm", "=ray_local") for o in slurm])[1] == []  # Ray jobs are cheap


def test_without_accounting_job_states_come_from_squeue(monkeypatch):
    from submitit.slurm import slurm

    monkeypatch.setattr(slurm.SlurmJob, "watcher", slurm.SlurmJob.watcher)
    launchers.watch_with_squeue()
    watcher = slurm.SlurmJob.watcher
    assert watcher._make_command() is None  # nothing to watch yet
    for job in ("7_0", "7_1", "7_2", "7_3", "8"):
        watcher.register_job(job)
    assert watcher._make_command()[0] == "squeue"
    info = watcher.read_info("7_0|CANCELLED|vm\n7_1|RUNNING|vm\n7_[2-3]|PENDING|\n")
    states = {job: info[job]["State"] for job in ("7_0", "7_1", "7_2", "7_3", "8")}
    assert states == {"7_0": "CANCELLED", "7_1": "RUNNING", "7_2": "PENDING", "7_3": "PENDING", "8": "ENDED"}
    watcher._info_dict.update(info)
    assert watcher.is_done("7_0", mode="cache") and watcher.is_done("8", mode="cache")
    assert not watcher.is_done("7_1", mode="cache")


def test_a_cluster_failure_is_one_line_that_says_the_same_command_resumes(monkeypatch):
    from submitit.core.utils import UncompletedJobError

    cancelled = UncompletedJobError(
        "Job 12_1 (task: 0) with path /s/x.pkl\nhas not produced any output (state: CANCELLED)"
    )
    line = launchers.describe_failure(cancelled, "slurm")
    assert line.startswith("SLURM job 12_1 ended without finishing (state CANCELLED): " + launchers.RESUME)
    monkeypatch.delenv("RAY_AUTH_MODE", raising=False)
    line = launchers.describe_failure(ConnectionError("ray client connection timeout"), "ray_cluster")
    assert "RAY_AUTH_MODE=token" in line  # the usual cause of this timeout
    assert line.startswith("the Ray cluster failed or could not be reached (ConnectionError: ray client connection")
    assert line.endswith(launchers.RESUME)
    assert launchers.describe_failure(ValueError("a bug"), "ray_cluster") is None
    assert launchers.describe_failure(ConnectionError("x"), "local") is None


def test_ctrl_c_finds_the_sweep_directory_of_the_command_line():
    assert launchers.sweep_dir_of(["-m", "hydra.sweep.dir=/a/b", "seed=1", "hydra.sweep.dir=/c/d"]) == Path("/c/d")
    assert launchers.sweep_dir_of(["hydra.sweep.dir='/a b/it''s'".replace("''", "\\'")]) == Path("/a b/it's")
    assert launchers.sweep_dir_of(["hydra.sweep.dir=relative/dir"]) is None  # made absolute by the pre-flight
    assert launchers.sweep_dir_of(["seed=1"]) is None


def test_the_study_runner_names_its_launchers(tmp_path):
    from experiments.runner import run_blocks

    with pytest.raises(ConfigError, match="--launcher='kubernetes': unknown launcher; allowed: joblib, ray, slurm"):
        run_blocks([], tmp_path, launcher="kubernetes")


EVIDENCE = {  # command: (module with its main, arguments before --launcher)
    "experiments.validate": ("experiments.validate.report", []),
    "experiments.sensitivity": ("experiments.sensitivity.report", ["morris"]),
    "experiments.discover": ("experiments.discover", ["sample", "d", "--policy", "ddr"]),
    "experiments.search": ("experiments.search", ["d"]),
}


@pytest.mark.parametrize("command", sorted(EVIDENCE))
def test_the_evidence_commands_take_a_launcher(command, capsys):
    """``--launcher joblib|ray|slurm`` on every command that runs a study; anything else is a usage error."""
    module, argv = EVIDENCE[command]
    with pytest.raises(SystemExit) as info:
        importlib.import_module(module).main([*argv, "--launcher", "kubernetes"])
    assert info.value.code == 2
    assert "argument --launcher: invalid choice: 'kubernetes'" in capsys.readouterr().err


def test_a_thread_that_dies_under_a_ray_sweep_says_one_line(monkeypatch, capsys):
    """A dying Ray head stops the client's gRPC threads with errors of their own: one line each, no traceback."""
    import threading

    monkeypatch.setattr(threading, "excepthook", threading.excepthook)  # restored after the test
    monkeypatch.delenv("SAHEL_SIM_TRACEBACK", raising=False)
    launchers.quiet_thread_errors()

    def poll():
        raise ValueError("Cannot monitor channel state: Channel closed!\nmore detail")

    thread = threading.Thread(target=poll, name="Thread-1 (_run)")
    thread.start()
    thread.join()
    err = capsys.readouterr().err
    line = (
        "warning: background thread Thread-1 (_run) stopped (ValueError: Cannot monitor channel state: Channel closed!)"
    )
    assert err == line + "\n"
