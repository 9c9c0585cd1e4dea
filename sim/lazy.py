"""The compiled kernels' modules, imported at their first use rather than with the model's modules.

Why: a kernel module imports numba, which costs a process about 50 MiB and 0.3 s before any
kernel runs. Processes that import the model's modules only for their names and never run a
week (aggregating a sweep, writing the docs, the command line's checks) should not pay that.
A model's module holds a :class:`LazyModule` in place of the kernel module; its first attribute
read imports the module (under Python's import lock), and each attribute read is then kept on
the stand-in, so later reads cost what a module's do. It is not put in ``sys.modules``: tools
that scan every module there (``inspect.getmodule``, which Mesa's logging calls) would load it.
Building a model loads every kernel module (:func:`load_kernels`), so a run's first week does
not pay for it.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from types import ModuleType

KERNEL_MODULES = (
    "sim.kernel_rng",
    "sim.bookkeeping_kernels",
    "sim.collection_kernels",
    "sim.knowledge_kernels",
    "sim.market_kernels",
    "sim.libm_kernels",
    "sim.territory_kernels",
    "sim.agents.gold_kernels",
    "sim.agents.official_kernels",
    "sim.agents.route_kernels",
    "sim.agents.turn_kernels",
    "sim.agents.war_kernels",
)


class LazyModule:
    """Stands for the module ``name`` and imports it at the first attribute read.

    An attribute read once is kept here: rebinding it in the module afterwards (a test's
    monkeypatch) is not seen through this stand-in.
    """

    def __init__(self, name: str):
        self._lazy_name = name

    def __getattr__(self, attr: str):
        if attr.startswith("_lazy"):
            raise AttributeError(attr)
        value = getattr(self.module(), attr)
        setattr(self, attr, value)  # read from the instance next time, without this method
        return value

    def module(self) -> ModuleType:
        """The module itself, imported if it was not yet."""
        return importlib.import_module(self._lazy_name)

    def __repr__(self) -> str:
        return f"<lazy module {self._lazy_name!r}>"


def lazy_module(name: str) -> LazyModule:
    """A stand-in for the module ``name`` that imports it at its first attribute read."""
    if importlib.util.find_spec(name) is None:
        raise ModuleNotFoundError(f"no module named {name!r}", name=name)
    return LazyModule(name)


def load_kernels() -> None:
    """Import every kernel module now (numba with them), as building a model does."""
    for name in KERNEL_MODULES:
        importlib.import_module(name)


class DeferredModule(ModuleType):
    """Stands in ``sys.modules`` for a package another package imports but a run never uses.

    Why (issue 18, memory): Mesa's ``agent.py`` imports pandas at its top, which costs a run's
    process about 40 MiB; a run reads no pandas attribute when its tables are written from arrays
    (:mod:`sim.run_tables`). ``import pandas`` then binds this stand-in without loading pandas:
    the import statement reads only ``__spec__`` (held here, not initialising). The first read of
    any other attribute (``pd.DataFrame``, a submodule import's ``__path__``) imports the real
    package, under a lock, and this stand-in then holds its attributes and delegates to it.
    """

    def __init__(self, name: str, spec) -> None:
        super().__init__(name)
        self.__spec__ = spec
        self.__file__ = spec.origin  # read by tools that scan every module (inspect.getmodule), without loading
        self.__dict__["_deferred_lock"] = threading.Lock()

    def __getattr__(self, attr: str):
        return getattr(self._deferred_load(), attr)

    def _deferred_load(self) -> ModuleType:
        with self.__dict__["_deferred_lock"]:
            real = self.__dict__.get("_deferred_real")
            if real is None:
                if sys.modules.get(self.__name__) is self:
                    del sys.modules[self.__name__]
                real = importlib.import_module(self.__name__)
                self.__dict__.update({k: v for k, v in vars(real).items() if k != "__spec__"})
                self.__dict__["_deferred_real"] = real
            return real


def defer_import(name: str) -> None:
    """Put a :class:`DeferredModule` for the top-level package ``name`` in ``sys.modules``.

    Nothing is done if the package is already imported or is not installed.
    """
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is not None:
        sys.modules[name] = DeferredModule(name, spec)


def is_loaded(name: str) -> bool:
    """Whether the package ``name`` is really imported (not only stood in for)."""
    module = sys.modules.get(name)
    return module is not None and not (isinstance(module, DeferredModule) and "_deferred_real" not in vars(module))
