"""GitHub Actions workflow commands: findings as annotations on the pull request's files.

`::error file=deploy/web.yaml,line=12,col=3,title=ha.replicas::message` for a finding that blocks the
gate, `::warning` for warn and `::notice` for info; waived findings are not annotated. Text is escaped
as the runner expects (`%`, CR and LF in the message; also `:` and `,` in properties), so a message or
a path taken from a pull request cannot end the command early or start another one.

GitHub shows at most 10 error, 10 warning and 10 notice annotations per step (50 per job) and drops
the rest silently. So the most severe findings of each kind are annotated (blocking first, then by
severity), every other finding is printed as a plain log line, and one notice says how many were not
annotated and where to find them. The last line is the gate's verdict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from govscan.reporters._common import STDIN_PATH, blocking_checker, repo_path, sorted_findings
from govscan.scanner.model import Enforcement, Finding, ScanReport
from govscan.scanner.printable import printable, printable_lines

ANNOTATIONS_PER_KIND = 10
"""Annotations of one kind (error, warning, notice) GitHub shows per step."""
MESSAGE_LIMIT = 1000
"""Characters of a finding's text in one annotation; GitHub truncates long ones anyway."""


def escape_data(text: str) -> str:
    """A workflow command's message: `%`, CR and LF are percent-encoded; other control and bidi
    characters (an ANSI escape, a right-to-left override) are shown as `\\x1b`, `\\u202e`."""
    return printable_lines(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as data, plus `:` and `,`, which end a property."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, properties: dict[str, str | int] | None = None) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in (properties or {}).items())
    return f"::{kind} {props}::{escape_data(message)}" if props else f"::{kind}::{escape_data(message)}"


def kind_of(finding: Finding, is_blocking: Callable[[Finding], bool]) -> str:
    if is_blocking(finding):
        return "error"
    return "warning" if finding.enforcement >= Enforcement.WARN else "notice"


def _text(finding: Finding) -> str:
    resource = finding.resource
    label = f"{resource.kind}/{resource.name}" if resource.kind else resource.name or resource.uid
    if resource.namespace:
        label += f" ({resource.namespace})"
    text = f"{finding.message}\n{label}, {finding.tier.value} tier, {finding.enforcement.label}"
    if finding.remediation:
        text += f"\nfix: {finding.remediation}"
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def annotation(finding: Finding, kind: str) -> str:
    properties: dict[str, str | int] = {}
    if finding.location.path != STDIN_PATH:
        properties["file"] = repo_path(finding.location.path)
        properties["line"] = max(1, finding.location.line)
        properties["col"] = max(1, finding.location.column)
    properties["title"] = f"govscan {finding.rule_id}"
    return command(kind, _text(finding), properties)


def log_line(finding: Finding, kind: str) -> str:
    """A finding as a plain log line: starts with `govscan:` so the runner never reads it as a command."""
    where = f"{repo_path(finding.location.path)}:{finding.location.line}:{finding.location.column}"
    label = "waived" if finding.waived else kind
    message = " ".join(finding.message.split())
    return printable(f"govscan: {label} {where} {finding.rule_id}: {message}")  # a file name may hold a newline


def render(report: ScanReport) -> str:
    is_blocking = blocking_checker(report)
    findings = sorted_findings(report)
    open_findings = [f for f in findings if not f.waived]
    kinds = {id(f): kind_of(f, is_blocking) for f in open_findings}
    totals = Counter(kinds.values())
    overflow = any(count > ANNOTATIONS_PER_KIND for count in totals.values())
    # the closing summary is a notice too: keep one notice slot for it when anything overflows
    limits = {"error": ANNOTATIONS_PER_KIND, "warning": ANNOTATIONS_PER_KIND, "notice": ANNOTATIONS_PER_KIND}
    if overflow:
        limits["notice"] -= 1

    def severity_first(finding: Finding) -> tuple[int, int, tuple[str, int, int, str, str]]:
        return (-finding.enforcement, -finding.severity, finding.sort_key())

    annotated: set[int] = set()
    used: Counter[str] = Counter()
    for finding in sorted(open_findings, key=severity_first):
        kind = kinds[id(finding)]
        if used[kind] < limits[kind]:
            used[kind] += 1
            annotated.add(id(finding))

    lines = [annotation(f, kinds[id(f)]) for f in sorted(open_findings, key=severity_first) if id(f) in annotated]
    rest = [f for f in findings if id(f) not in annotated]
    lines += [log_line(f, kinds.get(id(f), "waived")) for f in rest]
    left = Counter(kinds[id(f)] for f in open_findings if id(f) not in annotated)
    if sum(left.values()):
        parts = ", ".join(f"{left[k]} {k}(s)" for k in ("error", "warning", "notice") if left[k])
        lines.append(
            command(
                "notice",
                f"{sum(left.values())} more finding(s) not annotated ({parts}): GitHub shows "
                f"{ANNOTATIONS_PER_KIND} annotations of each kind per step. They are listed in this step's log, "
                "the job summary and the SARIF and JSON reports.",
                {"title": "govscan: more findings"},
            )
        )
    gate = report.gate
    lines.append(f"govscan: {gate.verdict} (exit {gate.exit_code}): {' '.join(gate.reason.split())}")
    return "\n".join(lines) + "\n"
