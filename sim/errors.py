"""Errors that carry a one-line message a user can act on."""


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
