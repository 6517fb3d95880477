"""The JSON report: a stable contract other tools consume (`schema_version` "2").

Shape (keep it stable; add keys only with a new schema_version). Version 2 added `target` to each
finding's resource and to each skipped entry, and the `shard`, `targets`, `evaluations` and `rules`
keys, so that `read_report` rebuilds the whole ScanReport (what `govscan merge` needs):

- `tool` {name, version}; `gate` {verdict, exit_code, reason, blocking: [fingerprint]}
- `summary` {resources, files, findings, blocking, by_enforcement {block, warn, info}, waived,
  by_domain {domain: count}, evaluations {pass, fail, waived, not-evaluated, error}, skipped}.
  `by_enforcement` counts unwaived findings only, so findings == sum(by_enforcement) + waived;
  `by_domain` counts every finding, waived included. `blocking` counts the findings the gate
  treats as blocking (with `--fail-on warn` that includes warn findings).
- `findings` in Finding.sort_key() order (file, line, column, rule, fingerprint)
- `not_evaluated` [{rule_id, resource_uid, status (not-evaluated | error), reason, location {file, line, column}
  or null}] for not-evaluated and errored evaluations (location: where the resource is, when known)
- `skipped` [{file, line, reason, target}]
- `shard` {index, count} for one shard of a `--shard i/n` scan, else null; `targets` [path as given]
- `evaluations` [{rule_id, status, tier, reason, target, resources: [uid]}]: every (rule, resource)
  evaluation, passes included, grouped by what they share (one entry lists many resources)
- `rules` [{id, domain, title, severity, remediation, doc, enforcement {tier: level}}]: the rules that ran
- `release` (only in `govscan gate` reports; scan reports do not have the key, and `read_report` does
  not read it back): {verdict (allow | block), class, target, target_from, base, head, requirements
  [{rule_id, status (pass | fail | waived), message}], unmet [message], evidence {approvals, labels,
  change_ticket, sources}, freezes, emergency_reason, notes, changes [{change (added | removed |
  modified), action, uid, kind, name, namespace, file, line, classes, reasons, fields}]}

No timestamps and no resource bodies: the same report renders to the same bytes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from govscan.reporters._common import (
    UNDECIDED,
    blocking_checker,
    count_evaluations,
    count_findings_by_enforcement,
    json_chunks,
    sorted_findings,
    undecided_order,
)
from govscan.scanner.model import (
    Enforcement,
    Evaluation,
    Finding,
    GateDecision,
    Location,
    Platform,
    ReleaseDecision,
    ResourceRef,
    RuleInfo,
    ScanReport,
    Severity,
    Skipped,
    Status,
    Tier,
    Waiver,
)

SCHEMA_VERSION = "2"


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
            "target": resource.target,
        },
        "location": {
            "file": finding.location.path,
            "line": finding.location.line,
            "column": finding.location.column,
        },
    }


def release_dict(decision: ReleaseDecision) -> dict[str, Any]:
    return {
        "verdict": decision.verdict,
        "class": decision.release_class.value if decision.release_class else None,
        "target": decision.target.value,
        "target_from": decision.target_from,
        "base": decision.base,
        "head": decision.head,
        "requirements": [
            {"rule_id": r.rule_id, "status": r.status.value, "message": r.message} for r in decision.requirements
        ],
        "unmet": [r.message for r in decision.requirements if r.status is Status.FAIL],
        "evidence": {
            "approvals": decision.approvals,
            "labels": list(decision.labels),
            "change_ticket": decision.change_ticket,
            "sources": list(decision.evidence_sources),
        },
        "freezes": list(decision.freezes),
        "emergency_reason": decision.emergency_reason,
        "notes": list(decision.notes),
        "changes": [
            {
                "change": c.change.value,
                "action": c.action.value if c.action else None,
                "uid": c.resource.uid,
                "kind": c.resource.kind,
                "name": c.resource.name,
                "namespace": c.resource.namespace,
                "file": c.resource.path,
                "line": c.resource.line,
                "classes": [k.value for k in c.classes],
                "reasons": list(c.reasons),
                "fields": list(c.fields),
            }
            for c in decision.changes
        ],
    }


def report_dict(report: ScanReport) -> dict[str, Any]:
    """The JSON contract as plain Python data (what `render` serialises)."""
    findings = sorted_findings(report)
    is_blocking = blocking_checker(report)
    by_domain = Counter(f.domain for f in findings)
    document = {
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
            {
                "rule_id": e.rule_id,
                "resource_uid": e.resource_uid,
                "status": e.status.value,
                "reason": e.reason,
                "location": None
                if e.location is None
                else {"file": e.location.path, "line": e.location.line, "column": e.location.column},
            }
            for e in sorted((e for e in report.evaluations if e.status in UNDECIDED), key=undecided_order)
        ],
        "skipped": [
            {"file": s.path, "line": s.line, "reason": s.reason, "target": s.target}
            for s in sorted(report.skipped, key=lambda s: (s.path, s.line, s.reason, s.target))
        ],
        "shard": None if report.shard is None else {"index": report.shard[0], "count": report.shard[1]},
        "targets": list(report.targets),
        "evaluations": evaluation_groups(report.evaluations),
        "rules": [rule_dict(info) for info in sorted(report.rules, key=lambda r: r.id)],
    }
    if report.release is not None:
        document["release"] = release_dict(report.release)
    return document


def evaluation_groups(evaluations: tuple[Evaluation, ...]) -> list[dict[str, Any]]:
    """Evaluations grouped by (rule, status, tier, reason, target), resources listed: passes are most
    of a scan's evaluations and share everything but the resource."""
    groups: dict[tuple[str, str, str, str, str], list[str]] = {}
    for e in evaluations:
        key = (e.rule_id, e.status.value, e.tier.value if e.tier else "", e.reason, e.target)
        groups.setdefault(key, []).append(e.resource_uid)
    return [
        {
            "rule_id": rule_id,
            "status": status,
            "tier": tier or None,
            "reason": reason,
            "target": target,
            "resources": sorted(uids),
        }
        for (rule_id, status, tier, reason, target), uids in sorted(groups.items())
    ]


