"""Markdown for a pull-request comment or GitHub's job summary (`$GITHUB_STEP_SUMMARY`).

The verdict and why, the counts, then the blocking findings as a table with file:line, most severe
first and capped (a step summary holds at most 1 MiB); the SARIF and JSON reports have the rest.
Text from the scanned files is escaped, so a resource name cannot inject links or HTML.
"""

from __future__ import annotations

import re

from govscan.reporters._common import (
    blocking_checker,
    count_evaluations,
    count_findings_by_enforcement,
    repo_path,
    sorted_findings,
)
from govscan.scanner.model import Finding, ScanReport

TABLE_ROWS = 50
"""Blocking findings listed in the table; the rest are counted."""
CELL_LIMIT = 300

HEADLINE = {
    "passed": "✅ govscan: passed",
    "blocked": "❌ govscan: blocked",
    "error": "⚠️ govscan: could not run as asked",
    "incomplete": "⚠️ govscan: incomplete",
}

_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def escape(text: str) -> str:
    """One table cell of plain text: no markup, no HTML, no line breaks, not too long."""
    flat = " ".join(text.split())
    if len(flat) > CELL_LIMIT:
        flat = flat[: CELL_LIMIT - 1] + "…"
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", flat)


def _resource(finding: Finding) -> str:
    resource = finding.resource
    label = f"{resource.kind}/{resource.name}" if resource.kind else resource.name or resource.uid
    return f"{label} ({resource.namespace})" if resource.namespace else label


def render(report: ScanReport) -> str:
    gate = report.gate
    is_blocking = blocking_checker(report)
    findings = sorted_findings(report)
    blocking = sorted((f for f in findings if is_blocking(f)), key=lambda f: (-f.severity, f.sort_key()))
    counts = count_findings_by_enforcement(findings)
    evaluations = count_evaluations(report)
    lines = [
        f"## {HEADLINE.get(gate.verdict, 'govscan: ' + escape(gate.verdict))}",
        "",
        f"{escape(gate.reason)} (exit code {gate.exit_code})",
        "",
        "| blocking | block | warn | info | waived | not evaluated | resources | files |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {len(blocking)} | {counts['block']} | {counts['warn']} | {counts['info']} "
        f"| {sum(1 for f in findings if f.waived)} | {evaluations['not-evaluated'] + evaluations['error']} "
        f"| {report.resources} | {report.files} |",
    ]
    if blocking:
        lines += ["", "### Blocking findings", "", "| rule | where | resource | finding |", "|---|---|---|---|"]
        for finding in blocking[:TABLE_ROWS]:
            where = f"{repo_path(finding.location.path)}:{finding.location.line}"
            lines.append(
                f"| {escape(finding.rule_id)} | {escape(where)} | {escape(_resource(finding))} "
                f"| {escape(finding.message)} |"
            )
        if len(blocking) > TABLE_ROWS:
            lines += ["", f"…and {len(blocking) - TABLE_ROWS} more blocking finding(s): see the SARIF or JSON report."]
        first = blocking[0].rule_id
        explain = f" `govscan rules show {first}` explains." if re.fullmatch(r"[\w.\-]+", first) else ""
        lines += ["", f"Fix them, or waive with an owner, a reason and an expiry.{explain}"]
    return "\n".join(lines) + "\n"
