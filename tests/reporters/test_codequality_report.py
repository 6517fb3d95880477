from __future__ import annotations

import json
from typing import Any

from govscan.reporters import codequality
from govscan.scanner.model import Enforcement, ScanReport, Severity


def test_issues_exclude_waived_and_keep_order(report: ScanReport) -> None:
    issues = json.loads(codequality.render(report))
    assert [(i["check_name"], i["location"]["path"], i["location"]["lines"]["begin"]) for i in issues] == [
        ("ha.replicas", "stdin", 7),
        ("image.latest-tag", "charts/shop/templates/deployment.yaml", 31),
        ("image.latest-tag", "charts/shop/templates/deployment.yaml", 40),
        ("govscan.input-error", "deploy/prod/broken.yaml", 3),
        ("backup.velero-retention", "deploy/prod/rbac.yaml", 27),
        ("ha.replicas", "deploy/prod/web.yaml", 12),
        ("image.latest-tag", "deploy/prod/web.yaml", 20),
        ("ha.pdb", "deploy/prod/web.yaml", 1),  # not evaluated: listed, never a silent pass
    ]
    assert issues[-1]["severity"] == "info"
    assert issues[-1]["description"] == (
        "ha.pdb: not evaluated on apps/Deployment/shop/web: cluster returned 403 listing policy/v1 PodDisruptionBudgets"
    )
    assert all(set(i) == {"description", "check_name", "fingerprint", "severity", "location"} for i in issues)
    assert issues[0]["description"] == "ha.replicas: Deployment api runs 1 replica; production needs at least 2"


def test_fingerprints_are_the_engines_and_unique(report: ScanReport) -> None:
    issues = json.loads(codequality.render(report))
    fingerprints = [i["fingerprint"] for i in issues]
    assert len(fingerprints) == len(set(fingerprints))
    assert set(fingerprints[:-1]) == {f.fingerprint for f in report.findings if not f.waived}


def test_duplicate_fingerprints_are_disambiguated(report_factory: Any, finding_factory: Any, resources: Any) -> None:
    findings = tuple(finding_factory("ha.replicas", resources["web"], fp="abc", line=line) for line in (3, 1, 2))
    issues = json.loads(codequality.render(report_factory(findings=findings, evaluations=())))
    assert [(i["fingerprint"], i["location"]["lines"]["begin"]) for i in issues] == [
        ("abc", 1),
        ("abc:2", 2),
        ("abc:3", 3),
    ]


def test_severity_mapping(report_factory: Any, finding_factory: Any, resources: Any) -> None:
    cases = [
        (Enforcement.BLOCK, Severity.CRITICAL, "critical"),
        (Enforcement.BLOCK, Severity.HIGH, "major"),
        (Enforcement.BLOCK, Severity.LOW, "major"),
        (Enforcement.WARN, Severity.CRITICAL, "minor"),
        (Enforcement.INFO, Severity.CRITICAL, "info"),
    ]
    findings = tuple(
        finding_factory("ha.replicas", resources["web"], enforcement=e, severity=s, line=n, pointer=f"/{n}")
        for n, (e, s, _) in enumerate(cases, start=1)
    )
    issues = json.loads(codequality.render(report_factory(findings=findings, evaluations=())))
    assert [i["severity"] for i in issues] == [expected for _, _, expected in cases]


def test_deterministic(report: ScanReport) -> None:
    text = codequality.render(report)
    assert text == codequality.render(report)
    assert text.endswith("]\n")
