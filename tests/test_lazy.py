"""sim.lazy: numba is loaded by a process that builds a model, and not by one that only reads names."""

import subprocess
import sys

_CHECK = """
import sys
import experiments.aggregate, sim.model, sim.outcomes, sim.policies  # the model's modules, for their names
assert "numba" not in sys.modules, "numba loaded without a model"
from sim.lazy import KERNEL_MODULES
from sim.model import SahelModel
from sim.params import ScenarioConfig
SahelModel(ScenarioConfig(supply_scale=0.1, burn_in_weeks=1), seed=1)
assert "numba" in sys.modules
assert all(name in sys.modules for name in KERNEL_MODULES)  # every kernel module loaded
print("ok")
"""


def test_numba_waits_for_a_model_and_comes_with_it():
    proc = subprocess.run([sys.executable, "-c", _CHECK], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


def test_lazy_module_refuses_a_missing_module():
    import pytest

    from sim.lazy import lazy_module

    with pytest.raises(ModuleNotFoundError, match=r"sim\.no_such_kernels"):
        lazy_module("sim.no_such_kernels")


def test_a_stand_in_reads_the_modules_attributes_and_keeps_them():
    from sim.compiled import pairwise_sum
    from sim.lazy import lazy_module

    stand_in = lazy_module("sim.compiled")
    assert stand_in.pairwise_sum is pairwise_sum
    assert "pairwise_sum" in vars(stand_in)  # kept: the next read is a plain attribute


_POOL = "import sim.__main__, pyarrow; print(pyarrow.default_memory_pool().backend_name)"


def test_the_command_line_has_pyarrow_allocate_from_the_system_heap_unless_told_otherwise():
    """``python -m sim`` picks pyarrow's allocator before pyarrow loads (a run's peak memory, issue 18)."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    for chosen, expected in ((None, "system"), ("mimalloc", "mimalloc")):
        if chosen:
            env["ARROW_DEFAULT_MEMORY_POOL"] = chosen
        proc = subprocess.run([sys.executable, "-c", _POOL], capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 0 and proc.stdout.strip() == expected, proc.stderr[-2000:]
