"""Cloud encryption and secrets rules through the engine: unknowns stay undecided, secrets stay out of reports."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from cloudplan import change, plan, statuses

from govscan import reporters
from govscan.scanner.config import Config, build_config
from govscan.scanner.engine import ScanRequest, scan
from govscan.scanner.model import ScanReport, Status, Tier

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 23)
SECRET = "Od00-Pr0d-s3cr3t!"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEplantedKeyBody4242\n-----END RSA PRIVATE KEY-----"
RULES = (
    "encryption.storage-at-rest",
    "encryption.bucket",
    "encryption.cache",
    "encryption.kms-rotation",
    "secrets.cloud-literal-password",
    "secrets.secret-rotation",
    "secrets.ssm-plain-secret",
)


def run(
    tmp_path: Path,
    document: dict[str, Any],
    tier: Tier | None = Tier.PRODUCTION,
    config: Config | None = None,
    rules: tuple[str, ...] = RULES,
) -> ScanReport:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    request = ScanRequest(
        targets=(str(path),), config=config or Config(), tier=tier, rule_patterns=rules, today=TODAY, cwd=tmp_path
    )
    return scan(request)


def bucket(address: str, name: str, inline: list[Any] | None = None) -> dict[str, Any]:
    after: dict[str, Any] = {"bucket": name, "force_destroy": False}
    unknown: dict[str, Any] = {"arn": True, "id": True}
    if inline is None:
        unknown["server_side_encryption_configuration"] = True
    else:
        after["server_side_encryption_configuration"] = inline
    return change(address, after, unknown)


def sse(address: str, bucket_name: str | None, algorithm: str) -> dict[str, Any]:
    after: dict[str, Any] = {"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": algorithm}]}]}
    if bucket_name is not None:
        after["bucket"] = bucket_name
    return change(address, after, {"id": True} if bucket_name else {"id": True, "bucket": True})


def references(*pairs: tuple[str, str]) -> dict[str, Any]:
    """A configuration block where resource `a`'s `bucket` refers to `b`."""
    resources = [
        {"address": a, "mode": "managed", "type": a.split(".")[0], "name": a.split(".")[1],
         "expressions": {"bucket": {"references": [f"{b}.id", b]}}}
        for a, b in pairs
    ]  # fmt: skip
    return {"root_module": {"resources": resources}}


# --- unknown values ---------------------------------------------------------------------------------


def test_values_unknown_until_apply_are_not_evaluated_never_a_pass(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        plan(
            change("aws_ebs_volume.odoo_scratch", {"size": 100}, {"encrypted": True, "id": True}),
            change("aws_kms_key.erp", {"description": "erp"}, {"enable_key_rotation": True, "arn": True}),
            change(
                "aws_elasticache_replication_group.odoo",
                {"at_rest_encryption_enabled": True},
                {"transit_encryption_enabled": True},
            ),
            change("aws_ssm_parameter.db", {"type": "String"}, {"name": True, "value": True}, {"value": True}),
        ),
    )
    assert statuses(report, "encryption.storage-at-rest") == {"aws_ebs_volume.odoo_scratch": Status.NOT_EVALUATED}
    assert statuses(report, "encryption.kms-rotation") == {"aws_kms_key.erp": Status.NOT_EVALUATED}
    assert statuses(report, "encryption.cache") == {"aws_elasticache_replication_group.odoo": Status.NOT_EVALUATED}
    assert statuses(report, "secrets.ssm-plain-secret") == {"aws_ssm_parameter.db": Status.NOT_EVALUATED}


def test_a_finding_on_a_known_device_survives_an_unknown_one(tmp_path: Path) -> None:
    """Known block devices are judged before an unknown one ends the evaluation."""
    instance = change(
        "aws_instance.erp_worker",
        {"ami": "ami-1", "ebs_block_device": [{"device_name": "/dev/sdf", "encrypted": False}]},
        {"root_block_device": True},
    )
    report = run(tmp_path, plan(instance), rules=("encryption.storage-at-rest",))
    assert [(f.resource.uid, f.pointer) for f in report.findings] == [
        ("aws_instance.erp_worker", "/ebs_block_device/0/encrypted")
    ]


def test_snapshot_identifier_computed_by_the_provider_does_not_hide_an_unencrypted_database(tmp_path: Path) -> None:
    db = change(
        "aws_db_instance.erp", {"identifier": "erp-prod", "storage_encrypted": False}, {"snapshot_identifier": True}
    )
    replica = change(
        "aws_db_instance.erp_replica", {"identifier": "erp-prod-replica", "storage_encrypted": False},
        {"replicate_source_db": True},
    )  # fmt: skip
    report = run(tmp_path, plan(db, replica), rules=("encryption.storage-at-rest",))
    assert statuses(report, "encryption.storage-at-rest") == {
        "aws_db_instance.erp": Status.FAIL,
        "aws_db_instance.erp_replica": Status.NOT_EVALUATED,  # a replica of a database created in the same plan
    }


