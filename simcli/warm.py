"""Compile every kernel into numba's cache now, so that the processes started after only load it.

Why: a compiled kernel (:mod:`sim.compiled`) is compiled at its first call in a process whose
cache holds no machine code for it, after installing or after any change to a kernel module:
about half a minute of CPU in all. The processes of a sweep, a cluster's workers or a test run
started together on a cold cache would each compile the same kernels at once. One
``python -m simcli.warm`` first compiles them once; it takes about a second when the cache is
already warm, and says what it compiled and loaded::

    python -m simcli.warm            # the kernels of the default and history scenarios
    NUMBA_CACHE_DIR=/shared/numba python -m simcli.warm   # a cache the cluster's nodes share

A short run of each scenario (its burn-in and one week) calls every kernel with the argument
types a run uses; a kernel whose types differ in some other configuration would still compile
there, once.
"""

from __future__ import annotations

import argparse
import sys
import time

SCENARIOS = ("default", "history")


def dispatchers() -> list[tuple[str, object]]:
    """Every numba kernel defined in the kernel modules, by qualified name."""
    import numba

    from sim.lazy import KERNEL_MODULES, load_kernels

    load_kernels()
    found = []
    for module_name in KERNEL_MODULES:
        for name, value in vars(sys.modules[module_name]).items():
            if isinstance(value, numba.core.registry.CPUDispatcher) and value.__module__ == module_name:
                found.append((f"{module_name}.{name}", value))
    return found


def warm(scenarios: tuple[str, ...] = SCENARIOS) -> dict:
    """Run each scenario briefly; return how many kernels were loaded from the cache and compiled.

    Returns:
        ``loaded`` and ``compiled``: names of the kernels whose machine code came from the cache
        and of those compiled now; ``cache``: the cache directory; ``seconds``: CPU spent.
    """
    from sim.compiled import cache_dir
    from sim.run import run
    from simcli.compose import compose

    start = time.process_time()
    for name in scenarios:
        run(compose([f"scenario={name}", "steps=1", "output.progress=false"]))
    loaded, compiled = [], []
    for name, dispatcher in dispatchers():
        stats = dispatcher.stats
        if stats.cache_misses:
            compiled.append(name)
        elif stats.cache_hits:
            loaded.append(name)
    return {"loaded": loaded, "compiled": compiled, "cache": str(cache_dir()), "seconds": time.process_time() - start}


def main(argv: list[str] | None = None) -> int:
    """Command line: compile the kernels into the cache and say what was done."""
    parser = argparse.ArgumentParser(prog="python -m simcli.warm", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenario", action="append", choices=SCENARIOS, help="scenario to run briefly (repeatable; default: all)"
    )
    args = parser.parse_args(argv)
    report = warm(tuple(args.scenario or SCENARIOS))
    print(
        f"{len(report['compiled'])} kernels compiled and {len(report['loaded'])} loaded from the cache"
        f" in {report['seconds']:.1f} s of CPU: {report['cache']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
