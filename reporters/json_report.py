"""The JSON report: a stable contract other tools consume (`schema_version` "1").

Shape (keep it stable; add keys only with a new schema_version):

- `tool` {name, version}; `gate` {verdict, exit_code, reason, blocking: [fingerprint]}
- `summary` {resources, files, findings, blocking, by_enforcement {block, warn, info}, waived,
  by_domain {domain: count}, evaluations {pass, fail, waived, not-evaluated, error}, skipped}.
  `by_enforcement` counts unwaived findings only, so findings == sum(by_enforcement) + waived;
  `by_domain` counts every finding, waived included. `blocking` counts the findings the gate
  treats as blocking (with `--fail-on warn` that includes warn findings).
- `findings` in Finding.sort_key() order (file, line, column, rule, fingerprint)
- `not_evaluated` [{rule_id, resource_uid, status (not-evaluated | error), reason}] for not-evaluated and errored evaluations
- `skipped` [{file, line, reason}]

No timestamps and no resource bodies: the same report renders to the same bytes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from govscan.reporters._common import (
    blocking_checker,
    count_evaluations,
    count_findings_by_enforcement,
    json_chunks,
    sorted_findings,
    sorted_skipped,
    undecided_evaluations,
)
from govscan.scanner.model import Finding, ScanReport

SCHEMA_VERSION = "1"


def finding_dict(finding: Finding) -> dict[str, Any]:
    resource = finding.resource
    waiver = finding.waiver
    return {
        "rule_id": finding.rule_id,
        "domain": finding.domain,
        "title": finding.title,
        "severity": finding.severity.label,
        "enforcement": finding.enforcement.label,
        "tier": finding.tier.value,
        "message": finding.message,
        "remediation": finding.remediation,
        "fingerprint": finding.fingerprint,
        "pointer": finding.pointer,
        "waived": None
        if waiver is None
        else {
            "rule_id": waiver.rule_id,
            "reason": waiver.reason,
            "source": waiver.source,
            "owner": waiver.owner,
            "expires": waiver.expires,
        },
        "resource": {
            "kind": resource.kind,
            "name": resource.name,
            "namespace": resource.namespace,
            "api_version": resource.api_version,
            "uid": resource.uid,
            "platform": resource.platform.value,
            "file": resource.path,
            "line": resource.line,
        },
        "location": {
            "file": finding.location.path,
            "line": finding.location.line,
            "column": finding.location.column,
        },
    }


def report_dict(report: ScanReport) -> dict[str, Any]:
    """The JSON contract as plain Python data (what `render` serialises)."""
    findings = sorted_findings(report)
    is_blocking = blocking_checker(report)
    by_domain = Counter(f.domain for f in findings)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "govscan", "version": report.tool_version},
        "gate": {
            "verdict": report.gate.verdict,
            "exit_code": report.gate.exit_code,
            "reason": report.gate.reason,
            "blocking": list(report.gate.blocking),
        },
        "summary": {
            "resources": report.resources,
            "files": report.files,
            "findings": len(findings),
            "blocking": sum(1 for f in findings if is_blocking(f)),
            "by_enforcement": count_findings_by_enforcement(findings),
            "waived": sum(1 for f in findings if f.waived),
            "by_domain": {domain: by_domain[domain] for domain in sorted(by_domain)},
            "evaluations": count_evaluations(report),
            "skipped": len(report.skipped),
        },
        "findings": [finding_dict(f) for f in findings],
        "not_evaluated": [
            {"rule_id": rule_id, "resource_uid": uid, "status": status.value, "reason": reason}
            for rule_id, uid, status, reason in undecided_evaluations(report)
        ],
        "skipped": [{"file": path, "line": line, "reason": reason} for path, line, reason in sorted_skipped(report)],
    }


def chunks(report: ScanReport) -> Iterator[str]:
    """The document in pieces, so a large report is written without one giant string."""
    return json_chunks(report_dict(report))


def render(report: ScanReport) -> str:
    return "".join(chunks(report))
