"""The cloud rule pack on real plans and previews (../shared/corpus): findings a reviewer checked by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from govscan.scanner.config import build_config
from govscan.scanner.engine import ScanRequest, scan
from govscan.scanner.model import ScanReport, Status

TODAY = dt.date(2026, 11, 23)

FAILS = [
    ("terraform-compliance/test_issue-120.plan.json", "backup.db-retention", "aws_rds_cluster.default"),
    ("terraform-compliance/test_issue-120.plan.json", "ha.aurora-instances", "aws_rds_cluster.default"),
    ("terraform-compliance/test_s3_encryption_failure.plan.json", "encryption.bucket", "aws_s3_bucket.fail"),
    ("terraform-compliance/test_kms_key_rotation_failure.plan.json", "encryption.kms-rotation", "aws_kms_key.test-fail-key"),
    ("terraform-compliance/test_issue_400.plan.json", "network.sg-open-db-ports", "aws_security_group_rule.example_rule_22"),
    ("terraform-compliance/test_issue_401.plan.json", "network.db-public", "aws_db_instance.default"),
    ("checkov/plan_with_iam_policies.json", "rbac.iam-wildcard", "aws_iam_role_policy.fail_1"),
    ("checkov/plan_with_iam_policies.json", "rbac.iam-passrole", "aws_iam_group_policy.fail_2"),
    ("checkov/runner_plan_55_resources.json", "rbac.iam-user-access-key", "aws_iam_access_key.user"),
    ("checkov/runner_plan_55_resources.json", "ha.db-multi-az", "aws_db_instance.default"),
    ("checkov/plan_with_deleted_resources.json", "secrets.secret-rotation", "aws_secretsmanager_secret.default"),
    ("checkov/plan_with_for_each.json", "network.sg-open-db-ports", 'module.sg["bad_example"].aws_security_group.bad'),
    ("trivy/s3_sse_sg_plan.json", "encryption.bucket", "aws_s3_bucket.planbucket"),
]  # fmt: skip

PASSES = [
    ("terraform-compliance/test_s3_encryption_success.plan.json", "encryption.bucket"),
    ("terraform-compliance/test_kms_key_rotation_success.plan.json", "encryption.kms-rotation"),
    ("terraform-compliance/test_multi-module-referencing.plan.json", "network.bucket-public-access-block"),
    ("terraform-compliance/test_issue-234-ingress.plan.json", "network.sg-open-db-ports"),
    ("terraform-compliance/test_issue-177.plan.json", "rbac.iam-wildcard"),
]


@pytest.fixture(scope="module")
def report(corpus: Path) -> ScanReport:
    # the corpus's own Environment tag values (SB, an account id) name no tier: mapped, or they fail closed
    config = build_config({"tiers": {"aliases": {"SB": "sandbox", "123456789123-acme-corp": "production"}}}, "corpus")
    request = ScanRequest(
        targets=(str(corpus / "tf-plans"), str(corpus / "pulumi")), config=config, today=TODAY, jobs=1
    )
    return scan(request)


def _at(report: ScanReport, file: str) -> list[tuple[str, str]]:
    return [(f.rule_id, f.resource.uid) for f in report.findings if f.location.path.endswith(file)]


@pytest.mark.parametrize(("file", "rule", "resource"), FAILS, ids=lambda v: str(v).rsplit("/", 1)[-1])
def test_known_problems_are_found(report: ScanReport, file: str, rule: str, resource: str) -> None:
    assert (rule, resource) in _at(report, file)


@pytest.mark.parametrize(("file", "rule"), PASSES, ids=lambda v: str(v).rsplit("/", 1)[-1])
def test_known_good_plans_pass(report: ScanReport, file: str, rule: str) -> None:
    assert not [f for f, _ in _at(report, file) if f == rule]


def test_the_pack_runs_cleanly_on_every_plan_and_preview(report: ScanReport) -> None:
    assert not [f.message for f in report.findings if f.rule_id.startswith("govscan.")]
    statuses = {e.status for e in report.evaluations}
    assert {Status.PASS, Status.FAIL, Status.NOT_EVALUATED} <= statuses  # unknown values are not passes
    pulumi = [f for f in report.findings if f.resource.uid.startswith("urn:pulumi:")]
    assert {f.rule_id for f in pulumi} >= {"secrets.cloud-literal-password", "encryption.storage-at-rest"}
    assert all("***" in f.message or "=" not in f.message for f in report.findings if f.domain == "secrets")
