"""Terraform plans and Pulumi previews as inputs: detection, Resources, unknown and secret values,
tiers, locations (in the plan and, with --tf-root, in the .tf source), and the real corpus."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from govscan.scanner.config import Config, build_config
from govscan.scanner.engine import ScanRequest, scan
from govscan.scanner.loaders import content
from govscan.scanner.loaders.pulumi import terraform_type
from govscan.scanner.model import Action, Platform, ScanReport, Tier

TODAY = dt.date(2026, 11, 23)


def change(address: str, kind: str, actions: list[str], after: Any, **extra: Any) -> dict[str, Any]:
    module, _, local = address.rpartition(f"{kind}.")
    entry: dict[str, Any] = {"address": address, "mode": "managed", "type": kind, "name": local.split("[")[0]}
    if module:
        entry["module_address"] = module.rstrip(".")
    entry["provider_name"] = "registry.terraform.io/hashicorp/aws"
    entry["change"] = {"actions": actions, "before": extra.pop("before", None), "after": after, **extra}
    return entry


def plan(*changes: dict[str, Any], configuration: Any = None) -> str:
    document = {"format_version": "1.2", "terraform_version": "1.9.5", "resource_changes": list(changes)}
    if configuration is not None:
        document["configuration"] = configuration
    return json.dumps(document, indent=2) + "\n"


DB = {"identifier": "erp-prod", "engine": "postgres", "password": None, "tags": {"Environment": "staging"}}


def test_a_plan_becomes_resources_with_actions_unknowns_and_secrets() -> None:
    text = plan(
        change(
            "module.db.aws_db_instance.erp[0]",
            "aws_db_instance",
            ["delete", "create"],
            DB,
            after_unknown={"endpoint": True, "tags_all": {}},
            after_sensitive={"password": True},
        ),
        change("aws_s3_bucket.backups", "aws_s3_bucket", ["delete"], None, before={"bucket": "erp-backups"}),
        {"address": "data.aws_iam_policy_document.p", "mode": "data", "type": "aws_iam_policy_document",
         "name": "p", "change": {"actions": ["read"], "after": {}}},
        configuration={"root_module": {"resources": [
            {"address": "aws_s3_bucket_versioning.v", "expressions": {"bucket": {"references": [
                "aws_s3_bucket.backups.id", "aws_s3_bucket.backups"]}}}]}},
    )  # fmt: skip
    loaded = content.load(text, "plan.json")
    db, bucket, data = loaded.resources
    assert (db.uid, db.kind, db.name, db.namespace, db.platform) == (
        "module.db.aws_db_instance.erp[0]", "aws_db_instance", "erp[0]", "module.db", Platform.TERRAFORM,
    )  # fmt: skip
    assert db.change is not None and db.change.action is Action.REPLACE
    assert db.change.is_unknown("/endpoint") and not db.change.is_unknown("/engine")
    assert db.change.is_sensitive("/password")
    assert db.labels == {"Environment": "staging"}
    lines = text.splitlines()
    entry = next(i for i, line in enumerate(lines, 1) if '"address": "module.db.aws_db_instance.erp[0]"' in line)
    engine = next(i for i, line in enumerate(lines, 1) if '"engine": "postgres"' in line)
    assert db.source.locate("") == (entry, 7) and db.source.locate("/engine") == (engine, 11)
    assert bucket.body == {"bucket": "erp-backups"}  # a delete is judged on what it deletes
    assert bucket.change is not None and bucket.change.action is Action.DELETE
    assert data.kind == "data.aws_iam_policy_document"  # data sources are not judged as resources


def test_plan_references_come_from_the_configuration() -> None:
    config = {"root_module": {"module_calls": {"store": {"module": {"resources": [
        {"address": "aws_s3_bucket_versioning.v", "expressions": {"bucket": {"references": [
            "aws_s3_bucket.b.id", "aws_s3_bucket.b"]}, "region": {"references": ["var.region"]}}}]}}}}}  # fmt: skip
    text = plan(
        change("module.store.aws_s3_bucket_versioning.v", "aws_s3_bucket_versioning", ["create"], {}),
        configuration=config,
    )
    [versioning] = content.load(text, "plan.json").resources
    assert versioning.change is not None
    assert versioning.change.references == frozenset({"module.store.aws_s3_bucket.b"})


PREVIEW = {
    "steps": [
        {"op": "same", "urn": "urn:pulumi:prod::erp::pulumi:pulumi:Stack::erp-prod",
         "newState": {"urn": "urn:pulumi:prod::erp::pulumi:pulumi:Stack::erp-prod", "custom": False,
                      "type": "pulumi:pulumi:Stack"}},
        {"op": "create", "urn": "urn:pulumi:prod::erp::aws:rds/instance:Instance::erp-db",
         "newState": {"urn": "urn:pulumi:prod::erp::aws:rds/instance:Instance::erp-db", "custom": True,
                      "type": "aws:rds/instance:Instance",
                      "inputs": {"backupRetentionPeriod": 7, "password": "[secret]",
                                 "endpoint": "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
                                 "tags": {"CostCenter": "erp", "__defaults": []}, "__defaults": []}}},
    ]
}  # fmt: skip


def test_a_pulumi_preview_is_normalised_to_the_terraform_model() -> None:
    text = json.dumps(PREVIEW, indent=2)
    loaded = content.load(text, "preview.json")
    [db] = loaded.resources
    assert (db.kind, db.name, db.namespace, db.platform) == ("aws_db_instance", "erp-db", "prod", Platform.PULUMI)
    assert db.body == {"backup_retention_period": 7, "password": None, "endpoint": None, "tags": {"CostCenter": "erp"}}
    assert db.change is not None and db.change.is_unknown("/password") and db.change.is_sensitive("/password")
    assert db.change.is_unknown("/endpoint") and not db.change.is_sensitive("/endpoint")
    line = next(i for i, x in enumerate(text.splitlines(), 1) if "backupRetentionPeriod" in x)
    assert db.source.locate("/backup_retention_period")[0] == line  # the camelCase key in the text
    assert [s.reason for s in loaded.skipped] == ["Pulumi component pulumi:pulumi:Stack: not judged"]


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        ("aws:rds/instance:Instance", "aws_db_instance"),
        ("aws:ebs/volume:Volume", "aws_ebs_volume"),
        ("aws:eks/nodeGroup:NodeGroup", "aws_eks_node_group"),
        ("aws:ec2/securityGroup:SecurityGroup", "aws_security_group"),
        ("gcp:storage/bucket:Bucket", "google_storage_bucket"),
        ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:Deployment"),
    ],
)
def test_pulumi_type_tokens(token: str, kind: str) -> None:
    assert terraform_type(token) == kind


def _scan(tmp_path: Path, files: dict[str, str | bytes], targets: tuple[str, ...] = (".",), **kw: Any) -> ScanReport:
    for name, data in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
    request = ScanRequest(
        targets=tuple(str(tmp_path / t) for t in targets), config=kw.pop("config", Config()),
        today=TODAY, cwd=tmp_path, rule_patterns=("release.*",), **kw,
    )  # fmt: skip
    return scan(request)


def test_json_that_is_neither_is_skipped_in_a_tree_and_an_error_when_named(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {"package.json": '{"name": "x"}\n', "plan.json": plan()}
    report = _scan(tmp_path, files)
    assert [s.reason.split(" (")[0] for s in report.skipped] == [
        "JSON that is not a Kubernetes object, a Terraform plan"
    ]
    named = _scan(tmp_path, files, targets=("package.json", "plan.json"))
    [error] = [f for f in named.findings if f.rule_id == "govscan.input-error"]
    assert error.location.path == "package.json" and "Terraform plan" in error.message
    assert named.gate.exit_code == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04binary", "a binary Terraform plan: scan `terraform show -json plan.out > plan.json` instead"),
        (b'{"format_version": "2.0", "resource_changes": []}', "format_version '2.0' is not supported"),
    ],
)
def test_wrong_plan_formats_are_clear_errors(tmp_path: Path, data: bytes, message: str) -> None:
    report = _scan(tmp_path, {"plan.json": data})
    [error] = [f for f in report.findings if f.rule_id == "govscan.input-error"]
    assert message in error.message and report.gate.exit_code == 2


def test_a_utf16_plan_is_read(tmp_path: Path) -> None:
    text = plan(change("aws_s3_bucket.b", "aws_s3_bucket", ["delete"], None, before={"bucket": "b"}))
    report = _scan(tmp_path, {"plan.json": text.encode("utf-16")}, tier=Tier.PRODUCTION)
    assert [(f.rule_id, f.resource.uid) for f in report.findings] == [("release.destructive-change", "aws_s3_bucket.b")]


def _tier_of(tmp_path: Path, files: dict[str, str | bytes], **kw: Any) -> dict[str, str]:
    report = _scan(tmp_path, files, **kw)
    return {e.resource_uid: e.tier.value for e in report.evaluations if e.tier is not None}


def test_cloud_tiers_come_from_tags_workspace_stack_and_patterns(tmp_path: Path) -> None:
    bucket: dict[str, Any] = {"bucket": "x"}
    text = plan(
        change("aws_s3_bucket.tagged", "aws_s3_bucket", ["update"], {**bucket, "tags": {"env": "dev"}}),
        change("aws_s3_bucket.plain", "aws_s3_bucket", ["update"], bucket),
        change("module.sandbox.aws_s3_bucket.m", "aws_s3_bucket", ["update"], bucket),
    )
    preview = json.dumps(PREVIEW).replace("urn:pulumi:prod::", "urn:pulumi:staging::")
    config = Config(address_tiers=(("module.sandbox.*", Tier.SANDBOX),))
    tiers = _tier_of(tmp_path, {"plan.json": text, "preview.json": preview}, workspace="qa", config=config)
    assert tiers == {
        "aws_s3_bucket.tagged": "development",  # its own tag wins
        "aws_s3_bucket.plain": "qa",  # the workspace
        "module.sandbox.aws_s3_bucket.m": "qa",  # the workspace comes before address patterns
        "urn:pulumi:staging::erp::aws:rds/instance:Instance::erp-db": "staging",  # the stack
    }
    no_workspace = _tier_of(tmp_path, {"plan.json": text}, config=config)
    assert no_workspace["module.sandbox.aws_s3_bucket.m"] == "sandbox"
    assert no_workspace["aws_s3_bucket.plain"] == "production"  # the default


def test_tf_root_points_findings_at_the_resource_block(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "infra/main.tf": 'module "database" {\n  source = "./modules/db"\n}\n\nresource "aws_s3_bucket" "b" {\n}\n',
        "infra/modules/db/main.tf": (
            'variable "x" {}\n\nresource "aws_db_instance" "erp" {\n  identifier = "erp-prod"\n'
            '  engine     = "postgres"\n  tags = {\n    Environment = "production"\n  }\n}\n'
        ),
        "plan.json": plan(
            change("module.database.aws_db_instance.erp", "aws_db_instance", ["delete", "create"], DB),
            change("aws_s3_bucket.b", "aws_s3_bucket", ["delete"], None, before={"bucket": "b"}),
            configuration={"root_module": {"module_calls": {"database": {"source": "./modules/db", "module": {}}}}},
        ),
    }
    report = _scan(tmp_path, files, targets=("plan.json",), tf_root=tmp_path / "infra", tier=Tier.PRODUCTION)
    assert [(f.location.path, f.location.line) for f in report.findings] == [
        ("infra/main.tf", 5),
        ("infra/modules/db/main.tf", 3),
    ]
    without = _scan(tmp_path, files, targets=("plan.json",), tier=Tier.PRODUCTION)
    assert [(f.location.path, f.location.line) for f in without.findings] == [("plan.json", 6), ("plan.json", 29)]


CORPUS_TIER_NAMES = build_config(
    {"tiers": {"aliases": {"SB": "sandbox", "123456789123-acme-corp": "production"}}}, "corpus"
)
"""The corpus plans' own Environment tag values that name no tier: unmapped, they fail closed (exit 2)."""


