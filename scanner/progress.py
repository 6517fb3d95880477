"""Progress on a terminal for long work; silent in CI, when piped, or when asked to be quiet."""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

CI_VARIABLES = ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "JENKINS_URL", "TF_BUILD")


def wanted(stream: TextIO | None = None) -> bool:
    if any(os.environ.get(name) for name in CI_VARIABLES):
        return False
    return (stream or sys.stderr).isatty()  # looked up per call: sys.stderr may be swapped after import


class Progress:
    """`Progress(total, "files")(done)` redraws one status line at most ten times a second."""

    def __init__(self, stream: TextIO | None = None, min_interval: float = 0.1) -> None:
        self.stream = stream or sys.stderr
        self.min_interval = min_interval
        self._last = 0.0
        self._shown = False

    def __call__(self, done: int, total: int, what: str = "files") -> None:
        now = time.monotonic()
        if done < total and now - self._last < self.min_interval:
            return
        self._last = now
        self.stream.write(f"\r\x1b[2Kgovscan: reading {what} {done}/{total}")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
