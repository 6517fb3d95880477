"""SARIF 2.1.0 for GitHub code scanning (and any SARIF viewer).

One run. `tool.driver.rules` holds every rule in the report plus a generic descriptor for any rule id
that only appears in findings (e.g. `govscan.input-error`). Results follow GitHub's expectations:

- `level` from enforcement (block -> error, warn -> warning, info -> note); severity goes to the rule's
  `security-severity` property, which GitHub uses to rank alerts.
- `artifactLocation.uri` is repo-relative with forward slashes and `uriBaseId` "%SRCROOT%"; absolute paths
  become `file://` URIs (no base id), `<stdin>` becomes "stdin".
- `partialFingerprints` derive from the engine's fingerprint (rule + resource uid + pointer), never from
  line numbers, so moving a manifest does not reopen an alert.
- Waived findings stay in the output with a `suppressions` entry: "inSource" for annotation waivers,
  "external" for config or Rego exceptions.
- Not-evaluated and errored evaluations, and skipped documents, become tool execution notifications.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from govscan.reporters._common import (
    SECURITY_SEVERITY,
    STDIN_PATH,
    is_absolute,
    json_chunks,
    repo_path,
    sorted_findings,
    sorted_skipped,
    undecided_evaluations,
)
from govscan.scanner.model import Enforcement, Finding, RuleInfo, ScanReport, Severity, Status, Tier

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/govscan/govscan"
SRCROOT = "%SRCROOT%"
AUTOMATION_ID = "govscan/"

LEVEL: dict[Enforcement, str] = {
    Enforcement.BLOCK: "error",
    Enforcement.WARN: "warning",
    Enforcement.INFO: "note",
    Enforcement.OFF: "none",
}

# A rule's default level when only its severity is known (RuleInfo carries no per-tier enforcement).
ENFORCEMENT_LEVEL: dict[Enforcement, str] = {
    Enforcement.BLOCK: "error",
    Enforcement.WARN: "warning",
    Enforcement.INFO: "note",
    Enforcement.OFF: "none",
}


def _default_level(info: RuleInfo) -> str:
    """The production enforcement when known (the tier a gate cares most about), else by severity."""
    production = info.enforcement.get(Tier.PRODUCTION) if info.enforcement else None
    return ENFORCEMENT_LEVEL[production] if production is not None else DEFAULT_LEVEL[info.severity]


DEFAULT_LEVEL: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
}

_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


def artifact_location(path: str) -> dict[str, str]:
    """SARIF artifactLocation for a report path (see the module docstring for the rules)."""
    if path == STDIN_PATH:
        return {"uri": "stdin", "uriBaseId": SRCROOT}
    if is_absolute(path):
        windows = PureWindowsPath(path)
        if windows.drive:
            return {"uri": windows.as_uri()}
        return {"uri": PurePosixPath(path).as_uri()}
    return {"uri": quote(repo_path(path), safe="/"), "uriBaseId": SRCROOT}


def rule_name(rule_id: str) -> str:
    """A PascalCase identifier from a rule id: `backup.velero-retention` -> `BackupVeleroRetention`."""
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", rule_id) if p]
    return "".join(p[:1].upper() + p[1:] for p in parts) or rule_id


def _first_paragraph(text: str) -> str:
    for block in text.strip().split("\n\n"):
        if block.strip():
            return " ".join(block.split())
    return ""


def rule_descriptor(info: RuleInfo) -> dict[str, Any]:
    title = info.title or info.id
    doc = info.doc.strip()
    remediation = info.remediation.strip()
    text_parts = [f"Remediation: {remediation}"] if remediation else []
    markdown_parts = [f"**Remediation:** {remediation}"] if remediation else []
    if doc:
        text_parts.append(doc)
        markdown_parts.append(doc)
    show = f"Run `govscan rules show {info.id}` for details."
    text_parts.append(show)
    markdown_parts.append(show)
    return {
        "id": info.id,
        "name": rule_name(info.id),
        "shortDescription": {"text": title},
        "fullDescription": {"text": _first_paragraph(doc) or title},
        "help": {"text": "\n\n".join(text_parts), "markdown": "\n\n".join(markdown_parts)},
        "defaultConfiguration": {"level": _default_level(info)},
        "properties": {
            "security-severity": SECURITY_SEVERITY[info.severity],
            "tags": [info.domain, "security"] if info.domain != "security" else ["security"],
            "precision": "high",
        },
    }


def _generic_rule_info(rule_id: str, findings: list[Finding]) -> RuleInfo:
    """Descriptor data for a rule id seen only in findings: built from its first finding."""
    first = findings[0]
    return RuleInfo(
        id=rule_id,
        domain=first.domain,
        title=first.title or rule_id,
        severity=max(f.severity for f in findings),
        remediation=first.remediation,
        doc="",
    )


def rule_table(report: ScanReport, findings: list[Finding]) -> list[RuleInfo]:
    """Rules sorted by id: the report's rules plus generic entries for ids only seen in findings."""
    known = {info.id: info for info in report.rules}
    orphans: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.rule_id not in known:
            orphans.setdefault(finding.rule_id, []).append(finding)
    for rule_id, group in orphans.items():
        known[rule_id] = _generic_rule_info(rule_id, group)
    return [known[rule_id] for rule_id in sorted(known)]


