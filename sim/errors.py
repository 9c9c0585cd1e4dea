"""Errors that carry a one-line message a user can act on, and how a Ctrl-C is recognised and kept."""

import signal
import threading


class SimError(Exception):
    """Base class: the message alone tells the user what to fix."""


class ConfigError(SimError):
    """A configuration value is missing, unknown, of the wrong type or out of range."""

    def __init__(self, key: str, value: object, allowed: str, problem: str = "invalid value"):
        self.key, self.value, self.allowed, self.problem = key, value, allowed, problem
        super().__init__(f"{key}={value!r}: {problem}; allowed: {allowed}")


class DataError(SimError):
    """A world data table is malformed; names the file and row."""

    def __init__(self, file: str, row: int | None, message: str):
        self.file, self.row = file, row
        where = f"{file}, row {row}" if row is not None else file
        super().__init__(f"{where}: {message}")


def interrupted(exc: BaseException | None) -> bool:
    """Whether ``exc`` is a Ctrl-C: a ``KeyboardInterrupt``, or one that reached us as a ``SystemError``.

    A Ctrl-C that arrives while a compiled kernel is being called is raised inside numba's
    dispatcher (in the Python it calls back, ``_numba_unpickle``), which returns its result
    anyway; CPython then raises ``SystemError: ... returned a result with an exception set``
    with the ``KeyboardInterrupt`` as its cause, possibly through several such errors. About
    one interrupt in fifteen lands there (1 December 2026: 5 of 80 during a small run).
    """
    while isinstance(exc, SystemError):
        exc = exc.__cause__
    return isinstance(exc, KeyboardInterrupt)


_ctrl_c_seen = False  # set at every Ctrl-C by keep_ctrl_c's handler; cleared when raise_if_interrupted raises it


def keep_ctrl_c() -> None:
    """Make a Ctrl-C that Python only printed stop the process anyway (the command line's process).

    Python raises ``KeyboardInterrupt`` wherever its handler happens to run. Inside a weakref's
    callback, an object's finaliser or a callback from C (numba's loading of a kernel), the
    exception is printed ("Exception ignored in ...") and dropped, and the run went on to the end
    (1 December 2026: one interrupt in 120 early in a small run, docs/reliability.md). The
    handler installed here also marks the interrupt, and :func:`raise_if_interrupted`, called
    every week and before a run's outputs are written, raises it again. Installed only in the
    main thread over Python's own handler, so a program that set its own keeps it.
    """
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is (
        signal.default_int_handler
    ):
        signal.signal(signal.SIGINT, _marked_interrupt)


def _marked_interrupt(signum, frame) -> None:
    global _ctrl_c_seen
    _ctrl_c_seen = True
    raise KeyboardInterrupt


def raise_if_interrupted() -> None:
    """Raise a Ctrl-C that :func:`keep_ctrl_c`'s handler saw but that did not stop the process."""
    global _ctrl_c_seen
    if _ctrl_c_seen:
        _ctrl_c_seen = False
        raise KeyboardInterrupt
