"""The README's Launchers commands against a real Ray head and a real single-node SLURM.

The module starts its own services on free ports under a temporary folder and stops them at the
end: a private munge, slurmctld and slurmd (Debian's ``slurm-wlm``, run as root; no accounting, so
job states come from ``squeue``), and a Ray head (``ray start --head --block``) with token
authentication from a private token file. It skips where these are missing, unless
``SAHEL_REQUIRE_CLUSTERS=1`` (CI sets it after installing them: ``.ci/clusters.sh``), which makes a
missing service a failure. Each command runs at a toy size; its runs must be the basic launcher's
bytes, and a cancelled SLURM job or a killed Ray head must end the sweep with one line (no
traceback) after which the same command completes the sweep without redoing a finished run.

The faults are staged, not raced: the SLURM partition is down while a sweep submits; then a job is held while
the first runs to completion, and the held one is cancelled (or the driver gets Ctrl-C while both wait). The Ray
head is killed, with every process it started, after the first run has finished. Every wait is bounded.
The evidence commands (``python -m experiments.discover sample``; the study runner under validation and
sensitivity) run on both clusters too and must give the joblib launcher's bytes.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import psutil
import pytest
from test_sweeps import outputs

from conftest import CTRL_C_EXITS, ROOT, small_config
from experiments.runner import run_tasks
from sim.integrity import verified

REQUIRED = os.environ.get("SAHEL_REQUIRE_CLUSTERS") == "1"
TOY = ["scenario=small", "steps=5", "policy=none,ddr"]  # policy_comparison: 2 policies x 8 seeds
RUNS = 16
RESUME = "finished runs are kept; the same command resumes"
SLURM_BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "scontrol")


def _missing() -> str | None:
    """Why the real clusters cannot run here (None if they can)."""
    if os.geteuid() != 0:
        return "needs root (slurmd runs jobs as root)"
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    absent = [b for b in SLURM_BINARIES if shutil.which(b, path=path) is None]
    if absent:
        return f"SLURM not installed ({', '.join(absent)} missing): bash .ci/clusters.sh install"
    if shutil.which("ray", path=str(Path(sys.executable).parent)) is None:
        return "ray not installed: pip install -e '.[distributed]'"
    return None


if _missing():
    if REQUIRED:
        raise RuntimeError(f"SAHEL_REQUIRE_CLUSTERS=1 but {_missing()}")
    pytest.skip(_missing(), allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sbin(name: str) -> str:
    return shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")


def wait_for(condition, timeout: float, what: str, poll: float = 0.1) -> None:
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            raise TimeoutError(f"no {what} after {timeout:.0f} s")
        time.sleep(poll)


SLURM_CONF = """\
ClusterName=sahel
SlurmctldHost={host}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={s}/munge/munge.socket.2
CredType=cred/munge
SlurmctldPort={ctld}
SlurmdPort={slurmd}
StateSaveLocation={s}/state
SlurmdSpoolDir={s}/spool
SlurmctldPidFile={s}/slurmctld.pid
SlurmdPidFile={s}/slurmd.pid
SlurmctldLogFile={s}/slurmctld.log
SlurmdLogFile={s}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
KillWait=2
{node}
PartitionName=compute Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


@pytest.fixture(scope="module")
def slurm():
    """A private single-node SLURM: munge, slurmctld and slurmd; yields the environment to reach it."""
    s = Path(subprocess.check_output(["mktemp", "-d", "/tmp/sahel-slurm.XXXXXX"], text=True).strip())
    s.chmod(0o755)
    for sub in ("munge", "state", "spool"):
        (s / sub).mkdir()
    shutil.chown(s / "munge", "munge", "munge")
    cpus = min(os.cpu_count() or 1, 4)
    conf = s / "slurm.conf"
    host = socket.gethostname()
    node = f"NodeName={host} CPUs={cpus} CoresPerSocket={cpus} ThreadsPerCore=1 RealMemory=8000 State=UNKNOWN"
    conf.write_text(SLURM_CONF.format(host=host, node=node, s=s, ctld=free_port(), slurmd=free_port()))
    env = {**os.environ, "SLURM_CONF": str(conf)}
    munge = s / "munge"
    try:
        subprocess.run(
            ["runuser", "-u", "munge", "--", sbin("munged"), f"--socket={munge}/munge.socket.2",
             f"--pid-file={munge}/munged.pid", f"--log-file={munge}/munged.log", f"--seed-file={munge}/munged.seed"],
            check=True,
        )  # fmt: skip
        subprocess.run([sbin("slurmctld"), "-f", str(conf)], check=True, env=env)
        subprocess.run([sbin("slurmd"), "-f", str(conf)], check=True, env=env)

        def idle() -> bool:
            out = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, env=env).stdout
            return out.strip() == "idle"

        wait_for(idle, 60, "idle SLURM node", poll=0.5)
        yield env
    finally:
        subprocess.run(["scancel", "--name=sim"], env=env, capture_output=True)
        for pidfile in (s / "slurmd.pid", s / "slurmctld.pid", munge / "munged.pid"):
            if pidfile.exists():
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pidfile.read_text().split()[0]), signal.SIGTERM)
        time.sleep(1)
        shutil.rmtree(s, ignore_errors=True)


