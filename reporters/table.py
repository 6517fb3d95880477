"""A readable terminal view: findings grouped by file, then a summary and what to do next.

`render(report, color=False)` returns plain text (no ANSI escapes); color=True styles it for a
terminal. rich is imported inside `render` so importing the reporters stays cheap. Never shows a
resource body: only the rule, the place, the resource's kind/name/namespace and the message.
"""

from __future__ import annotations

import io
from itertools import groupby
from typing import TYPE_CHECKING

from govscan.reporters._common import (
    blocking_checker,
    count_findings_by_enforcement,
    repo_path,
    sorted_findings,
    sorted_skipped,
    undecided_evaluations,
    waiver_summary,
)
from govscan.scanner.model import Enforcement, Finding, ScanReport, Status
from govscan.scanner.printable import printable

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

LIST_LIMIT = 5

BADGE_STYLE: dict[Enforcement, str] = {
    Enforcement.BLOCK: "bold red",
    Enforcement.WARN: "yellow",
    Enforcement.INFO: "dim",
    Enforcement.OFF: "dim",
}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _resource_label(finding: Finding) -> str:
    resource = finding.resource
    label = f"{resource.kind}/{resource.name}" if resource.kind else resource.name or resource.uid
    return printable(f"{label} ({resource.namespace})" if resource.namespace else label)


def _add_finding(grid: Table, finding: Finding) -> None:
    """One row for the finding, then its waiver and remediation aligned under the text."""
    from rich.text import Text

    style = "dim" if finding.waived else BADGE_STYLE[finding.enforcement]
    head = Text.assemble(
        (finding.rule_id, "bold"),
        "  ",
        (f"{printable(repo_path(finding.location.path))}:{finding.location.line}", "cyan"),
        "  ",
        _resource_label(finding),
        "  ",
        printable(finding.message),
    )
    grid.add_row(Text(finding.enforcement.name, style=style), head)
    if finding.waived:
        grid.add_row(Text(""), Text(printable(waiver_summary(finding)), style="magenta"))
    if finding.remediation:
        grid.add_row(Text(""), Text(f"fix: {finding.remediation}", style="dim"))


def _next_step(report: ScanReport, findings: list[Finding]) -> tuple[str, str]:
    """The verdict line and its style."""
    gate = report.gate
    is_blocking = blocking_checker(report)
    blocking = [f for f in findings if is_blocking(f)]
    exit_note = f" (exit {gate.exit_code})"
    if gate.verdict == "blocked":
        rule = blocking[0].rule_id if blocking else "ID"
        count = len(blocking) or len(gate.blocking)
        return (
            f"Blocked: {_plural(count, 'blocking finding')}. Fix them, or waive with an expiry "
            f"(see `govscan rules show {rule}`).{exit_note}",
            "bold red",
        )
    if gate.verdict == "incomplete":
        undecided = len(undecided_evaluations(report))
        return (
            f"Incomplete: {_plural(undecided, 'check')} could not be decided. Fix the inputs or "
            f"permissions listed above and scan again.{exit_note}",
            "bold yellow",
        )
    if gate.verdict == "error":
        return (f"Error: govscan could not run as asked: {printable(gate.reason)}{exit_note}", "bold red")
    if blocking:
        return (
            f"Passed (soft-fail): {_plural(len(blocking), 'blocking finding')} reported, not enforced. "
            f"Fix them before enforcement is turned on.{exit_note}",
            "bold yellow",
        )
    warnings = sum(1 for f in findings if f.enforcement is Enforcement.WARN and not f.waived)
    tail = f" Review {_plural(warnings, 'warning')} before they become blocking." if warnings else ""
    return (f"Passed: no blocking findings.{tail}{exit_note}", "bold green")


REQUIREMENT_STYLE: dict[Status, tuple[str, str]] = {
    Status.FAIL: ("unmet", "red"),
    Status.WAIVED: ("waived", "magenta"),
    Status.PASS: ("met", "green"),
}


