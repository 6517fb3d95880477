"""Errors that become one-line messages (exit 2) or govscan.input-error findings, never tracebacks."""

from __future__ import annotations

from govscan.scanner.printable import printable


class GovscanError(Exception):
    """A problem the user can fix; `str()` is the whole one-line message."""

    exit_code = 2


class UsageError(GovscanError):
    """Bad flags or arguments."""


class ConfigError(GovscanError):
    """An invalid .govscan.yaml: unknown key, wrong type, bad value."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.problem = message
        where = f"{path}:{line}" if line else path
        super().__init__(printable(f"{where}: {message}"))  # keys are the user's: `"\n": 1` stays one line

    def __reduce__(self) -> tuple[type[ConfigError], tuple[str, str, int | None], dict[str, object]]:
        return (type(self), (self.path, self.problem, self.line), dict(self.__dict__))  # by its arguments


class InputError(GovscanError):
    """An input that cannot be read or parsed; carries file, line and column when known."""

    target: str = ""
    """The scan target the file was found under, when discovery knows it."""

    def __init__(self, path: str, message: str, line: int | None = None, column: int | None = None) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.problem = message
        where = path
        if line:
            where += f":{line}"
            if column:
                where += f":{column}"
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[type[InputError], tuple[str, str, int | None, int | None], dict[str, object]]:
        # Worker processes send InputErrors back pickled; the default (the message alone) cannot
        # rebuild one, and the pool's result thread would die on it, hanging the scan. The state
        # carries what was set after construction (`target`).
        return (type(self), (self.path, self.problem, self.line, self.column), dict(self.__dict__))
