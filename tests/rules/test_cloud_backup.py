"""Cloud backup rules through the engine: unknown values stay undecided, secrets stay out of messages."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from cloudplan import change, plan, statuses

from govscan.scanner.config import Config, build_config
from govscan.scanner.engine import ScanRequest, scan
from govscan.scanner.model import ScanReport, Status, Tier

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "backup"
TODAY = dt.date(2026, 11, 23)
CLOUD_RULES = (
    "backup.db-retention",
    "backup.db-deletion-protection",
    "backup.final-snapshot",
    "backup.bucket-versioning",
    "backup.bucket-object-lock",
    "backup.bucket-lifecycle",
    "backup.bucket-replication",
    "backup.aws-backup-retention",
    "backup.dynamodb-pitr",
)
SECRET = "Od00-Pr0d-s3cr3t!"


def run(
    tmp_path: Path, document: dict[str, Any], tier: Tier | None = Tier.PRODUCTION, config: Config | None = None
) -> ScanReport:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    request = ScanRequest(
        targets=(str(path),),
        config=config or Config(),
        tier=tier,
        rule_patterns=("backup.*",),
        today=TODAY,
        cwd=tmp_path,
    )
    return scan(request)


def test_retention_unknown_until_apply_is_not_evaluated_never_a_pass(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        plan(
            change(
                "aws_db_instance.erp",
                {"identifier": "erp-prod", "engine": "postgres", "deletion_protection": True},
                unknown={"backup_retention_period": True, "id": True},
            )
        ),
    )
    assert statuses(report, "backup.db-retention") == {"aws_db_instance.erp": Status.NOT_EVALUATED}
    assert not [f for f in report.findings if f.rule_id == "backup.db-retention"]


def test_inline_versioning_unknown_without_a_versioning_resource_is_not_evaluated(tmp_path: Path) -> None:
    bucket = change("aws_s3_bucket.backups", {"bucket": "erp-backups"}, unknown={"versioning": True, "id": True})
    report = run(tmp_path, plan(bucket))
    assert statuses(report, "backup.bucket-versioning")["aws_s3_bucket.backups"] is Status.NOT_EVALUATED


def test_versioning_resource_decides_when_the_inline_block_is_unknown(tmp_path: Path) -> None:
    document = plan(
        change("aws_s3_bucket.backups", {"bucket": "erp-backups"}, unknown={"versioning": True, "id": True}),
        change(
            "aws_s3_bucket_versioning.backups",
            {"bucket": "erp-backups", "versioning_configuration": [{"status": "Enabled"}]},
        ),
    )
    report = run(tmp_path, document)
    assert statuses(report, "backup.bucket-versioning")["aws_s3_bucket.backups"] is Status.PASS


def test_no_secret_value_appears_in_any_message(tmp_path: Path) -> None:
    tags = {"Environment": "production"}
    document = plan(
        change(
            "aws_rds_cluster.erp",
            {
                "cluster_identifier": "erp-prod",
                "backup_retention_period": 5,
                "master_password": SECRET,
                "master_username": "odoo",
                "skip_final_snapshot": True,
                "tags": tags,
            },
            sensitive={"master_password": True},
        ),
        change(
            "aws_db_instance.erp",
            {"identifier": "erp-prod-db", "backup_retention_period": 0, "password": SECRET, "tags": tags},
            sensitive={"password": True},
        ),
        change(
            "aws_s3_bucket.backups",
            {"bucket": "erp-backups", "versioning": [{"enabled": False}], "lifecycle_rule": [], "tags": tags},
        ),
        change(
            "aws_s3_bucket_replication_configuration.backups",
            {"bucket": "erp-backups", "token": SECRET, "rule": [{"id": "dr", "status": "Disabled"}]},
            sensitive={"token": True},
        ),
    )
    report = run(tmp_path, document)
    assert {f.rule_id for f in report.findings} >= {
        "backup.db-retention",
        "backup.db-deletion-protection",
        "backup.final-snapshot",
        "backup.bucket-versioning",
        "backup.bucket-replication",
    }
    for finding in report.findings:
        assert SECRET not in finding.message and SECRET not in finding.remediation, finding.message


def test_no_secret_in_messages_over_the_fixtures() -> None:
    """Pulumi secrets never reach a rule; Terraform sensitive values are never quoted."""
    request = ScanRequest(
        targets=tuple(str(FIXTURES / name.split(".", 1)[1]) for name in CLOUD_RULES),
        config=Config(),
        rule_patterns=CLOUD_RULES,
        today=TODAY,
        cwd=ROOT,
    )
    report = scan(request)
    assert report.findings
    assert not [f for f in report.findings if f.rule_id.startswith("govscan.")]
    for finding in report.findings:
        assert "[secret]" not in finding.message and "4dabf18193072939515e22adb298388d" not in finding.message


def test_deleted_bucket_is_release_destructive_change_business(tmp_path: Path) -> None:
    bucket = change("aws_s3_bucket.backups", {"bucket": "erp-backups"}, actions=("delete",))
    report = run(tmp_path, plan(bucket))
    assert not [f for f in report.findings if f.rule_id in CLOUD_RULES]


def test_min_days_is_configurable_per_tier(tmp_path: Path) -> None:
    document = plan(change("aws_db_instance.erp", {"identifier": "erp-prod", "backup_retention_period": 14}))
    assert [f.rule_id for f in run(tmp_path, document).findings if f.rule_id == "backup.db-retention"]
    config = build_config(
        {"rules": {"backup.db-retention": {"options": {"min_days": {"production": 14}}}}}, ".govscan.yaml"
    )
    report = run(tmp_path, document, config=config)
    assert statuses(report, "backup.db-retention") == {"aws_db_instance.erp": Status.PASS}


def test_same_address_in_another_plan_does_not_configure_the_bucket(tmp_path: Path) -> None:
    """Two plans scanned together reuse addresses: a reference only attaches within its own file."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    bucket = change("aws_s3_bucket.backups", {"bucket": "erp-backups-a"}, unknown={"versioning": True})
    versioned = plan(
        change("aws_s3_bucket.backups", {"bucket": "erp-backups-b"}),
        change("aws_s3_bucket_versioning.backups", {"versioning_configuration": [{"status": "Enabled"}]}),
    )
    versioned["configuration"] = {
        "root_module": {
            "resources": [
                {
                    "address": "aws_s3_bucket_versioning.backups",
                    "expressions": {"bucket": {"references": ["aws_s3_bucket.backups.id", "aws_s3_bucket.backups"]}},
                }
            ]
        }
    }
    (tmp_path / "a" / "plan.json").write_text(json.dumps(plan(bucket)))
    (tmp_path / "b" / "plan.json").write_text(json.dumps(versioned))
    request = ScanRequest(
        targets=(str(tmp_path / "a"), str(tmp_path / "b")),
        config=Config(),
        tier=Tier.PRODUCTION,
        rule_patterns=("backup.bucket-versioning",),
        today=TODAY,
        cwd=tmp_path,
    )
    evaluations = [e for e in scan(request).evaluations if e.rule_id == "backup.bucket-versioning"]
    assert sorted(e.status.value for e in evaluations) == ["not-evaluated", "pass"]


