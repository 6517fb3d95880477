"""Small helpers shared by the reporters: paths, labels and counts. No I/O."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from govscan.scanner.model import Enforcement, Evaluation, Finding, ScanReport, Severity, Status

STDIN_PATH = "<stdin>"
STDIN_NAME = "stdin"

SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.0",
    Severity.HIGH: "7.0",
    Severity.MEDIUM: "5.0",
    Severity.LOW: "3.0",
}

ENFORCEMENT_ORDER: tuple[Enforcement, ...] = (Enforcement.BLOCK, Enforcement.WARN, Enforcement.INFO)

STATUS_ORDER: tuple[Status, ...] = (
    Status.PASS,
    Status.FAIL,
    Status.WAIVED,
    Status.NOT_EVALUATED,
    Status.ERROR,
)

UNDECIDED: frozenset[Status] = frozenset({Status.NOT_EVALUATED, Status.ERROR})


def is_absolute(path: str) -> bool:
    """True for POSIX absolute paths and Windows drive or UNC paths."""
    return PurePosixPath(path).is_absolute() or PureWindowsPath(path).is_absolute()


def repo_path(path: str) -> str:
    """A stable, forward-slash form of a report path: `./a\\b.yaml` -> `a/b.yaml`, `<stdin>` -> `stdin`.

    Absolute paths keep their leading slash (or drive); callers that need a URI use `file://`.
    """
    if path == STDIN_PATH:
        return STDIN_NAME
    if PureWindowsPath(path).drive:
        return PureWindowsPath(path).as_posix()
    text = path.replace("\\", "/")
    normal = posixpath.normpath(text)
    return "" if normal == "." else normal


def blocking_checker(report: ScanReport) -> Callable[[Finding], bool]:
    """Whether a finding blocks, as the gate decided it.

    The gate lists blocking fingerprints; with `--fail-on warn` that includes unwaived warn findings,
    so Finding.blocking (block only) is not enough. Finding.blocking stays a floor for reports
    built without a gate list.
    """
    listed = frozenset(report.gate.blocking)

    def is_blocking(finding: Finding) -> bool:
        return finding.blocking or (finding.waiver is None and finding.fingerprint in listed)

    return is_blocking


def sorted_findings(report: ScanReport) -> list[Finding]:
    return sorted(report.findings, key=lambda f: f.sort_key())


def count_findings_by_enforcement(findings: Iterable[Finding]) -> dict[str, int]:
    """Counts of *unwaived* findings per enforcement; waived ones are counted apart."""
    counts = {e.label: 0 for e in ENFORCEMENT_ORDER}
    for finding in findings:
        if finding.waived:
            continue
        if finding.enforcement.label in counts:
            counts[finding.enforcement.label] += 1
    return counts


def count_evaluations(report: ScanReport, belongs: Callable[[str, str], bool] | None = None) -> dict[str, int]:
    """Evaluations per status; `belongs(target, path)` keeps one SARIF run's own."""
    counts = {s.value: 0 for s in STATUS_ORDER}
    for evaluation in report.evaluations:
        if belongs is None or belongs(evaluation.target, ""):
            counts[evaluation.status.value] += 1
    return counts


def undecided_evaluations(report: ScanReport) -> list[tuple[str, str, Status, str]]:
    """(rule id, resource uid, status, reason) of not-evaluated and errored evaluations, sorted."""
    rows = [(e.rule_id, e.resource_uid, e.status, e.reason) for e in report.evaluations if e.status in UNDECIDED]
    return sorted(rows, key=lambda r: (r[0], r[1], r[2].value, r[3]))


def undecided_order(e: Evaluation) -> tuple[str, str, str, str, str, int, int]:
    """Rule, resource, status, reason, then place: one uid in two files (a base and an overlay) keeps its order."""
    at = e.location
    return (e.rule_id, e.resource_uid, e.status.value, e.reason, *((at.path, at.line, at.column) if at else ("", 0, 0)))


def sorted_skipped(report: ScanReport) -> list[tuple[str, int, str]]:
    return sorted((s.path, s.line, s.reason) for s in report.skipped)


_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """Drop characters XML 1.0 cannot carry (even escaped), e.g. a stray BEL in a message."""
    return _INVALID_XML.sub("\ufffd", text)


def waiver_summary(finding: Finding) -> str:
    """`waived: reason (until 2026-03-31, owner platform, via annotation)` or "" when not waived."""
    waiver = finding.waiver
    if waiver is None:
        return ""
    extras = []
    if waiver.expires:
        extras.append(f"until {waiver.expires}")
    if waiver.owner:
        extras.append(f"owner {waiver.owner}")
    extras.append(f"via {waiver.source}")
    return f"waived: {waiver.reason} ({', '.join(extras)})"


def json_chunks(document: Any, expand: int = 2) -> Iterator[str]:
    """The document as JSON: containers less than `expand` levels deep are indented, deeper ones take
    one line each (one finding per line: readable, greppable, and encoded by the C encoder)."""
    pending: list[str] = []
    size = 0
    for piece in _pieces(document, expand, 0):
        pending.append(piece)
        size += len(piece)
        if size >= 65536:
            yield "".join(pending)
            pending, size = [], 0
    pending.append("\n")
    yield "".join(pending)


def _pieces(value: Any, expand: int, depth: int) -> Iterator[str]:
    if depth >= expand or not isinstance(value, dict | list) or not value:
        yield json.dumps(value)
        return
    inner = "\n" + "  " * (depth + 1)
    if isinstance(value, dict):
        yield "{"
        for i, (key, item) in enumerate(value.items()):
            yield ("," if i else "") + inner + json.dumps(str(key)) + ": "
            yield from _pieces(item, expand, depth + 1)
        yield "\n" + "  " * depth + "}"
    else:
        yield "["
        for i, item in enumerate(value):
            yield ("," if i else "") + inner
            yield from _pieces(item, expand, depth + 1)
        yield "\n" + "  " * depth + "]"
