"""Generate a large, deterministic Terraform plan in `terraform show -json` format.

The plan mixes the resource types a platform team really plans (S3 buckets and their companion
resources, RDS instances, security groups, IAM policies and roles, EC2, KMS, Lambda, CloudWatch
and kubernetes_* resources) with realistic attribute sets, a mix of create/update/no-op/delete/
replace actions, `after_unknown` for computed attributes and a `configuration` block.

Resources are written one at a time (each rebuilt from its own seed for every section), so the
generator's memory stays small however large the plan is. The same seed and count always give
byte-identical output.

Usage: python benchmarks/tfplan.py OUT.json [--resources 15000] [--seed 20240601]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

TERRAFORM_VERSION = "1.9.8"
AWS_PROVIDER = "registry.terraform.io/hashicorp/aws"
K8S_PROVIDER = "registry.terraform.io/hashicorp/kubernetes"
REGIONS = ["eu-central-1", "eu-west-1", "us-east-1", "us-west-2"]
TEAMS = ["payments", "ledger", "identity", "search", "catalog", "checkout", "risk", "data", "ml", "platform"]
ENVIRONMENTS = ["production", "staging", "qa", "development", "sandbox"]
INSTANCE_CLASSES = ["db.t3.medium", "db.r6g.large", "db.r6g.xlarge", "db.m6i.large", "db.r5.2xlarge"]
EC2_TYPES = ["t3.micro", "t3.large", "m6i.large", "c6i.xlarge", "r6i.2xlarge"]
ACCOUNT = "123456789012"
DEFAULT_TAGS = {"owner-account": ACCOUNT, "terraform-workspace": "main", "compliance-scope": "sox"}

Values = dict[str, Any]


def _tags(rng: random.Random, team: str, env: str, name: str) -> dict[str, str]:
    tags = {
        "Name": name,
        "team": team,
        "environment": env,
        "cost-center": f"cc-{rng.randint(1000, 9999)}",
        "managed-by": "terraform",
        "repository": f"git@example.com:{team}/infrastructure.git",
    }
    if rng.random() < 0.6:
        tags["data-classification"] = rng.choice(["public", "internal", "confidential", "restricted"])
    if rng.random() < 0.3:
        tags["backup"] = rng.choice(["daily", "weekly", "none"])
    return tags


def _arn(service: str, region: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{resource}"


def s3_bucket(rng: random.Random, team: str, env: str, idx: int) -> tuple[Values, list[str]]:
    name = f"{team}-{env}-artifacts-{idx:05d}"
    region = rng.choice(REGIONS)
    values = {
        "bucket": name,
        "bucket_prefix": None,
        "force_destroy": env != "production",
        "object_lock_enabled": rng.random() < 0.1,
        "tags": _tags(rng, team, env, name),
        "timeouts": None,
        "acl": None,
        "grant": [],
        "cors_rule": [],
        "lifecycle_rule": [],
        "logging": [
            {"target_bucket": f"{team}-{env}-access-logs", "target_prefix": f"s3/{name}/"}
            for _ in range(rng.random() < 0.5)
        ],
        "versioning": [{"enabled": rng.random() < 0.7, "mfa_delete": False}],
        "server_side_encryption_configuration": [
            {
                "rule": [
                    {
                        "apply_server_side_encryption_by_default": [
                            {
                                "sse_algorithm": rng.choice(["aws:kms", "AES256"]),
                                "kms_master_key_id": _arn("kms", region, f"key/{rng.getrandbits(64):016x}"),
                            }
                        ],
                        "bucket_key_enabled": True,
                    }
                ]
            }
        ],
    }
    return values, ["arn", "bucket_domain_name", "bucket_regional_domain_name", "hosted_zone_id", "id", "region"]


def s3_public_access_block(rng: random.Random, team: str, env: str, idx: int) -> tuple[Values, list[str]]:
    strict = rng.random() < 0.8
    return {
        "bucket": f"{team}-{env}-artifacts-{idx:05d}",
        "block_public_acls": strict,
        "block_public_policy": strict,
        "ignore_public_acls": strict,
        "restrict_public_buckets": strict or rng.random() < 0.5,
    }, ["id"]


def s3_bucket_policy(rng: random.Random, team: str, env: str, idx: int) -> tuple[Values, list[str]]:
    bucket = f"{team}-{env}-artifacts-{idx:05d}"
    statements = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "AllowTeamRead",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/{team}-{env}-reader"},
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        },
    ]
    return {"bucket": bucket, "policy": json.dumps({"Version": "2012-10-17", "Statement": statements})}, ["id"]


def db_instance(rng: random.Random, team: str, env: str, idx: int) -> tuple[Values, list[str]]:
    engine = rng.choice(["postgres", "mysql", "mariadb"])
    name = f"{team}-{env}-db-{idx:05d}"
    region = rng.choice(REGIONS)
    production = env == "production"
    values = {
        "identifier": name,
        "identifier_prefix": None,
        "allocated_storage": rng.choice([20, 50, 100, 250, 500, 1000]),
        "max_allocated_storage": rng.choice([0, 1000, 2000]),
        "engine": engine,
        "engine_version": {"postgres": "16.4", "mysql": "8.0.39", "mariadb": "10.11.9"}[engine],
        "instance_class": rng.choice(INSTANCE_CLASSES),
        "db_name": f"{team}_{env}".replace("-", "_"),
        "username": "app_admin",
        "password": None,
        "manage_master_user_password": True,
        "port": {"postgres": 5432, "mysql": 3306, "mariadb": 3306}[engine],
        "multi_az": production or rng.random() < 0.2,
        "publicly_accessible": rng.random() < 0.05,
        "storage_encrypted": rng.random() < 0.9,
        "storage_type": rng.choice(["gp3", "io1", "gp2"]),
        "iops": rng.choice([None, 3000, 12000]),
        "kms_key_id": _arn("kms", region, f"key/{rng.getrandbits(64):016x}"),
        "backup_retention_period": rng.choice([0, 1, 7, 14, 35]),
        "backup_window": "02:00-03:00",
        "maintenance_window": "sun:04:00-sun:05:00",
        "deletion_protection": production,
        "skip_final_snapshot": not production,
        "final_snapshot_identifier": f"{name}-final" if production else None,
        "copy_tags_to_snapshot": True,
        "auto_minor_version_upgrade": True,
        "apply_immediately": False,
        "iam_database_authentication_enabled": rng.random() < 0.4,
        "performance_insights_enabled": production,
        "performance_insights_retention_period": 7 if production else None,
        "monitoring_interval": rng.choice([0, 15, 60]),
        "enabled_cloudwatch_logs_exports": ["postgresql", "upgrade"]
        if engine == "postgres"
        else ["error", "slowquery"],
        "db_subnet_group_name": f"{team}-{env}-db-subnets",
        "parameter_group_name": f"{team}-{env}-{engine}",
        "option_group_name": None,
        "vpc_security_group_ids": [f"sg-{rng.getrandbits(64):017x}"[:20] for _ in range(rng.randint(1, 3))],
        "ca_cert_identifier": "rds-ca-rsa2048-g1",
        "network_type": "IPV4",
        "tags": _tags(rng, team, env, name),
        "timeouts": None,
    }
    unknown = ["address", "arn", "endpoint", "hosted_zone_id", "id", "latest_restorable_time", "master_user_secret"]
    return values, unknown


def _sg_rule(rng: random.Random, egress: bool) -> Values:
    port = rng.choice([22, 80, 443, 3306, 5432, 6379, 8080, 9090, 0])
    open_world = rng.random() < (0.9 if egress else 0.15)
    return {
        "cidr_blocks": ["0.0.0.0/0"] if open_world else [f"10.{rng.randint(0, 255)}.0.0/16"],
        "description": "egress to anywhere" if egress else f"service port {port}",
        "from_port": 0 if egress else port,
        "to_port": 0 if egress else port,
        "protocol": "-1" if egress else "tcp",
        "ipv6_cidr_blocks": ["::/0"] if open_world and rng.random() < 0.3 else [],
        "prefix_list_ids": [],
        "security_groups": [],
        "self": False,
    }


def security_group(rng: random.Random, team: str, env: str, idx: int) -> tuple[Values, list[str]]:
    name = f"{team}-{env}-sg-{idx:05d}"
    return {
        "name": name,
        "name_prefix": None,
        "description": f"Managed by Terraform for {team} ({env})",
        "vpc_id": f"vpc-{rng.getrandbits(48):012x}",
        "revoke_rules_on_delete": False,
        "ingress": [_sg_rule(rng, False) for _ in range(rng.randint(1, 6))],
        "egress": [_sg_rule(rng, True) for _ in range(rng.randint(1, 2))],
        "tags": _tags(rng, team, env, name),
        "timeouts": None,
    }, ["arn", "id", "owner_id"]


def _policy_document(rng: random.Random, team: str, env: str) -> str:
    services = ["s3", "dynamodb", "sqs", "sns", "kms", "logs", "secretsmanager", "ssm", "ecr", "lambda"]
    statements = []
    for n in range(rng.randint(2, 6)):
        service = rng.choice(services)
        wildcard = rng.random() < 0.1
        statements.append(
            {
                "Sid": f"Stmt{n}{service.capitalize()}",
                "Effect": "Allow",
                "Action": "*"
                if wildcard
                else [
                    f"{service}:{a}"
                    for a in rng.sample(["Get*", "List*", "Put*", "Describe*", "Delete*", "Create*"], 3)
                ],
                "Resource": "*"
                if wildcard
                else [
                    _arn(service, rng.choice(REGIONS), f"{team}-{env}-{rng.getrandbits(32):08x}")
                    for _ in range(rng.randint(1, 4))
                ],
            }
        )
        if rng.random() < 0.3:
            statements[-1]["Condition"] = {"StringEquals": {"aws:PrincipalTag/team": team}}
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def iam_policy(rng: random.Random, team: str, env: str, idx: int) -> tuple[Values, list[str]]:
    name = f"{team}-{env}-policy-{idx:05d}"
    return {
        "name": name,
        "name_prefix": None,
        "path": f"/{team}/",
        "description": f"Access for {team} workloads in {env}",
        "policy": _policy_document(rng, team, env),
        "tags": _tags(rng, team, env, name),
    }, ["arn", "attachment_count", "id", "policy_id"]


def iam_role(rng: random.Random, team: str, env: str, idx: int) -> tuple[Values, list[str]]:
    name = f"{team}-{env}-role-{idx:05d}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {
                    "Service": rng.choice(["ec2.amazonaws.com", "lambda.amazonaws.com", "ecs-tasks.amazonaws.com"])
                },
                "Action": "sts:AssumeRole",
            }
        ],
    }
    return {
        "name": name,
        "name_prefix": None,
        "path": "/",
        "description": None,
        "assume_role_policy": json.dumps(trust),
        "force_detach_policies": False,
        "max_session_duration": 3600,
        "permissions_boundary": None,
        "inline_policy": [{"name": f"{name}-inline", "policy": _policy_document(rng, team, env)}],
        "tags": _tags(rng, team, env, name),
    }, ["arn", "create_date", "id", "managed_policy_arns", "unique_id"]


def ec2_instance(rng: random.Random, team: str, env: str, idx: int) -> tuple[Values, list[str]]:
    name = f"{team}-{env}-vm-{idx:05d}"
    return {
        "ami": f"ami-{rng.getrandbits(64):017x}"[:21],
        "instance_type": rng.choice(EC2_TYPES),
        "associate_public_ip_address": rng.random() < 0.1,
        "ebs_optimized": True,
        "monitoring": rng.random() < 0.5,
        "disable_api_termination": env == "production",
        "iam_instance_profile": f"{team}-{env}-profile",
        "subnet_id": f"subnet-{rng.getrandbits(64):017x}"[:24],
        "vpc_security_group_ids": [f"sg-{rng.getrandbits(64):017x}"[:20]],
        "user_data": None,
        "metadata_options": [
            {
                "http_endpoint": "enabled",
                "http_tokens": rng.choice(["required", "optional"]),
                "http_put_response_hop_limit": 1,
                "instance_metadata_tags": "disabled",
            }
        ],
        "root_block_device": [
            {
                "delete_on_termination": True,
                "encrypted": rng.random() < 0.85,
                "volume_size": rng.choice([20, 50, 100]),
                "volume_type": "gp3",
                "tags": None,
            }
        ],
        "tags": _tags(rng, team, env, name),
        "timeouts": None,
    }, ["arn", "id", "private_ip", "public_ip", "primary_network_interface_id", "instance_state"]


def kms_key(rng: random.Random, team: str, env: str, idx: int) -> tuple[Values, list[str]]:
    name = f"{team}-{env}-key-{idx:05d}"
    return {
        "description": f"{team} {env} data key {idx}",
        "customer_master_key_spec": "SYMMETRIC_DEFAULT",
        "key_usage": "ENCRYPT_DECRYPT",
        "deletion_window_in_days": 30,
        "enable_key_rotation": rng.random() < 0.8,
        "is_enabled": True,
        "multi_region": False,
        "bypass_policy_lockout_safety_check": False,
        "tags": _tags(rng, team, env, name),
    }, ["arn", "id", "key_id", "policy"]


def lambda_function(rng: random.Random, team: str, env: str, idx: int) -> tuple[Values, list[str]]:
    name = f"{team}-{env}-fn-{idx:05d}"
    return {
        "function_name": name,
        "role": f"arn:aws:iam::{ACCOUNT}:role/{team}-{env}-lambda",
        "handler": "app.handler",
        "runtime": rng.choice(["python3.12", "nodejs20.x", "java21"]),
        "memory_size": rng.choice([128, 256, 512, 1024]),
        "timeout": rng.choice([3, 30, 300]),
        "publish": False,
        "reserved_concurrent_executions": -1,
        "s3_bucket": f"{team}-{env}-lambda-code",
        "s3_key": f"{name}/{rng.getrandbits(64):016x}.zip",
        "environment": [
            {"variables": {"LOG_LEVEL": "info", "TEAM": team, "STAGE": env, "TABLE": f"{team}-{env}-items"}}
        ],
        "tracing_config": [{"mode": rng.choice(["Active", "PassThrough"])}],
        "vpc_config": [],
        "kms_key_arn": None,
        "tags": _tags(rng, team, env, name),
        "timeouts": None,
    }, ["arn", "id", "invoke_arn", "last_modified", "qualified_arn", "source_code_hash", "version"]


def log_group(rng: random.Random, team: str, env: str, idx: int) -> tuple[Values, list[str]]:
    name = f"/aws/{team}/{env}/service-{idx:05d}"
    return {
        "name": name,
        "name_prefix": None,
        "retention_in_days": rng.choice([0, 7, 30, 90, 365]),
        "kms_key_id": None,
        "log_group_class": "STANDARD",
        "skip_destroy": False,
        "tags": _tags(rng, team, env, name),
    }, ["arn", "id"]


def _k8s_metadata(rng: random.Random, team: str, env: str, name: str, namespace: str | None) -> list[Values]:
    meta: Values = {
        "name": name,
        "generate_name": None,
        "labels": {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": team, "tier": env},
        "annotations": {"owner": f"{team}@example.com"},
    }
    if namespace is not None:
        meta["namespace"] = namespace
    return [meta]


def k8s_namespace(rng: random.Random, team: str, env: str, idx: int) -> tuple[Values, list[str]]:
    return {"metadata": _k8s_metadata(rng, team, env, f"{team}-{env}-{idx:05d}", None), "timeouts": None}, ["id"]


def k8s_deployment(rng: random.Random, team: str, env: str, idx: int) -> tuple[Values, list[str]]:
    name = f"{team}-api-{idx:05d}"
    privileged = rng.random() < 0.05
    container = {
        "name": "app",
        "image": f"registry.example.com/{team}/api:{rng.randint(1, 40)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
        if rng.random() < 0.9
        else f"{team}/api:latest",
        "image_pull_policy": "IfNotPresent",
        "port": [{"container_port": 8080, "name": "http", "protocol": "TCP"}],
        "env": [{"name": "STAGE", "value": env}, {"name": "TEAM", "value": team}],
        "resources": [
            {
                "limits": {"cpu": "1", "memory": "512Mi"} if rng.random() < 0.8 else {},
                "requests": {"cpu": "250m", "memory": "256Mi"},
            }
        ],
        "security_context": [
            {
                "privileged": privileged,
                "run_as_non_root": not privileged,
                "allow_privilege_escalation": privileged,
                "read_only_root_filesystem": rng.random() < 0.6,
                "capabilities": [{"drop": ["ALL"], "add": []}],
            }
        ],
        "liveness_probe": [{"http_get": [{"path": "/healthz", "port": "8080"}], "period_seconds": 10}],
        "readiness_probe": [{"http_get": [{"path": "/ready", "port": "8080"}], "period_seconds": 5}],
    }
    return {
        "metadata": _k8s_metadata(rng, team, env, name, f"{team}-{env}"),
        "spec": [
            {
                "replicas": str(rng.choice([1, 2, 3, 5])),
                "revision_history_limit": 10,
                "selector": [{"match_labels": {"app.kubernetes.io/name": name}}],
                "strategy": [
                    {"type": "RollingUpdate", "rolling_update": [{"max_surge": "25%", "max_unavailable": "0"}]}
                ],
                "template": [
                    {
                        "metadata": _k8s_metadata(rng, team, env, name, None),
                        "spec": [
                            {
                                "service_account_name": f"{team}-api",
                                "automount_service_account_token": False,
                                "host_network": privileged,
                                "container": [container],
                            }
                        ],
                    }
                ],
            }
        ],
        "wait_for_rollout": True,
        "timeouts": None,
    }, ["id"]


def k8s_service(rng: random.Random, team: str, env: str, idx: int) -> tuple[Values, list[str]]:
    name = f"{team}-api-{idx:05d}"
    return {
        "metadata": _k8s_metadata(rng, team, env, name, f"{team}-{env}"),
        "spec": [
            {
                "type": rng.choice(["ClusterIP", "ClusterIP", "LoadBalancer", "NodePort"]),
                "selector": {"app.kubernetes.io/name": name},
                "port": [{"name": "http", "port": 80, "target_port": "8080", "protocol": "TCP"}],
                "session_affinity": "None",
            }
        ],
        "wait_for_load_balancer": True,
        "timeouts": None,
    }, ["id", "status"]


def k8s_config_map(rng: random.Random, team: str, env: str, idx: int) -> tuple[Values, list[str]]:
    name = f"{team}-config-{idx:05d}"
    data = {f"setting_{k}": f"value-{rng.getrandbits(32):08x}" for k in range(rng.randint(3, 12))}
    data["application.yaml"] = "\n".join(f"key{k}: {rng.getrandbits(24)}" for k in range(rng.randint(5, 20)))
    return {
        "metadata": _k8s_metadata(rng, team, env, name, f"{team}-{env}"),
        "data": data,
        "binary_data": None,
        "immutable": False,
    }, ["id"]


Builder = Callable[[random.Random, str, str, int], tuple[Values, list[str]]]
# (type, provider, weight, builder): weights are roughly what a large AWS + Kubernetes estate plans.
RESOURCE_TYPES: list[tuple[str, str, int, Builder]] = [
    ("aws_s3_bucket", AWS_PROVIDER, 12, s3_bucket),
    ("aws_s3_bucket_public_access_block", AWS_PROVIDER, 8, s3_public_access_block),
    ("aws_s3_bucket_policy", AWS_PROVIDER, 6, s3_bucket_policy),
    ("aws_db_instance", AWS_PROVIDER, 6, db_instance),
    ("aws_security_group", AWS_PROVIDER, 12, security_group),
    ("aws_iam_policy", AWS_PROVIDER, 10, iam_policy),
    ("aws_iam_role", AWS_PROVIDER, 8, iam_role),
    ("aws_instance", AWS_PROVIDER, 6, ec2_instance),
    ("aws_kms_key", AWS_PROVIDER, 4, kms_key),
    ("aws_lambda_function", AWS_PROVIDER, 6, lambda_function),
    ("aws_cloudwatch_log_group", AWS_PROVIDER, 6, log_group),
    ("kubernetes_namespace", K8S_PROVIDER, 2, k8s_namespace),
    ("kubernetes_deployment", K8S_PROVIDER, 6, k8s_deployment),
    ("kubernetes_service", K8S_PROVIDER, 4, k8s_service),
    ("kubernetes_config_map", K8S_PROVIDER, 4, k8s_config_map),
]
ACTIONS = [(["create"], 70), (["update"], 15), (["no-op"], 8), (["delete", "create"], 4), (["delete"], 3)]


class _Resource:
    """Everything about resource i, rebuilt identically from (seed, i) whenever it is needed."""

    def __init__(self, seed: int, i: int) -> None:
        rng = random.Random(seed * 1_000_003 + i)
        self.rtype, self.provider, _w, builder = rng.choices(RESOURCE_TYPES, [t[2] for t in RESOURCE_TYPES])[0]
        team, env = rng.choice(TEAMS), rng.choice(ENVIRONMENTS)
        self.name = f"{team}_{env}".replace("-", "_")
        self.key = f"{i:05d}"
        self.address = f'{self.rtype}.{self.name}["{self.key}"]'
        self.values, self.unknown = builder(rng, team, env, i)
        if "tags" in self.values:  # what the AWS provider's default_tags add
            self.values["tags_all"] = {**self.values["tags"], **DEFAULT_TAGS}
        self.actions = rng.choices([a for a, _ in ACTIONS], [w for _, w in ACTIONS])[0]
        self.before: Values | None = None
        if self.actions != ["create"]:
            before = json.loads(json.dumps(self.values))
            if self.actions == ["update"] and "tags" in before:
                before["tags"] = {**before["tags"], "cost-center": "cc-0000"}
            self.before = before

    def common(self) -> Values:
        return {
            "address": self.address,
            "mode": "managed",
            "type": self.rtype,
            "name": self.name,
            "index": self.key,
            "provider_name": self.provider,
        }

    def planned(self) -> Values | None:
        if self.actions == ["delete"]:
            return None
        return {
            **self.common(),
            "schema_version": 0,
            "values": self.values,
            "sensitive_values": _sensitive(self.values),
        }

    def prior(self) -> Values | None:
        if self.before is None:
            return None
        return {
            **self.common(),
            "schema_version": 0,
            "values": self.before,
            "sensitive_values": _sensitive(self.before),
        }

    def change(self) -> Values:
        deleting = self.actions == ["delete"]
        after = None if deleting else self.values
        change: Values = {
            "actions": self.actions,
            "before": self.before,
            "after": after,
            "after_unknown": {} if deleting or self.actions == ["no-op"] else dict.fromkeys(self.unknown, True),
            "before_sensitive": False if self.before is None else _sensitive(self.before),
            "after_sensitive": False if after is None else _sensitive(after),
        }
        entry = {**self.common(), "change": change}
        if self.actions == ["delete", "create"]:
            entry["action_reason"] = "replace_because_cannot_update"
        return entry

    def configuration(self) -> Values:
        expressions = {
            key: {"constant_value": value}
            for key, value in self.values.items()
            if value is not None and not isinstance(value, list | dict)
        }
        return {
            "address": f"{self.rtype}.{self.name}",
            "mode": "managed",
            "type": self.rtype,
            "name": self.name,
            "provider_config_key": self.provider.rsplit("/", 1)[-1],
            "expressions": expressions,
            "schema_version": 0,
            "for_each_expression": {"references": ["local.instances"]},
        }


def _sensitive(values: Any) -> Any:
    """Terraform's sensitive_values mirror: {} for objects, [] of mirrors for lists, dropped scalars."""
    if isinstance(values, dict):
        return {k: _sensitive(v) for k, v in values.items() if isinstance(v, dict | list)}
    if isinstance(values, list):
        return [_sensitive(v) if isinstance(v, dict | list) else False for v in values]
    return False