# --- secrets never leave the engine -----------------------------------------------------------------


def leaky_plan() -> dict[str, Any]:
    containers = json.dumps([{"name": "odoo", "environment": [{"name": "PGPASSWORD", "value": SECRET}]}])
    return plan(
        change("aws_db_instance.erp", {"identifier": "erp-prod", "storage_encrypted": False, "password": SECRET}),
        change("aws_rds_cluster.erp", {"cluster_identifier": "erp-prod", "master_password": SECRET}),
        change("aws_elasticache_replication_group.odoo", {"auth_token": SECRET, "transit_encryption_enabled": False}),
        change("aws_ssm_parameter.admin", {"name": "/erp/prod/odoo/admin_passwd", "type": "String", "value": SECRET}),
        change(
            "aws_ssm_parameter.api", {"name": "/erp/prod/stripe_api_key", "type": "String", "insecure_value": SECRET}
        ),
        change("aws_lambda_function.export", {"environment": [{"variables": {"SMTP_PASSWORD": SECRET}}]}),
        change("aws_ecs_task_definition.odoo", {"family": "odoo", "container_definitions": containers}),
        change("aws_instance.bastion", {"ami": "ami-1", "user_data_base64": PEM, "root_block_device": []}),
        change("aws_secretsmanager_secret_version.erp", {"secret_string": json.dumps({"password": SECRET})}),
        fmt="0.1",
    )


def test_no_secret_value_appears_in_any_message_or_report(tmp_path: Path) -> None:
    report = run(tmp_path, leaky_plan())
    literal = {f.resource.uid for f in report.findings if f.rule_id == "secrets.cloud-literal-password"}
    assert literal == {
        "aws_db_instance.erp",
        "aws_rds_cluster.erp",
        "aws_elasticache_replication_group.odoo",
        "aws_ssm_parameter.admin",
        "aws_ssm_parameter.api",
        "aws_lambda_function.export",
        "aws_ecs_task_definition.odoo",
        "aws_instance.bastion",
        "aws_secretsmanager_secret_version.erp",
    }
    assert {f.resource.uid for f in report.findings if f.rule_id == "secrets.ssm-plain-secret"} == {
        "aws_ssm_parameter.admin",
        "aws_ssm_parameter.api",
    }
    needles = (SECRET, "plantedKeyBody4242")
    for finding in report.findings:
        for needle in needles:
            assert needle not in finding.message, f"{finding.rule_id} leaks a value: {finding.message}"
            assert needle not in finding.remediation and needle not in finding.title
    for fmt in ("json", "sarif", "junit", "codequality", "table"):
        rendered = reporters.render(fmt, report)
        for needle in needles:
            assert needle not in rendered, f"{fmt} output contains a planted secret value"


def test_no_secret_in_messages_over_the_fixtures() -> None:
    for folder in ("cloud-literal-password", "ssm-plain-secret"):
        for path in sorted((ROOT / "fixtures" / "secrets" / folder).glob("*.json")):
            values = {
                "Od00-Prod-Db-2024!",
                "s3ssion-t0ken-for-odoo-prod-redis",
                "Adm1n-Odoo-Prod",
                "mg-4f1e9b2c7a5d3e8f",
            }
            request = ScanRequest(targets=(str(path),), config=Config(), tier=Tier.PRODUCTION, today=TODAY, cwd=ROOT)
            for finding in scan(request).findings:
                assert not any(v in finding.message for v in values), (path.name, finding.message)


def test_values_the_plan_masks_or_knows_only_after_apply_pass(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        plan(
            change("aws_db_instance.erp", {"identifier": "erp-prod", "password": SECRET}, sensitive={"password": True}),
            change("aws_db_instance.reporting", {"identifier": "erp-reporting"}, {"password": True}),
            change(
                "aws_ssm_parameter.ref",
                {
                    "name": "/erp/prod/db_password_arn",
                    "type": "String",
                    "value": "arn:aws:secretsmanager:eu-central-1:1:secret:erp-db",
                },
            ),
            change("aws_kms_key.erp", {"customer_master_key_spec": "SYMMETRIC_DEFAULT", "enable_key_rotation": True}),
        ),  # fmt: skip
        rules=("secrets.cloud-literal-password", "secrets.ssm-plain-secret"),
    )
    assert not report.findings, [f.message for f in report.findings]
    assert set(statuses(report, "secrets.cloud-literal-password").values()) == {Status.PASS}


