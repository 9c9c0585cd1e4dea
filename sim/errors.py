"""Errors that carry a one-line message a user can act on, and how a Ctrl-C is recognised."""


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
