"""Pulumi `preview --json` (steps) and state (`stack export` deployment, checkpoints) -> Resources.

Type tokens and camelCase inputs are normalised to the Terraform provider's model, so one rule
serves both: `aws:rds/instance:Instance` with `backupRetentionPeriod` becomes `aws_db_instance` with
`backup_retention_period`. Secret values (`[secret]`, Pulumi's secret signature) and values unknown
until apply become unknown and sensitive pointers: their values never reach a rule or a report.
`uid` is the URN, `name` its last part, `namespace` the stack (config patterns and tier aliases
apply to it: a stack called `prod` is production).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from govscan.scanner.loaders.jsonpos import EntryPositions, JsonText
from govscan.scanner.loaders.k8s import LoadResult
from govscan.scanner.loaders.tfplan import tags_of
from govscan.scanner.model import Action, Change, Origin, Platform, Resource, Skipped, Source, escape_pointer_token

SECRET_SIG = "4dabf18193072939515e22adb298388d"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
FREE_FORM = frozenset({"tags", "tagsAll", "labels", "variables", "environment", "parameters", "metadata"})
"""Inputs whose keys are the user's own: kept as written, not turned into snake_case."""
VERBATIM = frozenset({"policy", "assumeRolePolicy"})
"""Inputs kept exactly as written, all the way down: IAM policy documents given as objects."""

TYPE_NAMES = {
    "aws:rds/instance:Instance": "aws_db_instance",
    "aws:rds/cluster:Cluster": "aws_rds_cluster",
    "aws:rds/clusterInstance:ClusterInstance": "aws_rds_cluster_instance",
    "aws:rds/snapshot:Snapshot": "aws_db_snapshot",
    "aws:rds/snapshotCopy:SnapshotCopy": "aws_db_snapshot_copy",
    "aws:s3/bucketV2:BucketV2": "aws_s3_bucket",
    "aws:s3/bucketVersioningV2:BucketVersioningV2": "aws_s3_bucket_versioning",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": (
        "aws_s3_bucket_server_side_encryption_configuration"
    ),
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2": "aws_s3_bucket_lifecycle_configuration",
    "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2": "aws_s3_bucket_object_lock_configuration",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": "aws_s3_bucket_replication_configuration",
    "aws:ec2/instance:Instance": "aws_instance",
    "aws:ec2/vpc:Vpc": "aws_vpc",
    "aws:ec2/subnet:Subnet": "aws_subnet",
    "aws:ec2/securityGroup:SecurityGroup": "aws_security_group",
    "aws:ec2/securityGroupRule:SecurityGroupRule": "aws_security_group_rule",
    "aws:ec2/eip:Eip": "aws_eip",
    "aws:ec2/natGateway:NatGateway": "aws_nat_gateway",
    "aws:ec2/internetGateway:InternetGateway": "aws_internet_gateway",
    "aws:ec2/routeTable:RouteTable": "aws_route_table",
    "aws:ec2/launchTemplate:LaunchTemplate": "aws_launch_template",
    "aws:autoscaling/group:Group": "aws_autoscaling_group",
    "aws:lb/loadBalancer:LoadBalancer": "aws_lb",
    "aws:elasticache/cluster:Cluster": "aws_elasticache_cluster",
    "aws:cloudwatch/logGroup:LogGroup": "aws_cloudwatch_log_group",
    "aws:sns/topic:Topic": "aws_sns_topic",
    "aws:ssm/parameter:Parameter": "aws_ssm_parameter",
    "aws:lambda/function:Function": "aws_lambda_function",
    "aws:rds/clusterSnapshot:ClusterSnapshot": "aws_db_cluster_snapshot",
    "aws:rds/subnetGroup:SubnetGroup": "aws_db_subnet_group",
    "aws:rds/parameterGroup:ParameterGroup": "aws_db_parameter_group",
    "aws:ec2/volumeAttachment:VolumeAttachment": "aws_volume_attachment",
    "aws:ec2/keyPair:KeyPair": "aws_key_pair",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "aws_route_table_association",
    "aws:ec2/route:Route": "aws_route",
    "aws:elasticache/replicationGroup:ReplicationGroup": "aws_elasticache_replication_group",
    "aws:iam/accessKey:AccessKey": "aws_iam_access_key",
    "aws:lb/listener:Listener": "aws_lb_listener",
    "aws:lb/targetGroup:TargetGroup": "aws_lb_target_group",
    "gcp:sql/databaseInstance:DatabaseInstance": "google_sql_database_instance",
    "gcp:storage/bucket:Bucket": "google_storage_bucket",
    "azure:postgresql/server:Server": "azurerm_postgresql_server",
}
"""Where `<provider>:<module>/<name>:<Type>` -> `<provider>_<module>_<name>` does not give the Terraform type."""

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")
_PROVIDER_PREFIX = {"aws": "aws", "gcp": "google", "azure": "azurerm", "azure-native": "azurerm"}


def is_pulumi(document: Any) -> bool:
    if not isinstance(document, dict):
        return False
    if isinstance(document.get("steps"), list):
        return True
    return _state_resources(document) is not None


def _state_resources(document: dict[str, Any]) -> list[Any] | None:
    deployment = document.get("deployment")
    if deployment is None and isinstance(document.get("checkpoint"), dict):
        deployment = document["checkpoint"].get("latest")
    if isinstance(deployment, dict) and isinstance(deployment.get("resources"), list):
        resources: list[Any] = deployment["resources"]
        return resources
    return None


