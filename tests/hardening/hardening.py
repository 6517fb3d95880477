"""Helpers for the hardening tests: scan hostile inputs in-process or through the CLI."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from govscan.scanner.config import Config
from govscan.scanner.engine import ScanRequest, scan
from govscan.scanner.model import Rule, ScanReport

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = Path(__file__).parent / "hostile"
TODAY = dt.date(2026, 11, 23)
FORMATS = ("table", "json", "sarif", "junit", "codequality")


def scan_here(cwd: Path, *targets: str | Path, rules: Iterable[Rule] | None = None, **request: Any) -> ScanReport:
    """Scan `targets` (relative to `cwd`) as the CLI would from `cwd`, in this process."""
    request.setdefault("config", Config())
    request.setdefault("today", TODAY)
    request.setdefault("jobs", 1)
    paths = tuple(str(t if Path(t).is_absolute() else cwd / t) for t in targets)
    return scan(ScanRequest(targets=paths, cwd=cwd, **request), rules)


def tool_findings(report: ScanReport, prefix: str = "govscan.") -> list[tuple[str, str, int, int, str]]:
    """(rule, file, line, column, message) of govscan's own findings, in report order."""
    return [
        (f.rule_id, f.location.path, f.location.line, f.location.column, f.message)
        for f in report.findings
        if f.rule_id.startswith(prefix)
    ]


def govscan(
    *args: str, cwd: Path, stdin: str | bytes = b"", env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess (offline like the tests: PYTHONPATH carries the socket guard)."""
    environment = {k: v for k, v in os.environ.items() if k != "GOVSCAN_DEBUG"}
    environment["NO_COLOR"] = "1"
    environment.update(env or {})
    result = subprocess.run(
        [sys.executable, "-m", "govscan.scanner.cli", *args],
        cwd=cwd,
        input=stdin if isinstance(stdin, bytes) else stdin.encode(),
        capture_output=True,
        env=environment,
        timeout=timeout,
    )
    return subprocess.CompletedProcess(
        result.args,
        result.returncode,
        result.stdout.decode("utf-8", "replace"),
        result.stderr.decode("utf-8", "replace"),
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The single `govscan: error: ...` line on stderr (no traceback, nothing else)."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("govscan: error: "), lines[0]
    return lines[0].removeprefix("govscan: error: ")


def report_args(directory: Path) -> list[str]:
    """`-f F -o directory/report.F` for every format."""
    args: list[str] = []
    for fmt in FORMATS:
        args += ["-f", fmt, "-o", str(directory / f"report.{fmt}")]
    return args
