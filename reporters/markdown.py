"""Markdown for a pull-request comment or GitHub's job summary (`$GITHUB_STEP_SUMMARY`).

The verdict and why, the release decision of `govscan gate` when there is one (class, target, each
requirement met or not, the changed resources), the counts, then the blocking findings as a table
with file:line, most severe first and capped (a step summary holds at most 1 MiB); the SARIF and
JSON reports have the rest.
Text from the scanned files is escaped, so a resource name cannot inject links or HTML.
"""

from __future__ import annotations

import re
from collections import Counter

from govscan.reporters._common import (
    blocking_checker,
    count_evaluations,
    count_findings_by_enforcement,
    repo_path,
    sorted_findings,
)
from govscan.scanner.model import ChangeKind, Finding, ReleaseDecision, ScanReport, Status

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


REQUIREMENT_MARK = {Status.FAIL: "❌ unmet", Status.WAIVED: "➖ waived", Status.PASS: "✅ met"}
REASONS_SHOWN = 2


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _evidence(decision: ReleaseDecision) -> str:
    parts = [_plural(decision.approvals, "approval"), "labels: " + (", ".join(decision.labels) or "none")]
    if decision.change_ticket:
        parts.append(f"ticket {decision.change_ticket}")
    if decision.emergency_reason:
        parts.append(f"emergency: {decision.emergency_reason}")
    sources = f" (from {', '.join(decision.evidence_sources)})" if decision.evidence_sources else ""
    return escape("; ".join(parts) + sources)


def _release(decision: ReleaseDecision) -> list[str]:
    """The decision of `govscan gate`: verdict, class, target, evidence, each requirement, what changed."""
    kinds = Counter(c.change for c in decision.changes)
    changed = ", ".join(f"{kinds[k]} {k.value}" for k in ChangeKind if kinds[k]) or "nothing changed"
    release_class = decision.release_class.value if decision.release_class else "none"
    lines = [
        "",
        f"### Release decision: {decision.verdict}",
        "",
        "| | |",
        "|---|---|",
        f"| class | {release_class} |",
        f"| target | {decision.target.value} ({escape(decision.target_from)}) |",
        f"| change | {escape(decision.base)} → {escape(decision.head)}: "
        f"{_plural(len(decision.changes), 'resource')} ({changed}) |",
        f"| evidence | {_evidence(decision)} |",
    ]
    if decision.freezes:
        lines.append(f"| freeze | {escape(', '.join(decision.freezes))} |")
    order = {Status.FAIL: 0, Status.WAIVED: 1, Status.PASS: 2}
    if decision.requirements:
        lines.append("")
        for check in sorted(decision.requirements, key=lambda c: order.get(c.status, 3)):
            mark = REQUIREMENT_MARK.get(check.status, check.status.value)
            lines.append(f"- {mark} {escape(check.rule_id)}: {escape(check.message)}")
    if decision.notes:
        lines.append("")
        lines += [f"> {escape(note)}" for note in decision.notes]
    if decision.changes:
        lines += [
            "",
            f"<details><summary>Changed resources ({len(decision.changes)})</summary>",
            "",
            "| change | resource | file | classes | why |",
            "|---|---|---|---|---|",
        ]
        for item in decision.changes[:TABLE_ROWS]:
            ref = item.resource
            name = f"{ref.kind} {ref.namespace}/{ref.name}" if ref.namespace else f"{ref.kind} {ref.name}"
            why = "; ".join(item.reasons[:REASONS_SHOWN])
            if len(item.reasons) > REASONS_SHOWN:
                why += f"; and {len(item.reasons) - REASONS_SHOWN} more"
            where = f"{repo_path(ref.path)}:{ref.line}"
            classes = ", ".join(c.value for c in item.classes)
            lines.append(f"| {item.change.value} | {escape(name)} | {escape(where)} | {classes} | {escape(why)} |")
        if len(decision.changes) > TABLE_ROWS:
            lines += ["", f"…and {len(decision.changes) - TABLE_ROWS} more: see the JSON report."]
        lines += ["", "</details>"]
    return lines


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
        *(_release(report.release) if report.release is not None else []),
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
