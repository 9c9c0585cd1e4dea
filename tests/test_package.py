"""Package hygiene: no Hydra in the model, docs in step with the code."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import sim
from sim import paramdoc


def test_sim_never_imports_hydra():
    modules = [m.name for m in pkgutil.walk_packages(sim.__path__, "sim.") if m.name != "sim.__main__"]
    code = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules)
    code += "bad = [m for m in sys.modules if m.split('.')[0] in ('hydra', 'omegaconf')]\nprint(bad)\nassert not bad\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_configuration_layer_loads_no_agents():
    """Parameters and policies import only the bottom layer: no agents, Mesa or networkx."""
    code = (
        "import sys, sim.params, sim.names\n"
        "bad = [m for m in sys.modules if m.startswith('sim.agents') or m.split('.')[0] in ('mesa', 'networkx')]\n"
        "print(bad)\nassert not bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_parameter_table_is_up_to_date():
    with open(paramdoc.DOC, encoding="utf-8") as fh:
        assert fh.read() == paramdoc.render(), "docs/parameters.md is stale: run python -m sim.paramdoc"


def test_readme_commands_are_valid():
    """Every `python -m sim ...` example in the README composes and validates (pre-flight)."""
    import re
    import shlex

    from simcli.app import preflight

    text = (paramdoc.DOC.parent.parent / "README.md").read_text(encoding="utf-8")
    text = text.replace("\\\n", " ")
    commands = [
        m.group(1) for m in re.finditer(r"(?<!\$ )python -m sim(?= |$)([^\n#`]*)", text)
    ]  # "$ ..." shows an error
    assert len(commands) >= 8
    for args in commands:
        argv = [a for a in shlex.split(args) if not a.startswith("RAY_ADDRESS")]
        preflight(argv)