def _release(report: ScanReport) -> list[tuple[int, Text]]:
    """The release decision of `govscan gate`: verdict, class, target, each requirement."""
    from rich.text import Text

    decision = report.release
    if decision is None:
        return []
    style = "bold red" if decision.verdict == "block" else "bold green"
    release_class = decision.release_class.value if decision.release_class else "nothing changed"
    lines = [
        (0, Text(f"Release decision: {decision.verdict}", style=style)),
        (
            2,
            Text(
                f"{release_class} release to {decision.target.value} ({decision.target_from}); "
                f"{decision.base}..{decision.head}: {_plural(len(decision.changes), 'changed resource')}"
            ),
        ),
    ]
    order = {Status.FAIL: 0, Status.WAIVED: 1, Status.PASS: 2}
    for check in sorted(decision.requirements, key=lambda c: order.get(c.status, 3)):
        word, colour = REQUIREMENT_STYLE.get(check.status, (check.status.value, "dim"))
        lines.append((2, Text.assemble((word, colour), f" {check.rule_id}: {check.message}")))
    for note in decision.notes:
        lines.append((2, Text(f"note: {note}", style="dim")))
    return lines


def _summary(report: ScanReport, findings: list[Finding]) -> list[tuple[int, Text]]:
    """Summary lines as (indent, text); the indent also applies to wrapped continuation lines."""
    from rich.text import Text

    counts = count_findings_by_enforcement(findings)
    waived = sum(1 for f in findings if f.waived)
    # a live cluster has no files: say where the resources came from instead
    origin = f"from {', '.join(report.targets)}" if not report.files and report.targets else ""
    lines = [
        (0, Text("Summary", style="bold")),
        (
            2,
            Text(
                f"{_plural(report.resources, 'resource')} {origin or 'in ' + _plural(report.files, 'file')}; "
                f"{_plural(len(findings), 'finding')}: {counts['block']} block, {counts['warn']} warn, "
                f"{counts['info']} info, {waived} waived"
            ),
        ),
    ]
    undecided = undecided_evaluations(report)
    errors = sum(1 for row in undecided if row[2] is Status.ERROR)
    counted = f"not evaluated: {len(undecided) - errors}, errors: {errors}"  # shown even at 0: nothing left undecided
    lines.append((2, Text(counted, style="yellow" if undecided else "dim")))
    for rule_id, uid, status, reason in undecided[:LIST_LIMIT]:
        lines.append((4, Text(printable(f"{status.value}: {rule_id} on {uid}: {reason}"))))
    if len(undecided) > LIST_LIMIT:
        lines.append((4, Text(f"... and {len(undecided) - LIST_LIMIT} more")))
    skipped = sorted_skipped(report)
    if skipped:
        lines.append((2, Text(f"skipped documents: {len(skipped)}", style="dim")))
        for path, line, reason in skipped[:LIST_LIMIT]:
            lines.append((4, Text(printable(f"{repo_path(path)}:{line}: {reason}"), style="dim")))
        if len(skipped) > LIST_LIMIT:
            lines.append((4, Text(f"... and {len(skipped) - LIST_LIMIT} more", style="dim")))
    if report.gate.reason and report.gate.verdict not in ("blocked", "error"):
        lines.append((2, Text(printable(f"gate: {report.gate.reason}"), style="dim")))
    verdict, style = _next_step(report, findings)
    lines.append((0, Text(verdict, style=style)))
    return lines


def render(report: ScanReport, color: bool = False, width: int = 100) -> str:
    from rich.console import Console
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        width=width,
        height=25,
        force_jupyter=False,
        force_interactive=False,
        legacy_windows=False,
        highlight=False,
        markup=False,
        emoji=False,
    )
    findings = sorted_findings(report)
    if not findings:
        console.print(Text("No findings.", style="green"))
    for path, group in groupby(findings, key=lambda f: f.location.path):
        console.print(Text(printable(repo_path(path)), style="bold underline"))
        grid = Table.grid(padding=(0, 1), pad_edge=False)
        grid.add_column(no_wrap=True, min_width=5)
        grid.add_column(overflow="fold")
        for finding in group:
            _add_finding(grid, finding)
        console.print(Padding(grid, (0, 0, 0, 2)))
        console.print()
    release = _release(report)
    for indent, text in release:
        console.print(Padding(text, (0, 0, 0, indent), expand=False))
    if release:
        console.print()
    for indent, text in _summary(report, findings):
        console.print(Padding(text, (0, 0, 0, indent), expand=False))
    # Table cells pad to the column width; trailing blanks only make diffs noisy.
    return "\n".join(line.rstrip() for line in buffer.getvalue().split("\n"))