def suppression(finding: Finding) -> dict[str, Any]:
    waiver = finding.waiver
    assert waiver is not None
    extra = {"source": waiver.source}
    if waiver.owner:
        extra["owner"] = waiver.owner
    if waiver.expires:
        extra["expires"] = waiver.expires
    return {
        "kind": "inSource" if waiver.source == "annotation" else "external",
        "status": "accepted",
        "justification": waiver.reason,
        "properties": extra,
    }


def result(finding: Finding, rule_index: int) -> dict[str, Any]:
    resource = finding.resource
    out: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": LEVEL[finding.enforcement],
        "message": {"text": finding.message or finding.title or finding.rule_id},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": artifact_location(finding.location.path),
                    "region": {
                        "startLine": max(1, finding.location.line),
                        "startColumn": max(1, finding.location.column),
                    },
                },
                "logicalLocations": [{"name": resource.name, "fullyQualifiedName": resource.uid, "kind": "resource"}],
            }
        ],
        "partialFingerprints": {
            "primaryLocationLineHash": f"{finding.fingerprint}:1",
            "govscan/v1": finding.fingerprint,
        },
        "properties": {
            "tier": finding.tier.value,
            "enforcement": finding.enforcement.label,
            "domain": finding.domain,
            "severity": finding.severity.label,
            "resourceUid": resource.uid,
        },
    }
    if finding.waiver is not None:
        out["suppressions"] = [suppression(finding)]
    return out


def notifications(report: ScanReport, rule_index: dict[str, int]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for rule_id, uid, status, reason in undecided_evaluations(report):
        what = "failed to evaluate" if status is Status.ERROR else "could not evaluate"
        text = f"{rule_id} {what} {uid}: {reason}" if reason else f"{rule_id} {what} {uid}"
        rule_ref: dict[str, Any] = {"id": rule_id}
        if rule_id in rule_index:
            rule_ref["index"] = rule_index[rule_id]
        out.append(
            {
                "level": "error" if status is Status.ERROR else "warning",
                "message": {"text": text},
                "locations": [{"logicalLocations": [{"fullyQualifiedName": uid, "kind": "resource"}]}],
                "associatedRule": rule_ref,
                "properties": {"status": status.value},
            }
        )
    for path, line, reason in sorted_skipped(report):
        out.append(
            {
                "level": "note",
                "message": {"text": f"skipped document: {reason}"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": artifact_location(path),
                            "region": {"startLine": max(1, line)},
                        }
                    }
                ],
                "properties": {"status": "skipped"},
            }
        )
    return out


def sarif_dict(report: ScanReport) -> dict[str, Any]:
    findings = sorted_findings(report)
    rules = rule_table(report, findings)
    index = {info.id: i for i, info in enumerate(rules)}
    driver: dict[str, Any] = {"name": "govscan", "version": report.tool_version}
    if _SEMVER.match(report.tool_version):
        driver["semanticVersion"] = report.tool_version
    driver["informationUri"] = INFORMATION_URI
    driver["rules"] = [rule_descriptor(info) for info in rules]
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "automationDetails": {"id": AUTOMATION_ID},
        "invocations": [
            {
                "executionSuccessful": report.gate.exit_code in (0, 1),
                "toolExecutionNotifications": notifications(report, index),
            }
        ],
        "columnKind": "unicodeCodePoints",
        "results": [result(f, index[f.rule_id]) for f in findings],
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def chunks(report: ScanReport) -> Iterator[str]:
    """The document in pieces, so a large report is written without one giant string."""
    return json_chunks(sarif_dict(report), expand=4)  # one result per line


def render(report: ScanReport) -> str:
    return "".join(chunks(report))