def test_every_corpus_plan_and_preview_loads(corpus: Path) -> None:
    request = ScanRequest(
        targets=(str(corpus / "tf-plans"), str(corpus / "pulumi")), config=CORPUS_TIER_NAMES, today=TODAY, jobs=1
    )
    report = scan(request)
    problems = [f"{f.location.path}: {f.message}" for f in report.findings if f.rule_id.startswith("govscan.")]
    assert not problems
    by_platform = {p: sum(1 for e in report.evaluations if e.resource_uid.startswith(p)) for p in ("urn:", "aws_")}
    assert report.resources > 400 and all(by_platform.values())
    assert {s.path.rsplit("/", 1)[-1] for s in report.skipped if "JSON that is not" in s.reason} == {
        "CHECKOV_BASELINE.json"
    }


def test_a_cross_resource_rule_judges_a_resource_whose_planned_body_is_empty(tmp_path: Path) -> None:
    from govscan.scanner.model import Rule, RuleMeta, Severity, Status, enforcement_table

    def check(resource: Any, ctx: Any, options: Any) -> Any:
        return iter(())

    meta = RuleMeta(
        id="backup.test-empty", domain="backup", title="test rule", severity=Severity.LOW,
        enforcement=enforcement_table("block", "block", "block", "block", "block"), remediation="none",
        kinds=("aws_s3_bucket",), platforms=(Platform.TERRAFORM,), needs=("aws_s3_bucket_versioning",),
    )  # fmt: skip
    (tmp_path / "plan.json").write_text(
        plan(change("aws_s3_bucket.b", "aws_s3_bucket", ["create"], None, after_unknown={"id": True}))
    )
    request = ScanRequest(targets=(str(tmp_path),), config=Config(), today=TODAY, cwd=tmp_path)
    report = scan(request, [Rule(meta, check, "", "tests")])
    assert [(e.rule_id, e.status) for e in report.evaluations] == [("backup.test-empty", Status.PASS)]


def test_a_big_plan_gives_the_same_report_with_workers(tmp_path: Path) -> None:
    from govscan.scanner.engine import PARALLEL_MIN_RESOURCES

    changes = [
        change(f"aws_s3_bucket.b{i}", "aws_s3_bucket", ["delete" if i % 7 == 0 else "update"], {"bucket": f"b{i}"})
        for i in range(PARALLEL_MIN_RESOURCES)
    ]
    (tmp_path / "plan.json").write_text(plan(*changes))
    one, two = (
        scan(ScanRequest(targets=(str(tmp_path),), config=Config(), today=TODAY, cwd=tmp_path, jobs=jobs))
        for jobs in (1, 2)
    )
    assert len([f for f in one.findings if f.rule_id == "release.destructive-change"]) == 572
    assert one.findings == two.findings and one.evaluations == two.evaluations