def _write_array(out: Any, items: Any) -> None:
    out.write("[")
    first = True
    for item in items:
        if item is None:
            continue
        if not first:
            out.write(",")
        out.write(json.dumps(item, separators=(",", ":")))
        first = False
    out.write("]")


def write_plan(path: Path, resources: int = 15_000, seed: int = 20240601) -> dict[str, Any]:
    """Write the plan to `path` (compact JSON, like `terraform show -json`); return a summary."""
    counts: dict[str, int] = {}
    for i in range(resources):
        r = _Resource(seed, i)
        counts[r.rtype] = counts.get(r.rtype, 0) + 1
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        head = {"format_version": "1.2", "terraform_version": TERRAFORM_VERSION}
        out.write(json.dumps(head, separators=(",", ":"))[:-1])
        out.write(',"planned_values":{"root_module":{"resources":')
        _write_array(out, (_Resource(seed, i).planned() for i in range(resources)))
        out.write('}},"resource_changes":')
        _write_array(out, (_Resource(seed, i).change() for i in range(resources)))
        providers = {
            "aws": {
                "name": "aws",
                "full_name": AWS_PROVIDER,
                "expressions": {"region": {"constant_value": "eu-central-1"}},
            },
            "kubernetes": {"name": "kubernetes", "full_name": K8S_PROVIDER},
        }
        out.write(',"prior_state":' + json.dumps({**head, "format_version": "1.0"}, separators=(",", ":"))[:-1])
        out.write(',"values":{"root_module":{"resources":')
        _write_array(out, (_Resource(seed, i).prior() for i in range(resources)))
        out.write("}}}")
        out.write(',"configuration":{"provider_config":' + json.dumps(providers, separators=(",", ":")))
        out.write(',"root_module":{"resources":')
        seen: set[str] = set()

        def config_blocks() -> Any:
            for i in range(resources):
                r = _Resource(seed, i)
                block = r.configuration()
                if block["address"] not in seen:  # one configuration block per for_each resource
                    seen.add(block["address"])
                    yield block

        _write_array(out, config_blocks())
        out.write('}},"timestamp":"2024-06-01T12:00:00Z","errored":false}')
    return {"path": str(path), "bytes": path.stat().st_size, "resources": resources, "by_type": counts, "seed": seed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="where to write the plan JSON")
    parser.add_argument("--resources", type=int, default=15_000, help="number of resources (default: 15000)")
    parser.add_argument("--seed", type=int, default=20240601, help="random seed (default: 20240601)")
    args = parser.parse_args(argv)
    summary = write_plan(args.out, args.resources, args.seed)
    print(f"{summary['path']}: {summary['bytes'] / 1e6:.1f} MB, {summary['resources']} resources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
