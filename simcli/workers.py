"""Sweep workers end with the command that launched them.

The joblib launcher runs jobs in worker processes (loky) that outlive a launcher killed with
SIGKILL: they would go on running (and writing) for minutes with no one to report to. The
launcher records its process id in the environment its workers inherit; a worker whose parent
is that launcher watches it and exits as soon as it is gone (its parent changes). A run cut
short this way leaves no manifest, so the same command redoes it. Jobs run in the launcher
itself (the basic launcher) or on other machines (Ray, SLURM) are not watched.
"""

from __future__ import annotations

import os
import threading
import time

LAUNCHER_ENV = "SAHEL_SIM_LAUNCHER_PID"
EXIT_ORPHANED = 137  # as if killed with the launcher (128 + SIGKILL)


def mark_launcher() -> None:
    """Record this process as the launcher of the jobs it starts (inherited by its workers)."""
    os.environ[LAUNCHER_ENV] = str(os.getpid())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def watch_launcher(interval: float = 0.5) -> bool:
    """In a worker of this machine's launcher, exit when the launcher is gone.

    Returns:
        Whether a watch was started (only in a direct child of the launcher).
    """
    launcher = os.environ.get(LAUNCHER_ENV, "")
    if not launcher.isdigit() or int(launcher) == os.getpid():
        return False
    parent = int(launcher)
    if os.getppid() != parent:
        if not _alive(parent):  # the launcher died while this worker was starting: nobody wants the job
            os._exit(EXIT_ORPHANED)
        return False

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(EXIT_ORPHANED)

    threading.Thread(target=watch, name="launcher-watch", daemon=True).start()
    return True


def worker_died(exc: BaseException) -> bool:
    """Whether an error means a worker process of the pool was killed (joblib/loky's own error)."""
    while exc is not None:
        if type(exc).__name__ in ("TerminatedWorkerError", "BrokenProcessPool"):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
