"""Cloud ha and quotas rules through the engine: unknown values are never a pass, secrets never reach a
message, Aurora instances are matched to their cluster, sizes rank as AWS names them, tag spellings."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from govscan.rules.quotas.cost_tags import normalise
from govscan.rules.quotas.instance_class_cap import size_of, size_rank
from govscan.scanner.config import Config, build_config
from govscan.scanner.engine import ScanRequest, scan
from govscan.scanner.model import ScanReport, Status, Tier

TODAY = dt.date(2026, 11, 23)
ROOT = Path(__file__).resolve().parents[2]
MINE = (
    "ha.db-multi-az",
    "ha.aurora-instances",
    "ha.cache-failover",
    "ha.node-group-zones",
    "quotas.instance-class-cap",
    "quotas.cost-tags",
)
AWS = "registry.terraform.io/hashicorp/aws"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def change(address: str, after: Any, actions: tuple[str, ...] = ("create",), **extra: Any) -> dict[str, Any]:
    module, _, local = address.rpartition("aws_")
    kind, name = ("aws_" + local).split(".", 1)
    entry: dict[str, Any] = {"address": address, "mode": "managed", "type": kind, "name": name.split("[")[0]}
    if module:
        entry["module_address"] = module.rstrip(".")
    entry["provider_name"] = AWS
    entry["change"] = {
        "actions": list(actions),
        "before": extra.pop("before", None),
        "after": after,
        "after_unknown": extra.pop("after_unknown", {}),
        "after_sensitive": extra.pop("after_sensitive", {}),
    }
    return entry


def run(tmp_path: Path, document: dict[str, Any], tier: Tier | None = Tier.PRODUCTION, config: Config | None = None,
        name: str = "plan.json") -> ScanReport:  # fmt: skip
    path = tmp_path / name
    path.write_text(json.dumps(document, indent=2) + "\n")
    request = ScanRequest(
        targets=(str(path),), config=config or Config(), tier=tier, today=TODAY, cwd=tmp_path, rule_patterns=MINE
    )
    return scan(request)


def plan(*changes: dict[str, Any], configuration: Any = None) -> dict[str, Any]:
    document: dict[str, Any] = {"format_version": "1.2", "terraform_version": "1.9.5", "resource_changes": changes}
    if configuration is not None:
        document["configuration"] = configuration
    return document


def status(report: ScanReport, rule: str, uid: str) -> Status:
    found = [e.status for e in report.evaluations if e.rule_id == rule and e.resource_uid == uid]
    assert len(found) == 1, (rule, uid, report.evaluations)
    return found[0]


def messages(report: ScanReport, rule: str) -> list[str]:
    return [f.message for f in report.findings if f.rule_id == rule]


def no_errors(report: ScanReport) -> None:
    assert not [f for f in report.findings if f.rule_id.startswith("govscan.")], report.findings


# --- unknown until apply: not-evaluated, never a pass -------------------------------------------------------


def test_multi_az_known_only_after_apply_is_not_evaluated(tmp_path: Path) -> None:
    report = run(tmp_path, plan(
        change("module.erp_db.aws_db_instance.main", {"identifier": "erp-prod", "engine": "postgres"},
               after_unknown={"multi_az": True, "id": True}),
        change("aws_db_instance.other", {"identifier": "erp-prod-b", "engine": "postgres", "multi_az": False}),
    ))  # fmt: skip
    no_errors(report)
    assert status(report, "ha.db-multi-az", "module.erp_db.aws_db_instance.main") is Status.NOT_EVALUATED
    assert status(report, "ha.db-multi-az", "aws_db_instance.other") is Status.FAIL


def test_node_group_min_size_known_only_after_apply_is_not_evaluated(tmp_path: Path) -> None:
    body = {"node_group_name": "odoo", "scaling_config": [{"max_size": 4}], "subnet_ids": [None, None]}
    report = run(tmp_path, plan(
        change("aws_eks_node_group.odoo", body,
               after_unknown={"scaling_config": [{"min_size": True}], "subnet_ids": [True, True]}),
    ))  # fmt: skip
    no_errors(report)
    assert status(report, "ha.node-group-zones", "aws_eks_node_group.odoo") is Status.NOT_EVALUATED


def test_whole_subnet_list_unknown_is_not_evaluated_but_unknown_members_count(tmp_path: Path) -> None:
    config = {"max_size": 4, "min_size": 2}
    report = run(tmp_path, plan(
        change("aws_eks_node_group.whole", {"scaling_config": [config]}, after_unknown={"subnet_ids": True}),
        change("aws_eks_node_group.members", {"scaling_config": [config], "subnet_ids": [None, None]},
               after_unknown={"subnet_ids": [True, True]}),
    ))  # fmt: skip
    assert status(report, "ha.node-group-zones", "aws_eks_node_group.whole") is Status.NOT_EVALUATED
    assert status(report, "ha.node-group-zones", "aws_eks_node_group.members") is Status.PASS


def test_a_known_shortfall_is_reported_even_when_another_value_is_unknown(tmp_path: Path) -> None:
    report = run(tmp_path, plan(
        change("aws_autoscaling_group.workers", {"name": "workers", "min_size": 1, "max_size": 3},
               after_unknown={"vpc_zone_identifier": True, "availability_zones": True}),
        change("aws_eks_node_group.odoo", {"scaling_config": [{"max_size": 4}], "subnet_ids": ["subnet-0a1b2c3d"]},
               after_unknown={"scaling_config": [{"min_size": True}]}),
    ))  # fmt: skip
    rule = "ha.node-group-zones"
    assert status(report, rule, "aws_autoscaling_group.workers") is Status.FAIL
    assert status(report, rule, "aws_eks_node_group.odoo") is Status.FAIL
    assert sorted(m.split(" ")[-1] for m in messages(report, rule)) == ["fail", "nodes"]


def test_cache_replica_count_unknown_is_not_evaluated_but_a_known_flag_still_fails(tmp_path: Path) -> None:
    group = {"replication_group_id": "erp-sessions", "engine": "redis", "automatic_failover_enabled": True}
    report = run(tmp_path, plan(
        change("aws_elasticache_replication_group.unknown", {**group, "multi_az_enabled": True},
               after_unknown={"num_cache_clusters": True, "num_node_groups": True}),
        change("aws_elasticache_replication_group.known_bad", {**group, "multi_az_enabled": False},
               after_unknown={"num_cache_clusters": True, "num_node_groups": True}),
    ))  # fmt: skip
    rule = "ha.cache-failover"
    assert status(report, rule, "aws_elasticache_replication_group.unknown") is Status.NOT_EVALUATED
    assert status(report, rule, "aws_elasticache_replication_group.known_bad") is Status.FAIL


def test_instance_class_unknown_is_not_evaluated_and_pulumi_unknown_list_member_too(tmp_path: Path) -> None:
    report = run(tmp_path, plan(
        change("aws_instance.worker", {"ami": "ami-0a5b7c3e1f2d4a6b8"}, after_unknown={"instance_type": True}),
    ), tier=Tier.DEVELOPMENT)  # fmt: skip
    assert status(report, "quotas.instance-class-cap", "aws_instance.worker") is Status.NOT_EVALUATED
    urn = "urn:pulumi:dev::erp::aws:eks/nodeGroup:NodeGroup::odoo"
    preview: dict[str, Any] = {"steps": [{"op": "create", "urn": urn, "newState": {
        "urn": urn, "custom": True, "type": "aws:eks/nodeGroup:NodeGroup",
        "inputs": {"clusterName": "erp-dev", "instanceTypes": ["t3.large", UNKNOWN]}}}]}  # fmt: skip
    report = run(tmp_path, preview, tier=None, name="preview.json")
    assert status(report, "quotas.instance-class-cap", urn) is Status.NOT_EVALUATED
    big = {**preview["steps"][0]["newState"], "inputs": {"instanceTypes": ["m6i.8xlarge", UNKNOWN]}}
    report = run(tmp_path, {"steps": [{"op": "create", "urn": urn, "newState": big}]}, tier=None, name="p2.json")
    assert status(report, "quotas.instance-class-cap", urn) is Status.FAIL  # the known member decides


def test_a_tag_map_known_only_after_apply_is_not_evaluated_unless_known_tags_suffice(tmp_path: Path) -> None:
    tags = {"Owner": "erp-team", "CostCenter": "CC-4711"}
    report = run(tmp_path, plan(
        change("aws_s3_bucket.unknown", {"bucket": "erp-backups", "tags": None}, after_unknown={"tags_all": True}),
        change("aws_s3_bucket.enough", {"bucket": "odoo-filestore", "tags": tags}, after_unknown={"tags_all": True}),
    ))  # fmt: skip
    assert status(report, "quotas.cost-tags", "aws_s3_bucket.unknown") is Status.NOT_EVALUATED
    assert status(report, "quotas.cost-tags", "aws_s3_bucket.enough") is Status.PASS


# --- Aurora: instances matched by reference, dependency or identifier --------------------------------------


def aurora(cluster_id: str | None = "erp-prod-aurora") -> dict[str, Any]:
    return {"cluster_identifier": cluster_id, "engine": "aurora-postgresql", "engine_mode": "provisioned"}


REFS = {"root_module": {"resources": [{"address": "aws_rds_cluster_instance.erp", "expressions": {
    "cluster_identifier": {"references": ["aws_rds_cluster.erp.id", "aws_rds_cluster.erp"]}}}]}}  # fmt: skip


def test_aurora_counts_count_indices_by_reference_and_ignores_instances_of_other_clusters(tmp_path: Path) -> None:
    report = run(tmp_path, plan(
        change("aws_rds_cluster.erp", aurora(), after_unknown={"id": True}),
        change("aws_rds_cluster_instance.erp[0]", {"identifier": "erp-0"}, after_unknown={"cluster_identifier": True}),
        change("aws_rds_cluster_instance.erp[1]", {"identifier": "erp-1"}, after_unknown={"cluster_identifier": True}),
        change("aws_rds_cluster.reporting", aurora("erp-reporting")),
        change("aws_rds_cluster_instance.other", {"identifier": "x-0", "cluster_identifier": "someone-elses"}),
        configuration=REFS,
    ))  # fmt: skip
    no_errors(report)
    assert status(report, "ha.aurora-instances", "aws_rds_cluster.erp") is Status.PASS
    assert status(report, "ha.aurora-instances", "aws_rds_cluster.reporting") is Status.FAIL
    assert "has 0 instance(s)" in messages(report, "ha.aurora-instances")[0]


def test_aurora_with_an_unattributable_instance_is_not_evaluated(tmp_path: Path) -> None:
    # the instance's cluster_identifier comes from a module output: unknown, and no reference to the cluster
    report = run(tmp_path, plan(
        change("module.db.aws_rds_cluster.erp", aurora()),
        change("module.readers.aws_rds_cluster_instance.r[0]", {"identifier": "r-0"},
               after_unknown={"cluster_identifier": True}),
    ))  # fmt: skip
    assert status(report, "ha.aurora-instances", "module.db.aws_rds_cluster.erp") is Status.NOT_EVALUATED


def test_aurora_instances_matched_by_known_identifier_and_deleted_ones_do_not_count(tmp_path: Path) -> None:
    member = {"cluster_identifier": "erp-prod-aurora"}
    report = run(tmp_path, plan(
        change("aws_rds_cluster.erp", {**aurora(), "id": "erp-prod-aurora"}, ("no-op",)),
        change("aws_rds_cluster_instance.a", {**member, "identifier": "a"}, ("no-op",)),
        change("aws_rds_cluster_instance.b", None, ("delete",), before={**member, "identifier": "b"}),
    ))  # fmt: skip
    assert status(report, "ha.aurora-instances", "aws_rds_cluster.erp") is Status.FAIL
    assert "1 more deleted" in messages(report, "ha.aurora-instances")[0]


# --- secrets never reach a message -------------------------------------------------------------------------

SECRETS = ("Odoo-Pg-Pr0d-2026!", "R3dis-Auth-T0ken-Prod-2026", "Aur0ra-Master-Pr0d!", "Azure-Flex-S3cret!")


def test_no_secret_value_appears_in_any_message(tmp_path: Path) -> None:
    """Every fixture of these rules (they carry passwords and tokens) plus a plan that marks even the
    attributes the messages quote (engine, tier, instance class, identifier, tags) sensitive."""
    sensitive_tier = {"name": "erp-sessions", "tier": "BASIC-" + SECRETS[0]}
    report = run(tmp_path, plan(
        change("aws_db_instance.erp", {"identifier": SECRETS[0], "engine": "postgres", "multi_az": False,
                                       "instance_class": "db.r6g.16xlarge", "password": SECRETS[0],
                                       "tags": {"Owner": SECRETS[0]}},
               after_sensitive={"identifier": True, "password": True, "instance_class": True, "tags": True}),
        change("aws_elasticache_cluster.c", {"cluster_id": SECRETS[1], "engine": SECRETS[1]},
               after_sensitive={"cluster_id": True, "engine": True}),
    ), tier=Tier.SANDBOX)  # fmt: skip
    redis = {"address": "google_redis_instance.s", "mode": "managed", "type": "google_redis_instance", "name": "s",
             "provider_name": "registry.terraform.io/hashicorp/google",
             "change": {"actions": ["create"], "before": None, "after": sensitive_tier,
                        "after_unknown": {}, "after_sensitive": {"tier": True}}}  # fmt: skip
    reports = [report, run(tmp_path, plan(redis), name="redis.json")]
    reports.append(run(tmp_path, plan(change("aws_db_instance.erp", {
        "identifier": "erp-prod", "multi_az": False, "password": SECRETS[0]}, after_sensitive={"password": True}),
        change("aws_elasticache_cluster.c", {"cluster_id": "odoo-cache", "engine": SECRETS[1]},
               after_sensitive={"engine": True})), name="prod.json"))  # fmt: skip
    fixtures = sorted(p for rule in MINE for p in (ROOT / "fixtures").glob(f"{rule.replace('.', '/')}/*.json"))
    assert len(fixtures) >= 18
    for path in fixtures:
        request = ScanRequest(targets=(str(path),), config=Config(), tier=Tier.PRODUCTION, today=TODAY, cwd=ROOT)
        reports.append(scan(request))
        reports.append(scan(dataclasses.replace(request, tier=Tier.DEVELOPMENT)))
    fired = 0
    for each in reports:
        no_errors(each)
        for finding in each.findings:
            fired += finding.rule_id in MINE
            for secret in SECRETS:
                assert secret not in finding.message, (finding.rule_id, finding.message)
    assert fired > 20
    assert any("***" in f.message for f in reports[1].findings + reports[2].findings)


# --- sizes and tag spellings -------------------------------------------------------------------------------


def test_sizes_rank_as_aws_names_them() -> None:
    order = ["nano", "micro", "small", "medium", "large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "metal-24xl",
             "48xlarge", "metal"]  # fmt: skip
    ranks = [size_rank(s) for s in order]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)
    assert size_of("db.r6g.2xlarge") == "2xlarge" and size_of("cache.t4g.micro") == "micro"
    assert size_of("m6i.large") == "large" and size_of("db.serverless") is None
    assert size_rank("serverless") is None and size_rank("huge") is None


def test_instance_class_cap_is_off_in_production_and_configurable(tmp_path: Path) -> None:
    document = plan(change("aws_db_instance.erp", {"identifier": "erp", "instance_class": "db.r6g.2xlarge"}))
    assert not messages(run(tmp_path, document), "quotas.instance-class-cap")
    assert messages(run(tmp_path, document, tier=Tier.SANDBOX), "quotas.instance-class-cap")
    config = build_config({"rules": {"quotas.instance-class-cap": {"options": {"max_size": {"sandbox": "4xlarge"}}}}},
                          "<test>")  # fmt: skip
    assert not messages(run(tmp_path, document, tier=Tier.SANDBOX, config=config), "quotas.instance-class-cap")
    typo = build_config({"rules": {"quotas.instance-class-cap": {"options": {"max_size": {"sandbox": "huge"}}}}}, "t")
    report = run(tmp_path, document, tier=Tier.SANDBOX, config=typo)
    assert status(report, "quotas.instance-class-cap", "aws_db_instance.erp") is Status.NOT_EVALUATED


@pytest.mark.parametrize(
    "key", ["Owner", "owner", "OWNER", "team", "acme:owner", "CostCenter", "cost-center", "cost_centre", "Cost Centre"]
)
def test_tag_spellings_normalise(key: str) -> None:
    assert normalise(key) in {"owner", "team", "costcenter", "costcentre"}


def test_cost_tags_judges_only_taggable_resources_never_data_sources(tmp_path: Path) -> None:
    data = {"address": "data.aws_vpc.main", "mode": "data", "type": "aws_vpc", "name": "main",
            "provider_name": AWS, "change": {"actions": ["read"], "before": None, "after": {"tags": {}}}}  # fmt: skip
    report = run(tmp_path, plan(
        data,
        change("aws_iam_role_policy_attachment.a", {"role": "erp-backup", "policy_arn": "arn:aws:iam::aws:policy/x"}),
        change("aws_autoscaling_group.w", {"name": "w", "tag": [{"key": "Owner", "value": "platform"}]}),
    ))  # fmt: skip
    assert [f.resource.uid for f in report.findings if f.rule_id == "quotas.cost-tags"] == ["aws_autoscaling_group.w"]
    assert "cost-centre tag" in messages(report, "quotas.cost-tags")[0]
    assert "owner tag" not in messages(report, "quotas.cost-tags")[0]
