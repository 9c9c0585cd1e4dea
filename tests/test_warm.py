"""simcli.warm: after one warm-up, a run of another scenario in a new process compiles no kernel."""

import subprocess
import sys

_RUN_SMALL = """
from sim.run import run
from simcli.compose import compose
from simcli.warm import dispatchers
run(compose(["scenario=small", "steps=2", "output.progress=false"]))
stats = [(name, d.stats) for name, d in dispatchers()]
print(sum(bool(s.cache_hits) for _, s in stats), [name for name, s in stats if s.cache_misses])
"""


def _python(*args: str) -> str:
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip()


def test_after_warming_a_run_only_loads_kernels():
    said = _python("-m", "simcli.warm")
    assert "kernels compiled and" in said and "loaded from the cache" in said, said
    loaded, compiled = _python("-c", _RUN_SMALL).split(" ", 1)
    assert compiled == "[]", f"compiled after warming: {compiled}"
    assert int(loaded) >= 20, loaded  # the run did call the kernels, from the cache


def test_warm_refuses_an_unknown_scenario():
    proc = subprocess.run(
        [sys.executable, "-m", "simcli.warm", "--scenario", "nowhere"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
