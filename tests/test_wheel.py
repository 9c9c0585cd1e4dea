"""The wheel works anywhere: built, installed (not editable) into a fresh virtual environment, run outside the repo.

Building the wheel and a bare environment takes seconds; the dependencies are not installed
again: a ``.pth`` file makes this test environment's site-packages visible behind the wheel's,
so what is tested is the wheel's own files (its configs, data and packages), not the checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(python of a fresh environment with the wheel installed, a working directory outside the repo)."""
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = dist.glob("sahel_sim-*.whl")
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-compile",
            "-q",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    # The dependencies: this environment's packages, after the wheel's (a .pth line does not run the
    # editable install's finder there, so the checkout stays invisible).
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    work = base / "elsewhere"
    work.mkdir()
    return python, work


def run_in(installed, *args, timeout=300):
    python, work = installed
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(python), *args], capture_output=True, text=True, cwd=work, env=env, timeout=timeout, check=False
    )


def test_the_wheel_is_what_runs(installed):
    python, _ = installed
    proc = run_in(installed, "-c", "import sim, simcli, sahel_sim; print(sim.__file__, simcli.CONFIG_DIR)")
    assert proc.returncode == 0, proc.stderr
    sim_file, config_dir = proc.stdout.split()
    env_dir = python.parent.parent
    assert Path(sim_file).is_relative_to(env_dir) and not Path(sim_file).is_relative_to(ROOT)
    assert (Path(config_dir) / "config.yaml").is_file() and (
        Path(config_dir) / "experiment" / "ct_targeting.yaml"
    ).is_file()


def test_one_run_from_the_wheel(installed):
    proc = run_in(installed, "-m", "sim", "scenario=small", "steps=3", "scenario.burn_in_weeks=0", "hydra.run.dir=one")
    assert proc.returncode == 0, proc.stderr
    out = installed[1] / "one"
    assert {"summary.json", "timeseries.parquet", "dictionary.json", "config.yaml"} <= {p.name for p in out.iterdir()}


def test_a_preset_sweep_from_the_wheel(installed):
    sweep = installed[1] / "ct"
    proc = run_in(
        installed,
        "-m",
        "sim",
        "-m",
        "experiment=ct_targeting",
        "scenario=small",
        "steps=3",
        "scenario.burn_in_weeks=0",
        "seeds=1",
        "policy.counter_terrorism.intensity=0",
        "hydra.launcher.n_jobs=1",
        f"hydra.sweep.dir={sweep}",
    )
    assert proc.returncode == 0, proc.stderr
    assert len(list((sweep / "runs").glob("*/summary.json"))) == 2  # intensity 0 x 2 targetings
    assert f"next: python -m experiments.report {sweep}" in proc.stdout
    agg = run_in(installed, "-m", "experiments.aggregate", str(sweep))
    assert agg.returncode == 0, agg.stderr
    assert (sweep / "runs.parquet").is_file() and (sweep / "dictionary.json").is_file()