def test_settings_with_secret_looking_names_are_not_secrets(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        plan(
            change("aws_kms_key.erp", {"customer_master_key_spec": "SYMMETRIC_DEFAULT", "enable_key_rotation": True}),
            change("aws_efs_file_system.sessions", {"creation_token": "odoo-sessions", "encrypted": True}),
            change("aws_instance.win", {"ami": "ami-1", "password_data": "", "get_password_data": False}),
            change("aws_apigatewayv2_api.erp", {"api_key_selection_expression": "$request.header.x-api-key"}),
            change("aws_codebuild_project.erp", {"encryption_key": "alias/aws/s3"}),
            fmt="0.1",
        ),
        rules=("secrets.cloud-literal-password",),
    )
    assert not report.findings, [f.message for f in report.findings]


@pytest.mark.parametrize(
    ("name", "description", "expected"),
    [
        ("/erp/prod/odoo/admin_passwd", "", Status.FAIL),
        ("/erp/prod/payments/stripe-api-key", "", Status.FAIL),
        ("/erp/prod/mail/smtp", "SMTP relay password for Odoo outgoing mail", Status.FAIL),
        ("/erp/prod/odoo/password_length", "", Status.PASS),
        ("/erp/prod/odoo/min_length", "Minimum password length for Odoo users", Status.PASS),
        ("/erp/prod/odoo/workers", "", Status.PASS),
    ],
)
def test_ssm_parameter_secret_by_name_or_description(
    tmp_path: Path, name: str, description: str, expected: Status
) -> None:
    parameter = change("aws_ssm_parameter.p", {"name": name, "description": description, "type": "String"})
    report = run(tmp_path, plan(parameter), rules=("secrets.ssm-plain-secret",))
    assert statuses(report, "secrets.ssm-plain-secret") == {"aws_ssm_parameter.p": expected}


def test_pulumi_secret_passes_and_a_literal_fails(tmp_path: Path) -> None:
    path = ROOT / "fixtures" / "secrets" / "cloud-literal-password" / "fail-pulumi-literals.json"
    request = ScanRequest(targets=(str(path),), config=Config(), today=TODAY, cwd=ROOT)
    found = statuses(scan(request), "secrets.cloud-literal-password")
    prefix = "urn:pulumi:prod::erp-infra::"
    assert found[prefix + "aws:rds/instance:Instance::erp-db"] is Status.FAIL
    assert found[prefix + "aws:rds/instance:Instance::erp-reporting"] is Status.PASS
    assert found[prefix + "aws:ssm/parameter:Parameter::odoo-admin"] is Status.PASS


# --- buckets ----------------------------------------------------------------------------------------


def test_bucket_requires_kms_only_in_kms_tiers(tmp_path: Path) -> None:
    document = plan(
        bucket("aws_s3_bucket.backups", "erp-backups"),
        sse("aws_s3_bucket_server_side_encryption_configuration.backups", None, "AES256"),
        configuration=references(
            ("aws_s3_bucket_server_side_encryption_configuration.backups", "aws_s3_bucket.backups")
        ),
    )
    rule = ("encryption.bucket",)
    assert statuses(run(tmp_path, document, Tier.PRODUCTION, rules=rule), rule[0]) == {
        "aws_s3_bucket.backups": Status.FAIL
    }
    assert statuses(run(tmp_path, document, Tier.STAGING, rules=rule), rule[0]) == {
        "aws_s3_bucket.backups": Status.PASS
    }
    config = build_config({"rules": {"encryption.bucket": {"options": {"kms_tiers": ["production", "stg"]}}}}, "t")
    assert statuses(run(tmp_path, document, Tier.STAGING, config, rules=rule), rule[0]) == {
        "aws_s3_bucket.backups": Status.FAIL
    }


def test_accept_aws_default_false_asks_every_bucket_to_declare_encryption(tmp_path: Path) -> None:
    document = plan(
        bucket("aws_s3_bucket.bare", "erp-staging-bare"),
        bucket("aws_s3_bucket.declared", "erp-staging-declared"),
        sse("aws_s3_bucket_server_side_encryption_configuration.declared", "erp-staging-declared", "AES256"),
    )
    config = build_config({"rules": {"encryption.bucket": {"options": {"accept_aws_default": False}}}}, "t")
    report = run(tmp_path, document, Tier.STAGING, config, rules=("encryption.bucket",))
    assert statuses(report, "encryption.bucket") == {
        "aws_s3_bucket.bare": Status.FAIL,
        "aws_s3_bucket.declared": Status.PASS,  # attached by its `bucket` name, no reference needed
    }