def test_corpus_aurora_cluster_with_five_days_fails_retention_in_production(corpus: Path) -> None:
    path = corpus / "tf-plans" / "terraform-compliance" / "test_issue-120.plan.json"
    request = ScanRequest(
        targets=(str(path),),
        config=Config(),
        tier=Tier.PRODUCTION,
        rule_patterns=("backup.db-retention",),
        today=TODAY,
        cwd=corpus,
    )
    report = scan(request)
    findings = [f for f in report.findings if f.rule_id == "backup.db-retention"]
    assert [(f.resource.uid, f.pointer) for f in findings] == [("aws_rds_cluster.default", "/backup_retention_period")]
    assert "5 day(s)" in findings[0].message
    assert "bar" not in findings[0].message  # the plan's master_password, not marked sensitive in format 0.1


@pytest.mark.parametrize(("tier", "expected"), [(Tier.STAGING, Status.FAIL), (Tier.DEVELOPMENT, Status.PASS)])
def test_corpus_cluster_retention_per_tier(corpus: Path, tier: Tier, expected: Status) -> None:
    """Five days: short of staging's 7, enough for development's 1."""
    path = corpus / "tf-plans" / "terraform-compliance" / "test_issue-120.plan.json"
    request = ScanRequest(
        targets=(str(path),),
        config=Config(),
        tier=tier,
        rule_patterns=("backup.db-retention",),
        today=TODAY,
        cwd=corpus,
    )
    assert statuses(scan(request), "backup.db-retention") == {"aws_rds_cluster.default": expected}
