"""Faults: a killed run never leaves a file that passes as a finished result; Ctrl-C stops a sweep
cleanly and the same command resumes it; a long run does not grow in memory beyond its outputs.

- SIGKILL at deterministic points of the writing (mid-write of each file, before and after each
  rename), in a forked copy of the test process, and at times spread over start-up, the run and
  the writing of a real ``python -m sim``: a directory then has no ``summary.json``, or the
  complete set of files of the run, byte for byte those of an uninterrupted run.
- SIGINT (Ctrl-C) to a sweep's process group, as a terminal sends it: the sweep stops within a
  few seconds with exit code 130 and one line, no traceback; every run with a summary is complete
  and correct; the same command then finishes the sweep, skipping what was done.
- 5,200 weeks: resident memory grows no more than the DataCollector's rows (the outputs) plus a
  stated tolerance.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pyarrow.parquet as pq
import pytest

from conftest import CORE, CTRL_C_EXITS, ROOT, cli
from sim.integrity import verified
from sim.params import RunConfig, from_dict
from sim.run import SUMMARY, run
from simcli.app import INTERRUPTED

FILES = ("config.yaml", "dictionary.json", "timeseries.parquet", "route_flows.parquet", "edges.parquet")
SMALL = {"name": "small", "steps": 104, "supply_scale": 0.1, "burn_in_weeks": 4}  # simcli/configs/scenario/small.yaml


def small_run_config(seed: int = 3, steps: int = 12) -> RunConfig:
    return from_dict(
        RunConfig,
        {"seed": seed, "steps": steps, "scenario": SMALL, "output": {"route_flows": True, "progress": False}},
    )


def snapshot(outdir: Path) -> dict[str, bytes]:
    """A finished run's files, with the summary's wall time left out."""
    files = {name: (outdir / name).read_bytes() for name in FILES}
    summary = json.loads((outdir / SUMMARY).read_text(encoding="utf-8"))
    summary.pop("wall_seconds")
    files[SUMMARY] = json.dumps(summary, sort_keys=True).encode()
    return files


def assert_finished_or_not_at_all(outdir: Path, reference: dict[str, bytes]) -> bool:
    """No verified manifest, or every file of the run exactly as an uninterrupted run wrote it.

    Returns:
        Whether the directory holds a finished run.
    """
    if not verified(outdir):
        return False
    missing = [name for name in FILES if not (outdir / name).exists()]
    assert not missing, f"summary.json without {missing}"
    got = snapshot(outdir)
    for name in reference:
        assert got[name] == reference[name], f"{name} differs from the uninterrupted run's"
    for name in ("timeseries.parquet", "route_flows.parquet", "edges.parquet"):
        pq.read_table(outdir / name)  # readable, not truncated
    return True


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("reference")
    run(small_run_config(), out)
    return snapshot(out)


# --- SIGKILL at every step of the writing ---------------------------------------------------------

WRITES = 7  # config.yaml, dictionary.json, timeseries, route_flows, edges, summary.json, manifest.json
POINTS = [(k, phase) for k in range(WRITES) for phase in ("mid_write", "before_rename", "after_rename")]

# Run in a fresh interpreter: for each kill point, fork a child that runs the small configuration
# and SIGKILLs itself at the k-th atomic write: in the middle of writing the file (its temporary
# copy half written), before renaming it into place, or just after.
KILLER = """
import json, os, signal, sys
from pathlib import Path
from sim import run as run_module
from sim.params import RunConfig, from_dict