def test_attached_configuration_decides_over_an_unknown_inline_block(tmp_path: Path) -> None:
    """trivy's s3_sse_sg_plan shape: inline block unknown, a separate configuration refers to the bucket."""
    document = plan(
        bucket("aws_s3_bucket.planbucket", "tfsec-plan-testing"),
        sse("aws_s3_bucket_server_side_encryption_configuration.example", None, "aws:kms"),
        configuration=references(
            ("aws_s3_bucket_server_side_encryption_configuration.example", "aws_s3_bucket.planbucket")
        ),
    )
    report = run(tmp_path, document, rules=("encryption.bucket",))
    assert statuses(report, "encryption.bucket") == {"aws_s3_bucket.planbucket": Status.PASS}


def test_a_configuration_in_another_plan_does_not_encrypt_this_bucket(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "plan.json").write_text(json.dumps(plan(bucket("aws_s3_bucket.logs", "erp-logs-a"))))
    other = plan(
        bucket("aws_s3_bucket.logs", "erp-logs-b"),
        sse("aws_s3_bucket_server_side_encryption_configuration.logs", None, "aws:kms"),
        configuration=references(("aws_s3_bucket_server_side_encryption_configuration.logs", "aws_s3_bucket.logs")),
    )
    (tmp_path / "b" / "plan.json").write_text(json.dumps(other))
    request = ScanRequest(
        targets=(str(tmp_path / "a"), str(tmp_path / "b")), config=Config(), tier=Tier.PRODUCTION,
        rule_patterns=("encryption.bucket",), today=TODAY, cwd=tmp_path,
    )  # fmt: skip
    evaluations = sorted(e.status.value for e in scan(request).evaluations if e.rule_id == "encryption.bucket")
    assert evaluations == ["fail", "pass"]


# --- keys and deletes -------------------------------------------------------------------------------


def test_keys_that_cannot_rotate_pass(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        plan(
            change("aws_kms_key.signing", {"customer_master_key_spec": "RSA_4096", "enable_key_rotation": False}),
            change("aws_kms_key.hsm", {"custom_key_store_id": "cks-1234567890abcdef0", "enable_key_rotation": False}),
            change("aws_kms_key.data", {"customer_master_key_spec": "SYMMETRIC_DEFAULT", "enable_key_rotation": False}),
        ),
        rules=("encryption.kms-rotation",),
    )
    assert statuses(report, "encryption.kms-rotation") == {
        "aws_kms_key.signing": Status.PASS,
        "aws_kms_key.hsm": Status.PASS,
        "aws_kms_key.data": Status.FAIL,
    }


def test_deleted_resources_are_release_destructive_change_business(tmp_path: Path) -> None:
    before = {"identifier": "erp-old", "storage_encrypted": False, "password": SECRET}
    report = run(tmp_path, plan(change("aws_db_instance.old", None, actions=("delete",), before=before), fmt="0.1"))
    assert not report.findings


# --- corpus -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan_file", "rule_id", "expected"),
    [
        ("terraform-compliance/test_s3_encryption_failure.plan.json", "encryption.bucket", {"aws_s3_bucket.fail": "fail"}),
        ("terraform-compliance/test_s3_encryption_success.plan.json", "encryption.bucket", {"aws_s3_bucket.fail": "pass"}),
        ("trivy/s3_sse_sg_plan.json", "encryption.bucket", {"aws_s3_bucket.planbucket": "fail"}),  # AES256
        ("terraform-compliance/test_kms_key_rotation_failure.plan.json", "encryption.kms-rotation",
         {"aws_kms_key.test-fail-key": "fail"}),
        ("terraform-compliance/test_kms_key_rotation_success.plan.json", "encryption.kms-rotation",
         {"aws_kms_key.test-key": "pass"}),
        ("terraform-compliance/test_issue_401.plan.json", "encryption.storage-at-rest", {"aws_db_instance.default": "fail"}),
        ("terraform-compliance/test_issue_401.plan.json", "secrets.cloud-literal-password",
         {"aws_db_instance.default": "fail"}),
        ("checkov/plan_with_deleted_resources.json", "secrets.secret-rotation",
         {"aws_secretsmanager_secret.default": "fail"}),
    ],
)  # fmt: skip
def test_corpus_reference_cases(corpus: Path, plan_file: str, rule_id: str, expected: dict[str, str]) -> None:
    path = corpus / "tf-plans" / plan_file
    request = ScanRequest(
        targets=(str(path),), config=Config(), tier=Tier.PRODUCTION, rule_patterns=(rule_id,), today=TODAY, cwd=corpus
    )
    report = scan(request)
    assert {uid: status.value for uid, status in statuses(report, rule_id).items()} == expected
    assert not [f for f in report.findings if f.rule_id == "govscan.rule-error"]