def squeue(env: dict, *jobs: str) -> dict[str, str]:
    """State of each of our SLURM jobs (array tasks apart), finished ones included."""
    cmd = ["squeue", "--noheader", "--array", "--states=all", "--format=%i|%T", "--name=sim"]
    cmd += [f"--jobs={','.join(jobs)}"] if jobs else []
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    return dict(line.split("|") for line in out.stdout.split())


@contextlib.contextmanager
def partition_down(env: dict):
    """Jobs are queued but none starts until the block ends (the partition is up again after)."""
    update = ["scontrol", "update", "PartitionName=compute"]
    subprocess.run([*update, "State=DOWN"], check=True, env=env)
    try:
        yield
    finally:
        subprocess.run([*update, "State=UP"], check=True, env=env)


def submitted(env: dict, before: set[str], n: int, proc: subprocess.Popen) -> list[str]:
    """The ids of the ``n`` jobs a sweep submitted (none of them in ``before``), in submission order."""

    def listed() -> bool:
        assert proc.poll() is None, proc.stderr.read()[-3000:]
        return len(set(squeue(env)) - before) >= n

    wait_for(listed, 120, f"{n} queued SLURM jobs", poll=0.2)
    return sorted(set(squeue(env)) - before, key=lambda i: [int(x) for x in i.split("_")])


def start_sweep(args: list[str], env: dict) -> subprocess.Popen:
    """``python -m sim`` in the background, with Ctrl-C (SIGINT) as a terminal would deliver it."""
    return subprocess.Popen(
        [sys.executable, "-m", "sim", *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True, start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip


def ended(proc: subprocess.Popen, timeout: float = 180) -> str:
    """The stderr of a command that must end within ``timeout`` seconds (killed otherwise)."""
    try:
        return proc.communicate(timeout=timeout)[1]
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError(f"still running after {timeout:.0f} s: {proc.args}") from None


class RayHead:
    """A Ray head (``ray start --head --block``) on fixed free ports, which a test may kill and restart."""

    def __init__(self, root: Path):
        self.root = root
        self.ports = {
            "port": free_port(),
            "ray-client-server-port": free_port(),
            "node-manager-port": free_port(),
            "object-manager-port": free_port(),
            "dashboard-agent-listen-port": free_port(),
            "dashboard-agent-grpc-port": free_port(),
            "runtime-env-agent-port": free_port(),
            "metrics-export-port": free_port(),
        }
        token = root / "auth_token"
        token.write_text(secrets.token_hex(32))
        token.chmod(0o600)
        # Token authentication, as the README describes it, from a private token file.
        self.env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token)}
        # The head starts a server process per ray:// driver, allowed 30 s; a loaded CI machine needs more.
        self.head_env = {**self.env, "RAY_CLIENT_SERVER_CHECK_CHANNEL_TIMEOUT_S": "180"}
        self.address = f"ray://127.0.0.1:{self.ports['ray-client-server-port']}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the head without waiting for it (:meth:`ready` waits)."""
        self.log = self.root / f"head-{time.time_ns()}.log"
        cmd = [
            str(Path(sys.executable).parent / "ray"), "start", "--head", "--block", "--node-ip-address=127.0.0.1",
            "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={self.root / 'ray'}",
            *[f"--{k}={v}" for k, v in self.ports.items()],
        ]  # fmt: skip
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, env=self.head_env, start_new_session=True
            )

    def ready(self) -> None:
        if self.proc is None:  # killed by an earlier test
            self.start()

        def started() -> bool:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            return "Ray runtime started" in self.log.read_text()

        wait_for(started, 180, "Ray head", poll=0.5)

    def kill(self) -> None:
        """SIGKILL the head and every process it started (a head that dies, not one that stops).

        Ray's workers are the raylet's children but not in the head's process group: they are killed
        too, so none goes on writing runs beside the resumed sweep.
        """
        if self.proc is not None and self.proc.poll() is None:
            family = []
            with contextlib.suppress(psutil.NoSuchProcess):
                family = psutil.Process(self.proc.pid).children(recursive=True)
            os.killpg(self.proc.pid, signal.SIGKILL)
            for child in family:
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.kill()
            psutil.wait_procs(family, timeout=30)
            self.proc.wait()
        self.proc = None