root, stale, points = Path(sys.argv[1]), sys.argv[2] == "stale", json.loads(sys.argv[3])
config = lambda seed: from_dict(RunConfig, json.loads(sys.argv[4]) | {"seed": seed})
real = run_module._write_atomic
status = {}
for k, phase in points:
    outdir = root / f"{k}-{phase}"
    pid = os.fork()
    if pid == 0:
        if stale:  # the directory held a finished run of another configuration
            run_module.run(config(4), outdir)
        calls = [0]

        def write_atomic(path, write, k=k, phase=phase):
            calls[0] += 1
            if calls[0] - 1 != k:
                return real(path, write)
            tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
            write(tmp)
            if phase == "mid_write":
                os.truncate(tmp, max(1, tmp.stat().st_size // 2))
            if phase == "after_rename":
                os.replace(tmp, path)
            os.kill(os.getpid(), signal.SIGKILL)

        run_module._write_atomic = write_atomic
        run_module.run(config(3), outdir)
        os._exit(0)
    _, code = os.waitpid(pid, 0)
    status[f"{k}-{phase}"] = -os.WTERMSIG(code) if os.WIFSIGNALED(code) else os.WEXITSTATUS(code)
print(json.dumps(status))
"""


@pytest.mark.parametrize("stale", ["fresh", "stale"], ids=["fresh", "over-a-finished-run"])
def test_sigkill_at_each_step_of_writing_leaves_no_false_finish(tmp_path, reference, stale):
    config = {"steps": 12, "scenario": SMALL, "output": {"route_flows": True, "progress": False}}
    # Over a finished run, the points that matter: the first write, and around the summary's rename.
    points = POINTS if stale == "fresh" else [(0, "mid_write"), (2, "after_rename"), *POINTS[-2:]]
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, str(tmp_path), stale, json.dumps(points), json.dumps(config)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    status = json.loads(proc.stdout)
    assert status == {f"{k}-{phase}": -signal.SIGKILL for k, phase in points}
    finished = [(k, ph) for k, ph in points if assert_finished_or_not_at_all(tmp_path / f"{k}-{ph}", reference)]
    # Only a kill after the manifest is in place leaves a finished run.
    assert finished == [(WRITES - 1, "after_rename")]


# --- SIGKILL a real command at times spread over its life ----------------------------------------

RUN_ARGS = [
    "scenario=small", "seed=3", "steps=12", "scenario.burn_in_weeks=4", "output.route_flows=true",
    "output.progress=false",
]  # fmt: skip
# Kill times as shares of an uninterrupted run's wall time: start-up (imports, Hydra), the weeks,
# the writing at the end, and after it.
KILL_AT = (0.05, 0.4, 0.85, 0.97, 1.1)


def test_sigkill_of_a_command_at_random_times_leaves_no_false_finish(tmp_path, reference):
    first = tmp_path / "uninterrupted"
    started = time.perf_counter()
    proc = cli(*RUN_ARGS, f"hydra.run.dir={first}")
    wall = time.perf_counter() - started
    assert proc.returncode == 0, proc.stderr
    assert assert_finished_or_not_at_all(first, reference)
    outcomes = []
    for i, share in enumerate(KILL_AT):
        outdir = tmp_path / f"kill{i}"
        child = subprocess.Popen(
            [sys.executable, "-m", "sim", *RUN_ARGS, f"hydra.run.dir={outdir}"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(share * wall)
        child.send_signal(signal.SIGKILL)
        code = child.wait(60)
        outcomes.append((share, code, assert_finished_or_not_at_all(outdir, reference)))
    killed = [o for o in outcomes if o[1] == -signal.SIGKILL]
    assert any(not done for _, _, done in killed), outcomes  # some kills landed before the end
    for _share, code, done in outcomes:
        assert code in (0, -signal.SIGKILL), outcomes
        assert done or code != 0, outcomes  # a run that exited normally finished


# --- Ctrl-C ---------------------------------------------------------------------------------------

SWEEP = ["-m", "scenario=small", "seeds=3", "policy=none,ddr"]


def _interrupt_when(
    args: list[str], ready, delay: float = 0.0, timeout: float = 180
) -> tuple[subprocess.CompletedProcess, float]:
    """Start ``python -m sim args`` in its own process group; send SIGINT to the group (as a terminal
    does on Ctrl-C) ``delay`` seconds after ``ready()``; return the process and how long it took to stop.
    """
    child = subprocess.Popen(
        [sys.executable, "-m", "sim", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        # A terminal's foreground job gets Ctrl-C; a job started in the background of a script
        # inherits SIGINT ignored (POSIX), and so would the command under test.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + timeout
    while time.time() < deadline and not ready() and child.poll() is None:
        time.sleep(0.02)
    time.sleep(delay)
    assert child.poll() is None, "finished before the interrupt"
    os.killpg(child.pid, signal.SIGINT)
    sent = time.perf_counter()
    try:
        out, err = child.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        raise
    return subprocess.CompletedProcess(child.args, child.returncode, out, err), time.perf_counter() - sent


def _check_run_dir(run_dir: Path, steps: int = 104) -> None:
    """A finished sweep run: its files are complete and agree with each other."""
    summary = json.loads((run_dir / SUMMARY).read_text(encoding="utf-8"))
    ts = pq.read_table(run_dir / "timeseries.parquet").to_pandas()
    assert len(ts) == summary["steps"] == steps
    assert ts["delivered_value_usd"].sum() == pytest.approx(summary["delivered_value_usd"])
    pq.read_table(run_dir / "edges.parquet")


def test_ctrl_c_stops_a_sweep_cleanly_and_the_same_command_resumes_it(tmp_path):
    # Three times the small scenario's weeks: its runs now take under a second, and the sweep's
    # last ones could finish before the interrupt landed (the sweep exited 0).
    args = [*SWEEP, "steps=312", f"hydra.sweep.dir={tmp_path}"]
    summaries = lambda: list(tmp_path.glob("runs/*/manifest.json"))  # noqa: E731
    proc, stop_seconds = _interrupt_when(args, lambda: len(summaries()) >= 2)
    assert stop_seconds < 5, stop_seconds
    assert proc.returncode in CTRL_C_EXITS, (proc.returncode, proc.stderr[-3000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.stderr.strip().splitlines()[-1] == INTERRUPTED
    finished = {p.parent.name: p.stat().st_mtime_ns for p in summaries()}
    assert 2 <= len(finished) < 6, "the interrupt should land mid-sweep"
    for key in finished:
        _check_run_dir(tmp_path / "runs" / key, steps=312)
    unfinished = [d for d in (tmp_path / "runs").iterdir() if d.name not in finished]
    assert all(not verified(d) for d in unfinished)

    again = cli(*args)
    assert again.returncode == 0, again.stderr[-3000:]
    runs = sorted((tmp_path / "runs").iterdir())
    assert len(runs) == 6
    for run_dir in runs:
        _check_run_dir(run_dir, steps=312)
    for key, mtime in finished.items():  # finished runs were skipped, not redone
        assert (tmp_path / "runs" / key / "manifest.json").stat().st_mtime_ns == mtime
    owned = [k for p in (tmp_path / "jobs").glob("*.json") for k in json.loads(p.read_text())["runs"]]
    assert sorted(owned) == [r.name for r in runs]  # each run owned by one job, none twice
    # Resumed runs are exactly what an uninterrupted run of their configuration gives.
    for run_dir in runs:
        if run_dir.name not in finished:
            config = from_dict(RunConfig, _yaml(run_dir / "config.yaml"))
            fresh = run(config, tmp_path / "fresh" / run_dir.name)
            got = json.loads((run_dir / SUMMARY).read_text(encoding="utf-8"))
            assert {k: v for k, v in got.items() if k != "wall_seconds"} == {
                k: v for k, v in fresh.summary.items() if k != "wall_seconds"
            }


def _yaml(path: Path) -> dict:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_ctrl_c_stops_a_joblib_sweep_and_its_workers(tmp_path):
    """The presets' launcher: workers get the interrupt too; none survives, none prints a traceback."""
    args = [*SWEEP, "hydra/launcher=joblib", f"hydra.sweep.dir={tmp_path}"]
    workers: dict[int, psutil.Process] = {}

    def ready() -> bool:
        for p in psutil.process_iter(["cmdline"]):
            if f"hydra.sweep.dir={tmp_path}" in (p.info["cmdline"] or []):
                workers.update({c.pid: c for c in p.children(recursive=True)})
        return len(list(tmp_path.glob("runs/*/summary.json"))) >= 1

    proc, stop_seconds = _interrupt_when(args, ready)
    assert stop_seconds < 5 and proc.returncode in CTRL_C_EXITS, (stop_seconds, proc.returncode, proc.stderr[-3000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert INTERRUPTED in proc.stderr.splitlines()
    assert workers, "the joblib workers were not found"
    _gone, alive = psutil.wait_procs(list(workers.values()), timeout=5)
    assert not alive, alive
    for summary in tmp_path.glob("runs/*/summary.json"):
        _check_run_dir(summary.parent)


def test_ctrl_c_stops_a_single_run_without_a_summary(tmp_path):
    out = tmp_path / "run"
    proc, stop_seconds = _interrupt_when(
        # 1,200 weeks (about 5 s here): the interrupt, 1 s in, must land before the run ends and
        # its process exits (Python's teardown alone takes 0.6-0.7 s), also on a faster machine.
        ["scenario=small", "steps=1200", "output.progress=false", f"hydra.run.dir={out}"],
        lambda: (out / ".hydra").exists(),
        delay=1.0,
    )
    assert stop_seconds < 5 and proc.returncode in CTRL_C_EXITS, (stop_seconds, proc.returncode, proc.stderr[-3000:])
    assert proc.stderr.strip().splitlines() == [INTERRUPTED]
    assert not (out / SUMMARY).exists()


def _kernel_interrupted() -> SystemError:
    """What CPython raises when a Ctrl-C lands inside a compiled kernel's call: SystemErrors caused by it."""
    try:
        try:
            try:
                raise KeyboardInterrupt
            except KeyboardInterrupt as ctrl_c:
                raise SystemError("<function _numba_unpickle> returned a result with an exception set") from ctrl_c
        except SystemError as inner:
            raise SystemError(
                "CPUDispatcher(<function after_encounters>) returned a result with an exception set"
            ) from inner
    except SystemError as outer:
        return outer


def test_a_ctrl_c_inside_a_kernel_call_is_recognised():
    """sim.errors.interrupted: the SystemError chain a Ctrl-C leaves in a kernel's call is an interrupt; others not."""
    from sim.errors import interrupted

    assert interrupted(KeyboardInterrupt()) and interrupted(_kernel_interrupted())
    assert not interrupted(SystemError("returned a result with an exception set"))  # no Ctrl-C behind it
    try:
        raise ValueError("a model error while stopping") from KeyboardInterrupt()
    except ValueError as other:
        assert not interrupted(other)
    assert not interrupted(None)


def test_a_ctrl_c_inside_a_kernel_call_stops_a_sweep_without_a_failed_run(tmp_path, monkeypatch):
    """run_block stops on it, as on any Ctrl-C, instead of recording the run as failed and going on."""
    from sim import sweep

    def stopped(config, out, **kwargs):
        raise _kernel_interrupted()

    monkeypatch.setattr(sweep, "run", stopped)
    config = from_dict(RunConfig, {"scenario": {"name": "small"}, "steps": 2, "seeds": 3})
    with pytest.raises(KeyboardInterrupt):
        sweep.run_block(config, tmp_path, quiet=True)
    assert not list(tmp_path.glob("runs/*/error.txt"))


def _loading_that_swallows_a_ctrl_c(monkeypatch) -> list[str]:
    """Make every kernel's loading receive a Ctrl-C where Python only prints an exception, as in LLVM's callbacks."""
    from numba.core.dispatcher import Dispatcher

    lost: list[str] = []
    original = Dispatcher._compile_for_args

    def load(self, *args, **kwargs):
        try:
            signal.raise_signal(signal.SIGINT)  # the handler runs here, inside the loading
        except KeyboardInterrupt:
            lost.append("printed and dropped")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Dispatcher, "_compile_for_args", load)
    return lost


def _plus_one(x):
    return x + 1


def test_a_ctrl_c_while_a_kernel_loads_is_raised_once_it_is_loaded(monkeypatch):
    """sim.compiled.kernel holds a Ctrl-C during a first call's loading and raises it after; plain njit loses it."""
    import numba

    from sim.compiled import kernel

    lost = _loading_that_swallows_a_ctrl_c(monkeypatch)
    plain = numba.njit(_plus_one)
    assert plain(1) == 2 and lost == ["printed and dropped"]  # the failure this guards against: the run goes on

    lost.clear()
    ours, handler = kernel(_plus_one), signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        ours(1)
    assert lost == []  # held, not run inside the loading
    assert signal.getsignal(signal.SIGINT) is handler
    assert ours(2) == 3  # loaded before the interrupt was raised: the next call runs without loading
    assert lost == []


def test_ctrl_c_held_runs_plainly_where_it_cannot_hold():
    """Outside the main thread (no handler can be set there) and when nested, the block just runs."""
    import threading

    from sim.compiled import ctrl_c_held

    seen: list[object] = []
    handler = signal.getsignal(signal.SIGINT)

    def in_a_thread():
        with ctrl_c_held():
            seen.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join()
    assert seen == [handler]
    with ctrl_c_held():
        holder = signal.getsignal(signal.SIGINT)
        assert holder is not handler
        with ctrl_c_held():
            assert signal.getsignal(signal.SIGINT) is holder
        assert signal.getsignal(signal.SIGINT) is holder
    assert signal.getsignal(signal.SIGINT) is handler


def test_cpython_ends_by_the_signal_after_a_ctrl_c_left_an_exec(tmp_path):
    """Why CTRL_C_EXITS has two: a caught Ctrl-C that left an ``exec`` of a string ends ``python -m`` by SIGINT."""
    package = tmp_path / "stops"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(
        "import signal, sys\n"
        "try:\n"
        "    exec('import signal; signal.raise_signal(signal.SIGINT)')\n"
        "except KeyboardInterrupt:\n"
        "    sys.exit(130)\n"
    )
    ended = subprocess.run([sys.executable, "-m", "stops"], cwd=tmp_path, capture_output=True, check=False)
    assert ended.returncode == -signal.SIGINT  # if CPython stops doing this, CTRL_C_EXITS can be 130 alone


class _DropsACtrlC:
    """An object whose finaliser gets a Ctrl-C: Python prints the KeyboardInterrupt and drops it."""

    def __del__(self):
        signal.raise_signal(signal.SIGINT)


@pytest.fixture
def kept_ctrl_c():
    """sim.errors.keep_ctrl_c's handler for the test, Python's own again after it."""
    from sim import errors

    handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    errors.keep_ctrl_c()
    assert signal.getsignal(signal.SIGINT) is errors._marked_interrupt
    yield errors
    signal.signal(signal.SIGINT, handler)
    errors._ctrl_c_seen = False


@pytest.fixture
def dropped(monkeypatch) -> list:
    """The exceptions Python drops (and would print: "Exception ignored in ...") during the test."""
    seen: list = []
    monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: seen.append(unraisable.exc_type))
    return seen


def test_a_dropped_ctrl_c_is_raised_again(kept_ctrl_c, dropped):
    """A Ctrl-C that a finaliser printed and dropped is raised by the next check, once."""
    kept_ctrl_c.raise_if_interrupted()  # nothing pending
    _DropsACtrlC()  # dropped at once: its finaliser gets the interrupt
    assert dropped == [KeyboardInterrupt]  # printed, not raised
    with pytest.raises(KeyboardInterrupt):
        kept_ctrl_c.raise_if_interrupted()
    kept_ctrl_c.raise_if_interrupted()  # raised once


def test_a_run_whose_ctrl_c_was_dropped_stops_without_outputs(kept_ctrl_c, dropped, tmp_path):
    """sim.run.run checks every week: the run stops at the next week and seals nothing."""
    weeks: list[int] = []

    def interrupted_at_week_3(model) -> None:
        weeks.append(model.steps)
        if model.steps == 3:
            _DropsACtrlC()

    config = from_dict(RunConfig, {"scenario": {"name": "small"}, "steps": 8})
    with pytest.raises(KeyboardInterrupt):
        run(config, tmp_path / "run", observers=[interrupted_at_week_3])
    assert weeks == [1, 2, 3] and dropped == [KeyboardInterrupt]
    assert not (tmp_path / "run" / SUMMARY).exists() and not verified(tmp_path / "run")


def test_keep_ctrl_c_leaves_a_handler_of_the_program_alone():
    """Installed only over Python's own handler: a program's own handler stays."""
    from sim import errors

    def own(signum, frame):
        pass

    previous = signal.signal(signal.SIGINT, own)
    try:
        errors.keep_ctrl_c()
        assert signal.getsignal(signal.SIGINT) is own
    finally:
        signal.signal(signal.SIGINT, previous)


def test_traceback_on_request(tmp_path):
    """SAHEL_SIM_TRACEBACK=1 shows the full traceback of a configuration error."""
    env = {**os.environ, "SAHEL_SIM_TRACEBACK": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "scenario.supply_scale=-1", f"hydra.run.dir={tmp_path}"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr and "ConfigError: scenario.supply_scale=-1.0" in proc.stderr


# --- memory ----------------------------------------------------------------------------------------

MEMORY_WEEKS = 5200
WARM_UP = 520
# Allowed growth of resident memory beyond the outputs' own growth over 4,680 weeks: allocator
# slack and fragmentation. A leak of a kilobyte a week would exceed it.
MEMORY_TOLERANCE = 4 * 2**20

MEMORY_PROBE = """
import gc, json, sys
import psutil
from sim.model import SahelModel
from sim.params import RunConfig, from_dict

config = from_dict(RunConfig, json.loads(sys.argv[1]))
model = SahelModel(config.scenario, seed=config.seed, policy=config.policy)
process = psutil.Process()

def outputs_bytes():
    rows = model.datacollector.model_vars
    return sum(sys.getsizeof(v) + sum(sys.getsizeof(x) for x in v) for v in rows.values())

points = []
for week in range(1, config.weeks + 1):
    model.step()
    if week % int(sys.argv[2]) == 0:
        gc.collect()
        points.append((week, process.memory_info().rss, outputs_bytes()))
model.check_ledger()
print(json.dumps(points))
"""


@pytest.mark.slow
def test_5200_weeks_grow_no_more_than_their_outputs(tmp_path):
    """The core model (actors off) at a fiftieth of the supply, time series on: RSS measured every
    520 weeks in a fresh interpreter; after the first 520 weeks it grows by the DataCollector's
    rows and at most ``MEMORY_TOLERANCE`` more."""
    data = {
        "seed": 1,
        "steps": MEMORY_WEEKS,
        "scenario": {"supply_scale": 0.02, "burn_in_weeks": 4, **CORE},
        "output": {"timeseries": True, "progress": False},
    }
    proc = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, json.dumps(data), str(WARM_UP)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    points = json.loads(proc.stdout)
    assert [w for w, _, _ in points] == list(range(WARM_UP, MEMORY_WEEKS + 1, WARM_UP))
    (_, rss0, out0), (_, rss1, out1) = points[0], points[-1]
    report = ", ".join(f"week {w}: RSS {r / 2**20:.1f} MiB, outputs {o / 2**20:.1f} MiB" for w, r, o in points)
    print(report)
    assert rss1 - rss0 <= (out1 - out0) + MEMORY_TOLERANCE, report
    # No steady climb beyond the outputs in the second half either (a slow leak).
    mid = points[len(points) // 2]
    assert (rss1 - mid[1]) - (out1 - mid[2]) <= MEMORY_TOLERANCE / 2, report