def rule_dict(info: RuleInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "domain": info.domain,
        "title": info.title,
        "severity": info.severity.label,
        "remediation": info.remediation,
        "doc": info.doc,
        "enforcement": {tier.value: level.label for tier, level in info.enforcement.items()},
    }


def chunks(report: ScanReport) -> Iterator[str]:
    """The document in pieces, so a large report is written without one giant string."""
    return json_chunks(report_dict(report))


def render(report: ScanReport) -> str:
    return "".join(chunks(report))


# --- reading a report back (govscan merge) ---------------------------------------------------------


class ReportFormatError(ValueError):
    """The document is not a govscan JSON report this version can read; the message says what is wrong."""


def read_report(data: Any) -> ScanReport:
    """The ScanReport a schema-version-2 JSON report was rendered from (its gate decision as written)."""
    if not isinstance(data, Mapping) or data.get("tool", {}).get("name") != "govscan":
        raise ReportFormatError("not a govscan JSON report (write one with --format json)")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ReportFormatError(
            f"JSON report schema_version {version!r}; this govscan reads {SCHEMA_VERSION!r}: "
            "write every report with the same govscan version"
        )
    where = "report"
    try:
        where = "gate"
        gate = data["gate"]
        decision = GateDecision(
            verdict=str(gate["verdict"]),
            exit_code=int(gate["exit_code"]),
            reason=str(gate["reason"]),
            counts={},
            blocking=tuple(str(fp) for fp in gate["blocking"]),
        )
        findings = []
        where = "findings"
        for i, item in enumerate(data["findings"]):
            where = f"findings[{i}]"
            findings.append(_finding(item))
        where = "not_evaluated"
        located: dict[tuple[str, str, str, str], list[Location]] = {}  # in place order, taken in turn
        for e in data["not_evaluated"]:
            if e.get("location"):
                at = e["location"]
                key = (str(e["rule_id"]), str(e["resource_uid"]), str(e["status"]), str(e["reason"]))
                located.setdefault(key, []).append(Location(str(at["file"]), int(at["line"]), int(at["column"])))
        evaluations = []
        where = "evaluations"
        for i, group in enumerate(data["evaluations"]):
            where = f"evaluations[{i}]"
            status, tier = Status(group["status"]), Tier(group["tier"]) if group["tier"] else None
            for uid in group["resources"]:
                places = located.get((str(group["rule_id"]), str(uid), status.value, str(group["reason"])))
                evaluations.append(
                    Evaluation(
                        str(group["rule_id"]), str(uid), status, tier, str(group["reason"]), str(group["target"]),
                        places.pop(0) if places else None,
                    )
                )  # fmt: skip
        rules = []
        where = "rules"
        for i, rule in enumerate(data["rules"]):
            where = f"rules[{i}]"
            rules.append(
                RuleInfo(
                    id=str(rule["id"]),
                    domain=str(rule["domain"]),
                    title=str(rule["title"]),
                    severity=Severity.parse(rule["severity"]),
                    remediation=str(rule["remediation"]),
                    doc=str(rule["doc"]),
                    enforcement={Tier(t): Enforcement.parse(level) for t, level in rule["enforcement"].items()},
                )
            )
        where = "skipped"
        skipped = tuple(
            Skipped(str(s["file"]), int(s["line"]), str(s["reason"]), str(s["target"])) for s in data["skipped"]
        )
        where = "shard"
        shard = data["shard"]
        where = "summary"
        summary = data["summary"]
        return ScanReport(
            tool_version=str(data["tool"]["version"]),
            findings=tuple(findings),
            evaluations=tuple(sorted(evaluations, key=Evaluation.sort_key)),
            rules=tuple(rules),
            gate=decision,
            resources=int(summary["resources"]),
            files=int(summary["files"]),
            skipped=skipped,
            targets=tuple(str(t) for t in data["targets"]),
            shard=None if shard is None else (int(shard["index"]), int(shard["count"])),
        )
    except ReportFormatError:
        raise
    except KeyError as exc:
        raise ReportFormatError(f"{where}: missing or unknown {exc.args[0]!r}") from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise ReportFormatError(f"{where}: {exc}") from None