def terraform_type(token: str) -> str:
    """`aws:ebs/volume:Volume` -> `aws_ebs_volume`; unknown shapes come back unchanged."""
    if token in TYPE_NAMES:
        return TYPE_NAMES[token]
    parts = token.split(":")
    if len(parts) != 3 or "/" not in parts[1] or parts[0] not in _PROVIDER_PREFIX:
        return token
    module, name = parts[1].split("/", 1)
    prefix = _PROVIDER_PREFIX.get(parts[0], parts[0])
    return f"{prefix}_{module}_{snake(name)}"


def snake(name: str) -> str:
    return _CAMEL.sub(r"_\1", name).lower()


class _Normaliser:
    """camelCase -> snake_case keys; secrets and unknowns taken out of the body and remembered."""

    def __init__(self) -> None:
        self.unknown: set[str] = set()
        self.sensitive: set[str] = set()

    def value(self, value: Any, pointer: str, keep_keys: bool = False) -> Any:
        if isinstance(value, str):
            if value == UNKNOWN:
                self.unknown.add(pointer)
                return None
            if value == "[secret]":
                self.unknown.add(pointer)
                self.sensitive.add(pointer)
                return None
            return value
        if isinstance(value, dict):
            if SECRET_SIG in value:
                self.unknown.add(pointer)
                self.sensitive.add(pointer)
                return None
            out: dict[str, Any] = {}
            for key, item in value.items():
                if key == "__defaults":
                    continue
                name = str(key) if keep_keys else snake(str(key))
                child = f"{pointer}/{escape_pointer_token(name)}"
                if key in VERBATIM and not keep_keys and isinstance(item, dict | list):
                    out[name] = item
                else:
                    out[name] = self.value(item, child, keep_keys=not keep_keys and key in FREE_FORM)
            return out
        if isinstance(value, list):
            return [self.value(item, f"{pointer}/{i}") for i, item in enumerate(value)]
        return value


_OPS = {
    "create": Action.CREATE,
    "update": Action.UPDATE,
    "delete": Action.DELETE,
    "replace": Action.REPLACE,
    "create-replacement": Action.REPLACE,
    "delete-replaced": Action.REPLACE,
    "read": Action.READ,
    "same": Action.NO_OP,
    "refresh": Action.NO_OP,
}


def load_pulumi(document: dict[str, Any], text: str, path: str) -> LoadResult:
    result = LoadResult([], [], [], [])
    json_text = JsonText(text)
    steps = document.get("steps")
    entries: list[tuple[Action, dict[str, Any], dict[str, Any] | None]] = []
    if isinstance(steps, list):
        for step in steps:
            if not isinstance(step, dict):
                continue
            action = _OPS.get(str(step.get("op", "")), Action.NO_OP)
            new, old = step.get("newState"), step.get("oldState")
            state = new if isinstance(new, dict) and action is not Action.DELETE else old
            if isinstance(state, dict):
                entries.append((action, state, old if isinstance(old, dict) else None))
    else:
        for state in _state_resources(document) or []:
            if isinstance(state, dict):
                entries.append((Action.NO_OP, state, None))
    urns = [str(state.get("urn")) for _, state, _ in entries if state.get("urn")]
    offsets = json_text.entries("urn", urns)
    starts = sorted(offsets.values())
    next_entry = dict(zip(starts, [*starts[1:], len(text)], strict=False))
    for action, state, old in entries:
        urn = str(state.get("urn", ""))
        start = offsets.get(urn, 0)
        if state.get("custom") is False or not urn:
            kind = str(state.get("type", "?"))
            result.skipped.append(Skipped(path, json_text.position(start)[0], f"Pulumi component {kind}: not judged"))
            continue
        end = next_entry.get(start, len(text))
        values = json_text.find_key("inputs", start, end)
        positions = EntryPositions(json_text, start, values if values >= 0 else start, end, camel=True)
        result.resources.append(_resource(urn, action, state, old, path, positions))
    return result


def _dependencies(state: dict[str, Any]) -> Iterator[str]:
    """URNs the resource's inputs depend on (propertyDependencies, dependencies)."""
    by_property = state.get("propertyDependencies")
    for urns in by_property.values() if isinstance(by_property, dict) else ():
        yield from (u for u in _list(urns) if isinstance(u, str))
    yield from (u for u in _list(state.get("dependencies")) if isinstance(u, str))


def _list(value: Any) -> list[Any]:
    """A list where one is expected; anything else (a hand-edited or hostile file) is empty."""
    return value if isinstance(value, list) else []


def _resource(
    urn: str, action: Action, state: dict[str, Any], old: dict[str, Any] | None, path: str, positions: EntryPositions
) -> Resource:
    normaliser = _Normaliser()
    inputs = state.get("inputs")
    body = normaliser.value(inputs if isinstance(inputs, dict) else {}, "")
    before = _Normaliser().value(old.get("inputs"), "") if old and isinstance(old.get("inputs"), dict) else None
    for pointer in _list(state.get("additionalSecretOutputs")):
        if isinstance(pointer, str):
            normaliser.sensitive.add("/" + escape_pointer_token(snake(pointer)))
    parts = urn.split("::")
    stack = parts[0].split(":")[-1] if parts and parts[0].startswith("urn:pulumi:") else None
    return Resource(
        uid=urn,
        platform=Platform.PULUMI,
        kind=terraform_type(str(state.get("type", ""))),
        api_version=str(state.get("type", "")),
        name=parts[-1] if parts else urn,
        namespace=stack or None,
        body=body,
        source=Source(origin=Origin.PULUMI, path=path, positions=positions),
        labels=tags_of(body),
        change=Change(
            action,
            frozenset(normaliser.unknown),
            frozenset(normaliser.sensitive),
            before,
            references=frozenset(_dependencies(state)),
        ),
    )