@pytest.fixture(scope="module")
def ray_head(tmp_path_factory):
    """A running Ray head; started when the module starts, so it comes up while SLURM tests run."""
    head = RayHead(Path(subprocess.check_output(["mktemp", "-d", "/tmp/sahel-ray.XXXXXX"], text=True).strip()))
    head.start()
    yield head
    head.kill()
    shutil.rmtree(head.root, ignore_errors=True)


@pytest.fixture(scope="module", autouse=True)
def _start_ray_early(ray_head):
    return ray_head


def sim(*args: str, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout
    )


@pytest.fixture(scope="module")
def basic(tmp_path_factory):
    """The toy sweep on the basic launcher: the bytes every other launcher must give."""
    out = tmp_path_factory.mktemp("basic")
    proc = sim("-m", "experiment=policy_comparison", "hydra/launcher=basic", *TOY, f"hydra.sweep.dir={out}", env=None)
    assert proc.returncode == 0, proc.stderr[-2000:]
    runs = outputs(out)
    assert len(runs) == RUNS
    return runs


# Ray's head starts one server process per ray:// driver; on a loaded machine that start now and
# then fails before any job runs ("Initialization failure from server"), and the driver says so in
# our one line. Such a start (and only such a start) is tried again, up to twice.
RAY_START_FAILURE = "Initialization failure from server"


def sim_retrying_ray_start(*args: str, env: dict) -> subprocess.CompletedProcess:
    for _ in range(2):
        proc = sim(*args, env=env)
        if proc.returncode == 0 or RAY_START_FAILURE not in proc.stderr:
            return proc
    return sim(*args, env=env)


def _sealed(sweep: Path) -> bool:
    """Whether a run of the sweep has finished and sealed its files (a verified manifest)."""
    return any(verified(p.parent) for p in sweep.glob("runs/*/summary.json"))


def _finished_or_ended(sweep: Path, proc: subprocess.Popen) -> bool:
    # A summary is written before the manifest: interrupting between the two leaves no run kept
    # (redone by design), so wait for a sealed run, not a summary.
    return _sealed(sweep) or proc.poll() is not None


def interrupt_then_resume(args: list[str], sweep: Path, env: dict, interrupt) -> tuple[str, dict]:
    """Start a sweep, ``interrupt()`` once a run has finished, then run the same command again.

    Returns the interrupted command's stderr and the finished runs' modification times.
    """
    for _attempt in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-m", "sim", *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, start_new_session=True,
        )  # fmt: skip
        try:
            wait_for(partial(_finished_or_ended, sweep, proc), 240, "finished run", 0.05)
            if proc.poll() is None:
                interrupt()
            _, err = proc.communicate(timeout=240)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        if RAY_START_FAILURE not in err or _sealed(sweep):
            break
    assert proc.returncode == 1, err[-3000:]
    # Finished means sealed: a run killed between its summary and its manifest is redone by design.
    kept = {p.parent.name: p.stat().st_mtime_ns for p in sweep.glob("runs/*/summary.json") if verified(p.parent)}
    assert 1 <= len(kept) < RUNS, f"the interruption should land mid-sweep: {err[-3000:]}"
    return err, kept


def assert_one_line(err: str) -> None:
    assert "Traceback" not in err, err[-3000:]
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: ") and RESUME in last, last


def test_slurm_command_gives_the_basic_bytes(slurm, basic, tmp_path):
    """README: ``hydra/launcher=slurm hydra.launcher.partition=compute hydra.sweep.dir=...``, straight through."""
    args = ["-m", "experiment=policy_comparison", "hydra/launcher=slurm", "hydra.launcher.partition=compute",
            f"hydra.sweep.dir={tmp_path}", *TOY]  # fmt: skip
    proc = sim(*args, env=slurm)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "seed=0 seeds=8" in proc.stderr  # SLURM: one job per policy, not the preset's two blocks
    assert outputs(tmp_path) == basic
    again = sim(*args, env=slurm)  # resume: nothing left to do, nothing redone
    assert again.returncode == 0, again.stderr[-3000:]
    assert outputs(tmp_path) == basic