def _finding(item: Mapping[str, Any]) -> Finding:
    resource, location, waived = item["resource"], item["location"], item["waived"]
    return Finding(
        rule_id=str(item["rule_id"]),
        domain=str(item["domain"]),
        resource=ResourceRef(
            uid=str(resource["uid"]),
            platform=Platform(resource["platform"]),
            kind=str(resource["kind"]),
            name=str(resource["name"]),
            namespace=None if resource["namespace"] is None else str(resource["namespace"]),
            api_version=str(resource["api_version"]),
            path=str(resource["file"]),
            line=int(resource["line"]),
            target=str(resource["target"]),
        ),
        tier=Tier(item["tier"]),
        enforcement=Enforcement.parse(item["enforcement"]),
        severity=Severity.parse(item["severity"]),
        message=str(item["message"]),
        remediation=str(item["remediation"]),
        location=Location(str(location["file"]), int(location["line"]), int(location["column"])),
        pointer=str(item["pointer"]),
        fingerprint=str(item["fingerprint"]),
        title=str(item["title"]),
        waiver=None
        if waived is None
        else Waiver(
            rule_id=str(waived["rule_id"]),
            reason=str(waived["reason"]),
            source=str(waived["source"]),
            owner=waived["owner"],
            expires=waived["expires"],
        ),
    )
