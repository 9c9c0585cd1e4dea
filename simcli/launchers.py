"""What ``python -m sim -m`` must know about the launcher that runs a sweep's jobs.

The launcher is chosen apart from the experiment (``hydra/launcher=local|ray_local|ray_cluster|
slurm``); the presets set none of its keys. Cluster launchers run jobs in other processes, perhaps
on other machines, so before a sweep starts: the sweep directory is made absolute (a relative one
would resolve in each worker's own directory and split the sweep); on SLURM a configuration's
contiguous seed blocks merge into one job (a SLURM job costs about 2 s more than a joblib or Ray
job: a fresh interpreter and imports); without SLURM accounting, job states come from ``squeue``
(submitit reads them from ``sacct`` and would wait for ever on a cancelled job). When a cluster
fails mid-sweep, :func:`describe_failure` gives the one line the user sees: finished runs are kept
and the same command resumes, since every run is written atomically and skipped once done.
"""

from __future__ import annotations

import getpass
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from omegaconf import DictConfig

from sim.errors import ConfigError

RAY = ("ray_local", "ray_cluster")
CLUSTER = (*RAY, "slurm")  # jobs run in other processes, with their own working directory
RESUME = "finished runs are kept; the same command resumes"
SLURM_JOB_NAME = "sim"  # hydra.job.name, which submitit gives the SLURM jobs (scancel --name=sim)


def chosen(cfg: DictConfig) -> str:
    """The launcher config a composed configuration uses (``basic`` when none is chosen)."""
    return cfg.hydra.runtime.choices.get("hydra/launcher") or "basic"


def describe_bad_key(key: str, launcher: str, cfg: DictConfig | None) -> str:
    """One line for an override of a key the chosen launcher does not have."""
    keys = sorted(k for k in (cfg.hydra.launcher if cfg is not None else {}) if not k.startswith("_"))
    allowed = ", ".join(keys) if keys else "see python -m sim --hydra-help"
    return f"{key}: not a setting of the {launcher} launcher (hydra/launcher={launcher}); allowed: {allowed}"


def _quoted(path: str) -> str:
    """An override value Hydra's parser takes as one string."""
    return path if re.fullmatch(r"[\w/.\-]+", path) else "'" + path.replace("\\", "\\\\").replace("'", "\\'") + "'"


def absolute_sweep_dir(cfg: DictConfig, cwd: Path | None = None) -> list[str]:
    """The override that makes a cluster launcher's sweep directory absolute (none if it already is)."""
    if chosen(cfg) not in CLUSTER:
        return []
    directory = Path(str(cfg.hydra.sweep.dir))
    if directory.is_absolute():
        return []
    return [f"hydra.sweep.dir={_quoted(str((cwd or Path.cwd()) / directory))}"]


def _values(spec: object) -> list[str]:
    return [v.strip() for v in str(spec).split(",")]


def merged_seed_blocks(cfg: DictConfig, command_line: Mapping[str, object]) -> list[str]:
    """On SLURM, one job per configuration: a preset's contiguous seed blocks merge into one.

    ``seed: 0,4`` with ``seeds: 4`` (two jobs of four) becomes ``seed=0 seeds=8``: the same runs
    (a run's identity is its single-seed configuration), half the jobs. Left alone when the command
    line sets ``seed`` or ``seeds``, or the blocks are not contiguous.
    """
    if chosen(cfg) != "slurm" or "seed" in command_line or "seeds" in command_line:
        return []
    spec = (cfg.hydra.sweeper.get("params") or {}).get("seed")
    if spec is None:
        return []
    try:
        starts = sorted(int(v) for v in _values(spec))
    except ValueError:  # a range() or another sweep form: left as it is
        return []
    size = int(cfg.seeds)
    if len(starts) < 2 or starts != [starts[0] + i * size for i in range(len(starts))]:
        return []
    return [f"seed={starts[0]}", f"seeds={size * len(starts)}"]