def test_ray_cluster_command_gives_the_basic_bytes(ray_head, basic, tmp_path):
    """README: ``RAY_ADDRESS=ray://head:10001 ... hydra/launcher=ray_cluster hydra.sweep.dir=...``, straight through."""
    ray_head.ready()
    env = {**ray_head.env, "RAY_ADDRESS": ray_head.address}
    args = ["-m", "experiment=policy_comparison", "hydra/launcher=ray_cluster", f"hydra.sweep.dir={tmp_path}", *TOY]
    proc = sim_retrying_ray_start(*args, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert outputs(tmp_path) == basic


def test_slurm_command_reports_a_cancelled_job_resumes_and_gives_the_basic_bytes(slurm, basic, tmp_path):
    """README: ``hydra/launcher=slurm hydra.launcher.partition=compute hydra.sweep.dir=...``.

    The first job (policy ``none``) runs to its end while the second is held; then the second is cancelled.
    """
    args = ["-m", "experiment=policy_comparison", "hydra/launcher=slurm", "hydra.launcher.partition=compute",
            f"hydra.sweep.dir={tmp_path}", *TOY]  # fmt: skip
    before = set(squeue(slurm))
    with partition_down(slurm):
        proc = start_sweep(args, slurm)
        first, second = submitted(slurm, before, 2, proc)
        subprocess.run(["scontrol", "hold", second], check=True, env=slurm)
    wait_for(lambda: squeue(slurm, first).get(first) == "COMPLETED", 180, f"job {first} completed", poll=0.5)
    subprocess.run(["scancel", second], check=True, env=slurm)
    err = ended(proc)
    assert proc.returncode == 1, err[-3000:]
    assert_one_line(err)
    assert f"SLURM job {second} " in err and "CANCELLED" in err.strip().splitlines()[-1]
    kept = {p.parent.name: p.stat().st_mtime_ns for p in tmp_path.glob("runs/*/summary.json")}
    assert len(kept) == RUNS // 2  # the first job's runs, all of them
    again = sim(*args, env=slurm)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "seed=0 seeds=8" in again.stderr  # SLURM: one job per policy, not the preset's two blocks
    assert len(list(tmp_path.glob("jobs/*.json"))) == 2
    assert outputs(tmp_path) == basic
    assert {k: (tmp_path / "runs" / k / "summary.json").stat().st_mtime_ns for k in kept} == kept  # not redone


def test_ctrl_c_on_a_slurm_sweep_cancels_its_jobs_and_only_them(slurm, tmp_path):
    """Ctrl-C while the sweep's jobs wait in the queue: they are cancelled, another sweep's job is not."""
    launcher = ["-m", "experiment=policy_comparison", "hydra/launcher=slurm", "hydra.launcher.partition=compute"]
    other = [*launcher, f"hydra.sweep.dir={tmp_path / 'other'}", "scenario=small", "steps=5", "policy=none"]
    args = [*launcher, f"hydra.sweep.dir={tmp_path / 'sweep'}", *TOY]
    before = set(squeue(slurm))
    with partition_down(slurm):
        bystander = start_sweep(other, slurm)
        (theirs,) = submitted(slurm, before, 1, bystander)
        proc = start_sweep(args, slurm)
        ours = submitted(slurm, before | {theirs}, 2, proc)
        proc.send_signal(signal.SIGINT)
        err = ended(proc, 60)
        assert proc.returncode in CTRL_C_EXITS, err[-3000:]
        assert "Traceback" not in err, err[-3000:]
        assert f"cancelled this sweep's SLURM jobs: {' '.join(ours)}" in err
        states = squeue(slurm)
        assert states.get(theirs) == "PENDING", states
        assert not {i for i in ours if states.get(i, "CANCELLED") != "CANCELLED"}, states
    assert ended(bystander) is not None and bystander.returncode == 0  # the other sweep goes on and finishes


def test_ray_cluster_command_reports_a_killed_head_resumes_and_gives_the_basic_bytes(ray_head, basic, tmp_path):
    """README: ``RAY_ADDRESS=ray://head:10001 ... hydra/launcher=ray_cluster hydra.sweep.dir=...``."""
    ray_head.ready()
    env = {**ray_head.env, "RAY_ADDRESS": ray_head.address, "RAY_CLIENT_RECONNECT_GRACE_PERIOD": "3"}
    args = ["-m", "experiment=policy_comparison", "hydra/launcher=ray_cluster", f"hydra.sweep.dir={tmp_path}", *TOY]
    err, kept = interrupt_then_resume(args, tmp_path, env, ray_head.kill)
    assert_one_line(err)
    ray_head.start()
    ray_head.ready()
    again = sim_retrying_ray_start(*args, env=env)
    assert again.returncode == 0, again.stderr[-3000:]
    assert outputs(tmp_path) == basic
    assert {k: (tmp_path / "runs" / k / "summary.json").stat().st_mtime_ns for k in kept} == kept


def test_ray_local_command_runs_beside_a_running_head(ray_head, basic, tmp_path):
    """README: ``hydra/launcher=ray_local`` starts its own instance even where a Ray head runs."""
    ray_head.ready()
    toy = [o.replace("policy=none,ddr", "policy=none") for o in TOY]  # half the toy sweep: its 8 runs
    args = ["-m", "experiment=policy_comparison", "hydra/launcher=ray_local", f"hydra.sweep.dir={tmp_path}", *toy]
    proc = sim(*args, env=ray_head.env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = outputs(tmp_path)
    assert len(runs) == RUNS // 2 and all(basic[key] == files for key, files in runs.items())


# The evidence commands through the study runner (experiments/runner.py): a tiny design sweep.
DESIGN = ["--policy", "border_control", "--n", "2", "--seeds", "1", "--steps", "3"]
DESIGN += ["--factor", "scenario.officials.integrity_mean", "--set", "scenario.burn_in_weeks=2"]
DESIGN += ["--set", "scenario.supply_scale=0.05"]


def discover_sample(out: Path, *extra: str, env: dict | None) -> None:
    cmd = [sys.executable, "-m", "experiments.discover", "sample", str(out), *DESIGN, *extra]
    for _ in range(3):  # a head just (re)started may refuse its first client (as sim_retrying_ray_start)
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
        if proc.returncode == 0 or RAY_START_FAILURE not in proc.stderr:
            break
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.fixture(scope="module")
def design_joblib(tmp_path_factory):
    out = tmp_path_factory.mktemp("design") / "joblib"
    discover_sample(out, "--jobs", "2", env=None)
    runs = outputs(out)
    assert len(runs) == 4  # two points, with and without the policy
    return runs


def test_the_design_runner_on_slurm_gives_the_joblib_bytes(slurm, design_joblib, tmp_path):
    """``python -m experiments.discover sample ... --launcher slurm``: two SLURM jobs of two runs each."""
    discover_sample(tmp_path, "--launcher", "slurm", "--jobs", "2", env=slurm)
    assert outputs(tmp_path) == design_joblib
    assert len({p.parent.name for p in (tmp_path / ".submitit").glob("*/*_result.pkl")}) == 2


def test_the_design_runner_on_a_ray_cluster_gives_the_joblib_bytes(ray_head, design_joblib, tmp_path):
    """``RAY_ADDRESS=ray://head:10001 python -m experiments.discover sample ... --launcher ray``."""
    ray_head.ready()
    discover_sample(tmp_path, "--launcher", "ray", env={**ray_head.env, "RAY_ADDRESS": ray_head.address})
    assert outputs(tmp_path) == design_joblib


def test_the_study_runner_of_validation_and_sensitivity_runs_on_slurm(slurm, tmp_path, monkeypatch):
    """``run_tasks`` (what ``experiments.validate`` and ``experiments.sensitivity`` call) through SLURM."""
    from submitit.slurm import slurm as submitit_slurm

    monkeypatch.setenv("SLURM_CONF", slurm["SLURM_CONF"])
    monkeypatch.setattr(submitit_slurm.SlurmJob, "watcher", submitit_slurm.SlurmJob.watcher)  # restored after
    tasks = [("arm", small_config(seed, steps=3)) for seed in (0, 1, 2)]
    here = run_tasks(tasks, tmp_path / "joblib", jobs=1, progress=False)
    there = run_tasks(tasks, tmp_path / "slurm", jobs=2, progress=False, launcher="slurm")
    assert [(r.label, r.seed, r.key) for r in there] == [(r.label, r.seed, r.key) for r in here]
    assert outputs(tmp_path / "slurm") == outputs(tmp_path / "joblib")
