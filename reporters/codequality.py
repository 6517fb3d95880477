"""GitLab Code Quality report (the Code Climate subset GitLab reads).

Waived findings are omitted: GitLab has no notion of a suppressed issue, so listing them would show
accepted risks as open problems in merge requests. The JSON and SARIF reports keep them.

Severity comes from enforcement, refined by the rule's severity for blocking ones:
block -> critical (critical severity) or major; warn -> minor; info -> info.

A check that could not be evaluated is never a silent pass: each not-evaluated (rule, resource)
becomes an `info` issue named `<rule>` with the reason, at the resource. (Errored evaluations
already have their govscan.rule-error or govscan.input-error finding.)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from govscan.reporters._common import json_chunks, repo_path, sorted_findings, undecided_order
from govscan.scanner.model import Enforcement, Finding, ScanReport, Severity, Status


def quality_severity(finding: Finding) -> str:
    if finding.enforcement is Enforcement.BLOCK:
        return "critical" if finding.severity is Severity.CRITICAL else "major"
    if finding.enforcement is Enforcement.WARN:
        return "minor"
    return "info"


def _unique(fingerprint: str, seen: set[str]) -> str:
    """The fingerprint itself, or `fp:2`, `fp:3`... for repeats (GitLab needs them unique)."""
    candidate, n = fingerprint, 1
    while candidate in seen:
        n += 1
        candidate = f"{fingerprint}:{n}"
    seen.add(candidate)
    return candidate


def issues(report: ScanReport) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for finding in sorted_findings(report):
        if finding.waived:
            continue
        out.append(
            {
                "description": f"{finding.rule_id}: {finding.message}",
                "check_name": finding.rule_id,
                "fingerprint": _unique(finding.fingerprint, seen),
                "severity": quality_severity(finding),
                "location": {
                    "path": repo_path(finding.location.path),
                    "lines": {"begin": max(1, finding.location.line)},
                },
            }
        )
    places = {f.resource.uid: (f.resource.path, f.resource.line) for f in report.findings}
    undecided = (e for e in report.evaluations if e.status is Status.NOT_EVALUATED)
    for evaluation in sorted(undecided, key=undecided_order):
        # the engine records where; a report read back from JSON (merged shards) does not: use a
        # finding on the same resource, else the scan target
        where = evaluation.location
        path, line = (where.path, where.line) if where else places.get(evaluation.resource_uid, (evaluation.target, 1))
        identity = f"not-evaluated\x1f{evaluation.rule_id}\x1f{evaluation.resource_uid}"
        out.append(
            {
                "description": f"{evaluation.rule_id}: not evaluated on {evaluation.resource_uid}: {evaluation.reason}",
                "check_name": evaluation.rule_id,
                "fingerprint": _unique(hashlib.sha256(identity.encode()).hexdigest()[:20], seen),
                "severity": "info",
                "location": {"path": repo_path(path), "lines": {"begin": max(1, line)}},
            }
        )
    return out


def chunks(report: ScanReport) -> Iterator[str]:
    """The document in pieces, so a large report is written without one giant string."""
    return json_chunks(issues(report))


def render(report: ScanReport) -> str:
    return "".join(chunks(report))
