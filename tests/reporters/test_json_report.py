from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

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
    assert list(data) == [
        "schema_version",
        "tool",
        "gate",
        "summary",
        "findings",
        "not_evaluated",
        "skipped",
        "shard",
        "targets",
        "evaluations",
        "rules",
    ]
    assert data["schema_version"] == "2"
    assert data["shard"] is None
    assert data["targets"] == ["deploy/prod", "-"]
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
            "target",
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
            "location": None,
        },
        {
            "rule_id": "ha.pdb",
            "resource_uid": "apps/Deployment/shop/web",
            "status": "not-evaluated",
            "reason": "cluster returned 403 listing policy/v1 PodDisruptionBudgets",
            "location": {"file": "deploy/prod/web.yaml", "line": 1, "column": 1},
        },
        {
            "rule_id": "secrets.plaintext-env",
            "resource_uid": "apps/Deployment/default/api",
            "status": "error",
            "reason": "rule crashed: KeyError 'env'",
            "location": None,
        },
    ]
    assert data["skipped"] == [
        {
            "file": "deploy/prod/web.yaml",
            "line": 45,
            "reason": "document has no kind: not a Kubernetes object",
            "target": "",
        }
    ]


def test_deterministic_with_trailing_newline(report: ScanReport) -> None:
    text = json_report.render(report)
    assert text == json_report.render(report)
    assert text.endswith("}\n")
    assert '\n  "schema_version": "2",' in text


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


def test_every_evaluation_and_rule_is_carried(report: ScanReport) -> None:
    data = _load(report)
    assert data["evaluations"][:3] == [
        {
            "rule_id": "backup.velero-retention",
            "status": "fail",
            "tier": "production",
            "reason": "",
            "target": "",
            "resources": ["velero.io/Schedule/velero/nightly"],
        },
        {
            "rule_id": "govscan.input-error",
            "status": "error",
            "tier": "production",
            "reason": "could not parse YAML: mapping values are not allowed here",
            "target": "",
            "resources": ["file:deploy/prod/broken.yaml"],
        },
        {
            "rule_id": "ha.pdb",
            "status": "not-evaluated",
            "tier": "production",
            "reason": "cluster returned 403 listing policy/v1 PodDisruptionBudgets",
            "target": "",
            "resources": ["apps/Deployment/shop/web"],
        },
    ]
    assert sum(len(group["resources"]) for group in data["evaluations"]) == len(report.evaluations)
    passes = next(g for g in data["evaluations"] if (g["rule_id"], g["status"]) == ("ha.replicas", "pass"))
    assert passes["resources"] == ["apps/Deployment/shop/shop-worker"]
    assert [r["id"] for r in data["rules"]] == sorted(r.id for r in report.rules)
    assert data["rules"][0] == {
        "id": "backup.velero-retention",
        "domain": "backup",
        "title": "Velero schedules keep backups long enough",
        "severity": "low",
        "remediation": "Set spec.template.ttl to at least 720h.",
        "doc": "Short retention loses restore points.",
        "enforcement": {},
    }


def test_read_report_rebuilds_what_was_rendered(report: ScanReport) -> None:
    from govscan.scanner.model import Enforcement, Tier

    rules = tuple(
        replace(r, enforcement={Tier.PRODUCTION: Enforcement.BLOCK, Tier.QA: Enforcement.WARN}) for r in report.rules
    )
    original = replace(report, rules=rules, shard=(2, 4))
    text = json_report.render(original)
    rebuilt = json_report.read_report(json.loads(text))
    assert json_report.render(rebuilt) == text
    assert rebuilt.shard == (2, 4)
    assert set(rebuilt.findings) == set(report.findings)
    assert set(rebuilt.evaluations) == set(report.evaluations)
    assert {r.id: r for r in rebuilt.rules} == {r.id: r for r in rules}


def test_read_report_names_what_is_wrong(report: ScanReport) -> None:
    data = _load(report)
    cases = [
        ({"tool": {"name": "checkov"}}, "not a govscan JSON report (write one with --format json)"),
        ({**data, "findings": [{**data["findings"][0], "severity": "dire"}]}, "findings[0]: missing or unknown 'DIRE'"),
        (
            {**data, "evaluations": [{**data["evaluations"][0], "status": "maybe"}]},
            "evaluations[0]: 'maybe' is not a valid Status",
        ),
        ({k: v for k, v in data.items() if k != "rules"}, "rules: missing or unknown 'rules'"),
    ]
    for document, message in cases:
        with pytest.raises(json_report.ReportFormatError) as raised:
            json_report.read_report(document)
        assert str(raised.value) == message
