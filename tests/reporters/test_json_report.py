from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from govscan.reporters import json_report
from govscan.scanner.model import ScanReport

FINDING_KEYS = [
    "rule_id",
    "domain",
    "title",
    "severity",
    "enforcement",
    "tier",
    "message",
    "remediation",
    "fingerprint",
    "pointer",
    "waived",
    "resource",
    "location",
]


def _load(report: ScanReport) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json_report.render(report))
    return data


def test_top_level_contract(report: ScanReport) -> None:
    data = _load(report)
    assert list(data) == ["schema_version", "tool", "gate", "summary", "findings", "not_evaluated", "skipped"]
    assert data["schema_version"] == "1"
    assert data["tool"] == {"name": "govscan", "version": "0.1.0"}
    assert list(data["gate"]) == ["verdict", "exit_code", "reason", "blocking"]
    assert data["gate"]["verdict"] == "blocked"
    assert data["gate"]["exit_code"] == 1
    assert data["gate"]["blocking"] == list(report.gate.blocking)


def test_summary(report: ScanReport) -> None:
    assert _load(report)["summary"] == {
        "resources": 6,
        "files": 5,
        "findings": 9,
        "blocking": 5,
        "by_enforcement": {"block": 5, "warn": 1, "info": 1},
        "waived": 2,
        "by_domain": {"backup": 1, "govscan": 1, "ha": 2, "image": 3, "rbac": 1, "secrets": 1},
        "evaluations": {"pass": 3, "fail": 5, "waived": 2, "not-evaluated": 1, "error": 2},
        "skipped": 1,
    }


def test_findings_shape_and_order(report: ScanReport) -> None:
    findings = _load(report)["findings"]
    assert [f["fingerprint"] for f in findings] == [
        f.fingerprint for f in sorted(report.findings, key=lambda f: f.sort_key())
    ]
    for finding in findings:
        assert list(finding) == FINDING_KEYS
        assert list(finding["resource"]) == [
            "kind",
            "name",
            "namespace",
            "api_version",
            "uid",
            "platform",
            "file",
            "line",
        ]
        assert list(finding["location"]) == ["file", "line", "column"]
    first = findings[0]
    assert first["rule_id"] == "ha.replicas"
    assert first["severity"] == "high"
    assert first["enforcement"] == "block"
    assert first["tier"] == "production"
    assert first["waived"] is None
    assert first["resource"]["platform"] == "k8s"
    assert first["location"] == {"file": "<stdin>", "line": 7, "column": 3}


def test_waived_finding(report: ScanReport) -> None:
    findings = _load(report)["findings"]
    waived = [f for f in findings if f["waived"] is not None]
    assert [w["waived"] for w in waived] == [
        {
            "rule_id": "rbac.cluster-admin-binding",
            "reason": "CI bootstrap, removed after migration",
            "source": "annotation",
            "owner": "platform",
            "expires": "2026-03-31",
        },
        {
            "rule_id": "secrets.plaintext-env",
            "reason": "dummy value in a demo namespace",
            "source": "config",
            "owner": "shop-team",
            "expires": "2026-06-30",
        },
    ]


def test_not_evaluated_and_skipped(report: ScanReport) -> None:
    data = _load(report)
    assert data["not_evaluated"] == [
        {
            "rule_id": "govscan.input-error",
            "resource_uid": "file:deploy/prod/broken.yaml",
            "status": "error",
            "reason": "could not parse YAML: mapping values are not allowed here",
        },
        {
            "rule_id": "ha.pdb",
            "resource_uid": "apps/Deployment/shop/web",
            "status": "not-evaluated",
            "reason": "cluster returned 403 listing policy/v1 PodDisruptionBudgets",
        },
        {
            "rule_id": "secrets.plaintext-env",
            "resource_uid": "apps/Deployment/default/api",
            "status": "error",
            "reason": "rule crashed: KeyError 'env'",
        },
    ]
    assert data["skipped"] == [
        {
            "file": "deploy/prod/web.yaml",
            "line": 45,
            "reason": "document has no kind: not a Kubernetes object",
        }
    ]


def test_deterministic_with_trailing_newline(report: ScanReport) -> None:
    text = json_report.render(report)
    assert text == json_report.render(report)
    assert text.endswith("}\n")
    assert '\n  "schema_version": "1",' in text


def test_empty_report(report_factory: Any) -> None:
    data = _load(report_factory(findings=(), evaluations=(), skipped=()))
    assert data["findings"] == []
    assert data["summary"]["by_domain"] == {}
    assert data["summary"]["by_enforcement"] == {"block": 0, "warn": 0, "info": 0}


def test_blocking_follows_the_gate_under_fail_on_warn(report_factory: Any) -> None:
    base = report_factory()
    warn = next(f for f in base.findings if f.rule_id == "image.latest-tag" and f.enforcement.label == "warn")
    gate = replace(base.gate, blocking=(*base.gate.blocking, warn.fingerprint))
    summary = _load(replace(base, gate=gate))["summary"]
    assert summary["blocking"] == 6
    assert summary["by_enforcement"] == {"block": 5, "warn": 1, "info": 1}