def check_slurm() -> bool:
    """Whether SLURM keeps accounting (``sacct`` answers); raises if there is no SLURM here at all."""
    if shutil.which("sbatch") is None or shutil.which("squeue") is None:
        raise ConfigError(
            "hydra/launcher", "slurm", "a machine with SLURM's sbatch and squeue", "no SLURM here (sbatch not found)"
        )
    proc = subprocess.run(["scontrol", "show", "config"], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines() or ["no answer"]
        raise ConfigError("hydra/launcher", "slurm", "a reachable SLURM controller", f"scontrol: {lines[-1]}")
    match = re.search(r"^AccountingStorageType\s*=\s*(\S+)", proc.stdout, re.MULTILINE)
    return not (match and match.group(1).endswith("/none"))


def watch_with_squeue() -> None:
    """Make submitit learn job states from ``squeue`` (for a SLURM without accounting).

    ``squeue --states=all`` lists a finished job for ``MinJobAge`` (300 s by default) with its
    state (COMPLETED, CANCELLED, FAILED, TIMEOUT...); a job it no longer lists has ended long ago.
    Either way submitit then looks for the job's result and reports a job without one.
    """
    from submitit.slurm import slurm

    class SqueueWatcher(slurm.SlurmInfoWatcher):
        def _make_command(self) -> list[str] | None:
            if not self._registered - self._finished:
                return None
            return ["squeue", "--states=all", "--noheader", "--format=%i|%T|%N", f"--user={getpass.getuser()}"]

        def read_info(self, string: bytes | str) -> dict[str, dict[str, str]]:
            text = string.decode() if isinstance(string, bytes) else string
            info = super().read_info("JobID|State|NodeList\n" + text)
            for job_id in self._registered - self._finished:
                info.setdefault(job_id, {"JobID": job_id, "State": "ENDED", "NodeList": ""})
            return info

    # squeue asks only the controller (no database): every 10 s at most, so a cancelled job is seen soon.
    slurm.SlurmJob.watcher = SqueueWatcher(delay_s=10)


def sweep_dir_of(overrides: list[str]) -> Path | None:
    """The sweep directory a command line sets (its last ``hydra.sweep.dir=``), if absolute."""
    values = [o.split("=", 1)[1] for o in overrides if o.startswith("hydra.sweep.dir=")]
    if not values:
        return None
    value = values[-1]
    if len(value) > 1 and value[0] == value[-1] == "'":
        value = value[1:-1].replace("\\'", "'").replace("\\\\", "\\")
    path = Path(value)
    return path if path.is_absolute() else None


def cancel_sweep_jobs(sweep_dir: Path) -> list[str]:
    """Cancel the SLURM jobs of one sweep (after Ctrl-C); returns their ids.

    submitit submits each job as a script in ``<sweep dir>/.submitit/``, which ``squeue`` reports as
    the job's command: so only this sweep's jobs are cancelled, not the user's others named ``sim``.
    """
    query = ["squeue", "--noheader", "--array", "--format=%i|%o", f"--name={SLURM_JOB_NAME}"]
    listing = subprocess.run([*query, f"--user={getpass.getuser()}"], capture_output=True, text=True, timeout=60)
    prefix = f"{sweep_dir}/.submitit/"
    ids = [i for i, _, cmd in (line.partition("|") for line in listing.stdout.splitlines()) if cmd.startswith(prefix)]
    if ids:
        subprocess.run(["scancel", *ids], capture_output=True, timeout=60)
    return ids


def describe_failure(exc: BaseException, launcher: str) -> str | None:
    """The one line for a cluster that failed mid-sweep, or None for any other error."""
    module = type(exc).__module__
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    if module.startswith("submitit") and type(exc).__name__ not in ("UncompletedJobError", "FailedJobError"):
        return f"SLURM did not take the jobs ({first}): {RESUME}"
    if module.startswith("submitit"):
        state = re.search(r"\(state: ([^)]*)\)", text)
        job = re.search(r"Job (\S+)", text)
        what = f"SLURM job {job.group(1) if job else ''} ended without finishing".replace("  ", " ")
        if state:
            what += f" (state {state.group(1)})"
        elif "FailedJobError" in type(exc).__name__:
            what += f" ({first})"
        return f"{what}: {RESUME} (jobs still queued: squeue --name={SLURM_JOB_NAME}; scancel --name={SLURM_JOB_NAME})"
    if launcher in RAY and (module.startswith("ray") or isinstance(exc, ConnectionError)):
        # A head with token authentication turns a driver without the token away as a timeout.
        hint = " (a head with token authentication needs RAY_AUTH_MODE=token)"
        hint = "" if os.environ.get("RAY_AUTH_MODE") else hint
        return f"the Ray cluster failed or could not be reached ({type(exc).__name__}: {first}){hint}: {RESUME}"
    return None


def quiet_thread_errors() -> None:
    """Report an exception that ends a background thread in one line, not a traceback.

    When a Ray head dies, the Ray client's gRPC threads may stop with their own errors (e.g.
    ``ValueError: Cannot monitor channel state: Channel closed!``) while the sweep reports the
    failure itself in one line (:func:`describe_failure`). ``SAHEL_SIM_TRACEBACK=1`` keeps Python's
    traceback.
    """
    if os.environ.get("SAHEL_SIM_TRACEBACK"):
        return

    def hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "a thread"
        first = (str(args.exc_value).strip().splitlines() or [""])[0]
        print(f"warning: background thread {name} stopped ({args.exc_type.__name__}: {first})", file=sys.stderr)

    threading.excepthook = hook
